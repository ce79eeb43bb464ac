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

import math
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
    """Whether a deadline has passed.

    Parameters
    ----------
    deadline : float or None
        A :func:`time.perf_counter` value, or ``None`` for no limit.

    Returns
    -------
    bool
        True once ``deadline`` has passed. The masked solvers test it before every iteration
        but the first, so a time budget stops them at most one iteration after it.

    Examples
    --------
    >>> import time
    >>> past(None), past(time.perf_counter() - 1.0), past(time.perf_counter() + 60.0)
    (False, True, False)
    """
    return deadline is not None and time.perf_counter() > deadline


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


def tutorial_descent(x0: torch.Tensor, known: torch.Tensor, iterations: int = 500,
                     callback: Callback = None, record: bool = True,
                     deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""Gradient descent on the multiscale-smoothness energy over the unknown pixels, batched.

    Parameters
    ----------
    x0 : torch.Tensor
        Start ``(B, C, H, W)`` in [0, 1]; its known pixels are kept bit for bit. Never modified.
    known : torch.Tensor
        Bool mask broadcastable to ``x0``, True where the pixel is fixed.
    iterations : int
        Number of steps.
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    record : bool
        Record the energy history.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(x, history)``: the estimate and the float64 CPU tensor ``(iterations run, B)`` of the
        energy per image.
        The energy recorded for iteration ``w`` is that of the iterate the step was taken
        from (computed with the gradient for free).

    Notes
    -----
    .. math:: x \leftarrow \mathrm{clip}_{[0,1]}\big(x - s_w\, (\nabla E(x) \odot u)\big), \qquad s_w = \max(1.5/(w+1),\ 0.015)

    with :math:`E` :func:`~pixelgrad.restore.energies.multiscale_smoothness` and :math:`u` the
    indicator of the unknown pixels.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> clean = torch.linspace(0, 1, 16).repeat(16, 1)[None, None]
    >>> known = torch.rand(clean.shape, generator=g) > 0.5
    >>> x0 = torch.where(known, clean, 0.5)
    >>> x, hist = tutorial_descent(x0, known, iterations=50)
    >>> bool(torch.equal(x[known], x0[known])), bool(hist[-1, 0] < hist[0, 0])
    (True, True)
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
    r"""Projected gradient / monotone FISTA over the unknown pixels.

    Parameters
    ----------
    energy : callable
        ``energy(x, need_grad=True) -> (E (B,), grad)``, e.g. from
        :mod:`~pixelgrad.restore.energies`.
    x0 : torch.Tensor
        Start ``(B, C, H, W)`` in [0, 1]; its known pixels are kept bit for bit. Never modified.
    known : torch.Tensor
        Bool mask broadcastable to ``x0``, True where the pixel is fixed.
    lipschitz : float
        Lipschitz bound of the gradient; the step is ``1 / lipschitz``.
    iterations : int
        Most iterations.
    tol : float
        Stop once every image's relative energy decrease is below ``tol`` (tested every 10
        iterations; 0: run all iterations).
    accelerate : bool
        FISTA momentum with the MFISTA safeguard; plain projected gradient otherwise.
    bounds : pair or None
        Box ``(lo, hi)`` the iterates are projected onto.
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(x, history)``: the estimate and the float64 CPU tensor ``(iterations run, B)`` of the
        energy per image.
        Non-increasing.

    Notes
    -----
    With :math:`P` the projection onto the box with the known pixels fixed and
    :math:`u` the indicator of the unknown pixels:

    .. math:: z_k = P\big(y_k - \tfrac1L \nabla E(y_k) \odot u\big), \quad x_k = \begin{cases} z_k & E(z_k) \le E(x_{k-1}) \\ x_{k-1} & \text{otherwise} \end{cases}, \quad t_{k+1} = \tfrac{1 + \sqrt{1 + 4 t_k^2}}{2}, \quad y_{k+1} = x_k + \tfrac{t_k}{t_{k+1}}(z_k - x_k) + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1})

    FISTA [1]_ with the monotone safeguard (MFISTA) of [2]_, per image.

    References
    ----------
    .. [1] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
       linear inverse problems", SIAM J. Imaging Sci. 2(1):183-202 (2009).
    .. [2] A. Beck, M. Teboulle, "Fast gradient-based algorithms for constrained total
       variation image denoising and deblurring problems", IEEE Trans. Image Process.
       18(11):2419-2434 (2009).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> clean = torch.linspace(0, 1, 16).repeat(16, 1)[None, None]
    >>> known = torch.rand(clean.shape, generator=g) > 0.5
    >>> x0 = torch.where(known, clean, 0.5)
    >>> from pixelgrad.restore import energies
    >>> x, hist = projected_gradient(energies.harmonic, x0, known, lipschitz=16.0, iterations=100)
    >>> bool((hist[1:] <= hist[:-1]).all()), bool(torch.equal(x[known], x0[known]))
    (True, True)
    """
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
    r"""Conjugate gradient on a quadratic energy over the unknown pixels, one solve per plane.

    Parameters
    ----------
    hessian : callable
        :math:`x \mapsto H x` with :math:`E(x) = x^T H x / 2`.
    energy : callable
        ``energy(x, need_grad=False) -> (E, None)``, the same quadratic energy.
    x0 : torch.Tensor
        Start ``(B, C, H, W)`` in [0, 1]; its known pixels are kept bit for bit. Never modified.
    known : torch.Tensor
        Bool mask broadcastable to ``x0``, True where the pixel is fixed.
    iterations : int
        Most iterations.
    tol : float
        Stop once every plane has :math:`\|r\| \le tol\, \|r_0\|`.
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    check_every : int
        Test the stopping rule every this many iterations.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(x, history)``: the estimate and the float64 CPU tensor ``(iterations run, B)`` of the
        energy per image.

    Notes
    -----
    Solves :math:`H_{UU} x_U = -H_{UK} x_K` (:math:`U` unknown, :math:`K` known pixels) by
    CG [1]_; every (image, channel) plane has its own step sizes. The energy is updated
    exactly from the CG scalars,
    :math:`E(x + \alpha p) = E(x) - \alpha\, r^T p + \tfrac{\alpha^2}{2} p^T H p`, so
    recording it costs nothing.

    References
    ----------
    .. [1] M. R. Hestenes, E. Stiefel, "Methods of conjugate gradients for solving linear
       systems", J. Res. Natl. Bur. Stand. 49(6):409-436 (1952).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> clean = torch.linspace(0, 1, 16).repeat(16, 1)[None, None]
    >>> known = torch.rand(clean.shape, generator=g) > 0.5
    >>> x0 = torch.where(known, clean, 0.5)
    >>> from pixelgrad.restore import energies
    >>> hess = lambda z: -2.0 * energies.laplacian(z)
    >>> x, hist = conjugate_gradient(hess, energies.harmonic, x0, known, iterations=200)
    >>> bool(hist[-1, 0] < hist[0, 0]), bool(torch.equal(x[known], x0[known]))
    (True, True)
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
    r"""Exact (non-smoothed) total variation per image.

    Parameters
    ----------
    x : torch.Tensor
        Images ``(B, C, H, W)``.
    isotropic : bool
        :math:`\sum |\nabla x|` (True) or :math:`\sum |D_x x| + |D_y x|`.

    Returns
    -------
    torch.Tensor
        ``(B,)``.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(2, 1, 4, 4); x[..., 2:] = 1.0
    >>> tv_value(x).tolist()
    [4.0, 4.0]
    """
    dy, dx = energies.forward_diff(x)
    t = (dy.square() + dx.square()).sqrt() if isotropic else dy.abs() + dx.abs()
    return t.reshape(t.shape[0], -1).sum(1)


def chambolle_pock_tv(x0: torch.Tensor, known: torch.Tensor, *, iterations: int = 300,
                      isotropic: bool = True, tol: float = 0.0, callback: Callback = None,
                      deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""TV inpainting by the primal-dual algorithm of Chambolle and Pock.

    Parameters
    ----------
    x0 : torch.Tensor
        Start ``(B, C, H, W)`` in [0, 1]; its known pixels are kept bit for bit. Never modified.
    known : torch.Tensor
        Bool mask broadcastable to ``x0``, True where the pixel is fixed.
    iterations : int
        Most iterations.
    isotropic : bool
        Isotropic or anisotropic TV.
    tol : float
        Stop once every image's TV changed by at most ``tol`` relatively over 10 iterations.
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(x, history)``: the estimate and the float64 CPU tensor ``(iterations run, B)`` of the
        energy per image.
        The energy is the TV of the primal iterate (not monotone).

    Notes
    -----
    Solves :math:`\min_x \mathrm{TV}(x)` subject to :math:`x_K = x0_K,\ 0 \le x \le 1` with
    :math:`\tau = \sigma = 0.99/\sqrt 8` (:math:`\|\nabla\|^2 \le 8`) and over-relaxation 1 [1]_:

    .. math:: p \leftarrow \Pi_{\|\cdot\|_* \le 1}(p + \sigma \nabla \bar x), \quad x^+ = P(x + \tau\, \mathrm{div}\, p), \quad \bar x = 2x^+ - x

    References
    ----------
    .. [1] A. Chambolle, T. Pock, "A first-order primal-dual algorithm for convex problems
       with applications to imaging", J. Math. Imaging Vis. 40:120-145 (2011).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> clean = torch.linspace(0, 1, 16).repeat(16, 1)[None, None]
    >>> known = torch.rand(clean.shape, generator=g) > 0.5
    >>> x0 = torch.where(known, clean, 0.5)
    >>> x, hist = chambolle_pock_tv(x0, known, iterations=100)
    >>> bool(hist[-1, 0] < hist[0, 0]), bool(torch.equal(x[known], x0[known]))
    (True, True)
    """
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
def _check_iters(fn: str, iterations: int, tol: float) -> float:
    from .._errors import bad_value
    from ._facade import real_scalar

    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        bad_value(fn, "iterations", "an int >= 0", iterations)
    t = real_scalar(tol)
    if t is None or not t >= 0 or t == float("inf"):
        bad_value(fn, "tol", "a finite number >= 0", tol)
    return float(t)


def check_bounds(fn: str, bounds: Optional[Tuple[float, float]]) -> Optional[Tuple[float, float]]:
    """``bounds`` as a pair of floats ``lo < hi`` (numpy scalars accepted), or ``None``.

    Parameters
    ----------
    fn : str
        The calling function, for the message.
    bounds : pair or None
        The box constraint as given.

    Returns
    -------
    tuple or None
        ``(float(lo), float(hi))``.

    Raises
    ------
    ValueError
        Not a pair of finite numbers with ``lo < hi`` (a NaN bound gave NaN images, ``(1, 0)``
        black ones).

    Examples
    --------
    >>> check_bounds("solve", (0, 1))
    (0.0, 1.0)
    >>> check_bounds("solve", (1, 0))
    Traceback (most recent call last):
    ...
    ValueError: solve: argument `bounds` must be None or a pair (lo, hi) of finite numbers with lo < hi, got tuple (1, 0)
    """
    from .._errors import bad_value
    from ._facade import real_scalar

    if bounds is None:
        return None
    pair = tuple(bounds) if isinstance(bounds, (tuple, list)) else ()
    vals = [real_scalar(v) for v in pair]
    if len(vals) != 2 or any(v is None or not math.isfinite(v) for v in vals) or not vals[0] < vals[1]:  # type: ignore[operator]
        bad_value(fn, "bounds", "None or a pair (lo, hi) of finite numbers with lo < hi", bounds)
    return float(vals[0]), float(vals[1])  # type: ignore[arg-type]


def _step_lipschitz(fn: str, lip: float) -> float:
    from .._errors import bad_value

    if not (math.isfinite(lip) and lip > 0):
        bad_value(fn, "operator", "an operator whose norm_bound() is finite and > 0 (step 1 / L)",
                  f"a Lipschitz constant L = {lip!r}")
    return lip


def _norms(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(t.shape[0], -1).square().sum(1).sqrt()


def _converged(x: torch.Tensor, x_old: torch.Tensor, tol: float) -> bool:
    """The shared stopping rule: every image moved by at most ``tol`` relative to its norm."""
    return tol > 0 and bool((_norms(x - x_old) <= tol * _norms(x).clamp_min(1e-30)).all())


def objective(operator, data: torch.Tensor, prior, x: torch.Tensor) -> torch.Tensor:
    r"""The objective of the generic solvers per image.

    Parameters
    ----------
    operator : LinearOperator
        The forward model :math:`A`.
    data : torch.Tensor
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
    r = operator(x) - data
    return 0.5 * r.reshape(r.shape[0], -1).square().sum(1) + prior.value(x)


def cg_solve(apply: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, x0: torch.Tensor, *,
             iterations: int = 100, tol: float = 1e-6) -> torch.Tensor:
    r"""Solve a symmetric positive (semi)definite system by conjugate gradient, per image.

    Parameters
    ----------
    apply : callable
        :math:`v \mapsto M v`, symmetric positive (semi)definite.
    b : torch.Tensor
        Right-hand side ``(B, ...)``.
    x0 : torch.Tensor
        Start, shape of ``b``.
    iterations : int
        Most iterations.
    tol : float
        Stop once every image has :math:`\|r\| \le tol\, \|b\|`.

    Returns
    -------
    torch.Tensor
        The solution of :math:`M x = b`, shape of ``b``.

    Notes
    -----
    Standard CG [1]_, every image of the batch with its own step sizes.

    References
    ----------
    .. [1] M. R. Hestenes, E. Stiefel, "Methods of conjugate gradients for solving linear
       systems", J. Res. Natl. Bur. Stand. 49(6):409-436 (1952).

    Examples
    --------
    >>> import torch
    >>> b = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    >>> cg_solve(lambda v: 2.0 * v, b, torch.zeros_like(b))
    tensor([[0.5000, 1.0000]], dtype=torch.float64)
    """
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


def _start(operator, data: torch.Tensor, x0: Optional[torch.Tensor], fn: str = "solve") -> torch.Tensor:
    """The starting point: ``A^T y``, or a checked copy of ``x0`` (a numpy array is taken as
    a tensor; its shape must be that of ``A^T y``, its values finite)."""
    from .._errors import bad_type, bad_value
    import numpy as np

    start = operator.adjoint(data)
    if x0 is None:
        return start.clone()
    if isinstance(x0, np.ndarray):
        x0 = torch.from_numpy(np.array(x0))
    if not isinstance(x0, torch.Tensor):
        bad_type(fn, "x0", "a float torch.Tensor (B, C, H, W) or None", x0)
    if tuple(x0.shape) != tuple(start.shape) or not (x0.is_floating_point() or x0.dtype in
                                                        (torch.uint8, torch.int16, torch.int32, torch.int64)):
        bad_value(fn, "x0", f"a real tensor of the unknown's shape {tuple(start.shape)}", x0)
    if x0.is_floating_point() and not bool(torch.isfinite(x0).all()):
        bad_value(fn, "x0", "finite values (no NaN or inf)", x0)
    return x0.detach().to(start.device, start.dtype, copy=True)


def gradient_descent(operator, data: torch.Tensor, prior, *, x0: Optional[torch.Tensor] = None,
                     step: Union[None, float, Callable[[int], float]] = None, iterations: int = 200,
                     tol: float = 0.0, bounds: Optional[Tuple[float, float]] = None,
                     callback: Callback = None,
                     deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""(Projected) gradient descent on :math:`\tfrac12\|A x - y\|^2 + R(x)` (smooth priors).

    Parameters
    ----------
    operator : LinearOperator
        The forward model :math:`A` (:mod:`pixelgrad.restore.operators`).
    data : torch.Tensor
        The data :math:`y`, shape of ``operator(x)``.
    prior : Prior
        The regulariser :math:`R` (:mod:`pixelgrad.restore.priors`), weight included.
    x0 : torch.Tensor, optional
        Start ``(B, C, H, W)`` (default :math:`A^T y`).
    step : float, callable or None
        A number, a schedule ``step(k)`` (e.g. :func:`tutorial_step`), or ``None`` for
        :math:`1 / (\|A\|^2 + \mathrm{Lip}(\nabla R))`.
    iterations : int
        Most iterations (>= 0).
    tol : float
        Stop once every image's relative change :math:`\|x_k - x_{k-1}\| \le tol\, \|x_k\|`
        (0: run all iterations).
    bounds : pair or None
        Box ``(lo, hi)`` projection.
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(x, history)``: the estimate and the float64 CPU tensor ``(iterations run, B)`` of the
        objective :math:`F(x) = \tfrac12\|A x - y\|^2 + R(x)` after every iteration.

    Raises
    ------
    ValueError
        ``iterations`` not an int >= 0 or ``tol`` not a number >= 0.
    TypeError
        The prior has no gradient.

    Notes
    -----
    .. math:: x_{k+1} = P\big(x_k - s_k (A^T (A x_k - y) + \nabla R(x_k))\big)

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> g = torch.Generator().manual_seed(0)
    >>> y = torch.rand(1, 1, 16, 16, generator=g)
    >>> x, hist = gradient_descent(operators.Identity(), y, priors.Harmonic(0.1), iterations=20)
    >>> bool(hist[-1, 0] <= hist[0, 0])
    True
    """
    tol = _check_iters("gradient_descent", iterations, tol)
    bounds = check_bounds("gradient_descent", bounds)
    x = _start(operator, data, x0)
    if step is None:
        lip = operator.norm_bound() ** 2 + prior.lipschitz
        step = 1.0 / _step_lipschitz("gradient_descent", lip) if lip < float("inf") else 1e-2
    hist: List[torch.Tensor] = []
    for k in range(iterations):
        if k and past(deadline):
            break
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
          callback: Callback = None, deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""FISTA with adaptive restart.

    Parameters
    ----------
    operator : LinearOperator
        The forward model :math:`A` (:mod:`pixelgrad.restore.operators`).
    data : torch.Tensor
        The data :math:`y`, shape of ``operator(x)``.
    prior : Prior
        The regulariser :math:`R` (:mod:`pixelgrad.restore.priors`), weight included.
    x0 : torch.Tensor, optional
        Start ``(B, C, H, W)`` (default :math:`A^T y`).
    iterations : int
        Most iterations (>= 0).
    tol : float
        Stop once every image's relative change :math:`\|x_k - x_{k-1}\| \le tol\, \|x_k\|`
        (0: run all iterations).
    bounds : pair or None
        Box ``(lo, hi)`` clamped after the prox (exact when the prior is smooth).
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(x, history)``: the estimate and the float64 CPU tensor ``(iterations run, B)`` of the
        objective :math:`F(x) = \tfrac12\|A x - y\|^2 + R(x)` after every iteration.

    Raises
    ------
    ValueError
        ``iterations`` not an int >= 0 or ``tol`` not a number >= 0.
    TypeError
        The prior has neither a gradient nor a prox.

    Notes
    -----
    The data term is the smooth part, step :math:`s = 1/L` with :math:`L = \|A\|^2` (plus
    :math:`\mathrm{Lip}(\nabla R)` when the prior is smooth and handled by its gradient);
    a non-smooth prior enters through its prox [1]_:

    .. math:: x_k = \mathrm{prox}_{s R}\big(z_k - s A^T(A z_k - y)\big), \quad t_{k+1} = \tfrac{1 + \sqrt{1 + 4t_k^2}}{2}, \quad z_{k+1} = x_k + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1})

    The momentum is dropped (:math:`z_{k+1} = x_k`) for an image whose objective went up:
    the function-value restart of [2]_.

    References
    ----------
    .. [1] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
       linear inverse problems", SIAM J. Imaging Sci. 2(1):183-202 (2009).
    .. [2] B. O'Donoghue, E. Candes, "Adaptive restart for accelerated gradient schemes",
       Found. Comput. Math. 15(3):715-732 (2015).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> g = torch.Generator().manual_seed(0)
    >>> y = torch.rand(1, 1, 16, 16, generator=g)
    >>> x, hist = fista(operators.Blur(sigma=1.0), y, priors.TotalVariation(0.01), iterations=30)
    >>> x.shape, hist.shape
    (torch.Size([1, 1, 16, 16]), torch.Size([30, 1]))
    """
    tol = _check_iters("fista", iterations, tol)
    bounds = check_bounds("fista", bounds)
    use_prox = not prior.smooth
    lip = _step_lipschitz("fista", operator.norm_bound() ** 2 + (0.0 if use_prox else prior.lipschitz))
    s = 1.0 / lip
    x = _start(operator, data, x0)
    z, t = x, 1.0
    hist: List[torch.Tensor] = []
    f_old = None
    view = (-1,) + (1,) * (x.ndim - 1)
    for k in range(iterations):
        if k and past(deadline):
            break
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
       tol: float = 1e-6, callback: Callback = None,
       deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""Conjugate gradient on the normal equations of a quadratic prior.

    Parameters
    ----------
    operator : LinearOperator
        The forward model :math:`A` (:mod:`pixelgrad.restore.operators`).
    data : torch.Tensor
        The data :math:`y`, shape of ``operator(x)``.
    prior : Prior
        The regulariser :math:`R` (:mod:`pixelgrad.restore.priors`), weight included.
    x0 : torch.Tensor, optional
        Start ``(B, C, H, W)`` (default :math:`A^T y`).
    iterations : int
        Most iterations (>= 0).
    tol : float
        Stop once every image's residual :math:`\|r\| \le tol\, \|A^T y\|`.
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(x, history)``: the estimate and the float64 CPU tensor ``(iterations run, B)`` of the
        objective :math:`F(x) = \tfrac12\|A x - y\|^2 + R(x)` after every iteration.

    Raises
    ------
    TypeError
        If the prior is not quadratic.
    ValueError
        Bad ``iterations`` or ``tol``.

    Notes
    -----
    With :math:`R(x) = x^T H x / 2` (``prior.hessian``), CG [1]_ solves

    .. math:: (A^T A + H)\, x = A^T y

    References
    ----------
    .. [1] M. R. Hestenes, E. Stiefel, "Methods of conjugate gradients for solving linear
       systems", J. Res. Natl. Bur. Stand. 49(6):409-436 (1952).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> g = torch.Generator().manual_seed(0)
    >>> y = torch.rand(1, 1, 16, 16, generator=g)
    >>> x, hist = cg(operators.Blur(sigma=1.0), y, priors.Harmonic(0.01), iterations=50)
    >>> bool(hist[-1, 0] <= hist[0, 0])
    True
    """
    tol = _check_iters("cg", iterations, tol)
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
        if k and past(deadline):
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
        f = objective(operator, data, prior, x)
        hist.append(f)
        if callback is not None:
            callback(k, f, x)
        if bool((rr <= tol * tol * bb).all()):
            break
    return x, _stack(hist, x.shape[0])


