"""Solvers: the generic ``(operator, data, prior)`` ones, and the masked inpainting ones.

Generic solvers (:func:`gradient_descent`, :func:`fista`, :func:`cg`, :func:`pdhg`,
:func:`hqs`) minimise ``F(x) = ||A x - y||^2 / 2 + R(x)`` for a
:class:`~pixelgrad.restore.operators.LinearOperator` ``A``, data ``y`` and a
:class:`~pixelgrad.restore.priors.Prior` ``R``. They share one stopping rule
(``iterations`` at most; stop earlier once every image's relative change
``||x_k - x_{k-1}|| <= tol ||x_k||``), one callback type :data:`Callback`
``callback(iteration, objective (B,), x)`` and one history format: a float64 CPU tensor
``(iterations, B)`` of ``F`` per image after every iteration. Each returns ``(x, history)``.

Inpainting solvers (below) minimize an energy over the unknown pixels, known pixels fixed.

Shared conventions: ``x0`` is a float tensor ``(B, C, H, W)`` (float32 or float64, any
device) in [0, 1] units; ``known`` a bool tensor broadcastable to it (True = fixed pixel);
the known pixels of the result are bit-identical to those of ``x0``. ``x0`` is never
modified. Each solver returns ``(x, history)`` where ``history`` is a float64 CPU tensor
``(iterations, B)`` of the energy per image after each iteration. ``callback(it, energy, x)``
(``energy`` of shape ``(B,)``, on x's device) is called after every iteration when given.

* :func:`tutorial_descent` -- the multiscale-smoothness gradient descent (seed tutorial's loop), vectorized: ``x <- clip(x - L_w g, 0, 1)``
  with ``g`` the gradient of the tutorial energy zeroed at known pixels and the step
  ``L_w = max(1.5 / (w + 1), 0.015)``.
* :func:`projected_gradient` -- projected gradient / FISTA (Beck & Teboulle 2009) with the
  monotone safeguard (MFISTA): the energy never increases.
* :func:`conjugate_gradient` -- CG on the quadratic energies (harmonic, biharmonic): solves
  ``A_UU x_U = -A_UK x_K`` with ``A`` the Hessian; per-plane step sizes, stops when
  ``||r|| <= tol ||r_0||`` for every plane.
* :func:`chambolle_pock_tv` -- primal-dual (Chambolle & Pock 2011) for exact (non-smoothed)
  total variation with the constraints ``x_K = f_K``, ``0 <= x <= 1``.
"""
from __future__ import annotations

import time
from typing import Callable, List, Optional, Tuple, Union

import torch

from . import energies

Callback = Optional[Callable[[int, torch.Tensor, torch.Tensor], None]]


def _stack(hist: List[torch.Tensor], bsz: int) -> torch.Tensor:
    if not hist:
        return torch.zeros((0, bsz), dtype=torch.float64)
    return torch.stack(hist).to("cpu", torch.float64)


def past(deadline: Optional[float]) -> bool:
    """True when ``deadline`` (a :func:`time.perf_counter` value, or None for no limit) has
    passed. The masked solvers test it before every iteration but the first, so a time budget
    stops them after at most one iteration past it."""
    return deadline is not None and time.perf_counter() > deadline


def tutorial_step(w: int) -> float:
    """The tutorial's step size at iteration ``w`` (0-based): ``max(1.5 / (w + 1), 0.015)``."""
    return max(1.5 / (w + 1), 0.015)


