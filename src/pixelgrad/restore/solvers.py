r"""Solvers of :math:`\min_x F(x) = \tfrac12\|A x - y\|^2 + R(x)` subject to :math:`x \in C`.

``A`` is a :class:`~pixelgrad.restore.operators.LinearOperator` (or ``None``: no data term,
as in inpainting, where the data are a constraint), ``R`` a
:class:`~pixelgrad.restore.priors.Prior` and ``C`` a
:class:`~pixelgrad.restore.constraints.Constraint` (a box, or fixed known pixels). A solver is
its *step*, a class with ``x`` and ``advance(k)`` run by the one loop
:func:`pixelgrad.restore.iterate.run`, which owns the iteration cap, the shared stopping rule
(every image's relative change ``||x_k - x_{k-1}|| <= tol ||x_k||``), the deadline, the
callback ``callback(k, objective (B,), x)`` and the history (a float64 CPU tensor
``(iterations run, B)``). A solver asks the prior for the capabilities it needs
(:data:`REQUIRES`), never for its class:

================================ ===================== ==============================================
step (function)                  needs from the prior  iteration
================================ ===================== ==============================================
:class:`GradientDescent`         gradient              ``x <- P(x - s_k grad F(x))``
(:func:`gradient_descent`)
:class:`FISTA` (:func:`fista`)   gradient or prox      accelerated proximal gradient; restart or
                                                       monotone (MFISTA) safeguard
:class:`ConjugateGradient`       hessian               CG on ``(A^T A + H) x = A^T y`` over the
(:func:`cg`)                                           free pixels
:class:`PrimalDual` (:func:`pdhg`) dual                Chambolle-Pock on ``K = [A; grad]``
:class:`HalfQuadraticSplitting`  prox                  ``(A^T A + mu) x = A^T y + mu z``,
(:func:`hqs`)                                          ``z = prox(x)``
:class:`IteratedThresholding`    --                    block-DCT hard thresholding, decreasing
                                                       threshold, known pixels re-imposed
:class:`Diffusion`               --                    edge-enhancing diffusion steps, known pixels
                                                       re-imposed
================================ ===================== ==============================================

Shared conventions: ``x0`` / ``data`` are float tensors ``(B, C, H, W)`` (float32 or float64,
any device); nothing passed in is modified; each function returns ``(x, history)``.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, Tuple, Union

import torch

from .._errors import bad_type, bad_value
from . import diffusion
from .checks import check_bounds, check_iterations, check_tol, real_scalar
from .constraints import Box, Constraint, FixedPixels
from .dct import block_hard_threshold, dct_matrix
from .differences import image_sum
from .iterate import Callback, past, run
from .linalg import CGState, batched_dot, cg_solve

__all__ = ["GradientDescent", "FISTA", "ConjugateGradient", "PrimalDual", "HalfQuadraticSplitting",
           "IteratedThresholding", "Diffusion", "gradient_descent", "fista", "cg", "pdhg", "hqs",
           "iterated_thresholding", "diffusion_inpainting", "objective", "tutorial_step", "pick",
           "SOLVERS", "REQUIRES", "AUTO", "Callback", "past", "cg_solve", "check_bounds"]

Operator = Any      # a LinearOperator or None (no data term)


# ================================================================ the objective and its pieces
def objective(operator: Operator, data: Optional[torch.Tensor], prior: Any, x: torch.Tensor) -> torch.Tensor:
    r"""The objective per image.

    Parameters
    ----------
    operator : LinearOperator or None
        The forward model :math:`A` (``None``: no data term).
    data : torch.Tensor or None
        The data :math:`y`.
    prior : Prior
        The regulariser :math:`R`.
    x : torch.Tensor
        The point ``(B, C, H, W)``.

    Returns
    -------
    torch.Tensor
        :math:`\tfrac12\|A x - y\|^2 + R(x)`, shape ``(B,)``.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> objective(operators.Identity(), torch.zeros(1, 1, 2, 2), priors.Harmonic(1.0), torch.ones(1, 1, 2, 2))
    tensor([2.])
    """
    if operator is None:
        return prior.value(x)
    r = operator(x) - data
    return 0.5 * r.reshape(r.shape[0], -1).square().sum(1) + prior.value(x)


def _data_grad(operator: Operator, data: Optional[torch.Tensor], x: torch.Tensor) -> Optional[torch.Tensor]:
    """:math:`A^T(A x - y)`, or ``None`` without a data term."""
    return None if operator is None else operator.adjoint(operator(x) - data)


def _plus(a: Optional[torch.Tensor], b: torch.Tensor) -> torch.Tensor:
    return b if a is None else a + b


def tutorial_step(w: int) -> float:
    r"""Step size of the multiscale-smoothness descent at iteration ``w``.

    Parameters
    ----------
    w : int
        Iteration, from 0.

    Returns
    -------
    float
        :math:`\max(1.5 / (w + 1),\ 0.015)`.

    Examples
    --------
    >>> tutorial_step(0), tutorial_step(2), tutorial_step(1000)
    (1.5, 0.5, 0.015)
    """
    return max(1.5 / (w + 1), 0.015)


def _norm2(operator: Operator) -> float:
    return 0.0 if operator is None else operator.norm_bound() ** 2


def _step_lipschitz(fn: str, lip: float) -> float:
    if not (math.isfinite(lip) and lip > 0):
        bad_value(fn, "operator", "an operator whose norm_bound() is finite and > 0 (step 1 / L)",
                  f"a Lipschitz constant L = {lip!r}")
    return lip


#: The capabilities each solver needs from the prior (any one of them).
REQUIRES: Dict[str, Tuple[str, ...]] = {"gradient_descent": ("gradient",), "fista": ("gradient", "prox"),
                                        "cg": ("hessian",), "pdhg": ("dual",), "hqs": ("prox",)}
#: The order in which ``solver="auto"`` asks: the first capability the prior offers wins.
AUTO: Tuple[Tuple[str, str], ...] = (("hessian", "cg"), ("dual", "pdhg"), ("gradient", "fista"), ("prox", "hqs"))


def _require(fn: str, prior: Any) -> None:
    need = REQUIRES[fn]
    if not any(prior.has(c) for c in need):
        raise TypeError(f"{fn}: argument `prior` must offer {' or '.join(repr(c) for c in need)}; "
                        f"{prior!r} offers {sorted(prior.offers)}")


def pick(prior: Any) -> str:
    """The solver ``solver="auto"`` runs for ``prior``: the first of :data:`AUTO` whose
    capability the prior offers.

    Parameters
    ----------
    prior : Prior
        The regulariser.

    Returns
    -------
    str
        A key of :data:`SOLVERS`.

    Examples
    --------
    >>> from pixelgrad.restore import priors
    >>> pick(priors.Harmonic()), pick(priors.TotalVariation()), pick(priors.Charbonnier())
    ('cg', 'pdhg', 'fista')
    """
    for capability, name in AUTO:
        if prior.has(capability):
            return name
    raise TypeError(f"solve: argument `prior` must offer one of {[c for c, _ in AUTO]}, got {prior!r}")


def _start(operator: Operator, data: Optional[torch.Tensor], x0: Any, fn: str = "solve") -> torch.Tensor:
    """The starting point: ``A^T y``, or a checked copy of ``x0`` (a numpy array is taken as
    a tensor; its shape must be that of ``A^T y``, its values finite)."""
    import numpy as np

    start = operator.adjoint(data) if operator is not None else None
    if x0 is None:
        if start is None:
            bad_value(fn, "x0", "a starting point when there is no operator", x0)
        return start.clone()
    if isinstance(x0, np.ndarray):
        x0 = torch.from_numpy(np.array(x0))
    if not isinstance(x0, torch.Tensor):
        bad_type(fn, "x0", "a float torch.Tensor (B, C, H, W) or None", x0)
    like = start if start is not None else x0
    if tuple(x0.shape) != tuple(like.shape) or not (x0.is_floating_point() or x0.dtype in
                                                       (torch.uint8, torch.int16, torch.int32, torch.int64)):
        bad_value(fn, "x0", f"a real tensor of the unknown's shape {tuple(like.shape)}", x0)
    if x0.is_floating_point() and not bool(torch.isfinite(x0).all()):
        bad_value(fn, "x0", "finite values (no NaN or inf)", x0)
    dtype = like.dtype if like.is_floating_point() else torch.float32
    return x0.detach().to(like.device, dtype, copy=True)


def _constraint(fn: str, bounds: Optional[Tuple[float, float]], constraint: Optional[Constraint]) -> Constraint:
    if constraint is not None:
        if not isinstance(constraint, Constraint):
            bad_type(fn, "constraint", "a pixelgrad.restore.constraints.Constraint or None", constraint)
        return constraint
    b = check_bounds(fn, bounds)
    return Box(b) if b is not None else Constraint()


# ====================================================================================== steps
class GradientDescent:
    r"""Projected gradient descent: :math:`x_{k+1} = P(x_k - s_k \nabla F(x_k))`.

    Parameters
    ----------
    operator, data, prior :
        The problem (module docstring); the prior offers ``"gradient"``.
    x : torch.Tensor
        Start ``(B, C, H, W)``.
    step : float or callable
        A number or a schedule ``step(k)``.
    constraint : Constraint
        The projection :math:`P`.
    objective_before : bool
        Record :math:`F(x_k)`, the objective of the point the step is taken from (free with
        the gradient when the prior has ``value_and_grad``), instead of :math:`F(x_{k+1})`.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import iterate, operators, priors
    >>> y = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> s = GradientDescent(operators.Identity(), y, priors.Harmonic(0.1), y.clone(), 0.05, Constraint())
    >>> x, hist = iterate.run(s, 10)
    >>> bool(hist[-1, 0] < hist[0, 0])
    True
    """

    def __init__(self, operator: Operator, data: Optional[torch.Tensor], prior: Any, x: torch.Tensor,
                 step: Union[float, Callable[[int], float]], constraint: Constraint,
                 objective_before: bool = False) -> None:
        self.operator, self.data, self.prior = operator, data, prior
        self.x, self.step, self.constraint = x, step, constraint
        self.objective_before = objective_before

    def advance(self, k: int) -> torch.Tensor:
        s = self.step(k) if callable(self.step) else float(self.step)
        x = self.x
        if self.objective_before and self.operator is None and hasattr(self.prior, "value_and_grad"):
            f, g = self.prior.value_and_grad(x)
        else:
            g = _plus(_data_grad(self.operator, self.data, x), self.prior.grad(x))
            f = objective(self.operator, self.data, self.prior, x) if self.objective_before else None
        self.x = self.constraint.project(x - s * g)
        return f if f is not None else objective(self.operator, self.data, self.prior, self.x)


class FISTA:
    r"""Accelerated proximal gradient (FISTA) with a restart or a monotone safeguard.

    Parameters
    ----------
    operator, data, prior :
        The problem; a smooth prior enters through its gradient, another through its prox.
    x : torch.Tensor
        Start ``(B, C, H, W)``.
    constraint : Constraint
        Projection applied after the prox (exact for a smooth prior).
    monotone : bool
        MFISTA [2]_: keep the previous iterate where the objective would go up (the history
        never increases); otherwise the function-value restart of [3]_ (drop the momentum of
        an image whose objective went up).
    fn : str
        Name for error messages.

    Notes
    -----
    With :math:`s = 1 / (\|A\|^2 + \mathrm{Lip}(\nabla R))` [1]_:

    .. math:: z_k = P\big(\mathrm{prox}_{sR}(y_k - s A^T(A y_k - y))\big), \quad t_{k+1} = \tfrac{1 + \sqrt{1 + 4t_k^2}}{2}

    restart: :math:`x_k = z_k,\ y_{k+1} = x_k + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1})`;
    monotone: :math:`x_k = z_k` if :math:`F(z_k) \le F(x_{k-1})` else :math:`x_{k-1}`, and
    :math:`y_{k+1} = x_k + \tfrac{t_k}{t_{k+1}}(z_k - x_k) + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1})`.

    References
    ----------
    .. [1] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
       linear inverse problems", SIAM J. Imaging Sci. 2(1):183-202 (2009).
    .. [2] A. Beck, M. Teboulle, "Fast gradient-based algorithms for constrained total
       variation image denoising and deblurring problems", IEEE Trans. Image Process.
       18(11):2419-2434 (2009).
    .. [3] B. O'Donoghue, E. Candes, "Adaptive restart for accelerated gradient schemes",
       Found. Comput. Math. 15(3):715-732 (2015).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import iterate, operators, priors
    >>> y = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> s = FISTA(operators.Identity(), y, priors.Charbonnier(0.1), y.clone(), Constraint(), monotone=True)
    >>> x, hist = iterate.run(s, 20)
    >>> bool((hist[1:] <= hist[:-1]).all())
    True
    """

    def __init__(self, operator: Operator, data: Optional[torch.Tensor], prior: Any, x: torch.Tensor,
                 constraint: Constraint, monotone: bool = False, fn: str = "fista") -> None:
        self.operator, self.data, self.prior, self.constraint = operator, data, prior, constraint
        self.use_prox = not prior.has("gradient")
        lip = _norm2(operator) + (0.0 if self.use_prox else prior.lipschitz)
        self.s = 1.0 / _step_lipschitz(fn, lip)
        self.monotone = monotone
        self.t = 1.0
        if monotone:
            self.x = constraint.project(x)
            self.fx = objective(operator, data, prior, self.x)
        else:
            self.x = x
            self.f_old: Optional[torch.Tensor] = None
        self.y = self.x
        self._view = (-1,) + (1,) * (x.ndim - 1)

    def _forward_backward(self, y: torch.Tensor) -> torch.Tensor:
        g = _data_grad(self.operator, self.data, y)
        if self.use_prox:
            v = y if g is None else y - self.s * g
            return self.prior.prox(v, self.s)
        return y - self.s * _plus(g, self.prior.grad(y))

    def advance(self, k: int) -> torch.Tensor:
        x, t = self.x, self.t
        z = self.constraint.project(self._forward_backward(self.y))
        t_new = (1.0 + (1.0 + 4.0 * t * t) ** 0.5) / 2.0
        if self.monotone:
            fz = objective(self.operator, self.data, self.prior, z)
            better = fz <= self.fx
            x_new = torch.where(better.view(self._view), z, x)
            self.fx = torch.where(better, fz, self.fx)
            y = x_new + (t / t_new) * (z - x_new) + ((t - 1.0) / t_new) * (x_new - x)
            self.y = self.constraint.fix(y)
            f = self.fx
        else:
            x_new = z
            f = objective(self.operator, self.data, self.prior, x_new)
            y = x_new + ((t - 1.0) / t_new) * (x_new - x)
            if self.f_old is not None:                  # restart the momentum where F went up
                y = torch.where((f > self.f_old).view(self._view), x_new, y)
            self.y, self.f_old = y, f
        self.x, self.t = x_new, t_new
        return f


class ConjugateGradient:
    r"""Conjugate gradient on :math:`(A^T A + H)\, x = A^T y` over the free pixels.

    Parameters
    ----------
    operator, data, prior :
        The problem; the prior offers ``"hessian"`` (:math:`R(x) = x^T H x / 2`).
    x : torch.Tensor
        Start ``(B, C, H, W)``; the pixels the constraint fixes keep its values.
    constraint : Constraint
        Only its fixed pixels are used (:math:`M_{UU} x_U = b_U - M_{UK} x_K`).
    tol : float
        Stop once every system has :math:`\|r\| \le tol\, \|A^T y\|` (without a data term:
        :math:`tol\, \|r_0\|`).
    check_every : int
        Test that rule every this many iterations.
    per_plane : bool
        One system (own step sizes) per image plane instead of per image (no data term only).

    Notes
    -----
    The objective is updated exactly from the CG scalars,
    :math:`F(x + \alpha p) = F(x) - \alpha\, r^T r + \tfrac{\alpha^2}{2} p^T M p`, so
    recording it costs nothing. The iteration is :class:`~pixelgrad.restore.linalg.CGState`.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import iterate, operators, priors
    >>> y = torch.rand(1, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> s = ConjugateGradient(operators.Identity(), y, priors.Harmonic(0.1), y.clone(), Constraint(), tol=1e-8)
    >>> x, hist = iterate.run(s, 100)
    >>> bool(torch.allclose(x + priors.Harmonic(0.1).hessian(x), y))
    True
    """

    def __init__(self, operator: Operator, data: Optional[torch.Tensor], prior: Any, x: torch.Tensor,
                 constraint: Constraint, *, tol: float = 1e-6, check_every: int = 1, per_plane: bool = False) -> None:
        self.shape = x.shape
        bsz, c, h, w = x.shape
        self.operator, self.data, self.prior = operator, data, prior
        self.tol, self.check_every = tol, check_every
        self.planes = per_plane and operator is None and c > 1
        free = constraint.free
        if self.planes:
            x = x.reshape(bsz * c, 1, h, w)
            if free is not None:
                free = free.expand(bsz, c, h, w).reshape(bsz * c, 1, h, w)

        def restrict(v: torch.Tensor) -> torch.Tensor:
            return v if free is None else v * free

        if operator is None:
            def apply(v: torch.Tensor) -> torch.Tensor:
                return restrict(prior.hessian(v))
            residual = -apply(x)
            self.f = prior.value(x)
        else:
            def apply(v: torch.Tensor) -> torch.Tensor:
                return restrict(operator.adjoint(operator(v)) + prior.hessian(v))
            b = restrict(operator.adjoint(data))
            residual = b - apply(x)
            self.f = objective(operator, data, prior, x)
        self.cg = CGState(apply, x, residual)
        self.reference = self.cg.rr.clone() if operator is None else batched_dot(b, b).clamp_min(1e-30)

    @property
    def x(self) -> torch.Tensor:
        return self.cg.x.view(self.shape)

    def advance(self, k: int) -> torch.Tensor:
        alpha, rr, pap = self.cg.step()
        self.f = self.f - alpha * rr + 0.5 * alpha * alpha * pap
        return self.f.view(self.shape[0], -1).sum(1) if self.planes else self.f

    def converged(self, k: int) -> bool:
        return (k + 1) % self.check_every == 0 and bool((self.cg.rr <= (self.tol * self.tol) * self.reference).all())


class PrimalDual:
    r"""Chambolle-Pock primal-dual iteration for :math:`\tfrac12\|A x - y\|^2 + w \sum g(K x)`.

    Parameters
    ----------
    operator, data, prior :
        The problem; the prior offers ``"dual"`` (``analysis`` :math:`K`, its adjoint,
        ``analysis_norm2`` and ``project_dual``).
    x : torch.Tensor
        Start ``(B, C, H, W)``.
    constraint : Constraint
        Projection of the primal iterate.

    Notes
    -----
    Algorithm 1 of [1]_ with a dual variable per term, :math:`\tau = \sigma = 0.99 / \|[A; K]\|`,
    :math:`\|[A; K]\|^2 \le \|A\|^2 + \|K\|^2` and over-relaxation 1:

    .. math:: q \leftarrow \frac{q + \sigma(A\bar x - y)}{1 + \sigma}, \quad p \leftarrow w\,\Pi\Big(\frac{p + \sigma K\bar x}{w}\Big), \quad x^+ = P\big(x - \tau(A^T q + K^T p)\big), \quad \bar x = 2x^+ - x

    References
    ----------
    .. [1] A. Chambolle, T. Pock, "A first-order primal-dual algorithm for convex problems
       with applications to imaging", J. Math. Imaging Vis. 40:120-145 (2011).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import iterate, operators, priors
    >>> y = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> s = PrimalDual(operators.Identity(), y, priors.TotalVariation(0.05), y.clone(), Constraint())
    >>> x, hist = iterate.run(s, 50)
    >>> bool(hist[-1, 0] < hist[0, 0])
    True
    """

    def __init__(self, operator: Operator, data: Optional[torch.Tensor], prior: Any, x: torch.Tensor,
                 constraint: Constraint) -> None:
        self.operator, self.data, self.prior, self.constraint = operator, data, prior, constraint
        self.tau = self.sigma = 0.99 / (_norm2(operator) + prior.analysis_norm2) ** 0.5
        self.x = constraint.project(x)
        self.xbar = self.x
        self.q = None if operator is None else torch.zeros_like(operator(self.x))
        self.p = tuple(torch.zeros_like(f) for f in prior.analysis(self.x))

    def advance(self, k: int) -> torch.Tensor:
        sigma, w, x = self.sigma, self.prior.weight, self.x
        if self.operator is not None:
            self.q = (self.q + sigma * (self.operator(self.xbar) - self.data)) / (1.0 + sigma)
        kx = self.prior.analysis(self.xbar)
        if w > 0:
            p = self.prior.project_dual(tuple((pi + sigma * gi) / w for pi, gi in zip(self.p, kx)))
            self.p = tuple(pi * w for pi in p)
        kt = self.prior.analysis_adjoint(self.p)
        step = kt if self.operator is None else self.operator.adjoint(self.q) + kt
        x_new = self.constraint.project(x - self.tau * step)
        self.xbar = 2.0 * x_new - x
        self.x = x_new
        return objective(self.operator, self.data, self.prior, x_new)


class HalfQuadraticSplitting:
    r"""Half-quadratic splitting (plug-and-play: any prox or denoising step fits).

    Parameters
    ----------
    operator, data, prior :
        The problem (a data term is required); the prior offers ``"prox"``.
    x : torch.Tensor
        Start ``(B, C, H, W)``.
    mu : pair of float
        Penalty :math:`\mu_k` growing geometrically from ``mu[0]`` to ``mu[1]`` over
        ``iterations``.
    iterations : int
        Length of the :math:`\mu` schedule.
    inner : int
        CG steps of each x-step (warm-started).

    Notes
    -----
    Alternates on :math:`\tfrac12\|A x - y\|^2 + R(z) + \tfrac{\mu_k}{2}\|x - z\|^2` [1]_:

    .. math:: (A^T A + \mu_k I)\, x_k = A^T y + \mu_k z_{k-1}, \qquad z_k = \mathrm{prox}_{R/\mu_k}(x_k)

    The iterate :attr:`x` is :math:`z_k`.

    References
    ----------
    .. [1] D. Geman, C. Yang, "Nonlinear image recovery with half-quadratic regularization",
       IEEE Trans. Image Process. 4(7):932-946 (1995).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import iterate, operators, priors
    >>> y = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> s = HalfQuadraticSplitting(operators.Identity(), y, priors.TotalVariation(0.05), y.clone(), (0.1, 10.0), 5)
    >>> iterate.run(s, 5)[1].shape
    torch.Size([5, 1])
    """

    def __init__(self, operator: Operator, data: torch.Tensor, prior: Any, x: torch.Tensor,
                 mu: Tuple[float, float], iterations: int, inner: int = 20) -> None:
        self.operator, self.data, self.prior = operator, data, prior
        self.mu, self.inner = mu, inner
        self.n = max(iterations - 1, 1)
        self.aty = operator.adjoint(data)
        self.xk = x
        self.x = x

    def advance(self, k: int) -> torch.Tensor:
        op = self.operator
        m = float(self.mu[0]) * (float(self.mu[1]) / float(self.mu[0])) ** (k / self.n)
        self.xk = cg_solve(lambda v: op.adjoint(op(v)) + m * v, self.aty + m * self.x, self.xk,
                           iterations=self.inner, tol=1e-6)
        self.x = self.prior.prox(self.xk, 1.0 / m)
        return objective(op, self.data, self.prior, self.x)


class IteratedThresholding:
    r"""Inpainting by iterated block-DCT hard thresholding with the known pixels re-imposed.

    Parameters
    ----------
    x : torch.Tensor
        Start ``(B, C, H, W)`` in [0, 1]; the known pixels are taken from it.
    known : torch.Tensor
        Bool mask broadcastable to ``x``, True where the pixel is known.
    rounds : int
        Length of the threshold schedule.
    block : int
        Side of the DCT blocks.
    tau_start, tau_end : float
        Threshold of the first and the last round (geometric in between).
    shifts : int
        Random grids whose thresholded images are averaged in each round.
    generator : torch.Generator, optional
        CPU generator drawing the grid shifts.

    Notes
    -----
    Round :math:`r` of :math:`R` records and uses :math:`\tau_r = \tau_0 (\tau_1/\tau_0)^{r/(R-1)}`:

    .. math:: x \leftarrow \mathrm{clip}_{[0,1]}\big(T_{\tau_r}(x)\big) \text{ on unknown pixels}, \qquad x \leftarrow x_0 \text{ on known pixels}

    with :math:`T_\tau` the :func:`~pixelgrad.restore.dct.block_hard_threshold` averaged over random
    grid shifts, a decreasing threshold as in iterated denoising [1]_ and the iterative
    thresholding of morphological component analysis [2]_. Run it with
    ``iterate.run(..., last_on_deadline=True)`` so a deadline still ends on the last threshold.

    References
    ----------
    .. [1] O. G. Guleryuz, "Nonlinear approximation based image recovery using adaptive
       sparse reconstructions and iterated denoising -- Part I: Theory", IEEE Trans. Image
       Process. 15(3):539-554 (2006).
    .. [2] M. Elad, J.-L. Starck, P. Querre, D. L. Donoho, "Simultaneous cartoon and texture
       image inpainting using morphological component analysis (MCA)", Appl. Comput.
       Harmon. Anal. 19(3):340-358 (2005).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import iterate
    >>> clean = torch.linspace(0, 1, 32).repeat(32, 1)[None, None]
    >>> known = torch.rand(clean.shape, generator=torch.Generator().manual_seed(0)) > 0.5
    >>> s = IteratedThresholding(torch.where(known, clean, 0.5), known, rounds=20,
    ...                          generator=torch.Generator().manual_seed(1))
    >>> out, taus = iterate.run(s, 20)
    >>> taus.shape, bool(torch.equal(out[known], clean[known]))
    (torch.Size([20, 1]), True)
    """

    def __init__(self, x: torch.Tensor, known: torch.Tensor, *, rounds: int = 60, block: int = 16,
                 tau_start: float = 0.25, tau_end: float = 0.01, shifts: int = 1,
                 generator: Optional[torch.Generator] = None) -> None:
        self.x = self.x0 = x
        self.known, self.rounds, self.block, self.shifts = known, rounds, block, shifts
        self.tau_start, self.tau_end, self.generator = tau_start, tau_end, generator
        self.dct = dct_matrix(block, x.dtype, x.device)
        self._keep = FixedPixels(known, x, (0.0, 1.0))       # known pixels fixed, the rest in [0, 1]

    def advance(self, k: int) -> torch.Tensor:
        tau = self.tau_start * (self.tau_end / self.tau_start) ** (k / max(self.rounds - 1, 1))
        acc: Optional[torch.Tensor] = None
        for _ in range(self.shifts):
            s = torch.randint(0, self.block, (2,), generator=self.generator).tolist()
            y = block_hard_threshold(self.x, tau, (s[0], s[1]), self.block, self.dct)
            acc = y if acc is None else acc.add_(y)
        assert acc is not None
        if self.shifts > 1:
            acc = acc.div_(self.shifts)
        self.x = self._keep.project(acc)
        return torch.full((self.x.shape[0],), tau, dtype=torch.float64)


class Diffusion:
    r"""Inpainting by edge-enhancing diffusion with the known pixels fixed.

    Parameters
    ----------
    x : torch.Tensor
        Start ``(B, C, H, W)`` in [0, 1].
    known : torch.Tensor
        Bool mask broadcastable to ``x``, True where the pixel is known.
    contrast, sigma, tau : float
        As for :func:`~pixelgrad.restore.diffusion.eed_step`.
    x0 : torch.Tensor, optional
        Values of the known pixels (default ``x``).

    Notes
    -----
    :math:`u \leftarrow` ``where(known, x0, clip(eed_step(u)))`` (Weickert [1]_); the recorded
    objective is the squared size of the update, :math:`\|u_{k+1} - u_k\|^2`.

    References
    ----------
    .. [1] J. Weickert, Anisotropic Diffusion in Image Processing, Teubner, Stuttgart (1998).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import iterate
    >>> clean = torch.linspace(0, 1, 16).repeat(16, 1)[None, None]
    >>> known = torch.ones_like(clean, dtype=torch.bool); known[..., 6:10, 6:10] = False
    >>> out, _ = iterate.run(Diffusion(torch.where(known, clean, 0.0), known), 200)
    >>> bool((out - clean).abs().max() < 0.05), bool(torch.equal(out[known], clean[known]))
    (True, True)
    """

    def __init__(self, x: torch.Tensor, known: torch.Tensor, *, contrast: float = 0.01, sigma: float = 1.0,
                 tau: float = 0.2, x0: Optional[torch.Tensor] = None) -> None:
        self.x, self.known = x, known
        self.ref = x if x0 is None else x0
        self.contrast, self.sigma, self.tau = contrast, sigma, tau

    def advance(self, k: int) -> torch.Tensor:
        u = diffusion.eed_step(self.x, contrast=self.contrast, sigma=self.sigma, tau=self.tau).clamp_(0.0, 1.0)
        u = torch.where(self.known, self.ref, u)
        change = image_sum((u - self.x).square())
        self.x = u
        return change


# ========================================================================== solver functions
_DOC_COMMON = """
    Parameters
    ----------
    operator : LinearOperator or None
        The forward model :math:`A` (:mod:`pixelgrad.restore.operators`); ``None``: no data
        term (then ``x0`` is required).
    data : torch.Tensor or None
        The data :math:`y`, shape of ``operator(x)``.
    prior : Prior
        The regulariser :math:`R` (:mod:`pixelgrad.restore.priors`), weight included.
    x0 : torch.Tensor, optional
        Start ``(B, C, H, W)`` (default :math:`A^T y`).
    iterations : int
        Most iterations (>= 0).
    tol : float
        The shared stopping rule (:func:`pixelgrad.restore.iterate.run`; 0: off).
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.
"""


def gradient_descent(operator: Operator, data: Optional[torch.Tensor], prior: Any, *, x0: Any = None,
                     step: Union[None, float, Callable[[int], float]] = None, iterations: int = 200,
                     tol: float = 0.0, bounds: Optional[Tuple[float, float]] = None,
                     constraint: Optional[Constraint] = None, objective_before: bool = False,
                     callback: Callback = None,
                     deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    check_iterations("gradient_descent", iterations)
    tol = check_tol("gradient_descent", tol)
    c = _constraint("gradient_descent", bounds, constraint)
    _require("gradient_descent", prior)
    x = _start(operator, data, x0, "gradient_descent")
    if step is None:
        lip = _norm2(operator) + prior.lipschitz
        step = 1.0 / _step_lipschitz("gradient_descent", lip) if lip < float("inf") else 1e-2
    s = GradientDescent(operator, data, prior, x, step, c, objective_before)
    return run(s, iterations, tol=tol, deadline=deadline, callback=callback)


gradient_descent.__doc__ = r"""(Projected) gradient descent on :math:`\tfrac12\|A x - y\|^2 + R(x)` (smooth priors).
""" + _DOC_COMMON + r"""    step : float, callable or None
        A number, a schedule ``step(k)`` (e.g. :func:`tutorial_step`), or ``None`` for
        :math:`1 / (\|A\|^2 + \mathrm{Lip}(\nabla R))`.
    bounds : pair or None
        Box ``(lo, hi)`` projection (when no ``constraint`` is given).
    constraint : Constraint, optional
        The projection (e.g. :class:`~pixelgrad.restore.constraints.FixedPixels`).
    objective_before : bool
        Record the objective of the point each step is taken from (see :class:`GradientDescent`).

    Returns
    -------
    tuple
        ``(x, history)``, the history the objective per image after every iteration.

    Raises
    ------
    ValueError
        Bad ``iterations`` / ``tol`` / ``bounds``.
    TypeError
        The prior offers no gradient.

    Notes
    -----
    .. math:: x_{k+1} = P\big(x_k - s_k (A^T (A x_k - y) + \nabla R(x_k))\big)

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> y = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> x, hist = gradient_descent(operators.Identity(), y, priors.Harmonic(0.1), iterations=20)
    >>> bool(hist[-1, 0] <= hist[0, 0])
    True
"""


def fista(operator: Operator, data: Optional[torch.Tensor], prior: Any, *, x0: Any = None,
          iterations: int = 200, tol: float = 0.0, bounds: Optional[Tuple[float, float]] = None,
          constraint: Optional[Constraint] = None, monotone: bool = False,
          callback: Callback = None, deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    check_iterations("fista", iterations)
    tol = check_tol("fista", tol)
    c = _constraint("fista", bounds, constraint)
    _require("fista", prior)
    x = _start(operator, data, x0, "fista")
    return run(FISTA(operator, data, prior, x, c, monotone), iterations, tol=tol, deadline=deadline,
               callback=callback)


fista.__doc__ = r"""FISTA with adaptive restart (or the monotone MFISTA safeguard), see :class:`FISTA`.
""" + _DOC_COMMON + r"""    bounds : pair or None
        Box ``(lo, hi)`` clamped after the prox (when no ``constraint`` is given).
    constraint : Constraint, optional
        The projection.
    monotone : bool
        MFISTA instead of the restart.

    Returns
    -------
    tuple
        ``(x, history)``, the objective per image after every iteration.

    Raises
    ------
    ValueError
        Bad ``iterations`` / ``tol`` / ``bounds``, or an operator without a finite norm bound.
    TypeError
        The prior offers neither a gradient nor a prox.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> y = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> x, hist = fista(operators.Blur(sigma=1.0), y, priors.TotalVariation(0.01), iterations=30)
    >>> x.shape, hist.shape
    (torch.Size([1, 1, 16, 16]), torch.Size([30, 1]))
"""


def cg(operator: Operator, data: Optional[torch.Tensor], prior: Any, *, x0: Any = None, iterations: int = 200,
       tol: float = 1e-6, constraint: Optional[Constraint] = None, check_every: int = 1, per_plane: bool = False,
       callback: Callback = None, deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    check_iterations("cg", iterations)
    tol = check_tol("cg", tol)
    _require("cg", prior)
    x = _start(operator, data, x0, "cg")
    s = ConjugateGradient(operator, data, prior, x, constraint or Constraint(), tol=tol,
                          check_every=check_every, per_plane=per_plane)
    return run(s, iterations, deadline=deadline, callback=callback)


cg.__doc__ = r"""Conjugate gradient on the normal equations of a quadratic prior, see :class:`ConjugateGradient`.
""" + _DOC_COMMON.replace(
    "The shared stopping rule (:func:`pixelgrad.restore.iterate.run`; 0: off).",
    r"Stop once every residual :math:`\|r\| \le tol\, \|A^T y\|` (no data term: :math:`\|r_0\|`).") + r"""    constraint : Constraint, optional
        Fixed pixels (only they are used; CG needs no box).
    check_every : int
        Test the residual every this many iterations.
    per_plane : bool
        One system per image plane (no data term only).

    Returns
    -------
    tuple
        ``(x, history)``, the objective per image after every iteration (exact bookkeeping).

    Raises
    ------
    TypeError
        The prior offers no Hessian.
    ValueError
        Bad ``iterations`` or ``tol``.

    Notes
    -----
    With :math:`R(x) = x^T H x / 2` (``prior.hessian``) it solves :math:`(A^T A + H)\, x = A^T y`
    (Hestenes and Stiefel [1]_).

    References
    ----------
    .. [1] M. R. Hestenes, E. Stiefel, "Methods of conjugate gradients for solving linear
       systems", J. Res. Natl. Bur. Stand. 49(6):409-436 (1952).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> y = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> x, hist = cg(operators.Blur(sigma=1.0), y, priors.Harmonic(0.01), iterations=50)
    >>> bool(hist[-1, 0] <= hist[0, 0])
    True
"""


def pdhg(operator: Operator, data: Optional[torch.Tensor], prior: Any, *, x0: Any = None, iterations: int = 300,
         tol: float = 0.0, bounds: Optional[Tuple[float, float]] = None, constraint: Optional[Constraint] = None,
         callback: Callback = None, deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    check_iterations("pdhg", iterations)
    tol = check_tol("pdhg", tol)
    c = _constraint("pdhg", bounds, constraint)
    _require("pdhg", prior)
    x = _start(operator, data, x0, "pdhg")
    return run(PrimalDual(operator, data, prior, x, c), iterations, tol=tol, deadline=deadline, callback=callback)


pdhg.__doc__ = r"""Chambolle-Pock primal-dual hybrid gradient, see :class:`PrimalDual`.
""" + _DOC_COMMON + r"""    bounds : pair or None
        Box ``(lo, hi)`` projection of the primal iterate (when no ``constraint`` is given).
    constraint : Constraint, optional
        The projection.

    Returns
    -------
    tuple
        ``(x, history)``, the objective per image after every iteration.

    Raises
    ------
    TypeError
        The prior offers no dual form.
    ValueError
        Bad ``iterations`` or ``tol``.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> y = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> x, hist = pdhg(operators.Blur(sigma=1.0), y, priors.TotalVariation(0.01), iterations=50)
    >>> bool(hist[-1, 0] < hist[0, 0])
    True
"""


def hqs(operator: Operator, data: torch.Tensor, prior: Any, *, x0: Any = None, iterations: int = 30,
        tol: float = 0.0, mu: Tuple[float, float] = (1e-2, 1e2), inner: int = 20,
        callback: Callback = None, deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    check_iterations("hqs", iterations)
    tol = check_tol("hqs", tol)
    mus = [real_scalar(m) for m in mu] if isinstance(mu, (tuple, list)) and len(mu) == 2 else []
    if len(mus) != 2 or any(m is None or not (math.isfinite(m) and m > 0) for m in mus):
        bad_value("hqs", "mu", "a pair (mu_start, mu_end) of finite numbers > 0", mu)
    _require("hqs", prior)
    if operator is None:
        bad_value("hqs", "operator", "a LinearOperator (half-quadratic splitting needs a data term)", operator)
    x = _start(operator, data, x0, "hqs")
    s = HalfQuadraticSplitting(operator, data, prior, x, (float(mus[0]), float(mus[1])), iterations, inner)  # type: ignore[arg-type]
    return run(s, iterations, tol=tol, deadline=deadline, callback=callback)


hqs.__doc__ = r"""Half-quadratic splitting, see :class:`HalfQuadraticSplitting`.
""" + _DOC_COMMON + r"""    mu : pair of float
        Penalty schedule from ``mu[0]`` to ``mu[1]``.
    inner : int
        CG steps of each x-step (warm-started).

    Returns
    -------
    tuple
        ``(z, history)``, the history holding :math:`F(z_k)`.

    Raises
    ------
    ValueError
        Bad ``iterations`` / ``tol`` / ``mu``.
    TypeError
        The prior has no prox.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> y = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> z, hist = hqs(operators.Blur(sigma=1.0), y, priors.EdgeEnhancingDiffusion(), iterations=5)
    >>> z.shape, hist.shape
    (torch.Size([1, 1, 16, 16]), torch.Size([5, 1]))
"""


def iterated_thresholding(x: torch.Tensor, known: torch.Tensor, *, rounds: int = 60, block: int = 16,
                          tau_start: float = 0.25, tau_end: float = 0.01, shifts: int = 1,
                          generator: Optional[torch.Generator] = None, callback: Callback = None,
                          deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Run :class:`IteratedThresholding` for ``rounds`` rounds.

    Parameters
    ----------
    x, known, rounds, block, tau_start, tau_end, shifts, generator :
        As for :class:`IteratedThresholding`.
    callback : callable, optional
        ``callback(round, tau (B,), x)`` after every round.
    deadline : float, optional
        Once passed, the remaining rounds are skipped except the last one.

    Returns
    -------
    tuple
        ``(x, taus)``: the result and the thresholds of the rounds run ``(rounds run, B)``.

    Examples
    --------
    >>> import torch
    >>> known = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0)) > 0.5
    >>> out, taus = iterated_thresholding(torch.where(known, 0.5, 0.0), known, rounds=3)
    >>> taus[:, 0].tolist()
    [0.25, 0.05, 0.01]
    """
    s = IteratedThresholding(x, known, rounds=rounds, block=block, tau_start=tau_start, tau_end=tau_end,
                             shifts=shifts, generator=generator)
    return run(s, rounds, deadline=deadline, callback=callback, last_on_deadline=True)


def diffusion_inpainting(x: torch.Tensor, known: torch.Tensor, *, iterations: int = 30, contrast: float = 0.01,
                         sigma: float = 1.0, tau: float = 0.2, x0: Optional[torch.Tensor] = None,
                         deadline: Optional[float] = None) -> torch.Tensor:
    """Run :class:`Diffusion` for ``iterations`` steps (at least one under a deadline).

    Parameters
    ----------
    x, known, contrast, sigma, tau, x0 :
        As for :class:`Diffusion`.
    iterations : int
        Explicit steps.
    deadline : float, optional
        A :func:`time.perf_counter` value.

    Returns
    -------
    torch.Tensor
        The inpainted images, known pixels equal to ``x0``.

    Examples
    --------
    >>> import torch
    >>> known = torch.ones(1, 1, 8, 8, dtype=torch.bool); known[..., 3:5, 3:5] = False
    >>> out = diffusion_inpainting(torch.where(known, 0.5, 0.0), known, iterations=100)
    >>> bool((out - 0.5).abs().max() < 1e-3)
    True
    """
    s = Diffusion(x, known, contrast=contrast, sigma=sigma, tau=tau, x0=x0)
    return run(s, iterations, deadline=deadline, record=False)[0]


SOLVERS: Dict[str, Callable[..., Tuple[torch.Tensor, torch.Tensor]]] = {
    "gradient_descent": gradient_descent, "fista": fista, "cg": cg, "pdhg": pdhg, "hqs": hqs}
