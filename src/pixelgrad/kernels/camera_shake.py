r"""Random camera-shake point-spread functions (Boracchi & Foi 2012).

A hand-held camera moves during the exposure along a random 2-D trajectory; the blur is the
trajectory's occupation measure. The trajectory ``x_t`` (complex numbers, pixels) is a
random walk in *velocity* with constant speed, inertia, a pull back to the start and rare
abrupt turns, sampled at ``N`` instants ``t = 0 .. N-1`` (Boracchi & Foi 2012, the model
also used by DeblurGAN's blur generator):

.. math::

    \Delta v_t &= a \left( s\, (\xi_t + i \eta_t) - c\, x_t \right) \frac{L}{N-1}
                  \;+\; [u_t < p\, a]\; 2 v_t\, e^{i(\pi + \phi_t)}, \\
    v_{t+1} &= \frac{v_t + \Delta v_t}{|v_t + \Delta v_t|} \frac{L}{N-1}, \qquad
    x_{t+1} = x_t + v_{t+1},

with ``xi, eta ~ N(0, 1)``, ``u ~ U(0, 1)``, ``phi ~ U(-1/2, 1/2)``; ``a`` the *anxiety*
(jitter), ``L`` the path length in pixels, and per kernel a random jitter scale
``s ~ U(0, 10)``, centripetal pull ``c ~ U(0, 0.7)`` and abrupt-turn rate ``p ~ U(0, 0.2)``;
the initial direction is uniform on the circle. The first ``exposure * N`` samples make
the PSF: each sample ``x_t = (u, v)`` adds ``1/n`` to its four neighbouring pixels with
bilinear weights (sub-pixel accurate splatting: the centroid of the kernel is the mean of
the samples exactly),

.. math:: K(j, i) \mathrel{+}= \tfrac1n\, \max(0, 1 - |i - u|) \max(0, 1 - |j - v|).

The samples are shifted so their mean lies on the centre pixel (the kernel is centred:
its centroid is the centre of the ``size x size`` grid to rounding), and scaled down
(keeping the shape) when the trajectory does not fit in the grid, so the PSF always fits.

References
----------
G. Boracchi, A. Foi, "Modeling the performance of image restoration from motion blur",
IEEE Trans. Image Processing 21(8):3502-3517 (2012).
O. Kupyn, V. Budzan, M. Mykhailych, D. Mishkin, J. Matas, "DeblurGAN: blind motion
deblurring using conditional adversarial networks", CVPR (2018).
"""
from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
import torch

from .._errors import bad_type, bad_value

__all__ = ["camera_shake"]

#: Samples of the trajectory (before the exposure cut).
STEPS = 1024


def _check_generator(generator: Any, fn: str) -> torch.Generator:
    if generator is None:
        return torch.default_generator
    if isinstance(generator, torch.Generator):
        if generator.device.type != "cpu":
            bad_value(fn, "generator", "a CPU torch.Generator", generator)
        return generator
    if not isinstance(generator, bool):
        try:
            return torch.Generator().manual_seed(operator.index(generator))
        except TypeError:
            pass
    bad_type(fn, "generator", "a torch.Generator, an int seed or None", generator)


