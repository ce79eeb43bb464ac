"""Kernels wider than the image, folded onto the image's border period.

Correlating a length-``n`` signal with taps at offsets ``o`` reads ``x[border(i + o)]``.
Every border mode makes many offsets read the same sample for *every* output ``i``:

    circular   period n       canon(o) = ((o + n//2) mod n) - n//2        in [-(n//2), n - 1 - n//2]
    reflect    period 2n - 2  canon(o) = ((o + n - 1) mod (2n - 2)) - (n - 1)   in [-(n-1), n-2]
    symmetric  period 2n      canon(o) = ((o + n) mod 2n) - n             in [-n, n-1]
    replicate  clamp          canon(o) = clamp(o, -(n-1), n-1)            (all of x's edge)
    constant   drop           taps with |o| > n - 1 never touch the image (they multiply 0)

so the kernel ``w`` equals the *folded* kernel ``w'[q] = sum_{canon(o) = q} w[o]`` of
radius at most ``n`` on that signal, exactly (up to float summation order). A box of size
10^9 or a Gaussian of sigma 10^6 on a 16-pixel image then costs a 33-tap filter instead
of gigabytes of weights. The folded kernels are built without materialising the wide one
(counting for the box, chunks for the Gaussian).

Bounded cost for any sigma: summing the taps of a class one by one costs O(r) (r = 4 sigma:
minutes for sigma = 1e9). When the kernel is much wider than the border period (sigma >= 16
periods, and more than 2^20 taps) each class sum ``sum_k exp(-(q + kP)^2 / (2 sigma^2))`` over
the truncated range is evaluated in closed form instead (:func:`gauss_sum`: the Gaussian
integral plus Euler-Maclaurin end corrections, exact to float64 rounding because the summand
is smooth on the scale of its unit spacing), so the cost is O(n) whatever sigma. As sigma
grows the folded kernel tends to the uniform weight ``1 / P`` on every class: the blur
converges to the mean over the border period, as it should.
"""
from __future__ import annotations

import math

import torch

from .box import box_for_filtering
from .gaussian import gaussian_radius, kernel1d_for_filtering

_CHUNK = 1 << 20


def fold_radius(n: int, border: str) -> int:
    """Radius of a kernel folded onto the border period of a length-``n`` signal.

    Parameters
    ----------
    n : int
        Length of the signal.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    int
        ``n // 2`` for ``circular``, ``n`` for ``symmetric``, ``n - 1`` otherwise.

    Examples
    --------
    >>> fold_radius(5, "circular"), fold_radius(5, "reflect"), fold_radius(5, "symmetric")
    (2, 4, 5)
    """
    if border == "circular":
        return n // 2
    if border == "symmetric":
        return n
    return n - 1                     # reflect, replicate, constant


def needs_fold(radius: int, n: int, border: str) -> bool:
    """Whether a kernel of ``radius`` is folded for a length-``n`` signal.

    Parameters
    ----------
    radius : int
        Radius of the kernel.
    n : int
        Length of the signal.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    bool
        True when folding at least halves the kernel,
        ``radius > 2 fold_radius(n, border) + 2``; ordinary kernels stay as they are.

    Examples
    --------
    >>> needs_fold(4, 16, "reflect"), needs_fold(100, 16, "reflect")
    (False, True)
    """
    return radius > 2 * fold_radius(n, border) + 2


def canonical_offset(o: torch.Tensor, n: int, border: str) -> torch.Tensor:
    """The canonical offset of each tap offset: taps with equal ones read the same sample.

    Parameters
    ----------
    o : torch.Tensor
        Integer tap offsets, any shape.
    n : int
        Length of the signal.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    torch.Tensor
        int64 ``canon(o)`` of the table in the module docstring, within
        ``[-R, R]``, ``R = fold_radius(n, border)``; for ``constant``, taps that never reach
        the signal map outside that range (the caller drops them).

    Examples
    --------
    >>> import torch
    >>> canonical_offset(torch.arange(-6, 7), 4, "circular").tolist()
    [-2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2]
    >>> canonical_offset(torch.arange(-6, 7), 4, "reflect").tolist()
    [0, 1, 2, -3, -2, -1, 0, 1, 2, -3, -2, -1, 0]
    """
    if border == "circular":
        h = n // 2
        return (o + h).remainder(n) - h
    if border == "reflect":
        if n == 1:
            return torch.zeros_like(o)
        return (o + (n - 1)).remainder(2 * n - 2) - (n - 1)
    if border == "symmetric":
        return (o + n).remainder(2 * n) - n
    if border == "replicate":
        return o.clamp(-(n - 1), n - 1)
    if border == "constant":
        return torch.where(o.abs() <= n - 1, o, torch.full_like(o, n))
    raise AssertionError(border)


