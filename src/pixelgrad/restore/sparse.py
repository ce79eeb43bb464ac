"""Sparsity prior: iterated block-DCT hard thresholding with known pixels re-imposed.

One round (a projection onto "sparse in a block DCT" then onto "agrees with the known
pixels"), for a threshold ``tau``::

    grid  = 16x16 blocks shifted by a random (dy, dx) in [0, 16)^2 (mirror-padded borders)
    c     = D X D^T for every block X         (D: the orthonormal 16-point DCT-II matrix)
    c     = c * (|c| > tau), DC kept
    x     = D^T c D, cropped back; x[known] = x0[known]; clip to [0, 1]

``tau`` decreases geometrically from ``tau_start`` to ``tau_end`` over the rounds (a
continuation in the spirit of Guleryuz 2006 / the iterative thresholding of Elad, Starck et al.
2005). The random shifts average out the block edges. Each transform is two small matrix
products per image, so it runs batched on any device.
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F

_DCT_CACHE: dict = {}


def dct_matrix(n: int, dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
    """Orthonormal DCT-II matrix ``D[k, i] = s_k cos(pi (2 i + 1) k / (2 n))``,
    ``s_0 = sqrt(1/n)``, ``s_k = sqrt(2/n)``; ``D @ D.T = I``."""
    key = (n, dtype, str(device))
    m = _DCT_CACHE.get(key)
    if m is None:
        k = torch.arange(n, dtype=torch.float64)[:, None]
        i = torch.arange(n, dtype=torch.float64)[None, :]
        m = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
        m[0] /= math.sqrt(2.0)
        m = m.to(dtype=dtype, device=device)
        _DCT_CACHE[key] = m
    return m


def block_dct_coefficients(x: torch.Tensor, block: int = 16) -> torch.Tensor:
    """Orthonormal block-DCT coefficients of ``x`` (B, C, H, W) on the unshifted grid
    (mirror-padded to a multiple of ``block``), shape ``(B, C, Hp, Wp)``."""
    bsz, c, h, w = x.shape
    ph, pw = (-h) % block, (-w) % block
    dct = dct_matrix(block, x.dtype, x.device)
    xp = F.pad(x.reshape(bsz * c, 1, h, w), (0, pw, 0, ph), mode="reflect" if min(h, w) > block else "replicate")
    n, _, hp, wp = xp.shape
    t = torch.matmul(dct, xp.view(n, hp // block, block, wp))
    t = torch.matmul(t.view(n, hp, wp // block, block), dct.T)
    return t.reshape(bsz, c, hp, wp)


def hard_threshold(x: torch.Tensor, tau: float, shift: Tuple[int, int], block: int,
                   dct: torch.Tensor) -> torch.Tensor:
    """Block-DCT hard thresholding of ``x`` (B, C, H, W) on the grid shifted by ``shift``:
    coefficients with ``|c| <= tau`` set to 0, DC kept (the prox of ``tau^2/2 * l0``)."""
    bsz, c, h, w = x.shape
    sy, sx = shift
    ph = (-(h + sy)) % block
    pw = (-(w + sx)) % block
    xp = F.pad(x.reshape(bsz * c, 1, h, w), (sx, pw, sy, ph), mode="reflect" if min(h, w) > block else "replicate")
    n, _, hp, wp = xp.shape
    # rows within each block row, then columns within each block column
    t = torch.matmul(dct, xp.view(n, hp // block, block, wp))
    t = torch.matmul(t.view(n, hp, wp // block, block), dct.T).view(n, hp, wp)
    keep = t.abs() > tau
    keep[:, ::block, ::block] = True                     # DC coefficients
    t = t * keep
    t = torch.matmul(dct.T, t.view(n, hp // block, block, wp))
    t = torch.matmul(t.view(n, hp, wp // block, block), dct).view(n, hp, wp)
    return t[:, sy:sy + h, sx:sx + w].reshape(bsz, c, h, w)


def dct_inpaint(x: torch.Tensor, known: torch.Tensor, *, rounds: int = 60, block: int = 16,
                tau_start: float = 0.25, tau_end: float = 0.01, shifts: int = 1,
                generator: Optional[torch.Generator] = None,
                callback: Optional[Callable[[int, torch.Tensor, torch.Tensor], None]] = None,
                deadline: Optional[float] = None) -> Tuple[torch.Tensor, int]:
    """Run the thresholding rounds from the start ``x`` ``(B, C, H, W)`` (known pixels taken
    from it); each round averages the thresholded images of ``shifts`` random grids. ``generator`` (CPU) draws the grid shifts. With ``deadline`` (a
    ``time.perf_counter()`` value) the remaining rounds are skipped once it has passed, and
    the final threshold round is always run. Returns ``(x, rounds_done)``."""
    import time

    dct = dct_matrix(block, x.dtype, x.device)
    x0 = x
    done = 0
    for r in range(rounds):
        last = r == rounds - 1
        if deadline is not None and not last and time.perf_counter() > deadline:
            continue
        frac = r / max(rounds - 1, 1)
        tau = tau_start * (tau_end / tau_start) ** frac
        acc: Optional[torch.Tensor] = None
        for _ in range(shifts):
            s = torch.randint(0, block, (2,), generator=generator).tolist()
            y = hard_threshold(x, tau, (s[0], s[1]), block, dct)
            acc = y if acc is None else acc.add_(y)
        assert acc is not None
        if shifts > 1:
            acc = acc.div_(shifts)
        x = torch.where(known, x0, acc.clamp_(0.0, 1.0))
        done += 1
        if callback is not None:
            callback(r, torch.full((x.shape[0],), tau, dtype=torch.float64), x)
    return x, done
