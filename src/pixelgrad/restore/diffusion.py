"""Edge-enhancing diffusion (EED, Weickert 1994) for inpainting, known pixels fixed.

    u_t = div( D(grad u_s) grad u ),   u_s = Gaussian(sigma) * u
    D = g(|grad u_s|^2) v v^T + w w^T,   v = grad u_s / |grad u_s|,  w = v rotated 90 degrees
    g(s^2) = 1 - exp(-3.31488 / (s^2 / lambda^2)^4)   (Weickert's diffusivity, g(0) = 1)

so it smooths along edges and not across them. Discretization: the standard 3x3 stencil
(``d/dx(a du/dx)`` with averaged ``a`` on half pixels, mixed terms by central differences) with
a mirrored border, explicit steps ``tau <= 0.25``; after every step the known pixels are
re-imposed and values clipped to [0, 1]. ``D`` is recomputed every step.

A leaf module (imports nothing of restore); the inpainting iteration with the known pixels
fixed is the step :class:`~pixelgrad.restore.solvers.Diffusion`.

References
----------
J. Weickert, Anisotropic Diffusion in Image Processing, Teubner, Stuttgart (1998).
"""
from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F


def _smooth(u: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian pre-smoothing ``u_s`` with pixelgrad's own blur (replicate border)."""
    if sigma <= 0:
        return u
    from ..functional import gaussian_blur

    return cast(torch.Tensor, gaussian_blur(u, sigma, truncate=3.0, border="replicate"))


def eed_step(u: torch.Tensor, *, contrast: float, sigma: float, tau: float) -> torch.Tensor:
    r"""One explicit step of edge-enhancing diffusion.

    Parameters
    ----------
    u : torch.Tensor
        Images ``(B, C, H, W)``.
    contrast : float
        Contrast parameter :math:`\lambda` of the diffusivity.
    sigma : float
        Standard deviation of the Gaussian pre-smoothing (0: none).
    tau : float
        Time step (stable for :math:`\tau \le 0.25`).

    Returns
    -------
    torch.Tensor
        :math:`u + \tau\, \mathrm{div}(D \nabla u)`, shape of ``u``.

    Notes
    -----
    The diffusion tensor is computed from the channel-summed structure (one tensor per pixel
    shared by the channels), with :math:`v = \nabla u_s / |\nabla u_s|`,
    :math:`u_s = G_\sigma * u`:

    .. math:: D = g(|\nabla u_s|^2)\, v v^T + (I - v v^T), \qquad g(s^2) = 1 - \exp\left(\frac{-3.31488}{(s^2/\lambda^2)^4}\right)

    discretised by the standard 3x3 stencil with a replicated border (Weickert [1]_).

    References
    ----------
    .. [1] J. Weickert, Anisotropic Diffusion in Image Processing, Teubner, Stuttgart (1998).

    Examples
    --------
    >>> import torch
    >>> u = torch.zeros(1, 1, 16, 16); u[..., 8:] = 1.0
    >>> v = eed_step(u, contrast=0.01, sigma=1.0, tau=0.2)
    >>> bool(torch.allclose(v, u, atol=1e-4))          # a sharp edge is preserved
    True
    >>> bool(torch.allclose(eed_step(torch.full((1, 3, 8, 8), 0.3), contrast=0.01, sigma=1.0, tau=0.2), torch.tensor(0.3)))
    True
    """
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
