"""Reference torch implementations of linear filtering on ``(B, C, H, W)`` tensors.

All functions take a tensor already in its compute dtype (float32/float64) and kernels of
the same dtype and device. Kernels are either shared (``(K,)`` / ``(Kh, Kw)``) or per sample
(``(B, K)`` / ``(B, Kh, Kw)``). Filtering is *correlation*:
``y[i] = sum_t k[t] x[border(i + t - r)]`` (identical to convolution for symmetric kernels).

Three exact algorithms, all differentiable:

* direct: border-extend by the radius, then (grouped) ``conv2d``; cost ~ kernel size.
* matrix: ``y = M x`` with the border folded into a banded matrix (see
  :mod:`pixelgrad.kernels.banded`); cost ~ image side, independent of the kernel.
* fft: border-extend by the radius, then a circular convolution by FFT on a length
  ``>= n + 2r`` (no wrap-around reaches the kept samples, so it is exact for every border
  mode); cost ~ log(image side).
"""
from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

from .._dtypes import compute_dtype, from_compute
from ..borders import pad_dim, pad2d
from ..kernels.banded import banded_matrix
from ..kernels.stack import KernelStack
from .registry import Uncovered, register


def _next_fast_len(n: int) -> int:
    """Smallest 2^a 3^b 5^c 7^d >= n (sizes pocketfft / cuFFT handle fastest)."""
    best = 1 << (n - 1).bit_length()
    p7 = 1
    while p7 < best:
        p5 = p7
        while p5 < best:
            p3 = p5
            while p3 < best:
                m = p3
                while m < n:
                    m *= 2
                best = min(best, m)
                p3 *= 3
            p5 *= 5
        p7 *= 7
    return best


# ----------------------------------------------------------------------------- 1-D passes
def _pass_direct(x: torch.Tensor, k: torch.Tensor, dim: int, border: str) -> torch.Tensor:
    """Correlate along ``dim`` (-1 = W, -2 = H) by padded conv2d."""
    B, C, H, W = x.shape
    K = k.shape[-1]
    r = K // 2
    xp = pad_dim(x, dim, r, r, border)
    wshape = (1, K) if dim == -1 else (K, 1)
    if k.ndim == 1:
        w = k.reshape(1, 1, *wshape)
        y = F.conv2d(xp.reshape(B * C, 1, *xp.shape[-2:]), w)
        return y.reshape(B, C, H, W)
    w = k.repeat_interleave(C, dim=0).reshape(B * C, 1, *wshape)
    y = F.conv2d(xp.reshape(1, B * C, *xp.shape[-2:]), w, groups=B * C)
    return y.reshape(B, C, H, W)


#: axes up to this length keep their banded matrices of shared CPU kernels in a small
#: cache (at most 64 x 256 KB in float32): on small images building the matrix costs more
#: than applying it
_CACHED_MATRIX_LEN = 256


@lru_cache(maxsize=64)
def _cached_banded(taps: bytes, dtype: torch.dtype, n: int, border: str) -> torch.Tensor:
    k = torch.frombuffer(bytearray(taps), dtype=dtype)
    return banded_matrix(k, n, border)


def _pass_matrix(x: torch.Tensor, k: torch.Tensor, dim: int, border: str) -> torch.Tensor:
    n = x.shape[dim]
    if (k.ndim == 1 and n <= _CACHED_MATRIX_LEN and k.device.type == "cpu" and not k.requires_grad
            and k.dtype in (torch.float32, torch.float64)):
        m = _cached_banded(k.contiguous().numpy().tobytes(), k.dtype, n, border)   # (n, n), same values
    else:
        m = banded_matrix(k, n, border)                 # (n, n) or (B, n, n)
    if dim == -1:
        mt = m.transpose(-1, -2)
        return torch.matmul(x, mt if k.ndim == 1 else mt[:, None])
    return torch.matmul(m if k.ndim == 1 else m[:, None], x)


