"""Input containers beyond a plain tensor / numpy image, without importing torchvision.

* torchvision ``tv_tensors``: an ``Image`` comes back as an ``Image``. In a tuple / list / dict
  (``(img, target)``, ``{"image": ..., "boxes": ...}``), the images are transformed with one
  draw of parameters (the same for every image, as torchvision v2 does) and every other leaf
  (``BoundingBoxes``, ``Mask``, labels, strings) is returned untouched by photometric
  transforms; geometric ones (``RandomShear``) refuse boxes and masks instead of silently
  misaligning them. As in torchvision v2, when the structure holds no ``tv_tensors.Image``
  the first plain tensor (or numpy array) is the image.
* albumentations style: ``t(image=img, mask=m)`` returns ``{"image": out, "mask": m}``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils._pytree import tree_flatten, tree_unflatten

from .._errors import bad_value
from .._interop import to_batch


def _tv_kind(obj: Any) -> str | None:
    """The torchvision tv_tensor class name of ``obj`` ('Image', 'Mask', ...), else None."""
    mod = type(obj).__module__
    if mod.startswith("torchvision.tv_tensors") or mod.startswith("torchvision.datapoints"):
        return type(obj).__name__
    return None


def is_structure(x: Any) -> bool:
    return isinstance(x, (tuple, list, dict))


def rewrap(out: Any, like: Any) -> Any:
    """Give ``out`` the tv_tensor / fastai tensor subclass of ``like`` (if any)."""
    if isinstance(like, torch.Tensor) and type(like) is not torch.Tensor and isinstance(out, torch.Tensor):
        if _tv_kind(like) is not None:
            from torchvision import tv_tensors  # only reached when torchvision is already in use

            return tv_tensors.wrap(out.as_subclass(torch.Tensor), like=like)
        return out.as_subclass(type(like))
    return out


def _plain(x: Any) -> Any:
    return x.as_subclass(torch.Tensor) if isinstance(x, torch.Tensor) and type(x) is not torch.Tensor else x


def _image_positions(leaves: list) -> list[int]:
    tv_images = [i for i, v in enumerate(leaves) if _tv_kind(v) in ("Image", "Video")]
    if tv_images:
        return tv_images
    for i, v in enumerate(leaves):
        if (isinstance(v, torch.Tensor) and _tv_kind(v) is None) or isinstance(v, np.ndarray):
            return [i]
    return []


def _apply_to_images(t, leaves: list, pos: list[int], generator, seed, params):
    name = t.type_name
    if not pos:
        bad_value(name, "x", "a structure holding at least one image (tv_tensors.Image, a "
                  "tensor or a numpy array)", [type(v).__name__ for v in leaves])
    if t.kind == "geometric" or _has_geometric(t):
        others = [type(v).__name__ for i, v in enumerate(leaves)
                  if i not in pos and (isinstance(v, (torch.Tensor, np.ndarray)))]
        if others:
            bad_value(name, "x", "only images: geometric transforms do not move boxes or "
                      "masks yet, and would misalign them", others)
    out = list(leaves)
    for k, i in enumerate(pos):
        batch = to_batch(_plain(leaves[i]), name)
        y, params = t.run_batch(batch.data, generator if k == 0 else None,
                                seed if k == 0 else None, params)
        out[i] = rewrap(batch.restore(y), leaves[i])
    return out, params


def _has_geometric(t) -> bool:
    return any(getattr(m, "kind", None) == "geometric" for m in t.modules())


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
