"""albumentations adapter: a pixelgrad transform as a genuine albumentations transform.

albumentations is optional: this module imports it, and :func:`pixelgrad.augment.to_albumentations`
imports this module only when it is called (``import pixelgrad`` never needs albumentations).

* A photometric pixelgrad transform becomes an :class:`PixelgradImageOnlyTransform`
  (an ``A.ImageOnlyTransform``): ``image`` / ``images`` change, masks, boxes and keypoints pass
  through. A transform holding a geometric one (``RandomShear``, also inside ``Compose`` /
  ``OneOf`` / ``RandomApply``) becomes a :class:`PixelgradDualTransform` (an
  ``A.DualTransform``): ``mask`` / ``masks`` are warped by nearest neighbour
  (:func:`pixelgrad.augment._adapters.move_mask`), boxes become the enclosing box of their
  moved corners and keypoints move with the same per-call map
  (``Transform.point_matrix``); albumentations' ``Compose`` then clips them and drops what
  ``bbox_params`` / ``keypoint_params`` say (``min_visibility``, ``min_area``,
  ``remove_invisible``, label fields), as for its own transforms.
* Randomness: each call draws a 63-bit seed from the transform's albumentations random state
  (``self.py_random``, which ``A.Compose(seed=...)`` seeds) and draws the pixelgrad parameters
  from a CPU ``torch.Generator`` seeded with it: an albumentations seed gives reproducible
  results, and torch's global generator is never touched.
* ``p``: the albumentations gate (default 1.0). The pixelgrad transform's own ``p`` still
  applies inside it.
* Replay: the parameters albumentations records (``A.ReplayCompose``) are
  ``{"pixelgrad_params": params.per_sample(), "shape": ...}``, JSON-able;
  ``A.ReplayCompose.replay`` gives the identical output.
* Serialisation: ``A.to_dict`` / ``A.save`` store the pixelgrad transform as its
  ``to_dict()``; ``A.from_dict`` / ``A.load`` rebuild it (import this module first, which
  registers the two classes with albumentations). A transform whose class is not in
  :data:`pixelgrad.augment.REGISTRY` cannot be serialised: a ``ValueError`` says so.
* Images: numpy ``(H, W)`` or ``(H, W, C)``, uint8 in gives uint8 out, float32 gives float32.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

try:
    import albumentations as _A
except ImportError as _exc:  # pragma: no cover - exercised only without albumentations
    raise ImportError("pixelgrad.augment.to_albumentations needs albumentations, an optional "
                      "dependency: pip install albumentations") from _exc

from .._errors import bad_type, bad_value, check_choice
from ..functional import _scope
from ._adapters import _has_geometric, enclosing_boxes_xyxy, geometric_steps, move_mask
from ._base import Transform, parse_p
from ._config import REGISTRY, from_dict
from ._params import Params
from ._rng import Rng

_FN = "to_albumentations"


def _unserialisable(t: Transform) -> list[str]:
    """Class names in ``t`` (itself and its children) that :data:`REGISTRY` cannot rebuild."""
    return sorted({type(m).__name__ for m in t.modules()
                   if isinstance(m, Transform) and REGISTRY.get(type(m).__name__) is not type(m)})


def _as_transform(transform: Any, fn: str) -> Transform:
    if isinstance(transform, dict):
        return from_dict(transform)
    if not isinstance(transform, Transform):
        bad_type(fn, "transform", "a pixelgrad.augment transform (or its to_dict() form)", transform)
    return transform


class _Pixelgrad:
    """What both wrappers share: construction, drawing, applying to images, serialisation."""

    transform: Transform
    backend: str

    def __init__(self, transform: Any, p: float = 1.0, backend: str = "auto"):
        name = type(self).__name__
        self.transform = _as_transform(transform, name)
        self.backend = check_choice(backend, _scope.BACKENDS, name, "backend")
        super().__init__(p=parse_p(p, name))  # type: ignore[call-arg]

    # -- randomness -------------------------------------------------------------------------
    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Draw the pixelgrad parameters for this call from the albumentations random state.

        Parameters
        ----------
        params : dict
            albumentations' parameters so far (``shape`` of the image).
        data : dict
            The call's targets (unused: the draw depends on the image's shape only).

        Returns
        -------
        dict
            ``{"pixelgrad_params": [one JSON-able dict]}``: the draw of
            ``transform.draw`` for one ``(1, C, H, W)`` sample, from a CPU generator seeded
            with ``self.py_random.getrandbits(63)``.
        """
        shape = tuple(params["shape"])
        C = int(shape[2]) if len(shape) > 2 else 1
        seed = self.py_random.getrandbits(63)  # type: ignore[attr-defined]
        drawn = self.transform.draw(torch.Size([1, C, int(shape[0]), int(shape[1])]),
                                    Rng(1, seed=seed, fn=type(self).__name__))
        return {"pixelgrad_params": drawn.per_sample()}

    def _params(self, pixelgrad_params: list[dict[str, Any]]) -> Params:
        return Params.from_per_sample(pixelgrad_params)

    # -- targets ----------------------------------------------------------------------------
    def apply(self, img: np.ndarray, pixelgrad_params: list[dict[str, Any]] | None = None,
              **params: Any) -> np.ndarray:
        """Apply the drawn parameters to one ``(H, W[, C])`` image (same dtype out).

        Parameters
        ----------
        img : numpy.ndarray
            The image.
        pixelgrad_params : list of dict
            From :meth:`get_params_dependent_on_data` (or a replay).
        **params :
            albumentations' other parameters (ignored).

        Returns
        -------
        numpy.ndarray
            The transformed image, same shape and dtype.
        """
        if pixelgrad_params is None:
            bad_value(type(self).__name__, "pixelgrad_params", "the parameters drawn for this call", None)
        return self.transform(img, params=self._params(pixelgrad_params), backend=self.backend)

    # -- serialisation ----------------------------------------------------------------------
    @classmethod
    def is_serializable(cls) -> bool:
        return True

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("transform", "backend")

    def get_transform_init_args(self) -> dict[str, Any]:
        """``{"transform": transform.to_dict(), "backend": backend}``.

        Returns
        -------
        dict
            The constructor arguments, JSON / YAML-able.

        Raises
        ------
        ValueError
            The pixelgrad transform (or a child) is of a class that
            :data:`pixelgrad.augment.REGISTRY` cannot rebuild.
        """
        missing = _unserialisable(self.transform)
        if missing:
            bad_value(type(self).__name__, "transform", "made of transforms registered with "
                      "pixelgrad.augment.register to be serialised (or replayed by ReplayCompose)",
                      f"unregistered {', '.join(missing)}")
        return {"transform": self.transform.to_dict(), "backend": self.backend}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transform!r}, p={self.p}, backend={self.backend!r})"  # type: ignore[attr-defined]


