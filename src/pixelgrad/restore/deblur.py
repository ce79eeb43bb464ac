"""``deblur(image, sigma=... | motion=... | box=... | kernel=..., noise=None)``: undo a known blur.

Model: ``y = A x + n`` with ``A`` a :class:`~pixelgrad.restore.operators.Blur` (pixelgrad's own
blur, same border) and ``n`` white Gaussian noise of standard deviation ``noise`` (estimated
from ``y`` when not given, :func:`~pixelgrad.restore.noise.estimate_noise`).

Methods
-------
``"auto"`` (default) -- regularised inverse + coloured-noise patch shrinkage (in the spirit of
    BM3D-DEB, Dabov et al. 2008, with a sliding DCT in place of block matching):

    1. ``x_RI = F^-1[ conj(K) Y / (|K|^2 + alpha sigma^2 |L|^2) ]`` with ``K`` the blur's
       transfer function, ``|L|^2`` the symbol of the 5-point Laplacian and
       ``alpha = max(40, alpha_GCV / 4)`` (a mild inverse: it keeps low frequencies exact and
       leaves coloured noise; ``alpha_GCV`` by generalised cross-validation, larger for
       smoother images),
    2. the noise of ``x_RI`` has power spectrum ``sigma^2 |G|^2`` (``G`` the inverse filter);
       its autocorrelation gives the noise variance of every 8x8 DCT coefficient, and
       :func:`~pixelgrad.restore.shrinkage.patch_hard_threshold` removes it,
    3. a second, empirical-Wiener shrinkage of ``x_RI`` with the first estimate as pilot.

    For ``border="circular"`` the FFT model is exact. For the other borders the image is
    extended by a margin (twice the kernel radius, at least 16 px and at most the image size:
    :func:`margins`; first filled by mirroring) whose
    data are treated as unknown: :data:`MARGIN_ITERATIONS` fixed-point steps
    ``f_margin <- (K x_RI)_margin`` make them consistent with the blur model, so no
    periodic seam rings into the image (an approximation of the true border, good to the
    noise level away from the image edge).
``"wiener"`` -- step 1 alone (Laplacian-regularised Wiener inverse, ``alpha = 40``).
``"tv"`` -- ``min ||A x - y||^2 / 2 + lambda TV(x)`` by Chambolle-Pock with the exact operator
    and border (``lambda = TV_WEIGHT sigma^2``); slower, exact.
``"tikhonov"`` -- ``min ||A x - y||^2 / 2 + lambda ||grad x||^2`` by conjugate gradient
    (exact operator, ``lambda = 10 sigma^2``).

All images are processed one by one on one torch thread, so results are bitwise
independent of the batch composition and of the caller's thread count.
"""
from __future__ import annotations

import numbers
import time
import warnings
from typing import Any, Callable, List, Optional, Tuple

import torch

from .._errors import bad_value
from .._interop import ImageLike
from ..borders import pad2d
from . import shrinkage
from .blind import MIN_SPREAD, KernelEstimate, blind_deconvolve, estimate_kernel, kernel_spread
from ..types import Angle, Kernel, Motion, NoiseLevel, PairValue, Scalar, Sigma
from ._facade import (check_finite_result, check_restore_method, check_time_budget, finish, from_opponent,
                      image_deadline, noise_levels, prepare, reference_batch, to_opponent, wrap_callback)
from .checks import check_iterations
from .iterate import past
from .methods import DEBLUR_TV_WEIGHT, TABLE, methods_of, run_recipe
from .operators import Blur
from .result import RestoreResult, StepInfo, single_thread

__all__ = ["deblur", "DEBLUR_METHODS", "margins", "FIT_TOLERANCE"]

DEBLUR_METHODS = methods_of("deblur")

