"""Regularisers (priors) ``R(x)`` for restoration, each with its value and a gradient or prox.

A prior is an object with

* ``value(x) -> (B,)`` -- ``weight * R(x)`` per image (summed over channels and pixels),
* ``grad(x)`` -- its gradient (smooth priors; ``None``-free subgradient for the multiscale
  one), ``lipschitz`` -- a bound of the gradient's Lipschitz constant,
* ``prox(v, t)`` -- ``argmin_x weight * R(x) + ||x - v||^2 / (2 t)`` (exact, or by an inner
  iterative solve), or a *denoising step* for the plug-and-play priors,
* ``hessian(x)`` for the quadratic priors (``R(x) = x^T H x / 2`` up to the weight).

``x`` is a float tensor ``(B, C, H, W)``; nothing is written into it. Differences use the
Neumann (mirror) border of :mod:`.energies`.

================================ ===================================================== ======
prior                            ``R(x)``                                              has
================================ ===================================================== ======
:class:`MultiscaleSmoothness`     sum over rows/columns r of ``||D r|| + ||D r_even||  grad
                                  + ||D r_odd||`` (plain L2 norms)
:class:`Harmonic`                 ``sum |grad x|^2``                                    grad, hessian, prox
:class:`Biharmonic`               ``sum (L x)^2``                                       grad, hessian
:class:`TotalVariation`           ``sum |grad x|`` (iso) / ``|Dx| + |Dy|`` (aniso)      prox
:class:`Charbonnier`              ``sum sqrt(|grad x|^2 + eps^2) - eps``                grad
:class:`BlockDCTSparsity`         ``#{nonzero block-DCT coefficients}`` (l0)            prox (hard threshold)
:class:`EdgeEnhancingDiffusion`   (none: a diffusion step, Weickert 1994)               prox (step)
================================ ===================================================== ======

References
----------
Rudin, Osher, Fatemi (1992). Nonlinear total variation based noise removal algorithms.
Chambolle (2004). An algorithm for total variation minimization and applications.
Beck, Teboulle (2009). Fast gradient-based algorithms for constrained TV image denoising.
"""
from __future__ import annotations

import math
from typing import Optional

import torch

from .._errors import bad_value
from . import energies

__all__ = ["Prior", "MultiscaleSmoothness", "Harmonic", "Biharmonic", "TotalVariation", "Charbonnier",
           "BlockDCTSparsity", "EdgeEnhancingDiffusion"]


def _positive(cls: str, arg: str, v: float, allow_zero: bool = False) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        bad_value(cls, arg, "a finite number " + (">= 0" if allow_zero else "> 0"), v)
    return float(v)


def _grad(out: energies.EnergyOut) -> torch.Tensor:
    g = out[1]
    assert g is not None
    return g


class Prior:
    """Base class: ``weight * R(x)`` (see the module docstring)."""

    quadratic = False
    smooth = False
    lipschitz = math.inf

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = _positive(type(self).__name__, "weight", weight, allow_zero=True)

    def value(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} has no gradient; use a prox-based solver")

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} has no prox; use a gradient-based solver")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight})"


class MultiscaleSmoothness(Prior):
    """The multiscale line-smoothness energy (plain-norm differences at steps 1 and 2 of every
    row and column); its (sub)gradient is exact, zero where a norm vanishes."""

    smooth = True

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * energies.multiscale_smoothness(x, need_grad=False)[0]

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * _grad(energies.multiscale_smoothness(x))


class Harmonic(Prior):
    """Tikhonov ``R(x) = sum |grad x|^2``; ``grad = -2 L x``, Lipschitz ``16 weight``.
    ``prox`` solves ``(I - 2 t w L) x = v`` by conjugate gradient."""

    quadratic = smooth = True

    @property
    def lipschitz(self) -> float:  # type: ignore[override]
        return 16.0 * self.weight

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * energies.harmonic(x, need_grad=False)[0]

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * _grad(energies.harmonic(x))

    def hessian(self, x: torch.Tensor) -> torch.Tensor:
        return -2.0 * self.weight * energies.laplacian(x)

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        from .solvers import cg_solve

        return cg_solve(lambda z: z + t * self.hessian(z), v, v, iterations=500, tol=1e-10)


class Biharmonic(Harmonic):
    """``R(x) = sum (L x)^2``; ``grad = 2 L L x``, Lipschitz ``128 weight``."""

    @property
    def lipschitz(self) -> float:  # type: ignore[override]
        return 128.0 * self.weight

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * energies.biharmonic(x, need_grad=False)[0]

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * _grad(energies.biharmonic(x))

    def hessian(self, x: torch.Tensor) -> torch.Tensor:
        return 2.0 * self.weight * energies.laplacian(energies.laplacian(x))


