"""``solve(y, operator, prior, solver="auto")``: the general restoration problem
``min_x ||A x - y||^2 / 2 + R(x)`` for researchers, returning the facades' result object."""
from __future__ import annotations

import time
from typing import Any, Callable, Optional, Tuple

import torch

from .._errors import bad_type, bad_value
from .._interop import ImageLike
from . import priors as _priors
from . import solvers as _solvers
from ..types import Scalar
from ._facade import check_finite_result, check_time_budget, finish, prepare, reference_batch, wrap_callback
from .operators import LinearOperator
from .result import RestoreResult, StepInfo, single_thread

__all__ = ["solve"]


def solve(y: ImageLike, operator: LinearOperator, prior: _priors.Prior, solver: str = "auto", *,
          x0: Optional[torch.Tensor] = None, iterations: int = 200, tol: float = 1e-5,
          bounds: Optional[Tuple[float, float]] = (0.0, 1.0), reference: Optional[ImageLike] = None,
          callback: Optional[Callable[[StepInfo], None]] = None, time_budget: Optional[Scalar] = None,
          **options: Any) -> RestoreResult:
    r"""Minimise ``||A x - y||^2 / 2 + R(x)`` with one of the generic solvers.

    Parameters
    ----------
    y : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        The data (uint8 or float in [0, 1] units). Never modified.
    operator : LinearOperator
        The forward model ``A`` (:mod:`pixelgrad.restore.operators`).
    prior : Prior
        The regulariser ``R`` (:mod:`pixelgrad.restore.priors`), weight included.
    solver : str
        ``"auto"`` (CG for quadratic priors, PDHG for TV, FISTA for smooth priors, HQS
        otherwise) or one of :data:`pixelgrad.restore.solvers.SOLVERS`.
    x0 : tensor, optional
        Starting point ``(B, C, H, W)`` (default ``A^T y``).
    iterations, tol :
        The shared stopping rule (see :mod:`pixelgrad.restore.solvers`).
    bounds : pair or None
        Box constraint for the solvers that take one (gradient descent, FISTA, PDHG); the
        result is clipped to it in any case.
    reference, callback :
        As for :func:`~pixelgrad.restore.deblur`.
    time_budget : float, optional
        Seconds: the solver stops once they have passed (at least one iteration runs).
    **options :
        Passed to the solver (e.g. ``mu=(1e-2, 1e2)`` for HQS, ``step=`` for gradient descent).

    Returns
    -------
    RestoreResult

    Raises
    ------
    TypeError
        ``operator`` / ``prior`` of the wrong type, or a prior the solver cannot use.
    ValueError
        Unknown solver, bad iterations / tol / bounds (a pair of finite numbers lo < hi) /
        ``x0`` (finite, the unknown's shape) / ``time_budget``, out-of-range magnitudes, or
        a solver that still produced non-finite values.

    Notes
    -----
    The problem is

    .. math:: \hat x = \arg\min_x \tfrac12 \|A x - y\|_2^2 + R(x).

    ``"auto"`` picks conjugate gradient on the normal equations
    :math:`(A^T A + \nabla^2 R)\,x = A^T y` for quadratic priors, the primal-dual hybrid
    gradient of Chambolle and Pock [1]_ for total variation, FISTA [2]_ for smooth priors and
    half-quadratic splitting otherwise. The iterations of each solver are given in
    :mod:`pixelgrad.restore.solvers`.

    References
    ----------
    .. [1] A. Chambolle, T. Pock, "A first-order primal-dual algorithm for convex problems
       with applications to imaging", J. Math. Imaging Vis. 40:120-145 (2011).
    .. [2] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
       linear inverse problems", SIAM J. Imaging Sci. 2(1):183-202 (2009).

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> from pixelgrad.restore import operators, priors
    >>> x = pg.gaussian_blur(torch.rand(1, 1, 32, 32), 2.0)
    >>> A = operators.Blur(sigma=1.0)
    >>> res = pg.restore.solve(A(x), A, priors.TotalVariation(1e-4), iterations=100)
    >>> res.method
    'pdhg'
    """
    fn = "solve"
    t0 = time.perf_counter()
    if not isinstance(operator, LinearOperator):
        bad_type(fn, "operator", "a pixelgrad.restore.operators.LinearOperator", operator)
    if not isinstance(prior, _priors.Prior):
        bad_type(fn, "prior", "a pixelgrad.restore.priors.Prior", prior)
    if solver != "auto" and solver not in _solvers.SOLVERS:
        bad_value(fn, "solver", "'auto' or one of " + ", ".join(repr(s) for s in _solvers.SOLVERS), solver)
    name = _solvers.pick(prior) if solver == "auto" else solver
    bounds = _solvers.check_bounds(fn, bounds)
    budget = check_time_budget(fn, time_budget)
    b, data, white = prepare(y, fn)
    ref = reference_batch(fn, reference, b, data)
    make = wrap_callback(callback, ref)
    kwargs = dict(options)
    if bounds is not None and name in ("gradient_descent", "fista", "pdhg"):
        kwargs["bounds"] = bounds
    with single_thread():
        x0 = None if x0 is None else _solvers._start(operator, data, x0, fn)
        deadline = None if budget is None else t0 + budget
        x, hist = _solvers.SOLVERS[name](operator, data, prior, x0=x0, iterations=iterations, tol=tol,
                                         callback=make(name), deadline=deadline, **kwargs)
        check_finite_result(fn, x)
        if bounds is not None:
            x = x.clamp(*bounds)
    return RestoreResult(finish(b, x.detach(), white), int(hist.shape[0]), hist, time.perf_counter() - t0,
                         name, {name: (0, int(hist.shape[0]))})