#: Regularisation of the inverse filter: ``alpha sigma^2 |L|^2`` in the denominator.
INVERSE_ALPHA = 40.0
#: Grid of the generalised cross-validation of ``auto`` (see :func:`_alpha`).
GCV_GRID = tuple(10.0 * 2.0 ** i for i in range(10))
#: TV weight ``lambda = TV_WEIGHT * sigma^2`` (data term ``||A x - y||^2 / 2``; in the table).
TV_WEIGHT = DEBLUR_TV_WEIGHT
#: Fixed-point iterations that make the data in the FFT margin consistent with the blur.
MARGIN_ITERATIONS = 10
#: Hard threshold in noise standard deviations.
THRESHOLD = 2.7


def _nice(n: int) -> int:
    """The smallest ``m >= n`` whose prime factors are 2, 3 and 5 (fast FFT sizes)."""
    while True:
        m = n
        for f in (2, 3, 5):
            while m % f == 0:
                m //= f
        if m == 1:
            return n
        n += 1


def margins(radius: int, h: int, w: int) -> Tuple[int, int]:
    """The margins ``(mh, mw)`` of the FFT grid of ``auto`` / ``wiener`` (non-circular borders).

    Parameters
    ----------
    radius : int
        The blur kernel's radius (any size: ``sigma=1e300`` gives ``4e300``).
    h, w : int
        The image size.

    Returns
    -------
    tuple of int
        ``max(16, min(2 radius, n))`` per axis: twice the kernel's radius, bounded by the
        image, so the grid is at most three times the image along each axis whatever the
        blur. A blur wider than the image is folded onto the grid's period by the circular
        transfer function (as the filters fold it onto the border period), so the grid never
        grows with the kernel.

    Examples
    --------
    >>> margins(3, 64, 64), margins(20, 64, 64), margins(10**300, 32, 48)
    ((16, 16), (40, 40), (32, 48))
    """
    return max(16, min(2 * radius, h)), max(16, min(2 * radius, w))


def _laplacian_symbol(h: int, w: int) -> torch.Tensor:
    e = torch.zeros(1, 1, h, w, dtype=torch.float64)
    e[..., 0, 0] = 4.0
    e[..., 0, 1] = e[..., 1, 0] = e[..., 0, -1] = e[..., -1, 0] = -1.0
    return torch.fft.rfft2(e).real


def _alpha(f: torch.Tensor, k: torch.Tensor, lap: torch.Tensor, s: float) -> float:
    """Regularisation of the inverse for ``auto``: generalised cross-validation (Golub, Heath,
    Wahba 1979) picks ``a_gcv`` on a geometric grid for the Laplacian-regularised inverse
    ``G_a = conj(K) / (|K|^2 + a s^2 |L|^2)``, minimising
    ``N ||(I - K G_a) f||^2 / tr(I - K G_a)^2``; the inverse used before the shrinkage is
    ``max(INVERSE_ALPHA, a_gcv / 4)`` (milder than the GCV optimum: the shrinkage removes the
    rest), so smooth images get a stronger inverse regularisation, textured ones the default."""
    if s <= 0:
        return INVERSE_ALPHA
    h, w = f.shape[-2:]
    fy = torch.fft.rfft2(f.to(torch.float64))[0, 0].abs().square()
    k2 = k[0, 0].abs().square()
    lp = lap[0, 0]
    wts = torch.full_like(k2, 2.0)
    wts[:, 0] = 1.0
    if w % 2 == 0:
        wts[:, -1] = 1.0
    best = (float("inf"), INVERSE_ALPHA)
    for a in GCV_GRID:
        r = (a * s * s * lp) / (k2 + a * s * s * lp).clamp_min(1e-300)
        tr = float((wts * r).sum())
        if tr <= 0:
            continue
        score = float((wts * r.square() * fy).sum()) / (tr * tr)
        if score < best[0]:
            best = (score, a)
    return max(INVERSE_ALPHA, best[1] / 4.0)