class PixelgradImageOnlyTransform(_Pixelgrad, _A.ImageOnlyTransform):
    """A photometric pixelgrad transform as an ``albumentations.ImageOnlyTransform``.

    Built by :func:`to_albumentations`; see the module docstring for randomness, replay and
    serialisation. Masks, boxes and keypoints pass through unchanged.

    Parameters
    ----------
    transform : pixelgrad.augment.Transform or dict
        The transform, or its ``to_dict()`` form (as serialisation stores it).
    p : float
        albumentations' probability of applying it (the pixelgrad transform's own ``p``
        still applies inside).
    backend : str
        ``auto`` | ``torch`` | ``opencv`` | ``triton``, for the functional ops.

    Examples
    --------
    >>> import albumentations as A, numpy as np
    >>> from pixelgrad import augment as pa
    >>> t = PixelgradImageOnlyTransform(pa.RandomGradient())
    >>> out = A.Compose([t], seed=0)(image=np.full((8, 8, 3), 128, np.uint8))
    >>> out["image"].dtype, out["image"].shape
    (dtype('uint8'), (8, 8, 3))
    """


class PixelgradDualTransform(_Pixelgrad, _A.DualTransform):
    """A pixelgrad transform holding a geometric one as an ``albumentations.DualTransform``.

    Built by :func:`to_albumentations`. Masks are warped by nearest neighbour, boxes become
    the enclosing box of their moved corners (albumentations clips and filters them
    afterwards), keypoints move with the image (``x``, ``y``; the angle column turns with the
    map, the scale column is scaled by how much it stretches that direction).

    Parameters
    ----------
    transform : pixelgrad.augment.Transform or dict
        The transform, or its ``to_dict()`` form.
    p : float
        albumentations' probability of applying it.
    backend : str
        ``auto`` | ``torch`` | ``opencv`` | ``triton``, for the functional ops.

    Examples
    --------
    >>> import albumentations as A, numpy as np
    >>> from pixelgrad import augment as pa
    >>> t = PixelgradDualTransform(pa.RandomShear(sx=0.5))
    >>> pipe = A.Compose([t], bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]), seed=0)
    >>> out = pipe(image=np.zeros((8, 8, 3), np.uint8), bboxes=[[2, 2, 4, 4]], labels=["cat"])
    >>> [list(map(float, b)) for b in out["bboxes"]], out["labels"]
    ([[1.0, 2.0, 4.0, 4.0]], ['cat'])
    """

    def _steps(self, pixelgrad_params: list[dict[str, Any]]):
        return geometric_steps(self.transform, self._params(pixelgrad_params), type(self).__name__)

    def apply_to_mask(self, mask: np.ndarray, pixelgrad_params: list[dict[str, Any]] | None = None,
                      **params: Any) -> np.ndarray:
        """Warp a ``(H, W)`` or ``(H, W, C)`` mask by nearest neighbour (values kept).

        Parameters
        ----------
        mask : numpy.ndarray
            The mask.
        pixelgrad_params : list of dict
            The call's draw.
        **params :
            albumentations' other parameters (ignored).

        Returns
        -------
        numpy.ndarray
            The moved mask, same shape and dtype.
        """
        steps = self._steps(pixelgrad_params or [])
        return move_mask(mask, steps, tuple(mask.shape[:2]), type(self).__name__, channels_last=True)

    def apply_to_bboxes(self, bboxes: np.ndarray, pixelgrad_params: list[dict[str, Any]] | None = None,
                        shape: Any = None, **params: Any) -> np.ndarray:
        """Move albumentations' internal boxes (normalised ``x_min, y_min, x_max, y_max``, extra
        columns after) to the enclosing box of their moved corners, unclipped.

        Parameters
        ----------
        bboxes : numpy.ndarray
            ``(N, 4 + k)`` boxes.
        pixelgrad_params : list of dict
            The call's draw.
        shape : tuple
            The image's shape.
        **params :
            albumentations' other parameters (ignored).

        Returns
        -------
        numpy.ndarray
            The moved boxes, same shape and dtype (albumentations clips and filters them).
        """
        if bboxes.size == 0:
            return bboxes
        H, W = int(shape[0]), int(shape[1])
        scale = torch.tensor([W, H, W, H], dtype=torch.float64)
        b = torch.from_numpy(np.asarray(bboxes[:, :4], dtype=np.float64)) * scale
        for tr, values in self._steps(pixelgrad_params or []):
            b = enclosing_boxes_xyxy(b, tr.point_matrix(values, (H, W)))
        out = bboxes.copy()
        out[:, :4] = (b / scale).numpy()
        return out

    def apply_to_keypoints(self, keypoints: np.ndarray, pixelgrad_params: list[dict[str, Any]] | None = None,
                           shape: Any = None, **params: Any) -> np.ndarray:
        """Move albumentations' internal keypoints (``x, y, z, angle, scale``, extra columns
        after; ``x, y`` pixel indices, ``(j, i)`` the centre of pixel ``(i, j)``).

        Parameters
        ----------
        keypoints : numpy.ndarray
            ``(N, 5 + k)`` keypoints.
        pixelgrad_params : list of dict
            The call's draw.
        shape : tuple
            The image's shape.
        **params :
            albumentations' other parameters (ignored).

        Returns
        -------
        numpy.ndarray
            The moved keypoints, same shape and dtype (albumentations drops those outside
            the image when ``remove_invisible``).
        """
        if keypoints.size == 0:
            return keypoints
        H, W = int(shape[0]), int(shape[1])
        k = torch.from_numpy(np.asarray(keypoints, dtype=np.float64))
        p = k[:, :2] + 0.5
        has_angle = k.shape[1] >= 5
        if has_angle:
            angle, size = k[:, 3].clone(), k[:, 4].clone()
        for tr, values in self._steps(pixelgrad_params or []):
            m = tr.point_matrix(values, (H, W))
            p = p @ m[:2, :2].T + m[:2, 2]
            if has_angle:
                d = torch.stack([angle.cos(), angle.sin()], 1) @ m[:2, :2].T
                angle = torch.atan2(d[:, 1], d[:, 0]) % (2 * torch.pi)
                size = size * d.norm(dim=1)
        out = keypoints.copy()
        out[:, :2] = (p - 0.5).numpy()
        if has_angle:
            out[:, 3], out[:, 4] = angle.numpy(), size.numpy()
        return out