def fold_kernel1d(kernel: torch.Tensor, n: int, border: str) -> torch.Tensor:
    """Fold a centred 1-D kernel onto the border period of a length-``n`` signal.

    Parameters
    ----------
    kernel : torch.Tensor
        ``(2 r + 1,)``, centred.
    n : int
        Length of the signal.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    torch.Tensor
        ``(2 R + 1,)`` float64, ``R = fold_radius(n, border)``: the sum of the taps of each
        canonical offset. On a length-``n`` signal it filters exactly as ``kernel`` does.

    Examples
    --------
    >>> from pixelgrad.kernels.gaussian import gaussian_kernel1d
    >>> k = fold_kernel1d(gaussian_kernel1d(30.0), 5, "reflect")    # 241 taps -> 9
    >>> k.shape, round(float(k.sum()), 12)
    (torch.Size([9]), 1.0)
    """
    r = kernel.numel() // 2
    out = torch.zeros(2 * fold_radius(n, border) + 1, dtype=torch.float64)
    for start in range(-r, r + 1, _CHUNK):
        stop = min(start + _CHUNK, r + 1)
        _accumulate(out, start, kernel[start + r:stop + r].to(torch.float64), n, border)
    return out


def _accumulate(out: torch.Tensor, start: int, w: torch.Tensor, n: int, border: str) -> None:
    """Add the taps ``w`` at the consecutive offsets ``start, start + 1, ...`` into the folded
    kernel ``out`` (vectorised: periodic borders sum whole periods first)."""
    R = out.numel() // 2
    period = {"circular": n, "reflect": 2 * n - 2 if n > 1 else 1, "symmetric": 2 * n}.get(border)
    if period is not None and w.numel() > period:
        pad = (-w.numel()) % period
        w = torch.nn.functional.pad(w, (0, pad)).reshape(-1, period).sum(0)
    elif border in ("replicate", "constant") and w.numel() > 2 * n + 1:
        m = n - 1                      # offsets below -m / above m: one edge bin or nothing
        a = min(w.numel(), max(0, -m - start))
        b = min(w.numel(), max(a, m + 1 - start))
        if border == "replicate":
            out[0] += w[:a].sum()
            out[-1] += w[b:].sum()
        w, start = w[a:b], start + a
    o = torch.arange(start, start + w.numel(), dtype=torch.int64)
    q = canonical_offset(o, n, border)
    keep = q.abs() <= R
    out.index_add_(0, q[keep] + R, w[keep])


#: the closed form is used beyond this many taps, for kernels at least this many periods wide
_CLOSED_FORM_TAPS = _CHUNK
_CLOSED_FORM_WIDTH = 16.0