def _fourier_deblur(y: torch.Tensor, op: Blur, sigma: torch.Tensor, method: str,
                    cb_make, deadlines: Optional[List[Optional[float]]] = None) -> tuple:
    """Methods ``auto`` / ``wiener`` on a batch, one image at a time; once the image's
    deadline has passed, the margin iterations stop and the shrinkage stages are skipped
    (the regularised inverse is always computed)."""
    bsz, c, h, w = y.shape
    if op.border == "circular":
        mh = mw = 0
        hh, ww = h, w
    else:
        mgh, mgw = margins(op._radius(), h, w)
        hh, ww = _nice(h + 2 * mgh), _nice(w + 2 * mgw)
        mh, mw = (hh - h) // 2, (ww - w) // 2
    k_all = op.transfer((hh, ww), torch.float64)                # (B or 1, 1, hh, ww//2+1)
    lap = _laplacian_symbol(hh, ww)
    outs: List[torch.Tensor] = []
    hist: List[torch.Tensor] = []
    for i in range(bsz):
        yi = y[i:i + 1]
        s = float(sigma[i])
        dl = None if deadlines is None else deadlines[i]
        k = k_all[i if k_all.shape[0] > 1 else 0][None]
        # mirror margin of any width (torch's reflect pad needs a margin smaller than the image)
        f = pad2d(yi, mh, hh - h - mh, mw, ww - w - mw, "reflect") if (mh or mw) else yi
        alpha = _alpha(f, k, lap, s) if method == "auto" else INVERSE_ALPHA
        # noiseless data still carry rounding noise: floor sigma at a few ulps of the dtype
        # (and the mirror-margin model of the non-circular borders is exact only to ~1e-3)
        se = max(s, 1e-6 if (y.dtype == torch.float64 and op.border == "circular") else 1e-3)
        g = k.conj() / (k.abs().square() + alpha * se * se * lap).clamp_min(1e-30)
        gc = g.to(torch.complex128 if y.dtype == torch.float64 else torch.complex64)
        u = torch.fft.irfft2(gc * torch.fft.rfft2(f), s=(hh, ww))
        if mh or mw:
            # the margin's data are unknown: make them consistent with the model
            # (f_margin <- (K u)_margin, a contraction since |K G| <= 1), then invert again
            kc = k.to(gc.dtype)
            for _ in range(MARGIN_ITERATIONS):
                if past(dl):
                    break
                model = torch.fft.irfft2(kc * torch.fft.rfft2(u), s=(hh, ww))
                model[..., mh:mh + h, mw:mw + w] = f[..., mh:mh + h, mw:mw + w]   # the data inside
                f = model
                u = torch.fft.irfft2(gc * torch.fft.rfft2(f), s=(hh, ww))
        x_ri = u[..., mh:mh + h, mw:mw + w]
        x = x_ri
        if method == "auto" and s > 0 and not past(dl):
            acf = torch.fft.irfft2(g.abs().square().to(torch.complex128), s=(hh, ww))[0, 0] * (s * s)
            var = shrinkage.coefficient_variance(acf, 8, y.dtype)
            opp = to_opponent(x_ri)
            first = torch.cat([shrinkage.patch_hard_threshold(opp[:, j:j + 1], var, threshold=THRESHOLD)
                               for j in range(c)], 1)
            if past(dl):
                x = from_opponent(first)
            else:
                second = torch.cat([shrinkage.wiener(opp[:, j:j + 1], first[:, j:j + 1], var)
                                    for j in range(c)], 1)
                x = from_opponent(second)
        outs.append(x)
    out = torch.cat(outs)
    r = op(out) - y
    misfit = 0.5 * r.reshape(bsz, -1).square().sum(1).double().cpu()
    hist.append(misfit)
    cb = cb_make(method)
    if cb is not None:
        cb(0, misfit, out)
    return out, torch.stack(hist)


