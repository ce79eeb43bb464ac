"""Smoothness energies for inpainting, each with its value and analytic gradient.

Every function takes ``x``: a float tensor ``(B, C, H, W)`` (any device, float32/float64)
and returns ``(energy, grad)``: ``energy`` of shape ``(B,)`` (summed over channels and
pixels of each image) and ``grad = dE/dx`` of the shape of ``x`` (``None`` when
``need_grad=False``). Nothing is written into ``x``.

Notation: ``Dx`` forward differences along the columns (``x[i, j+1] - x[i, j]``), ``Dy`` along
the rows; ``D2`` differences at step 2 (``x[j+2] - x[j]``); ``L = -(Dx^T Dx + Dy^T Dy)`` the
5-point Laplacian with a mirrored (Neumann, ``symmetric``) border.

* ``multiscale_smoothness`` (formerly ``tutorial``, kept as a deprecated alias):
  E(x) = sum over every row r and column c of
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


_TINY = 1e-30


def _line_energy(x: torch.Tensor, dim: int, grad: Optional[torch.Tensor]) -> torch.Tensor:
    """Multiscale smoothness of the lines of ``x`` along ``dim`` (negative), summed to ``(B,)``;
    adds the gradient into ``grad`` in place when given.

    ``D2 x`` (step-2 differences) holds the differences of the even sub-sequence at even
    positions and of the odd one at odd positions, so its norms per parity are norms over a
    ``(..., m/2, 2)`` view. Where a norm is 0 all its differences are 0 and ``d / max(n, tiny)``
    gives the subgradient 0.
    """
    n = x.shape[dim]
    energy = x.new_zeros(x.shape[0])
    if n >= 2:
        d1 = x.narrow(dim, 1, n - 1) - x.narrow(dim, 0, n - 1)
        n1 = (d1 * d1).sum(dim, keepdim=True).sqrt_()
        energy = energy + _image_sum(n1)
        if grad is not None:
            a = d1.mul_(n1.clamp_min_(_TINY).reciprocal_())
            grad.narrow(dim, 1, n - 1).add_(a)
            grad.narrow(dim, 0, n - 1).sub_(a)
    if n >= 3:
        m = n - 2
        shape = list(x.shape)
        shape[dim] = m + (m % 2)
        d2 = x.new_zeros(shape) if m % 2 else x.new_empty(shape)
        torch.sub(x.narrow(dim, 2, m), x.narrow(dim, 0, m), out=d2.narrow(dim, 0, m))
        pairs = d2.unflatten(dim, (shape[dim] // 2, 2))
        n2 = (pairs * pairs).sum(dim - 1, keepdim=True).sqrt_()
        energy = energy + _image_sum(n2)
        if grad is not None:
            b = pairs.mul_(n2.clamp_min_(_TINY).reciprocal_()).flatten(dim - 1, dim).narrow(dim, 0, m)
            grad.narrow(dim, 2, m).add_(b)
            grad.narrow(dim, 0, m).sub_(b)
    return energy


def multiscale_smoothness(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    """Multiscale line smoothness (the tutorial's ``err_func``, see the module docstring),
    batched: ``(B, C, H, W) -> (B,)``.

    Examples
    --------
    >>> import torch
    >>> e, g = multiscale_smoothness(torch.zeros(1, 1, 4, 4))
    >>> float(e[0]), float(g.abs().max())
    (0.0, 0.0)
    """
    grad = torch.zeros_like(x) if need_grad else None
    energy = _line_energy(x, -1, grad) + _line_energy(x, -2, grad)
    return energy, grad


def tutorial(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    """Deprecated alias of :func:`multiscale_smoothness`."""
    import warnings

    warnings.warn("pixelgrad.restore.energies.tutorial is deprecated; use multiscale_smoothness",
                  DeprecationWarning, stacklevel=2)
    return multiscale_smoothness(x, need_grad)


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
    "multiscale_smoothness": multiscale_smoothness,
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
