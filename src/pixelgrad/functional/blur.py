"""The blur family: Gaussian (isotropic, anisotropic, rotated), box and motion blur, and
:func:`filter2d`, the correlation with any 2-D kernel (one per sample allowed).

All functions take ``(..., C, H, W)`` tensors or numpy ``(H, W[, C])`` images, return the
same container, shape and dtype, and never modify their input. Parameters may be numbers
(one value for the batch) or per-sample tensors ``(B,)`` / ``(B, 2)`` where ``B`` is the
product of the leading dims; every sample is processed in the same call.
"""
from __future__ import annotations

import math
from functools import lru_cache
from numbers import Real
from typing import Any, Optional

import numpy as np
import torch

from .. import borders
from .._dtypes import compute_dtype, from_compute
from .._errors import bad_value, check_choice
from .._interop import Batch, ImageLike, to_batch
from ..types import Angle, IntPair, Kernel, KernelSize, Length, PairValue, Sigma, Value
from ..kernels import fold, gaussian
from ..kernels.stack import KernelStack, stack_kernels
from ..kernels import motion
from ..kernels.motion import (motion_kernel2d, motion_kernel_for_image, motion_kernel_size,
                              motion_radius)
from . import _cost, _run
from ._run import Request
from ._scope import BACKENDS
from ._params import is_uniform, per_sample, positive_number, shared_value, tracks_grad

_ANGLE_EPS = 1e-12


# ------------------------------------------------------------------------- shared executor
def _run_separable(fn: str, batch: Batch, kys: list[torch.Tensor], kxs: list[torch.Tensor],
                   border: str, method: str, backend: str) -> torch.Tensor:
    """Separable correlation with per-sample (or shared: lists of length 1) float64 kernels."""
    x = batch.data
    B, C, H, W = x.shape
    if method == "auto" and len(kys) > 1 and backend != "opencv":
        fast = _cost.fast_direct(x, border, backend)
        choice = [_cost.best_separable_method(H, W, ky.numel(), kx.numel(), fast_direct=fast)
                  for ky, kx in zip(kys, kxs)]
        return _grouped(x, choice, lambda sub, idx, m: _run_separable(
            fn, Batch(sub, False, 0, (), 4), [kys[i] for i in idx], [kxs[i] for i in idx],
            border, m, backend))
    return _run_separable_stacks(fn, x, stack_kernels(kys), stack_kernels(kxs), border, method, backend)


def _run_separable_stacks(fn: str, x: torch.Tensor, ky: KernelStack, kx: KernelStack, border: str,
                          method: str, backend: str) -> torch.Tensor:
    """Separable correlation of the ``(B, C, H, W)`` tensor ``x`` with kernels stacked
    (one shared or one per sample), by the method of the cost model when ``auto``."""
    B, C, H, W = x.shape
    Kh, Kw = ky.max_shape[0], kx.max_shape[0]
    if method == "auto":
        method = "direct" if backend == "opencv" else _cost.best_separable_method(
            H, W, Kh, Kw, fast_direct=_cost.fast_direct(x, border, backend))
    if backend == "opencv" and method not in ("direct",):
        bad_value(fn, "method", "'auto' or 'direct' with backend='opencv'", method)
    if method == "2d":
        # the full 2-D kernel, as asked: torch's direct 2-D correlation
        kys, kxs = ky.rows(), kx.rows()
        k2 = [a[:, None] * b[None, :] for a, b in zip(_align(kys, len(kxs)), _align(kxs, len(kys)))]
        return _run.run(Request(fn, "2d", x, {"k": stack_kernels(k2), "border": border, "method": "direct"},
                                "torch" if backend == "auto" else backend))
    return _run.run(Request(fn, "separable", x, {"ky": ky, "kx": kx, "border": border, "method": method},
                            backend))


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


def _run_2d(fn: str, batch: Batch, ks: list[torch.Tensor], border: str, method: str,
            backend: str) -> torch.Tensor:
    """2-D correlation with per-sample (or one shared) float64 kernels."""
    x = batch.data
    B, C, H, W = x.shape
    if method == "matrix":
        bad_value(fn, "method", "'auto', 'direct', '2d' or 'fft' for a non-separable kernel", method)
    if method == "auto" and len(ks) > 1 and backend != "opencv":
        fast = _cost.fast_direct(x, border, backend)
        choice = [_cost.best_2d_method(H, W, *k.shape, fast_direct=fast) for k in ks]
        if _opencv_direct(x, border, backend):
            choice = ["direct"] * len(ks)      # cv2.filter2D picks its own DFT per kernel
        if len(set(choice)) > 1:
            return _grouped(x, choice, lambda sub, idx, m: _run_2d(
                fn, Batch(sub, False, 0, (), 4), [ks[i] for i in idx], border, m, backend))
    Kh = max(k.shape[0] for k in ks)
    Kw = max(k.shape[1] for k in ks)
    if method == "auto":
        method = _cost.best_2d_method(H, W, Kh, Kw, fast_direct=_cost.fast_direct(x, border, backend))
        if method == "fft" and _opencv_direct(x, border, backend):
            method = "direct"          # cv2.filter2D switches to its own DFT for large kernels
    return _run.run(Request(fn, "2d", x, {"k": stack_kernels(ks), "border": border,
                                          "method": "fft" if method == "fft" else "direct"}, backend))


def _opencv_direct(x: torch.Tensor, border: str, backend: str) -> bool:
    """Whether :func:`pixelgrad.functional._run.run` would run a direct 2-D pass on OpenCV
    (the backend's own check)."""
    return _run.covers("opencv", "2d", x, backend, border=border, method="direct")


