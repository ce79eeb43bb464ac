"""Solvers for inpainting: minimize an energy over the unknown pixels, known pixels fixed.

Shared conventions: ``x0`` is a float tensor ``(B, C, H, W)`` (float32 or float64, any
device) in [0, 1] units; ``known`` a bool tensor broadcastable to it (True = fixed pixel);
the known pixels of the result are bit-identical to those of ``x0``. ``x0`` is never
modified. Each solver returns ``(x, history)`` where ``history`` is a float64 CPU tensor
``(iterations, B)`` of the energy per image after each iteration. ``callback(it, energy, x)``
(``energy`` of shape ``(B,)``, on x's device) is called after every iteration when given.

* :func:`tutorial_descent` -- the tutorial's loop, vectorized: ``x <- clip(x - L_w g, 0, 1)``
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

from typing import Callable, List, Optional, Tuple

import torch

from . import energies as E

Callback = Optional[Callable[[int, torch.Tensor, torch.Tensor], None]]


def _stack(hist: List[torch.Tensor], bsz: int) -> torch.Tensor:
    if not hist:
        return torch.zeros((0, bsz), dtype=torch.float64)
    return torch.stack(hist).to("cpu", torch.float64)


def tutorial_step(w: int) -> float:
    """The tutorial's step size at iteration ``w`` (0-based): ``max(1.5 / (w + 1), 0.015)``."""
    return max(1.5 / (w + 1), 0.015)


def tutorial_descent(x0: torch.Tensor, known: torch.Tensor, iterations: int = 500,
                     callback: Callback = None, record: bool = True) -> Tuple[torch.Tensor, torch.Tensor]:
    """The tutorial's gradient descent (see module docstring), all images at once.

    The energy recorded for iteration ``w`` is that of the iterate the step was taken from
    (it is computed with the gradient for free).
    """
    x = x0.clone()
    free = (~known).to(x.dtype)
    hist: List[torch.Tensor] = []
    for w in range(iterations):
        energy, g = E.tutorial(x)
        x = (x - tutorial_step(w) * (g * free)).clamp_(0.0, 1.0)
        if record:
            hist.append(energy)
        if callback is not None:
            callback(w, energy, x)
    return x, _stack(hist, x.shape[0])


def projected_gradient(energy: E.EnergyFn, x0: torch.Tensor, known: torch.Tensor, *,
                       lipschitz: float, iterations: int = 200, tol: float = 0.0,
                       accelerate: bool = True, bounds: Optional[Tuple[float, float]] = (0.0, 1.0),
                       callback: Callback = None) -> Tuple[torch.Tensor, torch.Tensor]:
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
        _, g = energy(y)
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


def conjugate_gradient(hessian: Callable[[torch.Tensor], torch.Tensor], energy: E.EnergyFn,
                       x0: torch.Tensor, known: torch.Tensor, *, iterations: int = 500,
                       tol: float = 1e-4, callback: Callback = None,
                       check_every: int = 10) -> Tuple[torch.Tensor, torch.Tensor]:
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
    dy, dx = E.forward_diff(x)
    t = (dy.square() + dx.square()).sqrt() if isotropic else dy.abs() + dx.abs()
    return t.reshape(t.shape[0], -1).sum(1)


def chambolle_pock_tv(x0: torch.Tensor, known: torch.Tensor, *, iterations: int = 300,
                      isotropic: bool = True, tol: float = 0.0, callback: Callback = None
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
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
        dy, dx = E.forward_diff(xbar)
        py = py + sigma * dy
        px = px + sigma * dx
        if isotropic:
            n = (py.square() + px.square()).sqrt().clamp_min(1.0)
            py, px = py / n, px / n
        else:
            py, px = py.clamp(-1.0, 1.0), px.clamp(-1.0, 1.0)
        x_new = (x + tau * E.divergence(py, px)).clamp(0.0, 1.0)
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
