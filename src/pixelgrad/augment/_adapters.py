"""Input containers beyond a plain tensor / numpy image, without importing torchvision.

* torchvision ``tv_tensors``: an ``Image`` comes back as an ``Image``, a ``Video`` as a
  ``Video``. A ``Video`` ``(..., T, C, H, W)`` gets one draw of parameters per clip (all its
  ``T`` frames alike), not one per frame. In a tuple / list / dict (``(img, target)``,
  ``{"image": ..., "boxes": ...}``, ``{"img": Image, "vid": Video}``), the images and videos
  are transformed with one draw of parameters (the same for every image, as torchvision v2
  does) and every other leaf (``BoundingBoxes``, ``Mask``, labels, strings) is returned
  untouched by photometric transforms; geometric ones (``RandomShear``) refuse boxes and masks
  instead of silently misaligning them. A lone ``Mask`` / ``BoundingBoxes`` passes a
  photometric transform untouched, as in torchvision. Labels (Python numbers, 0-d and 1-d
  tensors) always pass through, also for geometric transforms (``t(img, torch.tensor(2))``).
  As in torchvision v2, when the structure holds no ``tv_tensors.Image`` / ``Video`` the first
  plain tensor (or numpy array, or PIL image) of at least 2 dims is the image.
* albumentations style: ``t(image=img, mask=m)`` returns ``{"image": out, "mask": m}``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils._pytree import tree_flatten, tree_unflatten

from .._errors import bad_value
from .._interop import to_batch
from ._rng import Rng


def _tv_kind(obj: Any) -> str | None:
    """The torchvision tv_tensor class name of ``obj`` ('Image', 'Mask', ...), else None."""
    mod = type(obj).__module__
    if mod.startswith("torchvision.tv_tensors") or mod.startswith("torchvision.datapoints"):
        return type(obj).__name__
    return None


def is_structure(x: Any) -> bool:
    """Whether ``x`` is a tuple, list or dict of leaves (images, targets, labels).

    Parameters
    ----------
    x : object
        The transform's positional input.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_structure((1, 2)), is_structure({"image": 0}), is_structure("img")
    (True, True, False)
    """
    return isinstance(x, (tuple, list, dict))


def _is_pil(x: Any) -> bool:
    return type(x).__module__.startswith("PIL.") and hasattr(x, "mode")


def is_label(v: Any) -> bool:
    """Whether ``v`` is a class label / score that always passes through.

    Parameters
    ----------
    v : object
        A leaf of the input structure.

    Returns
    -------
    bool
        True for a Python or numpy number and a plain (not tv_tensor) 0-d / 1-d tensor or array.

    Examples
    --------
    >>> import torch
    >>> is_label(3), is_label(torch.tensor([1, 2])), is_label(torch.zeros(3, 4, 4))
    (True, True, False)
    """
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    if isinstance(v, (torch.Tensor, np.ndarray)) and _tv_kind(v) is None:
        return v.ndim <= 1
    return False


_FASTAI_IMAGES = ("TensorImage", "TensorImageBW")


def check_fastai(x: Any, name: str) -> None:
    """Refuse a fastai target tensor (``TensorCategory``, ``TensorMask``, ...).

    Such an input means the transform sits unwrapped in fastai's ``batch_tfms``: fastai then
    calls it on every element of the batch (labels, masks) and on the validation set too.

    Parameters
    ----------
    x : object
        The transform's positional input.
    name : str
        The transform's name, for the error message.

    Raises
    ------
    TypeError
        ``x`` is a fastai tensor other than ``TensorImage`` / ``TensorImageBW``; the message
        names :func:`pixelgrad.augment.to_fastai`.

    Examples
    --------
    >>> import torch
    >>> check_fastai(torch.zeros(1, 3, 4, 4), "RandomGradient")     # plain tensors pass
    """
    if isinstance(x, torch.Tensor) and type(x).__module__.startswith("fastai.") \
            and type(x).__name__ not in _FASTAI_IMAGES:
        from .._errors import bad_type

        bad_type(name, "x", "an image: fastai passed a " + type(x).__name__ + ", so this transform "
                 "is used unwrapped in batch_tfms; wrap it with pixelgrad.augment.to_fastai(transform) "
                 "(it transforms TensorImage batches only, on the training set)", x)


def is_lone_target(x: Any) -> bool:
    """Whether ``x`` is a single torchvision tv_tensor that is not an image.

    Parameters
    ----------
    x : object
        The transform's positional input.

    Returns
    -------
    bool
        True for a lone ``Mask``, ``BoundingBoxes``, ``KeyPoints``.

    Examples
    --------
    >>> import torch
    >>> is_lone_target(torch.zeros(1, 4, 4))
    False
    """
    kind = _tv_kind(x)
    return kind is not None and kind not in ("Image", "Video")


def _image_positions(leaves: list) -> list[int]:
    tv_images = [i for i, v in enumerate(leaves) if _tv_kind(v) in ("Image", "Video")]
    if tv_images:
        return tv_images
    for i, v in enumerate(leaves):
        if ((isinstance(v, (torch.Tensor, np.ndarray)) and _tv_kind(v) is None and v.ndim >= 2)
                or _is_pil(v)):
            return [i]
    return []


def _as_clips(leaf: Any, name: str, check_finite: bool = True):
    """``(batch, clips, T)``: the leaf as a ``(B, C, H, W)`` batch and, for a tv ``Video``
    ``(..., T, C, H, W)``, its number of clips and frames per clip (``T = 1`` otherwise).
    ``check_finite=False`` leaves the NaN / inf check to the transform (see run_images)."""
    batch = to_batch(leaf, name, allow_empty=True, check_finite=check_finite)
    if _tv_kind(leaf) == "Video" and leaf.ndim >= 4:
        T = leaf.shape[-4]
        return batch, (batch.batch_size // T if T else 0), T
    return batch, batch.batch_size, 1


def run_images(t, leaf: Any, generator, seed, params, name: str):
    """Transform one image-like leaf.

    Parameters
    ----------
    t : Transform
        The transform being called.
    leaf : object
        A tensor, numpy array, PIL image or tv_tensor ``Image`` / ``Video``.
    generator, seed :
        As for the transform's call (only one of them; ``None`` for the global generator).
    params : Params or None
        Parameters to replay instead of drawing new ones.
    name : str
        The transform's name, for error messages.

    Returns
    -------
    tuple
        ``(out, params)``: ``out`` in the leaf's container; one draw per image, per clip for a
        ``Video`` ``(..., T, C, H, W)`` (all ``T`` frames alike), so ``params`` covers the clips.

    Raises
    ------
    ValueError
        ``generator`` / ``seed`` given together with ``params``, or ``params`` of another
        transform or batch size.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelgrad import augment as A
    >>> out, params = run_images(A.RandomGradient(), np.zeros((8, 8, 3), np.uint8), None, 0, None, "doc")
    >>> out.shape, params.batch_size
    ((8, 8, 3), 1)
    """
    # a transform whose replay checks the whole batch for NaN / inf in the pass that reads
    # it (``checks_finite``, the illumination transforms) is not given a checked batch
    batch, clips, T = _as_clips(leaf, name, check_finite=not getattr(t, "checks_finite", False))
    x4 = batch.data
    if T == 1:
        y, params = t.run_batch(x4, generator, seed, params)
        return batch.restore(y), params
    frames = torch.arange(clips).repeat_interleave(T)          # frame -> its clip
    if params is None:
        params = t.draw(torch.Size((clips, *x4.shape[1:])), _rng(t, clips, generator, seed))
    else:
        if generator is not None or seed is not None:
            bad_value(name, "generator/seed", "omitted when `params` are replayed", (generator, seed))
        params = t.check_params(params, clips)
    return batch.restore(t.replay(x4, params.subset(frames))), params


def _rng(t, B: int, generator, seed) -> Rng:
    return Rng(B, generator, seed, t.type_name)


def _apply_to_images(t, leaves: list, pos: list[int], generator, seed, params):
    name = t.type_name
    if not pos:
        bad_value(name, "x", "a structure holding at least one image (tv_tensors.Image / Video, "
                  "a tensor, a numpy array or a PIL image)", [type(v).__name__ for v in leaves])
    if t.kind == "geometric" or _has_geometric(t):
        others = [type(v).__name__ for i, v in enumerate(leaves)
                  if i not in pos and isinstance(v, (torch.Tensor, np.ndarray)) and not is_label(v)]
        if others:
            bad_value(name, "x", "only images and labels: geometric transforms do not move "
                      "boxes or masks yet, and would misalign them", others)
    out = list(leaves)
    for k, i in enumerate(pos):
        out[i], params = run_images(t, leaves[i], generator if k == 0 else None,
                                    seed if k == 0 else None, params, name)
    return out, params


def _has_geometric(t) -> bool:
    return any(getattr(m, "kind", None) == "geometric" for m in t.modules())


def run_lone_target(t, x: Any, generator, seed, params):
    """A lone ``Mask`` / ``BoundingBoxes``: untouched by photometric transforms.

    Parameters
    ----------
    t : Transform
        The transform being called.
    x : object
        The lone target.
    generator, seed :
        As for the transform's call (only one of them; ``None`` for the global generator).
    params : Params or None
        Parameters to replay instead of drawing new ones.

    Returns
    -------
    tuple
        ``(x, params)``: ``x`` unchanged; ``params`` drawn for an empty batch (or those given).

    Raises
    ------
    ValueError
        ``t`` is (or contains) a geometric transform, which would misalign the target.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> m = torch.zeros(1, 4, 4)
    >>> out, params = run_lone_target(A.RandomGradient(), m, None, 0, None)
    >>> out is m, params.batch_size
    (True, 0)
    """
    name = t.type_name
    if t.kind == "geometric" or _has_geometric(t):
        bad_value(name, "x", "an image: geometric transforms do not move boxes or masks yet",
                  type(x).__name__)
    if params is None:
        params = t.draw(torch.Size((0, 1, 1, 1)), _rng(t, 0, generator, seed))
    return x, params


def run_structure(t, x: Any, generator, seed, params):
    """Transform the images of a tuple / list / dict, passing every other leaf through.

    Parameters
    ----------
    t : Transform
        The transform being called.
    x : tuple, list or dict
        The structure (e.g. ``(img, target)`` or ``{"image": ..., "boxes": ...}``).
    generator, seed :
        As for the transform's call (only one of them; ``None`` for the global generator).
    params : Params or None
        Parameters to replay instead of drawing new ones.

    Returns
    -------
    tuple
        ``(out, params)``: the same structure with the images transformed by one draw of
        parameters (the same for every image, as torchvision v2 does).

    Raises
    ------
    ValueError
        No image in the structure, or boxes / masks given to a geometric transform.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> (img, label), _ = run_structure(A.RandomGradient(alpha=0.5), (torch.zeros(3, 8, 8), 7), None, 0, None)
    >>> bool(img.abs().sum() > 0), label
    (True, 7)
    """
    leaves, spec = tree_flatten(x)
    out, params = _apply_to_images(t, leaves, _image_positions(leaves), generator, seed, params)
    return tree_unflatten(out, spec), params


def run_targets(t, targets: dict, generator, seed, params):
    """albumentations style: ``image=`` is transformed, the other targets are returned as given.

    Parameters
    ----------
    t : Transform
        The transform being called.
    targets : dict
        The keyword inputs; must hold ``image``.
    generator, seed :
        As for the transform's call (only one of them; ``None`` for the global generator).
    params : Params or None
        Parameters to replay instead of drawing new ones.

    Returns
    -------
    tuple
        ``(dict of the same keys, params)``.

    Raises
    ------
    ValueError
        Boxes / masks given to a geometric transform.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelgrad import augment as A
    >>> m = np.ones((8, 8), np.uint8)
    >>> out, _ = run_targets(A.RandomGradient(), {"image": np.zeros((8, 8, 3), np.uint8), "mask": m}, None, 0, None)
    >>> sorted(out), out["mask"] is m
    (['image', 'mask'], True)
    """
    keys = list(targets)
    leaves = [targets[k] for k in keys]
    out, params = _apply_to_images(t, leaves, [keys.index("image")], generator, seed, params)
    return dict(zip(keys, out)), params