def _number(value: Any, fn: str, arg: str, lo: float, hi: float, *, open_lo: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        bad_type(fn, arg, "a number", value)
    if isinstance(value, bool) or not math.isfinite(v) or v < lo or v > hi or (open_lo and v == lo):
        bad_value(fn, arg, f"a number in {'(' if open_lo else '['}{lo:g}, {hi:g}]", value)
    return v


def _trajectory(length: float, anxiety: float, draws: np.ndarray) -> np.ndarray:
    """One trajectory of :data:`STEPS` complex samples from pre-drawn random numbers
    ``draws`` of shape ``(STEPS + 8, 4)`` (uniform in [0, 1) except column 0/1: normal)."""
    n = STEPS
    step = length / (n - 1)
    s = 10.0 * draws[0, 2]
    c = 0.7 * draws[0, 3]
    p = 0.2 * draws[1, 2]
    a0 = 2 * math.pi * draws[1, 3]
    v = complex(math.cos(a0), math.sin(a0)) * step
    x = np.zeros(n, dtype=np.complex128)
    xt = 0j
    for t in range(n - 1):
        d = draws[t + 2]
        turn = 2 * v * complex(math.cos(math.pi + d[3] - 0.5), math.sin(math.pi + d[3] - 0.5)) \
            if d[2] < p * anxiety else 0j
        v = v + turn + anxiety * (s * complex(d[0], d[1]) - c * xt) * step
        m = abs(v)
        v = v / m * step if m > 0 else complex(step, 0.0)
        xt = xt + v
        x[t + 1] = xt
    return x


def _splat(points: np.ndarray, size: int) -> np.ndarray:
    """Bilinear splatting of complex points (``real`` = column, ``imag`` = row, pixels from
    the grid's centre) into a ``size x size`` float64 grid, each point weighing ``1/n``."""
    c = (size - 1) / 2
    u, v = points.real + c, points.imag + c
    i0, j0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fu, fv = u - i0, v - j0
    k = np.zeros((size + 1) * (size + 1))
    w = 1.0 / len(points)
    for dj, wj in ((0, 1 - fv), (1, fv)):
        for di, wi in ((0, 1 - fu), (1, fu)):
            jj, ii = np.clip(j0 + dj, 0, size), np.clip(i0 + di, 0, size)
            np.add.at(k, jj * (size + 1) + ii, w * wj * wi)
    return k.reshape(size + 1, size + 1)[:size, :size]


def camera_shake(size: int, generator: Any = None, *, batch: int | None = None,
                 length: float | None = None, anxiety: float = 0.005, exposure: float = 1.0,
                 dtype: torch.dtype = torch.float64,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    r"""A random, realistic camera-shake PSF (or a batch of them).

    Parameters
    ----------
    size : int
        Odd side of the square kernel, ``>= 3``; the trajectory is scaled down to fit when it
        is longer (its extent never exceeds the grid).
    generator : torch.Generator, int or None
        Source of randomness: a CPU ``torch.Generator``, an int seed (shorthand for
        ``torch.Generator().manual_seed(seed)``) or ``None`` (torch's global generator).
        All numbers are drawn on the CPU in float64, so a seed gives the same kernel on any
        machine and for any ``dtype`` / ``device``.
    batch : int, optional
        Number of kernels; ``None`` returns one ``(size, size)`` kernel. Kernel ``i`` of a
        batch is drawn after kernels ``0 .. i-1`` from the same generator.
    length : float, optional
        Path length of the trajectory in pixels, ``> 0``; default drawn per kernel,
        uniform in ``[size / 2, 1.5 size]`` (a long, curling path still fits: its extent
        is usually much less than its length).
    anxiety : float, default 0.005
        Jitter of the hand in ``[0, 1]``: 0 gives a straight line, 0.001 - 0.003 gentle
        curves, 0.005 - 0.01 shaky, curling paths with occasional abrupt turns; beyond
        0.02 the path coils into a small blob.
    exposure : float, default 1.0
        Fraction in ``(0, 1]`` of the trajectory seen during the exposure (the first
        samples): shorter exposures give shorter, simpler blurs.
    dtype : torch.dtype, default torch.float64
        dtype of the weights (computed in float64, then cast).
    device : torch.device or str, default "cpu"
        Where the weights live.

    Returns
    -------
    torch.Tensor
        ``(size, size)`` or ``(batch, size, size)``: non-negative, each kernel summing to 1,
        centred (centroid at the centre pixel ``(size // 2, size // 2)`` to rounding).

    Raises
    ------
    ValueError
        If ``size`` is not an odd int ``>= 3``, ``batch < 1``, ``length <= 0``, ``anxiety``
        outside ``[0, 1]`` or ``exposure`` outside ``(0, 1]``.
    TypeError
        If ``generator`` is not a torch.Generator, an int or None.

    Notes
    -----
    The trajectory model and its splatting are in the module docstring (Boracchi & Foi
    2012 [1]_, as in DeblurGAN's generator [2]_). Its randomness comes from
    ``(STEPS + 8) x 4`` float64 numbers drawn per kernel from ``generator``; the random walk
    itself runs in numpy float64, so results are independent of the torch thread count.

    References
    ----------
    .. [1] G. Boracchi, A. Foi, "Modeling the performance of image restoration from motion
       blur", IEEE Trans. Image Processing 21(8):3502-3517 (2012).
    .. [2] O. Kupyn et al., "DeblurGAN: blind motion deblurring using conditional
       adversarial networks", CVPR (2018).

    Examples
    --------
    >>> import torch
    >>> k = camera_shake(15, torch.Generator().manual_seed(0))
    >>> k.shape, k.dtype, round(float(k.sum()), 12), bool((k >= 0).all())
    (torch.Size([15, 15]), torch.float64, 1.0, True)
    >>> r = torch.arange(15, dtype=torch.float64)
    >>> [round(float((k.sum(1 - d) * r).sum()), 6) for d in (0, 1)]   # centroid (row, col)
    [7.0, 7.0]
    >>> camera_shake(21, 3, batch=4).shape
    torch.Size([4, 21, 21])
    >>> torch.equal(camera_shake(21, 3, batch=4)[2], camera_shake(21, 3, batch=4)[2])
    True
    """
    fn = "camera_shake"
    if isinstance(size, bool):
        bad_type(fn, "size", "an odd int >= 3", size)
    try:
        n = operator.index(size)
    except TypeError:
        bad_type(fn, "size", "an odd int >= 3", size)
    if n < 3 or n % 2 == 0:
        bad_value(fn, "size", "an odd int >= 3", size)
    if batch is not None:
        if isinstance(batch, bool):
            bad_type(fn, "batch", "an int >= 1 or None", batch)
        try:
            nb = operator.index(batch)
        except TypeError:
            bad_type(fn, "batch", "an int >= 1 or None", batch)
        if nb < 1:
            bad_value(fn, "batch", "an int >= 1 or None", batch)
    else:
        nb = 1
    if length is not None:
        _number(length, fn, "length", 0.0, 1e6, open_lo=True)
    an = _number(anxiety, fn, "anxiety", 0.0, 1.0)
    ex = _number(exposure, fn, "exposure", 0.0, 1.0, open_lo=True)
    gen = _check_generator(generator, fn)
    out = np.zeros((nb, n, n))
    half = (n - 1) / 2 - 1e-9
    for b in range(nb):
        draws = torch.rand(STEPS + 8, 4, generator=gen, dtype=torch.float64).numpy()
        normal = torch.randn(STEPS + 8, 2, generator=gen, dtype=torch.float64).numpy()
        draws[:, :2] = normal
        ln = float(length) if length is not None else n * (0.5 + draws[-1, 2])
        x = _trajectory(ln, an, draws)
        x = x[:max(2, int(round(ex * STEPS)))]
        x = x - x.mean()
        reach = max(float(np.abs(x.real).max()), float(np.abs(x.imag).max()))
        if reach > half:          # fits in the grid (bilinear footprint: reach + 1 <= half + 1)
            x = x * (half / reach)
        k = _splat(x, n)
        out[b] = k / k.sum()
    t = torch.from_numpy(out).to(dtype=dtype, device=device)
    return t if batch is not None else t[0]
