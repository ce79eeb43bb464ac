"""Sparsity prior: iterated block-DCT hard thresholding with known pixels re-imposed.

One round (a projection onto "sparse in a block DCT" then onto "agrees with the known
pixels"), for a threshold ``tau``::

    grid  = 16x16 blocks shifted by a random (dy, dx) in [0, 16)^2 (mirror-padded borders)
    c     = D X D^T for every block X         (D: the orthonormal 16-point DCT-II matrix)
    c     = c * (|c| > tau), DC kept
    x     = D^T c D, cropped back; x[known] = x0[known]; clip to [0, 1]

``tau`` decreases geometrically from ``tau_start`` to ``tau_end`` over the rounds (a
continuation in the spirit of Guleryuz 2006 / the iterative thresholding of Elad, Starck et al.
2005; full references in :func:`dct_inpaint`). The random shifts average out the block edges. Each transform is two small matrix
products per image, so it runs batched on any device.
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Tuple

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


def hard_threshold(x: torch.Tensor, tau: float, shift: Tuple[int, int], block: int,
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
    >>> y = hard_threshold(x, 0.0, (3, 5), 8, dct_matrix(8))
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
    keep = t.abs() > tau
    keep[:, ::block, ::block] = True                     # DC coefficients
    t = t * keep
    t = torch.matmul(dct.T, t.view(n, hp // block, block, wp))
    t = torch.matmul(t.view(n, hp, wp // block, block), dct).view(n, hp, wp)
    return t[:, sy:sy + h, sx:sx + w].reshape(bsz, c, h, w)


def dct_inpaint(x: torch.Tensor, known: torch.Tensor, *, rounds: int = 60, block: int = 16,
                tau_start: float = 0.25, tau_end: float = 0.01, shifts: int = 1,
                generator: Optional[torch.Generator] = None,
                callback: Optional[Callable[[int, torch.Tensor, torch.Tensor], None]] = None,
                deadline: Optional[float] = None) -> Tuple[torch.Tensor, int]:
    r"""Inpaint by iterated block-DCT hard thresholding with the known pixels re-imposed.

    Parameters
    ----------
    x : torch.Tensor
        Start ``(B, C, H, W)`` in [0, 1]; the known pixels are taken from it.
    known : torch.Tensor
        Bool mask broadcastable to ``x``, True where the pixel is known.
    rounds : int
        Thresholding rounds.
    block : int
        Side of the DCT blocks.
    tau_start, tau_end : float
        Threshold of the first and last round (geometric decrease in between).
    shifts : int
        Random grids whose thresholded images are averaged in each round.
    generator : torch.Generator, optional
        CPU generator drawing the grid shifts.
    callback : callable, optional
        Called as ``callback(round, tau (B,), x)`` after every round.
    deadline : float, optional
        A :func:`time.perf_counter` value: once passed, the remaining rounds are skipped
        except the last one.

    Returns
    -------
    tuple
        ``(x, rounds_done)``.

    Notes
    -----
    Round :math:`r` of :math:`R` uses :math:`\tau_r = \tau_0 (\tau_1/\tau_0)^{r/(R-1)}` and

    .. math:: x \leftarrow \mathrm{clip}_{[0,1]}\big(T_{\tau_r}(x)\big) \text{ on unknown pixels}, \qquad x \leftarrow x_0 \text{ on known pixels}

    with :math:`T_\tau` the averaged :func:`hard_threshold` over random grid shifts (which
    average out the block edges). A decreasing threshold as in iterated denoising [1]_ and
    the iterative thresholding of morphological component analysis [2]_.

    References
    ----------
    .. [1] O. G. Guleryuz, "Nonlinear approximation based image recovery using adaptive
       sparse reconstructions and iterated denoising -- Part I: Theory", IEEE Trans. Image
       Process. 15(3):539-554 (2006).
    .. [2] M. Elad, J.-L. Starck, P. Querre, D. L. Donoho, "Simultaneous cartoon and texture
       image inpainting using morphological component analysis (MCA)", Appl. Comput.
       Harmon. Anal. 19(3):340-358 (2005).

    Examples
    --------
    >>> import torch
    >>> clean = torch.linspace(0, 1, 32).repeat(32, 1)[None, None]
    >>> known = torch.rand(clean.shape, generator=torch.Generator().manual_seed(0)) > 0.5
    >>> out, done = dct_inpaint(torch.where(known, clean, 0.5), known, rounds=20,
    ...                         generator=torch.Generator().manual_seed(1))
    >>> done, bool(torch.equal(out[known], clean[known]))
    (20, True)
    >>> bool((out - clean)[~known].abs().mean() < (0.5 - clean)[~known].abs().mean())
    True
    """
    from .solvers import past

    dct = dct_matrix(block, x.dtype, x.device)
    x0 = x
    done = 0
    for r in range(rounds):
        last = r == rounds - 1
        if not last and past(deadline):
            continue
        frac = r / max(rounds - 1, 1)
        tau = tau_start * (tau_end / tau_start) ** frac
        acc: Optional[torch.Tensor] = None
        for _ in range(shifts):
            s = torch.randint(0, block, (2,), generator=generator).tolist()
            y = hard_threshold(x, tau, (s[0], s[1]), block, dct)
            acc = y if acc is None else acc.add_(y)
        assert acc is not None
        if shifts > 1:
            acc = acc.div_(shifts)
        x = torch.where(known, x0, acc.clamp_(0.0, 1.0))
        done += 1
        if callback is not None:
            callback(r, torch.full((x.shape[0],), tau, dtype=torch.float64), x)
    return x, done
