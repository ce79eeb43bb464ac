"""The one base class of every random transform: input handling, ``p``, draw, replay.

A leaf transform only says which parameters it draws (:meth:`Transform.sample`) and which
functional op applies them (:meth:`Transform.apply_params`); containers (Compose, OneOf, RandomApply)
override :meth:`Transform.draw` and :meth:`Transform.replay`. Everything else (generators,
seeds, per-sample ``p``, replay, return_params, the input containers) lives here once.
"""
from __future__ import annotations

import inspect
import math
import warnings
from numbers import Real
from typing import Any

import numpy as np
import torch
from torch import nn

from .._errors import bad_type, bad_value, check_choice
from ..functional import _scope
from . import _adapters
from ._params import Params
from ._rng import Rng


# ------------------------------------------------------------------------- argument parsing
def parse_range(value: Any, name: str, arg: str, *, low: float | None = None,
                high: float | None = None, low_open: bool = False) -> tuple[float, float]:
    """Validate a transform's range argument: a number ``v`` (-> ``(v, v)``) or a pair ``(lo, hi)``.

    Parameters
    ----------
    value : float or (float, float)
        The argument as given.
    name : str
        The transform's name, for the error message.
    arg : str
        The argument's name, for the error message.
    low, high : float, optional
        Bounds the range must lie within.
    low_open : bool
        ``low`` itself is excluded.

    Returns
    -------
    tuple of float
        ``(lo, hi)`` with ``lo <= hi``, finite.

    Raises
    ------
    TypeError
        Neither a number nor a pair of numbers (bools are refused).
    ValueError
        Not finite, ``lo > hi`` or outside the bounds.

    Examples
    --------
    >>> parse_range(0.5, "T", "alpha"), parse_range([0, 1], "T", "alpha", low=0.0)
    ((0.5, 0.5), (0.0, 1.0))
    >>> parse_range((2, 1), "T", "alpha")
    Traceback (most recent call last):
    ...
    ValueError: T: argument `alpha` must be finite with low <= high, got tuple (2, 1)
    """
    if isinstance(value, Real) and not isinstance(value, bool):
        lo = hi = float(value)
    elif (isinstance(value, (tuple, list)) and len(value) == 2 and
          all(isinstance(v, Real) and not isinstance(v, bool) for v in value)):
        lo, hi = float(value[0]), float(value[1])
    else:
        bad_type(name, arg, "a number or a (low, high) pair", value)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        bad_value(name, arg, "finite with low <= high", value)
    if low is not None and (lo < low or (low_open and lo <= low)):
        bad_value(name, arg, f"{'>' if low_open else '>='} {low}", value)
    if high is not None and hi > high:
        bad_value(name, arg, f"<= {high}", value)
    return lo, hi


def parse_p(p: Any, name: str) -> float:
    """Validate a probability argument ``p``.

    Parameters
    ----------
    p : float
        The probability as given.
    name : str
        The transform's name, for the error message.

    Returns
    -------
    float
        ``p`` as a float in [0, 1].

    Raises
    ------
    ValueError
        Not a number in [0, 1] (bools are refused).

    Examples
    --------
    >>> parse_p(1, "T")
    1.0
    """
    if isinstance(p, bool) or not isinstance(p, Real) or not 0.0 <= float(p) <= 1.0:
        bad_value(name, "p", "a probability in [0, 1]", p)
    return float(p)


def _plain(v: Any) -> Any:
    """Config value -> JSON/YAML-able (tuples become lists)."""
    if isinstance(v, (tuple, list)):
        return [_plain(u) for u in v]
    return v


def _overrides_old_apply(fn: Any) -> bool:
    """``fn`` (a subclass's ``apply``) is the transform op of old, not an override of
    ``nn.Module.apply(self, fn)``."""
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return names[1:] != ["fn"]


