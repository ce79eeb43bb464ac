"""Orthonormal DCT-II and block-DCT hard thresholding (a leaf: imports nothing of restore).

For a block ``X`` of side ``n`` the coefficients are ``c = D X D^T`` with ``D`` the orthonormal
DCT-II matrix (:func:`dct_matrix`); :func:`block_hard_threshold` keeps ``|c| > tau`` (DC always) on a
grid of blocks shifted by ``(dy, dx)`` with mirror-padded borders, the prox of
``tau^2 / 2 ||c||_0``. The iterated thresholding that inpaints with it (a decreasing ``tau``,
random grid shifts, known pixels re-imposed) is the step
:class:`~pixelgrad.restore.solvers.IteratedThresholding`.
"""
from __future__ import annotations

import math
from typing import Tuple

import torch
import torch.nn.functional as F

_DCT_CACHE: dict = {}


def dct_matrix(n: int, dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
    r"""The orthonormal DCT-II matrix (cached per size, dtype and device).

    Parameters
    ----------
    n : int
        Size of the transform.
    dtype : torch.dtype
        Matrix dtype.
    device : torch.device or str, optional
        Matrix device.

    Returns
    -------
    torch.Tensor
        ``(n, n)``, with :math:`D D^T = I`. Shared cache entry: do not modify it.

    Notes
    -----
    .. math:: D_{ki} = s_k \cos\frac{\pi (2 i + 1) k}{2 n}, \qquad s_0 = \sqrt{1/n},\ s_k = \sqrt{2/n}

    Examples
    --------
    >>> import torch
    >>> d = dct_matrix(8, torch.float64)
    >>> bool(torch.allclose(d @ d.T, torch.eye(8, dtype=torch.float64)))
    True
    """
    key = (n, dtype, str(device))
    m = _DCT_CACHE.get(key)
    if m is None:
        k = torch.arange(n, dtype=torch.float64)[:, None]
        i = torch.arange(n, dtype=torch.float64)[None, :]
        m = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
        m[0] /= math.sqrt(2.0)
        m = m.to(dtype=dtype, device=device)
        _DCT_CACHE[key] = m
    return m


def block_dct_coefficients(x: torch.Tensor, block: int = 16) -> torch.Tensor:
    """Orthonormal block-DCT coefficients on the unshifted grid.

    Parameters
    ----------
    x : torch.Tensor
        Images ``(B, C, H, W)``, mirror-padded at the bottom/right to a multiple of ``block``.
    block : int
        Side of the square blocks.

    Returns
    -------
    torch.Tensor
        ``(B, C, Hp, Wp)``: block ``(i, j)`` holds :math:`D X D^T` of the image block there.

    Examples
    --------
    >>> import torch
    >>> c = block_dct_coefficients(torch.ones(1, 1, 16, 16), block=8)
    >>> c.shape, round(float(c[0, 0, 0, 0]), 4), float(c[0, 0, 1:8, 1:8].abs().max()) < 1e-5
    (torch.Size([1, 1, 16, 16]), 8.0, True)
    """
    bsz, c, h, w = x.shape
    ph, pw = (-h) % block, (-w) % block
    dct = dct_matrix(block, x.dtype, x.device)
    xp = F.pad(x.reshape(bsz * c, 1, h, w), (0, pw, 0, ph), mode="reflect" if min(h, w) > block else "replicate")
    n, _, hp, wp = xp.shape
    t = torch.matmul(dct, xp.view(n, hp // block, block, wp))
    t = torch.matmul(t.view(n, hp, wp // block, block), dct.T)
    return t.reshape(bsz, c, hp, wp)


def block_hard_threshold(x: torch.Tensor, tau: float, shift: Tuple[int, int], block: int,
                         dct: torch.Tensor) -> torch.Tensor:
    r"""Block-DCT hard thresholding on a shifted grid of blocks.

    Parameters
    ----------
    x : torch.Tensor
        Images ``(B, C, H, W)``.
    tau : float
        Threshold: coefficients with :math:`|c| \le \tau` are set to 0 (DC kept).
    shift : (int, int)
        ``(dy, dx)`` offset of the block grid (mirror-padded borders).
    block : int
        Side of the square blocks.
    dct : torch.Tensor
        ``dct_matrix(block)`` in the dtype and device of ``x``.

    Returns
    -------
    torch.Tensor
        The thresholded images, shape of ``x``.

    Notes
    -----
    The prox of :math:`\tfrac{\tau^2}{2}\|c\|_0` in the orthonormal block DCT:

    .. math:: x \leftarrow D^T \left(c \odot [|c| > \tau]\right) D, \qquad c = D X D^T

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> y = block_hard_threshold(x, 0.0, (3, 5), 8, dct_matrix(8))
    >>> bool(torch.allclose(x, y, atol=1e-5))
    True
    """
    bsz, c, h, w = x.shape
    sy, sx = shift
    ph = (-(h + sy)) % block
    pw = (-(w + sx)) % block
    xp = F.pad(x.reshape(bsz * c, 1, h, w), (sx, pw, sy, ph), mode="reflect" if min(h, w) > block else "replicate")
    n, _, hp, wp = xp.shape
    # rows within each block row, then columns within each block column
    t = torch.matmul(dct, xp.view(n, hp // block, block, wp))
    t = torch.matmul(t.view(n, hp, wp // block, block), dct.T).view(n, hp, wp)
    # hardshrink is the same selection as ``t * (|t| > tau)`` in one fused pass (comparisons
    # into bool masks and products with them are several times slower on CPU)
    dc = t[:, ::block, ::block].clone()                  # DC coefficients are kept
    t = F.hardshrink(t, float(tau))
    t[:, ::block, ::block] = dc
    t = torch.matmul(dct.T, t.view(n, hp // block, block, wp))
    t = torch.matmul(t.view(n, hp, wp // block, block), dct).view(n, hp, wp)
    return t[:, sy:sy + h, sx:sx + w].reshape(bsz, c, h, w)


def hard_threshold(x: torch.Tensor, tau: float, shift: Tuple[int, int], block: int,
                   dct: torch.Tensor) -> torch.Tensor:
    """Deprecated alias of :func:`block_hard_threshold` (warns).

    The old name, shared with the patch denoiser
    :func:`pixelgrad.restore.shrinkage.patch_hard_threshold`.

    Parameters
    ----------
    x, tau, shift, block, dct :
        As for :func:`block_hard_threshold`.

    Returns
    -------
    torch.Tensor
        As :func:`block_hard_threshold`.
    """
    import warnings

    warnings.warn("pixelgrad.restore.dct.hard_threshold is deprecated; use block_hard_threshold",
                  DeprecationWarning, stacklevel=2)
    return block_hard_threshold(x, tau, shift, block, dct)
