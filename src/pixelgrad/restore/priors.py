"""Regularisers (priors) ``R(x)`` for restoration; each declares the capabilities it offers.

A prior depends only on the leaf modules (differences, energies, linalg, dct, diffusion) and
declares in ``offers`` which of these it provides; the solvers ask for a capability, never
for a class (:meth:`Prior.has`):

* ``"value"`` -- ``value(x) -> (B,)``,
* ``"gradient"`` -- ``grad(x)`` and ``lipschitz`` (smooth priors),
* ``"prox"`` -- ``prox(v, t)``,
* ``"dual"`` -- ``R(x) = weight * sum g(K x)`` for a linear ``K`` (``analysis(x)``, its adjoint
  ``analysis_adjoint(fields)``, ``analysis_norm2`` a bound of ``||K||^2``) and the projection
  ``project_dual(fields)`` onto the unit ball of the dual norm of ``g`` (primal-dual solvers),
* ``"hessian"`` -- ``hessian(x)``, the Hessian-vector product of a quadratic prior.

In detail:

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
L. I. Rudin, S. Osher, E. Fatemi, "Nonlinear total variation based noise removal
algorithms", Physica D 60(1-4):259-268 (1992).
A. Chambolle, "An algorithm for total variation minimization and applications",
J. Math. Imaging Vis. 20:89-97 (2004).
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch

from . import dct, differences, diffusion, energies
from .checks import MAX_WEIGHT, positive
from .iterate import past
from .linalg import cg_solve

__all__ = ["Prior", "MultiscaleSmoothness", "Harmonic", "Biharmonic", "TotalVariation", "Charbonnier",
           "BlockDCTSparsity", "EdgeEnhancingDiffusion"]


#: The capabilities a prior may offer (see the module docstring).
CAPABILITIES = ("value", "gradient", "prox", "dual", "hessian")
#: Re-exported bound of the weights (from :mod:`.checks`).
__all__ += ["CAPABILITIES", "MAX_WEIGHT"]

_positive = positive


def _grad(out: energies.EnergyOut) -> torch.Tensor:
    g = out[1]
    assert g is not None
    return g


class Prior:
    r"""Base class of the regularisers: ``weight * R(x)`` (see the module docstring).

    Parameters
    ----------
    weight : float
        Weight of the prior, finite and >= 0.

    Attributes
    ----------
    offers : frozenset of str
        The capabilities of :data:`CAPABILITIES` this prior provides.
    quadratic : bool
        Offers ``"hessian"`` (a quadratic form: conjugate gradient applies).
    smooth : bool
        Offers ``"gradient"``, with Lipschitz bound ``lipschitz``.
    lipschitz : float
        Bound of the gradient's Lipschitz constant (``inf`` when not smooth).

    Raises
    ------
    ValueError
        ``weight`` negative, NaN, infinite or not a number.

    Notes
    -----
    Subclasses provide ``value(x) -> (B,)`` and ``grad(x)`` and/or
    ``prox(v, t)`` :math:`= \arg\min_x\, w R(x) + \|x - v\|^2 / (2t)`; the base ``grad`` and
    ``prox`` raise ``TypeError`` naming the solver family to use instead.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import priors
    >>> p = priors.Harmonic(0.5)
    >>> p, p.quadratic, p.lipschitz, sorted(p.offers)
    (Harmonic(weight=0.5), True, 8.0, ['gradient', 'hessian', 'prox', 'value'])
    >>> priors.TotalVariation().has("dual"), priors.TotalVariation().has("gradient")
    (True, False)
    >>> priors.TotalVariation().grad(torch.zeros(1, 1, 4, 4))
    Traceback (most recent call last):
    ...
    TypeError: TotalVariation has no gradient; use a prox-based solver
    """

    offers: frozenset = frozenset({"value"})
    lipschitz = math.inf

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = _positive(type(self).__name__, "weight", weight, allow_zero=True)

    def has(self, capability: str) -> bool:
        """Whether the prior offers ``capability`` (one of :data:`CAPABILITIES`)."""
        return capability in self.offers

    @property
    def smooth(self) -> bool:
        return self.has("gradient")

    @property
    def quadratic(self) -> bool:
        return self.has("hessian")

    def value(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} has no gradient; use a prox-based solver")

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} has no prox; use a gradient-based solver")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight})"


class MultiscaleSmoothness(Prior):
    r"""The multiscale line-smoothness energy of :func:`~pixelgrad.restore.energies.multiscale_smoothness`.

    Parameters
    ----------
    weight : float
        Weight of the prior, finite and >= 0.

    Notes
    -----
    .. math:: R(x) = \sum_r \|D r\|_2 + \|D r_{0::2}\|_2 + \|D r_{1::2}\|_2

    over every row and column :math:`r` (plain, not squared, norms); its (sub)gradient is exact,
    zero where a norm vanishes. No finite Lipschitz bound.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.priors import MultiscaleSmoothness
    >>> x = torch.tensor([[[[0.0, 3.0, 3.0]]]])
    >>> float(MultiscaleSmoothness(2.0).value(x)[0])
    12.0
    """

    offers = frozenset({"value", "gradient"})

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * energies.multiscale_smoothness(x, need_grad=False)[0]

    def value_and_grad(self, x: torch.Tensor) -> tuple:
        """``(value (B,), grad)`` from one evaluation of the energy."""
        e, g = energies.multiscale_smoothness(x)
        assert g is not None
        return self.weight * e, self.weight * g

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * _grad(energies.multiscale_smoothness(x))


class Harmonic(Prior):
    r"""Tikhonov (harmonic) prior, the squared norm of the gradient.

    Parameters
    ----------
    weight : float
        Weight of the prior, finite and >= 0.

    Notes
    -----
    .. math:: R(x) = \sum |\nabla x|^2, \qquad \nabla R = -2 L x, \qquad \mathrm{Lip} \le 16 w

    ``hessian(x)`` is :math:`-2 w L x`; ``prox(v, t)`` solves :math:`(I - 2 t w L)\, x = v` by
    conjugate gradient.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.priors import Harmonic
    >>> v = torch.rand(1, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> p = Harmonic(1.0)
    >>> x = p.prox(v, 0.5)
    >>> bool(torch.allclose(x + 0.5 * p.hessian(x), v, atol=1e-8))
    True
    """

    offers = frozenset({"value", "gradient", "hessian", "prox"})

    @property
    def lipschitz(self) -> float:  # type: ignore[override]
        return 16.0 * self.weight

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * energies.harmonic(x, need_grad=False)[0]

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * _grad(energies.harmonic(x))

    def hessian(self, x: torch.Tensor) -> torch.Tensor:
        return -2.0 * self.weight * differences.laplacian(x)

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        return cg_solve(lambda z: z + t * self.hessian(z), v, v, iterations=500, tol=1e-10)


class Biharmonic(Harmonic):
    r"""Biharmonic prior, the squared norm of the Laplacian.

    Parameters
    ----------
    weight : float
        Weight of the prior, finite and >= 0.

    Notes
    -----
    .. math:: R(x) = \sum (L x)^2, \qquad \nabla R = 2 L L x, \qquad \mathrm{Lip} \le 128 w

    ``hessian(x)`` is :math:`2 w L L x`; ``prox`` as for :class:`Harmonic` with this Hessian.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.priors import Biharmonic
    >>> x = torch.rand(1, 1, 6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> p = Biharmonic(1.0)
    >>> bool(torch.allclose(p.grad(x), p.hessian(x))), p.lipschitz
    (True, 128.0)
    """

    @property
    def lipschitz(self) -> float:  # type: ignore[override]
        return 128.0 * self.weight

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * energies.biharmonic(x, need_grad=False)[0]

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * _grad(energies.biharmonic(x))

    def hessian(self, x: torch.Tensor) -> torch.Tensor:
        return 2.0 * self.weight * differences.bilaplacian(x)


class TotalVariation(Prior):
    r"""Exact (non-smoothed) total variation; ``prox`` is the ROF denoiser solved on the dual.

    Parameters
    ----------
    weight : float
        Weight of the prior, finite and >= 0.
    isotropic : bool
        :math:`|\nabla x|` (True) or :math:`|D_x x| + |D_y x|`.
    iterations : int
        Inner dual iterations of ``prox``.

    Notes
    -----
    .. math:: R(x) = \sum \sqrt{(D_x x)^2 + (D_y x)^2} \quad\text{or}\quad \sum |D_x x| + |D_y x|

    ``prox(v, t)`` with :math:`\lambda = w t` solves the ROF problem [1]_
    :math:`\min_x \lambda R(x) + \tfrac12\|x - v\|^2` by projected gradient on the dual
    field :math:`p` (Chambolle's dual approach [2]_), step :math:`1/(8\lambda)`, convergent
    for both norms:

    .. math:: p \leftarrow \Pi\big(p + \tfrac{1}{8\lambda} \nabla (v + \lambda\, \mathrm{div}\, p)\big), \qquad x = v + \lambda\, \mathrm{div}\, p

    with :math:`\Pi` the projection onto the unit ball of the dual norm (``project``).

    References
    ----------
    .. [1] L. I. Rudin, S. Osher, E. Fatemi, "Nonlinear total variation based noise removal
       algorithms", Physica D 60(1-4):259-268 (1992).
    .. [2] A. Chambolle, "An algorithm for total variation minimization and applications",
       J. Math. Imaging Vis. 20:89-97 (2004).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.priors import TotalVariation
    >>> x = torch.zeros(1, 1, 4, 4); x[..., 2:] = 1.0
    >>> float(TotalVariation(1.0).value(x)[0])
    4.0
    >>> y = TotalVariation(0.1, iterations=200).prox(x, 1.0)    # ROF shrinks the step's contrast
    >>> 0.0 < float(y[..., 0, 3] - y[..., 0, 0]) < 1.0
    True
    """

    offers = frozenset({"value", "prox", "dual"})
    #: :math:`\|\nabla\|^2 \le 8` for the forward differences.
    analysis_norm2 = 8.0

    def __init__(self, weight: float = 1.0, isotropic: bool = True, iterations: int = 50) -> None:
        super().__init__(weight)
        self.isotropic = bool(isotropic)
        self.iterations = int(iterations)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        dy, dx = differences.forward_diff(x)
        t = (dy.square() + dx.square()).sqrt() if self.isotropic else dy.abs() + dx.abs()
        return self.weight * t.reshape(t.shape[0], -1).sum(1)

    def analysis(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """:math:`K x = \nabla x`, the fields ``(Dy x, Dx x)``."""
        return differences.forward_diff(x)

    def analysis_adjoint(self, fields: Tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """:math:`K^T p = -\\mathrm{div}\\, p`."""
        return -differences.divergence(*fields)

    def project_dual(self, fields: Tuple[torch.Tensor, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Project the dual field onto the unit ball of the dual norm."""
        py, px = fields
        if self.isotropic:
            n = (py.square() + px.square()).sqrt().clamp_min(1.0)
            return py / n, px / n
        return py.clamp(-1.0, 1.0), px.clamp(-1.0, 1.0)

    def project(self, py: torch.Tensor, px: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """:meth:`project_dual` of ``(py, px)`` (the older two-argument form)."""
        return self.project_dual((py, px))

    def prox(self, v: torch.Tensor, t: float, deadline: Optional[float] = None) -> torch.Tensor:
        """Chambolle's dual projection; ``deadline`` (a :func:`time.perf_counter` value) stops
        the iterations after the first once it has passed."""
        lam = self.weight * float(t)
        if lam <= 0:
            return v
        py = torch.zeros_like(v)
        px = torch.zeros_like(v)
        step = 1.0 / (8.0 * lam)
        for it in range(self.iterations):          # projected gradient on the dual (FGP-free)
            if it and past(deadline):
                break
            u = v + lam * differences.divergence(py, px)
            gy, gx = differences.forward_diff(u)
            py, px = self.project_dual((py + step * gy, px + step * gx))
        return v + lam * differences.divergence(py, px)


class Charbonnier(Prior):
    r"""Charbonnier (smoothed total variation) prior.

    Parameters
    ----------
    weight : float
        Weight of the prior, finite and >= 0.
    eps : float
        Smoothing in image units (> 0).
    isotropic : bool
        Isotropic or anisotropic variant (see :func:`~pixelgrad.restore.energies.total_variation`).

    Raises
    ------
    ValueError
        ``weight`` or ``eps`` out of range.

    Notes
    -----
    .. math:: R(x) = \sum \sqrt{|\nabla x|^2 + \epsilon^2} - \epsilon, \qquad \mathrm{Lip} \le 8 w / \epsilon

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.priors import Charbonnier
    >>> p = Charbonnier(1.0, eps=0.01)
    >>> p.lipschitz, abs(float(p.value(torch.ones(1, 1, 4, 4))[0])) < 1e-6
    (800.0, True)
    """

    offers = frozenset({"value", "gradient"})

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
    r"""Sparsity in a block DCT (l0 of the non-DC coefficients).

    Parameters
    ----------
    weight : float
        Weight of the prior, finite and >= 0.
    block : int
        Side of the DCT blocks.
    generator : torch.Generator, optional
        CPU generator of the random grid shifts of ``prox`` (default: seeded with 0).

    Notes
    -----
    .. math:: R(x) = \#\{k : c_k \ne 0\}, \qquad \mathrm{prox}_{t w R}(v) = H_{\sqrt{2 t w}}(v)

    the hard threshold being the exact prox of :math:`w\|c\|_0` in an orthonormal basis
    (:func:`~pixelgrad.restore.dct.block_hard_threshold`), applied on a grid shifted by a random
    offset. ``value`` counts the nonzero coefficients on the unshifted grid (round-off level
    counts as zero).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.priors import BlockDCTSparsity
    >>> p = BlockDCTSparsity(1.0, block=8)
    >>> float(p.value(torch.full((1, 1, 16, 16), 0.5))[0])      # only DC coefficients
    0.0
    >>> p.prox(torch.rand(1, 1, 16, 16), 1e-3).shape
    torch.Size([1, 1, 16, 16])
    """

    offers = frozenset({"value", "prox"})

    def __init__(self, weight: float = 1e-3, block: int = 16, generator: Optional[torch.Generator] = None) -> None:
        super().__init__(weight)
        self.block = int(block)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        c = dct.block_dct_coefficients(x, self.block)
        tiny = 1e3 * torch.finfo(x.dtype).eps * c.abs().amax().clamp_min(1e-30)   # round-off zeros
        nz = (c.abs() > tiny).to(x.dtype)
        nz[..., ::self.block, ::self.block] = 0.0
        return self.weight * nz.reshape(x.shape[0], -1).sum(1)

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        tau = math.sqrt(2.0 * float(t) * self.weight)
        s = torch.randint(0, self.block, (2,), generator=self.generator).tolist()
        return dct.block_hard_threshold(v, tau, (s[0], s[1]), self.block,
                                        dct.dct_matrix(self.block, v.dtype, v.device))


class EdgeEnhancingDiffusion(Prior):
    r"""Edge-enhancing diffusion used as a denoising step (plug-and-play prior).

    Parameters
    ----------
    contrast : float
        Contrast parameter :math:`\lambda` of the diffusivity (> 0).
    sigma : float
        Gaussian pre-smoothing (>= 0).
    tau : float
        Explicit time step (> 0; stable up to 0.25).
    max_steps : int
        Most steps per ``prox`` call.

    Raises
    ------
    ValueError
        A parameter out of range.

    Notes
    -----
    ``prox(v, t)`` runs :math:`\max(1, \mathrm{round}(t/\tau))` (at most ``max_steps``)
    explicit steps of :func:`~pixelgrad.restore.diffusion.eed_step` from ``v``. EED has no
    energy, so this is not a prox and ``value`` is 0; it is meant for half-quadratic
    splitting (plug-and-play). Diffusion tensor after J. Weickert, *Anisotropic Diffusion in
    Image Processing*, Teubner, Stuttgart (1998).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.priors import EdgeEnhancingDiffusion
    >>> p = EdgeEnhancingDiffusion()
    >>> float(p.value(torch.rand(2, 1, 8, 8)).abs().sum()), p.prox(torch.rand(1, 1, 8, 8), 1.0).shape
    (0.0, torch.Size([1, 1, 8, 8]))
    """

    offers = frozenset({"value", "prox"})

    def __init__(self, contrast: float = 0.01, sigma: float = 1.0, tau: float = 0.2, max_steps: int = 50) -> None:
        super().__init__(1.0)
        self.max_steps = int(max_steps)
        self.contrast = _positive("EdgeEnhancingDiffusion", "contrast", contrast)
        self.sigma = _positive("EdgeEnhancingDiffusion", "sigma", sigma, allow_zero=True)
        self.tau = _positive("EdgeEnhancingDiffusion", "tau", tau)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0])

    def prox(self, v: torch.Tensor, t: float) -> torch.Tensor:
        u = v
        for _ in range(min(self.max_steps, max(1, int(round(float(t) / self.tau))))):
            u = diffusion.eed_step(u, contrast=self.contrast, sigma=self.sigma, tau=self.tau)
        return u
