"""Anti-aliased motion (line) kernels.

A motion blur of ``length`` L along ``angle`` a (radians; 0 = horizontal, positive angles
turn clockwise on screen because image rows grow downwards) is the average of the image
along a segment of length L. The kernel is that segment drawn on the pixel grid:

    profile(i) = clip(L/2 + 1/2 - |i|, 0, 1)     pixel i's coverage of [-L/2, L/2]
    w(i)       = max(0, 1 + direction * i / (L/2))  (direction in [-1, 1]; 0 = uniform)
    K(x, y)    = sum_i profile(i) w(i) tent(u - i) tent(v),   tent(s) = max(0, 1 - |s|)
    u = x cos a + y sin a,  v = -x sin a + y cos a,  then K /= sum K

i.e. the horizontal 1-D box ``profile * w`` rotated by bilinear interpolation. For
``angle = 0`` and odd integer L it is exactly the box ``1/L`` over L pixels; for other
angles the tent gives a smooth (anti-aliased) line whose weights still sum to 1.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch


def motion_radius(length: float) -> int:
    """Half-size of the square kernel that holds a line of ``length`` pixels at any angle.

    Parameters
    ----------
    length : float
        Length of the segment in pixels, ``> 0`` (fractional lengths allowed).

    Returns
    -------
    int
        ``ceil(sqrt((imax + 1)^2 + 1))`` with ``imax`` the last sample of the segment that has
        non-zero coverage: the bilinear footprint of the line fits in ``|x|, |y| <= radius``.

    Examples
    --------
    >>> motion_radius(1.0), motion_radius(9.0), motion_radius(9.5)
    (2, 6, 7)
    """
    imax = max(0, math.ceil(length / 2 + 0.5 - 1e-9) - 1)
    return int(math.ceil(math.sqrt((imax + 1) ** 2 + 1) - 1e-9))


def motion_kernel_size(length: float) -> int:
    """Side of the square motion kernel, ``2 * motion_radius(length) + 1``.

    Parameters
    ----------
    length : float
        Length of the segment in pixels.

    Returns
    -------
    int
        The odd side ``K`` of the ``(K, K)`` kernel of :func:`motion_kernel2d`.

    Examples
    --------
    >>> motion_kernel_size(9.0)
    13
    """
    return 2 * motion_radius(length) + 1


def motion_kernel2d(length: float | torch.Tensor, angle: float | torch.Tensor,
                    direction: float | torch.Tensor = 0.0, *, radius: int | None = None,
                    dtype: torch.dtype = torch.float64,
                    device: torch.device | str = "cpu") -> torch.Tensor:
    """Anti-aliased motion (line) kernels, one or one per sample.

    Parameters
    ----------
    length : float or torch.Tensor
        Length of the segment in pixels (``> 0``, fractional allowed), or ``(B,)``.
    angle : float or torch.Tensor
        Direction in radians (0 = horizontal; positive turns clockwise on screen), or ``(B,)``.
    direction : float or torch.Tensor, default 0.0
        In ``[-1, 1]``: weights ramp linearly towards one end (a "comet" trail); 0 = uniform.
    radius : int, optional
        Half-size of the kernel; default :func:`motion_radius` of the longest line.
    dtype : torch.dtype, default torch.float64
        dtype of the weights (computed in float64, then cast).
    device : torch.device or str, default "cpu"
        Where the weights live.

    Returns
    -------
    torch.Tensor
        ``(K, K)`` when every argument is a number, ``(B, K, K)`` when one is a ``(B,)``
        tensor, ``K = 2 radius + 1``; each kernel sums to 1.

    Notes
    -----
    The formula is in the module docstring: the 1-D box ``profile(i) w(i)`` rotated by
    bilinear interpolation. For ``angle = 0`` and an odd integer length ``L`` it is exactly
    the box ``1 / L`` over ``L`` pixels.

    Examples
    --------
    >>> k = motion_kernel2d(5.0, 0.0)          # a horizontal box of 5 pixels in a 9 x 9 kernel
    >>> k.shape, k[4, 2:7].tolist(), float(k.sum() - k[4, 2:7].sum())
    (torch.Size([9, 9]), [0.2, 0.2, 0.2, 0.2, 0.2], 0.0)
    >>> import torch
    >>> kb = motion_kernel2d(torch.tensor([3.0, 9.0]), torch.tensor([0.0, 0.7]))
    >>> kb.shape, [round(float(v), 12) for v in kb.sum(dim=(1, 2))]
    (torch.Size([2, 13, 13]), [1.0, 1.0])
    """
    if not any(isinstance(v, torch.Tensor) for v in (length, angle, direction)):
        k = _kernel2d_one(float(length), float(angle), float(direction), radius)
        return k.to(dtype=dtype, device=device)
    batched = any(isinstance(v, torch.Tensor) and v.ndim > 0 for v in (length, angle, direction))
    L = torch.as_tensor(length, dtype=torch.float64).reshape(-1)
    a = torch.as_tensor(angle, dtype=torch.float64).reshape(-1)
    d = torch.as_tensor(direction, dtype=torch.float64).reshape(-1)
    B = max(L.numel(), a.numel(), d.numel())
    L, a, d = (v.expand(B) if v.numel() == 1 else v for v in (L, a, d))
    r = motion_radius(float(L.detach().max())) if radius is None else int(radius)
    imax = max(0, math.ceil(float(L.detach().max()) / 2 + 0.5 - 1e-9) - 1)
    i = torch.arange(-imax, imax + 1, dtype=torch.float64)                       # (I,)
    profile = (L[:, None] / 2 + 0.5 - i.abs()[None, :]).clamp(0, 1)              # (B, I)
    w = (1 + d[:, None] * i[None, :] / (L[:, None] / 2)).clamp(min=0)
    weight = profile * w                                                          # (B, I)
    y = torch.arange(-r, r + 1, dtype=torch.float64)[:, None]
    x = torch.arange(-r, r + 1, dtype=torch.float64)[None, :]
    c, s = torch.cos(a)[:, None, None], torch.sin(a)[:, None, None]
    u = x * c + y * s                                                             # (B, K, K)
    v = -x * s + y * c
    # sum_i weight(i) tent(u - i) has at most two non-zero terms, i = floor(u) and floor(u) + 1;
    # gathering them keeps memory at O(B K^2) (the (B, K, K, I) tensor of all terms needs
    # ~8 GB at length 1000) and gives bitwise the same values.
    f = torch.floor(u)
    padded = torch.nn.functional.pad(weight, (1, 1))                              # weight(i) = 0 outside
    i0 = (f + (imax + 1)).clamp_(0, 2 * imax + 2).long()
    i1 = (f + (imax + 2)).clamp_(0, 2 * imax + 2).long()
    w0 = padded.gather(1, i0.reshape(B, -1)).reshape(u.shape)
    w1 = padded.gather(1, i1.reshape(B, -1)).reshape(u.shape)
    t0 = (1 - (u - f)).clamp_(min=0)                                              # tent(u - floor u)
    t1 = (1 - ((f + 1) - u)).clamp_(min=0)                                        # tent(u - floor u - 1)
    tent_v = (1 - v.abs()).clamp(min=0)
    k = (w0 * t0 + w1 * t1) * tent_v
    k = k / k.sum(dim=(-2, -1), keepdim=True)
    k = k.to(dtype=dtype, device=device)
    return k if batched else k[0]


def _kernel2d_one(length: float, angle: float, direction: float, radius: int | None) -> torch.Tensor:
    """One kernel of :func:`motion_kernel2d` from numbers (see :func:`kernels2d_numpy`)."""
    return kernels2d_numpy([length], [angle], [direction], [radius])[0]


@lru_cache(maxsize=64)
def _grid(R: int) -> tuple[np.ndarray, np.ndarray]:
    """The read-only offsets ``y`` ``(1, K, 1)`` and ``x`` ``(1, 1, K)``, ``K = 2 R + 1``."""
    y = np.arange(-R, R + 1, dtype=np.float64)[None, :, None]
    x = np.arange(-R, R + 1, dtype=np.float64)[None, None, :]
    y.flags.writeable = False
    x.flags.writeable = False
    return y, x


@lru_cache(maxsize=64)
def _taps(imax: int) -> tuple[np.ndarray, np.ndarray]:
    """The read-only tap offsets ``i`` ``(1, 2 imax + 1)`` along the line and ``|i|``."""
    i = np.arange(-imax, imax + 1, dtype=np.float64)[None, :]
    a = np.abs(i)
    i.flags.writeable = False
    a.flags.writeable = False
    return i, a


def kernels2d_numpy(lengths: list[float], angles: list[float], directions: list[float],
                    radii: list[int | None]) -> list[torch.Tensor]:
    """Motion kernels from numbers, each of its own radius, in one vectorised numpy build.

    The operations of :func:`motion_kernel2d` in numpy (a few microseconds each, where
    torch's per-op dispatch costs tens), in the same order: every step is an exactly rounded
    IEEE operation, so each kernel has bitwise the values of its own build, whatever the
    other kernels of the call. The cosine and sine (per kernel, on one-element tensors) and
    the normalising sum (over the kernel's own contiguous weights) are torch's.

    Parameters
    ----------
    lengths, angles, directions : list of float
        Per kernel, as in :func:`motion_kernel2d`.
    radii : list of int or None
        Per kernel: its half-size, or None for :func:`motion_radius` of its length.

    Returns
    -------
    list of torch.Tensor
        Float64 ``(2 r + 1, 2 r + 1)`` kernels, each summing to 1.

    Examples
    --------
    >>> ks = kernels2d_numpy([3.0, 9.0], [0.0, 0.5], [0.0, 0.0], [None, None])
    >>> [tuple(k.shape) for k in ks], bool(torch.equal(ks[1], motion_kernel2d(9.0, 0.5)))
    ([(7, 7), (13, 13)], True)
    """
    n = len(lengths)
    rs = [motion_radius(L) if r is None else int(r) for L, r in zip(lengths, radii)]
    R = max(rs)
    Lv = np.array(lengths, dtype=np.float64)[:, None]                       # (n, 1)
    dv = np.array(directions, dtype=np.float64)[:, None]
    imaxs = [max(0, math.ceil(L / 2 + 0.5 - 1e-9) - 1) for L in lengths]
    imax = max(imaxs)
    i, abs_i = _taps(imax)                                                  # (1, I)
    # beyond a kernel's own imax its profile is 0, so the shared range changes no weight;
    # min(max(.)) is np.clip's value (the arguments are finite) without its wrapper's cost,
    # which counts for one kernel per call
    profile = np.minimum(np.maximum(Lv / 2 + 0.5 - abs_i, 0), 1)
    weight = profile * np.maximum(1 + dv * i / (Lv / 2), 0)                # (n, I)
    y, x = _grid(R)
    cs = [torch.tensor([v], dtype=torch.float64) for v in angles]
    c = np.array([float(torch.cos(t)) for t in cs])[:, None, None]
    s = np.array([float(torch.sin(t)) for t in cs])[:, None, None]
    u = x * c + y * s                                                       # (n, K, K)
    v = -x * s + y * c
    f = np.floor(u)
    padded = np.zeros((n, weight.shape[1] + 2))
    padded[:, 1:-1] = weight                                                # weight(i) = 0 outside
    top = 2 * imax + 2
    i0 = np.minimum(np.maximum(f + (imax + 1), 0), top).astype(np.int64)
    i1 = np.minimum(np.maximum(f + (imax + 2), 0), top).astype(np.int64)
    if n == 1:
        w0, w1 = padded[0][i0], padded[0][i1]
    else:
        rows = np.arange(n)[:, None, None]
        w0, w1 = padded[rows, i0], padded[rows, i1]
    t0 = np.maximum(1 - (u - f), 0)
    t1 = np.maximum(1 - ((f + 1) - u), 0)
    kb = (w0 * t0 + w1 * t1) * np.maximum(1 - np.abs(v), 0)
    out = []
    for b, r in enumerate(rs):
        k = torch.from_numpy(np.ascontiguousarray(kb[b, R - r:R + r + 1, R - r:R + r + 1]))
        out.append(k / k.sum())
    return out


#: dense kernels up to this many weights are built as before; wider ones sparsely
DENSE_LIMIT = 1 << 22
#: the same limit for a kernel wider than the image (folded onto it): its dense build would
#: only be summed into the few weights of the fold
FOLD_DENSE_LIMIT = 1 << 16
#: longest line (pixels) a kernel is built for: the sparse build costs O(length) (about
#: 1-2 s per 10^5 pixels of line on a busy 2-core machine)
MAX_LENGTH = 1e6
_CHUNK = 1 << 16


def _check_length(length: float, fn: str = "motion_kernel") -> None:
    if not (math.isfinite(length) and 0 < length <= MAX_LENGTH):
        raise ValueError(f"{fn}: argument `length` must be a finite number in (0, {MAX_LENGTH:g}] "
                         f"pixels, got {length!r}")


def sparse_folded_motion_kernel(length: float, angle: float, direction: float, H: int, W: int,
                                border: str) -> torch.Tensor:
    """The motion kernel folded for an ``H x W`` image, built without the dense kernel.

    Parameters
    ----------
    length, angle, direction : float
        As in :func:`motion_kernel2d` (``length`` at most :data:`MAX_LENGTH`).
    H, W : int
        Size of the image the kernel will filter.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    torch.Tensor
        float64, equal to ``folded_kernel2d(motion_kernel2d(length, angle, direction), H, W,
        border)`` (:func:`pixelgrad.kernels.fold.folded_kernel2d`) up to float64 rounding;
        memory O(H W + 2^16), time O(length).

    Raises
    ------
    ValueError
        If ``length`` is not a finite number in ``(0, MAX_LENGTH]``.

    Notes
    -----
    The line's weights are non-zero only within ``sqrt(2)`` pixels of the segment, so each
    sample ``i`` of the segment touches the 4 x 4 pixels around ``(i cos a, i sin a)``; their
    weights ``profile(i) w(i) tent(u - i) tent(v)`` are summed straight into the folded
    kernel (same formula as the dense kernel, summed in another order).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.kernels.fold import folded_kernel2d
    >>> dense = folded_kernel2d(motion_kernel2d(40.0, 0.3), 8, 8, "reflect")
    >>> torch.allclose(sparse_folded_motion_kernel(40.0, 0.3, 0.0, 8, 8, "reflect"), dense)
    True
    """
    from . import fold

    _check_length(float(length))
    r = motion_radius(length)
    imax = max(0, math.ceil(length / 2 + 0.5 - 1e-9) - 1)
    fy, fx = fold.needs_fold(r, H, border), fold.needs_fold(r, W, border)
    Ry = fold.fold_radius(H, border) if fy else r
    Rx = fold.fold_radius(W, border) if fx else r
    out = torch.zeros((2 * Ry + 1) * (2 * Rx + 1), dtype=torch.float64)
    c, s = math.cos(angle), math.sin(angle)
    total = 0.0
    d = torch.arange(-1, 3, dtype=torch.float64)
    for start in range(-imax, imax + 1, _CHUNK):
        i = torch.arange(start, min(start + _CHUNK, imax + 1), dtype=torch.float64)
        profile = (length / 2 + 0.5 - i.abs()).clamp(0, 1)
        weight = profile * (1 + direction * i / (length / 2)).clamp(min=0)
        px, py = torch.floor(i * c), torch.floor(i * s)
        x = (px[:, None, None] + d[None, None, :]).expand(-1, 4, 4)          # (I, 4, 4)
        y = (py[:, None, None] + d[None, :, None]).expand(-1, 4, 4)
        u = x * c + y * s
        v = -x * s + y * c
        k = weight[:, None, None] * (1 - (u - i[:, None, None]).abs()).clamp(min=0) \
            * (1 - v.abs()).clamp(min=0)
        k, x, y = k.reshape(-1), x.reshape(-1).long(), y.reshape(-1).long()
        total += float(k.sum())
        qy = fold.canonical_offset(y, H, border) if fy else y
        qx = fold.canonical_offset(x, W, border) if fx else x
        keep = (qy.abs() <= Ry) & (qx.abs() <= Rx) & (k != 0)
        out.index_add_(0, (qy[keep] + Ry) * (2 * Rx + 1) + (qx[keep] + Rx), k[keep])
    return (out / total).reshape(2 * Ry + 1, 2 * Rx + 1)


def motion_kernel_for_image(length: float, angle: float, direction: float, H: int, W: int,
                            border: str) -> torch.Tensor:
    """The float64 motion kernel to filter an ``H x W`` image with.

    Parameters
    ----------
    length, angle, direction : float
        As in :func:`motion_kernel2d`.
    H, W : int
        Size of the image.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`.

    Returns
    -------
    torch.Tensor
        The dense kernel folded onto the border period
        (:func:`pixelgrad.kernels.fold.folded_kernel2d`) when it has at most
        :data:`DENSE_LIMIT` weights (:data:`FOLD_DENSE_LIMIT` when it is folded), else
        :func:`sparse_folded_motion_kernel`: bounded memory for any length up to
        :data:`MAX_LENGTH`.

    Raises
    ------
    ValueError
        If ``length`` is not a finite number in ``(0, MAX_LENGTH]``.

    Examples
    --------
    >>> motion_kernel_for_image(9.0, 0.0, 0.0, 64, 64, "reflect").shape
    torch.Size([13, 13])
    >>> motion_kernel_for_image(1e5, 0.0, 0.0, 16, 16, "circular").shape   # folded: period 16
    torch.Size([17, 17])
    """
    from . import fold

    _check_length(float(length))
    size = motion_kernel_size(length)
    r = size // 2
    folded = fold.needs_fold(r, H, border) or fold.needs_fold(r, W, border)
    # a kernel that is folded anyway is summed straight into its fold once it is more than
    # FOLD_DENSE_LIMIT weights: the dense build costs ~100 bytes a weight (500 MB at length 2000)
    if size ** 2 <= (FOLD_DENSE_LIMIT if folded else DENSE_LIMIT):
        return fold.folded_kernel2d(motion_kernel2d(length, angle, direction), H, W, border)
    return sparse_folded_motion_kernel(length, angle, direction, H, W, border)
