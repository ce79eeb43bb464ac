"""Image quality metrics: PSNR (whole image or a pixel subset) and SSIM.

Both accept a tensor ``(..., C, H, W)`` or a numpy ``(H, W[, C])`` pair of the same shape and
return one value per image: a Python float for a single image (numpy, 2-D or 3-D tensor) or a
float64 tensor of the leading batch shape otherwise. They are computed in float64.
"""
from __future__ import annotations

import math
from typing import Optional, Union

import torch
import torch.nn.functional as F

from .._errors import bad_value
from .._interop import Batch, ImageLike, to_batch
from ..kernels.gaussian import gaussian_kernel1d

Score = Union[float, torch.Tensor]


def _pair(fn: str, x: ImageLike, reference: ImageLike):
    bx = to_batch(x, fn, "x")
    br = to_batch(reference, fn, "reference")
    if bx.data.shape != br.data.shape:
        bad_value(fn, "reference", f"an image of the same shape as x {tuple(bx.data.shape)}", reference)
    return bx, br


def _data_range(fn: str, b: Batch, data_range: Optional[float]) -> float:
    if data_range is None:
        return 255.0 if b.data.dtype == torch.uint8 else 1.0
    if not float(data_range) > 0:
        bad_value(fn, "data_range", "a number > 0", data_range)
    return float(data_range)


def _per_image(b: Batch, values: torch.Tensor) -> Score:
    if b.is_numpy or b.tensor_ndim <= 3:
        return float(values[0])
    return values.reshape(b.lead_shape)


def psnr(x: ImageLike, reference: ImageLike, *, data_range: Optional[float] = None,
         mask: Optional[ImageLike] = None) -> Score:
    """Peak signal-to-noise ratio in dB: ``10 log10(data_range^2 / MSE)``.

    ``data_range`` defaults to 255 for uint8 and 1.0 for float images. With ``mask`` (bool,
    broadcastable to the image in its own layout, e.g. the *unknown* pixels of an inpainting
    problem) the MSE averages only over the True pixels. An exact match gives ``inf``.
    """
    fn = "psnr"
    bx, br = _pair(fn, x, reference)
    rng = _data_range(fn, br, data_range)
    err = (bx.data.double() - br.data.double()).square()
    if mask is None:
        mse = err.reshape(err.shape[0], -1).mean(1)
    else:
        m = _mask_like(fn, mask, bx, err)
        cnt = m.reshape(m.shape[0], -1).sum(1)
        if bool((cnt == 0).any()):
            bad_value(fn, "mask", "True for at least one pixel of every image", mask)
        mse = (err * m).reshape(err.shape[0], -1).sum(1) / cnt
    with torch.no_grad():
        out = 10.0 * torch.log10(rng * rng / mse)
    return _per_image(br, out)


def _mask_like(fn: str, mask: ImageLike, b: Batch, like: torch.Tensor) -> torch.Tensor:
    """Bool mask in the caller's layout -> float64 (B, C, H, W) mask expanded like ``like``."""
    m = torch.as_tensor(mask)
    if m.dtype != torch.bool:
        bad_value(fn, "mask", "a bool mask", mask)
    if b.is_numpy:
        m = m[..., None] if m.ndim == 2 else m
        m = m.permute(2, 0, 1)[None]
    elif m.ndim == 2:
        m = m[None, None]
    else:
        m = m.reshape(-1, *m.shape[-3:]) if m.ndim >= 3 else m
        if m.ndim == 3:
            m = m[None]
    try:
        return m.to(like.device).expand_as(like).double()
    except RuntimeError:
        bad_value(fn, "mask", f"broadcastable to the image {tuple(like.shape)}", mask)


def ssim(x: ImageLike, reference: ImageLike, *, data_range: Optional[float] = None,
         sigma: float = 1.5) -> Score:
    """Structural similarity (Wang et al. 2004), Gaussian-weighted.

    Local means, variances and covariance use an 11-tap Gaussian window (sigma 1.5, radius
    ``int(3.5 sigma + 0.5)``), population (not sample) covariances, ``C1 = (0.01 R)^2``,
    ``C2 = (0.03 R)^2``; SSIM = mean over channels and over the pixels at least ``radius``
    from the border of ``(2 mx my + C1)(2 sxy + C2) / ((mx^2 + my^2 + C1)(sx^2 + sy^2 + C2))``.
    This equals ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=R)``.
    """
    fn = "ssim"
    bx, br = _pair(fn, x, reference)
    rng = _data_range(fn, br, data_range)
    radius = int(3.5 * sigma + 0.5)
    h, w = bx.data.shape[-2:]
    if h <= 2 * radius or w <= 2 * radius:
        bad_value(fn, "x", f"an image larger than {2 * radius + 1}x{2 * radius + 1} pixels", x)
    a = bx.data.double()
    r = br.data.double()
    bsz, c = a.shape[:2]
    win = gaussian_kernel1d(sigma, radius=radius, dtype=torch.float64, device=a.device)

    def blur(t: torch.Tensor) -> torch.Tensor:
        t = t.reshape(bsz * c, 1, h, w)
        t = F.conv2d(t, win.view(1, 1, -1, 1))
        return F.conv2d(t, win.view(1, 1, 1, -1))

    mx, my = blur(a), blur(r)
    sxx = blur(a * a) - mx * mx
    syy = blur(r * r) - my * my
    sxy = blur(a * r) - mx * my
    c1, c2 = (0.01 * rng) ** 2, (0.03 * rng) ** 2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    out = s.reshape(bsz, -1).mean(1)
    return _per_image(br, out)


def psnr_from_mse(mse: float, data_range: float = 1.0) -> float:
    """``10 log10(data_range^2 / mse)`` for a plain number."""
    return math.inf if mse == 0 else 10.0 * math.log10(data_range * data_range / mse)
