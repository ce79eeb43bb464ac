"""Box (moving average) weights: ``k[t] = 1 / size`` for ``|t| <= size // 2`` (odd size)."""
from __future__ import annotations

from functools import lru_cache

import torch


@lru_cache(maxsize=128)
def _box_cached(size: int, dtype: torch.dtype, device: str) -> torch.Tensor:
    return torch.full((size,), 1.0 / size, dtype=torch.float64).to(dtype=dtype, device=device)


def box_kernel1d(size: int, *, dtype: torch.dtype = torch.float64,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    """1-D box of odd length ``size``, weights ``1/size``; cached, read-only."""
    return _box_cached(int(size), dtype, str(torch.device(device)))