def to_albumentations(transform: Transform, p: float = 1.0, backend: str = "auto"):
    """Wrap a pixelgrad transform as a real albumentations transform.

    Parameters
    ----------
    transform : pixelgrad.augment.Transform
        The transform (a leaf or a ``Compose`` / ``OneOf`` / ``RandomApply``).
    p : float
        albumentations' probability of applying it, in [0, 1] (default 1.0: the pixelgrad
        transform's own ``p`` already gates it).
    backend : str
        ``auto`` | ``torch`` | ``opencv`` | ``triton``, for the functional ops.

    Returns
    -------
    PixelgradImageOnlyTransform or PixelgradDualTransform
        An ``A.ImageOnlyTransform`` for a photometric transform; an ``A.DualTransform`` that
        moves masks, boxes and keypoints when ``transform`` holds a geometric one.

    Raises
    ------
    TypeError
        ``transform`` is not a pixelgrad transform.
    ValueError
        ``p`` outside [0, 1], an unknown ``backend``.

    Notes
    -----
    Inside ``A.Compose(..., seed=s)`` the pixelgrad draws come from albumentations' random
    state, so ``s`` reproduces the run; ``A.ReplayCompose`` records JSON-able parameters and
    replays them exactly; ``A.to_dict`` / ``A.from_dict`` round-trip registered transforms.

    Examples
    --------
    >>> import albumentations as A, numpy as np
    >>> from pixelgrad import augment as pa
    >>> img = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    >>> pipe = A.Compose([A.HorizontalFlip(p=0.5), pa.to_albumentations(pa.RandomGaussianBlur())], seed=7)
    >>> a = pipe(image=img)["image"]
    >>> b = A.Compose([A.HorizontalFlip(p=0.5), pa.to_albumentations(pa.RandomGaussianBlur())], seed=7)(image=img)["image"]
    >>> a.dtype, bool((a == b).all())
    (dtype('uint8'), True)
    >>> back = A.from_dict(A.to_dict(pipe))          # serialisation round trip
    >>> back.transforms[1].transform.to_dict() == pipe.transforms[1].transform.to_dict()
    True
    """
    t = _as_transform(transform, _FN)
    cls = PixelgradDualTransform if _has_geometric(t) or t.kind == "geometric" else PixelgradImageOnlyTransform
    return cls(t, p=parse_p(p, _FN), backend=backend)


__all__ = ["to_albumentations", "PixelgradImageOnlyTransform", "PixelgradDualTransform"]