def _pass_fft(x: torch.Tensor, k: torch.Tensor, dim: int, border: str) -> torch.Tensor:
    n = x.shape[dim]
    K = k.shape[-1]
    r = K // 2
    xp = pad_dim(x, dim, r, r, border)
    nfft = _next_fast_len(n + 2 * r)
    kf = torch.fft.rfft(k.flip(-1), n=nfft)             # correlation = conv with flipped kernel
    xf = torch.fft.rfft(xp, n=nfft, dim=dim)
    if k.ndim == 2:                                      # (B, F) -> broadcast over C and the other axis
        kf = kf[:, None, None, :] if dim == -1 else kf[:, None, :, None]
    elif dim == -2:
        kf = kf[:, None]
    y = torch.fft.irfft(xf * kf, n=nfft, dim=dim)
    return y.narrow(dim, 2 * r, n)


_PASSES = {"direct": _pass_direct, "matrix": _pass_matrix, "fft": _pass_fft}


def separable(x: torch.Tensor, ky: torch.Tensor, kx: torch.Tensor, border: str,
              method: str) -> torch.Tensor:
    r"""Correlate with ``ky`` along H, then with ``kx`` along W.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` image batch in its compute dtype (float32 or float64).
    ky : torch.Tensor
        Odd-length kernel for the H axis: shared ``(K,)`` or per sample ``(B, K)``; same
        dtype and device as ``x``.
    kx : torch.Tensor
        Odd-length kernel for the W axis, shaped like ``ky`` (its length may differ).
    border : str
        Border mode of :mod:`pixelgrad.borders` (``"constant"``, ``"replicate"``,
        ``"reflect"``, ``"symmetric"``, ``"circular"``).
    method : str
        ``"direct"`` (padded ``conv2d``), ``"matrix"`` (banded matrix product) or ``"fft"``.

    Returns
    -------
    torch.Tensor
        ``(B, C, H, W)``, same dtype and device as ``x``; differentiable in ``x``, ``ky``
        and ``kx``.

    Raises
    ------
    KeyError
        If ``method`` is not one of the three names (callers validate it first).

    Notes
    -----
    Each pass is a border-extended correlation with radius :math:`r = \lfloor K / 2 \rfloor`:

    .. math:: y_i = \sum_{t=0}^{K-1} k_t \, x_{b(i + t - r)}

    where :math:`b` maps an out-of-range index by the border rule. The three methods give the
    same values up to rounding.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 3, 3, dtype=torch.float64)
    >>> x[0, 0, 1, 1] = 1.0
    >>> k = torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)
    >>> y = separable(x, k, k, "constant", "direct")
    >>> y[0, 0]
    tensor([[0.0625, 0.1250, 0.0625],
            [0.1250, 0.2500, 0.1250],
            [0.0625, 0.1250, 0.0625]], dtype=torch.float64)
    >>> torch.allclose(separable(x, k, k, "reflect", "fft"), separable(x, k, k, "reflect", "matrix"))
    True
    """
    fn = _PASSES[method]
    return fn(fn(x, ky, -2, border), kx, -1, border)


