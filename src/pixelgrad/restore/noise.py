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
G. Chen, F. Zhu, P. A. Heng, "An efficient statistical method for image noise level
estimation", Proc. IEEE Int. Conf. Computer Vision (ICCV), 477-485 (2015).
D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
Biometrika 81(3):425-455 (1994).
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F

from .._dtypes import max_value
from .._errors import bad_value
from .._interop import ImageLike, to_batch

__all__ = ["estimate_noise", "noise_sigma", "haar_sigma", "selection_bias", "MAX_PATCHES"]

#: Most patches sampled per image (all channels pooled): far more than the covariance of
#: ``patch^2`` dimensions needs, and a bound on the memory (``patch^2`` float64 each).
MAX_PATCHES = 1 << 18


def noise_sigma(x: torch.Tensor, patch: int = 7, stride: Optional[int] = None,
                flat_fraction: float = 1.0) -> torch.Tensor:
    r"""Per-image noise standard deviation of a float batch (the core of :func:`estimate_noise`).

    Parameters
    ----------
    x : tensor ``(B, C, H, W)``
        Float images in [0, 1] units.
    patch : int
        Side of the square patches.
    stride : int, optional
        Patch stride; defaults to the largest of 1, 2, 3 that still gives at least 8000
        patches (the covariance needs many more samples than its ``patch^2`` dimensions),
        and on a large image to the smallest stride giving at most :data:`MAX_PATCHES`
        patches (so memory and time stay bounded: a 3000 x 3000 RGB image took 3.5 GB and
        13 s at stride 3).
    flat_fraction : float
        Below 1, keep only that fraction of the patches with the lowest variance (less
        texture) and divide the variance by :func:`selection_bias` (keeping the flattest
        patches of pure noise lowers their variance: by 16 % for 7x7 patches at 0.5).

    Returns
    -------
    tensor ``(B,)``
        float64 on the CPU. Images smaller than ``patch + stride`` fall back to
        :func:`haar_sigma`.

    Notes
    -----
    With :math:`\lambda_1 \le \dots \le \lambda_{p^2}` the eigenvalues of the covariance of
    the centred patches, the estimate takes the largest :math:`k` for which the mean of
    :math:`\lambda_1..\lambda_k` does not exceed their median [1]_:

    .. math:: \hat\sigma^2 = \frac1k \sum_{i=1}^{k} \lambda_i

    References
    ----------
    .. [1] G. Chen, F. Zhu, P. A. Heng, "An efficient statistical method for image noise
       level estimation", Proc. IEEE Int. Conf. Computer Vision (ICCV), 477-485 (2015).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = 0.5 + 0.1 * torch.randn(2, 1, 128, 128, generator=g)
    >>> s = noise_sigma(x)
    >>> s.shape, bool(((s - 0.1).abs() < 0.01).all())
    (torch.Size([2]), True)
    """
    out = []
    for i in range(x.shape[0]):
        v = x[i]
        n = v.shape[0] * max(v.shape[-2] - patch + 1, 1) * max(v.shape[-1] - patch + 1, 1)
        st = stride or max(1, min(3, int((n / 8000) ** 0.5)))
        if stride is None and n > MAX_PATCHES * st * st:     # a large image: a sparser grid
            st = math.ceil((n / MAX_PATCHES) ** 0.5)
        if min(v.shape[-2:]) < patch + st:
            out.append(haar_sigma(x[i:i + 1])[0])
            continue
        # unfold and lay out, then float64: the same values as from a float64 copy of the
        # whole image; the temporaries are in place (the same IEEE operations)
        p = F.unfold(v[:, None], patch, stride=st)                         # (C, patch^2, L)
        p = p.permute(1, 0, 2).reshape(patch * patch, -1).to(torch.float64)
        if flat_fraction < 1.0:
            var = (p - p.mean(0, keepdim=True)).square_().mean(0)
            p = p[:, var <= var.quantile(flat_fraction)]
            del var
        p.sub_(p.mean(1, keepdim=True))
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
    r"""Bias of the variance of the flattest patches of pure noise.

    Parameters
    ----------
    dof : int
        Degrees of freedom, ``patch^2 - 1`` for a patch centred on its own mean.
    fraction : float
        The fraction of the patches kept (those of lowest variance), in (0, 1].

    Returns
    -------
    float
        :math:`E[X \mid X \le q_f] / E[X]` for :math:`X \sim \chi^2_{dof}` and :math:`q_f`
        its ``fraction`` quantile; 1.0 for ``fraction >= 1``.

    Notes
    -----
    The sum of squared deviations of a pure-noise patch from its mean is :math:`\sigma^2 X`;
    since :math:`x f_k(x) = k f_{k+2}(x)` for the chi-square densities,

    .. math:: \frac{E[X \mid X \le q_f]}{E[X]} = \frac{F_{dof+2}(q_f)}{f}

    with :math:`F_k` the chi-square CDF, evaluated by the regularised incomplete gamma
    function; :math:`q_f` is found by bisection.

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
    r"""Classical wavelet noise estimate: the median absolute finest diagonal Haar coefficient.

    Parameters
    ----------
    x : tensor ``(B, C, H, W)``
        Float images.

    Returns
    -------
    tensor ``(B,)``
        float64 on the CPU; zeros for images narrower than 2 pixels.

    Notes
    -----
    .. math:: \hat\sigma = \mathrm{median}(|HH|) / 0.6745

    (Donoho & Johnstone [1]_). Texture inflates it; kept for comparison with
    :func:`noise_sigma`.

    References
    ----------
    .. [1] D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
       Biometrika 81(3):425-455 (1994).

    Examples
    --------
    >>> import torch
    >>> x = 0.5 + 0.1 * torch.randn(1, 1, 256, 256, generator=torch.Generator().manual_seed(0))
    >>> bool((haar_sigma(x) - 0.1).abs() < 0.01)
    True
    """
    b, c, h, w = x.shape
    h2, w2 = h - h % 2, w - w % 2
    if h2 == 0 or w2 == 0:
        return torch.zeros(b, dtype=torch.float64)
    v = x[..., :h2, :w2].to(torch.float64)
    hh = (v[..., 0::2, 0::2] - v[..., 0::2, 1::2] - v[..., 1::2, 0::2] + v[..., 1::2, 1::2]) * 0.5
    return hh.reshape(b, -1).abs().median(dim=1).values.cpu() / 0.6745


def estimate_noise(image: ImageLike, flat_fraction: float = 1.0) -> object:
    r"""Estimate the standard deviation of additive white Gaussian noise in ``image``.

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
    :math:`\hat\sigma^2` is the mean of the noise eigenvalues of the 7x7 patch covariance
    (:func:`noise_sigma`, after Chen, Zhu and Heng [1]_). Fine texture can still inflate the
    estimate somewhat.

    References
    ----------
    .. [1] G. Chen, F. Zhu, P. A. Heng, "An efficient statistical method for image noise
       level estimation", Proc. IEEE Int. Conf. Computer Vision (ICCV), 477-485 (2015).

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
