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
from . import priors, shrinkage
from ._facade import check_method, finish, from_opponent, noise_levels, prepare, reference_batch, to_opponent, wrap_callback
from .result import RestoreResult, StepInfo, single_thread

__all__ = ["denoise", "DENOISE_METHODS"]

DENOISE_METHODS = ("auto", "dct", "tv")

#: ROF weight in units of sigma.
TV_WEIGHT = 0.9
#: (patch, stride) configurations; ``auto`` keeps the one with the lowest SURE of its second
#: stage (larger patches win on smooth images), ``dct`` uses the first.
PATCHES = ((8, 2), (12, 3))
#: Patch fractions of the noise estimates whose minimum is used when ``sigma`` is not given.
FLAT_FRACTIONS = (1.0, 0.5)
#: Hard threshold in noise standard deviations.
THRESHOLD = 2.7


def denoise(image: ImageLike, sigma: Any = None, method: str = "auto", *,
            reference: Optional[ImageLike] = None,
            callback: Optional[Callable[[StepInfo], None]] = None) -> RestoreResult:
    """Remove additive white Gaussian noise.

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

    Returns
    -------
    RestoreResult
        ``image`` in the input's container, shape and dtype (floats clipped to [0, 1]);
        ``noise`` the sigma used per image; ``history`` the squared distance to the input
        ``||x - y||^2 / 2`` after each stage.

    Raises
    ------
    ValueError
        NaN input, negative sigma, unknown method.

    Notes
    -----
    Stage 1 keeps the DCT coefficients ``|c_k| > 2.7 sigma``; stage 2 scales them by
    ``b_k^2 / (b_k^2 + sigma^2)`` with ``b`` the stage-1 estimate's coefficients; patches are
    averaged with weights inverse to their residual noise (module :mod:`.shrinkage`).

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
    check_method(fn, method, DENOISE_METHODS)
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
            if si == 0.0:
                for st in stages:
                    per_stage[st].append(yi)
                continue
            if method == "tv":
                per_stage["tv"].append(priors.TotalVariation(TV_WEIGHT * si, iterations=100).prox(yi, 1.0))
                continue
            var = torch.tensor(si * si, dtype=y.dtype)
            opp = to_opponent(yi)
            best = None
            for p, step in (PATCHES if method == "auto" else PATCHES[:1]):
                if method != "auto":
                    first = torch.cat([shrinkage.hard_threshold(opp[:, j:j + 1], var, threshold=THRESHOLD,
                                                                patch=p, stride=step)
                                       for j in range(opp.shape[1])], 1)
                    best = (0.0, first, first)
                    break
                outs = [shrinkage.two_stage(opp[:, j:j + 1], var, threshold=THRESHOLD, patch=p, stride=step)
                        for j in range(opp.shape[1])]
                risk = sum(r for _, _, r in outs)
                if best is None or risk < best[0]:
                    best = (risk, torch.cat([o[0] for o in outs], 1), torch.cat([o[1] for o in outs], 1))
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
        out = est.clamp(0.0, 1.0)
    history = torch.stack(hist)
    return RestoreResult(finish(b, out, white), int(history.shape[0]), history, time.perf_counter() - t0,
                         method, rows, s)
