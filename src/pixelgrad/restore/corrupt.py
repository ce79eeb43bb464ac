"""Corruption models: return ``(corrupted, known_mask)``.

``x`` is an image as accepted everywhere in pixelgrad: a tensor ``(..., C, H, W)`` or a numpy
array ``(H, W[, C])``, uint8 or float in [0, 1]. ``corrupted`` has the type, shape and dtype of
``x``; ``known_mask`` is a bool mask, True where the pixel is intact, of shape
``(..., 1, H, W)`` for tensors (one mask per image, shared by its channels) and ``(H, W)`` for
numpy. All random draws go through ``generator`` (a CPU ``torch.Generator``; ``None`` uses
torch's global one) and are made on the CPU, so one seed gives the same corruption on any
device. ``x`` is never modified.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np
import torch

from .._dtypes import from_compute, max_value, to_compute
from .._errors import bad_type, bad_value
from .._interop import Batch, ImageLike, to_batch
from ..types import Angle, Kernel, Motion, PairValue, Sigma


def _check_fraction(fn: str, fraction: float, arg: str = "fraction") -> float:
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        bad_type(fn, arg, "a number in [0, 1]", fraction)
    if not (0.0 <= float(fraction) <= 1.0) or math.isnan(float(fraction)):
        bad_value(fn, arg, "in [0, 1]", fraction)
    return float(fraction)


def _check_generator(fn: str, generator: Optional[torch.Generator]) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        bad_type(fn, "generator", "a torch.Generator or None", generator)


def _give_back(b: Batch, out: torch.Tensor, known: torch.Tensor) -> Tuple[ImageLike, ImageLike]:
    """``out`` (B, C, H, W) and ``known`` (B, 1, H, W) in the caller's layout."""
    image = b.restore(out)
    if b.is_numpy:
        return image, known[0, 0].cpu().numpy()
    if b.tensor_ndim == 2:
        return image, known[0, 0]
    return image, known.reshape(*b.lead_shape, *known.shape[1:])


def _unknown_draw(b: Batch, fraction: float, generator: Optional[torch.Generator]) -> torch.Tensor:
    bsz, _, h, w = b.data.shape
    u = torch.rand((bsz, 1, h, w), generator=generator, dtype=torch.float64)
    return (u < fraction).to(b.data.device)


def salt_and_pepper(x: ImageLike, fraction: float, generator: Optional[torch.Generator] = None
                    ) -> Tuple[ImageLike, ImageLike]:
    """Replace a random fraction of the pixels by black or white (impulse noise).

    Parameters
    ----------
    x : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float in [0, 1]. Never modified.
    fraction : float
        Probability in [0, 1] that a pixel (all its channels) is corrupted.
    generator : torch.Generator, optional
        CPU generator for the random draws (``None``: torch's global one).

    Returns
    -------
    tuple
        ``(corrupted, known_mask)``: ``corrupted`` of the type, shape and dtype of ``x``;
        ``known_mask`` bool, True where the pixel is intact, ``(..., 1, H, W)`` for tensors and
        ``(H, W)`` for numpy.

    Raises
    ------
    TypeError
        ``fraction`` not a number or ``generator`` not a ``torch.Generator``.
    ValueError
        ``fraction`` outside [0, 1].

    Notes
    -----
    Each corrupted value is 0 or the white level (1.0, or 255 for uint8) with probability 1/2,
    drawn per channel.

    Examples
    --------
    >>> import torch
    >>> x = torch.full((1, 3, 16, 16), 0.5)
    >>> y, known = salt_and_pepper(x, 0.3, generator=torch.Generator().manual_seed(0))
    >>> known.shape, sorted(set(y[~known.expand_as(y)].tolist())), bool((y[known.expand_as(y)] == 0.5).all())
    (torch.Size([1, 1, 16, 16]), [0.0, 1.0], True)
    """
    fn = "salt_and_pepper"
    fraction = _check_fraction(fn, fraction)
    _check_generator(fn, generator)
    b = to_batch(x, fn)
    unknown = _unknown_draw(b, fraction, generator)
    noise = torch.randint(0, 2, b.data.shape, generator=generator).to(b.data.device)
    white = max_value(b.data.dtype)
    out = torch.where(unknown, (noise * white).to(b.data.dtype), b.data)
    return _give_back(b, out, ~unknown)