# ------------------------------------------------------------------------- gaussian_blur
def gaussian_blur(x: ImageLike, sigma: Sigma, *, truncate: float = 4.0,
                  kernel_size: Optional[KernelSize] = None, radius: Optional[IntPair] = None,
                  border: str = "reflect", angle: Optional[Angle] = None,
                  method: str = "auto", backend: str = "auto", exact: bool = True) -> ImageLike:
    r"""Gaussian blur with exact, normalised weights.

    Parameters
    ----------
    x : tensor, numpy array or PIL image
        ``(..., C, H, W)`` tensor (uint8, uint16, float16, bfloat16, float32, float64; a
        torchvision ``tv_tensors.Image`` / ``Video`` stays one), numpy ``(H, W[, C])`` image
        (uint8, uint16, float16, float32, float64) or PIL image (returned as PIL). An empty
        batch or a zero-size image gives an empty result.
    sigma : number, pair or tensor
        Standard deviation in pixels, > 0: a number, a pair ``(sigma_y, sigma_x)``, or per
        sample a tensor ``(B,)`` or ``(B, 2)``. A tensor that requires grad makes the output
        differentiable with respect to it (torch path).
    truncate : float
        The kernel radius is ``ceil(truncate * sigma)``, per axis, unless ``kernel_size`` or
        ``radius`` is given (scipy.ndimage rounds to the nearest instead,
        ``int(truncate * sigma + 0.5)``: pass that as ``radius=`` for scipy's exact kernel).
    kernel_size : int or (int, int), optional
        Odd kernel side(s) ``(kh, kw)`` in (y, x) order (torchvision writes ``[kw, kh]``;
        kornia ``(kh, kw)``): the radius is ``(k - 1) / 2``. Gives exactly the kernels of
        torchvision's ``gaussian_blur(kernel_size, sigma)`` and kornia's ``gaussian_blur2d``.
    radius : int or (int, int), optional
        Kernel radius ``(ry, rx)`` >= 0 (scipy's ``radius=``); same as
        ``kernel_size = 2 * radius + 1``. Give at most one of ``kernel_size`` / ``radius``.
    border : str
        ``reflect`` | ``symmetric`` | ``replicate`` | ``circular`` | ``constant`` (see
        :mod:`pixelgrad.borders` for the scipy / OpenCV / torch names).
    angle : number or tensor, optional
        Radians (number or ``(B,)``); rotates an anisotropic kernel: the ``sigma_x`` axis
        points along ``(cos angle, sin angle)`` in (column, row) coordinates. ``None`` or 0:
        axis-aligned. Differentiable like ``sigma``.
    method : str
        ``auto`` (cheapest exact algorithm), ``direct`` (the kernel's taps: two 1-D passes
        when the kernel is separable; ``separable`` is a deprecated alias), ``2d``
        (full 2-D kernel), ``matrix`` (banded matrix, cost independent of sigma), ``fft``
        (padded FFT, exact for every border).
    backend : str
        ``auto`` | ``torch`` | ``opencv`` | ``triton``. Parameters that require grad always
        run on torch (OpenCV and Triton cannot differentiate them).
    exact : bool, default True
        ``True``: float32 (float64) weights and sums, one rounding per output value.
        ``False`` allows OpenCV's fixed-point path (``cv2.GaussianBlur``) for uint8 images
        on the CPU with axis-aligned kernels that fit in the image: OpenCV's own 16-bit
        fixed-point weights for the same sigma and kernel size, integer sums. A pixel may
        then differ from the exact result by a few levels (of 255): at most 4 on white noise
        in our tests (sigma up to 4), 0 or 1 for most pixels; the bound grows with the
        kernel size. Whether it is faster depends on the CPU (OpenCV's integer SIMD code): time
        it with ``benchmarks/per_image.py``. Other cases run the exact path.

    Returns
    -------
    tensor, numpy array or PIL image
        Same container, shape and dtype as ``x`` (integers rounded half-to-even, saturated).
        Float inputs are computed in float32 (float64 stays float64).

    Raises
    ------
    ValueError
        For a bad sigma, kernel size, radius, border, method or backend (the message names
        the argument).
    TypeError
        If ``x`` is not an image container (see :func:`pixelgrad._interop.to_batch`).

    Notes
    -----
    The output is the correlation with a sampled, normalised Gaussian:

    .. math:: y[i, j] = \sum_{|s| \le r_y} \sum_{|t| \le r_x} k[s, t]\, x[\beta(i + s), \beta(j + t)]

    .. math:: k[s, t] = \frac{1}{Z} \exp\left(-\frac{s^2}{2 \sigma_y^2} - \frac{t^2}{2 \sigma_x^2}\right)

    with :math:`r = \lceil \text{truncate}\,\sigma \rceil` (or as given), :math:`Z` making
    the weights sum to 1 and :math:`\beta` the index map of ``border``. Rotated kernels use
    :math:`u = t \cos a + s \sin a`, :math:`v = -t \sin a + s \cos a` in place of
    :math:`(t, s)`. When the kernel is wider than the image the taps are folded onto one period
    of the border extension (:mod:`pixelgrad.kernels.fold`), which gives the same result as
    the unbounded kernel. The seed thread's ``gaussian_kernel`` used
    :math:`\exp(-t^2 / (4 \sigma^2))`, a Gaussian of standard deviation :math:`\sqrt{2}\sigma`.

    References
    ----------
    .. [1] P. Getreuer, "A Survey of Gaussian Convolution Algorithms," *Image Processing On
       Line*, vol. 3, pp. 286-310, 2013. https://doi.org/10.5201/ipol.2013.87

    Examples
    --------
    A unit impulse spreads into the normalised kernel (``constant`` border: nothing leaks):

    >>> import torch, pixelgrad as pg
    >>> x = torch.zeros(1, 1, 9, 9)
    >>> x[0, 0, 4, 4] = 1.0
    >>> y = pg.gaussian_blur(x, 1.0, border="constant")
    >>> round(float(y.sum()), 6), round(float(y[0, 0, 4, 4]), 4)
    (1.0, 0.1592)

    Per-sample sigmas and an explicit kernel size ``(kh, kw)``:

    >>> pg.gaussian_blur(torch.rand(4, 3, 16, 16), sigma=torch.tensor([0.5, 1.0, 2.0, 3.0])).shape
    torch.Size([4, 3, 16, 16])
    >>> pg.gaussian_blur(torch.rand(3, 16, 16), 1.5, kernel_size=(5, 9)).shape
    torch.Size([3, 16, 16])
    """
    fn = "gaussian_blur"
    batch = to_batch(x, fn, allow_empty=True)
    border = check_choice(border, borders.BORDERS, fn, "border")
    truncate = positive_number(truncate, fn, "truncate")
    method = _cost.check_method(fn, method)
    backend = check_choice(backend, BACKENDS, fn, "backend")
    rad = kernel_radius(kernel_size, radius, fn)
    B = batch.batch_size
    H, W = batch.data.shape[-2:]
    if not isinstance(exact, (bool, np.bool_)):
        bad_value(fn, "exact", "True or False", exact)
    shared = shared_value(sigma, pair=True, low=0.0, low_open=True) if angle is None else None
    if shared is not None and (batch.empty or (rad is None and not math.isfinite(truncate * max(shared)))):
        shared = None               # the general path gives the empty result or the error
    if not exact and shared is not None:
        out = _fixed_point(fn, batch.data, [shared], truncate, rad, border, backend)
        if out is not None:
            return batch.restore(out)
    if shared is not None and not _run.wants_stack(batch.data, backend):
        # one sigma for the batch (one image per call, a number): cached kernel stacks
        ky = _gauss_axis_stack(shared[0], truncate, None if rad is None else rad[0], H, border)
        kx = _gauss_axis_stack(shared[1], truncate, None if rad is None else rad[1], W, border)
        return batch.restore(_run_separable_stacks(fn, batch.data, ky, kx, border, method, backend))
    sig = per_sample(sigma, B, fn, "sigma", pair=True, low=0.0, low_open=True)
    if rad is None and sig.numel() and not math.isfinite(truncate * float(sig.detach().max())):
        bad_value(fn, "sigma", f"small enough for a finite radius truncate * sigma (truncate={truncate:g})",
                  sigma)
    ang = None if angle is None else per_sample(angle, B, fn, "angle")
    if batch.empty:
        return batch.restore(batch.data.clone())
    grad = tracks_grad(sig, ang)
    if ang is not None and not tracks_grad(ang):
        # Rotation only matters for anisotropic kernels; multiples of pi/2 stay separable.
        quarter = torch.round(ang / (math.pi / 2))
        aligned = (ang - quarter * (math.pi / 2)).abs() < _ANGLE_EPS
        odd = aligned & (quarter.remainder(2) == 1)
        iso = sig[:, 0] == sig[:, 1]
        if bool((aligned | iso).all()):
            sig = torch.where(odd[:, None] & ~iso[:, None], sig.flip(1), sig)
            ang = None
    if grad:
        return batch.restore(_gaussian_autograd(batch.data, sig, ang, truncate, rad, border, method))
    if not exact and ang is None:
        out = _fixed_point(fn, batch.data, [tuple(s) for s in sig.tolist()], truncate, rad, border, backend)
        if out is not None:
            return batch.restore(out)
    uniform = is_uniform(sig) and (ang is None or is_uniform(ang))
    rows = [0] if uniform else range(B)
    if ang is not None:
        ks = [fold.folded_kernel2d(_rotated_kernel(float(sig[b, 0]), float(sig[b, 1]), float(ang[b]),
                                                    truncate, rad), H, W, border)
              for b in rows]
        if _run.wants_stack(batch.data, backend):
            out = _run.offer(Request(fn, "2d", batch.data, {"k": stack_kernels(ks), "border": border,
                                                            "method": method}, backend), "triton")
            if out is not None:
                return batch.restore(out)
        return batch.restore(_run_2d(fn, batch, ks, border, method, backend))
    if _run.wants_stack(batch.data, backend):
        sy, sx = (_gauss_stack(sig[:, i], truncate, None if rad is None else rad[i], n, border, uniform)
                  for i, n in ((0, H), (1, W)))
        out = _run.offer(Request(fn, "separable", batch.data, {"ky": sy, "kx": sx, "border": border,
                                                               "method": method}, backend), "triton")
        if out is not None:
            return batch.restore(out)
    kys = [_gauss_axis(float(sig[b, 0]), truncate, None if rad is None else rad[0], H, border) for b in rows]
    kxs = [_gauss_axis(float(sig[b, 1]), truncate, None if rad is None else rad[1], W, border) for b in rows]
    return batch.restore(_run_separable(fn, batch, kys, kxs, border, method, backend))


