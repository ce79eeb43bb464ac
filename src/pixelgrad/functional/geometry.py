"""Geometric ops: shear (the "blur + shear" motion recipe of the seed thread)."""
from __future__ import annotations

from typing import Any

import torch

from .. import borders as _borders
from .._dtypes import compute_dtype, from_compute
from .._errors import bad_value, check_choice
from .._interop import ImageLike, to_batch
from ..backends.torch_backend import bilinear_sample_fast
from ._params import per_sample


def shear(x: ImageLike, sx: Any = 0.0, sy: Any = 0.0, *, border: str = "constant") -> ImageLike:
    r"""Shear about the image centre with bilinear interpolation.

    Parameters
    ----------
    x : tensor, numpy array or PIL image
        ``(..., C, H, W)`` tensor, numpy ``(H, W[, C])`` image or PIL image (the dtypes of
        :func:`pixelgrad.gaussian_blur`). An empty batch gives an empty result.
    sx : number or tensor, default 0.0
        Horizontal shear factor (columns move by ``sx`` per row from the centre): a number
        or per sample a tensor ``(B,)``.
    sy : number or tensor, default 0.0
        Vertical shear factor (rows move by ``sy`` per column from the centre), like ``sx``.
    border : str, default "constant"
        How pixels outside the image are read: ``constant`` (0, as torchvision's affine),
        ``reflect``, ``symmetric``, ``replicate`` or ``circular``.

    Returns
    -------
    tensor, numpy array or PIL image
        Same container, shape and dtype as ``x`` (integers rounded and saturated).

    Raises
    ------
    ValueError
        If ``sx * sy`` is 1 (within 1e-6: the map is not invertible), a factor is not
        finite, the shape of a per-sample tensor does not fit the batch, or ``border`` is
        unknown.

    Notes
    -----
    With :math:`c = ((W - 1)/2, (H - 1)/2)` the centre in (column, row) coordinates, the image
    is mapped by

    .. math:: A = \begin{pmatrix} 1 & s_x \\ s_y & 1 \end{pmatrix}, \qquad (u', v') = A\,((u, v) - c) + c,

    so the output pixel :math:`(u, v)` bilinearly samples the input at
    :math:`A^{-1}((u, v) - c) + c`, with
    :math:`A^{-1} = \frac{1}{1 - s_x s_y} \begin{pmatrix} 1 & -s_x \\ -s_y & 1 \end{pmatrix}`.
    The source coordinates are computed in float64 and reduced to one period of the border
    extension before sampling, so strong shears stay finite and float32 matches float64.

    Examples
    --------
    A horizontal shear of 1 moves each row by its distance to the centre row:

    >>> import torch, pixelgrad as pg
    >>> x = torch.zeros(1, 1, 3, 3)
    >>> x[0, 0, :, 1] = 1.0
    >>> pg.shear(x, sx=1.0)[0, 0]
    tensor([[1., 0., 0.],
            [0., 1., 0.],
            [0., 0., 1.]])
    >>> pg.shear(torch.rand(2, 3, 8, 8), sx=torch.tensor([0.1, -0.2])).shape
    torch.Size([2, 3, 8, 8])
    """
    fn = "shear"
    batch = to_batch(x, fn, allow_empty=True)
    border = check_choice(border, _borders.BORDERS, fn, "border")
    B, C, H, W = batch.data.shape
    a = per_sample(sx, B, fn, "sx")
    b = per_sample(sy, B, fn, "sy")
    det = 1 - a * b
    if not bool((det.abs() > 1e-6).all()):
        bad_value(fn, "sx, sy", "a shear with sx * sy != 1 (an invertible map)", (sx, sy))
    if batch.empty:
        return batch.restore(batch.data.clone())
    dev = batch.data.device
    cdt = compute_dtype(batch.data.dtype)
    cu, cv = (W - 1) / 2.0, (H - 1) / 2.0
    u = torch.arange(W, dtype=torch.float64)[None, :] - cu
    a_, b_, det_ = a[:, None, None], b[:, None, None], det[:, None, None]
    xc = batch.data.to(cdt)
    out = torch.empty(batch.data.shape, dtype=batch.data.dtype, device=dev)
    # Output rows in strips of about _STRIP_PIXELS pixels: each output pixel is sampled on
    # its own, so the strips give the same bits as one pass, and the float64 coordinates
    # (16 bytes a pixel per sample) never exist for the whole image at once.
    rows = max(1, _STRIP_PIXELS // max(1, W))
    for r0 in range(0, H, rows):
        r1 = min(H, r0 + rows)
        v = torch.arange(r0, r1, dtype=torch.float64)[:, None] - cv
        src_u = (u - a_ * v) / det_ + cu                 # A^-1 = [[1, -sx], [-sy, 1]] / det
        src_v = (v - b_ * u) / det_ + cv
        # Reduce the float64 source coordinates to one period of the border extension (or
        # clamp where every farther position reads the same values) before casting to the
        # compute dtype: exact for bilinear sampling, keeps float32 precision for strong
        # shears, and a huge shear cannot overflow float32 to inf (which gave NaN pixels).
        src_u, src_v = _reduce(src_u, W, border), _reduce(src_v, H, border)
        y = bilinear_sample_fast(xc, src_v.to(dev, cdt), src_u.to(dev, cdt), border)
        out[:, :, r0:r1] = from_compute(y, batch.data.dtype)
    return batch.restore(out)


#: output pixels per strip in :func:`shear` (bounds its coordinate buffers; no effect on results)
_STRIP_PIXELS = 1 << 16


def _reduce(src: torch.Tensor, n: int, border: str) -> torch.Tensor:
    """Float64 source positions mapped to an equivalent position for bilinear sampling of a
    length-``n`` axis extended by ``border``."""
    if border == "constant":
        return src.clamp(-2.0, n + 1.0)                     # beyond: both neighbours are 0
    if border == "replicate":
        return src.clamp(-1.0, float(n))                    # beyond: the edge sample
    period = {"circular": n, "symmetric": 2 * n, "reflect": 2 * n - 2}[border]
    if period == 0:                                         # reflect on a single sample
        return torch.zeros_like(src)
    return src.remainder(period)