def gauss_sum(c: float, s: float, a: int, b: int) -> float:
    """Sum of Gaussian samples over an integer range, in closed form.

    Parameters
    ----------
    c : float
        Centre of the Gaussian.
    s : float
        Its standard deviation; the formula is accurate to float64 for ``s >= 16``.
    a, b : int
        The range ``a <= k <= b`` (an empty range gives 0).

    Returns
    -------
    float
        ``sum_{k=a}^{b} exp(-(k - c)^2 / (2 s^2))``: the integral (by ``erf``) plus the
        Euler-Maclaurin end corrections up to the fifth derivative; O(1) for any range.

    Notes
    -----
    With ``f(x) = exp(-u^2 / 2)``, ``u = (x - c) / s`` and ``f1, f3, f5`` its first, third and
    fifth derivatives::

        sum_{k=a}^{b} f(k) = int_a^b f + (f(a) + f(b)) / 2 + (f1(b) - f1(a)) / 12
                             - (f3(b) - f3(a)) / 720 + (f5(b) - f5(a)) / 30240 + R

    ``f_{2j-1}(x) = -He_{2j-1}(u) f(x) / s^(2j-1)`` (probabilists' Hermite polynomials). For a
    Gaussian the remainder ``R`` is at most ``~exp(-2 pi^2 s^2)`` plus ``|f7| / 1.2e6`` at the
    ends, negligible in float64 for ``s >= 16``.

    Examples
    --------
    >>> import math
    >>> direct = sum(math.exp(-(k - 3.5) ** 2 / (2 * 20.0 ** 2)) for k in range(-100, 61))
    >>> abs(gauss_sum(3.5, 20.0, -100, 60) - direct) < 1e-9 * direct
    True
    """
    if a > b:
        return 0.0
    s = float(s)
    ua, ub = (float(a) - c) / s, (float(b) - c) / s
    rt2 = math.sqrt(2.0)
    integral = s * math.sqrt(math.pi / 2) * (math.erf(ub / rt2) - math.erf(ua / rt2))

    def ends(u: float) -> tuple[float, float, float, float]:
        f = math.exp(-0.5 * u * u)
        d1 = -u * f / s                       # divided step by step: no overflow of s^k
        d3 = -(u ** 3 - 3 * u) * f / s / s / s
        d5 = -(u ** 5 - 10 * u ** 3 + 15 * u) * f / s / s / s / s / s
        return f, d1, d3, d5

    fa, a1, a3, a5 = ends(ua)
    fb, b1, b3, b5 = ends(ub)
    return integral + (fa + fb) / 2 + (b1 - a1) / 12 - (b3 - a3) / 720 + (b5 - a5) / 30240