def _gauss_stack(sig: torch.Tensor, truncate: float, radius: int | None, n: int, border: str,
                 uniform: bool) -> KernelStack:
    """The 1-D Gaussians of one axis for every sample (``sig`` ``(B,)``) as one stack: built
    in one vectorised call for per-sample sigmas (no Python loop over the batch) unless a
    kernel must be folded or has a given radius."""
    if uniform:
        return stack_kernels([_gauss_axis(float(sig[0]), truncate, radius, n, border)])
    if radius is None and not fold.needs_fold(gaussian.gaussian_radius(float(sig.max()), truncate), n, border):
        return gaussian.kernel_stack1d(sig, truncate)
    return stack_kernels([_gauss_axis(float(s), truncate, radius, n, border) for s in sig.tolist()])


def _fixed_point(fn: str, x: torch.Tensor, sigmas: list[tuple[float, ...]], truncate: float,
                 rad: tuple[int, int] | None, border: str, backend: str) -> torch.Tensor | None:
    """OpenCV's fixed-point uint8 Gaussian (``exact=False``) when it covers the case, else
    None (the caller runs the exact path). ``sigmas``: ``(sigma_y, sigma_x)`` per sample,
    one shared or one each; the kernel sizes follow ``truncate`` / ``rad`` as the exact path."""
    if x.dtype != torch.uint8 or x.device.type != "cpu" or _run.capturing():
        return None
    H, W = x.shape[-2:]
    sizes = [(2 * (rad[0] if rad is not None else gaussian.gaussian_radius(sy, truncate)) + 1,
              2 * (rad[1] if rad is not None else gaussian.gaussian_radius(sx, truncate)) + 1)
             for sy, sx in sigmas]
    if any(kh > H or kw > W for kh, kw in sizes):
        return None                     # folded kernels: the exact path
    return _run.offer(Request(fn, "gaussian_fixed", x, {"sigma": sigmas, "ksize": sizes, "border": border},
                              backend), "opencv")