def pdhg(operator, data: torch.Tensor, prior, *, x0: Optional[torch.Tensor] = None, iterations: int = 300,
         tol: float = 0.0, bounds: Optional[Tuple[float, float]] = None,
         callback: Callback = None, deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""Chambolle-Pock primal-dual hybrid gradient for :math:`\tfrac12\|A x - y\|^2 + w\,\mathrm{TV}(x)`.

    Parameters
    ----------
    operator : LinearOperator
        The forward model :math:`A` (:mod:`pixelgrad.restore.operators`).
    data : torch.Tensor
        The data :math:`y`, shape of ``operator(x)``.
    prior : Prior
        The regulariser :math:`R` (:mod:`pixelgrad.restore.priors`), weight included.
    x0 : torch.Tensor, optional
        Start ``(B, C, H, W)`` (default :math:`A^T y`).
    iterations : int
        Most iterations (>= 0).
    tol : float
        Stop once every image's relative change :math:`\|x_k - x_{k-1}\| \le tol\, \|x_k\|`
        (0: run all iterations).
    bounds : pair or None
        Box ``(lo, hi)`` projection of the primal iterate.
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(x, history)``: the estimate and the float64 CPU tensor ``(iterations run, B)`` of the
        objective :math:`F(x) = \tfrac12\|A x - y\|^2 + R(x)` after every iteration.

    Raises
    ------
    TypeError
        If the prior is not a :class:`~pixelgrad.restore.priors.TotalVariation`.
    ValueError
        Bad ``iterations`` or ``tol``.

    Notes
    -----
    Algorithm 1 of [1]_ with :math:`K = [A; \nabla]`, a dual variable for each term,
    :math:`\tau = \sigma = 0.99/\|K\|`, :math:`\|K\|^2 \le \|A\|^2 + 8` and over-relaxation 1:

    .. math:: q \leftarrow \frac{q + \sigma(A\bar x - y)}{1 + \sigma}, \quad p \leftarrow w\,\Pi\Big(\frac{p + \sigma\nabla\bar x}{w}\Big), \quad x^+ = x - \tau(A^T q - \mathrm{div}\, p), \quad \bar x = 2x^+ - x

    References
    ----------
    .. [1] A. Chambolle, T. Pock, "A first-order primal-dual algorithm for convex problems
       with applications to imaging", J. Math. Imaging Vis. 40:120-145 (2011).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> g = torch.Generator().manual_seed(0)
    >>> y = torch.rand(1, 1, 16, 16, generator=g)
    >>> x, hist = pdhg(operators.Blur(sigma=1.0), y, priors.TotalVariation(0.01), iterations=50)
    >>> bool(hist[-1, 0] < hist[0, 0])
    True
    """
    from .priors import TotalVariation

    tol = _check_iters("pdhg", iterations, tol)
    bounds = check_bounds("pdhg", bounds)
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
        if k and past(deadline):
            break
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
        callback: Callback = None, deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""Half-quadratic splitting (plug-and-play: any prox or denoising step fits).

    Parameters
    ----------
    operator : LinearOperator
        The forward model :math:`A` (:mod:`pixelgrad.restore.operators`).
    data : torch.Tensor
        The data :math:`y`, shape of ``operator(x)``.
    prior : Prior
        The regulariser :math:`R` (:mod:`pixelgrad.restore.priors`), weight included.
    x0 : torch.Tensor, optional
        Start ``(B, C, H, W)`` (default :math:`A^T y`).
    iterations : int
        Most iterations (>= 0).
    tol : float
        Stop once every image's relative change :math:`\|x_k - x_{k-1}\| \le tol\, \|x_k\|`
        (0: run all iterations).
    mu : pair of float
        Penalty :math:`\mu_k` grows geometrically from ``mu[0]`` to ``mu[1]``.
    inner : int
        CG steps of each x-step (warm-started).
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.

    Returns
    -------
    tuple
        ``(z, history)``, the history holding :math:`F(z_k)`.

    Raises
    ------
    ValueError
        ``iterations`` not an int >= 0 or ``tol`` not a number >= 0.
    TypeError
        The prior has no prox.

    Notes
    -----
    Alternates on :math:`\tfrac12\|A x - y\|^2 + R(z) + \tfrac{\mu_k}{2}\|x - z\|^2` [1]_:

    .. math:: (A^T A + \mu_k I)\, x_k = A^T y + \mu_k z_{k-1}, \qquad z_k = \mathrm{prox}_{R/\mu_k}(x_k)

    References
    ----------
    .. [1] D. Geman, C. Yang, "Nonlinear image recovery with half-quadratic regularization",
       IEEE Trans. Image Process. 4(7):932-946 (1995).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore import operators, priors
    >>> g = torch.Generator().manual_seed(0)
    >>> y = torch.rand(1, 1, 16, 16, generator=g)
    >>> z, hist = hqs(operators.Blur(sigma=1.0), y, priors.EdgeEnhancingDiffusion(), iterations=5)
    >>> z.shape, hist.shape
    (torch.Size([1, 1, 16, 16]), torch.Size([5, 1]))
    """
    tol = _check_iters("hqs", iterations, tol)
    from ._facade import real_scalar

    mus = [real_scalar(m) for m in mu] if isinstance(mu, (tuple, list)) and len(mu) == 2 else []
    if len(mus) != 2 or any(m is None or not (math.isfinite(m) and m > 0) for m in mus):
        from .._errors import bad_value

        bad_value("hqs", "mu", "a pair (mu_start, mu_end) of finite numbers > 0", mu)
    mu = (float(mus[0]), float(mus[1]))  # type: ignore[arg-type]
    aty = operator.adjoint(data)
    x = _start(operator, data, x0)
    z = x
    hist: List[torch.Tensor] = []
    n = max(iterations - 1, 1)
    for k in range(iterations):
        if k and past(deadline):
            break
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
