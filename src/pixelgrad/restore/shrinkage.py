"""Sliding-window DCT shrinkage: a fast patch denoiser for white or coloured Gaussian noise.

Every ``p x p`` patch (on a grid of step ``stride``, mirror-padded by ``p - 1`` so every pixel
is covered equally) is transformed by the orthonormal 2-D DCT ``c = (D (x) D) vec(P)``;
coefficient ``k`` carries noise of variance ``v_k``. Then

* :func:`hard_threshold` (first stage): ``c_k <- c_k [c_k^2 > t^2 v_k]`` (DC kept),
* :func:`wiener` (second stage, with a pilot estimate ``b``):
  ``c_k <- c_k b_k^2 / (b_k^2 + v_k)`` (DC kept),

and the patches are put back and averaged with the weights ``1 / #kept`` (hard threshold) or
``1 / sum g_k^2`` (Wiener), i.e. inversely to the residual noise variance of each patch
(as in BM3D's aggregation). For white noise ``v_k = sigma^2``; for noise with autocorrelation
``R`` (e.g. after a regularised deconvolution) :func:`coefficient_variance` computes
``v = diag((D (x) D) S (D (x) D)^T)``, ``S[(a, b), (a', b')] = R(a - a', b - b')``.

References
----------
Yu, Sapiro (2011). DCT image denoising: a simple and effective image denoising algorithm.
Dabov, Foi, Katkovnik, Egiazarian (2007/2008). Image denoising by sparse 3-D transform-domain
collaborative filtering; image restoration by sparse 3-D transform-domain collaborative
filtering (regularised inverse + coloured-noise shrinkage).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .sparse import dct_matrix

__all__ = ["hard_threshold", "wiener", "two_stage", "coefficient_variance"]


def _basis(p: int, dtype: torch.dtype, device) -> torch.Tensor:
    d = dct_matrix(p, torch.float64)
    return torch.kron(d, d).to(device=device, dtype=dtype)


def _patches(x: torch.Tensor, p: int, stride: int) -> torch.Tensor:
    """``x`` (1, 1, H, W) -> patches ``(p*p, L)`` of the mirror-padded image."""
    pad = p - 1
    mode = "reflect" if min(x.shape[-2:]) > pad else "replicate"
    return F.unfold(F.pad(x, (pad, pad, pad, pad), mode=mode), p, stride=stride)[0]


def _aggregate(r: torch.Tensor, w: torch.Tensor, shape, p: int, stride: int) -> torch.Tensor:
    pad = p - 1
    h, wd = shape
    hp, wp = h + 2 * pad, wd + 2 * pad
    num = F.fold((r * w)[None], (hp, wp), p, stride=stride)
    den = F.fold(w.expand(p * p, -1)[None], (hp, wp), p, stride=stride)
    return (num / den)[..., pad:pad + h, pad:pad + wd]


def _check_plane(x: torch.Tensor, p: int, stride: int) -> None:
    if x.ndim != 4 or x.shape[:2] != (1, 1):
        raise ValueError(f"shrinkage: argument `x` must be one plane (1, 1, H, W), got {tuple(x.shape)}")
    if stride < 1 or stride > p:
        raise ValueError(f"shrinkage: argument `stride` must be in [1, {p}], got {stride}")


def hard_threshold(x: torch.Tensor, variance: torch.Tensor, *, threshold: float = 2.7, patch: int = 8,
                   stride: int = 2) -> torch.Tensor:
    """First stage: hard thresholding at ``threshold * sqrt(v_k)`` (see the module docstring).

    Parameters
    ----------
    x : torch.Tensor
        One noisy plane ``(1, 1, H, W)``.
    variance : torch.Tensor
        Noise variance per coefficient ``(patch**2,)`` (or a scalar for white noise).
    threshold, patch, stride : float, int, int

    Returns
    -------
    torch.Tensor
        The estimate, shape of ``x``.

    Examples
    --------
    >>> import torch
    >>> clean = torch.linspace(0, 1, 32).repeat(32, 1)[None, None]
    >>> noisy = clean + 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    >>> est = hard_threshold(noisy, torch.tensor(0.01))
    >>> bool((est - clean).square().mean() < (noisy - clean).square().mean())
    True
    """
    _check_plane(x, patch, stride)
    basis = _basis(patch, x.dtype, x.device)
    return _threshold(x, basis @ _patches(x, patch, stride), basis, variance, threshold, patch, stride)


def _threshold(x, c, basis, variance, threshold, patch, stride):
    v = torch.as_tensor(variance, dtype=x.dtype, device=x.device).reshape(-1, 1)
    keep = c * c > (threshold * threshold) * v
    keep[0] = True
    w = 1.0 / keep.sum(0, keepdim=True).to(x.dtype)
    return _aggregate(basis.T @ (c * keep), w, x.shape[-2:], patch, stride)


def wiener(x: torch.Tensor, pilot: torch.Tensor, variance: torch.Tensor, *, patch: int = 8,
           stride: int = 2, risk: bool = False):
    """Second stage: empirical Wiener shrinkage ``g_k = b_k^2 / (b_k^2 + v_k)`` with the DCT
    coefficients ``b`` of ``pilot`` (see the module docstring); arguments as
    :func:`hard_threshold`.

    With ``risk=True`` returns ``(estimate, sure)``: Stein's unbiased risk estimate of the
    mean squared error per pixel for white noise of variance ``v`` (scalar), treating the
    gains as fixed (they depend on the pilot): ``SURE = ||x_hat - y||^2 / N - v + 2 v div / N``
    with ``div = sum_i d x_hat_i / d y_i`` = the aggregate of ``sum_k phi_k(i)^2 g_k``.
    Used to compare configurations on the same image (its absolute value is rough)."""
    _check_plane(x, patch, stride)
    basis = _basis(patch, x.dtype, x.device)
    return _wiener(x, basis @ _patches(x, patch, stride), pilot, basis, variance, patch, stride, risk)


def _wiener(x, c, pilot, basis, variance, patch, stride, risk):
    b = basis @ _patches(pilot, patch, stride)
    v = torch.as_tensor(variance, dtype=x.dtype, device=x.device).reshape(-1, 1)
    b2 = b * b
    g = b2 / (b2 + v).clamp_min(torch.finfo(x.dtype).tiny)
    g[0] = 1.0
    w = 1.0 / (g * g).sum(0, keepdim=True)
    out = _aggregate(basis.T @ (c * g), w, x.shape[-2:], patch, stride)
    if not risk:
        return out
    div = _aggregate((basis.T * basis.T) @ g, w, x.shape[-2:], patch, stride)
    n = x.numel()
    vv = float(v.reshape(-1)[0])
    sure = float((out - x).double().square().sum()) / n - vv + 2.0 * vv * float(div.double().sum()) / n
    return out, sure


def two_stage(x: torch.Tensor, variance: torch.Tensor, *, threshold: float = 2.7, patch: int = 8,
              stride: int = 2):
    """:func:`hard_threshold` then :func:`wiener` with it as pilot (white noise, scalar
    ``variance``), sharing the DCT coefficients of the noisy patches.

    Returns
    -------
    tuple
        ``(first, second, sure)``: the two estimates (shape of ``x``) and the second's SURE
        (see :func:`wiener`). Same values as the two functions called one after the other.

    Examples
    --------
    >>> import torch
    >>> clean = torch.linspace(0, 1, 32).repeat(32, 1)[None, None]
    >>> noisy = clean + 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    >>> first, second, sure = two_stage(noisy, torch.tensor(0.01))
    >>> bool(torch.equal(first, hard_threshold(noisy, torch.tensor(0.01))))
    True
    """
    _check_plane(x, patch, stride)
    basis = _basis(patch, x.dtype, x.device)
    c = basis @ _patches(x, patch, stride)
    first = _threshold(x, c, basis, variance, threshold, patch, stride)
    second, sure = _wiener(x, c, first, basis, variance, patch, stride, True)
    return first, second, sure


def coefficient_variance(autocorrelation: torch.Tensor, patch: int = 8,
                         dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """Noise variance of each ``patch x patch`` DCT coefficient for stationary noise with the
    given circular ``autocorrelation`` ``(h, w)`` (lag ``(0, 0)`` at index ``[0, 0]``)."""
    r = autocorrelation.to(torch.float64)
    h, w = r.shape
    i = torch.arange(patch)
    dy = (i[:, None, None, None] - i[None, None, :, None]) % h
    dx = (i[None, :, None, None] - i[None, None, None, :]) % w
    s = r[dy, dx].reshape(patch * patch, patch * patch)
    basis = _basis(patch, torch.float64, "cpu")
    v = torch.diagonal(basis @ s.cpu() @ basis.T).clamp_min(0.0)
    return v.to(dtype or torch.float64)