@lru_cache(maxsize=16)
def _gauss_axis_stack(sigma: float, truncate: float, radius: int | None, n: int,
                      border: str) -> KernelStack:
    """:func:`_gauss_axis` as a one-row stack, cached (the stack also caches the host
    copies the CPU backends read, so a repeated sigma costs no kernel work at all)."""
    return stack_kernels([_gauss_axis(sigma, truncate, radius, n, border)])


@lru_cache(maxsize=256)
def _box_axis_stack(size: int, n: int, border: str) -> KernelStack:
    """The box of ``size`` taps for an axis of length ``n`` as a one-row stack, cached."""
    return stack_kernels([fold.box1d_for_axis(size, n, border)])


def kernel_radius(kernel_size: Any, radius: Any, fn: str) -> tuple[int, int] | None:
    r"""Kernel radii ``(ry, rx)`` from a ``kernel_size`` or a ``radius`` argument.

    Parameters
    ----------
    kernel_size : int, (int, int) or None
        Odd kernel side(s) ``>= 1``, one int for both axes or ``(kh, kw)``.
    radius : int, (int, int) or None
        Radius ``>= 0``, one int or ``(ry, rx)``. At most one of the two may be given.
    fn : str
        Name of the calling function, used in error messages.

    Returns
    -------
    (int, int) or None
        ``(ry, rx)``, with :math:`r = (k - 1) / 2` for a kernel size; None when both
        arguments are None (the caller derives the radius from ``truncate``).

    Raises
    ------
    ValueError
        If both are given, a kernel size is even or < 1, a radius is negative, or a value is
        not an int (bools are refused).

    Examples
    --------
    >>> kernel_radius((5, 9), None, "gaussian_blur")
    (2, 4)
    >>> kernel_radius(None, 3, "gaussian_blur")
    (3, 3)
    >>> kernel_radius(None, None, "gaussian_blur") is None
    True
    """
    if kernel_size is not None and radius is not None:
        bad_value(fn, "kernel_size, radius", "at most one of the two", (kernel_size, radius))
    if kernel_size is None and radius is None:
        return None
    arg, value = ("kernel_size", kernel_size) if kernel_size is not None else ("radius", radius)
    vals = list(value) if isinstance(value, (tuple, list)) else [value, value]
    ok = len(vals) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals)
    if arg == "kernel_size":
        if not ok or not all(v >= 1 and v % 2 == 1 for v in vals):
            bad_value(fn, "kernel_size", "an odd int >= 1 or a pair (kh, kw) of them", kernel_size)
        return int(vals[0]) // 2, int(vals[1]) // 2
    if not ok or not all(v >= 0 for v in vals):
        bad_value(fn, "radius", "an int >= 0 or a pair (ry, rx) of them", radius)
    return int(vals[0]), int(vals[1])


def _gauss_axis(sigma: float, truncate: float, radius: int | None, n: int, border: str) -> torch.Tensor:
    """The float64 1-D Gaussian for an axis of length ``n`` (radius from truncate or given),
    folded onto the border period when much wider than the axis."""
    if radius is None:
        return fold.gaussian1d_for_axis(sigma, truncate, n, border)
    if fold.needs_fold(radius, n, border):
        # folded without building the 2 radius + 1 taps (radius may be 10^12)
        return fold.folded_gaussian1d(sigma, truncate, n, border, radius=radius)
    return gaussian._kernel1d_private(float(sigma), float(truncate), int(radius), torch.float64, "cpu")


def _rotated_kernel(sy: float, sx: float, a: float, truncate: float,
                    rad: tuple[int, int] | None) -> torch.Tensor:
    if rad is None:
        return gaussian.kernel2d_for_filtering(sy, sx, a, truncate)
    _check_kernel_weights((2 * rad[0] + 1) * (2 * rad[1] + 1), "kernel_size / radius")
    return gaussian._kernel2d_private(sy, sx, a, truncate, rad[0], rad[1], torch.float64, "cpu")


def _check_kernel_weights(n: int, arg: str) -> None:
    """Refuse a kernel that would be built with more than ``MAX_KERNEL2D`` weights."""
    if n > gaussian.MAX_KERNEL2D:
        bad_value("gaussian_blur", arg, f"small enough for a kernel of at most {gaussian.MAX_KERNEL2D:,} "
                  f"weights (rotated or differentiable kernels are built whole)", f"{n:,} weights")


def _gauss_rows(s: torch.Tensor, radii: list[int]) -> torch.Tensor:
    """Differentiable ``(B, 2R + 1)`` float64 Gaussians for sigmas ``s`` ``(B,)``; row ``b``
    is zero outside its own radius ``radii[b]`` and sums to 1."""
    R = max(radii)
    t = torch.arange(-R, R + 1, dtype=torch.float64)
    inside = t.abs()[None, :] <= torch.tensor(radii, dtype=torch.float64)[:, None]
    k = torch.exp(-0.5 * (t[None, :] / s[:, None]) ** 2) * inside
    return k / k.sum(dim=1, keepdim=True)


def _rotated_rows(sy: torch.Tensor, sx: torch.Tensor, a: torch.Tensor, ry: list[int],
                  rx: list[int]) -> torch.Tensor:
    """Differentiable ``(B, 2Ry + 1, 2Rx + 1)`` rotated Gaussians (zero outside each sample's
    own ``(ry, rx)`` box), each summing to 1."""
    Ry, Rx = max(ry), max(rx)
    yy = torch.arange(-Ry, Ry + 1, dtype=torch.float64)[None, :, None]
    xx = torch.arange(-Rx, Rx + 1, dtype=torch.float64)[None, None, :]
    inside = ((yy.abs() <= torch.tensor(ry, dtype=torch.float64)[:, None, None])
              & (xx.abs() <= torch.tensor(rx, dtype=torch.float64)[:, None, None]))
    c, s = torch.cos(a)[:, None, None], torch.sin(a)[:, None, None]
    u = xx * c + yy * s
    v = -xx * s + yy * c
    k = torch.exp(-0.5 * ((u / sx[:, None, None]) ** 2 + (v / sy[:, None, None]) ** 2)) * inside
    return k / k.sum(dim=(1, 2), keepdim=True)


