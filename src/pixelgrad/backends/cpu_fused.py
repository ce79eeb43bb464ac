"""Fused CPU loops (optional ``numba``): the planar illumination mixer in one pass.

The torch CPU path of :mod:`pixelgrad.functional.illumination` runs the mixer as several
elementwise ops (field, blend, input test, clamp), each one a pass over the data; even
blocked in cache that costs about 2.5-3x a copy of the batch. With ``numba`` installed
(``pip install 'pixelgrad[numba]'``), :func:`mix_planar` does all of it in one loop that
reads each input value once and writes each output value once, vectorised by LLVM: about a
copy's time (``benchmarks/illumination.py`` prints both paths).

The loop computes exactly the float ops of the torch path, in the same order, so the results
have the same bits: the field ``f = row[j] + col[i]``, then ``blend``: ``f + x * coef`` (one
fused multiply-add where the CPU has FMA, as torch's ``addcmul`` kernel uses it),
``add``: ``x + f``, ``multiply``: ``x * (f + 1)``, then the clamp ``min(max(y, lo), hi)``.

uint8 images (a numpy ``(H, W, 3)`` image included, walked in its own channels-last order)
take a second loop with the torch path's float32 ops: the field scaled to [0, 255] in its
own pass (so its product is never fused into the mix, as in torch's separate ops), the mix,
the clamp to [0, 255], rounding half to even and the cast, reading and writing each byte
once: about 3-5x faster than the torch blocks on a 224 x 224 x 3 image. The radial fields
(``gaussian_spot``, ``radial_gradient``) on uint8 take a third loop: their per-row and
per-column parts made by torch as its path makes them, each remaining product and sum in
its own loop (same bits).

Without ``numba`` (or with ``PIXELGRAD_NO_NUMBA=1`` in the environment) :func:`available`
is False and the callers keep the torch path. The first call compiles the loop for the
array types it sees (about a second; cached on disk by numba afterwards).
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import torch

from . import pool
from .registry import Uncovered, register

from .field_torch import ONE_BITS  # noqa: E402  (compute dtype -> integer dtype, bits of 1.0)
MODES = {"blend": 0, "add": 1, "multiply": 2}


def numba_module() -> Any:
    """The ``numba`` module, or None when it is not installed or ``PIXELGRAD_NO_NUMBA`` is
    set (to anything but ``0``): the one test of every numba loop of the backends.

    Returns
    -------
    module or None
        ``numba``, or None when the loops must not be compiled.

    Examples
    --------
    >>> m = numba_module()
    >>> m is None or m.__name__ == "numba"
    True
    """
    if os.environ.get("PIXELGRAD_NO_NUMBA", "") not in ("", "0"):
        return None
    try:
        import numba
    except ImportError:
        return None
    return numba


@lru_cache(maxsize=1)
def _kernel() -> tuple[Callable[..., Any], ...] | None:
    numba = numba_module()
    if numba is None:
        return None

    @numba.njit(nogil=True, boundscheck=False, cache=True, fastmath={"contract"})
    def mix(x, xbits, row, col, coef, y, mode, clamp, lo, hi, unit, watch, one):  # pragma: no cover - compiled
        B, C, H, W = x.shape
        rb, cb, fb = row.shape[0] > 1, row.shape[1] > 1, coef.shape[0] > 1
        cc1 = coef.shape[1] > 1
        zero = one - one
        bad = False
        for s in range(B):
            for c in range(C):
                sr = s if rb else 0
                cr = c if cb else 0
                k = coef[s if fb else 0, c if cc1 else 0, 0, 0]
                rr = row[sr, cr, 0]
                for i in range(H):
                    ci = col[sr, cr, i, 0]
                    xr = x[s, c, i]
                    yr = y[s, c, i]
                    br = xbits[s, c, i]
                    # one loop per (mode, clamp): each reads x once, writes y once, and
                    # counts the input values outside [+0.0, 1.0] on the way (vectorised)
                    if mode == 0 and clamp:
                        for j in range(W):
                            v = br[j]
                            bad |= (v < zero) | (v > one)
                            r = (rr[j] + ci) + xr[j] * k
                            r = r if r >= lo else lo
                            yr[j] = r if r <= hi else hi
                    elif mode == 0:
                        for j in range(W):
                            v = br[j]
                            bad |= (v < zero) | (v > one)
                            yr[j] = (rr[j] + ci) + xr[j] * k
                    elif mode == 1 and clamp:
                        for j in range(W):
                            v = br[j]
                            bad |= (v < zero) | (v > one)
                            r = xr[j] + (rr[j] + ci)
                            r = r if r >= lo else lo
                            yr[j] = r if r <= hi else hi
                    elif mode == 1:
                        for j in range(W):
                            v = br[j]
                            bad |= (v < zero) | (v > one)
                            yr[j] = xr[j] + (rr[j] + ci)
                    elif clamp:
                        for j in range(W):
                            v = br[j]
                            bad |= (v < zero) | (v > one)
                            r = xr[j] * ((rr[j] + ci) + unit)
                            r = r if r >= lo else lo
                            yr[j] = r if r <= hi else hi
                    else:
                        for j in range(W):
                            v = br[j]
                            bad |= (v < zero) | (v > one)
                            yr[j] = xr[j] * ((rr[j] + ci) + unit)
                if watch and bad:
                    return False
        return True

    @numba.njit(inline="always")
    def bchw(x, channels_last):  # pragma: no cover - compiled
        # (B, C, H, W) of an array stored (B, H, W, C) when channels_last
        if channels_last:
            B, H, W, C = x.shape
            return B, C, H, W
        return x.shape[0], x.shape[1], x.shape[2], x.shape[3]

    @numba.njit(inline="always")
    def u8_setup(W, C, channels_last, mode, white):  # pragma: no cover - compiled
        # the field's scale (255, or 1 for multiply: its gain is f + 1), the length of a run
        # (an image row: W * C values channels-last, W per plane) and four float32 scratch runs
        n = W * C if channels_last else W
        scale = white if mode != 2 else np.float32(1.0)
        return (scale, n, np.empty(n, np.float32), np.empty(n, np.float32), np.empty(n, np.float32),
                np.empty(n, np.float32))

    @numba.njit(inline="always")
    def to_u8(r):  # pragma: no cover - compiled
        lo, hi = np.float32(0.0), np.float32(255.0)
        r = r if r >= lo else lo                            # the clamp to [0, 255] (NaN cannot occur)
        r = r if r <= hi else hi
        return np.uint8(np.rint(r))                         # half to even, as torch's round_

    @numba.njit(inline="always", fastmath={"contract"})
    def mix_run(xr, fw, kr, yr, n, mode, unit):  # pragma: no cover - compiled
        # fw: the field of this run, already scaled (its own loop: a product there is never
        # fused into the adds here, as in torch's separate ops); blend is torch's addcmul,
        # one fused multiply-add f + x * k where the CPU has FMA
        if mode == 0:
            for t in range(n):
                yr[t] = to_u8(fw[t] + np.float32(xr[t]) * kr[t])
        elif mode == 1:
            for t in range(n):
                yr[t] = to_u8(np.float32(xr[t]) + fw[t])
        else:
            for t in range(n):
                yr[t] = to_u8(np.float32(xr[t]) * (fw[t] + unit))

    @numba.njit(nogil=True, boundscheck=False, cache=True, fastmath={"contract"})
    def mix_u8(x, row, col, coef, y, mode, white, unit, channels_last):  # pragma: no cover - compiled
        # uint8 in, uint8 out, the float32 ops of the torch path in its order: the field
        # (r + c) * 255 (blend / add) or r + c (multiply: the gain is then f + 1), the mix,
        # the clamp to [0, 255], rounding half to even (clamping before or after rounding is
        # the same for uint8: the torch path's two orders agree), the cast. x, y: C-contiguous
        # (B, H, W, C) when channels_last, else (B, C, H, W)
        B, C, H, W = bchw(x, channels_last)
        rb, cb, fb = row.shape[0] > 1, row.shape[1] > 1, coef.shape[0] > 1
        cc1 = coef.shape[1] > 1
        scale, n, rowrep, colrep, krep, fw = u8_setup(W, C, channels_last, mode, white)
        for s in range(B):
            sr = s if rb else 0
            sk = s if fb else 0
            if channels_last:
                # a row of the image is one contiguous run of W * C values
                for j in range(W):
                    for c in range(C):
                        rowrep[j * C + c] = row[sr, c if cb else 0, 0, j]
                        krep[j * C + c] = coef[sk, c if cc1 else 0, 0, 0]
                for i in range(H):
                    if cb:
                        for j in range(W):
                            for c in range(C):
                                colrep[j * C + c] = col[sr, c, i, 0]
                        for t in range(n):
                            fw[t] = (rowrep[t] + colrep[t]) * scale
                    else:
                        ci = col[sr, 0, i, 0]
                        for t in range(n):
                            fw[t] = (rowrep[t] + ci) * scale
                    mix_run(x[s, i].reshape(n), fw, krep, y[s, i].reshape(n), n, mode, unit)
            else:
                for c in range(C):
                    cr = c if cb else 0
                    krep[:] = coef[sk, c if cc1 else 0, 0, 0]
                    for i in range(H):
                        ci = col[sr, cr, i, 0]
                        for t in range(n):
                            fw[t] = (row[sr, cr, 0, t] + ci) * scale
                        mix_run(x[s, c, i], fw, krep, y[s, c, i], n, mode, unit)
        return True

    @numba.njit(nogil=True, boundscheck=False, cache=True, fastmath={"contract"})
    def mix_radial_u8(x, a, b, kind, alst, aloff, coef, y, mode, white, unit, channels_last):  # pragma: no cover
        # uint8 in and out, a field alst * t + aloff with t from per-row a (B, H) and
        # per-column b (B, W) vectors (made by torch): kind 0, a Gaussian spot, t = a_i b_j
        # (a = exp(-dy^2 / 2), b = exp(-dx^2 / 2)); kind 1, a radial ramp,
        # t = max(0, 1 - sqrt(a_i + b_j)) (a = dy^2, b = dx^2). Each product and each sum of
        # the torch path is its own rounding: they are computed in separate loops, so
        # nothing is fused into a multiply-add but the mix itself (torch's addcmul).
        B, C, H, W = bchw(x, channels_last)
        cb, fb, cc1 = alst.shape[1] > 1, coef.shape[0] > 1, coef.shape[1] > 1
        scale, n, t, p, krep, fw = u8_setup(W, C, channels_last, mode, white)
        for s in range(B):
            fs = s if fb else 0
            if channels_last:
                for j in range(W):                             # the same for every row
                    for c in range(C):
                        krep[j * C + c] = coef[fs, c if cc1 else 0, 0, 0]
            for i in range(H):
                ai = a[s, i]
                if kind == 0:
                    for j in range(W):
                        t[j] = ai * b[s, j]
                else:
                    for j in range(W):
                        r = np.float32(1.0) - np.sqrt(ai + b[s, j])
                        t[j] = r if r >= 0 else np.float32(0.0)
                if channels_last and not cb:
                    k0, o0 = alst[s, 0, 0, 0], aloff[s, 0, 0, 0]
                    for j in range(W):
                        p[j] = k0 * t[j]
                    for j in range(W):
                        t[j] = (p[j] + o0) * scale                 # the field, scaled
                    if C == 3:                                    # RGB: no inner loop
                        for j in range(W):
                            v = t[j]
                            fw[3 * j] = v
                            fw[3 * j + 1] = v
                            fw[3 * j + 2] = v
                    else:
                        for j in range(W):
                            for c in range(C):
                                fw[j * C + c] = t[j]
                    mix_run(x[s, i].reshape(n), fw, krep, y[s, i].reshape(n), n, mode, unit)
                elif channels_last:
                    for j in range(W):
                        for c in range(C):
                            p[j * C + c] = alst[s, c, 0, 0] * t[j]
                    for j in range(W):
                        for c in range(C):
                            fw[j * C + c] = (p[j * C + c] + aloff[s, c, 0, 0]) * scale
                    mix_run(x[s, i].reshape(n), fw, krep, y[s, i].reshape(n), n, mode, unit)
                else:
                    for c in range(C):
                        cr = c if cb else 0
                        k = alst[s, cr, 0, 0]
                        for j in range(W):
                            p[j] = k * t[j]
                        o = aloff[s, cr, 0, 0]
                        for j in range(W):
                            fw[j] = (p[j] + o) * scale
                        krep[:W] = coef[fs, c if cc1 else 0, 0, 0]
                        mix_run(x[s, c, i], fw, krep, y[s, c, i], W, mode, unit)
        return True

    return mix, mix_u8, mix_radial_u8


def available() -> bool:
    """Whether the fused loops can run (``numba`` importable, not disabled).

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