def deblur(image: ImageLike, kernel: Optional[Kernel] = None, *, sigma: Optional[Sigma] = None,
           angle: Optional[Angle] = None, box: Optional[PairValue] = None,
           motion: Optional[Motion] = None, noise: Optional[NoiseLevel] = None, border: str = "reflect", method: str = "auto",
           iterations: Optional[int] = None, reference: Optional[ImageLike] = None,
           callback: Optional[Callable[[StepInfo], None]] = None,
           time_budget: Optional[Scalar] = None, kernel_size: Optional[int] = None) -> RestoreResult:
    r"""Restore an image blurred by a known blur (and noise).

    Parameters
    ----------
    image : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        The blurred image, uint8 or float in [0, 1] units (noisy floats slightly outside
        [0, 1] are fine). Never modified.
    kernel, sigma, angle, box, motion :
        The blur, at most one of: a point-spread function ``kernel`` (convolution), Gaussian
        ``sigma`` (with optional ``angle``), ``box`` size, ``motion=(length, angle[, direction])``
        -- the parameters of ``pg.gaussian_blur`` / ``pg.box_blur`` / ``pg.motion_blur``
        (per-sample tensors allowed). See :class:`~pixelgrad.restore.operators.Blur`.
        None of them: *blind* deblurring. Each image's kernel is estimated
        (:func:`~pixelgrad.restore.blind.estimate_kernel`, on the luminance), the image is
        deblurred with it by ``method``, and the result is checked without a reference
        (:func:`~pixelgrad.restore.blind.blind_deconvolve`): when the check fails, the blurry
        input is returned unchanged with a ``RuntimeWarning``, so a blind result is never knowingly worse than the input. An
        image whose estimate is a near-delta kernel (RMS radius below
        :data:`~pixelgrad.restore.blind.MIN_SPREAD` px) has no blur to undo and is returned
        unchanged (confidence 1, ``res.kernel`` the estimate).
    noise : float, tensor ``(B,)`` or None
        Standard deviation of the additive noise in [0, 1] units; estimated per image when
        ``None``.
    border : str
        The border mode the blur was made with.
    method : str
        One of :data:`DEBLUR_METHODS` (see the module docstring).
    iterations : int, optional
        Iterations of the ``tv`` / ``tikhonov`` solvers (defaults 300 / 200).
    reference : image, optional
        The clean image, only to report PSNR to ``callback``.
    callback : callable, optional
        Called with a :class:`~pixelgrad.restore.result.StepInfo` after every iteration/stage.
    time_budget : float, optional
        Seconds for the whole call, shared equally by the images (as for
        :func:`~pixelgrad.restore.inpaint`): the ``tv`` / ``tikhonov`` solvers stop once an
        image's share has passed (each runs at least one iteration); ``auto`` / ``wiener``
        always compute the regularised inverse, then stop the margin iterations and skip the
        remaining shrinkage stages. The call returns shortly after the budget. The blind
        kernel estimate is not part of the budget (seconds per image, run first).
    kernel_size : int, optional
        Blind deblurring only: an odd upper bound (>= 3) of the kernel's size; by default
        chosen from the image (:func:`~pixelgrad.restore.blind.default_size`).

    Returns
    -------
    RestoreResult
        ``image`` in the input's container, shape and dtype (float outputs clipped to [0, 1]);
        ``kernel`` the point-spread function used, float64 ``(Kh, Kw)`` or ``(B, Kh, Kw)``
        (built from ``sigma`` / ``box`` / ``motion``: summing to 1; a ``kernel`` given is
        copied as given; blind: the estimate), so ``deblur(y, kernel=res.kernel)`` models
        the same blur; ``confidence`` ``(B,)`` how far the result can be trusted (see
        :class:`~pixelgrad.restore.result.RestoreResult`).

    Warns
    -----
    RuntimeWarning
        A given blur that does not explain the image (the restored image, blurred again,
        misses the data by more than :data:`FIT_TOLERANCE` noise levels: e.g. a motion angle
        of the wrong sign), or a blind estimate that was not trusted (the input is returned).

    Raises
    ------
    ValueError
        Bad blur parameters (e.g. ``sigma <= 0``, a kernel larger than the image with
        ``border="constant"``), NaN input, negative ``noise``, unknown ``method``, a bad
        ``time_budget``.
    TypeError
        Wrong argument types.

    Notes
    -----
    The model is :math:`y = A x + n`. The ``auto`` and ``wiener`` methods start from the
    Laplacian-regularised inverse filter

    .. math:: \hat x_{RI} = \mathcal F^{-1}\left[\frac{\overline{K}\, Y} {|K|^2 + \alpha \sigma^2 |L|^2}\right],

    ``tv`` minimises :math:`\tfrac12\|A x - y\|^2 + \lambda\,\mathrm{TV}(x)` by
    Chambolle-Pock and ``tikhonov`` minimises
    :math:`\tfrac12\|A x - y\|^2 + \lambda\|\nabla x\|^2` by conjugate gradient. See
    the module docstring for the details of each method (margin handling, the choice of
    :math:`\alpha` by generalised cross-validation, the two shrinkage stages of ``auto``).
    The shrinkage of ``auto`` follows the two stages of BM3D-DEB [1]_ with a sliding
    8x8 DCT in place of block matching, so it is related to, not an implementation of, [1]_.

    References
    ----------
    .. [1] K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian, "Image restoration by sparse 3D
       transform-domain collaborative filtering", Proc. SPIE 6812, Image Processing:
       Algorithms and Systems VI, 681207 (2008).
    .. [2] G. H. Golub, M. Heath, G. Wahba, "Generalized cross-validation as a method for
       choosing a good ridge parameter", Technometrics 21(2):215-223 (1979).
    .. [3] A. Chambolle, T. Pock, "A first-order primal-dual algorithm for convex problems
       with applications to imaging", J. Math. Imaging Vis. 40:120-145 (2011).

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> x = pg.gaussian_blur(torch.rand(1, 1, 64, 64, dtype=torch.float64), 1.0)
    >>> y = pg.gaussian_blur(x, 1.5, border="circular")
    >>> res = pg.restore.deblur(y, sigma=1.5, border="circular", noise=0.0)
    >>> bool(pg.restore.psnr(res.image, x) > pg.restore.psnr(y, x) + 10)
    True

    Blind: the blur is estimated (here a 2-pixel Gaussian, real borders, noise 0.01):

    >>> g = torch.Generator().manual_seed(0)
    >>> clean = pg.gaussian_blur(torch.rand(1, 1, 96, 96, generator=g, dtype=torch.float64), 0.7)
    >>> blurry = pg.gaussian_blur(clean, 2.0) + 0.01 * torch.randn(1, 1, 96, 96, generator=g, dtype=torch.float64)
    >>> res = pg.restore.deblur(blurry)
    >>> res.kernel.shape[0], res.kernel.dtype, bool(pg.restore.psnr(res.image, clean) >= pg.restore.psnr(blurry, clean) - 0.3)
    (1, torch.float64, True)
    """
    fn = "deblur"
    t0 = time.perf_counter()
    check_restore_method(fn, method, DEBLUR_METHODS)
    if iterations is not None:
        iterations = check_iterations(fn, iterations)
    budget = check_time_budget(fn, time_budget)
    blind = kernel is None and sigma is None and box is None and motion is None
    if blind and angle is not None:
        bad_value(fn, "angle", "None without sigma (angle rotates an anisotropic Gaussian blur)", angle)
    if not blind and kernel_size is not None:
        bad_value(fn, "kernel_size", "None when the blur is given (it bounds the blind estimate)", kernel_size)
    b, y, white = prepare(image, fn)
    if blind and kernel_size is not None:
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, numbers.Integral) \
                or kernel_size < 3 or kernel_size % 2 == 0:
            bad_value(fn, "kernel_size", "an odd integer >= 3 (an upper bound of the blur's size)", kernel_size)
        if kernel_size > min(y.shape[-2:]):
            bad_value(fn, "kernel_size", f"at most the image's smaller side {min(y.shape[-2:])}", kernel_size)
        kernel_size = int(kernel_size)
    op = None if blind else Blur(kernel, sigma=sigma, angle=angle, box=box, motion=motion, border=border)
    if op is not None:
        op._check_size(y)
    ref = reference_batch(fn, reference, b, y)
    make = wrap_callback(callback, ref)
    confidence: Optional[torch.Tensor] = None
    with single_thread():
        s = noise_levels(fn, "noise", noise, y, flat_fraction=1.0)    # blur leaves no texture
        if op is None:
            out, hist, psf, confidence = _blind(y, s, kernel_size, border, method, iterations, make, t0, budget)
        else:
            out, hist = _known(y, op, s, method, iterations, make, t0, budget)
            psf = op.psf()
            # the fit is a property of (image, blur), not of a solver's progress: judged on the
            # Fourier result (the one returned for auto / wiener, a cheap wiener pass otherwise)
            fourier = out if recipe_is_fourier(method) else _fourier_deblur(y, op, s, "wiener", lambda m: None)[0]
            confidence = _fit_confidence(y, fourier, op, s)
        out = check_finite_result(fn, out).clamp(0.0, 1.0)
    return RestoreResult(finish(b, out, white), int(hist.shape[0]), hist.to(torch.float64),
                         time.perf_counter() - t0, method, {method: (0, int(hist.shape[0]))}, s,
                         psf, confidence)