def _fold_graph(k: torch.Tensor, n: int, border: str, dim: int) -> torch.Tensor:
    """Fold the centred taps of ``k`` along ``dim`` onto the border period of an axis of
    length ``n`` (as :mod:`pixelgrad.kernels.fold`, out of place, so the graph is kept) when
    the kernel is much wider than the axis; otherwise ``k`` itself."""
    R = k.shape[dim] // 2
    if not fold.needs_fold(R, n, border):
        return k
    Rf = fold.fold_radius(n, border)
    q = fold.canonical_offset(torch.arange(-R, R + 1), n, border)
    keep = (q.abs() <= Rf).nonzero().flatten()
    shape = list(k.shape)
    shape[dim] = 2 * Rf + 1
    return k.new_zeros(shape).index_add(dim, q[keep] + Rf, k.index_select(dim, keep))


def _grad_method(method: str, H: int, W: int, Kh: int, Kw: int, separable: bool, device) -> str:
    """The algorithm of the differentiable path: ``fft`` when asked for or cheapest by the cost
    model, else ``direct`` (the banded matrix is built in place, without a graph)."""
    if method != "auto":
        return "fft" if method == "fft" else "direct"
    fast = device.type != "cpu"
    m = (_cost.best_separable_method(H, W, Kh, Kw, fast_direct=fast) if separable
         else _cost.best_2d_method(H, W, Kh, Kw, fast_direct=fast))
    return "fft" if m == "fft" else "direct"


def _gaussian_autograd(x: torch.Tensor, sig: torch.Tensor, ang: torch.Tensor | None,
                       truncate: float, rad: tuple[int, int] | None, border: str,
                       method: str) -> torch.Tensor:
    """Torch path differentiable with respect to ``sig`` ``(B, 2)`` and ``ang`` ``(B,)``:
    kernels are built from the parameters by torch ops; the radii (integers) come from the
    detached values (or ``rad``), so the weights are those of the ordinary path."""
    B, C, H, W = x.shape
    cdt = compute_dtype(x.dtype)
    sd = sig.detach()
    if ang is None:
        ang_d = None
        ry = [rad[0] if rad else gaussian.gaussian_radius(float(sd[b, 0]), truncate) for b in range(B)]
        rx = [rad[1] if rad else gaussian.gaussian_radius(float(sd[b, 1]), truncate) for b in range(B)]
        _check_kernel_weights(B * (2 * max(ry + rx) + 1), "sigma")
        ky = _fold_graph(_gauss_rows(sig[:, 0], ry), H, border, 1).to(x.device, cdt)
        kx = _fold_graph(_gauss_rows(sig[:, 1], rx), W, border, 1).to(x.device, cdt)
        m = _grad_method(method, H, W, ky.shape[1], kx.shape[1], True, x.device)
        return _run.run(Request("gaussian_blur", "graph_separable", x,
                                {"ky": ky, "kx": kx, "border": border, "method": m}, "torch"))
    ang_d = ang.detach()
    radii = [rad if rad else gaussian.rotated_radius(float(sd[b, 0]), float(sd[b, 1]), float(ang_d[b]), truncate)
             for b in range(B)]
    _check_kernel_weights(B * (2 * max(r[0] for r in radii) + 1) * (2 * max(r[1] for r in radii) + 1),
                          "sigma")
    k = _rotated_rows(sig[:, 0], sig[:, 1], ang, [r[0] for r in radii], [r[1] for r in radii])
    k = _fold_graph(_fold_graph(k, H, border, 1), W, border, 2)
    m = _grad_method(method, H, W, k.shape[1], k.shape[2], False, x.device)
    return _run.run(Request("gaussian_blur", "graph_2d", x, {"k": k, "border": border, "method": m}, "torch"))


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


# ------------------------------------------------------------------------- box_blur
def box_blur(x: ImageLike, size: PairValue, *, border: str = "reflect", method: str = "auto",
             backend: str = "auto") -> ImageLike:
    r"""Box (moving-average) blur: the mean over a ``size_y x size_x`` window.

    Parameters
    ----------
    x : tensor, numpy array or PIL image
        As :func:`gaussian_blur`: ``(..., C, H, W)`` tensor, numpy ``(H, W[, C])`` or PIL.
    size : int, pair or tensor
        Odd window side(s) ``>= 1``: an int, a pair ``(size_y, size_x)``, or per sample a
        tensor ``(B,)`` or ``(B, 2)``.
    border, method, backend : str
        As :func:`gaussian_blur`.

    Returns
    -------
    tensor, numpy array or PIL image
        Same container, shape and dtype as ``x``.

    Raises
    ------
    ValueError
        If a size is not an odd integer >= 1, or for a bad border, method or backend.

    Notes
    -----
    With :math:`r_y = \lfloor s_y / 2 \rfloor`, :math:`r_x = \lfloor s_x / 2 \rfloor`:

    .. math:: y[i, j] = \frac{1}{s_y s_x} \sum_{|s| \le r_y} \sum_{|t| \le r_x} x[\beta(i + s), \beta(j + t)]

    :math:`\beta` being the index map of ``border``. The filter is separable (two 1-D box
    passes).

    Examples
    --------
    A horizontal 3-tap mean of a ramp (``reflect`` border at both ends):

    >>> import torch, pixelgrad as pg
    >>> x = torch.arange(5.0).expand(1, 1, 3, 5)
    >>> pg.box_blur(x, (1, 3))[0, 0, 0]
    tensor([0.6667, 1.0000, 2.0000, 3.0000, 3.3333])
    """
    fn = "box_blur"
    batch = to_batch(x, fn, allow_empty=True)
    border = check_choice(border, borders.BORDERS, fn, "border")
    method = _cost.check_method(fn, method)
    backend = check_choice(backend, BACKENDS, fn, "backend")
    B = batch.batch_size
    H, W = batch.data.shape[-2:]
    shared = shared_value(size, pair=True, low=1.0)
    if shared is not None and all(v.is_integer() and v % 2 == 1 for v in shared) and not batch.empty \
            and not _run.wants_stack(batch.data, backend):
        # one size for the batch (one image per call, a number): cached kernel stacks
        ky, kx = _box_axis_stack(int(shared[0]), H, border), _box_axis_stack(int(shared[1]), W, border)
        return batch.restore(_run_separable_stacks(fn, batch.data, ky, kx, border, method, backend))
    size_t = per_sample(size, B, fn, "size", pair=True, low=1.0)
    if not bool(((size_t.remainder(2) == 1)).all()):
        bad_value(fn, "size", "odd integers >= 1", size)
    if batch.empty:
        return batch.restore(batch.data.clone())
    rows = [0] if is_uniform(size_t) else range(B)
    kys = [fold.box1d_for_axis(int(size_t[b, 0]), H, border) for b in rows]
    kxs = [fold.box1d_for_axis(int(size_t[b, 1]), W, border) for b in rows]
    if _run.wants_stack(batch.data, backend):
        out = _run.offer(Request(fn, "separable", batch.data, {"ky": stack_kernels(kys), "kx": stack_kernels(kxs),
                                                               "border": border, "method": method}, backend),
                         "triton")
        if out is not None:
            return batch.restore(out)
    return batch.restore(_run_separable(fn, batch, kys, kxs, border, method, backend))