class TotalVariation(Prior):
    """Exact total variation; ``prox`` is the ROF denoiser solved on the dual by Chambolle's
    projection iterations (``iterations`` of them, step 1/8: convergent for both norms).

    Parameters
    ----------
    weight : float
    isotropic : bool
        ``|grad x|`` (True) or ``|Dx| + |Dy|``.
    iterations : int
        Inner dual iterations of ``prox``.
    """

    def __init__(self, weight: float = 1.0, isotropic: bool = True, iterations: int = 50) -> None:
        super().__init__(weight)
        self.isotropic = bool(isotropic)
        self.iterations = int(iterations)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        dy, dx = energies.forward_diff(x)
        t = (dy.square() + dx.square()).sqrt() if self.isotropic else dy.abs() + dx.abs()
        return self.weight * t.reshape(t.shape[0], -1).sum(1)

    def project(self, py: torch.Tensor, px: torch.Tensor):
        """Project the dual field onto the unit ball of the dual norm."""
        if self.isotropic:
            n = (py.square() + px.square()).sqrt().clamp_min(1.0)
            return py / n, px / n
        return py.clamp(-1.0, 1.0), px.clamp(-1.0, 1.0)

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        lam = self.weight * float(t)
        if lam <= 0:
            return v
        py = torch.zeros_like(v)
        px = torch.zeros_like(v)
        step = 1.0 / (8.0 * lam)
        for _ in range(self.iterations):          # projected gradient on the dual (FGP-free)
            u = v + lam * energies.divergence(py, px)
            gy, gx = energies.forward_diff(u)
            py, px = self.project(py + step * gy, px + step * gx)
        return v + lam * energies.divergence(py, px)


class Charbonnier(Prior):
    """``R(x) = sum sqrt(|grad x|^2 + eps^2) - eps`` (isotropic; smooth TV), Lipschitz
    ``8 weight / eps``."""

    smooth = True

    def __init__(self, weight: float = 1.0, eps: float = 1e-2, isotropic: bool = True) -> None:
        super().__init__(weight)
        self.eps = _positive("Charbonnier", "eps", eps)
        self.isotropic = bool(isotropic)

    @property
    def lipschitz(self) -> float:  # type: ignore[override]
        return 8.0 * self.weight / self.eps

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * energies.total_variation(x, False, isotropic=self.isotropic, eps=self.eps)[0]

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * _grad(energies.total_variation(x, True, isotropic=self.isotropic, eps=self.eps))


class BlockDCTSparsity(Prior):
    """Sparsity in a 16x16 block DCT (l0 of the non-DC coefficients). ``prox(v, t)`` is the
    hard threshold at ``sqrt(2 t weight)`` (the exact prox of ``weight * l0`` in an orthonormal
    basis) on a grid shifted by a random offset drawn from ``generator``.
    ``value`` counts the nonzero coefficients on the unshifted grid (round-off level counts
    as zero)."""

    def __init__(self, weight: float = 1e-3, block: int = 16, generator: Optional[torch.Generator] = None) -> None:
        super().__init__(weight)
        self.block = int(block)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        from .sparse import block_dct_coefficients

        c = block_dct_coefficients(x, self.block)
        tiny = 1e3 * torch.finfo(x.dtype).eps * c.abs().amax().clamp_min(1e-30)   # round-off zeros
        nz = (c.abs() > tiny).to(x.dtype)
        nz[..., ::self.block, ::self.block] = 0.0
        return self.weight * nz.reshape(x.shape[0], -1).sum(1)

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        from .sparse import dct_matrix, hard_threshold

        tau = math.sqrt(2.0 * float(t) * self.weight)
        s = torch.randint(0, self.block, (2,), generator=self.generator).tolist()
        return hard_threshold(v, tau, (s[0], s[1]), self.block, dct_matrix(self.block, v.dtype, v.device))


class EdgeEnhancingDiffusion(Prior):
    """Edge-enhancing diffusion used as a denoising step: ``prox(v, t)`` runs
    ``round(t / tau)`` explicit EED steps (at least one, at most ``max_steps``) of step ``tau``
    from ``v``.
    Not the prox of an energy (EED has none); usable in plug-and-play schemes (HQS)."""

    def __init__(self, contrast: float = 0.01, sigma: float = 1.0, tau: float = 0.2, max_steps: int = 50) -> None:
        super().__init__(1.0)
        self.max_steps = int(max_steps)
        self.contrast = _positive("EdgeEnhancingDiffusion", "contrast", contrast)
        self.sigma = _positive("EdgeEnhancingDiffusion", "sigma", sigma, allow_zero=True)
        self.tau = _positive("EdgeEnhancingDiffusion", "tau", tau)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0])

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        from .diffusion import eed_step

        u = v
        for _ in range(min(self.max_steps, max(1, int(round(float(t) / self.tau))))):
            u = eed_step(u, contrast=self.contrast, sigma=self.sigma, tau=self.tau)
        return u
