"""The blur family: Gaussian (isotropic, anisotropic, rotated), box and motion blur.

All functions take ``(..., C, H, W)`` tensors or numpy ``(H, W[, C])`` images, return the
same container, shape and dtype, and never modify their input. Parameters may be numbers
(one value for the batch) or per-sample tensors ``(B,)`` / ``(B, 2)`` where ``B`` is the
product of the leading dims; every sample is processed in the same call.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import torch

from .. import borders as _borders
from .._dtypes import compute_dtype, from_compute
from .._errors import bad_value, check_choice
from .._interop import Batch, ImageLike, to_batch
from ..backends import opencv_backend as _cv
from ..backends import torch_backend as _tb
from ..kernels import fold as _fold
from ..kernels import gaussian as _g
from ..kernels.stack import stack_centered_1d, stack_centered_2d
from ..kernels import motion as _motion
from ..kernels.motion import (motion_kernel2d, motion_kernel_for_image, motion_kernel_size,
                              motion_radius)
from . import _dispatch
from ._params import is_uniform, per_sample, positive_number

_ANGLE_EPS = 1e-12


# ------------------------------------------------------------------------- shared executor
def _run_separable(fn: str, batch: Batch, kys: list[torch.Tensor], kxs: list[torch.Tensor],
                   border: str, method: str, backend: str) -> torch.Tensor:
    """Separable correlation with per-sample (or shared: lists of length 1) float64 kernels."""
    x = batch.data
    B, C, H, W = x.shape
    if method == "auto" and len(kys) > 1 and backend != "opencv":
        fast = _dispatch.fast_direct(x, border, backend)
        choice = [_dispatch.best_separable_method(H, W, ky.numel(), kx.numel(), fast_direct=fast)
                  for ky, kx in zip(kys, kxs)]
        return _grouped(x, choice, lambda sub, idx, m: _run_separable(
            fn, Batch(sub, False, 0, (), 4), [kys[i] for i in idx], [kxs[i] for i in idx],
            border, m, backend))
    Kh = max(k.numel() for k in kys)
    Kw = max(k.numel() for k in kxs)
    if method == "auto":
        method = "direct" if backend == "opencv" else _dispatch.best_separable_method(
            H, W, Kh, Kw, fast_direct=_dispatch.fast_direct(x, border, backend))
    elif method in ("separable",):
        method = "direct"
    if backend == "opencv" and method not in ("direct",):
        bad_value(fn, "method", "'auto', 'direct' or 'separable' with backend='opencv'", method)
    if method == "direct" and _dispatch.opencv_allowed(x, border, backend):
        return _cv.separable(x, [k.numpy()[:, None] for k in kys], [k.numpy()[:, None] for k in kxs], border)
    if backend == "opencv":
        bad_value(fn, "backend", "usable: OpenCV needs a CPU tensor without autograd and a "
                  "border other than 'circular'", backend)
    cdt = compute_dtype(x.dtype)
    xc = x.to(cdt)
    if method == "2d":
        k2 = [ky[:, None] * kx[None, :] for ky, kx in zip(_align(kys, B), _align(kxs, B))]
        k2t = stack_centered_2d(k2).to(cdt, ) if len(k2) > 1 else k2[0].to(cdt)
        y = _tb.correlate2d(xc, k2t.to(x.device), border, "direct")
    else:
        ky = _stack_centered(kys).to(device=x.device, dtype=cdt)
        kx = _stack_centered(kxs).to(device=x.device, dtype=cdt)
        y = _tb.separable(xc, ky, kx, border, method)
    return from_compute(y, x.dtype)


def _grouped(x: torch.Tensor, choice: list[str], run) -> torch.Tensor:
    """Run ``run(sub_batch, indices, method)`` once per distinct per-sample ``choice`` and
    reassemble, so every sample's algorithm (hence its exact rounding) depends on its own
    parameters only, never on the rest of the batch."""
    methods = sorted(set(choice))
    if len(methods) == 1:
        return run(x, list(range(len(choice))), methods[0])
    out = None
    for m in methods:
        idx = [i for i, c in enumerate(choice) if c == m]
        it = torch.tensor(idx, device=x.device)
        y = run(x.index_select(0, it), idx, m)
        if out is None:
            out = torch.empty(x.shape, dtype=y.dtype, device=y.device)
        out.index_copy_(0, it, y)
    return out


def _align(ks: list, B: int) -> list:
    return ks if len(ks) > 1 else ks * B


def _stack_centered(ks: list[torch.Tensor]) -> torch.Tensor:
    """One kernel -> ``(K,)``; several -> ``(B, Kmax)`` zero-padded symmetrically."""
    return ks[0] if len(ks) == 1 else stack_centered_1d(ks)


def _run_2d(fn: str, batch: Batch, ks: list[torch.Tensor], border: str, method: str,
            backend: str) -> torch.Tensor:
    """2-D correlation with per-sample (or one shared) float64 kernels."""
    x = batch.data
    B, C, H, W = x.shape
    if method in ("separable", "matrix"):
        bad_value(fn, "method", "'auto', 'direct', '2d' or 'fft' for a non-separable kernel", method)
    if method == "auto" and len(ks) > 1 and backend != "opencv":
        fast = _dispatch.fast_direct(x, border, backend)
        choice = [_dispatch.best_2d_method(H, W, *k.shape, fast_direct=fast) for k in ks]
        if _dispatch.opencv_allowed(x, border, backend):
            choice = ["direct"] * len(ks)      # cv2.filter2D picks its own DFT per kernel
        if len(set(choice)) > 1:
            return _grouped(x, choice, lambda sub, idx, m: _run_2d(
                fn, Batch(sub, False, 0, (), 4), [ks[i] for i in idx], border, m, backend))
    Kh = max(k.shape[0] for k in ks)
    Kw = max(k.shape[1] for k in ks)
    if method == "auto":
        method = _dispatch.best_2d_method(H, W, Kh, Kw, fast_direct=_dispatch.fast_direct(x, border, backend))
        if method == "fft" and _dispatch.opencv_allowed(x, border, backend):
            method = "direct"          # cv2.filter2D switches to its own DFT for large kernels
    if method in ("direct", "2d") and _dispatch.opencv_allowed(x, border, backend):
        return _cv.filter2d(x, [k.numpy() for k in ks], border)
    if backend == "opencv":
        bad_value(fn, "backend", "usable: OpenCV needs a CPU tensor without autograd, a border "
                  "other than 'circular' and method 'direct'", backend)
    cdt = compute_dtype(x.dtype)
    k = (stack_centered_2d(ks) if len(ks) > 1 else ks[0]).to(device=x.device, dtype=cdt)
    y = _tb.correlate2d(x.to(cdt), k, border, "fft" if method == "fft" else "direct")
    return from_compute(y, x.dtype)


# ------------------------------------------------------------------------- gaussian_blur
def gaussian_blur(x: ImageLike, sigma: Any, *, truncate: float = 4.0, border: str = "reflect",
                  angle: Any = None, method: str = "auto", backend: str = "auto") -> ImageLike:
    """Gaussian blur with exact, normalised weights.

    Args:
        x: ``(..., C, H, W)`` tensor (uint8, float16, bfloat16, float32, float64) or numpy
            ``(H, W[, C])`` image (uint8, float16, float32, float64).
        sigma: standard deviation in pixels, > 0: a number, a pair ``(sigma_y, sigma_x)``,
            or per sample a tensor ``(B,)`` or ``(B, 2)``.
        truncate: the kernel radius is ``ceil(truncate * sigma)`` (scipy's rule), per axis.
        border: ``reflect`` | ``symmetric`` | ``replicate`` | ``circular`` | ``constant``
            (see :mod:`pixelgrad.borders` for the scipy / OpenCV / torch names).
        angle: radians (number or ``(B,)``); rotates an anisotropic kernel: the ``sigma_x``
            axis points along ``(cos angle, sin angle)`` in (column, row) coordinates
            ("directional" / "differential" blur). ``None`` or 0: axis-aligned.
        method: ``auto`` (cheapest exact algorithm), ``direct`` / ``separable`` (1-D passes),
            ``2d`` (full 2-D kernel), ``matrix`` (banded matrix, cost independent of sigma),
            ``fft`` (padded FFT, exact for every border).
        backend: ``auto`` | ``torch`` | ``opencv`` | ``triton``.

    Returns:
        Same container, shape and dtype as ``x`` (integers rounded half-to-even, saturated).

    Math: ``y[i, j] = sum_{s,t} k[s, t] x[border(i + s), border(j + t)]`` with
    ``k[s, t] = exp(-(s^2 / (2 sy^2) + t^2 / (2 sx^2))) / Z`` over ``|s| <= ceil(truncate sy)``,
    ``|t| <= ceil(truncate sx)``, ``Z`` making the weights sum to 1. Rotated kernels use
    ``u = t cos a + s sin a``, ``v = -t sin a + s cos a`` in place of (t, s).

    Note (the seed thread's bug): its ``gaussian_kernel`` uses
    ``exp(-((t - mean) / (2 * std)) ** 2)`` = ``exp(-t^2 / (4 std^2))``, a Gaussian of standard
    deviation ``sqrt(2) * std``; the exponent must be ``-((t - mean) / (sqrt(2) * std)) ** 2``.

    Example:
        >>> import torch, pixelgrad as pg
        >>> y = pg.gaussian_blur(torch.rand(8, 3, 64, 64), sigma=torch.rand(8) * 3 + 0.1)
    """
    fn = "gaussian_blur"
    batch = to_batch(x, fn)
    border = check_choice(border, _borders.BORDERS, fn, "border")
    truncate = positive_number(truncate, fn, "truncate")
    method = check_choice(method, _dispatch.METHODS, fn, "method")
    backend = check_choice(backend, _dispatch.BACKENDS, fn, "backend")
    B = batch.batch_size
    fast = _scalar_pair(sigma)
    H, W = batch.data.shape[-2:]
    if fast is not None and (_fold.needs_fold(_g.gaussian_radius(fast[0], truncate), H, border)
                             or _fold.needs_fold(_g.gaussian_radius(fast[1], truncate), W, border)):
        fast = None                    # kernel wider than the image: folded on the general path
    if fast is not None and angle is None and batch.is_numpy and method in ("auto", "direct", "separable") \
            and _dispatch.opencv_allowed(batch.data, border, backend):
        # Fast path for one numpy image and a plain sigma: a single cv2.sepFilter2D call.
        ky, kx = (_g.kernel1d_for_filtering(v, truncate) for v in fast)
        if _dispatch.best_separable_method(*batch.data.shape[-2:], ky.numel(), kx.numel()) == "direct":
            return _numpy_separable(x, ky, kx, border)
    sig = per_sample(sigma, B, fn, "sigma", pair=True, low=0.0, low_open=True)
    ang = None if angle is None else per_sample(angle, B, fn, "angle")
    if ang is not None:
        # Rotation only matters for anisotropic kernels; multiples of pi/2 stay separable.
        quarter = torch.round(ang / (math.pi / 2))
        aligned = (ang - quarter * (math.pi / 2)).abs() < _ANGLE_EPS
        odd = aligned & (quarter.remainder(2) == 1)
        iso = sig[:, 0] == sig[:, 1]
        if bool((aligned | iso).all()):
            sig = torch.where(odd[:, None] & ~iso[:, None], sig.flip(1), sig)
            ang = None
    out = _dispatch.try_triton(fn, batch.data, backend, sigma=sig, angle=ang, truncate=truncate,
                          border=border, method=method)
    if out is not None:
        return batch.restore(out)
    uniform = is_uniform(sig) and (ang is None or is_uniform(ang))
    rows = [0] if uniform else range(B)
    if ang is not None:
        ks = [_fold.folded_kernel2d(_g.kernel2d_for_filtering(float(sig[b, 0]), float(sig[b, 1]),
                                                         float(ang[b]), truncate), H, W, border)
              for b in rows]
        return batch.restore(_run_2d(fn, batch, ks, border, method, backend))
    kys = [_fold.gaussian1d_for_axis(float(sig[b, 0]), truncate, H, border) for b in rows]
    kxs = [_fold.gaussian1d_for_axis(float(sig[b, 1]), truncate, W, border) for b in rows]
    return batch.restore(_run_separable(fn, batch, kys, kxs, border, method, backend))


def _scalar_pair(value: Any) -> tuple[float, float] | None:
    """``(sy, sx)`` for a valid plain number or pair of numbers > 0; else None (slow path
    parses and reports errors)."""
    if isinstance(value, Real) and not isinstance(value, bool):
        v = float(value)
        return (v, v) if math.isfinite(v) and v > 0 else None
    if isinstance(value, tuple) and len(value) == 2 and all(
            isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in value):
        return float(value[0]), float(value[1])
    return None


def _numpy_separable(img: np.ndarray, ky: torch.Tensor, kx: torch.Tensor, border: str) -> np.ndarray:
    """Fast path for one numpy image: ``cv2.sepFilter2D`` on the (H, W, C) array (in row strips
    on the thread pool for large images)."""
    import cv2

    src = img if img.dtype != np.float16 else img.astype(np.float32)
    if src.ndim == 3 and src.shape[2] > 4:
        out = np.stack([cv2.sepFilter2D(np.ascontiguousarray(src[..., c]), -1, kx.numpy(), ky.numpy(),
                                        borderType=_borders.cv2_border(border))
                        for c in range(src.shape[2])], axis=-1)
    else:
        out = _cv.sep_filter_image(src, ky.numpy(), kx.numpy(), border)
        if out.ndim == 2 and img.ndim == 3:
            out = out[..., None]
    return out.astype(img.dtype, copy=False)


# ------------------------------------------------------------------------- box_blur
def box_blur(x: ImageLike, size: Any, *, border: str = "reflect", method: str = "auto",
             backend: str = "auto") -> ImageLike:
    """Box (moving-average) blur: the mean over a ``size_y x size_x`` window.

    ``size``: odd integer >= 1, a pair ``(size_y, size_x)``, or per sample ``(B,)`` / ``(B, 2)``.
    ``y[i, j] = 1 / (sy sx) * sum_{|s| <= sy//2, |t| <= sx//2} x[border(i + s), border(j + t)]``.
    Same containers, dtypes, borders and methods as :func:`gaussian_blur`.
    """
    fn = "box_blur"
    batch = to_batch(x, fn)
    border = check_choice(border, _borders.BORDERS, fn, "border")
    method = check_choice(method, _dispatch.METHODS, fn, "method")
    backend = check_choice(backend, _dispatch.BACKENDS, fn, "backend")
    B = batch.batch_size
    size_t = per_sample(size, B, fn, "size", pair=True, low=1.0)
    if not bool(((size_t.remainder(2) == 1)).all()):
        bad_value(fn, "size", "odd integers >= 1", size)
    out = _dispatch.try_triton(fn, batch.data, backend, size=size_t, border=border, method=method)
    if out is not None:
        return batch.restore(out)
    rows = [0] if is_uniform(size_t) else range(B)
    H, W = batch.data.shape[-2:]
    kys = [_fold.box1d_for_axis(int(size_t[b, 0]), H, border) for b in rows]
    kxs = [_fold.box1d_for_axis(int(size_t[b, 1]), W, border) for b in rows]
    return batch.restore(_run_separable(fn, batch, kys, kxs, border, method, backend))


# ------------------------------------------------------------------------- motion_blur
def motion_blur(x: ImageLike, length: Any, angle: Any, *, direction: Any = 0.0,
                border: str = "reflect", method: str = "auto", backend: str = "auto") -> ImageLike:
    """Motion blur: the average along a segment of ``length`` pixels at ``angle`` radians.

    Args:
        length: >= 1, number or per sample ``(B,)`` (fractional lengths are exact: the end
            pixels get partial weight).
        angle: radians, number or ``(B,)``; 0 is horizontal, positive turns clockwise on
            screen (rows grow downwards).
        direction: in [-1, 1], number or ``(B,)``: 0 weighs the segment uniformly, 1 / -1
            ramp the weights linearly towards the forward / backward end.

    The kernel (see :mod:`pixelgrad.kernels.motion`) is the 1-D box rotated by bilinear
    interpolation: anti-aliased at any angle, exactly ``1/L`` per pixel for angle 0 and odd
    integer L, always summing to 1. All samples are filtered in one call.
    """
    fn = "motion_blur"
    batch = to_batch(x, fn)
    border = check_choice(border, _borders.BORDERS, fn, "border")
    method = check_choice(method, _dispatch.METHODS, fn, "method")
    backend = check_choice(backend, _dispatch.BACKENDS, fn, "backend")
    B = batch.batch_size
    L = per_sample(length, B, fn, "length", low=1.0)
    a = per_sample(angle, B, fn, "angle")
    d = per_sample(direction, B, fn, "direction", low=-1.0, high=1.0)
    out = _dispatch.try_triton(fn, batch.data, backend, length=L, angle=a, direction=d, border=border,
                          method=method)
    if out is not None:
        return batch.restore(out)
    H, W = batch.data.shape[-2:]
    if is_uniform(L) and is_uniform(a) and is_uniform(d):
        ks = [motion_kernel_for_image(float(L[0]), float(a[0]), float(d[0]), H, W, border)]
    elif B * motion_kernel_size(float(L.max())) ** 2 > _motion.DENSE_LIMIT:
        # long lines: each kernel built sparsely and folded (bounded memory)
        ks = [motion_kernel_for_image(float(L[b]), float(a[b]), float(d[b]), H, W, border)
              for b in range(B)]
    else:
        kb = motion_kernel2d(L, a, d)
        R = kb.shape[-1] // 2
        # each sample keeps its own kernel size, so its result does not depend on the batch
        ks = [kb[b, R - r:R + r + 1, R - r:R + r + 1] for b, r in
              ((b, motion_radius(float(L[b]))) for b in range(B))]
        ks = [_fold.folded_kernel2d(k, H, W, border) for k in ks]
    if method == "separable":
        method = "direct"
    return batch.restore(_run_2d(fn, batch, ks, border, method, backend))