# ------------------------------------------------------------------------- motion_blur
def motion_blur(x: ImageLike, length: Length, angle: Angle, *, direction: Value = 0.0,
                radius: int | None = None, border: str = "reflect", method: str = "auto",
                backend: str = "auto") -> ImageLike:
    r"""Motion blur: the average along a segment of ``length`` pixels at ``angle`` radians.

    Parameters
    ----------
    x : tensor, numpy array or PIL image
        As :func:`gaussian_blur`.
    length : number or tensor
        >= 1, number or per sample ``(B,)``. Fractional lengths are exact: the two end pixels
        get partial weight (the anti-aliased line of :mod:`pixelgrad.kernels.motion`), so the
        kernel is a continuous, piecewise-linear function of the length.
    angle : number or tensor
        Radians, number or ``(B,)``; 0 is horizontal, positive turns clockwise on screen
        (rows grow downwards). kornia's degrees, counter-clockwise: ``-radians(deg)``.
    direction : number or tensor
        In [-1, 1], number or ``(B,)``: 0 weighs the segment uniformly, 1 / -1 ramp the
        weights linearly towards the forward / backward end.
    radius : int, optional
        Half-size of the square kernel (default: large enough for the whole line at any
        angle, :func:`pixelgrad.kernels.motion.motion_radius`); a smaller one crops the
        line (then renormalised), e.g. ``radius = ksize // 2`` to match kornia's
        ``ksize x ksize`` kernels.
    border, method, backend : str
        As :func:`gaussian_blur` (no separable method: the kernel is 2-D).

    Returns
    -------
    tensor, numpy array or PIL image
        Same container, shape and dtype as ``x``.

    Raises
    ------
    ValueError
        If ``length < 1``, ``direction`` is outside [-1, 1], ``radius`` is not an int >= 0,
        a differentiable kernel would be too large, or for a bad border, method or backend.

    Notes
    -----
    The output is the 2-D correlation :math:`y = k \star x` (border extension as in
    :func:`gaussian_blur`) with the kernel of a segment of length :math:`L` through the
    origin along :math:`(\cos a, \sin a)`:

    .. math:: k(p) \propto \sum_i w_i\, \Lambda\big(p - i\,(\cos a, \sin a)\big), \qquad w_i = \mathrm{clip}(L/2 + 1/2 - |i|, 0, 1)\, \max\big(0, 1 + d\, \tfrac{2 i}{L}\big)

    where :math:`\Lambda` is the bilinear (tent) interpolation weight, :math:`d` the
    ``direction`` and the weights are normalised to sum to 1 (see
    :mod:`pixelgrad.kernels.motion` for the exact ramp). The kernel is the 1-D box rotated by
    bilinear interpolation: anti-aliased at any angle, exactly ``1/L`` per pixel for angle 0
    and odd integer L, always summing to 1. Tensors
    ``length``, ``angle`` or ``direction`` that require grad make the output differentiable
    with respect to them (torch path): the kernel is piecewise linear in ``length`` (end
    coverage ``clip(L/2 + 1/2 - |i|, 0, 1)``) and in the bilinear weights of ``angle``, so
    the derivative is one-sided exactly at the kinks (odd integer lengths, axis crossings).

    References
    ----------
    .. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson, 2018,
       Sec. 5.11 (motion blur as a linear, position-invariant degradation).

    Examples
    --------
    A horizontal segment of length 3 spreads an impulse over three pixels:

    >>> import torch, pixelgrad as pg
    >>> x = torch.zeros(1, 1, 5, 5)
    >>> x[0, 0, 2, 2] = 1.0
    >>> pg.motion_blur(x, length=3, angle=0.0)[0, 0, 2]
    tensor([0.0000, 0.3333, 0.3333, 0.3333, 0.0000])
    >>> pg.motion_blur(torch.rand(2, 3, 32, 32), length=7.5, angle=0.3).shape
    torch.Size([2, 3, 32, 32])
    """
    fn = "motion_blur"
    batch = to_batch(x, fn, allow_empty=True)
    border = check_choice(border, borders.BORDERS, fn, "border")
    method = _cost.check_method(fn, method)
    backend = check_choice(backend, BACKENDS, fn, "backend")
    if radius is not None and (isinstance(radius, bool) or not isinstance(radius, (int, np.integer))
                               or radius < 0):
        bad_value(fn, "radius", "an int >= 0 (or None)", radius)
    B = batch.batch_size
    H, W = batch.data.shape[-2:]
    shared = (shared_value(length, low=1.0), shared_value(angle),
              shared_value(direction, low=-1.0, high=1.0))
    if None not in shared and not batch.empty and not _run.wants_stack(batch.data, backend) \
            and shared[0][0] <= motion.MAX_LENGTH:                                  # type: ignore[index]
        # one line for the batch (one image per call, numbers): one kernel, built in numpy
        (Ls,), (As,), (Ds,) = shared                                               # type: ignore[misc]
        k = _motion_kernel(Ls, As, Ds, radius, H, W, border)
        return batch.restore(_run_2d(fn, batch, [k], border, method, backend))
    L = per_sample(length, B, fn, "length", low=1.0)
    a = per_sample(angle, B, fn, "angle")
    d = per_sample(direction, B, fn, "direction", low=-1.0, high=1.0)
    if batch.empty:
        return batch.restore(batch.data.clone())
    grad = tracks_grad(L, a, d)
    if grad:
        side = 2 * (motion_radius(float(L.detach().max())) if radius is None else int(radius)) + 1
        if B * side * side > motion.DENSE_LIMIT:
            bad_value(fn, "length", f"short enough for a differentiable kernel (built dense: at most "
                      f"{motion.DENSE_LIMIT:,} weights for the batch, here {B} x {side}^2)", length)
        xb = batch.data
        k = motion_kernel2d(L, a, d, radius=radius)          # (B, K, K), carries the graph
        k = _fold_graph(_fold_graph(k, H, border, 1), W, border, 2)
        m = _grad_method(method, H, W, k.shape[-2], k.shape[-1], False, xb.device)
        return batch.restore(_run.run(Request(fn, "graph_2d", xb, {"k": k, "border": border, "method": m},
                                              "torch")))
    if _run.wants_stack(batch.data, backend):
        out = _run.offer(Request(fn, "2d", batch.data, {"k": _motion_stack(L, a, d, radius, H, W, border),
                                                        "border": border, "method": method}, backend),
                         "triton")
        if out is not None:
            return batch.restore(out)
    ks = _motion_kernels(L, a, d, radius, H, W, border)
    return batch.restore(_run_2d(fn, batch, ks, border, method, backend))


