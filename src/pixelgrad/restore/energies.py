"""Smoothness energies for inpainting, each with its value and analytic gradient.

Every function takes ``x``: a float tensor ``(B, C, H, W)`` (any device, float32/float64)
and returns ``(energy, grad)``: ``energy`` of shape ``(B,)`` (summed over channels and
pixels of each image) and ``grad = dE/dx`` of the shape of ``x`` (``None`` when
``need_grad=False``). Nothing is written into ``x``.

Notation: ``Dx`` forward differences along the columns (``x[i, j+1] - x[i, j]``), ``Dy`` along
the rows; ``D2`` differences at step 2 (``x[j+2] - x[j]``); ``L = -(Dx^T Dx + Dy^T Dy)`` the
5-point Laplacian with a mirrored (Neumann, ``symmetric``) border.

* ``tutorial``: E(x) = sum over every row r and column c of
  ||D r|| + ||D r_even|| + ||D r_odd||, with ``r_even = r[0::2]``, ``r_odd = r[1::2]`` and the
  plain (not squared) L2 norm -- exactly ``err_func`` of the tutorial (seed 001). At a row whose
  differences are all zero the norm is not differentiable; we use the subgradient 0.
* ``total_variation``: isotropic E = sum sqrt(Dx^2 + Dy^2 + eps^2), anisotropic
  E = sum sqrt(Dx^2 + eps^2) + sqrt(Dy^2 + eps^2) (Charbonnier-smoothed so it has a gradient;
  differences at the last row/column are 0), minus the value of a constant image so E(const) = 0.
* ``harmonic`` (Tikhonov): E = sum Dx^2 + Dy^2; grad = -2 L x.
* ``biharmonic``: E = sum (L x)^2; grad = 2 L L x (L is symmetric).
"""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F

EnergyOut = Tuple[torch.Tensor, Optional[torch.Tensor]]
EnergyFn = Callable[..., EnergyOut]


def _image_sum(t: torch.Tensor) -> torch.Tensor:
    """Sum every dim but the first: ``(B, ...) -> (B,)``."""
    return t.reshape(t.shape[0], -1).sum(dim=1)


def _safe_div(d: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    """``d / n`` with 0 where ``n == 0`` (the subgradient of a norm at 0)."""
    return torch.where(n > 0, d / torch.where(n > 0, n, torch.ones_like(n)), torch.zeros_like(d))


def _tutorial_lastdim(x: torch.Tensor, need_grad: bool) -> EnergyOut:
    """Tutorial energy of the rows of ``x`` (along the last dim)."""
    n = x.shape[-1]
    lead = x.shape[:-1]
    zero = x.new_zeros(lead)
    energy = zero
    grad = torch.zeros_like(x) if need_grad else None
    if n >= 2:
        d1 = x[..., 1:] - x[..., :-1]
        n1 = d1.square().sum(-1, keepdim=True).sqrt()
        energy = energy + n1[..., 0]
        if need_grad:
            g1 = F.pad(_safe_div(d1, n1), (1, 1))
            grad = grad + (g1[..., :-1] - g1[..., 1:])
    if n >= 3:
        d2 = x[..., 2:] - x[..., :-2]
        de, do = d2[..., 0::2], d2[..., 1::2]
        ne = de.square().sum(-1, keepdim=True).sqrt()
        no = do.square().sum(-1, keepdim=True).sqrt()
        energy = energy + ne[..., 0] + no[..., 0]
        if need_grad:
            g2 = torch.empty_like(d2)
            g2[..., 0::2] = _safe_div(de, ne)
            g2[..., 1::2] = _safe_div(do, no)
            g2 = F.pad(g2, (2, 2))
            grad = grad + (g2[..., :-4] - g2[..., 4:])
    return energy, grad


def tutorial(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    """The tutorial's ``err_func`` (see module docstring), batched: ``(B,C,H,W) -> (B,)``."""
    er, gr = _tutorial_lastdim(x, need_grad)
    ec, gc = _tutorial_lastdim(x.transpose(-1, -2), need_grad)
    energy = _image_sum(er) + _image_sum(ec)
    grad = gr + gc.transpose(-1, -2) if need_grad else None
    return energy, grad


def forward_diff(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(Dy x, Dx x)``, each of the shape of ``x``, 0 on the last row / column."""
    dy = F.pad(x[..., 1:, :] - x[..., :-1, :], (0, 0, 0, 1))
    dx = F.pad(x[..., :, 1:] - x[..., :, :-1], (0, 1))
    return dy, dx


def divergence(py: torch.Tensor, px: torch.Tensor) -> torch.Tensor:
    """``-(Dy^T py + Dx^T px)``: the negative adjoint of :func:`forward_diff`."""
    py = F.pad(py[..., :-1, :], (0, 0, 1, 1))
    px = F.pad(px[..., :, :-1], (1, 1))
    return (py[..., 1:, :] - py[..., :-1, :]) + (px[..., :, 1:] - px[..., :, :-1])


def laplacian(x: torch.Tensor) -> torch.Tensor:
    """Neumann 5-point Laplacian ``L x = div(grad x)`` (mirror border), shape of ``x``."""
    dy, dx = forward_diff(x)
    return divergence(dy, dx)


def total_variation(x: torch.Tensor, need_grad: bool = True, *, isotropic: bool = True,
                    eps: float = 1e-3) -> EnergyOut:
    """Smoothed total variation (see module docstring); ``eps`` in image units."""
    dy, dx = forward_diff(x)
    if isotropic:
        mag = (dy.square() + dx.square() + eps * eps).sqrt()
        energy = _image_sum(mag)
        grad = -divergence(dy / mag, dx / mag) if need_grad else None
    else:
        my = (dy.square() + eps * eps).sqrt()
        mx = (dx.square() + eps * eps).sqrt()
        energy = _image_sum(my + mx)
        grad = -divergence(dy / my, dx / mx) if need_grad else None
    # subtract the value of a constant image so that E(const) = 0 (gradient unchanged)
    n_terms = x[0].numel() * (1 if isotropic else 2)
    return energy - n_terms * eps, grad


def harmonic(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    """Tikhonov / harmonic energy ``sum |grad x|^2``; gradient ``-2 L x``."""
    dy, dx = forward_diff(x)
    energy = _image_sum(dy.square() + dx.square())
    grad = -2.0 * divergence(dy, dx) if need_grad else None
    return energy, grad


def biharmonic(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    """Biharmonic energy ``sum (L x)^2``; gradient ``2 L L x``."""
    lx = laplacian(x)
    energy = _image_sum(lx.square())
    grad = 2.0 * laplacian(lx) if need_grad else None
    return energy, grad


ENERGIES: dict = {
    "tutorial": tutorial,
    "tv": total_variation,
    "tv-aniso": lambda x, need_grad=True, eps=1e-3: total_variation(x, need_grad, isotropic=False, eps=eps),
    "harmonic": harmonic,
    "biharmonic": biharmonic,
}

# Upper bounds of the Lipschitz constant of each gradient (for step sizes 1/L).
LIPSCHITZ = {
    "harmonic": 16.0,                  # ||2 D^T D|| <= 2 * 8
    "biharmonic": 128.0,               # ||2 L^2|| <= 2 * 8^2
}


def tv_lipschitz(eps: float) -> float:
    """Lipschitz bound of the smoothed-TV gradient: ||D||^2 / eps = 8 / eps."""
    return 8.0 / eps