def random_missing(x: ImageLike, fraction: float, generator: Optional[torch.Generator] = None,
                   fill: float = 0.0) -> Tuple[ImageLike, ImageLike]:
    """Set a random fraction of the pixels to a constant.

    Parameters
    ----------
    x : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float in [0, 1]. Never modified.
    fraction : float
        Probability in [0, 1] that a pixel (all its channels) is lost.
    generator : torch.Generator, optional
        CPU generator for the random draws (``None``: torch's global one).
    fill : float
        The value of the lost pixels, in [0, 1] (scaled to the dtype).

    Returns
    -------
    tuple
        ``(corrupted, known_mask)``: ``corrupted`` of the type, shape and dtype of ``x``;
        ``known_mask`` bool, True where the pixel is intact, ``(..., 1, H, W)`` for tensors and
        ``(H, W)`` for numpy.

    Raises
    ------
    TypeError
        ``fraction`` / ``fill`` not numbers or ``generator`` not a ``torch.Generator``.
    ValueError
        ``fraction`` or ``fill`` outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> y, known = random_missing(np.full((8, 8, 3), 200, np.uint8), 0.5, fill=1.0)
    >>> y.dtype, known.shape, bool((y[~known] == 255).all())
    (dtype('uint8'), (8, 8), True)
    """
    fn = "random_missing"
    fraction = _check_fraction(fn, fraction)
    _check_fraction(fn, fill, "fill")
    _check_generator(fn, generator)
    b = to_batch(x, fn)
    unknown = _unknown_draw(b, fraction, generator)
    value = torch.tensor(fill * max_value(b.data.dtype), dtype=torch.float64)
    out = torch.where(unknown, from_compute(value, b.data.dtype).to(b.data.device), b.data)
    return _give_back(b, out, ~unknown)


def gaussian_noise(x: ImageLike, sigma: float, generator: Optional[torch.Generator] = None
                   ) -> Tuple[ImageLike, ImageLike]:
    """Add white Gaussian noise and clip to the valid range.

    Parameters
    ----------
    x : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float in [0, 1]. Never modified.
    sigma : float
        Standard deviation in [0, 1] image units (>= 0).
    generator : torch.Generator, optional
        CPU generator for the random draws (``None``: torch's global one).

    Returns
    -------
    tuple
        ``(noisy, known_mask)``; every pixel is corrupted, so ``known_mask`` is all False
        (layout as for :func:`salt_and_pepper`).

    Raises
    ------
    TypeError
        ``sigma`` not a number or ``generator`` not a ``torch.Generator``.
    ValueError
        ``sigma`` negative, NaN or infinite.

    Notes
    -----
    ``y = clip(x + sigma * white * n, 0, white)`` with ``n ~ N(0, 1)`` per value, drawn in
    float64 on the CPU.

    Examples
    --------
    >>> import torch
    >>> y, known = gaussian_noise(torch.full((1, 1, 64, 64), 0.5), 0.1, generator=torch.Generator().manual_seed(0))
    >>> bool(known.any()), round(float(y.std()), 1)
    (False, 0.1)
    """
    fn = "gaussian_noise"
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
        bad_type(fn, "sigma", "a non-negative number", sigma)
    if not float(sigma) >= 0.0 or math.isinf(float(sigma)):
        bad_value(fn, "sigma", "a finite number >= 0", sigma)
    _check_generator(fn, generator)
    b = to_batch(x, fn)
    white = max_value(b.data.dtype)
    noise = torch.randn(b.data.shape, generator=generator, dtype=torch.float64).to(b.data.device)
    y = to_compute(b.data) + (noise * (sigma * white)).to(to_compute(b.data).dtype)
    out = from_compute(y.clamp(0.0, white), b.data.dtype)
    known = torch.zeros((b.data.shape[0], 1, *b.data.shape[-2:]), dtype=torch.bool, device=b.data.device)
    return _give_back(b, out, known)


