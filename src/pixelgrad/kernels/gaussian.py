"""Gaussian weights.

1-D: ``k[t] = exp(-t^2 / (2 sigma^2)) / Z`` for integer ``t`` in ``[-r, r]``,
``r = ceil(truncate * sigma)`` (scipy.ndimage rounds instead, ``int(truncate * sigma + 0.5)``:
pass ``radius=`` to match it; OpenCV's ``ksize = 2r + 1``), and
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

from .stack import KernelStack, from_padded


def gaussian_radius(sigma: float, truncate: float = 4.0) -> int:
    """Radius of a truncated Gaussian: ``ceil(truncate * sigma)``.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels, ``> 0``.
    truncate : float, default 4.0
        Radius in standard deviations (scipy.ndimage's ``truncate``).

    Returns
    -------
    int
        ``ceil(truncate * sigma)``, computed with a 1e-9 guard so that products such as
        ``4 * 0.75`` that land a rounding error above an integer do not add a tap.

    Raises
    ------
    ValueError
        If ``truncate * sigma`` is not finite (e.g. ``sigma = 1e308``).

    Notes
    -----
    scipy.ndimage rounds instead (``int(truncate * sigma + 0.5)``); OpenCV's kernel size is
    ``2 r + 1``.

    Examples
    --------
    >>> gaussian_radius(0.75), gaussian_radius(1.3), gaussian_radius(2.0, truncate=3.0)
    (3, 6, 6)
    """
    r = truncate * float(sigma) - 1e-9
    if not math.isfinite(r):
        raise ValueError(f"gaussian_radius: argument `sigma` must give a finite radius "
                         f"truncate * sigma, got sigma={float(sigma)!r}, truncate={truncate!r}")
    return int(math.ceil(r))


#: Kernels up to this radius are built in Python floats: for a new sigma per call (one image
#: per call with a random sigma) that is 2-3x cheaper than the eight small torch operations.
SCALAR_BUILD_RADIUS = 32


def _kernel1d(sigma: float, truncate: float, radius: int, dtype: torch.dtype,
              device: str) -> torch.Tensor:
    # stored by torch, not numpy: these kernels live in lru caches, and building them from
    # numpy buffers was measured to fragment the heap between large per-call images (a
    # 1024 x 1024 image blurred with a new sigma per call grew the process by 100-270 MB over
    # 100-300 calls with MALLOC_ARENA_MAX=1, against about 12 MB this way)
    if radius <= SCALAR_BUILD_RADIUS:
        # the formula of the vectorised build below (u * u is torch's ** 2), in Python floats;
        # the normalising sum is exactly rounded (fsum)
        vals = []
        for tap in range(-radius, radius + 1):
            u = tap / sigma
            vals.append(math.exp(-0.5 * (u * u)))
        z = math.fsum(vals)
        return torch.tensor([v / z for v in vals], dtype=torch.float64).to(dtype=dtype, device=device)
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
    """The float64 CPU kernel of :func:`gaussian_kernel1d`, from a cache no caller can reach.

    The filters of :mod:`pixelgrad.functional` read this one, so a user editing a tensor
    returned by :func:`gaussian_kernel1d` in place cannot change a later blur. Never edit the
    result.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels.
    truncate : float, default 4.0
        Radius in standard deviations.

    Returns
    -------
    torch.Tensor
        ``(2 r + 1,)`` float64 on the CPU, ``r = gaussian_radius(sigma, truncate)``.

    Examples
    --------
    >>> bool((kernel1d_for_filtering(1.5) == gaussian_kernel1d(1.5)).all())
    True
    """
    return _kernel1d_private(float(sigma), float(truncate), gaussian_radius(sigma, truncate),
                             torch.float64, "cpu")


def gaussian_kernel1d(sigma: float, truncate: float = 4.0, *, radius: int | None = None,
                      dtype: torch.dtype = torch.float64,
                      device: torch.device | str = "cpu") -> torch.Tensor:
    r"""The sampled, normalised 1-D Gaussian kernel.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels, ``> 0``.
    truncate : float, default 4.0
        Radius in standard deviations, used when ``radius`` is not given.
    radius : int, optional
        Half-length ``r`` of the kernel; default ``gaussian_radius(sigma, truncate)``.
    dtype : torch.dtype, default torch.float64
        dtype of the weights (computed in float64, then cast).
    device : torch.device or str, default "cpu"
        Where the weights live.

    Returns
    -------
    torch.Tensor
        ``(2 r + 1,)``, summing to 1. Cached by ``(sigma, truncate, radius, dtype, device)``:
        treat it as read-only.

    Notes
    -----
    .. math:: k_t = \frac{e^{-t^2 / (2 \sigma^2)}}{\sum_{|s| \le r} e^{-s^2 / (2 \sigma^2)}}, \qquad |t| \le r

    Normalising by the sum of the sampled weights (not by :math:`\sigma \sqrt{2 \pi}`) keeps
    the weights summing to 1 for small sigma, where the continuous constant is off by up to
    20 %.

    References
    ----------
    .. [1] P. Virtanen et al., "SciPy 1.0: fundamental algorithms for scientific computing in
       Python", Nature Methods 17, 261-272 (2020): ``scipy.ndimage.gaussian_filter1d``, whose
       weights these equal for the same radius.

    Examples
    --------
    >>> k = gaussian_kernel1d(1.0)
    >>> k.shape, round(float(k.sum()), 12), int(k.argmax())
    (torch.Size([9]), 1.0, 4)
    >>> gaussian_kernel1d(1.0, radius=1)
    tensor([0.2741, 0.4519, 0.2741], dtype=torch.float64)
    """
    r = gaussian_radius(sigma, truncate) if radius is None else int(radius)
    return _kernel1d_cached(float(sigma), float(truncate), r, dtype, str(torch.device(device)))


def truncated_kernels1d_batch(sigmas: torch.Tensor, truncate: float) -> torch.Tensor:
    """One 1-D Gaussian per sample, stacked and centred.

    Parameters
    ----------
    sigmas : torch.Tensor
        ``(B,)`` standard deviations, ``> 0``.
    truncate : float
        Radius in standard deviations.

    Returns
    -------
    torch.Tensor
        ``(B, 2 R + 1)`` float64 on ``sigmas``' device, ``R`` the largest radius. Row ``b`` is
        the kernel of :func:`gaussian_kernel1d` for ``sigmas[b]``, zero-padded outside its own
        radius, so it equals a single call. Vectorised: no Python loop over the batch.

    Examples
    --------
    >>> import torch
    >>> k = truncated_kernels1d_batch(torch.tensor([0.5, 1.0]), 4.0)
    >>> k.shape
    torch.Size([2, 9])
    >>> torch.allclose(k[0, 2:7], gaussian_kernel1d(0.5)), torch.allclose(k[1], gaussian_kernel1d(1.0))
    (True, True)
    """
    sig = sigmas.to(torch.float64)
    radii = torch.ceil(truncate * sig - 1e-9).to(torch.int64)
    R = int(radii.max())
    t = torch.arange(-R, R + 1, dtype=torch.float64, device=sig.device)
    k = torch.exp(-0.5 * (t[None, :] / sig[:, None]) ** 2)
    k = torch.where(t.abs()[None, :] <= radii[:, None], k, torch.zeros((), dtype=k.dtype, device=k.device))
    return k / k.sum(dim=1, keepdim=True)


def kernel_stack1d(sigmas: torch.Tensor, truncate: float) -> KernelStack:
    """:func:`truncated_kernels1d_batch` as a :class:`~pixelgrad.kernels.stack.KernelStack`.

    Parameters
    ----------
    sigmas : torch.Tensor
        ``(B,)`` standard deviations, ``> 0``.
    truncate : float
        Radius in standard deviations.

    Returns
    -------
    KernelStack
        ``weights`` ``(B, 2 R + 1)``, row ``b`` of shape ``(2 r_b + 1,)`` with
        ``r_b = gaussian_radius(sigmas[b], truncate)``. Vectorised: no Python loop over the
        batch.

    Examples
    --------
    >>> import torch
    >>> kernel_stack1d(torch.tensor([0.5, 1.0]), 4.0).shapes
    ((5,), (9,))
    """
    sig = sigmas.to(torch.float64)
    radii = torch.ceil(truncate * sig - 1e-9).to(torch.int64)
    return from_padded(truncated_kernels1d_batch(sig, truncate), radii)


def rotated_radius(sigma_y: float, sigma_x: float, angle: float, truncate: float) -> tuple[int, int]:
    """Half-sizes of the box that holds a rotated, truncated Gaussian ellipse.

    Parameters
    ----------
    sigma_y, sigma_x : float
        Standard deviations along the kernel's own axes (before rotation).
    angle : float
        Rotation in radians (see the module docstring for the convention).
    truncate : float
        Radius in standard deviations.

    Returns
    -------
    tuple of int
        ``(ry, rx)``: :func:`gaussian_radius` of the ellipse's extent along the rows and the
        columns, ``sqrt((sx sin a)^2 + (sy cos a)^2)`` and ``sqrt((sx cos a)^2 + (sy sin a)^2)``.

    Examples
    --------
    >>> import math
    >>> rotated_radius(1.0, 4.0, 0.0, 4.0), rotated_radius(1.0, 4.0, math.pi / 2, 4.0)
    ((4, 16), (16, 4))
    """
    c, s = math.cos(angle), math.sin(angle)
    ex = math.hypot(sigma_x * c, sigma_y * s)          # hypot: no overflow for sigma = 1e300
    ey = math.hypot(sigma_x * s, sigma_y * c)
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
    """The float64 CPU kernel of :func:`gaussian_kernel2d`, from the filters' private cache.

    Parameters
    ----------
    sigma_y, sigma_x : float
        Standard deviations along the kernel's own axes.
    angle : float
        Rotation in radians.
    truncate : float, default 4.0
        Radius in standard deviations.

    Returns
    -------
    torch.Tensor
        ``(2 ry + 1, 2 rx + 1)`` float64 on the CPU (see :func:`rotated_radius`). Never edit it.

    Raises
    ------
    ValueError
        If the kernel would have more than :data:`MAX_KERNEL2D` weights (a rotated kernel is
        not separable; it is built whole before being folded).

    Examples
    --------
    >>> kernel2d_for_filtering(1.0, 2.0, 0.5).shape
    torch.Size([13, 17])
    """
    ry, rx = rotated_radius(sigma_y, sigma_x, angle, truncate)
    if (2 * ry + 1) * (2 * rx + 1) > MAX_KERNEL2D:
        raise ValueError(f"gaussian_blur: argument `sigma` ({sigma_y:g}, {sigma_x:g}) with "
                         f"angle {angle:g} needs a rotated kernel of {float(2 * ry + 1):.6g}x{float(2 * rx + 1):.6g} "
                         f"weights, more than {MAX_KERNEL2D:,}; use a smaller sigma, or an "
                         f"isotropic / axis-aligned kernel (which is separable and folded)")
    return _kernel2d_private(float(sigma_y), float(sigma_x), float(angle), float(truncate),
                             int(ry), int(rx), torch.float64, "cpu")


def gaussian_kernel2d(sigma_y: float, sigma_x: float, angle: float = 0.0, truncate: float = 4.0,
                      *, radius: tuple[int, int] | None = None,
                      dtype: torch.dtype = torch.float64,
                      device: torch.device | str = "cpu") -> torch.Tensor:
    r"""The sampled, normalised 2-D Gaussian: anisotropic and rotated.

    Parameters
    ----------
    sigma_y, sigma_x : float
        Standard deviations along the kernel's own axes (before rotation), ``> 0``.
    angle : float, default 0.0
        Rotation in radians: the ``sigma_x`` axis points along ``(cos angle, sin angle)`` in
        (column, row) coordinates.
    truncate : float, default 4.0
        Radius in standard deviations, used when ``radius`` is not given.
    radius : tuple of int, optional
        ``(ry, rx)``; default :func:`rotated_radius`.
    dtype : torch.dtype, default torch.float64
        dtype of the weights.
    device : torch.device or str, default "cpu"
        Where the weights live.

    Returns
    -------
    torch.Tensor
        ``(2 ry + 1, 2 rx + 1)``, summing to 1; cached, treat it as read-only. With
        ``angle = 0`` it is the outer product of the two 1-D kernels.

    Notes
    -----
    With :math:`u = x \cos a + y \sin a` and :math:`v = -x \sin a + y \cos a`:

    .. math:: k(x, y) \propto \exp\left(-\frac{u^2}{2 \sigma_x^2} - \frac{v^2}{2 \sigma_y^2}\right), \qquad |x| \le r_x,\ |y| \le r_y

    Examples
    --------
    >>> import torch
    >>> k = gaussian_kernel2d(1.0, 2.0)
    >>> k.shape, torch.allclose(k, gaussian_kernel1d(1.0)[:, None] * gaussian_kernel1d(2.0)[None, :])
    (torch.Size([9, 17]), True)
    """
    ry, rx = rotated_radius(sigma_y, sigma_x, angle, truncate) if radius is None else radius
    return _kernel2d_cached(float(sigma_y), float(sigma_x), float(angle), float(truncate),
                            int(ry), int(rx), dtype, str(torch.device(device)))
