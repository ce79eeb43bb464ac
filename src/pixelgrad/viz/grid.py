"""Labelled picture grids (numpy RGB uint8), drawn with Pillow."""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

#: What the picture helpers accept: a ``(C, H, W)`` / ``(H, W)`` tensor or an ``(H, W[, C])`` array.
Picture = Union[torch.Tensor, np.ndarray]


def to_uint8_hwc(img: Picture) -> np.ndarray:
    """An image as an RGB uint8 ``(H, W, 3)`` array, ready for Pillow.

    Parameters
    ----------
    img : torch.Tensor or numpy.ndarray
        A tensor ``(C, H, W)`` or ``(H, W)``, or an array ``(H, W[, C])``; uint8, or float
        with white at 1.0. Gray is repeated to three channels; a fourth (alpha) channel is
        dropped.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8, C-contiguous; floats are scaled by 255, rounded and clipped.

    Examples
    --------
    >>> import torch
    >>> to_uint8_hwc(torch.tensor([[[0.0, 0.5, 1.0]]])).tolist()
    [[[0, 0, 0], [128, 128, 128], [255, 255, 255]]]
    """
    if isinstance(img, torch.Tensor):
        t = img.detach().cpu()
        if t.ndim == 3:
            t = t.permute(1, 2, 0)
        arr = t.float().numpy() if t.dtype != torch.uint8 else t.numpy()
    else:
        arr = np.asarray(img)
    if arr.dtype != np.uint8:
        arr = np.clip(np.round(arr.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr[..., :3])


def image_grid(images: Sequence[Picture], labels: Sequence[str] | None = None, *, cols: int = 4,
               pad: int = 4, label_height: int = 16, title: str | None = None) -> np.ndarray:
    """Tile images into a labelled grid on a white canvas.

    Parameters
    ----------
    images : sequence of tensors or arrays
        Anything :func:`to_uint8_hwc` accepts, in row-major order; each is resized to the
        size of the first.
    labels : sequence of str, optional
        One caption per image, drawn under it.
    cols : int, default 4
        Images per row.
    pad : int, default 4
        White pixels between and around the tiles.
    label_height : int, default 16
        Height of the caption strip under each tile.
    title : str, optional
        A line of text above the grid.

    Returns
    -------
    numpy.ndarray
        RGB uint8 ``(rows * (h + label_height + pad) + pad [+ title strip], cols * (w + pad) + pad, 3)``
        for tiles of size ``h x w``.

    Examples
    --------
    >>> import numpy as np
    >>> tiles = [np.zeros((8, 10), np.uint8), np.full((8, 10, 3), 1.0)]
    >>> image_grid(tiles, ["black", "white"], cols=2).shape
    (32, 32, 3)
    """
    tiles = [to_uint8_hwc(im) for im in images]
    h, w = tiles[0].shape[:2]
    tiles = [t if t.shape[:2] == (h, w) else np.asarray(Image.fromarray(t).resize((w, h))) for t in tiles]
    rows = (len(tiles) + cols - 1) // cols
    top = label_height + pad if title else 0
    cell_h = h + label_height + pad
    canvas = Image.new("RGB", (cols * (w + pad) + pad, top + rows * cell_h + pad), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    if title:
        draw.text((pad, pad // 2), title, fill=(0, 0, 0), font=font)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        x0, y0 = pad + c * (w + pad), top + pad + r * cell_h
        canvas.paste(Image.fromarray(t), (x0, y0))
        if labels is not None:
            draw.text((x0, y0 + h + 1), labels[i], fill=(0, 0, 0), font=font)
    return np.asarray(canvas)
