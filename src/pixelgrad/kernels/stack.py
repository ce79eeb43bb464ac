"""Stack kernels of different sizes into one per-sample tensor, each centred and zero-padded
to the largest size (extra zero taps change no sum, so each row stays the exact kernel)."""
from __future__ import annotations

import torch


def stack_centered_1d(ks: list[torch.Tensor]) -> torch.Tensor:
    """``(len(ks), Kmax)`` float64 from 1-D kernels of odd lengths."""
    K = max(k.numel() for k in ks)
    out = torch.zeros(len(ks), K, dtype=torch.float64)
    for i, k in enumerate(ks):
        o = (K - k.numel()) // 2
        out[i, o:o + k.numel()] = k
    return out


def stack_centered_2d(ks: list[torch.Tensor]) -> torch.Tensor:
    """``(len(ks), Khmax, Kwmax)`` float64 from 2-D kernels of odd sides."""
    Kh = max(k.shape[0] for k in ks)
    Kw = max(k.shape[1] for k in ks)
    out = torch.zeros(len(ks), Kh, Kw, dtype=torch.float64)
    for i, k in enumerate(ks):
        oy, ox = (Kh - k.shape[0]) // 2, (Kw - k.shape[1]) // 2
        out[i, oy:oy + k.shape[0], ox:ox + k.shape[1]] = k
    return out
