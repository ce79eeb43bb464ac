"""Box (moving average) weights: ``k[t] = 1 / size`` for ``|t| <= size // 2`` (odd size)."""
from __future__ import annotations

from functools import lru_cache

import torch


def _box(size: int, dtype: torch.dtype, device: str) -> torch.Tensor:
    return torch.full((size,), 1.0 / size, dtype=torch.float64).to(dtype=dtype, device=device)


# public cache (tensors handed to users) and a private one read by the filters only
_box_cached = lru_cache(maxsize=128)(_box)
_box_private = lru_cache(maxsize=128)(_box)


def box_for_filtering(size: int) -> torch.Tensor:
    """The float64 CPU box of :func:`box_kernel1d`, from a cache no caller can reach.

    The filters read this one, so a user editing a tensor returned by :func:`box_kernel1d`
    in place cannot change a later blur. Never edit the result.

    Parameters
    ----------
    size : int
        Odd length of the box.

    Returns
    -------
    torch.Tensor
        ``(size,)`` float64 on the CPU, every weight ``1 / size``.
    """
    return _box_private(int(size), torch.float64, "cpu")


def box_kernel1d(size: int, *, dtype: torch.dtype = torch.float64,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    r"""The 1-D box (moving-average) kernel.

    Parameters
    ----------
    size : int
        Odd length; the kernel covers offsets ``|t| <= size // 2``.
    dtype : torch.dtype, default torch.float64
        dtype of the weights (computed in float64, then cast).
    device : torch.device or str, default "cpu"
        Where the weights live.

    Returns
    -------
    torch.Tensor
        ``(size,)`` with every weight ``1 / size``. Cached by ``(size, dtype, device)``: treat
        it as read-only.

    Notes
    -----
    .. math:: k[t] = 1 / \mathrm{size}, \qquad |t| \le \lfloor \mathrm{size} / 2 \rfloor

    Examples
    --------
    >>> box_kernel1d(5)
    tensor([0.2000, 0.2000, 0.2000, 0.2000, 0.2000], dtype=torch.float64)
    >>> float(box_kernel1d(7, dtype=torch.float32).sum())
    1.0
    """
    return _box_cached(int(size), dtype, str(torch.device(device)))