def _motion_kernels(L: torch.Tensor, a: torch.Tensor, d: torch.Tensor, radius: int | None, H: int,
                    W: int, border: str) -> list[torch.Tensor]:
    """The float64 motion kernels, one shared or one per sample, each of its own size and
    folded onto the border period when wider than the image."""
    B = L.shape[0]
    uniform = is_uniform(L) and is_uniform(a) and is_uniform(d)
    # each sample's kernel is built from its own numbers, exactly as for one image per call,
    # so a sample's result never depends on the batch (bitwise)
    n = 1 if uniform else B
    Ls, As, Ds = L[:n].tolist(), a[:n].tolist(), d[:n].tolist()
    radii = [motion_radius(Lb) if radius is None else min(int(radius), motion_radius(Lb)) for Lb in Ls]
    side = 2 * max(radii) + 1
    if n > 1 and n * side * side <= motion.FOLD_DENSE_LIMIT and max(Ls) <= motion.MAX_LENGTH:
        # small kernels (the dense branch of motion_kernel_for_image): one vectorised build,
        # each kernel bitwise its own single build
        ks = motion.kernels2d_numpy(Ls, As, Ds, radii)
        return [fold.folded_kernel2d(k, H, W, border) for k in ks]
    return [_motion_kernel(Lb, ab, db, radius, H, W, border) for Lb, ab, db in zip(Ls, As, Ds)]


def _motion_kernel(length: float, angle: float, direction: float, radius: int | None, H: int, W: int,
                   border: str) -> torch.Tensor:
    """One float64 motion kernel for an ``H x W`` image, folded onto the border period when
    wider than the image."""
    if radius is not None:
        # a kernel cropped to radius has at most (2 radius + 1)^2 weights: built dense
        k = motion_kernel2d(length, angle, direction, radius=min(int(radius), motion_radius(length)))
        return fold.folded_kernel2d(k, H, W, border)
    return motion_kernel_for_image(length, angle, direction, H, W, border)


def _motion_stack(L: torch.Tensor, a: torch.Tensor, d: torch.Tensor, radius: int | None, H: int,
                  W: int, border: str) -> KernelStack:
    """:func:`_motion_kernels` as one stack; per-sample lines that need no folding come from
    one batched build (no Python loop over the batch)."""
    B = L.shape[0]
    uniform = is_uniform(L) and is_uniform(a) and is_uniform(d)
    R = motion_radius(float(L.max()))
    if radius is None and not uniform and B * motion_kernel_size(float(L.max())) ** 2 <= motion.DENSE_LIMIT \
            and not fold.needs_fold(R, H, border) and not fold.needs_fold(R, W, border):
        sides = [2 * motion_radius(v) + 1 for v in L.tolist()]
        return KernelStack(motion_kernel2d(L, a, d), tuple((k, k) for k in sides))
    return stack_kernels(_motion_kernels(L, a, d, radius, H, W, border))


# ------------------------------------------------------------------------- filter2d
#: Largest number of weights :func:`filter2d` accepts for the whole batch of kernels.
MAX_FILTER2D_WEIGHTS = 1 << 24


