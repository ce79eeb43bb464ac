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

from .differences import divergence, forward_diff, image_sum, laplacian

EnergyOut = Tuple[torch.Tensor, Optional[torch.Tensor]]
EnergyFn = Callable[..., EnergyOut]

__all__ = ["multiscale_smoothness", "total_variation", "harmonic", "biharmonic", "tv_lipschitz",
           "forward_diff", "divergence", "laplacian", "ENERGIES", "LIPSCHITZ", "EnergyOut", "EnergyFn"]


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
        energy = energy + image_sum(n1)
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
        energy = energy + image_sum(n2)
        if grad is not None:
            b = pairs.mul_(n2.clamp_min_(_TINY).reciprocal_()).flatten(dim - 1, dim).narrow(dim, 0, m)
            grad.narrow(dim, 2, m).add_(b)
            grad.narrow(dim, 0, m).sub_(b)
    return energy


def multiscale_smoothness(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    r"""Multiscale line smoothness, batched ``(B, C, H, W) -> (B,)``.

    Parameters
    ----------
    x : torch.Tensor
        Float images ``(B, C, H, W)``.
    need_grad : bool
        Also return the gradient.

    Returns
    -------
    tuple
        ``(energy (B,), grad)``, ``grad`` of the shape of ``x`` or ``None``.

    Notes
    -----
    Over every row and column :math:`r` of every channel, with plain (not squared) norms:

    .. math:: E(x) = \sum_r \|D r\|_2 + \|D r_{0::2}\|_2 + \|D r_{1::2}\|_2

    (:math:`D` forward differences). Where a norm is 0 the subgradient 0 is used.

    Examples
    --------
    >>> import torch
    >>> e, g = multiscale_smoothness(torch.zeros(1, 1, 4, 4))
    >>> float(e[0]), float(g.abs().max())
    (0.0, 0.0)
    >>> float(multiscale_smoothness(torch.tensor([[[[0.0, 3.0, 3.0]]]]), need_grad=False)[0][0])
    6.0
    """
    grad = torch.zeros_like(x) if need_grad else None
    energy = _line_energy(x, -1, grad) + _line_energy(x, -2, grad)
    return energy, grad


def tutorial(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    """Deprecated alias of :func:`multiscale_smoothness` (warns).

    Parameters
    ----------
    x : torch.Tensor
        Float images ``(B, C, H, W)``.
    need_grad : bool
        Also return the gradient.

    Returns
    -------
    tuple
        As :func:`multiscale_smoothness`.
    """
    import warnings

    warnings.warn("pixelgrad.restore.energies.tutorial is deprecated; use multiscale_smoothness",
                  DeprecationWarning, stacklevel=2)
    return multiscale_smoothness(x, need_grad)


def total_variation(x: torch.Tensor, need_grad: bool = True, *, isotropic: bool = True,
                    eps: float = 1e-3) -> EnergyOut:
    r"""Smoothed (Charbonnier) total variation with its gradient.

    Parameters
    ----------
    x : torch.Tensor
        Float images ``(B, C, H, W)``.
    need_grad : bool
        Also return the gradient.
    isotropic : bool
        Isotropic (norm of the gradient) or anisotropic (sum of absolute differences).
    eps : float
        Smoothing, in image units.

    Returns
    -------
    tuple
        ``(energy (B,), grad)``, ``grad`` of the shape of ``x`` or ``None``; a constant image
        has energy 0.

    Notes
    -----
    .. math:: E_{iso}(x) = \sum \sqrt{(D_x x)^2 + (D_y x)^2 + \epsilon^2} - N\epsilon, \qquad E_{aniso}(x) = \sum \sqrt{(D_x x)^2 + \epsilon^2} + \sqrt{(D_y x)^2 + \epsilon^2} - 2N\epsilon

    with gradient :math:`-\mathrm{div}(\nabla x / |\nabla x|_\epsilon)`; its Lipschitz constant
    is at most :func:`tv_lipschitz`.

    Examples
    --------
    >>> import torch
    >>> e, g = total_variation(torch.full((2, 1, 4, 4), 0.5))
    >>> e.tolist(), float(g.abs().max())
    ([0.0, 0.0], 0.0)
    >>> x = torch.zeros(1, 1, 4, 4, dtype=torch.float64); x[..., 2:] = 1.0
    >>> round(float(total_variation(x, eps=1e-6)[0][0]), 4)    # a unit step 4 pixels tall
    4.0
    """
    dy, dx = forward_diff(x)
    if isotropic:
        mag = (dy.square() + dx.square() + eps * eps).sqrt()
        energy = image_sum(mag)
        grad = -divergence(dy / mag, dx / mag) if need_grad else None
    else:
        my = (dy.square() + eps * eps).sqrt()
        mx = (dx.square() + eps * eps).sqrt()
        energy = image_sum(my + mx)
        grad = -divergence(dy / my, dx / mx) if need_grad else None
    # subtract the value of a constant image so that E(const) = 0 (gradient unchanged)
    n_terms = x[0].numel() * (1 if isotropic else 2)
    return energy - n_terms * eps, grad


def harmonic(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    r"""Harmonic (Tikhonov) energy, the squared norm of the gradient.

    Parameters
    ----------
    x : torch.Tensor
        Float images ``(B, C, H, W)``.
    need_grad : bool
        Also return the gradient.

    Returns
    -------
    tuple
        ``(energy (B,), grad)``.

    Notes
    -----
    .. math:: E(x) = \sum (D_x x)^2 + (D_y x)^2, \qquad \nabla E = -2 L x

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 3, 3); x[..., 2] = 1.0
    >>> e, g = harmonic(x)
    >>> float(e[0]), bool(torch.equal(g, -2 * laplacian(x)))
    (3.0, True)
    """
    dy, dx = forward_diff(x)
    energy = image_sum(dy.square() + dx.square())
    grad = -2.0 * divergence(dy, dx) if need_grad else None
    return energy, grad


def biharmonic(x: torch.Tensor, need_grad: bool = True) -> EnergyOut:
    r"""Biharmonic energy, the squared norm of the Laplacian.

    Parameters
    ----------
    x : torch.Tensor
        Float images ``(B, C, H, W)``.
    need_grad : bool
        Also return the gradient.

    Returns
    -------
    tuple
        ``(energy (B,), grad)``.

    Notes
    -----
    .. math:: E(x) = \sum (L x)^2, \qquad \nabla E = 2 L L x \quad (L \text{ symmetric})

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(1, 1, 5, 5, generator=torch.Generator().manual_seed(0))
    >>> e, g = biharmonic(x)
    >>> bool(e[0] > 0), bool(torch.allclose(g, 2 * laplacian(laplacian(x))))
    (True, True)
    >>> float(biharmonic(torch.ones(1, 1, 5, 5))[0][0])
    0.0
    """
    lx = laplacian(x)
    energy = image_sum(lx.square())
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
    r"""Lipschitz bound of the smoothed-TV gradient.

    Parameters
    ----------
    eps : float
        The smoothing of :func:`total_variation`.

    Returns
    -------
    float
        :math:`\|D\|^2 / \epsilon = 8 / \epsilon`.

    Examples
    --------
    >>> tv_lipschitz(1e-2)
    800.0
    """
    return 8.0 / eps