# ------------------------------------------------------------------------- base class
#: Input types that are one image, never a structure or a target (the fast call of forward)
_PLAIN = (np.ndarray, torch.Tensor)


class Transform(nn.Module):
    """Base of every pixelgrad random transform (see :mod:`pixelgrad.augment`).

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform, in [0, 1].

    Attributes
    ----------
    kind : str
        ``"photometric"`` transforms leave boxes / keypoints / masks alone; ``"geometric"``
        ones move them with the image (:meth:`point_matrix`, :meth:`warp_mask`).

    Raises
    ------
    ValueError
        ``p`` outside [0, 1].

    Notes
    -----
    Call: ``y = t(x, generator=None, seed=None)``; ``y, params = t(x, return_params=True)``;
    replay ``y = t(x, params=params)``. ``x``: ``(..., C, H, W)`` tensor, numpy ``(H, W[, C])``,
    torchvision ``tv_tensors.Image`` or a tuple / list / dict holding images (and boxes,
    keypoints, masks, labels), or keyword ``image=`` (albumentations style, with ``mask=``,
    ``masks=``, ``bboxes=``, ``keypoints=`` and label fields; returns a dict). ``backend=``
    (``auto`` | ``torch`` | ``opencv`` | ``triton``) selects the functional ops' backend.
    ``bbox_params=`` / ``keypoint_params=`` (a dict or albumentations' ``BboxParams`` /
    ``KeypointParams``: ``format``, ``label_fields``, ``min_visibility``, ``min_area``,
    ``remove_invisible``) say how boxes and keypoints without a torchvision type are read.

    A geometric transform moves every target with the image (the same per-sample map):
    boxes become the enclosing box of their moved corners, clipped to the image; keypoints
    move (extra columns kept); masks are warped with nearest-neighbour sampling. Boxes that
    leave the image are kept degenerate in torchvision containers and dropped (with their
    label fields) in the albumentations keyword style, as each library does. A target it
    cannot move raises a ``ValueError`` naming it, in every container.

    A leaf transform overrides ``sample(shape, rng)`` (draw the per-sample parameters),
    ``apply_params(x, **values)`` (the functional op) and ``config()`` (constructor
    arguments); the per-sample gate is always drawn first. ``apply`` is
    :meth:`torch.nn.Module.apply` (``t.apply(fn)`` calls ``fn`` on every submodule), as on
    any module; a subclass written when the op was named ``apply(x, **values)`` still works,
    with a ``DeprecationWarning`` when the class is defined.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelgrad import augment as A
    >>> t = A.RandomGradient(p=0.5)
    >>> t(np.zeros((8, 8, 3), np.uint8), seed=0).shape
    (8, 8, 3)
    >>> t.to_dict()["type"], t.kind
    ('RandomGradient', 'photometric')
    """

    #: "photometric" transforms leave boxes / keypoints / masks alone; "geometric" ones move them
    kind = "photometric"
    #: whether :meth:`replay` checks the batch for NaN / inf itself, in the pass that reads it
    #: (then the caller does not check it first); a class attribute, so reading it never
    #: goes through ``nn.Module.__getattr__``
    checks_finite = False

    def __init__(self, p: float = 1.0):
        super().__init__()
        self.p = parse_p(p, type(self).__name__)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Route a subclass's old-style ``apply(x, **values)`` to :meth:`apply_params` (warns)."""
        super().__init_subclass__(**kwargs)
        old = cls.__dict__.get("apply")
        if old is not None and "apply_params" not in cls.__dict__ and _overrides_old_apply(old):
            warnings.warn(f"{cls.__qualname__}.apply(x, **values): a transform's op is now named "
                          "apply_params (apply is torch.nn.Module.apply(fn)); rename the method. "
                          f"{cls.__qualname__}.apply is used as its apply_params meanwhile",
                          DeprecationWarning, stacklevel=2)
            cls.apply_params = old  # type: ignore[method-assign]

    # -- leaf API (override) ------------------------------------------------------------
    def sample(self, shape: torch.Size, rng: Rng) -> dict[str, torch.Tensor]:
        """Draw the per-sample parameters for a batch of ``shape = (B, C, H, W)``."""
        raise NotImplementedError

    def apply_params(self, x: torch.Tensor, **values: torch.Tensor) -> torch.Tensor:
        """Apply drawn parameters (``(k, ...)`` CPU tensors) to ``x`` ``(k, C, H, W)``.

        Formerly ``apply``, which is :meth:`torch.nn.Module.apply` (see the class docstring).
        """
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """Constructor arguments (``to_dict`` without ``type``)."""
        raise NotImplementedError

    # -- geometric leaf API (override when ``kind = "geometric"``) -----------------------
    def point_matrix(self, values: dict[str, torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        """The ``(3, 3)`` float64 map of one sample's drawn ``values`` on continuous image
        coordinates (pixel corner at 0, pixel ``(i, j)`` centred at ``(j + 0.5, i + 0.5)``)
        for an image of ``size = (H, W)``: it moves boxes and keypoints."""
        raise NotImplementedError

    def warp_mask(self, m: torch.Tensor, values: dict[str, torch.Tensor]) -> torch.Tensor:
        """Warp a ``(..., H, W)`` mask of any dtype like :meth:`apply_params` warps the image, with
        nearest-neighbour sampling, for one sample's drawn ``values``."""
        raise NotImplementedError

    def check_limits(self) -> None:
        """Refuse ranges whose extreme values the op itself would refuse (override).

        The constructor checks each range on its own (bounds, low <= high); some ops also
        limit a combination of values (a rotated Gaussian kernel of at most 2^24 weights).
        A transform with such a limit overrides this hook to check the worst value its
        ranges can draw against the op's own limit, so that a pipeline that would fail on
        images is refused when it is built (:func:`pixelgrad.augment.from_dict` and
        :func:`pixelgrad.augment.load` call it on every transform they build), not on
        every image. The default checks nothing.

        Raises
        ------
        ValueError
            Naming the transform, the argument, what the op accepts and the range given.

        Examples
        --------
        >>> from pixelgrad import augment as A
        >>> A.RandomGradient().check_limits()            # nothing beyond the constructor's checks
        """

    # -- generic machinery ------------------------------------------------------------
    @property
    def available_keys(self) -> set[str]:
        """albumentations' ``Compose`` reads this of its children: an unwrapped pixelgrad
        transform there raises a ``TypeError`` naming ``to_albumentations`` (not an
        ``AttributeError`` about ``available_keys``)."""
        bad_type(self.type_name, "transform", "wrapped with pixelgrad.augment.to_albumentations(t) to "
                 "run inside an albumentations pipeline", self)

    @property
    def type_name(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        """``{"type": <class name>, **constructor arguments}``, JSON / YAML-able."""
        return {"type": self.type_name, **{k: _plain(v) for k, v in self.config().items()}}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "transforms")

    def draw(self, shape: torch.Size, rng: Rng) -> Params:
        """Per-sample gate (``rand < p``, always drawn first) then :meth:`sample` (the gate
        is drawn with the first draw of ``sample``, in one ``torch.rand`` call)."""
        rng.defer_gate(self.p)
        values = self.sample(shape, rng)
        return Params(self.type_name, rng.take_gate(), values)

    def replay(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        """Apply ``params`` to the ``(B, C, H, W)`` batch ``x`` (samples not applied pass through)."""
        applied = params.applied
        flags = applied.tolist()          # one conversion instead of two reductions
        if not any(flags):
            return x
        if all(flags):
            return self.apply_params(x, **params.values)
        idx = applied.nonzero().flatten()
        out = x.clone()
        dev_idx = idx.to(x.device)
        out[dev_idx] = self.apply_params(x[dev_idx], **{k: v[idx] for k, v in params.values.items()})
        return out

    def check_params(self, params: Any, B: int) -> Params:
        if not isinstance(params, Params):
            bad_type(self.type_name, "params", "a Params object (from return_params=True)", params)
        if params.type != self.type_name or params.batch_size != B:
            bad_value(self.type_name, "params", f"the Params of a {self.type_name} for a batch of {B}",
                      f"Params of a {params.type} for a batch of {params.batch_size}")
        return params

    def run_batch(self, x4: torch.Tensor, generator: Any, seed: Any, params: Any) -> tuple[torch.Tensor, Params]:
        """Draw (or check) parameters for the ``(B, C, H, W)`` tensor ``x4`` and apply them."""
        if params is None:
            params = self.draw(x4.shape, Rng(x4.shape[0], generator, seed, self.type_name))
        else:
            if generator is not None or seed is not None:
                bad_value(self.type_name, "generator/seed", "omitted when `params` are replayed",
                          (generator, seed))
            params = self.check_params(params, x4.shape[0])
        return self.replay(x4, params), params

    def forward(self, *inputs: Any, generator: Any = None, seed: Any = None,
                params: Params | None = None, return_params: bool = False,
                backend: str = "auto", bbox_params: Any = None, keypoint_params: Any = None,
                **targets: Any):
        """See the class docstring. ``backend``: ``auto`` | ``torch`` | ``opencv`` |
        ``triton``, as for the functional ops (it becomes their ``backend="auto"``; with
        ``triton`` a :class:`~pixelgrad.augment.Compose` also fuses a blur followed by an
        illumination transform into one kernel). ``bbox_params`` / ``keypoint_params``: how
        boxes and keypoints without a torchvision type are read (see the class docstring)."""
        if (len(inputs) == 1 and not targets and params is None and not return_params and backend == "auto"
                and bbox_params is None and keypoint_params is None and type(inputs[0]) in _PLAIN
                and _scope.effective("auto") == "auto"):
            # one plain image, the call of a DataLoader worker: what _forward would do, without
            # its container checks (a plain ndarray / Tensor is no structure, target or fastai type)
            return _adapters.run_images(self, inputs[0], generator, seed, None, self.type_name)[0]
        name = self.type_name
        backend = check_choice(backend, _scope.BACKENDS, name, "backend")
        if backend == "auto" and _scope.effective("auto") == "auto":    # no scope to set
            return self._forward(inputs, generator, seed, params, return_params, targets,
                                 bbox_params, keypoint_params)
        with _scope.backend_scope(backend):
            return self._forward(inputs, generator, seed, params, return_params, targets,
                                 bbox_params, keypoint_params)

    def _forward(self, inputs: tuple, generator: Any, seed: Any, params: Params | None,
                 return_params: bool, targets: dict, bbox_params: Any = None,
                 keypoint_params: Any = None):
        name = self.type_name
        spec = None
        if bbox_params is not None or keypoint_params is not None:
            spec = _adapters.TargetSpec(name, bbox_params, keypoint_params)
        # several positional inputs (torchvision v2's ``t(img, target)``) form one tuple
        x = inputs[0] if len(inputs) == 1 else (tuple(inputs) if inputs else None)
        _adapters.check_fastai(x, name)
        if x is None:
            if "image" not in targets:
                bad_value(name, "x", "an image (positional) or the keyword image=", None)
            out, params = _adapters.run_targets(self, targets, generator, seed, params, spec)
        elif targets:
            bad_value(name, "targets", "keywords (image=, mask=, ...) only without a positional x",
                      sorted(targets))
        elif _adapters.is_structure(x):
            out, params = _adapters.run_structure(self, x, generator, seed, params, spec)
        elif _adapters.is_lone_target(x):
            out, params = _adapters.run_lone_target(self, x, generator, seed, params, spec)
        else:
            out, params = _adapters.run_images(self, x, generator, seed, params, name)
        return (out, params) if return_params else out
