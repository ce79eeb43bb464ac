"""Edge-enhancing diffusion (EED, Weickert 1994) for inpainting, known pixels fixed.

    u_t = div( D(grad u_s) grad u ),   u_s = Gaussian(sigma) * u
    D = g(|grad u_s|^2) v v^T + w w^T,   v = grad u_s / |grad u_s|,  w = v rotated 90 degrees
    g(s^2) = 1 - exp(-3.31488 / (s^2 / lambda^2)^4)   (Weickert's diffusivity, g(0) = 1)

so it smooths along edges and not across them. Discretization: the standard 3x3 stencil
(``d/dx(a du/dx)`` with averaged ``a`` on half pixels, mixed terms by central differences) with
a mirrored border, explicit steps ``tau <= 0.25``; after every step the known pixels are
re-imposed and values clipped to [0, 1]. ``D`` is recomputed every step.
"""
from __future__ import annotations

import time

from typing import Optional, cast

import torch
import torch.nn.functional as F


def _smooth(u: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian pre-smoothing ``u_s`` with pixelgrad's own blur (replicate border)."""
    if sigma <= 0:
        return u
    from ..functional import gaussian_blur

    return cast(torch.Tensor, gaussian_blur(u, sigma, truncate=3.0, border="replicate"))


def eed_step(u: torch.Tensor, *, contrast: float, sigma: float, tau: float) -> torch.Tensor:
    """One explicit EED step on ``u`` (B, C, H, W); the tensor field is computed from the
    channel-summed structure (one diffusion tensor per pixel shared by the channels)."""
    us = _smooth(u, sigma)
    p = F.pad(us, (1, 1, 1, 1), mode="replicate")
    gx = (p[..., 1:-1, 2:] - p[..., 1:-1, :-2]) * 0.5
    gy = (p[..., 2:, 1:-1] - p[..., :-2, 1:-1]) * 0.5
    gxx = (gx * gx).sum(1, keepdim=True)
    gyy = (gy * gy).sum(1, keepdim=True)
    gxy = (gx * gy).sum(1, keepdim=True)
    s2 = gxx + gyy
    inv = 1.0 / s2.clamp_min(1e-20)
    ratio = (s2 / (contrast * contrast)).clamp_min(1e-20)
    lam1 = torch.where(s2 > 1e-20, 1.0 - torch.exp(-3.31488 / ratio ** 4), torch.ones_like(s2))
    # D = lam1 v v^T + (I - v v^T),  v v^T = [gxx, gxy; gxy, gyy] / s2
    vxx = torch.where(s2 > 1e-20, gxx * inv, torch.full_like(s2, 0.5))
    vyy = 1.0 - vxx
    vxy = torch.where(s2 > 1e-20, gxy * inv, torch.zeros_like(s2))
    a = lam1 * vxx + vyy          # D_xx
    c = lam1 * vyy + vxx          # D_yy
    b = (lam1 - 1.0) * vxy        # D_xy
    up = F.pad(u, (1, 1, 1, 1), mode="replicate")
    ap = F.pad(a, (1, 1, 1, 1), mode="replicate")
    cp = F.pad(c, (1, 1, 1, 1), mode="replicate")
    bp = F.pad(b, (1, 1, 1, 1), mode="replicate")
    cen = up[..., 1:-1, 1:-1]
    # d/dx (a du/dx) with a averaged on the half pixels
    ax_r = 0.5 * (ap[..., 1:-1, 2:] + a)
    ax_l = 0.5 * (ap[..., 1:-1, :-2] + a)
    cy_d = 0.5 * (cp[..., 2:, 1:-1] + c)
    cy_u = 0.5 * (cp[..., :-2, 1:-1] + c)
    flow = (ax_r * (up[..., 1:-1, 2:] - cen) - ax_l * (cen - up[..., 1:-1, :-2])
            + cy_d * (up[..., 2:, 1:-1] - cen) - cy_u * (cen - up[..., :-2, 1:-1]))
    # mixed terms: d/dx (b du/dy) + d/dy (b du/dx), central differences
    uy = (up[..., 2:, :] - up[..., :-2, :]) * 0.5        # (.., H, W+2)
    ux = (up[..., :, 2:] - up[..., :, :-2]) * 0.5        # (.., H+2, W)
    buy = bp[..., 1:-1, :] * uy
    bux = bp[..., :, 1:-1] * ux
    flow = flow + (buy[..., :, 2:] - buy[..., :, :-2]) * 0.5 + (bux[..., 2:, :] - bux[..., :-2, :]) * 0.5
    return u + tau * flow


def eed_inpaint(u: torch.Tensor, known: torch.Tensor, *, iterations: int = 30,
                contrast: float = 0.01, sigma: float = 1.0, tau: float = 0.2,
                x0: Optional[torch.Tensor] = None, deadline: Optional[float] = None) -> torch.Tensor:
    """Run ``iterations`` EED steps from ``u``; pixels where ``known`` is True keep the values
    of ``x0`` (default ``u``). With ``deadline`` (a :func:`time.perf_counter` value) the steps
    stop once it has passed (at least one step runs)."""
    ref = u if x0 is None else x0
    for i in range(iterations):
        if i and deadline is not None and time.perf_counter() > deadline:
            break
        u = torch.where(known, ref, eed_step(u, contrast=contrast, sigma=sigma, tau=tau).clamp_(0.0, 1.0))
    return u
