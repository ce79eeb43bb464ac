"""``denoise(image, sigma=None, method="auto")``: remove additive white Gaussian noise.

Methods
-------
``"auto"`` (default) -- two-stage sliding-window DCT shrinkage
    (:mod:`~pixelgrad.restore.shrinkage`): hard thresholding at ``2.7 sigma`` of the DCT
    coefficients of overlapping patches, then an empirical Wiener shrinkage with that first
    estimate as pilot (the two stages of BM3D without the block matching), colour images in
    an orthonormal opponent colour space. Run with 8x8 and 12x12 patches; the one with the
    lower Stein unbiased risk estimate of its Wiener stage is kept (per image).
``"dct"`` -- the first stage alone.
``"tv"`` -- the ROF model ``min ||x - y||^2 / 2 + lambda TV(x)``, ``lambda = 0.9 sigma``, by
    Chambolle's dual projection (:class:`~pixelgrad.restore.priors.TotalVariation`'s prox).

``sigma`` (the noise standard deviation in [0, 1] units) is estimated per image when not
given: the smaller of :func:`~pixelgrad.restore.noise.estimate_noise` over all patches and over
the flattest half (both unbiased on pure noise; texture only inflates them, so the smaller is
the less contaminated one). Images are processed one by one on one torch thread: bitwise
independent of the batch composition and the thread count.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Optional

import torch

from .._interop import ImageLike
from . import shrinkage
from ..types import NoiseLevel, Scalar
from ._facade import (check_finite_result, check_restore_method, check_time_budget, finish, from_opponent,
                      image_deadline, noise_levels, prepare, reference_batch, to_opponent, wrap_callback)
from .iterate import past
from .methods import DENOISE_TV_WEIGHT, TABLE, methods_of
from .priors import TotalVariation
from .result import RestoreResult, StepInfo, single_thread

__all__ = ["denoise", "DENOISE_METHODS"]

DENOISE_METHODS = methods_of("denoise")

#: ROF weight in units of sigma (in the table).
TV_WEIGHT = DENOISE_TV_WEIGHT
#: (patch, stride) configurations; ``auto`` keeps the one with the lowest SURE of its second
#: stage (larger patches win on smooth images), ``dct`` uses the first.
PATCHES = ((8, 2), (12, 3))
#: Patch fractions of the noise estimates whose minimum is used when ``sigma`` is not given.
FLAT_FRACTIONS = (1.0, 0.5)
#: Hard threshold in noise standard deviations.
THRESHOLD = 2.7


def _rof(sigma: float) -> TotalVariation:
    """The ROF prior of ``method="tv"`` (the table's row) for noise level ``sigma``."""
    factory = TABLE["denoise"]["tv"].prior
    assert factory is not None
    prior = factory(sigma)
    assert isinstance(prior, TotalVariation)
    return prior


def grid_step_within(x: torch.Tensor, variance: torch.Tensor, patch: int, stride: int,
                     deadline: Optional[float]) -> int:
    """The patch-grid step of the first stage that should end by ``deadline``.

    The first stage's cost is proportional to the number of patches, ``H W / stride^2`` per
    plane. Its time is measured on a crop of one plane, extrapolated to the ``C`` planes,
    and the stride doubled (up to ``patch``: non-overlapping patches, 16 x fewer than
    stride 2 for 8 x 8) until the estimate fits the time left.

    Parameters
    ----------
    x : tensor ``(1, C, H, W)``
        The planes to denoise.
    variance : tensor
        The noise variance (as :func:`~pixelgrad.restore.shrinkage.patch_hard_threshold`).
    patch, stride : int
        The configuration's patch side and grid step.
    deadline : float or None
        A :func:`time.perf_counter` deadline; None keeps ``stride``.

    Returns
    -------
    int
        ``stride`` when there is no deadline or it fits, else a larger step, at most
        ``patch``.

    Examples
    --------
    >>> import time, torch
    >>> x = torch.rand(1, 3, 64, 64)
    >>> grid_step_within(x, torch.tensor(0.01), 8, 2, None)
    2
    >>> grid_step_within(x, torch.tensor(0.01), 8, 2, time.perf_counter() - 1.0)   # too late
    8
    """
    if deadline is None:
        return stride
    h, w = x.shape[-2:]
    side = 96
    crop = x[:, :1, :min(h, side), :min(w, side)]
    t = time.perf_counter()
    shrinkage.patch_hard_threshold(crop, variance, threshold=THRESHOLD, patch=patch, stride=stride)
    per_pixel = (time.perf_counter() - t) / crop.shape[-1] / crop.shape[-2]
    cost = per_pixel * h * w * x.shape[1]
    left = deadline - time.perf_counter()
    while stride < patch and cost > left:
        coarser = min(patch, 2 * stride)
        cost *= (stride / coarser) ** 2
        stride = coarser
    return stride


def denoise(image: ImageLike, sigma: Optional[NoiseLevel] = None, method: str = "auto", *,
            reference: Optional[ImageLike] = None,
            callback: Optional[Callable[[StepInfo], None]] = None,
            time_budget: Optional[Scalar] = None) -> RestoreResult:
    r"""Remove additive white Gaussian noise.

    Parameters
    ----------
    image : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float in [0, 1] units (noisy floats outside [0, 1] are fine). Never modified.
    sigma : float, tensor ``(B,)`` or None
        Noise standard deviation in [0, 1] units; estimated per image when ``None``.
    method : str
        One of :data:`DENOISE_METHODS` (module docstring).
    reference : image, optional
        The clean image, only to report PSNR to ``callback``.
    callback : callable, optional
        Called with a :class:`~pixelgrad.restore.result.StepInfo` after each stage.
    time_budget : float, optional
        Seconds for the whole call, shared equally by the images (as for
        :func:`~pixelgrad.restore.inpaint`). Once an image's share has passed, ``tv`` stops
        its iterations (at least one runs) and ``auto`` skips its remaining stages: the first
        stage with 8x8 patches always runs, on a coarser patch grid when its measured cost
        would not fit the time left (:func:`grid_step_within`); the Wiener stage and the
        12x12 configuration only while time is left. The call returns shortly after the
        budget.

    Returns
    -------
    RestoreResult
        ``image`` in the input's container, shape and dtype (floats clipped to [0, 1]);
        ``noise`` the sigma used per image; ``history`` the squared distance to the input
        ``||x - y||^2 / 2`` after each stage.

    Raises
    ------
    ValueError
        NaN input, negative sigma, unknown method, bad ``time_budget``.

    Notes
    -----
    Stage 1 keeps the DCT coefficients ``|c_k| > 2.7 sigma``; stage 2 scales them by
    ``b_k^2 / (b_k^2 + sigma^2)`` with ``b`` the stage-1 estimate's coefficients; patches are
    averaged with weights inverse to their residual noise (module :mod:`.shrinkage`):

    .. math:: \hat c_k = c_k\,[|c_k| > 2.7\sigma], \qquad \tilde c_k = \frac{b_k^2}{b_k^2 + \sigma^2}\, c_k .

    These are the two stages of BM3D [1]_ without its block matching (a sliding DCT instead
    of 3-D groups of similar patches). ``tv`` solves the ROF model [2]_
    :math:`\min_x \tfrac12\|x - y\|^2 + \lambda\,\mathrm{TV}(x)` by Chambolle's dual
    projection [3]_. ``auto`` picks the patch size with the lower Stein unbiased risk
    estimate [4]_ of its Wiener stage.

    References
    ----------
    .. [1] K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian, "Image denoising by sparse 3-D
       transform-domain collaborative filtering", IEEE Trans. Image Process. 16(8):2080-2095
       (2007).
    .. [2] L. I. Rudin, S. Osher, E. Fatemi, "Nonlinear total variation based noise removal
       algorithms", Physica D 60(1-4):259-268 (1992).
    .. [3] A. Chambolle, "An algorithm for total variation minimization and applications",
       J. Math. Imaging Vis. 20:89-97 (2004).
    .. [4] C. M. Stein, "Estimation of the mean of a multivariate normal distribution",
       Ann. Statist. 9(6):1135-1151 (1981).

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> x = pg.gaussian_blur(torch.rand(1, 1, 64, 64), 2.0)
    >>> y = x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    >>> res = pg.restore.denoise(y)
    >>> bool(pg.restore.psnr(res.image, x) > pg.restore.psnr(y.clamp(0, 1), x) + 5)
    True
    """
    fn = "denoise"
    t0 = time.perf_counter()
    check_restore_method(fn, method, DENOISE_METHODS)
    budget = check_time_budget(fn, time_budget)
    b, y, white = prepare(image, fn)
    ref = reference_batch(fn, reference, b, y)
    make = wrap_callback(callback, ref)
    stages = ["threshold"] + (["wiener"] if method == "auto" else []) if method != "tv" else ["tv"]
    with single_thread():
        s = noise_levels(fn, "sigma", sigma, y, flat_fraction=FLAT_FRACTIONS[0])
        if sigma is None:
            for f in FLAT_FRACTIONS[1:]:
                s = torch.minimum(s, noise_levels(fn, "sigma", None, y, flat_fraction=f))
        per_stage: dict = {st: [] for st in stages}
        for i in range(y.shape[0]):
            yi = y[i:i + 1]
            si = float(s[i])
            dl = image_deadline(t0, budget, i, y.shape[0])
            if si == 0.0:
                for st in stages:
                    per_stage[st].append(yi)
                continue
            if method == "tv":
                per_stage["tv"].append(_rof(si).prox(yi, 1.0, deadline=dl))
                continue
            var = torch.tensor(si * si, dtype=y.dtype)
            opp = to_opponent(yi)
            best = None
            for p, step in (PATCHES if method == "auto" else PATCHES[:1]):
                if best is not None and past(dl):
                    break                                # out of time: keep the first configuration
                if best is None:
                    step = grid_step_within(opp, var, p, step, dl)
                first = torch.cat([shrinkage.patch_hard_threshold(opp[:, j:j + 1], var, threshold=THRESHOLD,
                                                            patch=p, stride=step)
                                   for j in range(opp.shape[1])], 1)
                if method != "auto" or past(dl):
                    best = (0.0, first, first)           # dct, or no time left for the Wiener stage
                    break
                outs = [shrinkage.wiener(opp[:, j:j + 1], first[:, j:j + 1], var, patch=p, stride=step, risk=True)
                        for j in range(opp.shape[1])]
                risk = sum(r for _, r in outs)
                if best is None or risk < best[0]:
                    best = (risk, first, torch.cat([o[0] for o in outs], 1))
                del first, outs
            assert best is not None
            per_stage["threshold"].append(from_opponent(best[1]))
            if method == "auto":
                per_stage["wiener"].append(from_opponent(best[2]))
        hist, rows = [], {}
        for k, st in enumerate(stages):
            est = torch.cat(per_stage[st])
            e = 0.5 * (est - y).reshape(y.shape[0], -1).square().sum(1).double().cpu()
            hist.append(e)
            rows[st] = (k, k + 1)
            cb = make(st)
            if cb is not None:
                cb(0, e, est)
        out = check_finite_result(fn, est).clamp(0.0, 1.0)
    history = torch.stack(hist)
    return RestoreResult(finish(b, out, white), int(history.shape[0]), history, time.perf_counter() - t0,
                         method, rows, s)
