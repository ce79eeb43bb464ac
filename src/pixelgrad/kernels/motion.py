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

import torch


def motion_radius(length: float) -> int:
    """Half-size of the square kernel that holds a line of ``length`` at any angle."""
    imax = max(0, math.ceil(length / 2 + 0.5 - 1e-9) - 1)
    return int(math.ceil(math.sqrt((imax + 1) ** 2 + 1) - 1e-9))


def motion_kernel_size(length: float) -> int:
    """Side of the square kernel, ``2 * motion_radius(length) + 1``."""
    return 2 * motion_radius(length) + 1


def motion_kernel2d(length, angle, direction=0.0, *, radius: int | None = None,
                    dtype: torch.dtype = torch.float64, device="cpu") -> torch.Tensor:
    """Motion kernels: scalars give ``(K, K)``; tensors ``(B,)`` give ``(B, K, K)``.

    ``K = 2 * radius + 1``, the radius defaulting to the one that fits the longest line.
    """
    batched = any(isinstance(v, torch.Tensor) and v.ndim > 0 for v in (length, angle, direction))
    L = torch.as_tensor(length, dtype=torch.float64).reshape(-1)
    a = torch.as_tensor(angle, dtype=torch.float64).reshape(-1)
    d = torch.as_tensor(direction, dtype=torch.float64).reshape(-1)
    B = max(L.numel(), a.numel(), d.numel())
    L, a, d = (v.expand(B) if v.numel() == 1 else v for v in (L, a, d))
    r = motion_radius(float(L.max())) if radius is None else int(radius)
    imax = max(0, math.ceil(float(L.max()) / 2 + 0.5 - 1e-9) - 1)
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


#: dense kernels up to this many weights are built as before; wider ones sparsely
DENSE_LIMIT = 1 << 22
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
    """The motion kernel of :func:`motion_kernel2d` folded for an ``H x W`` image
    (:func:`pixelgrad.kernels.fold.folded_kernel2d`), built without the dense ``(K, K)``
    kernel: memory O(H W + 2^16), time O(length).

    The line's weights are non-zero only within ``sqrt(2)`` pixels of the segment, so each
    sample ``i`` of the segment touches the 4 x 4 pixels around ``(i cos a, i sin a)``; their
    weights ``profile(i) w(i) tent(u - i) tent(v)`` are summed straight into the folded
    kernel (same formula as the dense kernel, summed in another order: equal to float64
    rounding)."""
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
    """The float64 motion kernel to filter an ``H x W`` image with: the dense kernel folded
    (:func:`pixelgrad.kernels.fold.folded_kernel2d`) when it has at most :data:`DENSE_LIMIT`
    weights, else :func:`sparse_folded_motion_kernel` (bounded memory for any length up to
    :data:`MAX_LENGTH`)."""
    from . import fold

    _check_length(float(length))
    if motion_kernel_size(length) ** 2 <= DENSE_LIMIT:
        return fold.folded_kernel2d(motion_kernel2d(length, angle, direction), H, W, border)
    return sparse_folded_motion_kernel(length, angle, direction, H, W, border)
