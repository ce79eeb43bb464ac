"""Noise level estimation: ``sigma = median(|HH|) / 0.6745`` (Donoho & Johnstone 1994).

``HH`` are the finest diagonal Haar wavelet coefficients ``(a - b - c + d) / 2`` of the
non-overlapping 2x2 blocks ``[[a, b], [c, d]]``; for white Gaussian noise of standard deviation
``sigma`` each is ``N(0, sigma^2)`` (orthonormal transform), while smooth or blurred image
content barely reaches them, so the median absolute value is a robust estimate
(``0.6745`` = the median of ``|N(0, 1)|``).

References
----------
Donoho, Johnstone (1994). Ideal spatial adaptation by wavelet shrinkage. Biometrika 81(3).
"""
from __future__ import annotations

import torch

from .._dtypes import max_value
from .._errors import bad_value
from .._interop import ImageLike, to_batch

__all__ = ["estimate_noise", "noise_sigma"]


def noise_sigma(x: torch.Tensor) -> torch.Tensor:
    """Per-image estimate ``(B,)`` (float64) for a float batch ``(B, C, H, W)``; all channels of
    an image pooled. Images smaller than 2x2 give 0."""
    b, c, h, w = x.shape
    h2, w2 = h - h % 2, w - w % 2
    if h2 == 0 or w2 == 0:
        return torch.zeros(b, dtype=torch.float64)
    v = x[..., :h2, :w2].to(torch.float64)
    hh = (v[..., 0::2, 0::2] - v[..., 0::2, 1::2] - v[..., 1::2, 0::2] + v[..., 1::2, 1::2]) * 0.5
    return hh.reshape(b, -1).abs().median(dim=1).values.cpu() / 0.6745


def estimate_noise(image: ImageLike) -> object:
    """Estimate the standard deviation of additive white Gaussian noise in ``image``.

    Parameters
    ----------
    image : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float (in [0, 1] units; noisy values slightly outside are fine).

    Returns
    -------
    float or torch.Tensor
        ``sigma`` in [0, 1] image units: a float for one image, a float64 tensor of the
        leading batch shape otherwise.

    Raises
    ------
    ValueError
        If the image is smaller than 2x2 pixels.

    Notes
    -----
    ``sigma = median(|HH|) / 0.6745`` (module docstring). Texture at the finest scale inflates
    the estimate slightly.

    Examples
    --------
    >>> import torch
    >>> x = torch.full((1, 256, 256), 0.5) + 0.05 * torch.randn(1, 256, 256, generator=torch.Generator().manual_seed(0))
    >>> abs(estimate_noise(x) - 0.05) < 0.005
    True
    """
    b = to_batch(image, "estimate_noise", "image")
    if min(b.data.shape[-2:]) < 2:
        bad_value("estimate_noise", "image", "at least 2x2 pixels", tuple(b.data.shape))
    s = noise_sigma(b.data.to(torch.float64) / max_value(b.data.dtype))
    if b.is_numpy or b.tensor_ndim <= 3:
        return float(s[0])
    return s.reshape(b.lead_shape)