def filter2d(x: ImageLike, kernel: Kernel, *, border: str = "reflect", method: str = "auto",
             backend: str = "auto") -> ImageLike:
    r"""Correlate with any 2-D kernel, shared or one per sample (OpenCV's ``filter2D``).

    Parameters
    ----------
    x : tensor, numpy array or PIL image
        As :func:`gaussian_blur`: ``(..., C, H, W)`` tensor, numpy ``(H, W[, C])`` or PIL.
    kernel : tensor, numpy array or nested lists
        Real weights ``(Kh, Kw)`` shared by the batch, or ``(B, Kh, Kw)``, one kernel per
        sample (``B`` the product of the leading dims of ``x``); odd ``Kh`` and ``Kw``,
        finite, used as given (not normalised). Converted to float64; never modified.
    border, method, backend : str
        As :func:`gaussian_blur` (no separable method: ``auto``, ``direct``, ``2d`` or ``fft``).

    Returns
    -------
    tensor, numpy array or PIL image
        Same container, shape and dtype as ``x`` (integer images rounded half to even and
        saturated).

    Raises
    ------
    ValueError
        If ``kernel`` is not 2-D / 3-D with odd sides and finite values, has the wrong batch
        size or more than :data:`MAX_FILTER2D_WEIGHTS` weights, or for a bad border, method or
        backend.
    TypeError
        If ``kernel`` is not a real array.

    Notes
    -----
    *Correlation*, as every filter of pixelgrad, with :math:`r_y = \lfloor K_h / 2 \rfloor`,
    :math:`r_x = \lfloor K_w / 2 \rfloor` and :math:`\beta` the index map of ``border``:

    .. math:: y[i, j] = \sum_{s=-r_y}^{r_y} \sum_{t=-r_x}^{r_x} k[r_y + s, r_x + t]\; x[\beta(i + s), \beta(j + t)]

    The *convolution* with a point-spread function ``psf`` (``y = psf * x``, the convention of
    :func:`pixelgrad.restore.deblur`'s ``kernel=`` and of ``scipy.ndimage.convolve``) is
    ``filter2d(x, psf.flip(-1, -2))``. A kernel much wider than the image is folded onto the
    border period first (exact, bounded memory), as for the other blurs. The algorithm
    (direct or FFT) and the backend (OpenCV or torch on the CPU, Triton on CUDA) are chosen
    per sample by the cost model of :mod:`pixelgrad.functional._cost`; each is exact to
    float rounding. Not differentiable with respect to ``kernel`` (with respect to ``x`` it
    is, on the torch path).

    References
    ----------
    .. [1] OpenCV, ``cv::filter2D`` (correlation with an arbitrary kernel);
       ``scipy.ndimage.correlate``.

    Examples
    --------
    A kernel with one weight to the right of its centre shifts the image left:

    >>> import torch, pixelgrad as pg
    >>> x = torch.arange(5.0).expand(1, 1, 3, 5)
    >>> k = torch.tensor([[0.0, 0.0, 1.0]])
    >>> pg.filter2d(x, k, border="replicate")[0, 0, 0]
    tensor([1., 2., 3., 4., 4.])
    >>> ks = torch.rand(2, 5, 7, dtype=torch.float64)          # one kernel per sample
    >>> pg.filter2d(torch.rand(2, 3, 16, 16), ks).shape
    torch.Size([2, 3, 16, 16])
    """
    fn = "filter2d"
    batch = to_batch(x, fn, allow_empty=True)
    border = check_choice(border, borders.BORDERS, fn, "border")
    method = _cost.check_method(fn, method)
    if method in ("matrix", "separable"):
        bad_value(fn, "method", "'auto', 'direct', '2d' or 'fft' for a 2-D kernel", method)
    backend = check_choice(backend, BACKENDS, fn, "backend")
    k = filter2d_kernels(kernel, batch.batch_size, fn)
    if batch.empty:
        return batch.restore(batch.data.clone())
    H, W = batch.data.shape[-2:]
    ks = [fold.folded_kernel2d(kb, H, W, border) for kb in k]
    if _run.wants_stack(batch.data, backend):
        out = _run.offer(Request(fn, "2d", batch.data, {"k": stack_kernels(ks), "border": border,
                                                        "method": method}, backend), "triton")
        if out is not None:
            return batch.restore(out)
    return batch.restore(_run_2d(fn, batch, ks, border, method, backend))


def filter2d_kernels(kernel: Any, B: int, fn: str = "filter2d") -> torch.Tensor:
    """``kernel`` of :func:`filter2d` checked, as a float64 CPU tensor ``(1 or B, Kh, Kw)``.

    Parameters
    ----------
    kernel : tensor, numpy array or nested lists
        ``(Kh, Kw)`` or ``(B, Kh, Kw)``, odd sides, finite.
    B : int
        The batch size.
    fn : str
        The function named in errors.

    Returns
    -------
    torch.Tensor
        A new float64 CPU tensor (the caller's array is never aliased).

    Raises
    ------
    TypeError
        Not a real array.
    ValueError
        Wrong dimensions, even sides, non-finite values, a batch other than 1 or ``B``, too
        many weights.

    Examples
    --------
    >>> filter2d_kernels([[0.0, 1.0, 0.0]], 4).shape
    torch.Size([1, 1, 3])
    """
    from .._errors import bad_type

    if isinstance(kernel, bool) or isinstance(kernel, (str, bytes)):
        bad_type(fn, "kernel", "a real array (Kh, Kw) or (B, Kh, Kw)", kernel)
    try:
        if isinstance(kernel, torch.Tensor):
            k = kernel.detach().to("cpu", torch.float64, copy=True)
        else:
            k = torch.tensor(np.asarray(kernel, dtype=np.float64))
    except (TypeError, ValueError, RuntimeError):
        bad_type(fn, "kernel", "a real array (Kh, Kw) or (B, Kh, Kw)", kernel)
    if isinstance(kernel, torch.Tensor) and (kernel.is_complex() or kernel.dtype == torch.bool):
        bad_type(fn, "kernel", "a real array (Kh, Kw) or (B, Kh, Kw)", kernel)
    if k.ndim not in (2, 3) or k.numel() == 0:
        bad_value(fn, "kernel", "a non-empty array (Kh, Kw) or (B, Kh, Kw)", tuple(k.shape))
    if k.shape[-1] % 2 == 0 or k.shape[-2] % 2 == 0:
        bad_value(fn, "kernel", "odd height and width", tuple(k.shape))
    if k.ndim == 3 and k.shape[0] not in (1, B):
        bad_value(fn, "kernel", f"one kernel for all images or one per image ({B})", tuple(k.shape))
    if k.numel() > MAX_FILTER2D_WEIGHTS:
        bad_value(fn, "kernel", f"at most {MAX_FILTER2D_WEIGHTS:,} weights", tuple(k.shape))
    if not bool(torch.isfinite(k).all()):
        bad_value(fn, "kernel", "finite values", "NaN/inf")
    return k if k.ndim == 3 else k[None]