# ----------------------------------------------------------------------------- 2-D kernels
def correlate2d(x: torch.Tensor, k: torch.Tensor, border: str, method: str) -> torch.Tensor:
    r"""Correlate with a full (non-separable) 2-D kernel.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` image batch in its compute dtype (float32 or float64).
    k : torch.Tensor
        Kernel with odd sides: shared ``(Kh, Kw)`` or per sample ``(B, Kh, Kw)``; same dtype
        and device as ``x``.
    border : str
        Border mode of :mod:`pixelgrad.borders`.
    method : str
        ``"fft"`` for a padded circular convolution by FFT; any other value uses the padded
        (grouped) ``conv2d``.

    Returns
    -------
    torch.Tensor
        ``(B, C, H, W)``, same dtype and device as ``x``; differentiable in ``x`` and ``k``.

    Notes
    -----
    With radii :math:`r_y = \lfloor K_h / 2 \rfloor`, :math:`r_x = \lfloor K_w / 2 \rfloor`
    and :math:`b` the border rule:

    .. math:: y_{i,j} = \sum_{s=0}^{K_h-1} \sum_{t=0}^{K_w-1} k_{s,t} \, x_{b(i + s - r_y,\, j + t - r_x)}

    The FFT path pads by the radius first and uses a transform length of at least
    :math:`n + 2 r`, so no circular wrap-around reaches the kept samples.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(9, dtype=torch.float64).reshape(1, 1, 3, 3)
    >>> k = torch.zeros(3, 3, dtype=torch.float64)
    >>> k[1, 2] = 1.0                      # picks the right-hand neighbour
    >>> correlate2d(x, k, "replicate", "direct")[0, 0]
    tensor([[1., 2., 2.],
            [4., 5., 5.],
            [7., 8., 8.]], dtype=torch.float64)
    >>> torch.allclose(correlate2d(x, k, "replicate", "fft"), correlate2d(x, k, "replicate", "direct"))
    True
    """
    B, C, H, W = x.shape
    Kh, Kw = k.shape[-2:]
    ry, rx = Kh // 2, Kw // 2
    if method == "fft":
        xp = pad2d(x, ry, ry, rx, rx, border)
        sh, sw = _next_fast_len(H + 2 * ry), _next_fast_len(W + 2 * rx)
        kf = torch.fft.rfft2(k.flip(-1, -2), s=(sh, sw))
        if k.ndim == 3:
            kf = kf[:, None]
        y = torch.fft.irfft2(torch.fft.rfft2(xp, s=(sh, sw)) * kf, s=(sh, sw))
        return y[..., 2 * ry:2 * ry + H, 2 * rx:2 * rx + W]
    xp = pad2d(x, ry, ry, rx, rx, border)
    if k.ndim == 2:
        y = F.conv2d(xp.reshape(B * C, 1, *xp.shape[-2:]), k[None, None])
        return y.reshape(B, C, H, W)
    w = k.repeat_interleave(C, dim=0)[:, None]
    y = F.conv2d(xp.reshape(1, B * C, *xp.shape[-2:]), w, groups=B * C)
    return y.reshape(B, C, H, W)


# ----------------------------------------------------------------------------- sampling
_GRID_SAMPLE_MODE = {  # border -> (grid_sample padding_mode, align_corners)
    "constant": ("zeros", True),
    "replicate": ("border", True),
    "reflect": ("reflection", True),      # reflect about the edge pixel centres: dcb|abcd|cba
    "symmetric": ("reflection", False),   # reflect about the image edges:        cba|abcd|dcb
}


def bilinear_sample_fast(x: torch.Tensor, sy: torch.Tensor, sx: torch.Tensor, border: str) -> torch.Tensor:
    """Bilinear sampling through ``F.grid_sample``; same values as :func:`bilinear_sample`.

    One fused kernel, typically much faster on CPU than the gather implementation. The
    ``"circular"`` border and images with a side of 1 fall back to :func:`bilinear_sample`.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` image batch, float32 or float64.
    sy : torch.Tensor
        Source row coordinates in pixels (pixel centres at ``0 .. H-1``), shape
        ``(B, H', W')`` or ``(1, H', W')`` (broadcast over the batch).
    sx : torch.Tensor
        Source column coordinates, same shape as ``sy``.
    border : str
        Border mode of :mod:`pixelgrad.borders` for neighbours outside the image
        (``"constant"`` reads 0).

    Returns
    -------
    torch.Tensor
        ``(B, C, H', W')`` in the dtype of ``x``.

    Notes
    -----
    ``reflect`` maps to ``padding_mode="reflection", align_corners=True`` (reflection about
    the edge pixel centres) and ``symmetric`` to ``align_corners=False`` (about the image
    edges); see :func:`bilinear_sample` for the interpolation formula.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(16, dtype=torch.float64).reshape(1, 1, 4, 4)
    >>> sy = torch.full((1, 1, 2), 1.5, dtype=torch.float64)
    >>> sx = torch.tensor([[[0.5, 2.5]]], dtype=torch.float64)
    >>> bilinear_sample_fast(x, sy, sx, "replicate")
    tensor([[[[6.5000, 8.5000]]]], dtype=torch.float64)
    >>> torch.allclose(bilinear_sample_fast(x, sy, sx, "reflect"), bilinear_sample(x, sy, sx, "reflect"))
    True
    """
    B, C, H, W = x.shape
    if border not in _GRID_SAMPLE_MODE or H == 1 or W == 1:
        return bilinear_sample(x, sy, sx, border)
    mode, align = _GRID_SAMPLE_MODE[border]
    if align:                                  # pixel centres 0 .. n-1  ->  -1 .. 1
        gx = sx * (2.0 / (W - 1)) - 1.0
        gy = sy * (2.0 / (H - 1)) - 1.0
    else:                                      # pixel edges -0.5 .. n-0.5  ->  -1 .. 1
        gx = (2.0 * sx + 1.0) / W - 1.0
        gy = (2.0 * sy + 1.0) / H - 1.0
    grid = torch.stack((gx, gy), dim=-1).to(x.dtype)
    if grid.shape[0] != B:
        grid = grid.expand(B, *grid.shape[1:])
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=mode, align_corners=align)