def recipe_is_fourier(method: str) -> bool:
    """Whether ``method`` is one of the Fourier pipelines (``auto``, ``wiener``), not a solver."""
    return TABLE["deblur"][method].solver is None


def _known(y: torch.Tensor, op: Blur, s: torch.Tensor, method: str, iterations: Optional[int],
           make: Any, t0: float, budget: Optional[float]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Non-blind deblur of the batch ``y`` by ``op``: the restored batch and the history."""
    recipe = TABLE["deblur"][method]
    if recipe.solver is None:
        return _fourier_deblur(y, op, s, method, make,
                               [image_deadline(t0, budget, i, y.shape[0]) for i in range(y.shape[0])])
    outs, hists = [], []
    for i in range(y.shape[0]):
        yi = y[i:i + 1]
        xi, hi = run_recipe(recipe, _sample_op(op, i, y.shape[0]), yi, yi, sigma=float(s[i]),
                            iterations=iterations, callback=make(method),
                            deadline=image_deadline(t0, budget, i, y.shape[0]))
        outs.append(xi)
        hists.append(hi[:, 0])
    if not outs:
        return y.clone(), torch.zeros(0, 0, dtype=torch.float64)
    n = max(len(h) for h in hists)
    hist = torch.stack([torch.cat([h, h[-1:].expand(n - len(h))]) if len(h) else torch.zeros(n, dtype=torch.float64)
                        for h in hists], 1)
    return torch.cat(outs), hist


def _blind(y: torch.Tensor, s: torch.Tensor, kernel_size: Optional[int], border: str, method: str,
           iterations: Optional[int], make: Any, t0: float, budget: Optional[float]) -> tuple:
    """Blind deblur: estimate each image's kernel, deblur with it, keep the result only if
    the no-reference check trusts it (:func:`~pixelgrad.restore.blind.blind_deconvolve`)."""
    bsz = y.shape[0]
    if bsz == 0:
        return y.clone(), torch.zeros(0, 0, dtype=torch.float64), torch.zeros(0, 1, 1, dtype=torch.float64), \
            torch.zeros(0, dtype=torch.float64)
    est = estimate_kernel(y, kernel_size, noise=s)
    outs, hists, trust = [], [], []
    for i in range(bsz):
        yi, si = y[i:i + 1], s[i:i + 1]
        last: List[torch.Tensor] = []

        def deconvolve(yy: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
            xx, hh = _known(yy, Blur(k, border=border), si, method, iterations, make, t0, budget)
            last.append(hh)
            return xx

        one = KernelEstimate(est.kernel[i:i + 1], est.family, [est.params[i]], est.confidence[i:i + 1])
        xs, _, check = blind_deconvolve(yi, deconvolve, noise=si, estimate=one)
        xi = xs[0]
        no_blur = kernel_spread(one.kernel[0]) < MIN_SPREAD
        kept_input = bool(torch.equal(xi, yi)) and not no_blur
        outs.append(xi)
        hists.append(last[-1][:, 0] if last and last[-1].numel() else torch.zeros(1, dtype=torch.float64))
        trust.append(1.0 if no_blur else 0.0 if kept_input else float(check.confidence[0]))
        if kept_input:
            warnings.warn(f"deblur: image {i}: the estimated blur could not be trusted (kernel confidence "
                          f"{float(one.confidence[0]):.2f}, result confidence {float(check.confidence[0]):.2f}); "
                          "the blurry input is returned unchanged. Give the blur (sigma=, motion=, kernel=) "
                          "if you know it, or a kernel_size bound.", RuntimeWarning, stacklevel=3)
    n = max(len(h) for h in hists)
    hist = torch.stack([torch.cat([h, h[-1:].expand(n - len(h))]) for h in hists], 1)
    return torch.cat(outs), hist, est.kernel, torch.tensor(trust, dtype=torch.float64)


#: A given blur "fits" while the restored image, blurred again, misses the data by at most
#: this many noise standard deviations (RMS over the interior); a wrong blur (e.g. the
#: opposite sign of a motion angle) misses by several.
FIT_TOLERANCE = 2.5


def _fit_confidence(y: torch.Tensor, out: torch.Tensor, op: Blur, s: torch.Tensor) -> torch.Tensor:
    """Confidence ``(B,)`` in [0, 1] that a given blur explains the data: the RMS residual
    ``rho`` of ``A clip(x) - y`` over the interior (the kernel's radius cut off; ``x`` clipped to
    [0, 1] as returned: a wrong blur is inverted only by values far outside it), in units of the
    noise level (at least 1/255), mapped to ``min(1, exp(FIT_TOLERANCE - rho))``; warns
    (``RuntimeWarning``) for each image where ``rho > FIT_TOLERANCE``."""
    r = op.psf()
    rh, rw = (0, 0) if r is None else (r.shape[-2] // 2, r.shape[-1] // 2)
    h, w = y.shape[-2:]
    rh, rw = min(rh, (h - 1) // 2), min(rw, (w - 1) // 2)
    d = (op(out.clamp(0.0, 1.0)) - y)[..., rh:h - rh, rw:w - rw].to(torch.float64)
    rho = d.square().flatten(1).mean(1).sqrt() / s.to(d.device).clamp_min(1.0 / 255)
    conf = torch.exp(FIT_TOLERANCE - rho).clamp(max=1.0).cpu()
    for i in (rho > FIT_TOLERANCE).nonzero().flatten().tolist():
        warnings.warn(f"deblur: image {i}: the given blur does not fit the image (blurred again, the "
                      f"result misses the data by {float(rho[i]):.1f} noise levels); check the blur's "
                      "parameters (e.g. the sign of a motion angle, its length), or leave the blur out "
                      "to estimate it", RuntimeWarning, stacklevel=3)
    return conf


def _sample_op(op: Blur, i: int, bsz: int) -> Blur:
    """The operator of sample ``i`` (per-sample parameters sliced)."""
    def pick(v: Any) -> Any:
        if isinstance(v, torch.Tensor) and v.ndim >= 1 and v.shape[0] == bsz:
            return v[i:i + 1]
        if isinstance(v, (tuple, list)):
            return type(v)(pick(t) for t in v)
        return v
    if op.kind == "kernel":
        psf = op._psf()
        k = psf if psf.ndim == 2 else psf[i]
        return Blur(k, border=op.border)
    return Blur(sigma=pick(op.sigma), angle=pick(op.angle), box=pick(op.box), motion=pick(op.motion),
                border=op.border, truncate=op.truncate)
