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
    """float64 CPU box from a cache no caller can reach (never edit it)."""
    return _box_private(int(size), torch.float64, "cpu")


def box_kernel1d(size: int, *, dtype: torch.dtype = torch.float64,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    """1-D box of odd length ``size``, weights ``1/size``; cached, read-only."""
    return _box_cached(int(size), dtype, str(torch.device(device)))
