"""Working precision and the way back to the caller's dtype.

Integer images are processed in float32 on their own scale (uint8: 0..255) and returned
rounded half-to-even and saturated to [0, 255]; float16/bfloat16 are processed in float32;
float32 and float64 are processed as they are.
"""
from __future__ import annotations

import torch


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype in which an op on an image of ``dtype`` is computed."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def to_compute(x: torch.Tensor) -> torch.Tensor:
    """``x`` cast to :func:`compute_dtype` (no copy when it already is)."""
    return x.to(compute_dtype(x.dtype))


def from_compute(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Cast a result back to ``dtype``; integers are rounded and saturated."""
    if y.dtype == dtype:
        return y
    if not dtype.is_floating_point:
        info = torch.iinfo(dtype)
        return y.round().clamp_(info.min, info.max).to(dtype)
    return y.to(dtype)


def max_value(dtype: torch.dtype) -> float:
    """The white level of an image of ``dtype`` (255 for uint8, 1.0 for floats)."""
    return float(torch.iinfo(dtype).max) if not dtype.is_floating_point else 1.0