def bilinear_sample(x: torch.Tensor, sy: torch.Tensor, sx: torch.Tensor, border: str) -> torch.Tensor:
    r"""Sample an image batch at float source coordinates with bilinear weights.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` image batch, float32 or float64.
    sy : torch.Tensor
        Source row coordinates in pixels (pixel centres at ``0 .. H-1``), shape
        ``(B, H', W')``.
    sx : torch.Tensor
        Source column coordinates, same shape as ``sy``.
    border : str
        Border mode of :mod:`pixelgrad.borders` for the four neighbours; a neighbour outside
        the image reads 0 under ``"constant"``.

    Returns
    -------
    torch.Tensor
        ``(B, C, H', W')`` in the dtype of ``x``; differentiable in ``x`` (the coordinates
        enter through the weights only).

    Notes
    -----
    With :math:`y_0 = \lfloor s_y \rfloor`, :math:`x_0 = \lfloor s_x \rfloor`,
    :math:`w_y = s_y - y_0` and :math:`w_x = s_x - x_0`:

    .. math:: v = (1 - w_y)(1 - w_x) \, x_{y_0, x_0} + (1 - w_y) w_x \, x_{y_0, x_0 + 1} + w_y (1 - w_x) \, x_{y_0 + 1, x_0} + w_y w_x \, x_{y_0 + 1, x_0 + 1}

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]], dtype=torch.float64)
    >>> sy = torch.tensor([[[0.5, 0.0]]], dtype=torch.float64)
    >>> sx = torch.tensor([[[0.5, -1.0]]], dtype=torch.float64)
    >>> bilinear_sample(x, sy, sx, "constant")
    tensor([[[[1.5000, 0.0000]]]], dtype=torch.float64)
    >>> bilinear_sample(x, sy, sx, "circular")
    tensor([[[[1.5000, 1.0000]]]], dtype=torch.float64)
    """
    from ..borders import map_index

    B, C, H, W = x.shape
    y0 = torch.floor(sy)
    x0 = torch.floor(sx)
    wy = (sy - y0).to(x.dtype)
    wx = (sx - x0).to(x.dtype)
    y0 = y0.long()
    x0 = x0.long()
    flat = x.reshape(B, C, H * W)
    out = 0
    for dy, fy in ((0, 1 - wy), (1, wy)):
        iy = map_index(y0 + dy, H, border)
        for dx, fx in ((0, 1 - wx), (1, wx)):
            ix = map_index(x0 + dx, W, border)
            valid = (iy >= 0) & (ix >= 0)
            idx = (iy.clamp(min=0) * W + ix.clamp(min=0)).reshape(B, 1, -1).expand(B, C, -1)
            v = torch.gather(flat, 2, idx).reshape(B, C, *sy.shape[1:])
            wgt = (fy * fx * valid.to(x.dtype))[:, None]
            out = out + v * wgt
    return out


# ----------------------------------------------------------------------------- registry
def _as_torch_kernel(k: KernelStack, x: torch.Tensor) -> torch.Tensor:
    """The stack's weights in ``x``'s dtype and device: shared ``(K...)`` or ``(B, K...)``."""
    w = k.weights[0] if k.shared else k.weights
    return w.to(device=x.device, dtype=x.dtype)


