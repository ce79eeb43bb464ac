"""Anti-aliased motion (line) kernels.

A motion blur of ``length`` L along ``angle`` a (radians; 0 = horizontal, positive angles
turn clockwise on screen because image rows grow downwards) is the average of the image
along a segment of length L. The kernel is that segment drawn on the pixel grid:

    profile(i) = clip(L/2 + 1/2 - |i|, 0, 1)     pixel i's coverage of [-L/2, L/2]
    w(i)       = max(0, 1 + direction * i / (L/2))  (direction in [-1, 1]; 0 = uniform)
    K(x, y)    = sum_i profile(i) w(i) tent(u - i) tent(v),   tent(s) = max(0, 1 - |s|)
    u = x cos a + y sin a,  v = -x sin a + y cos a,  then K /= sum K

i.e. the horizontal 1-D box ``profile * w`` rotated by bilinear interpolation. For
``angle = 0`` and odd integer L it is exactly the box ``1/L`` over L pixels; for other
angles the tent gives a smooth (anti-aliased) line whose weights still sum to 1.
"""
from __future__ import annotations

import math

import torch


def motion_radius(length: float) -> int:
    """Half-size of the square kernel that holds a line of ``length`` at any angle."""
    imax = max(0, math.ceil(length / 2 + 0.5 - 1e-9) - 1)
    return int(math.ceil(math.sqrt((imax + 1) ** 2 + 1) - 1e-9))


def motion_kernel_size(length: float) -> int:
    """Side of the square kernel, ``2 * motion_radius(length) + 1``."""
    return 2 * motion_radius(length) + 1


def motion_kernel2d(length, angle, direction=0.0, *, radius: int | None = None,
                    dtype: torch.dtype = torch.float64, device="cpu") -> torch.Tensor:
    """Motion kernels: scalars give ``(K, K)``; tensors ``(B,)`` give ``(B, K, K)``.

    ``K = 2 * radius + 1``, the radius defaulting to the one that fits the longest line.
    """
    batched = any(isinstance(v, torch.Tensor) and v.ndim > 0 for v in (length, angle, direction))
    L = torch.as_tensor(length, dtype=torch.float64).reshape(-1)
    a = torch.as_tensor(angle, dtype=torch.float64).reshape(-1)
    d = torch.as_tensor(direction, dtype=torch.float64).reshape(-1)
    B = max(L.numel(), a.numel(), d.numel())
    L, a, d = (v.expand(B) if v.numel() == 1 else v for v in (L, a, d))
    r = motion_radius(float(L.detach().max())) if radius is None else int(radius)
    imax = max(0, math.ceil(float(L.detach().max()) / 2 + 0.5 - 1e-9) - 1)
    i = torch.arange(-imax, imax + 1, dtype=torch.float64)                       # (I,)
    profile = (L[:, None] / 2 + 0.5 - i.abs()[None, :]).clamp(0, 1)              # (B, I)
    w = (1 + d[:, None] * i[None, :] / (L[:, None] / 2)).clamp(min=0)
    weight = profile * w                                                          # (B, I)
    y = torch.arange(-r, r + 1, dtype=torch.float64)[:, None]
    x = torch.arange(-r, r + 1, dtype=torch.float64)[None, :]
    c, s = torch.cos(a)[:, None, None], torch.sin(a)[:, None, None]
    u = x * c + y * s                                                             # (B, K, K)
    v = -x * s + y * c
    # sum_i weight(i) tent(u - i) has at most two non-zero terms, i = floor(u) and floor(u) + 1;
    # gathering them keeps memory at O(B K^2) (the (B, K, K, I) tensor of all terms needs
    # ~8 GB at length 1000) and gives bitwise the same values.
    f = torch.floor(u)
    padded = torch.nn.functional.pad(weight, (1, 1))                              # weight(i) = 0 outside
    i0 = (f + (imax + 1)).clamp_(0, 2 * imax + 2).long()
    i1 = (f + (imax + 2)).clamp_(0, 2 * imax + 2).long()
    w0 = padded.gather(1, i0.reshape(B, -1)).reshape(u.shape)
    w1 = padded.gather(1, i1.reshape(B, -1)).reshape(u.shape)
    t0 = (1 - (u - f)).clamp_(min=0)                                              # tent(u - floor u)
    t1 = (1 - ((f + 1) - u)).clamp_(min=0)                                        # tent(u - floor u - 1)
    tent_v = (1 - v.abs()).clamp(min=0)
    k = (w0 * t0 + w1 * t1) * tent_v
    k = k / k.sum(dim=(-2, -1), keepdim=True)
    k = k.to(dtype=dtype, device=device)
    return k if batched else k[0]