def _line_mask(h: int, w: int, lines: torch.Tensor, width: float) -> torch.Tensor:
    """(H, W) bool: pixels within ``width/2`` of any segment ``lines`` (N, 4) = y0, x0, y1, x1."""
    yy = torch.arange(h, dtype=torch.float64)[:, None, None]
    xx = torch.arange(w, dtype=torch.float64)[None, :, None]
    y0, x0, y1, x1 = lines.unbind(-1)
    vy, vx = y1 - y0, x1 - x0
    t = (((yy - y0) * vy + (xx - x0) * vx) / (vy * vy + vx * vx).clamp_min(1e-12)).clamp(0, 1)
    dist2 = (yy - (y0 + t * vy)) ** 2 + (xx - (x0 + t * vx)) ** 2
    return (dist2 <= (width / 2.0) ** 2).any(-1)


def scratches(x: ImageLike, count: int = 12, width: float = 3.0,
              generator: Optional[torch.Generator] = None, value: float = 1.0
              ) -> Tuple[ImageLike, ImageLike]:
    """Draw random straight scratches; the scratched pixels are unknown.

    Parameters
    ----------
    x : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float in [0, 1]. Never modified.
    count : int
        Scratches per image (>= 0).
    width : float
        Width in pixels (> 0): pixels within ``width / 2`` of a segment are scratched.
    generator : torch.Generator, optional
        CPU generator for the random draws (``None``: torch's global one).
    value : float
        Colour of the scratches, in [0, 1].

    Returns
    -------
    tuple
        ``(corrupted, known_mask)``: ``corrupted`` of the type, shape and dtype of ``x``;
        ``known_mask`` bool, True where the pixel is intact, ``(..., 1, H, W)`` for tensors and
        ``(H, W)`` for numpy.

    Raises
    ------
    TypeError
        ``value`` not a number or ``generator`` not a ``torch.Generator``.
    ValueError
        Bad ``count``, ``width`` or ``value``.

    Examples
    --------
    >>> import torch
    >>> y, known = scratches(torch.zeros(2, 1, 32, 32), count=3, generator=torch.Generator().manual_seed(0))
    >>> bool((y[~known] == 1.0).all()), bool((~known).any())
    (True, True)
    """
    fn = "scratches"
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        bad_value(fn, "count", "an int >= 0", count)
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
        bad_value(fn, "width", "a number > 0", width)
    _check_fraction(fn, value, "value")
    _check_generator(fn, generator)
    b = to_batch(x, fn)
    bsz, _, h, w = b.data.shape
    masks = []
    for _ in range(bsz):
        pts = torch.rand((count, 4), generator=generator, dtype=torch.float64)
        pts = pts * torch.tensor([h - 1, w - 1, h - 1, w - 1], dtype=torch.float64)
        masks.append(_line_mask(h, w, pts, float(width)) if count else torch.zeros(h, w, dtype=torch.bool))
    unknown = torch.stack(masks)[:, None].to(b.data.device)
    fill = from_compute(torch.tensor(value * max_value(b.data.dtype), dtype=torch.float64), b.data.dtype)
    out = torch.where(unknown, fill.to(b.data.device), b.data)
    return _give_back(b, out, ~unknown)