def mix_planar(x: torch.Tensor, row: torch.Tensor, col: torch.Tensor, coef: torch.Tensor | None,
               mode: str, clamp: bool, bounds: tuple[float, float], watch: bool) -> torch.Tensor | None:
    r"""Mix a planar field ``row + col`` into ``x`` in one pass (see the module notes).

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` uint8, float32 or float64 CPU tensor, any strides, no autograd
        (uint8: ``row``, ``col``, ``coef`` in float32; the result rounded half to even).
    row : torch.Tensor
        ``(B | 1, C' , 1, W)`` in the dtype of ``x`` (``C'`` is 1 or ``C``).
    col : torch.Tensor
        ``(B | 1, C', H, 1)``, likewise; the field is ``row + col`` (``alpha * g``).
    coef : torch.Tensor or None
        ``(B | 1, C', 1, 1)``: ``1 - alpha`` for ``blend``; ignored otherwise.
    mode : str
        ``"blend"``, ``"add"`` or ``"multiply"``.
    clamp : bool
        Clamp the result to ``bounds``.
    bounds : (float, float)
        ``(lo, hi)``.
    watch : bool
        Test every input value: when one is not in ``[+0.0, 1.0]`` (which includes NaN and
        inf) return None, leaving the caller to take its exact path.

    Returns
    -------
    torch.Tensor or None
        A new tensor like ``x`` (dtype, memory format), or None when :func:`available` is
        False, the types are not covered, or ``watch`` found a value outside ``[0, 1]``.

    Notes
    -----
    .. math:: y = \mathrm{clip}\big((r_j + c_i) + x\, k,\ lo,\ hi\big) \quad \text{(blend)}

    The input test reads the float bits as integers of the same width: a non-negative float's
    bits are a non-negative integer in the order of the floats, a sign bit makes them negative,
    and inf / NaN lie above the bits of 1.0, so ``0 <= bits <= bits(1.0)`` is exactly
    "in ``[+0.0, 1.0]``".

    Examples
    --------
    >>> import torch
    >>> x = torch.full((1, 1, 2, 3), 0.5)
    >>> row = torch.tensor([0.0, 0.1, 0.2]).reshape(1, 1, 1, 3)
    >>> col = torch.zeros(1, 1, 2, 1)
    >>> y = mix_planar(x, row, col, torch.full((1, 1, 1, 1), 0.9), "blend", True, (0.0, 1.0), True)
    >>> y is None or bool(torch.allclose(y[0, 0, 0], torch.tensor([0.45, 0.55, 0.65])))
    True
    """
    kernels = _kernel()
    if kernels is None:
        return None
    if x.dtype == torch.uint8:
        return _mix_planar_u8(kernels[1], x, row, col, coef, mode)
    kernel = kernels[0]
    if x.dtype not in ONE_BITS or x.device.type != "cpu" or x.dim() != 4:
        return None
    if any(t.dtype != x.dtype for t in (row, col)) or (coef is not None and coef.dtype != x.dtype):
        return None
    out = torch.empty_like(x)
    if x.numel() == 0:
        return out
    bits, one_bits = ONE_BITS[x.dtype]
    xn = x.detach().numpy()
    one = (np.int32 if x.dtype == torch.float32 else np.int64)(one_bits)
    k = (coef if coef is not None else torch.ones(1, 1, 1, 1, dtype=x.dtype)).detach().numpy()
    scalar = xn.dtype.type                       # lo, hi, 1 in the dtype of x (no promotion)
    xb, rn, cn, on = x.detach().view(bits).numpy(), row.detach().numpy(), col.detach().numpy(), out.numpy()
    ok = _by_samples(x.shape[0], x.numel(), lambda a, b: kernel(
        xn[a:b], xb[a:b], _rows(rn, a, b), _rows(cn, a, b), _rows(k, a, b), on[a:b], MODES[mode], bool(clamp),
        scalar(bounds[0]), scalar(bounds[1]), scalar(1), bool(watch), one))
    return out if ok else None


