r"""Exact one-axis shear on the CPU (optional ``numba``): every image line shifted once.

A shear along one axis moves every line of the image by its own constant amount. With
``sy = 0`` (a horizontal shear, :class:`pixelgrad.augment.RandomShear`'s default) row
:math:`i` of the output samples the input row at columns :math:`j + d_i`,

.. math:: d_i = -s_x \, (i - c_v), \qquad c_v = (H - 1) / 2,

so the bilinear sample of :func:`pixelgrad.functional.shear` reduces to a 1-D linear
interpolation whose weights are the same for the whole row: with
:math:`n_i = \lfloor d_i \rfloor` and :math:`f_i = d_i - n_i`,

.. math:: y[i, j] = (1 - f_i)\, x[i, \beta(j + n_i)] + f_i\, x[i, \beta(j + n_i + 1)],

:math:`\beta` the border's index map (``constant`` reads 0). A vertical shear (``sx = 0``)
is the same along the columns, :math:`d_j = -s_y (j - c_u)`. :func:`shear` runs it in one
numba loop per line: the shift and the weights are computed once per line in float64 (the
same float64 source position as the torch path, up to the last bit), the interior of the
line is two shifted contiguous runs that LLVM vectorises, and only the few pixels whose
neighbours leave the image go through the border map. Every value is computed in float64
and rounded once (half to even for integer images), so the result is the exact bilinear
shear: within one grey level of the torch path's float32 ``grid_sample`` for uint8 (on
exact ties, where the two round differently), within float rounding for floats.

That is about 2x faster than ``cv2.warpAffine`` (which quantises the positions to 1/32
pixel) and 10-20x faster than the torch path on a 224 x 224 x 3 uint8 image, one thread
(``benchmarks/per_image.py``). Shears along both axes, autograd, GPU tensors and float16 /
bfloat16 go to the torch backend.

Without ``numba`` (or with ``PIXELGRAD_NO_NUMBA=1`` in the environment) :func:`available`
is False and the torch backend runs every shear.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import numpy as np
import torch

from .cpu_fused import _by_samples, numba_module
from .registry import Uncovered, register

#: border name -> the code the loop switches on
BORDER_CODES = {"constant": 0, "replicate": 1, "reflect": 2, "symmetric": 3, "circular": 4}
#: the dtypes the loop reads and writes natively (integers: rounded half to even)
DTYPES = (torch.uint8, torch.uint16, torch.float32, torch.float64)


@lru_cache(maxsize=1)
def _kernel() -> Callable[..., Any] | None:
    numba = numba_module()
    if numba is None:
        return None

    @numba.njit(inline="always")
    def border_index(k, n, border):  # pragma: no cover - compiled
        # the input index read for position k of a length-n line (-1: the constant 0)
        if border == 0:
            return k if 0 <= k < n else -1
        if border == 1:
            return 0 if k < 0 else (n - 1 if k >= n else k)
        if border == 2:
            if n == 1:
                return 0
            p = 2 * n - 2
            k = k % p
            return p - k if k >= n else k
        if border == 3:
            p = 2 * n
            k = k % p
            return p - 1 - k if k >= n else k
        return k % n

    @numba.njit(nogil=True, boundscheck=False, cache=True)
    def shift_lines(x, y, C, s, c0, border, rounded):  # pragma: no cover - compiled
        # x, y: (P, L, N * C) C-contiguous; line l of plane p is sampled at j + d,
        # d = -s[p] * (l - c0), channels interleaved C to a position
        P, L, NC = x.shape
        N = NC // C
        half = 6755399441055744.0         # 1.5 * 2^52: (v + half) - half rounds v half to even
        for p in range(P):
            sp = s[p]
            for line in range(L):
                d = -sp * (line - c0)
                if border <= 1:            # constant, replicate: farther shifts read the same
                    lim = N + 2.0
                    d = -lim if d < -lim else (lim if d > lim else d)
                else:                      # periodic extensions: one period
                    per = 2 * N - 2 if border == 2 else (2 * N if border == 3 else N)
                    d = np.fmod(d, per) if per > 0 else 0.0
                n0 = np.floor(d)
                f = d - n0
                g = 1.0 - f
                base = np.int64(n0)
                xr = x[p, line]
                yr = y[p, line]
                # interior: both neighbours j + base, j + base + 1 inside the line
                j0 = min(max(0, -base), N)
                j1 = max(j0, min(N, N - 1 - base))
                a = xr[(j0 + base) * C:(j1 + base) * C]
                b = xr[(j0 + base + 1) * C:(j1 + base + 1) * C]
                o = yr[j0 * C:j1 * C]
                if rounded:
                    for k in range(o.shape[0]):
                        o[k] = (g * np.float64(a[k]) + f * np.float64(b[k]) + half) - half
                else:
                    for k in range(o.shape[0]):
                        o[k] = g * np.float64(a[k]) + f * np.float64(b[k])
                for jj in range(j0 + N - j1):   # the edges, through the border map
                    j = jj if jj < j0 else j1 + jj - j0
                    ia = border_index(base + j, N, border)
                    ib = border_index(base + j + 1, N, border)
                    for c in range(C):
                        va = np.float64(xr[ia * C + c]) if ia >= 0 else 0.0
                        vb = np.float64(xr[ib * C + c]) if ib >= 0 else 0.0
                        r = g * va + f * vb
                        if rounded:
                            r = (r + half) - half
                        yr[j * C + c] = r

    return shift_lines


def available() -> bool:
    """Whether the line loop can run (``numba`` importable, not disabled).

    Returns
    -------
    bool
        False without ``numba`` or with ``PIXELGRAD_NO_NUMBA=1`` set before the first call.

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return _kernel() is not None