def _period(n: int, border: str) -> tuple[int, int] | None:
    """``(P, lo)``: period and lowest class representative of a periodic border."""
    if border == "circular":
        return n, -(n // 2)
    if border == "reflect":
        return 2 * n - 2, -(n - 1)
    if border == "symmetric":
        return 2 * n, -n
    return None


def _use_closed_form(sigma: float, r: int, n: int, border: str) -> bool:
    if r <= _CLOSED_FORM_TAPS:
        return False
    per = _period(n, border)
    width = per[0] if per is not None and per[0] > 0 else 1
    return sigma >= _CLOSED_FORM_WIDTH * width


def _folded_gaussian_closed(sigma: float, r: int, n: int, border: str) -> torch.Tensor:
    """:func:`folded_gaussian1d` in closed form (:func:`gauss_sum`), O(n) for any sigma."""
    R = fold_radius(n, border)
    if border == "reflect" and n == 1:
        return torch.ones(1, dtype=torch.float64)
    per = _period(n, border)
    if per is not None:
        P, lo = per
        out = [0.0] * (2 * R + 1)
        s = sigma / P
        for v in range(lo, lo + P):
            ka = -((r + v) // P)                 # ceil((-r - v) / P)
            kb = (r - v) // P                    # floor((r - v) / P)
            out[v + R] = gauss_sum(-v / P, s, ka, kb)
        total = math.fsum(out)
    else:
        m = n - 1
        g = [math.exp(-0.5 * (q / sigma) ** 2) for q in range(-m, m + 1)]
        total = gauss_sum(0.0, sigma, -r, r)
        if border == "replicate":
            tail = gauss_sum(0.0, sigma, m, r)    # offsets m .. r land on the edge sample
            out = [total] if m == 0 else [tail] + g[1:-1] + [tail]
        else:                                     # constant: taps beyond the image are dropped
            out = g
    return torch.tensor(out, dtype=torch.float64) / total


def gaussian_support(sigma: float) -> int:
    """The radius beyond which every Gaussian weight is exactly zero in float64.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels, ``> 0``.

    Returns
    -------
    int
        ``ceil(38.7 sigma) + 1``: ``exp(-t^2 / (2 sigma^2))`` underflows to ``0.0`` for
        ``|t| > 38.6 sigma`` (``exp(x) == 0`` below ``x = -745.2``), so the taps of a longer
        kernel add exact zeros and can be skipped without changing a bit of the result.

    Examples
    --------
    >>> gaussian_support(2.0)
    79
    """
    return int(math.ceil(_UNDERFLOW * float(sigma))) + 1


#: ``sqrt(2 * 745.2)``: ``exp(-t^2 / 2) == 0.0`` in float64 for ``t`` above it
_UNDERFLOW = 38.7


def folded_gaussian1d(sigma: float, truncate: float, n: int, border: str,
                      radius: int | None = None) -> torch.Tensor:
    """The Gaussian of :func:`pixelgrad.kernels.gaussian.gaussian_kernel1d`, folded for length ``n``.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels.
    truncate : float
        Radius in standard deviations (radius ``ceil(truncate * sigma)``).
    n : int
        Length of the signal.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.
    radius : int, optional
        The kernel's radius, given instead of ``truncate`` (any size, e.g. ``10**12``).

    Returns
    -------
    torch.Tensor
        ``(2 fold_radius(n, border) + 1,)`` float64, equal to folding the full kernel, built
        without it: memory O(n + 2^20), time O(min(r, 128 n, 39 sigma)) for any sigma and
        radius (closed form for kernels many periods wide, see the module docstring; the taps
        beyond :func:`gaussian_support`, exact zeros, are skipped).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.kernels.gaussian import gaussian_kernel1d
    >>> torch.allclose(folded_gaussian1d(30.0, 4.0, 5, "reflect"),
    ...                fold_kernel1d(gaussian_kernel1d(30.0), 5, "reflect"))
    True
    >>> folded_gaussian1d(2.0, 4.0, 16, "reflect", radius=10**12).shape   # instant
    torch.Size([31])
    """
    r = gaussian_radius(sigma, truncate) if radius is None else int(radius)
    support = gaussian_support(sigma)
    if _use_closed_form(float(sigma), min(r, support), n, border):
        # beyond the support every term is an exact zero (erf saturated): same sums
        return _folded_gaussian_closed(float(sigma), min(r, support), n, border)
    out = torch.zeros(2 * fold_radius(n, border) + 1, dtype=torch.float64)
    total = 0.0
    # chunks entirely beyond the support hold exact zeros: start at the first one that does
    # not (same chunk boundaries as the whole loop, so the same sums bit for bit)
    first = -r + _CHUNK * (max(0, r - support) // _CHUNK)
    for start in range(first, min(r, support) + 1, _CHUNK):
        o = torch.arange(start, min(start + _CHUNK, r + 1), dtype=torch.float64)
        w = torch.exp(-0.5 * (o / sigma) ** 2)
        total += float(w.sum())
        _accumulate(out, start, w, n, border)
    return out / total


def folded_box1d(size: int, n: int, border: str) -> torch.Tensor:
    """The box kernel of odd ``size``, folded for length ``n`` by counting.

    Parameters
    ----------
    size : int
        Odd length of the box (weights ``1 / size`` over ``|o| <= size // 2``); any size,
        e.g. 10^9 + 1.
    n : int
        Length of the signal.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    torch.Tensor
        ``(2 fold_radius(n, border) + 1,)`` float64: the number of offsets of each class,
        counted exactly with integers, divided by ``size``.

    Examples
    --------
    >>> folded_box1d(11, 4, "circular").mul(11).round().tolist()   # 11 offsets on period 4
    [2.0, 3.0, 3.0, 3.0, 0.0]
    """
    h = int(size) // 2
    R = fold_radius(n, border)
    q = list(range(-R, R + 1))
    if border in ("circular", "reflect", "symmetric"):
        if border == "reflect" and n == 1:
            counts = [2 * h + 1 if v == 0 else 0 for v in q]
        else:
            P = {"circular": n, "reflect": 2 * n - 2, "symmetric": 2 * n}[border]
            lo = {"circular": -(n // 2), "reflect": -(n - 1), "symmetric": -n}[border]
            # classes are the representatives lo .. lo + P - 1; count o in [-h, h], o = v (mod P)
            counts = [(_count_congruent(-h, h, v, P) if lo <= v < lo + P else 0) for v in q]
    elif border == "replicate":
        m = n - 1
        counts = [(max(0, h - m + 1) if abs(v) == m and h >= m else (1 if abs(v) <= min(h, m) else 0))
                  for v in q]
        if m == 0:
            counts = [2 * h + 1]
    else:  # constant
        counts = [1 if abs(v) <= h else 0 for v in q]
    return torch.tensor([c / size for c in counts], dtype=torch.float64)


def _count_congruent(a: int, b: int, v: int, P: int) -> int:
    """How many integers o in [a, b] satisfy o = v (mod P)."""
    return (b - v) // P - (a - 1 - v) // P


def folded_kernel2d(kernel: torch.Tensor, H: int, W: int, border: str) -> torch.Tensor:
    """Fold a centred 2-D kernel along each axis that needs it (the rule of :func:`needs_fold`).

    Parameters
    ----------
    kernel : torch.Tensor
        ``(2 ry + 1, 2 rx + 1)``, centred.
    H, W : int
        Size of the image.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    torch.Tensor
        float64; each axis folded when its radius needs it, else kept as it is.

    Examples
    --------
    >>> import torch
    >>> folded_kernel2d(torch.ones(41, 3) / 123, 5, 40, "replicate").shape   # rows folded only
    torch.Size([9, 3])
    """
    k = kernel.to(torch.float64)
    ry, rx = k.shape[0] // 2, k.shape[1] // 2
    if needs_fold(ry, H, border):
        R = fold_radius(H, border)
        q = canonical_offset(torch.arange(-ry, ry + 1), H, border)
        keep = q.abs() <= R
        out = torch.zeros(2 * R + 1, k.shape[1], dtype=torch.float64)
        k = out.index_add_(0, q[keep] + R, k[keep])
    if needs_fold(rx, W, border):
        R = fold_radius(W, border)
        q = canonical_offset(torch.arange(-rx, rx + 1), W, border)
        keep = q.abs() <= R
        out = torch.zeros(k.shape[0], 2 * R + 1, dtype=torch.float64)
        k = out.index_add_(1, q[keep] + R, k[:, keep])
    return k


def gaussian1d_for_axis(sigma: float, truncate: float, n: int, border: str) -> torch.Tensor:
    """The 1-D Gaussian to filter an axis of length ``n`` with.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels.
    truncate : float
        Radius in standard deviations.
    n : int
        Length of the axis.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    torch.Tensor
        float64: the exact kernel, folded onto the border period when it is much wider than
        the axis (same result, bounded memory). Never edit it (it may be cached).

    Examples
    --------
    >>> gaussian1d_for_axis(2.0, 4.0, 100, "reflect").shape, gaussian1d_for_axis(1e4, 4.0, 100, "reflect").shape
    (torch.Size([17]), torch.Size([199]))
    """
    if needs_fold(gaussian_radius(sigma, truncate), n, border):
        return folded_gaussian1d(sigma, truncate, n, border)
    return kernel1d_for_filtering(sigma, truncate)


def box1d_for_axis(size: int, n: int, border: str) -> torch.Tensor:
    """The 1-D box of odd ``size`` to filter an axis of length ``n`` with.

    Parameters
    ----------
    size : int
        Odd length of the box.
    n : int
        Length of the axis.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    torch.Tensor
        float64: the box, folded when much wider than the axis (never materialising ``size``
        weights). Never edit it (it may be cached).

    Examples
    --------
    >>> box1d_for_axis(5, 100, "reflect").shape, box1d_for_axis(10**9 + 1, 100, "circular").shape
    (torch.Size([5]), torch.Size([101]))
    """
    if needs_fold(size // 2, n, border):
        return folded_box1d(size, n, border)
    return box_for_filtering(size)