#: a batch of at least this many values is mixed on several threads (torch's setting)
PARALLEL_ELEMS = 1 << 20


def _rows(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Samples ``lo:hi`` of a per-sample array, or the array itself when it is shared."""
    return a[lo:hi] if a.shape[0] > 1 else a


def _by_samples(B: int, numel: int, run: Callable[[int, int], bool]) -> bool:
    """``run(a, b)`` on contiguous sample ranges covering ``0:B``: one call for a small batch,
    else one per thread of ``torch.get_num_threads()`` on the backends' pool (the loops
    release the GIL; each sample is computed by the same code, so the bits do not change).
    Returns whether every call returned True."""
    workers = min(B, torch.get_num_threads())
    if workers <= 1 or numel < PARALLEL_ELEMS:
        return bool(run(0, B))
    bounds = [B * w // workers for w in range(workers + 1)]
    oks = [True] * workers

    def job(w: int) -> None:
        oks[w] = bool(run(bounds[w], bounds[w + 1]))

    pool.parallel(workers, job, workers, min_jobs=2)
    return all(oks)


def _u8_layout(x: torch.Tensor) -> tuple[torch.Tensor, np.ndarray, np.ndarray, bool]:
    """What the uint8 loops walk: the empty result (``x``'s memory format), the numpy views
    of ``x`` and of the result (``(B, H, W, C)`` when ``x`` is channels-last with C > 1, else
    ``(B, C, H, W)``, ``x`` made contiguous if it is neither), and whether channels-last."""
    x = x.detach()
    cl = x.shape[1] > 1 and x.is_contiguous(memory_format=torch.channels_last)
    if not cl and not x.is_contiguous():
        x = x.contiguous()
    if not cl:
        out = torch.empty_like(x)
        return out, x.numpy(), out.numpy(), cl
    # channels-last: numpy views (a torch view costs a few microseconds, a numpy one a
    # fraction of that, which counts for one small image per call)
    B, C, H, W = x.shape
    out_t = torch.empty((B, H, W, C), dtype=x.dtype)
    return out_t.permute(0, 3, 1, 2), x.numpy().transpose(0, 2, 3, 1), out_t.numpy(), cl


def _mix_planar_u8(kernel: Callable[..., Any], x: torch.Tensor, row: torch.Tensor, col: torch.Tensor,
                   coef: torch.Tensor | None, mode: str) -> torch.Tensor | None:
    """:func:`mix_planar` for a uint8 ``x`` (``row``, ``col``, ``coef`` in float32): the field
    scaled to [0, 255], the mix, clamp, rounding half to even and the cast in one pass,
    walking channels-last memory (a numpy ``(H, W, C)`` image) in its own order."""
    if x.device.type != "cpu" or x.dim() != 4 or any(
            t is not None and t.dtype != torch.float32 for t in (row, col, coef)):
        return None
    out, xn, yn, cl = _u8_layout(x)
    if out.numel() == 0:
        return out
    k = (coef if coef is not None else torch.ones(1, 1, 1, 1)).detach().numpy()
    rn, cn = row.detach().numpy(), col.detach().numpy()
    _by_samples(x.shape[0], x.numel(), lambda a, b: kernel(
        xn[a:b], _rows(rn, a, b), _rows(cn, a, b), _rows(k, a, b), yn[a:b], MODES[mode],
        np.float32(255.0), np.float32(1.0), cl))
    return out


# ----------------------------------------------------------------------------- registry
@register("numba", "field")
def field(x: torch.Tensor, op: str, params: dict, check: Callable | None = None) -> torch.Tensor:
    """The ``("numba", "field")`` entry of :mod:`pixelgrad.backends.registry`: a planar
    illumination op (``linear_gradient``, ``corner_gradient``; uint8 / float32 / float64),
    or a radial one (``gaussian_spot``, ``radial_gradient``; uint8) in one fused pass.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` uint8 / float32 / float64 CPU tensor.
    op : str
        The illumination op.
    params : dict
        Its validated parameters (see :mod:`pixelgrad.functional.illumination`).
    check : callable, optional
        The finite check of ``x`` still to run; its presence makes the loop watch the input.

    Returns
    -------
    torch.Tensor
        The same bits as the ``("torch", "field")`` function.

    Raises
    ------
    Uncovered
        Without numba, for another op, dtype or device, parameters that require grad, or
        when an input value lies outside ``[0, 1]`` (the torch function's exact path then
        finds the image's own range and runs ``check``).

    Examples
    --------
    >>> import torch
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> p = {"a": one, "b": 0 * one, "alpha": one, "offset": 0 * one, "mode": "add", "clamp": True}
    >>> try:
    ...     y = field(torch.zeros(1, 1, 1, 3), "linear_gradient", p)[0, 0, 0].tolist()
    ... except Uncovered:                       # without numba
    ...     y = [0.0, 0.5, 1.0]
    >>> y
    [0.0, 0.5, 1.0]
    """
    from . import field_torch as ft

    if not available():
        raise Uncovered("an install without numba (pip install 'pixelgrad[numba]')")
    lin = ft.planar(op, params)
    if lin is None and op in ("gaussian_spot", "radial_gradient") and x.dtype == torch.uint8:
        return _radial_u8(x, op, params)
    if lin is None:
        raise Uncovered(f"the op {op!r} (numba runs the planar fields, and the radial ones on uint8)")
    if x.device.type != "cpu" or (x.dtype not in ONE_BITS and x.dtype != torch.uint8):
        raise Uncovered(f"a {x.device.type} {x.dtype} tensor (numba: uint8 / float32 / float64 on the CPU)")
    alpha = params["alpha"]
    if ft.tracks_grad(x, alpha, *lin):
        raise Uncovered("a tensor that requires grad")
    mode, clamp = params["mode"], params["clamp"]
    H, W = x.shape[-2:]
    cdt = torch.float32 if x.dtype == torch.uint8 else x.dtype
    row, col = ft._planar_numpy(alpha, lin[0], lin[1], lin[2], H, W, cdt)
    coef = (torch.from_numpy(ft._as4_numpy(1.0 - alpha.detach().numpy(), cdt))
            if mode == "blend" else None)
    y = mix_planar(x, row, col, coef, mode, clamp, (0.0, 1.0), clamp or check is not None)
    if y is None:
        raise Uncovered("an input value outside [0, 1] (the exact path finds the image's range)")
    return y


def _radial_u8(x: torch.Tensor, op: str, params: dict) -> torch.Tensor:
    """``gaussian_spot`` / ``radial_gradient`` on a uint8 CPU tensor in one numba pass: the
    per-row and per-column parts of the field made by torch exactly as the torch path makes
    them (:func:`pixelgrad.backends.field_torch._radial_parts`), the rest in the loop, with
    the torch path's roundings (same bits)."""
    from . import field_torch as ft

    kernels = _kernel()
    if kernels is None or x.device.type != "cpu" or x.dim() != 4:
        raise Uncovered("an install without numba or a non-CPU tensor")
    al, st, off = params["alpha"], params["strength"], params["offset"]
    if ft.tracks_grad(x, al, st, off, params["center"]):
        raise Uncovered("a tensor that requires grad")
    cdt = torch.float32
    B, C, H, W = x.shape
    # the torch path's float32 / float64 operations in the same order, in numpy (exactly
    # rounded, so the same bits: a few microseconds where torch's per-op cost is tens); the
    # exponential stays torch's, on the same values in the same memory order
    c = params["center"].detach().numpy()
    scale = params["sigma" if op == "gaussian_spot" else "radius"].detach().numpy()
    f32 = np.float32
    dy = (ft._grid_numpy(H, cdt)[None, :] - c[:, 0].astype(f32)[:, None]) / scale[:, 0].astype(f32)[:, None]
    dx = (ft._grid_numpy(W, cdt)[None, :] - c[:, 1].astype(f32)[:, None]) / scale[:, 1].astype(f32)[:, None]
    if op == "gaussian_spot":
        an = torch.exp(torch.from_numpy(-0.5 * dy * dy)).numpy()
        bn = torch.exp(torch.from_numpy(-0.5 * dx * dx)).numpy()
        kind = 0
    else:
        an, bn, kind = dy * dy, dx * dx, 1
    aln = al.detach().numpy()
    alst, aloff = (ft._as4_numpy(aln * t.detach().numpy(), cdt) for t in (st, off))
    kn, on = (np.ascontiguousarray(np.broadcast_to(t, (B, *t.shape[1:]))) for t in (alst, aloff))
    out, xn, yn, cl = _u8_layout(x)
    if out.numel() == 0:
        return out
    k = ft._as4_numpy(1.0 - aln, cdt) if params["mode"] == "blend" else np.ones((1, 1, 1, 1), np.float32)
    _by_samples(B, out.numel(), lambda lo, hi: kernels[2](
        xn[lo:hi], an[lo:hi], bn[lo:hi], kind, kn[lo:hi], on[lo:hi], _rows(k, lo, hi), yn[lo:hi],
        MODES[params["mode"]], np.float32(255.0), np.float32(1.0), cl))
    return out


from . import shear_lines  # noqa: E402,F401  (registers ("numba", "shear"))
