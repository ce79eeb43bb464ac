"""Sliding-window DCT shrinkage: a fast patch denoiser for white or coloured Gaussian noise.

Every ``p x p`` patch (on a grid of step ``stride``, mirror-padded by ``p - 1`` so every pixel
is covered equally) is transformed by the orthonormal 2-D DCT ``c = (D (x) D) vec(P)``;
coefficient ``k`` carries noise of variance ``v_k``. Then

* :func:`patch_hard_threshold` (first stage): ``c_k <- c_k [c_k^2 > t^2 v_k]`` (DC kept),
* :func:`wiener` (second stage, with a pilot estimate ``b``):
  ``c_k <- c_k b_k^2 / (b_k^2 + v_k)`` (DC kept),

and the patches are put back and averaged with the weights ``1 / #kept`` (hard threshold) or
``1 / sum g_k^2`` (Wiener), i.e. inversely to the residual noise variance of each patch
(as in BM3D's aggregation). For white noise ``v_k = sigma^2``; for noise with autocorrelation
``R`` (e.g. after a regularised deconvolution) :func:`coefficient_variance` computes
``v = diag((D (x) D) S (D (x) D)^T)``, ``S[(a, b), (a', b')] = R(a - a', b - b')``.

References
----------
G. Yu, G. Sapiro, "DCT image denoising: a simple and effective image denoising algorithm",
Image Processing On Line 1:292-296 (2011).
K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian, "Image denoising by sparse 3-D
transform-domain collaborative filtering", IEEE Trans. Image Process. 16(8):2080-2095 (2007)
(the two stages and the aggregation weights; no block matching here).
K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian, "Image restoration by sparse 3D
transform-domain collaborative filtering", Proc. SPIE 6812, 681207 (2008) (regularised inverse
followed by coloured-noise shrinkage).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .dct import dct_matrix

__all__ = ["patch_hard_threshold", "wiener", "two_stage", "coefficient_variance"]


def _basis(p: int, dtype: torch.dtype, device) -> torch.Tensor:
    d = dct_matrix(p, torch.float64)
    return torch.kron(d, d).to(device=device, dtype=dtype)


def _aggregate(r: torch.Tensor, w: torch.Tensor, shape, p: int, stride: int) -> torch.Tensor:
    pad = p - 1
    h, wd = shape
    hp, wp = h + 2 * pad, wd + 2 * pad
    num = F.fold((r * w)[None], (hp, wp), p, stride=stride)
    den = F.fold(w.expand(p * p, -1)[None], (hp, wp), p, stride=stride)
    return (num / den)[..., pad:pad + h, pad:pad + wd]


#: Most DCT coefficients (patch**2 x patches) held at once: larger images are processed in
#: bands of patch rows, so the memory is a few image planes plus one band whatever the size
#: (the whole-image coefficients of a 3000 x 3000 image took 45x the image). Images below it
#: take the single-shot path (the same values bit for bit as before).
BAND_COEFFICIENTS = 1 << 18


def _shrink(planes: list, p: int, stride: int, compute) -> list:
    """Aggregate ``compute`` over the patches of ``planes`` (each ``(1, 1, H, W)``, the first
    the noisy one): ``compute(patch matrices) -> (values, w)``, ``values`` a list of
    ``(p*p, L)`` tensors put back with the weights ``w`` ``(1, L)``. In bands of patch rows
    when the image has more than :data:`BAND_COEFFICIENTS` coefficients."""
    x = planes[0]
    pad = p - 1
    mode = "reflect" if min(x.shape[-2:]) > pad else "replicate"
    padded = [F.pad(t, (pad, pad, pad, pad), mode=mode) for t in planes]
    h, wd = x.shape[-2:]
    hp, wp = h + 2 * pad, wd + 2 * pad
    nrows, ncols = (hp - p) // stride + 1, (wp - p) // stride + 1
    if nrows * ncols * p * p <= BAND_COEFFICIENTS:
        vals, w = compute([F.unfold(t, p, stride=stride)[0] for t in padded])
        return [_aggregate(v, w, (h, wd), p, stride) for v in vals]
    per = max(1, BAND_COEFFICIENTS // (ncols * p * p))
    nums = None
    den = x.new_zeros((1, 1, hp, wp))
    for i0 in range(0, nrows, per):
        i1 = min(nrows, i0 + per)
        top, bottom = i0 * stride, (i1 - 1) * stride + p
        vals, w = compute([F.unfold(t[..., top:bottom, :], p, stride=stride)[0] for t in padded])
        if nums is None:
            nums = [x.new_zeros((1, 1, hp, wp)) for _ in vals]
        for num, v in zip(nums, vals):
            num[..., top:bottom, :] += F.fold((v * w)[None], (bottom - top, wp), p, stride=stride)
        den[..., top:bottom, :] += F.fold(w.expand(p * p, -1)[None], (bottom - top, wp), p, stride=stride)
        del vals, w
    assert nums is not None
    return [(num / den)[..., pad:pad + h, pad:pad + wd] for num in nums]


def _check_plane(x: torch.Tensor, p: int, stride: int) -> None:
    if x.ndim != 4 or x.shape[:2] != (1, 1):
        raise ValueError(f"shrinkage: argument `x` must be one plane (1, 1, H, W), got {tuple(x.shape)}")
    if stride < 1 or stride > p:
        raise ValueError(f"shrinkage: argument `stride` must be in [1, {p}], got {stride}")


def patch_hard_threshold(x: torch.Tensor, variance: torch.Tensor, *, threshold: float = 2.7,
                         patch: int = 8, stride: int = 2) -> torch.Tensor:
    r"""First stage: hard thresholding of the DCT coefficients of overlapping patches.

    Parameters
    ----------
    x : torch.Tensor
        One noisy plane ``(1, 1, H, W)``.
    variance : torch.Tensor
        Noise variance per coefficient ``(patch**2,)`` (or a scalar for white noise).
    threshold : float
        Threshold in noise standard deviations.
    patch : int
        Side of the square patches.
    stride : int
        Step of the patch grid, in ``[1, patch]``.

    Returns
    -------
    torch.Tensor
        The estimate, shape of ``x``.

    Raises
    ------
    ValueError
        ``x`` is not one plane ``(1, 1, H, W)`` or ``stride`` is outside ``[1, patch]``.

    Notes
    -----
    With :math:`c_k` the orthonormal 2-D DCT coefficients of a patch and :math:`v_k` their
    noise variance (the DC coefficient is always kept):

    .. math:: \hat c_k = c_k \, [c_k^2 > t^2 v_k]

    The patches are put back and averaged with weight :math:`1 / \#\{\text{kept}\}` (as in
    the aggregation of BM3D [2]_; sliding DCT denoising as in [1]_).

    References
    ----------
    .. [1] G. Yu, G. Sapiro, "DCT image denoising: a simple and effective image denoising
       algorithm", Image Processing On Line 1:292-296 (2011).
    .. [2] K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian, "Image denoising by sparse 3-D
       transform-domain collaborative filtering", IEEE Trans. Image Process.
       16(8):2080-2095 (2007).

    Examples
    --------
    >>> import torch
    >>> clean = torch.linspace(0, 1, 32).repeat(32, 1)[None, None]
    >>> noisy = clean + 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    >>> est = patch_hard_threshold(noisy, torch.tensor(0.01))
    >>> bool((est - clean).square().mean() < (noisy - clean).square().mean())
    True
    """
    _check_plane(x, patch, stride)
    basis = _basis(patch, x.dtype, x.device)
    return _threshold(x, basis, variance, threshold, patch, stride)


def hard_threshold(x: torch.Tensor, variance: torch.Tensor, *, threshold: float = 2.7, patch: int = 8,
                   stride: int = 2) -> torch.Tensor:
    """Deprecated alias of :func:`patch_hard_threshold` (warns).

    The old name, shared with the block-DCT step :func:`pixelgrad.restore.dct.block_hard_threshold`.

    Parameters
    ----------
    x, variance, threshold, patch, stride :
        As for :func:`patch_hard_threshold`.

    Returns
    -------
    torch.Tensor
        As :func:`patch_hard_threshold`.
    """
    import warnings

    warnings.warn("pixelgrad.restore.shrinkage.hard_threshold is deprecated; use patch_hard_threshold",
                  DeprecationWarning, stacklevel=2)
    return patch_hard_threshold(x, variance, threshold=threshold, patch=patch, stride=stride)


def _threshold(x, basis, variance, threshold, patch, stride):
    v = torch.as_tensor(variance, dtype=x.dtype, device=x.device).reshape(-1, 1)

    def compute(pt):
        c = basis @ pt[0]
        # keep = [c^2 > t^2 v] as 0/1 floats: sign(c^2 - t^2 v) > 0 exactly when c^2 > t^2 v
        # (gradual underflow), the same values as a bool mask at half the cost on CPU
        keep = torch.sign(c * c - (threshold * threshold) * v).clamp_(min=0.0)
        keep[0] = 1.0
        w = 1.0 / keep.sum(0, keepdim=True)
        return [basis.T @ (c * keep)], w

    return _shrink([x], patch, stride, compute)[0]


def wiener(x: torch.Tensor, pilot: torch.Tensor, variance: torch.Tensor, *, patch: int = 8,
           stride: int = 2, risk: bool = False):
    r"""Second stage: empirical Wiener shrinkage of the DCT coefficients with a pilot estimate.

    Parameters
    ----------
    x : torch.Tensor
        One noisy plane ``(1, 1, H, W)``.
    pilot : torch.Tensor
        A first estimate of the clean plane (e.g. :func:`patch_hard_threshold`'s), shape of ``x``.
    variance : torch.Tensor
        Noise variance per coefficient ``(patch**2,)`` or a scalar (a scalar is needed for
        ``risk=True``).
    patch, stride : int
        As for :func:`patch_hard_threshold`.
    risk : bool
        Also return Stein's unbiased risk estimate [3]_ of the mean squared error per pixel.

    Returns
    -------
    torch.Tensor or tuple
        The estimate (shape of ``x``), or ``(estimate, sure)`` with ``risk=True``.

    Raises
    ------
    ValueError
        ``x`` is not one plane ``(1, 1, H, W)`` or ``stride`` is outside ``[1, patch]``.

    Notes
    -----
    With :math:`b_k` the DCT coefficients of the pilot's patch (DC kept, :math:`g_0 = 1`):

    .. math:: \hat c_k = g_k c_k, \qquad g_k = \frac{b_k^2}{b_k^2 + v_k}

    and the patches are averaged with weight :math:`1 / \sum_k g_k^2` (BM3D's second stage
    [2]_, without block matching). SURE treats the gains as fixed (they depend on the pilot):

    .. math:: \mathrm{SURE} = \frac{\|\hat x - y\|^2}{N} - v + \frac{2 v}{N} \sum_i \frac{\partial \hat x_i}{\partial y_i}

    where the divergence is the aggregate of :math:`\sum_k \phi_k(i)^2 g_k`. It is used to
    compare configurations on the same image (its absolute value is rough).

    References
    ----------
    .. [1] G. Yu, G. Sapiro, "DCT image denoising: a simple and effective image denoising
       algorithm", Image Processing On Line 1:292-296 (2011).
    .. [2] K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian, "Image denoising by sparse 3-D
       transform-domain collaborative filtering", IEEE Trans. Image Process.
       16(8):2080-2095 (2007).
    .. [3] C. M. Stein, "Estimation of the mean of a multivariate normal distribution",
       Ann. Statist. 9(6):1135-1151 (1981).

    Examples
    --------
    >>> import torch
    >>> clean = torch.linspace(0, 1, 32).repeat(32, 1)[None, None]
    >>> noisy = clean + 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    >>> est, sure = wiener(noisy, patch_hard_threshold(noisy, torch.tensor(0.01)), torch.tensor(0.01), risk=True)
    >>> est.shape, bool((est - clean).square().mean() < (noisy - clean).square().mean())
    (torch.Size([1, 1, 32, 32]), True)
    """
    _check_plane(x, patch, stride)
    basis = _basis(patch, x.dtype, x.device)
    return _wiener(x, pilot, basis, variance, patch, stride, risk)


def _wiener(x, pilot, basis, variance, patch, stride, risk):
    v = torch.as_tensor(variance, dtype=x.dtype, device=x.device).reshape(-1, 1)

    def compute(pt):
        c = basis @ pt[0]
        b = basis @ pt[1]
        b2 = b * b
        g = b2 / (b2 + v).clamp_min(torch.finfo(x.dtype).tiny)
        g[0] = 1.0
        w = 1.0 / (g * g).sum(0, keepdim=True)
        return [basis.T @ (c * g)] + ([(basis.T * basis.T) @ g] if risk else []), w

    outs = _shrink([x, pilot], patch, stride, compute)
    out = outs[0]
    if not risk:
        return out
    div = outs[1]
    n = x.numel()
    vv = float(v.reshape(-1)[0])
    sure = float((out - x).double().square().sum()) / n - vv + 2.0 * vv * float(div.double().sum()) / n
    return out, sure


def two_stage(x: torch.Tensor, variance: torch.Tensor, *, threshold: float = 2.7, patch: int = 8,
              stride: int = 2):
    """:func:`patch_hard_threshold` then :func:`wiener` with it as pilot (white noise).

    Parameters
    ----------
    x : torch.Tensor
        One noisy plane ``(1, 1, H, W)``.
    variance : torch.Tensor
        Scalar noise variance.
    threshold, patch, stride :
        As for :func:`patch_hard_threshold`.

    Returns
    -------
    tuple
        ``(first, second, sure)``: the two estimates (shape of ``x``) and the second's SURE
        (see :func:`wiener`). Same values as the two functions called one after the other.

    Raises
    ------
    ValueError
        As for :func:`patch_hard_threshold`.

    Notes
    -----
    The two stages of BM3D (Dabov et al. 2007, IEEE Trans. Image Process. 16(8):2080-2095)
    with a sliding DCT in place of block matching; the maths is in :func:`patch_hard_threshold`
    and :func:`wiener`.

    Examples
    --------
    >>> import torch
    >>> clean = torch.linspace(0, 1, 32).repeat(32, 1)[None, None]
    >>> noisy = clean + 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    >>> first, second, sure = two_stage(noisy, torch.tensor(0.01))
    >>> bool(torch.equal(first, patch_hard_threshold(noisy, torch.tensor(0.01))))
    True
    """
    _check_plane(x, patch, stride)
    basis = _basis(patch, x.dtype, x.device)
    first = _threshold(x, basis, variance, threshold, patch, stride)
    second, sure = _wiener(x, first, basis, variance, patch, stride, True)
    return first, second, sure


def coefficient_variance(autocorrelation: torch.Tensor, patch: int = 8,
                         dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    r"""Noise variance of each ``patch x patch`` DCT coefficient for stationary coloured noise.

    Parameters
    ----------
    autocorrelation : torch.Tensor
        Circular autocorrelation ``(h, w)`` of the noise, lag ``(0, 0)`` at index ``[0, 0]``.
    patch : int
        Side of the square patches.
    dtype : torch.dtype, optional
        Output dtype (default float64).

    Returns
    -------
    torch.Tensor
        ``(patch**2,)`` variances, clamped at 0, on the CPU.

    Notes
    -----
    With :math:`D` the orthonormal DCT matrix and :math:`S` the covariance of a vectorised
    patch, :math:`S_{(a,b),(a',b')} = R(a - a', b - b')`:

    .. math:: v = \mathrm{diag}\left((D \otimes D)\, S\, (D \otimes D)^T\right)

    Examples
    --------
    >>> import torch
    >>> r = torch.zeros(16, 16); r[0, 0] = 0.01          # white noise, variance 0.01
    >>> v = coefficient_variance(r)
    >>> v.shape, bool(torch.allclose(v, torch.full((64,), 0.01, dtype=torch.float64)))
    (torch.Size([64]), True)
    """
    r = autocorrelation.to(torch.float64)
    h, w = r.shape
    i = torch.arange(patch)
    dy = (i[:, None, None, None] - i[None, None, :, None]) % h
    dx = (i[None, :, None, None] - i[None, None, None, :]) % w
    s = r[dy, dx].reshape(patch * patch, patch * patch)
    basis = _basis(patch, torch.float64, "cpu")
    v = torch.diagonal(basis @ s.cpu() @ basis.T).clamp_min(0.0)
    return v.to(dtype or torch.float64)