def tutorial_descent(x0: torch.Tensor, known: torch.Tensor, iterations: int = 500,
                     callback: Callback = None, record: bool = True,
                     deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """The tutorial's gradient descent (see module docstring), all images at once.

    The energy recorded for iteration ``w`` is that of the iterate the step was taken from
    (it is computed with the gradient for free).
    """
    x = x0.clone()
    free = (~known).to(x.dtype)
    hist: List[torch.Tensor] = []
    for w in range(iterations):
        if w and past(deadline):
            break
        energy, g = energies.multiscale_smoothness(x)
        assert g is not None
        x = (x - tutorial_step(w) * (g * free)).clamp_(0.0, 1.0)
        if record:
            hist.append(energy)
        if callback is not None:
            callback(w, energy, x)
    return x, _stack(hist, x.shape[0])


def projected_gradient(energy: energies.EnergyFn, x0: torch.Tensor, known: torch.Tensor, *,
                       lipschitz: float, iterations: int = 200, tol: float = 0.0,
                       accelerate: bool = True, bounds: Optional[Tuple[float, float]] = (0.0, 1.0),
                       callback: Callback = None,
                       deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Minimize ``energy`` over the unknown pixels (projected onto ``bounds``) with step
    ``1 / lipschitz``; with ``accelerate`` FISTA momentum and the MFISTA safeguard (an
    iterate is accepted only where it lowers each image's energy), so the recorded energy is
    non-increasing. Stops early when every image's relative energy decrease is ``< tol``."""
    free = (~known).to(x0.dtype)
    step = 1.0 / float(lipschitz)

    def proj(z: torch.Tensor) -> torch.Tensor:
        return z.clamp(*bounds) if bounds is not None else z

    x = torch.where(known, x0, proj(x0))
    ex, _ = energy(x, need_grad=False)
    y, t = x, 1.0
    hist: List[torch.Tensor] = []
    bview = (-1,) + (1,) * (x.ndim - 1)
    for it in range(iterations):
        if it and past(deadline):
            break
        _, g = energy(y)
        assert g is not None
        z = torch.where(known, x0, proj(y - step * g * free))
        ez, _ = energy(z, need_grad=False)
        better = ez <= ex
        x_new = torch.where(better.view(bview), z, x)
        e_new = torch.where(better, ez, ex)
        if accelerate:
            t_new = (1.0 + (1.0 + 4.0 * t * t) ** 0.5) / 2.0
            # MFISTA: y = x_new + t/t_new (z - x_new) + (t-1)/t_new (x_new - x)
            y = x_new + (t / t_new) * (z - x_new) + ((t - 1.0) / t_new) * (x_new - x)
            y = torch.where(known, x0, y)
            t = t_new
        else:
            y = x_new
        rel = (ex - e_new) / ex.abs().clamp_min(1e-30)
        x, ex = x_new, e_new
        hist.append(ex)
        if callback is not None:
            callback(it, ex, x)
        if tol > 0 and it % 10 == 9 and bool((rel < tol).all()):
            break
    return x, _stack(hist, x.shape[0])


def conjugate_gradient(hessian: Callable[[torch.Tensor], torch.Tensor], energy: energies.EnergyFn,
                       x0: torch.Tensor, known: torch.Tensor, *, iterations: int = 500,
                       tol: float = 1e-4, callback: Callback = None,
                       check_every: int = 10,
                       deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Minimize the quadratic ``energy`` (``E(x) = x^T A x / 2`` with ``A = hessian``) over the
    unknown pixels by conjugate gradient, every (image, channel) plane with its own steps.

    The energy is updated exactly from the CG scalars
    (``E(x + a p) = E(x) - a r.p + a^2 p.Ap / 2``), so recording it costs nothing; in exact
    arithmetic it decreases monotonically.
    """
    bsz, c, h, w = x0.shape
    x = x0.reshape(bsz * c, 1, h, w).clone()
    free = (~known).expand(bsz, c, h, w).reshape(bsz * c, 1, h, w).to(x.dtype)

    def dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (a * b).sum(dim=(1, 2, 3))

    e_plane = energy(x, need_grad=False)[0]           # (B*C,)
    r = -hessian(x) * free
    p = r.clone()
    rr = dot(r, r)
    rr0 = rr.clone()
    hist: List[torch.Tensor] = []
    for it in range(iterations):
        if it and past(deadline):
            break
        ap = hessian(p) * free
        pap = dot(p, ap)
        alpha = torch.where(pap > 0, rr / torch.where(pap > 0, pap, torch.ones_like(pap)),
                            torch.zeros_like(pap))
        # E(x + alpha p) = E(x) - alpha r.p + alpha^2 p.Ap / 2, and r.p = r.r in CG
        e_plane = e_plane - alpha * rr + 0.5 * alpha * alpha * pap
        x = x + alpha.view(-1, 1, 1, 1) * p
        r = r - alpha.view(-1, 1, 1, 1) * ap
        rr_new = dot(r, r)
        beta = torch.where(rr > 0, rr_new / torch.where(rr > 0, rr, torch.ones_like(rr)), torch.zeros_like(rr))
        p = r + beta.view(-1, 1, 1, 1) * p
        rr = rr_new
        e_img = e_plane.view(bsz, c).sum(1)
        hist.append(e_img)
        if callback is not None:
            callback(it, e_img, x.view(bsz, c, h, w))
        if (it + 1) % check_every == 0 and bool((rr <= (tol * tol) * rr0).all()):
            break
    x = torch.where(known, x0, x.view(bsz, c, h, w))
    return x, _stack(hist, bsz)


def tv_value(x: torch.Tensor, isotropic: bool = True) -> torch.Tensor:
    """Exact total variation per image ``(B,)``: ``sum |grad x|`` (iso) or ``sum |Dx| + |Dy|``."""
    dy, dx = energies.forward_diff(x)
    t = (dy.square() + dx.square()).sqrt() if isotropic else dy.abs() + dx.abs()
    return t.reshape(t.shape[0], -1).sum(1)


def chambolle_pock_tv(x0: torch.Tensor, known: torch.Tensor, *, iterations: int = 300,
                      isotropic: bool = True, tol: float = 0.0, callback: Callback = None,
                      deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """TV inpainting ``min TV(x) s.t. x_K = x0_K, 0 <= x <= 1`` by the primal-dual algorithm
    with ``tau = sigma = 0.99 / sqrt(8)`` (``||grad||^2 <= 8``) and over-relaxation 1.
    The primal-dual gap is not monotone; the recorded energy is TV of the primal iterate."""
    tau = sigma = 0.99 / 8 ** 0.5
    x = x0.clone()
    xbar = x
    py = torch.zeros_like(x)
    px = torch.zeros_like(x)
    hist: List[torch.Tensor] = []
    prev = None
    for it in range(iterations):
        if it and past(deadline):
            break
        dy, dx = energies.forward_diff(xbar)
        py = py + sigma * dy
        px = px + sigma * dx
        if isotropic:
            n = (py.square() + px.square()).sqrt().clamp_min(1.0)
            py, px = py / n, px / n
        else:
            py, px = py.clamp(-1.0, 1.0), px.clamp(-1.0, 1.0)
        x_new = (x + tau * energies.divergence(py, px)).clamp(0.0, 1.0)
        x_new = torch.where(known, x0, x_new)
        xbar = 2.0 * x_new - x
        x = x_new
        e = tv_value(x, isotropic)
        hist.append(e)
        if callback is not None:
            callback(it, e, x)
        if tol > 0 and it % 10 == 9:
            if prev is not None and bool(((prev - e).abs() <= tol * e.abs().clamp_min(1e-30)).all()):
                break
            prev = e
    return x, _stack(hist, x.shape[0])


# ============================================================================ generic solvers
def _check_iters(fn: str, iterations: int, tol: float) -> None:
    from .._errors import bad_value

    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        bad_value(fn, "iterations", "an int >= 0", iterations)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
        bad_value(fn, "tol", "a number >= 0", tol)


def _norms(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(t.shape[0], -1).square().sum(1).sqrt()


def _converged(x: torch.Tensor, x_old: torch.Tensor, tol: float) -> bool:
    """The shared stopping rule: every image moved by at most ``tol`` relative to its norm."""
    return tol > 0 and bool((_norms(x - x_old) <= tol * _norms(x).clamp_min(1e-30)).all())


def objective(operator, data: torch.Tensor, prior, x: torch.Tensor) -> torch.Tensor:
    """``||A x - y||^2 / 2 + R(x)`` per image ``(B,)``."""
    r = operator(x) - data
    return 0.5 * r.reshape(r.shape[0], -1).square().sum(1) + prior.value(x)


def cg_solve(apply: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, x0: torch.Tensor, *,
             iterations: int = 100, tol: float = 1e-6) -> torch.Tensor:
    """Solve the symmetric positive (semi)definite system ``apply(x) = b`` by conjugate
    gradient, every image of the batch with its own step sizes; stops when every image has
    ``||r|| <= tol ||b||``."""
    x = x0.clone()
    r = b - apply(x)
    p = r.clone()

    def dot(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return (u * v).reshape(u.shape[0], -1).sum(1)

    rr = dot(r, r)
    bb = dot(b, b).clamp_min(1e-30)
    view = (-1,) + (1,) * (x.ndim - 1)
    for _ in range(iterations):
        if bool((rr <= tol * tol * bb).all()):
            break
        ap = apply(p)
        pap = dot(p, ap)
        alpha = torch.where(pap > 0, rr / torch.where(pap > 0, pap, torch.ones_like(pap)), torch.zeros_like(pap))
        x = x + alpha.view(view) * p
        r = r - alpha.view(view) * ap
        rr_new = dot(r, r)
        beta = torch.where(rr > 0, rr_new / torch.where(rr > 0, rr, torch.ones_like(rr)), torch.zeros_like(rr))
        p = r + beta.view(view) * p
        rr = rr_new
    return x


def _start(operator, data: torch.Tensor, x0: Optional[torch.Tensor]) -> torch.Tensor:
    return operator.adjoint(data).clone() if x0 is None else x0.clone()


def gradient_descent(operator, data: torch.Tensor, prior, *, x0: Optional[torch.Tensor] = None,
                     step: Union[None, float, Callable[[int], float]] = None, iterations: int = 200,
                     tol: float = 0.0, bounds: Optional[Tuple[float, float]] = None,
                     callback: Callback = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(Projected) gradient descent ``x <- P(x - s_k (A^T (A x - y) + grad R(x)))``.

    ``step``: a number, a schedule ``step(k)`` (e.g. :func:`tutorial_step`), or ``None`` for
    ``1 / (||A||^2 + Lip(grad R))``. ``bounds``: optional box ``(lo, hi)`` projection.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> y = torch.rand(1, 1, 16, 16)
    >>> x, hist = gradient_descent(operators.Identity(), y, priors.Harmonic(0.1), iterations=20)
    >>> bool(hist[-1, 0] <= hist[0, 0])
    True
    """
    _check_iters("gradient_descent", iterations, tol)
    x = _start(operator, data, x0)
    if step is None:
        lip = operator.norm_bound() ** 2 + prior.lipschitz
        step = 1.0 / lip if lip < float("inf") else 1e-2
    hist: List[torch.Tensor] = []
    for k in range(iterations):
        s = step(k) if callable(step) else float(step)
        g = operator.adjoint(operator(x) - data) + prior.grad(x)
        x_new = x - s * g
        if bounds is not None:
            x_new = x_new.clamp(*bounds)
        done = _converged(x_new, x, tol)
        x = x_new
        f = objective(operator, data, prior, x)
        hist.append(f)
        if callback is not None:
            callback(k, f, x)
        if done:
            break
    return x, _stack(hist, x.shape[0])


def fista(operator, data: torch.Tensor, prior, *, x0: Optional[torch.Tensor] = None,
          iterations: int = 200, tol: float = 0.0, bounds: Optional[Tuple[float, float]] = None,
          callback: Callback = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """FISTA (Beck & Teboulle 2009) with adaptive restart (O'Donoghue & Candes 2015).

    The data term is the smooth part (step ``1 / ||A||^2``, plus ``Lip(grad R)`` when the
    prior is smooth and handled by its gradient); a non-smooth prior enters through its
    ``prox``. ``bounds`` clamps after the prox (exact when the prior is smooth)."""
    _check_iters("fista", iterations, tol)
    use_prox = not prior.smooth
    lip = operator.norm_bound() ** 2 + (0.0 if use_prox else prior.lipschitz)
    s = 1.0 / lip
    x = _start(operator, data, x0)
    z, t = x, 1.0
    hist: List[torch.Tensor] = []
    f_old = None
    view = (-1,) + (1,) * (x.ndim - 1)
    for k in range(iterations):
        g = operator.adjoint(operator(z) - data)
        if use_prox:
            x_new = prior.prox(z - s * g, s)
        else:
            x_new = z - s * (g + prior.grad(z))
        if bounds is not None:
            x_new = x_new.clamp(*bounds)
        f = objective(operator, data, prior, x_new)
        t_new = (1.0 + (1.0 + 4.0 * t * t) ** 0.5) / 2.0
        z = x_new + ((t - 1.0) / t_new) * (x_new - x)
        if f_old is not None:                       # restart the momentum where F went up
            up = (f > f_old).view(view)
            z = torch.where(up, x_new, z)
        done = _converged(x_new, x, tol)
        x, t, f_old = x_new, t_new, f
        hist.append(f)
        if callback is not None:
            callback(k, f, x)
        if done:
            break
    return x, _stack(hist, x.shape[0])


def cg(operator, data: torch.Tensor, prior, *, x0: Optional[torch.Tensor] = None, iterations: int = 200,
       tol: float = 1e-6, callback: Callback = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Conjugate gradient on the normal equations ``(A^T A + H) x = A^T y`` of a quadratic
    prior ``R(x) = x^T H x / 2`` (``prior.hessian``); stops when every image's residual
    ``||r|| <= tol ||A^T y||`` (the shared rule applied to the residual).

    Raises
    ------
    TypeError
        If the prior is not quadratic.
    """
    _check_iters("cg", iterations, tol)
    if not getattr(prior, "quadratic", False):
        raise TypeError(f"cg: argument `prior` must be a quadratic prior (Harmonic, Biharmonic), got {prior!r}")
    b = operator.adjoint(data)
    x = _start(operator, data, x0)

    def apply(v: torch.Tensor) -> torch.Tensor:
        return operator.adjoint(operator(v)) + prior.hessian(v)

    r = b - apply(x)
    p = r.clone()

    def dot(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return (u * v).reshape(u.shape[0], -1).sum(1)

    rr, bb = dot(r, r), dot(b, b).clamp_min(1e-30)
    view = (-1,) + (1,) * (x.ndim - 1)
    hist: List[torch.Tensor] = []
    for k in range(iterations):
        ap = apply(p)
        pap = dot(p, ap)
        alpha = torch.where(pap > 0, rr / torch.where(pap > 0, pap, torch.ones_like(pap)), torch.zeros_like(pap))
        x = x + alpha.view(view) * p
        r = r - alpha.view(view) * ap
        rr_new = dot(r, r)
        beta = torch.where(rr > 0, rr_new / torch.where(rr > 0, rr, torch.ones_like(rr)), torch.zeros_like(rr))
        p = r + beta.view(view) * p
        rr = rr_new
        f = objective(operator, data, prior, x)
        hist.append(f)
        if callback is not None:
            callback(k, f, x)
        if bool((rr <= tol * tol * bb).all()):
            break
    return x, _stack(hist, x.shape[0])


def pdhg(operator, data: torch.Tensor, prior, *, x0: Optional[torch.Tensor] = None, iterations: int = 300,
         tol: float = 0.0, bounds: Optional[Tuple[float, float]] = None,
         callback: Callback = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Chambolle-Pock primal-dual for ``||A x - y||^2 / 2 + w TV(x)`` (``prior`` a
    :class:`~pixelgrad.restore.priors.TotalVariation`), ``K = [A; grad]``, dual variables
    for both terms, ``tau = sigma = 0.99 / ||K||`` with ``||K||^2 <= ||A||^2 + 8``,
    over-relaxation 1 (Chambolle & Pock 2011, Alg. 1)."""
    from .priors import TotalVariation

    _check_iters("pdhg", iterations, tol)
    if not isinstance(prior, TotalVariation):
        raise TypeError(f"pdhg: argument `prior` must be a TotalVariation prior, got {prior!r}")
    lk = (operator.norm_bound() ** 2 + 8.0) ** 0.5
    tau = sigma = 0.99 / lk
    w = prior.weight
    x = _start(operator, data, x0)
    if bounds is not None:
        x = x.clamp(*bounds)
    xbar = x
    q = torch.zeros_like(operator(x))
    py = torch.zeros_like(x)
    px = torch.zeros_like(x)
    hist: List[torch.Tensor] = []
    for k in range(iterations):
        q = (q + sigma * (operator(xbar) - data)) / (1.0 + sigma)
        gy, gx = energies.forward_diff(xbar)
        if w > 0:
            py, px = prior.project((py + sigma * gy) / w, (px + sigma * gx) / w)
            py, px = py * w, px * w
        x_new = x - tau * (operator.adjoint(q) - energies.divergence(py, px))
        if bounds is not None:
            x_new = x_new.clamp(*bounds)
        xbar = 2.0 * x_new - x
        done = _converged(x_new, x, tol)
        x = x_new
        f = objective(operator, data, prior, x)
        hist.append(f)
        if callback is not None:
            callback(k, f, x)
        if done:
            break
    return x, _stack(hist, x.shape[0])


def hqs(operator, data: torch.Tensor, prior, *, x0: Optional[torch.Tensor] = None, iterations: int = 30,
        tol: float = 0.0, mu: Tuple[float, float] = (1e-2, 1e2), inner: int = 20,
        callback: Callback = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Half-quadratic splitting: ``min ||A x - y||^2/2 + R(z) + mu_k/2 ||x - z||^2`` with
    ``mu_k`` growing geometrically from ``mu[0]`` to ``mu[1]``; the x-step solves
    ``(A^T A + mu I) x = A^T y + mu z`` by ``inner`` CG steps (warm-started), the z-step is the
    prior's prox / denoising step ``z = prox_R(x, 1 / mu)`` -- any denoiser fits
    (plug-and-play). The history records ``F(z)``."""
    _check_iters("hqs", iterations, tol)
    aty = operator.adjoint(data)
    x = _start(operator, data, x0)
    z = x
    hist: List[torch.Tensor] = []
    n = max(iterations - 1, 1)
    for k in range(iterations):
        m = float(mu[0]) * (float(mu[1]) / float(mu[0])) ** (k / n)
        x = cg_solve(lambda v: operator.adjoint(operator(v)) + m * v, aty + m * z, x,
                     iterations=inner, tol=1e-6)
        z_new = prior.prox(x, 1.0 / m)
        done = _converged(z_new, z, tol)
        z = z_new
        f = objective(operator, data, prior, z)
        hist.append(f)
        if callback is not None:
            callback(k, f, z)
        if done:
            break
    return z, _stack(hist, z.shape[0])


SOLVERS = {"gradient_descent": gradient_descent, "fista": fista, "cg": cg, "pdhg": pdhg, "hqs": hqs}
