"""Geometric ops: shear (the "blur + shear" motion recipe of the seed thread)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import borders as _borders
from .._errors import bad_value, check_choice
from .._interop import ImageLike, to_batch
from ..types import Value
from . import _run
from ._params import per_sample


def shear(x: ImageLike, sx: Value = 0.0, sy: Value = 0.0, *, border: str = "constant",
          exact: bool = True) -> ImageLike:
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
    exact : bool, default True
        ``True``: float64 coordinates, exact bilinear weights, one rounding.
        ``False``: on the CPU (borders other than ``circular``, no autograd) the OpenCV
        backend runs ``cv2.warpAffine`` in one call, several times faster per image than
        the general exact path (but a shear along one axis, ``RandomShear``'s default, is
        faster exact: see the backends below): its
        coordinates are quantised to 1/32 pixel and, for uint8, its weights to 1/1024, so
        a pixel may differ from the exact result by up to 1/64 of the step between its
        neighbours per axis, plus rounding: tested at most 4 grey levels for uint8 noise
        (1 level observed) and 1 level on natural images; boxes, keypoints and masks move
        by the same exact map either way. Other cases run the exact path.

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
    Backends (:mod:`pixelgrad.backends.registry`): with ``exact=True`` a shear along one
    axis (``sx = 0`` or ``sy = 0`` per sample) on the CPU runs ``("numba", "shear")``, one
    shift per image line with float64 weights (exact, and faster than ``exact=False``);
    ``exact=False`` runs ``("opencv", "shear")``; everything else ``("torch", "shear")``.

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
    if not isinstance(exact, (bool, np.bool_)):
        bad_value(fn, "exact", "True or False", exact)
    B, C, H, W = batch.data.shape
    a = per_sample(sx, B, fn, "sx")
    b = per_sample(sy, B, fn, "sy")
    # the determinant in Python floats: one conversion instead of four torch ops per call
    if not all(abs(1 - u * v) > 1e-6 for u, v in zip(a.tolist(), b.tolist())):
        bad_value(fn, "sx, sy", "a shear with sx * sy != 1 (an invertible map)", (sx, sy))
    if batch.empty:
        return batch.restore(batch.data.clone())
    return batch.restore(_run.run(_run.Request(fn, "shear", batch.data,
                                               {"sx": a, "sy": b, "border": border,
                                                "exact": bool(exact)})))


def shear_matrix(sx: float, sy: float, size: tuple[int, int]) -> torch.Tensor:
    r"""The map of :func:`shear` on continuous image coordinates, as a 3x3 matrix.

    Parameters
    ----------
    sx, sy : float
        The shear factors given to :func:`shear`.
    size : (int, int)
        ``(H, W)`` of the image.

    Returns
    -------
    torch.Tensor
        ``(3, 3)`` float64: a point ``(x, y, 1)`` of the input moves to ``M @ (x, y, 1)``.

    Notes
    -----
    Coordinates are continuous with the pixel corner at the origin (torchvision's boxes and
    albumentations' bounding boxes): pixel ``(row i, column j)`` covers
    ``[j, j + 1) x [i, i + 1)`` and its centre is ``(j + 0.5, i + 0.5)``. :func:`shear` maps
    pixel centres about :math:`((W - 1)/2, (H - 1)/2)` in index coordinates, which is
    :math:`c = (W/2, H/2)` here:

    .. math:: M = \begin{pmatrix} 1 & s_x & -s_x c_y \\ s_y & 1 & -s_y c_x \\ 0 & 0 & 1 \end{pmatrix}

    For points in pixel-index coordinates (albumentations' keypoints, where ``(j, i)`` is the
    centre of pixel ``(i, j)``) add 0.5 before and subtract it after.

    Examples
    --------
    >>> shear_matrix(1.0, 0.0, (3, 3))
    tensor([[ 1.0000,  1.0000, -1.5000],
            [ 0.0000,  1.0000,  0.0000],
            [ 0.0000,  0.0000,  1.0000]], dtype=torch.float64)
    """
    H, W = int(size[0]), int(size[1])
    cx, cy = W / 2.0, H / 2.0
    sx, sy = float(sx), float(sy)
    return torch.tensor([[1.0, sx, 0.0 - sx * cy + 0.0], [sy, 1.0, 0.0 - sy * cx + 0.0], [0.0, 0.0, 1.0]],
                        dtype=torch.float64)


def shear_nearest(m: torch.Tensor, sx: float, sy: float, *, border: str = "constant",
                  fill: Any = 0) -> torch.Tensor:
    r"""Shear a mask (or any tensor, any dtype) like :func:`shear`, with nearest-neighbour sampling.

    Parameters
    ----------
    m : torch.Tensor
        ``(..., H, W)`` tensor of any dtype (bool, integer class maps, floats).
    sx, sy : float
        Shear factors, as in :func:`shear` (one pair for all of ``m``).
    border : str, default "constant"
        How positions outside ``m`` are read, as in :func:`shear`.
    fill : number, default 0
        The value of positions outside ``m`` with ``border="constant"``.

    Returns
    -------
    torch.Tensor
        A new tensor of the shape and dtype of ``m``: every value is one of ``m``'s values
        (or ``fill``), never a blend. ``m`` is not modified.

    Raises
    ------
    ValueError
        As :func:`shear` for ``sx * sy`` near 1, non-finite factors or an unknown ``border``.

    Notes
    -----
    Output pixel :math:`(u, v)` takes the input pixel nearest to the source position of
    :func:`shear`, :math:`A^{-1}((u, v) - c) + c`, rounding halves up
    (:math:`\lfloor s + 1/2 \rfloor`), so a mask stays aligned with the sheared image.

    Examples
    --------
    >>> import torch
    >>> m = torch.zeros(3, 3, dtype=torch.int64)
    >>> m[:, 1] = 7
    >>> shear_nearest(m, 1.0, 0.0)
    tensor([[7, 0, 0],
            [0, 7, 0],
            [0, 0, 7]])
    """
    fn = "shear_nearest"
    border = check_choice(border, _borders.BORDERS, fn, "border")
    a, b = float(sx), float(sy)
    det = 1.0 - a * b
    if not (abs(det) > 1e-6 and torch.isfinite(torch.tensor([a, b])).all()):
        bad_value(fn, "sx, sy", "finite with sx * sy != 1 (an invertible map)", (sx, sy))
    H, W = m.shape[-2], m.shape[-1]
    if m.numel() == 0:
        return m.clone()
    cu, cv = (W - 1) / 2.0, (H - 1) / 2.0
    u = torch.arange(W, dtype=torch.float64)[None, :] - cu
    v = torch.arange(H, dtype=torch.float64)[:, None] - cv
    src_u = torch.floor((u - a * v) / det + cu + 0.5).to(torch.int64)
    src_v = torch.floor((v - b * u) / det + cv + 0.5).to(torch.int64)
    iu = _borders.map_index(src_u, W, border)
    iv = _borders.map_index(src_v, H, border)
    inside = (iu >= 0) & (iv >= 0)
    flat = (iv.clamp(min=0) * W + iu.clamp(min=0)).to(m.device)
    out = m.reshape(*m.shape[:-2], H * W)[..., flat.reshape(-1)].reshape(m.shape)
    if not bool(inside.all()):
        out = out.clone()
        out[..., ~inside.to(m.device)] = fill
    return out
