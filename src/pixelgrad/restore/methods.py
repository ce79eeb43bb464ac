"""The one table of the restoration front ends: ``(front end, method) -> Recipe``.

A recipe names the prior (a factory of the per-image noise level ``sigma``), the solver
(a key of :data:`pixelgrad.restore.solvers.SOLVERS`) and its defaults; the front ends
:func:`~pixelgrad.restore.inpaint`, :func:`~pixelgrad.restore.deblur`,
:func:`~pixelgrad.restore.denoise` (and :func:`~pixelgrad.restore.solve`, whose prior and
solver the caller gives) look their method up here and run it through :func:`run_recipe`. A
method that is not "a prior and a solver" (the multi-stage DCT / diffusion inpainting, the
Fourier deblurring, the patch-shrinkage denoising) has ``solver=None`` and names its
``pipeline``, a function of its front end's module.

Adding a method: add a row here (and, for a pipeline, the function in the front end), then
its golden output in ``tests/restore/test_golden.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import torch

from . import priors, solvers
from .constraints import Constraint
from .iterate import Callback

__all__ = ["Recipe", "TABLE", "methods_of", "run_recipe"]


@dataclass(frozen=True)
class Recipe:
    """One method of a front end.

    Attributes
    ----------
    prior : callable or None
        ``prior(sigma) -> Prior`` (``sigma`` the image's noise level, 0 when unused).
    solver : str or None
        A key of :data:`~pixelgrad.restore.solvers.SOLVERS`; ``None`` for a pipeline.
    defaults : dict
        Keyword arguments of the solver (``iterations`` included).
    start : str
        ``"data"`` (the given image), ``"pull_push"`` (the pull-push fill of the unknown
        pixels, inpainting) or ``"adjoint"`` (:math:`A^T y`).
    pipeline : str or None
        Name of the front end's pipeline function when ``solver`` is None.

    Examples
    --------
    >>> TABLE["inpaint"]["tv"].solver, TABLE["deblur"]["tikhonov"].defaults["iterations"]
    ('pdhg', 200)
    """

    prior: Optional[Callable[[float], priors.Prior]]
    solver: Optional[str]
    defaults: Dict[str, Any] = field(default_factory=dict)
    start: str = "data"
    pipeline: Optional[str] = None


#: TV weight of ``deblur(method="tv")``: ``lambda = 5 sigma^2`` (data term ``||A x - y||^2 / 2``).
DEBLUR_TV_WEIGHT = 5.0
#: Tikhonov weight of ``deblur(method="tikhonov")``: ``lambda = 10 sigma^2``.
DEBLUR_TIKHONOV_WEIGHT = 10.0
#: ROF weight of ``denoise(method="tv")`` in units of sigma.
DENOISE_TV_WEIGHT = 0.9

TABLE: Dict[str, Dict[str, Recipe]] = {
    "inpaint": {
        "auto": Recipe(None, None, {"iterations": 60}, pipeline="auto"),
        "dct": Recipe(None, None, {"iterations": 60}, pipeline="dct"),
        "biharmonic": Recipe(lambda s: priors.Biharmonic(1.0), "cg",
                             {"iterations": 1000, "tol": 1e-5, "check_every": 10, "per_plane": True}, "pull_push"),
        "harmonic": Recipe(lambda s: priors.Harmonic(1.0), "cg",
                           {"iterations": 2000, "tol": 1e-5, "check_every": 10, "per_plane": True}, "pull_push"),
        "tv": Recipe(lambda s: priors.TotalVariation(1.0), "pdhg", {"iterations": 300, "tol": 0.0}, "pull_push"),
        "tv-smooth": Recipe(lambda s: priors.Charbonnier(1.0, eps=1e-2), "fista",
                            {"iterations": 300, "tol": 0.0, "monotone": True}, "pull_push"),
        "multiscale_gd": Recipe(lambda s: priors.MultiscaleSmoothness(1.0), "gradient_descent",
                                {"iterations": 500, "step": solvers.tutorial_step, "objective_before": True}),
    },
    "deblur": {
        "auto": Recipe(None, None, pipeline="fourier"),
        "wiener": Recipe(None, None, pipeline="fourier"),
        "tv": Recipe(lambda s: priors.TotalVariation(DEBLUR_TV_WEIGHT * s * s), "pdhg",
                     {"iterations": 300, "tol": 1e-5, "bounds": (0.0, 1.0)}),
        "tikhonov": Recipe(lambda s: priors.Harmonic(DEBLUR_TIKHONOV_WEIGHT * s * s + 1e-8), "cg",
                           {"iterations": 200, "tol": 1e-5}),
    },
    "denoise": {
        "auto": Recipe(None, None, pipeline="shrinkage"),
        "dct": Recipe(None, None, pipeline="shrinkage"),
        "tv": Recipe(lambda s: priors.TotalVariation(DENOISE_TV_WEIGHT * s, iterations=100), None, pipeline="prox"),
    },
}


def methods_of(front_end: str) -> Tuple[str, ...]:
    """The method names of a front end, in table order.

    Parameters
    ----------
    front_end : str
        ``"inpaint"``, ``"deblur"`` or ``"denoise"``.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> methods_of("denoise")
    ('auto', 'dct', 'tv')
    """
    return tuple(TABLE[front_end])


def run_recipe(recipe: Recipe, operator: Any, data: Optional[torch.Tensor], x0: torch.Tensor, *, sigma: float = 0.0,
               constraint: Optional[Constraint] = None, callback: Callback = None, deadline: Optional[float] = None,
               **overrides: Any) -> Tuple[torch.Tensor, torch.Tensor]:
    """Run a solver recipe on one problem.

    Parameters
    ----------
    recipe : Recipe
        A row of :data:`TABLE` with a solver.
    operator, data :
        The data term (``None, None``: none).
    x0 : torch.Tensor
        Start ``(B, C, H, W)``.
    sigma : float
        Noise level handed to the prior factory.
    constraint : Constraint, optional
        E.g. the fixed known pixels of inpainting.
    callback, deadline :
        As for the solvers.
    **overrides :
        Replace defaults (``None`` values keep the default).

    Returns
    -------
    tuple
        ``(x, history)`` of the solver.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.constraints import FixedPixels
    >>> x = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> known = x > 0.5
    >>> out, hist = run_recipe(TABLE["inpaint"]["tv"], None, None, x, constraint=FixedPixels(known, x), iterations=5)
    >>> hist.shape, bool(torch.equal(out[known], x[known]))
    (torch.Size([5, 1]), True)
    """
    assert recipe.solver is not None and recipe.prior is not None
    kwargs = dict(recipe.defaults)
    kwargs.update({k: v for k, v in overrides.items() if v is not None})
    if constraint is not None:
        kwargs["constraint"] = constraint
    return solvers.SOLVERS[recipe.solver](operator, data, recipe.prior(sigma), x0=x0, callback=callback,
                                          deadline=deadline, **kwargs)
