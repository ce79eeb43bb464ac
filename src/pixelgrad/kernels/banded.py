"""1-D filtering as a matrix product, with the border folded into the matrix.

For a kernel ``k`` of length ``2r + 1`` and a signal of length ``n`` extended by a border
mode, correlation ``y[i] = sum_t k[t] x[border(i + t - r)]`` equals ``y = M x`` with

    M[i, j] = sum_{t : border(i + t - r) == j} k[t]        (``constant``: terms outside drop)

``M`` is banded (Toeplitz away from the edges). Applying it costs ``n`` multiply-adds per
output sample whatever the kernel width, so it is exact for every border mode *and* its cost
does not grow with sigma; dense BLAS makes it very fast for image sides up to ~1000.
"""
from __future__ import annotations

from functools import lru_cache

import torch

from ..borders import map_index


def banded_matrix(kernel: torch.Tensor, n: int, border: str) -> torch.Tensor:
    r"""The matrix ``M`` with ``M @ x`` equal to correlating ``x`` with ``kernel`` under ``border``.

    Parameters
    ----------
    kernel : torch.Tensor
        A centred kernel ``(K,)`` of odd length ``K = 2r + 1``, or one kernel per sample
        ``(B, K)``.
    n : int
        Length of the signals the matrix will filter.
    border : str
        One of :data:`pixelgrad.borders.BORDERS`; it is folded into the matrix.

    Returns
    -------
    torch.Tensor
        ``(n, n)`` for a kernel ``(K,)``, ``(B, n, n)`` for kernels ``(B, K)``, in the
        kernel's dtype and on its device.

    Notes
    -----
    .. math:: M_{ij} = \sum_{t \,:\, \mathrm{border}(i + t - r) = j} k_t

    (for ``constant`` the taps that fall outside the signal are dropped). Applying ``M`` costs
    ``n`` multiply-adds per output sample whatever ``K`` is.

    Examples
    --------
    >>> import torch
    >>> k = torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)
    >>> banded_matrix(k, 4, "reflect")
    tensor([[0.5000, 0.5000, 0.0000, 0.0000],
            [0.2500, 0.5000, 0.2500, 0.0000],
            [0.0000, 0.2500, 0.5000, 0.2500],
            [0.0000, 0.0000, 0.5000, 0.5000]], dtype=torch.float64)
    >>> x = torch.rand(4, dtype=torch.float64)
    >>> from pixelgrad.borders import pad_dim
    >>> direct = torch.nn.functional.conv1d(pad_dim(x, 0, 1, 1, "reflect")[None, None], k[None, None])[0, 0]
    >>> torch.allclose(banded_matrix(k, 4, "reflect") @ x, direct)
    True
    """
    squeeze = kernel.ndim == 1
    k = kernel[None] if squeeze else kernel
    B, K = k.shape
    rows, cols, taps = _band_index(n, K, border)
    rows, cols, taps = rows.to(k.device), cols.to(k.device), taps.to(k.device)
    flat = rows * n + cols                                                   # (n*K,) valid only
    m = torch.zeros(B, n * n, dtype=k.dtype, device=k.device)
    m.index_add_(1, flat, k[:, taps])
    m = m.reshape(B, n, n)
    return m[0] if squeeze else m


@lru_cache(maxsize=256)
def _band_index(n: int, K: int, border: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r = K // 2
    i = torch.arange(n)[:, None]
    t = torch.arange(K)[None, :]
    j = map_index(i + t - r, n, border)
    keep = j >= 0
    rows = i.expand(n, K)[keep]
    return rows, j[keep], t.expand(n, K)[keep]