@register("torch", "separable")
def separable_filter(x: torch.Tensor, ky: KernelStack, kx: KernelStack, border: str,
                     method: str, field: object = None) -> torch.Tensor:
    """The ``("torch", "separable")`` entry of :mod:`pixelgrad.backends.registry`.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` in any dtype; computed in :func:`pixelgrad._dtypes.compute_dtype`.
    ky, kx : KernelStack
        1-D kernels for the H and W axes, one shared or one per sample.
    border : str
        Border mode of :mod:`pixelgrad.borders`.
    method : str
        ``"direct"``, ``"matrix"`` or ``"fft"`` (see :func:`separable`).
    field : None
        No fused illumination field on this backend.

    Returns
    -------
    torch.Tensor
        ``(B, C, H, W)`` in the dtype of ``x`` (integers rounded half-to-even, saturated).

    Raises
    ------
    Uncovered
        If ``field`` is given.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.kernels.stack import stack_kernels
    >>> k = stack_kernels([torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)])
    >>> separable_filter(torch.full((1, 1, 3, 3), 8, dtype=torch.uint8), k, k, "reflect", "direct")[0, 0, 0]
    tensor([8, 8, 8], dtype=torch.uint8)
    """
    if field is not None:
        raise Uncovered("a fused illumination field (Triton only)")
    xc = x.to(compute_dtype(x.dtype))
    return from_compute(separable(xc, _as_torch_kernel(ky, xc), _as_torch_kernel(kx, xc), border, method),
                        x.dtype)


@register("torch", "2d")
def filter2d(x: torch.Tensor, k: KernelStack, border: str, method: str,
             field: object = None) -> torch.Tensor:
    """The ``("torch", "2d")`` entry of :mod:`pixelgrad.backends.registry`.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` in any dtype; computed in :func:`pixelgrad._dtypes.compute_dtype`.
    k : KernelStack
        2-D kernels, one shared or one per sample.
    border : str
        Border mode of :mod:`pixelgrad.borders`.
    method : str
        ``"fft"`` or ``"direct"`` (see :func:`correlate2d`).
    field : None
        No fused illumination field on this backend.

    Returns
    -------
    torch.Tensor
        ``(B, C, H, W)`` in the dtype of ``x``.

    Raises
    ------
    Uncovered
        If ``field`` is given.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.kernels.stack import stack_kernels
    >>> k = stack_kernels([torch.full((3, 3), 1 / 9, dtype=torch.float64)])
    >>> filter2d(torch.ones(2, 1, 4, 4), k, "reflect", "direct").shape
    torch.Size([2, 1, 4, 4])
    """
    if field is not None:
        raise Uncovered("a fused illumination field (Triton only)")
    xc = x.to(compute_dtype(x.dtype))
    return from_compute(correlate2d(xc, _as_torch_kernel(k, xc), border, method), x.dtype)


@register("torch", "graph_separable")
def graph_separable(x: torch.Tensor, ky: torch.Tensor, kx: torch.Tensor, border: str,
                    method: str) -> torch.Tensor:
    """The ``("torch", "graph_separable")`` entry: :func:`separable` with dense per-sample
    kernels ``(B, K)`` that may carry an autograd graph (differentiable blur parameters).

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` in any dtype; computed in :func:`pixelgrad._dtypes.compute_dtype`.
    ky, kx : torch.Tensor
        ``(B, Kh)`` and ``(B, Kw)`` kernels (any float dtype and device).
    border : str
        Border mode.
    method : str
        ``"direct"``, ``"matrix"`` or ``"fft"``.

    Returns
    -------
    torch.Tensor
        ``(B, C, H, W)`` in the dtype of ``x``, in the graph of ``x``, ``ky`` and ``kx``.

    Examples
    --------
    >>> import torch
    >>> k = torch.tensor([[0.25, 0.5, 0.25]], dtype=torch.float64, requires_grad=True)
    >>> graph_separable(torch.ones(1, 1, 3, 3), k, k, "reflect", "direct").requires_grad
    True
    """
    cdt = compute_dtype(x.dtype)
    return from_compute(separable(x.to(cdt), ky.to(x.device, cdt), kx.to(x.device, cdt), border, method),
                        x.dtype)


@register("torch", "graph_2d")
def graph_2d(x: torch.Tensor, k: torch.Tensor, border: str, method: str) -> torch.Tensor:
    """The ``("torch", "graph_2d")`` entry: :func:`correlate2d` with dense per-sample
    kernels ``(B, Kh, Kw)`` that may carry an autograd graph.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` in any dtype.
    k : torch.Tensor
        ``(B, Kh, Kw)`` kernels.
    border : str
        Border mode.
    method : str
        ``"direct"`` or ``"fft"``.

    Returns
    -------
    torch.Tensor
        ``(B, C, H, W)`` in the dtype of ``x``.

    Examples
    --------
    >>> import torch
    >>> graph_2d(torch.ones(1, 1, 3, 3), torch.full((1, 3, 3), 1 / 9), "reflect", "direct").shape
    torch.Size([1, 1, 3, 3])
    """
    cdt = compute_dtype(x.dtype)
    return from_compute(correlate2d(x.to(cdt), k.to(x.device, cdt), border, method), x.dtype)


