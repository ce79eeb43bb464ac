"""Working precision and the way back to the caller's dtype.

Integer images are processed in float32 on their own scale (uint8: 0..255) and returned
rounded half-to-even and saturated to [0, 255]; float16/bfloat16 are processed in float32;
float32 and float64 are processed as they are.
"""
from __future__ import annotations

import torch


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype in which an operation on an image of ``dtype`` is computed.

    Parameters
    ----------
    dtype : torch.dtype
        The image's dtype.

    Returns
    -------
    torch.dtype
        ``torch.float64`` for float64 images, ``torch.float32`` for every other dtype
        (uint8, float16, bfloat16, float32).

    Examples
    --------
    >>> import torch
    >>> compute_dtype(torch.uint8), compute_dtype(torch.float64)
    (torch.float32, torch.float64)
    """
    return torch.float64 if dtype == torch.float64 else torch.float32


def to_compute(x: torch.Tensor) -> torch.Tensor:
    """``x`` cast to its :func:`compute_dtype` (no copy when it already has it).

    Parameters
    ----------
    x : torch.Tensor
        Any image tensor.

    Returns
    -------
    torch.Tensor
        ``x`` in float32 or float64, values unchanged (uint8 stays on the 0..255 scale).

    Examples
    --------
    >>> import torch
    >>> to_compute(torch.tensor([0, 255], dtype=torch.uint8))
    tensor([  0., 255.])
    """
    return x.to(compute_dtype(x.dtype))


def from_compute(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Cast a result back to the caller's ``dtype``.

    Parameters
    ----------
    y : torch.Tensor
        A result in the compute dtype.
    dtype : torch.dtype
        The caller's dtype.

    Returns
    -------
    torch.Tensor
        ``y`` itself when it already has ``dtype``; for integer dtypes ``y`` rounded half to
        even and saturated to the dtype's range; for float dtypes a plain cast.

    Examples
    --------
    >>> import torch
    >>> from_compute(torch.tensor([-3.0, 0.5, 1.5, 254.5, 300.0]), torch.uint8)
    tensor([  0,   0,   2, 254, 255], dtype=torch.uint8)
    """
    if y.dtype == dtype:
        return y
    if not dtype.is_floating_point:
        info = torch.iinfo(dtype)
        return y.round().clamp_(info.min, info.max).to(dtype)
    return y.to(dtype)


def max_value(dtype: torch.dtype) -> float:
    """The white level of an image of ``dtype``.

    Parameters
    ----------
    dtype : torch.dtype
        The image's dtype.

    Returns
    -------
    float
        The largest value of an integer dtype (255.0 for uint8), 1.0 for float dtypes.

    Examples
    --------
    >>> import torch
    >>> max_value(torch.uint8), max_value(torch.bfloat16)
    (255.0, 1.0)
    """
    return float(torch.iinfo(dtype).max) if not dtype.is_floating_point else 1.0
