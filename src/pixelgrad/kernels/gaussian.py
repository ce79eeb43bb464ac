"""Gaussian weights.

1-D: ``k[t] = exp(-t^2 / (2 sigma^2)) / Z`` for integer ``t`` in ``[-r, r]``,
``r = ceil(truncate * sigma)`` (scipy.ndimage's rule; OpenCV's ``ksize = 2r + 1``), and
``Z = sum_t exp(-t^2 / (2 sigma^2))`` so the weights sum to exactly 1 (the sampled
normalisation, not ``sigma * sqrt(2 pi)``, which is wrong by up to 20% for sigma < 0.5).

The seed thread's ``gaussian_kernel`` computes ``exp(-((t - mean) / (2 sigma))^2)`` =
``exp(-t^2 / (4 sigma^2))``: its effective standard deviation is ``sqrt(2) * sigma``.
The correct exponent divides by ``sqrt(2) * sigma`` before squaring.

2-D rotated anisotropic: with ``R(angle)`` the rotation by ``angle`` radians
(counter-clockwise in the (x right, y up) picture, i.e. ``u = x cos a + y sin a``,
``v = -x sin a + y cos a`` with y pointing *down* the rows, so positive angles rotate
clockwise on screen) the weights are ``exp(-(u^2 / (2 sx^2) + v^2 / (2 sy^2))) / Z`` on the
integer grid ``|x|, |y| <= r`` where r covers the ellipse's bounding box at ``truncate``.
``angle=0`` gives exactly the outer product of the two 1-D kernels.
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch


def gaussian_radius(sigma: float, truncate: float = 4.0) -> int:
    """``ceil(truncate * sigma)`` with a guard against float noise (e.g. 4 * 0.75).

    Raises ``ValueError`` when ``truncate * sigma`` is not finite (e.g. sigma = 1e308)."""
    r = truncate * float(sigma) - 1e-9
    if not math.isfinite(r):
        raise ValueError(f"gaussian_radius: argument `sigma` must give a finite radius "
                         f"truncate * sigma, got sigma={float(sigma)!r}, truncate={truncate!r}")
    return int(math.ceil(r))


def _kernel1d(sigma: float, truncate: float, radius: int, dtype: torch.dtype,
              device: str) -> torch.Tensor:
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    return k.to(dtype=dtype, device=device)


# Two caches of the same function: the public one hands its tensors to users (who may edit
# them in place, e.g. ``k /= k.max()`` for display); the filters read only the private one,
# so such an edit can never change a later blur.
_kernel1d_cached = lru_cache(maxsize=512)(_kernel1d)
_kernel1d_private = lru_cache(maxsize=512)(_kernel1d)


def kernel1d_for_filtering(sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """float64 CPU kernel of :func:`gaussian_kernel1d` from a cache no caller can reach
    (used by :mod:`pixelgrad.functional`; never edit it)."""
    return _kernel1d_private(float(sigma), float(truncate), gaussian_radius(sigma, truncate),
                             torch.float64, "cpu")


def gaussian_kernel1d(sigma: float, truncate: float = 4.0, *, radius: int | None = None,
                      dtype: torch.dtype = torch.float64,
                      device: torch.device | str = "cpu") -> torch.Tensor:
    """Normalised 1-D Gaussian of length ``2r + 1`` (``r`` from ``truncate`` unless given).

    Cached by (sigma, truncate, radius, dtype, device): treat the result as read-only.
    """
    r = gaussian_radius(sigma, truncate) if radius is None else int(radius)
    return _kernel1d_cached(float(sigma), float(truncate), r, dtype, str(torch.device(device)))


def truncated_kernels1d_batch(sigmas: torch.Tensor, truncate: float) -> torch.Tensor:
    """Per-sample 1-D Gaussians ``(B, 2R + 1)`` float64 for sigmas ``(B,)``, ``R`` the largest
    radius; each row is the exact normalised kernel of its own sigma, zero outside its own
    radius ``ceil(truncate * sigma)`` (the rule of :func:`gaussian_radius`), so it equals a
    single call. Vectorised: no Python loop over the batch."""
    sig = sigmas.to(torch.float64)
    radii = torch.ceil(truncate * sig - 1e-9).to(torch.int64)
    R = int(radii.max())
    t = torch.arange(-R, R + 1, dtype=torch.float64, device=sig.device)
    k = torch.exp(-0.5 * (t[None, :] / sig[:, None]) ** 2)
    k = torch.where(t.abs()[None, :] <= radii[:, None], k, torch.zeros((), dtype=k.dtype, device=k.device))
    return k / k.sum(dim=1, keepdim=True)


def rotated_radius(sigma_y: float, sigma_x: float, angle: float, truncate: float) -> tuple[int, int]:
    """Half-sizes (ry, rx) of the box holding the ``truncate``-sigma ellipse rotated by angle."""
    c, s = math.cos(angle), math.sin(angle)
    ex = math.sqrt((sigma_x * c) ** 2 + (sigma_y * s) ** 2)
    ey = math.sqrt((sigma_x * s) ** 2 + (sigma_y * c) ** 2)
    return gaussian_radius(ey, truncate), gaussian_radius(ex, truncate)


def _kernel2d(sigma_y: float, sigma_x: float, angle: float, truncate: float,
                     ry: int, rx: int, dtype: torch.dtype, device: str) -> torch.Tensor:
    y = torch.arange(-ry, ry + 1, dtype=torch.float64)[:, None]
    x = torch.arange(-rx, rx + 1, dtype=torch.float64)[None, :]
    c, s = math.cos(angle), math.sin(angle)
    u = x * c + y * s
    v = -x * s + y * c
    k = torch.exp(-0.5 * ((u / sigma_x) ** 2 + (v / sigma_y) ** 2))
    return (k / k.sum()).to(dtype=dtype, device=device)


_kernel2d_cached = lru_cache(maxsize=256)(_kernel2d)
_kernel2d_private = lru_cache(maxsize=256)(_kernel2d)


#: most weights a rotated 2-D Gaussian may have (2^24 float64 = 128 MiB)
MAX_KERNEL2D = 1 << 24


def kernel2d_for_filtering(sigma_y: float, sigma_x: float, angle: float,
                           truncate: float = 4.0) -> torch.Tensor:
    """float64 CPU kernel of :func:`gaussian_kernel2d` from the private cache.

    Raises ``ValueError`` when the kernel would have more than :data:`MAX_KERNEL2D` weights
    (a rotated kernel is not separable; it is built whole before being folded)."""
    ry, rx = rotated_radius(sigma_y, sigma_x, angle, truncate)
    if (2 * ry + 1) * (2 * rx + 1) > MAX_KERNEL2D:
        raise ValueError(f"gaussian_blur: argument `sigma` ({sigma_y:g}, {sigma_x:g}) with "
                         f"angle {angle:g} needs a rotated kernel of {2 * ry + 1}x{2 * rx + 1} "
                         f"weights, more than {MAX_KERNEL2D:,}; use a smaller sigma, or an "
                         f"isotropic / axis-aligned kernel (which is separable and folded)")
    return _kernel2d_private(float(sigma_y), float(sigma_x), float(angle), float(truncate),
                             int(ry), int(rx), torch.float64, "cpu")


def gaussian_kernel2d(sigma_y: float, sigma_x: float, angle: float = 0.0, truncate: float = 4.0,
                      *, radius: tuple[int, int] | None = None,
                      dtype: torch.dtype = torch.float64,
                      device: torch.device | str = "cpu") -> torch.Tensor:
    """Normalised 2-D (rotated, anisotropic) Gaussian ``(2ry + 1, 2rx + 1)``; cached."""
    ry, rx = rotated_radius(sigma_y, sigma_x, angle, truncate) if radius is None else radius
    return _kernel2d_cached(float(sigma_y), float(sigma_x), float(angle), float(truncate),
                            int(ry), int(rx), dtype, str(torch.device(device)))