def text_overlay(x: ImageLike, text: str = "pixelgrad restores images", size: int = 0,
                 value: float = 1.0) -> Tuple[ImageLike, ImageLike]:
    """Write text in lines across the image; the covered pixels are unknown.

    Parameters
    ----------
    x : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float in [0, 1]. Never modified.
    text : str
        Non-empty text, repeated along each line.
    size : int
        Font size in pixels (Pillow's default font); 0 means about ``H / 12``.
    value : float
        Colour of the text, in [0, 1].

    Returns
    -------
    tuple
        ``(corrupted, known_mask)``: ``corrupted`` of the type, shape and dtype of ``x``;
        ``known_mask`` bool, True where the pixel is intact, ``(..., 1, H, W)`` for tensors and
        ``(H, W)`` for numpy.

    Raises
    ------
    TypeError
        ``value`` not a number.
    ValueError
        Empty ``text`` or ``value`` outside [0, 1].

    Notes
    -----
    Deterministic (no randomness): every image of a batch gets the same mask.

    Examples
    --------
    >>> import torch
    >>> y, known = text_overlay(torch.zeros(2, 3, 48, 64))
    >>> known.shape, bool(torch.equal(known[0], known[1])), bool((~known).any())
    (torch.Size([2, 1, 48, 64]), True, True)
    """
    fn = "text_overlay"
    if not isinstance(text, str) or not text:
        bad_value(fn, "text", "a non-empty string", text)
    _check_fraction(fn, value, "value")
    b = to_batch(x, fn)
    _, _, h, w = b.data.shape
    from PIL import Image, ImageDraw, ImageFont

    size = size or max(8, h // 12)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    for i, y in enumerate(range(size // 2, h, 2 * size)):
        draw.text((size // 2 - (i % 2) * size, y), (text + "  ") * 4, fill=255, font=font)
    unknown = torch.from_numpy(np.asarray(canvas) > 0)[None, None].to(b.data.device)
    fill = from_compute(torch.tensor(value * max_value(b.data.dtype), dtype=torch.float64), b.data.dtype)
    out = torch.where(unknown, fill.to(b.data.device), b.data)
    return _give_back(b, out, ~unknown.expand(b.data.shape[0], 1, h, w))


def blur(x: ImageLike, kernel: Optional[Kernel] = None, *, sigma: Optional[Sigma] = None,
         angle: Optional[Angle] = None, box: Optional[PairValue] = None,
         motion: Optional[Motion] = None, border: str = "reflect", noise: float = 0.0,
         generator: Optional[torch.Generator] = None) -> Tuple[ImageLike, Any]:
    r"""Blur with one of pixelgrad's blurs (or a point-spread function), then add noise.

    Parameters
    ----------
    x : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float in [0, 1]. Never modified.
    kernel, sigma, angle, box, motion :
        The blur, exactly one of them, as for :class:`~pixelgrad.restore.operators.Blur`
        (``pg.restore.deblur`` takes the same arguments).
    border : str
        Border mode of the blur.
    noise : float
        Standard deviation of the added white Gaussian noise, in [0, 1] units (>= 0); not
        clipped for float images, uint8 results are rounded and saturated.
    generator : torch.Generator, optional
        CPU generator for the noise.

    Returns
    -------
    tuple
        ``(blurred, operator)``: the image in the container, shape and dtype of ``x`` and the
        :class:`~pixelgrad.restore.operators.Blur` used, ready for
        :func:`~pixelgrad.restore.solve`.

    Raises
    ------
    TypeError
        ``generator`` not a ``torch.Generator``.
    ValueError
        Bad blur parameters or ``noise``.

    Notes
    -----
    .. math:: y = A x + \sigma n, \qquad n \sim \mathcal N(0, I)

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> y, A = pg.restore.corrupt.blur(torch.rand(1, 1, 32, 32), motion=(9, 0.5), noise=0.01,
    ...                                generator=torch.Generator().manual_seed(0))
    >>> y.shape, type(A).__name__
    (torch.Size([1, 1, 32, 32]), 'Blur')
    """
    from .operators import Blur

    fn = "blur"
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not (math.isfinite(noise) and noise >= 0):
        bad_value(fn, "noise", "a finite number >= 0", noise)
    _check_generator(fn, generator)
    op = Blur(kernel, sigma=sigma, angle=angle, box=box, motion=motion, border=border)
    b = to_batch(x, fn)
    white = max_value(b.data.dtype)
    work = torch.float64 if b.data.dtype == torch.float64 else torch.float32
    v = b.data.to(work) / white
    op._check_size(v)
    y = op(v)
    if noise > 0:
        n = torch.randn(y.shape, generator=generator, dtype=torch.float64).to(y.device)
        y = y + (n * noise).to(y.dtype)
    y = y * white
    if not b.data.is_floating_point():
        y = y.clamp(0.0, white)
    return b.restore(from_compute(y, b.data.dtype)), op
