"""Move between the user's image container and the internal ``(B, C, H, W)`` tensor.

Accepted inputs
---------------
* ``torch.Tensor`` of shape ``(..., C, H, W)`` (any number of leading batch dims, or none;
  a 2-D ``(H, W)`` tensor is treated as one gray plane).
* ``numpy.ndarray`` of shape ``(H, W)`` or ``(H, W, C)`` (OpenCV / scikit-image layout).

``to_batch`` returns a :class:`Batch` holding a 4-D ``(B, C, H, W)`` tensor *view* of the
input (no copy for numpy: ``torch.from_numpy`` then a permute) and the recipe to give the
result back in the caller's container, shape and dtype. Functions never write into it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import torch

from ._errors import bad_type, bad_value

ImageLike = Union[torch.Tensor, np.ndarray]

SUPPORTED_DTYPES = (torch.uint8, torch.float16, torch.bfloat16, torch.float32, torch.float64)
_NUMPY_DTYPES = (np.uint8, np.float16, np.float32, np.float64)


@dataclass
class Batch:
    """A validated image batch.

    Attributes:
        data: ``(B, C, H, W)`` tensor, the caller's memory (never written to).
        is_numpy: whether the caller passed a numpy array.
        numpy_ndim: 2 for ``(H, W)``, 3 for ``(H, W, C)`` numpy input.
        lead_shape: the caller's leading batch dims for tensors (``()`` for ``(C, H, W)``).
        tensor_ndim: ndim of the caller's tensor.
    """

    data: torch.Tensor
    is_numpy: bool
    numpy_ndim: int
    lead_shape: tuple
    tensor_ndim: int
    numpy_dtype: Any = None          # the caller's numpy dtype when not native-endian

    @property
    def batch_size(self) -> int:
        return self.data.shape[0]

    def restore(self, out: torch.Tensor) -> ImageLike:
        """Give ``out`` (``(B, C, H, W)``, same dtype as the input) back in the caller's layout."""
        if self.is_numpy:
            arr = out[0].permute(1, 2, 0) if self.numpy_ndim == 3 else out[0, 0]
            res = np.ascontiguousarray(arr.detach().cpu().numpy())
            return res if self.numpy_dtype is None else res.astype(self.numpy_dtype)
        if self.tensor_ndim == 2:
            return out[0, 0]
        return out.reshape(*self.lead_shape, *out.shape[1:])


def to_batch(x: Any, fn: str, arg: str = "x") -> Batch:
    """Validate ``x`` and view it as ``(B, C, H, W)``; see the module docstring."""
    if isinstance(x, np.ndarray):
        if x.ndim not in (2, 3):
            bad_value(fn, arg, "a numpy image of shape (H, W) or (H, W, C)", x)
        if x.dtype.type not in _NUMPY_DTYPES:
            bad_value(fn, arg, "uint8, float16, float32 or float64", x)
        if x.size == 0:
            bad_value(fn, arg, "a non-empty image", x)
        given = x
        if not x.dtype.isnative:
            x = x.astype(x.dtype.newbyteorder("="))  # e.g. big-endian FITS data; torch refuses it
        if any(st < 0 for st in x.strides) or not x.flags.writeable:
            x = np.array(x, order="C", copy=True)  # torch.from_numpy refuses negative strides / read-only
        t = torch.from_numpy(np.asarray(x))
        t = t[None, None] if x.ndim == 2 else t.permute(2, 0, 1)[None]
        _check_float_finite(t, fn, arg, given)
        return Batch(t, True, x.ndim, (), 0, None if given.dtype.isnative else given.dtype)
    if not isinstance(x, torch.Tensor):
        bad_type(fn, arg, "a torch.Tensor (..., C, H, W) or a numpy array (H, W[, C])", x)
    if x.layout != torch.strided:
        bad_value(fn, arg, "a dense (strided) tensor; call .to_dense() first", x)
    if x.ndim < 2:
        bad_value(fn, arg, "a tensor with at least 2 dims (..., C, H, W)", x)
    if x.dtype not in SUPPORTED_DTYPES:
        bad_value(fn, arg, "of dtype uint8, float16, bfloat16, float32 or float64", x)
    if x.numel() == 0:
        bad_value(fn, arg, "a non-empty tensor (empty batch or zero-size image)", x)
    if x.ndim == 2:
        data = x[None, None]
        lead: tuple = ()
    else:
        lead = tuple(x.shape[:-3])
        data = x.reshape(-1, *x.shape[-3:]) if x.ndim != 4 else x
    _check_float_finite(data, fn, arg, x)
    return Batch(data, False, 0, lead, x.ndim)


def _check_float_finite(t: torch.Tensor, fn: str, arg: str, given: Any = None) -> None:
    """Reject NaN / inf. One fast reduction: the sum is finite whenever every value is
    (a finite sum that overflows only sends us to the exact, slower check)."""
    if not t.is_floating_point() or t.device.type == "meta":
        return
    with torch.no_grad():
        total = t.sum(dtype=torch.float64 if t.dtype == torch.float64 else torch.float32)
        if bool(torch.isfinite(total)) or bool(torch.isfinite(t).all()):
            return
    bad_value(fn, arg, "finite (no NaN or inf values)", t if given is None else given)
