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
    return isinstance(x, (tuple, list, dict))


def _is_pil(x: Any) -> bool:
    return type(x).__module__.startswith("PIL.") and hasattr(x, "mode")


def is_label(v: Any) -> bool:
    """A class label / score: a Python number or a plain 0-d / 1-d tensor or array."""
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    if isinstance(v, (torch.Tensor, np.ndarray)) and _tv_kind(v) is None:
        return v.ndim <= 1
    return False


_FASTAI_IMAGES = ("TensorImage", "TensorImageBW")


def check_fastai(x: Any, name: str) -> None:
    """A fastai target tensor (``TensorCategory``, ``TensorMask``, ...) means the transform sits
    in fastai's ``batch_tfms`` unwrapped: fastai then calls it on every element of the batch
    (labels, masks) and on the validation set too. Refuse, naming the adapter."""
    if isinstance(x, torch.Tensor) and type(x).__module__.startswith("fastai.") \
            and type(x).__name__ not in _FASTAI_IMAGES:
        from .._errors import bad_type

        bad_type(name, "x", "an image: fastai passed a " + type(x).__name__ + ", so this transform "
                 "is used unwrapped in batch_tfms; wrap it with pixelgrad.augment.to_fastai(transform) "
                 "(it transforms TensorImage batches only, on the training set)", x)


def is_lone_target(x: Any) -> bool:
    """A single tv_tensor that is not an image (``Mask``, ``BoundingBoxes``, ``KeyPoints``)."""
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


def _as_clips(leaf: Any, name: str):
    """``(batch, clips, T)``: the leaf as a ``(B, C, H, W)`` batch and, for a tv ``Video``
    ``(..., T, C, H, W)``, its number of clips and frames per clip (``T = 1`` otherwise)."""
    batch = to_batch(leaf, name, allow_empty=True)
    if _tv_kind(leaf) == "Video" and leaf.ndim >= 4:
        T = leaf.shape[-4]
        return batch, (batch.batch_size // T if T else 0), T
    return batch, batch.batch_size, 1


def run_images(t, leaf: Any, generator, seed, params, name: str):
    """Transform one image-like leaf (one draw per image, per clip for a Video); returns
    ``(out, params)`` with ``params`` for ``clips`` samples."""
    batch, clips, T = _as_clips(leaf, name)
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
    """A lone ``Mask`` / ``BoundingBoxes``: untouched by photometric transforms (parameters
    are drawn for an empty batch); geometric ones refuse it."""
    name = t.type_name
    if t.kind == "geometric" or _has_geometric(t):
        bad_value(name, "x", "an image: geometric transforms do not move boxes or masks yet",
                  type(x).__name__)
    if params is None:
        params = t.draw(torch.Size((0, 1, 1, 1)), _rng(t, 0, generator, seed))
    return x, params


def run_structure(t, x: Any, generator, seed, params):
    leaves, spec = tree_flatten(x)
    out, params = _apply_to_images(t, leaves, _image_positions(leaves), generator, seed, params)
    return tree_unflatten(out, spec), params


def run_targets(t, targets: dict, generator, seed, params):
    """albumentations style: ``image=`` is transformed, other targets are returned as given."""
    keys = list(targets)
    leaves = [targets[k] for k in keys]
    out, params = _apply_to_images(t, leaves, [keys.index("image")], generator, seed, params)
    return dict(zip(keys, out)), params