def check(x: torch.Tensor, sx: torch.Tensor, sy: torch.Tensor, border: str, exact: bool = True,
          **_: object) -> None:
    """What :func:`shear` covers: numba installed, a CPU tensor of :data:`DTYPES` without
    autograd, and every sample sheared along one axis (``sx == 0`` or ``sy == 0``); raises
    :class:`Uncovered` otherwise."""
    if not available():
        raise Uncovered("an install without numba (pip install 'pixelgrad[numba]')")
    if x.device.type != "cpu" or x.dtype not in DTYPES:
        raise Uncovered(f"a {x.device.type} {x.dtype} tensor (numba: uint8, uint16, float32, "
                        "float64 on the CPU)")
    if torch.is_grad_enabled() and (x.requires_grad or sx.requires_grad or sy.requires_grad):
        raise Uncovered("a tensor that requires grad")
    if any(a != 0 and b != 0 for a, b in zip(sx.tolist(), sy.tolist())):
        raise Uncovered("a shear along both axes (numba shifts the lines of one axis)")


def _lines(a: np.ndarray, cl: bool, vertical: bool) -> tuple[np.ndarray, int]:
    """``(P, L, N * C)`` C-contiguous lines of the samples ``a`` (``(B, H, W, C)`` when
    ``cl``, else ``(B, C, H, W)``) and the interleaved channel count: rows, or columns (a
    transposed copy) when vertical."""
    if cl:                                           # (B, H, W, C)
        B, H, W, C = a.shape
        if vertical:
            a = a.transpose(0, 2, 1, 3)
        return np.ascontiguousarray(a).reshape(B, a.shape[1], a.shape[2] * C), C
    B, C, H, W = a.shape                             # (B, C, H, W): every plane on its own
    if vertical:
        a = a.transpose(0, 1, 3, 2)
    return np.ascontiguousarray(a).reshape(B * C, a.shape[2], a.shape[3]), 1


@register("numba", "shear", check=check)
def shear(x: torch.Tensor, sx: torch.Tensor, sy: torch.Tensor, border: str,
          exact: bool = True) -> torch.Tensor:
    r"""The ``("numba", "shear")`` entry of :mod:`pixelgrad.backends.registry`: exact
    bilinear shear along one axis per sample (see the module notes).

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` CPU tensor, uint8, uint16, float32 or float64, any memory format
        (a channels-last one, a numpy ``(H, W, C)`` image, is walked in its own order).
    sx, sy : torch.Tensor
        Float64 ``(B,)`` CPU shear factors, ``sx == 0`` or ``sy == 0`` in every sample.
    border : str
        Border mode of :mod:`pixelgrad.borders`.
    exact : bool, default True
        Either value: this path is exact and faster than the quantised ``cv2.warpAffine``.

    Returns
    -------
    torch.Tensor
        ``(B, C, H, W)`` in the dtype and memory format of ``x``.

    Raises
    ------
    Uncovered
        The cases of :func:`check`.

    Notes
    -----
    Sample ``b`` with ``sy = 0`` shifts row :math:`i` by :math:`d_i = -s_x (i - (H - 1)/2)`;
    with ``sx = 0`` column :math:`j` by :math:`d_j = -s_y (j - (W - 1)/2)`, interpolating
    linearly between the two nearest input pixels of the line (module notes). For constant
    and replicate borders a shift beyond the line plus two pixels reads the same values as
    that bound; for the periodic borders it is reduced to one period, as the torch path
    reduces its source positions.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 3, 3)
    >>> x[0, 0, :, 1] = 1.0
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> try:
    ...     y = shear(x, one, 0 * one, "constant")[0, 0].tolist()
    ... except Uncovered:                       # without numba
    ...     y = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    >>> y
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    check(x, sx, sy, border)
    kernel = _kernel()
    assert kernel is not None                        # check() raised otherwise
    B, C, H, W = x.shape
    x = x.detach()
    cl = C > 1 and x.is_contiguous(memory_format=torch.channels_last)
    if not cl and not x.is_contiguous():
        x = x.contiguous()
    out = torch.empty_like(x)                        # keeps the memory format
    if out.numel() == 0:
        return out
    xs, ys = (x.permute(0, 2, 3, 1), out.permute(0, 2, 3, 1)) if cl else (x, out)
    xn, yn = xs.numpy(), ys.numpy()
    a, b = sx.tolist(), sy.tolist()
    code = BORDER_CODES[border]
    rounded = not x.dtype.is_floating_point
    per_plane = 1 if cl else C

    def lines(lo: int, hi: int, vert: bool) -> bool:
        src, chans = _lines(xn[lo:hi], cl, vert)
        s = np.repeat(np.asarray((b if vert else a)[lo:hi], np.float64), per_plane)
        c0 = ((W if vert else H) - 1) / 2.0
        if not vert:                                 # rows: written in place (a view)
            kernel(src, yn[lo:hi].reshape(src.shape), chans, s, c0, code, rounded)
            return True
        dst = np.empty_like(src)                     # columns: a transposed copy and back
        kernel(src, dst, chans, s, c0, code, rounded)
        if cl:
            yn[lo:hi] = dst.reshape(hi - lo, W, H, C).transpose(0, 2, 1, 3)
        else:
            yn[lo:hi] = dst.reshape(hi - lo, C, W, H).transpose(0, 1, 3, 2)
        return True

    if not any(b):                                   # the common case: one call, or one per thread
        _by_samples(B, x.numel(), lambda lo, hi: lines(lo, hi, False))
        return out
    for i in range(B):
        lines(i, i + 1, b[i] != 0)
    return out
