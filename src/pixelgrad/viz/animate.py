"""Animated GIFs of an iterative process (Pillow), written atomically."""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..io import atomic_path
from .grid import to_uint8_hwc


def save_gif(path: str | os.PathLike, frames: Sequence, captions: Sequence[str] | None = None, *,
             duration_ms: int = 80, last_hold_ms: int = 1000, max_side: int = 512) -> None:
    """Write ``frames`` (anything :func:`to_uint8_hwc` accepts: ``(C, H, W)`` tensors or
    ``(H, W[, C])`` arrays, uint8 or float in [0, 1]) as a looping GIF. Each frame can carry a
    caption drawn in a white strip under it; frames are downscaled so the longer side is at
    most ``max_side``. The last frame is held ``last_hold_ms``."""
    if not frames:
        raise ValueError("save_gif: argument `frames` must be a non-empty sequence, got an empty one")
    font = ImageFont.load_default()
    images = []
    for i, f in enumerate(frames):
        arr = to_uint8_hwc(f)
        im = Image.fromarray(arr)
        scale = max_side / max(im.size)
        if scale < 1:
            im = im.resize((max(1, int(im.width * scale)), max(1, int(im.height * scale))), Image.Resampling.BILINEAR)
        if captions is not None:
            canvas = Image.new("RGB", (im.width, im.height + 14), (255, 255, 255))
            canvas.paste(im, (0, 0))
            ImageDraw.Draw(canvas).text((2, im.height + 1), captions[i], fill=(0, 0, 0), font=font)
            im = canvas
        images.append(im.quantize(colors=256, method=Image.Quantize.FASTOCTREE))
    durations = [duration_ms] * len(images)
    durations[-1] = max(duration_ms, last_hold_ms)
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations,
                       loop=0, optimize=False)


def frames_from_gif(path: str | os.PathLike) -> list[np.ndarray]:
    """Read every frame of a GIF as an RGB uint8 array (for tests and docs)."""
    out = []
    with Image.open(path) as im:
        for k in range(getattr(im, "n_frames", 1)):
            im.seek(k)
            out.append(np.asarray(im.convert("RGB")))
    return out
