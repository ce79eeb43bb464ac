"""Noise level estimation from the patch covariance (Chen, Zhu, Heng 2015).

The 7x7 patches of the image (every 3rd position, all channels pooled) are centred and their
49x49 covariance diagonalised. Patches of a natural image lie near a low-dimensional subspace,
so the smallest eigenvalues are pure noise (each ``sigma^2``); the largest are signal. The
estimate is the mean of the largest set of smallest eigenvalues ``l_1 <= ... <= l_k`` whose
mean does not exceed its median (signal eigenvalues would pull the mean above the median):
``sigma^2 = mean(l_1..l_k)``. Robust to blur and much less sensitive to texture than the
classical
``median(|HH|) / 0.6745`` of the finest wavelet band (Donoho & Johnstone 1994), which
texture inflates (``haar_sigma``, kept for comparison).

References
----------
Chen, Zhu, Heng (2015). An efficient statistical method for image noise level estimation. ICCV.
Donoho, Johnstone (1994). Ideal spatial adaptation by wavelet shrinkage. Biometrika 81(3).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .._dtypes import max_value
from .._errors import bad_value
from .._interop import ImageLike, to_batch

__all__ = ["estimate_noise", "noise_sigma", "haar_sigma", "selection_bias"]


def noise_sigma(x: torch.Tensor, patch: int = 7, stride: Optional[int] = None,
                flat_fraction: float = 1.0) -> torch.Tensor:
    """Per-image estimate ``(B,)`` (float64, CPU) for a float batch ``(B, C, H, W)`` (module
    docstring). ``stride`` defaults to the largest of 1, 2, 3 that still gives at least 8000
    patches (the covariance needs many more samples than its 49 dimensions);
    ``flat_fraction < 1`` keeps only that fraction of the patches with the lowest variance
    (less texture) and divides the variance by :func:`selection_bias` (keeping the flattest
    patches of pure noise lowers their variance: by 16 % for 7x7 patches at 0.5).
    Images smaller than the patch fall back to :func:`haar_sigma`."""
    out = []
    for i in range(x.shape[0]):
        v = x[i].to(torch.float64)
        n = v.shape[0] * max(v.shape[-2] - patch + 1, 1) * max(v.shape[-1] - patch + 1, 1)
        st = stride or max(1, min(3, int((n / 8000) ** 0.5)))
        if min(v.shape[-2:]) < patch + st:
            out.append(haar_sigma(x[i:i + 1])[0])
            continue
        p = F.unfold(v[:, None], patch, stride=st)              # (C, patch^2, L)
        p = p.permute(1, 0, 2).reshape(patch * patch, -1)
        if flat_fraction < 1.0:
            var = (p - p.mean(0, keepdim=True)).square().mean(0)
            p = p[:, var <= var.quantile(flat_fraction)]
        p = p - p.mean(1, keepdim=True)
        lam = torch.linalg.eigvalsh(p @ p.T / p.shape[1]).clamp_min(0.0).cpu()   # ascending
        s2 = lam[0]
        for k in range(lam.numel(), 0, -1):
            t = lam[:k]
            if float(t.mean()) <= float(t.median()):
                s2 = t.mean()
                break
        if flat_fraction < 1.0:
            s2 = s2 / selection_bias(patch * patch - 1, flat_fraction)
        out.append(s2.sqrt())
    return torch.stack(out) if out else torch.zeros(0, dtype=torch.float64)


def selection_bias(dof: int, fraction: float) -> float:
    """``E[X | X <= q_f] / E[X]`` for ``X ~ chi^2_dof`` and ``q_f`` its ``fraction`` quantile.

    The sum of squared deviations of a pure-noise patch from its mean is ``sigma^2 X`` with
    ``dof = patch^2 - 1``; keeping the flattest ``fraction`` of the patches scales the expected
    variance of the kept ones by ``F_{dof+2}(q_f) / fraction`` (``F_k`` the chi-square CDF,
    since ``x f_k(x) = k f_{k+2}(x)``).

    Examples
    --------
    >>> round(selection_bias(48, 0.5), 3)
    0.838
    >>> selection_bias(48, 1.0)
    1.0
    """
    if fraction >= 1.0:
        return 1.0
    k = torch.tensor(dof / 2.0, dtype=torch.float64)
    lo, hi = 0.0, 10.0 * dof + 100.0
    for _ in range(200):                                    # bisection for the quantile
        mid = 0.5 * (lo + hi)
        if float(torch.special.gammainc(k, torch.tensor(mid / 2.0, dtype=torch.float64))) < fraction:
            lo = mid
        else:
            hi = mid
    q = torch.tensor(0.5 * (lo + hi) / 2.0, dtype=torch.float64)
    return float(torch.special.gammainc(k + 1.0, q)) / fraction


def haar_sigma(x: torch.Tensor) -> torch.Tensor:
    """``median(|HH|) / 0.6745`` of the finest diagonal Haar band per image ``(B,)``."""
    b, c, h, w = x.shape
    h2, w2 = h - h % 2, w - w % 2
    if h2 == 0 or w2 == 0:
        return torch.zeros(b, dtype=torch.float64)
    v = x[..., :h2, :w2].to(torch.float64)
    hh = (v[..., 0::2, 0::2] - v[..., 0::2, 1::2] - v[..., 1::2, 0::2] + v[..., 1::2, 1::2]) * 0.5
    return hh.reshape(b, -1).abs().median(dim=1).values.cpu() / 0.6745


def estimate_noise(image: ImageLike, flat_fraction: float = 1.0) -> object:
    """Estimate the standard deviation of additive white Gaussian noise in ``image``.

    Parameters
    ----------
    image : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float (in [0, 1] units; noisy values slightly outside are fine).
    flat_fraction : float
        In (0, 1]: use only this fraction of the patches, those with the lowest variance
        (texture then inflates the estimate less); the variance is divided by
        :func:`selection_bias` so that the estimate stays unbiased on pure noise (within
        ~1 % on average at 0.5, 3 % at worst on 256x256; smaller fractions keep fewer patches and
        read a few % low).
        ``pg.restore.denoise`` uses the smaller of the estimates at 1 and 0.5.

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
    ``sigma^2`` = the mean of the noise eigenvalues of the 7x7 patch covariance (module
    docstring). Fine texture can still inflate the estimate somewhat.

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
    if isinstance(flat_fraction, bool) or not isinstance(flat_fraction, (int, float)) or not 0 < flat_fraction <= 1:
        bad_value("estimate_noise", "flat_fraction", "a number in (0, 1]", flat_fraction)
    s = noise_sigma(b.data.to(torch.float64) / max_value(b.data.dtype), flat_fraction=float(flat_fraction))
    if b.is_numpy or b.tensor_ndim <= 3:
        return float(s[0])
    return s.reshape(b.lead_shape)
