"""Labelled picture grids (numpy RGB uint8), drawn with Pillow."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont


def to_uint8_hwc(img) -> np.ndarray:
    """Tensor ``(C, H, W)`` / numpy ``(H, W[, C])``, uint8 or float in [0, 1] -> RGB uint8 HWC."""
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


def image_grid(images: Sequence, labels: Sequence[str] | None = None, *, cols: int = 4,
               pad: int = 4, label_height: int = 16, title: str | None = None) -> np.ndarray:
    """Tile ``images`` (any mix accepted by :func:`to_uint8_hwc`, resized to the first one's
    size) into a grid with a caption under each; returns an RGB uint8 array."""
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