#: output pixels per strip in :func:`shear` (bounds its coordinate buffers; no effect on results)
_STRIP_PIXELS = 1 << 16


def _reduce(src: torch.Tensor, n: int, border: str) -> torch.Tensor:
    """Float64 source positions mapped to an equivalent position for bilinear sampling of a
    length-``n`` axis extended by ``border``."""
    if border == "constant":
        return src.clamp(-2.0, n + 1.0)                     # beyond: both neighbours are 0
    if border == "replicate":
        return src.clamp(-1.0, float(n))                    # beyond: the edge sample
    period = {"circular": n, "symmetric": 2 * n, "reflect": 2 * n - 2}[border]
    if period == 0:                                         # reflect on a single sample
        return torch.zeros_like(src)
    return src.remainder(period)


@register("torch", "shear")
def shear(x: torch.Tensor, sx: torch.Tensor, sy: torch.Tensor, border: str,
          exact: bool = True) -> torch.Tensor:
    r"""The ``("torch", "shear")`` entry: bilinear shear about the image centre.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` in any dtype of the blur ops (integers rounded and saturated).
    sx, sy : torch.Tensor
        Float64 ``(B,)`` CPU shear factors with ``sx * sy != 1``.
    border : str
        Border mode of :mod:`pixelgrad.borders`.
    exact : bool, default True
        Ignored: this path is always exact (it runs when no faster backend took
        ``exact=False``).

    Returns
    -------
    torch.Tensor
        ``(B, C, H, W)`` in the dtype of ``x``.

    Notes
    -----
    Output pixel :math:`(u, v)` samples the input at :math:`A^{-1}((u, v) - c) + c`,
    :math:`A^{-1} = \frac{1}{1 - s_x s_y} \begin{pmatrix} 1 & -s_x \\ -s_y & 1 \end{pmatrix}`,
    computed in float64 and reduced to one period of the border extension before sampling.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 3, 3)
    >>> x[0, 0, :, 1] = 1.0
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> shear(x, one, 0 * one, "constant")[0, 0, 0]
    tensor([1., 0., 0.])
    """
    B, C, H, W = x.shape
    dev = x.device
    cdt = compute_dtype(x.dtype)
    det = 1 - sx * sy
    cu, cv = (W - 1) / 2.0, (H - 1) / 2.0
    u = torch.arange(W, dtype=torch.float64)[None, :] - cu
    a_, b_, det_ = sx[:, None, None], sy[:, None, None], det[:, None, None]
    xc = x.to(cdt)
    out = torch.empty(x.shape, dtype=x.dtype, device=dev)
    # Output rows in strips of about _STRIP_PIXELS pixels: each output pixel is sampled on
    # its own, so the strips give the same bits as one pass, and the float64 coordinates
    # (16 bytes a pixel per sample) never exist for the whole image at once.
    rows = max(1, _STRIP_PIXELS // max(1, W))
    for r0 in range(0, H, rows):
        r1 = min(H, r0 + rows)
        v = torch.arange(r0, r1, dtype=torch.float64)[:, None] - cv
        src_u = (u - a_ * v) / det_ + cu                 # A^-1 = [[1, -sx], [-sy, 1]] / det
        src_v = (v - b_ * u) / det_ + cv
        # Reduce the float64 source coordinates to one period of the border extension (or
        # clamp where every farther position reads the same values) before casting to the
        # compute dtype: exact for bilinear sampling, keeps float32 precision for strong
        # shears, and a huge shear cannot overflow float32 to inf (which gave NaN pixels).
        src_u, src_v = _reduce(src_u, W, border), _reduce(src_v, H, border)
        y = bilinear_sample_fast(xc, src_v.to(dev, cdt), src_u.to(dev, cdt), border)
        out[:, :, r0:r1] = from_compute(y, x.dtype)
    return out


from . import field_torch  # noqa: E402,F401  (registers ("torch", "field"))
