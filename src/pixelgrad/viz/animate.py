"""Animated GIFs of an iterative process (Pillow), written atomically."""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..io import atomic_path
from .grid import Picture, to_uint8_hwc


def save_gif(path: str | os.PathLike, frames: Sequence[Picture], captions: Sequence[str] | None = None, *,
             duration_ms: int = 80, last_hold_ms: int = 1000, max_side: int = 512) -> None:
    """Write frames as a looping animated GIF, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The GIF to write (temporary file, then rename: never half a file).
    frames : sequence of tensors or arrays
        Anything :func:`pixelgrad.viz.grid.to_uint8_hwc` accepts (``(C, H, W)`` tensors or
        ``(H, W[, C])`` arrays, uint8 or float in [0, 1]).
    captions : sequence of str, optional
        One caption per frame, drawn in a white strip under it.
    duration_ms : int, default 80
        Display time of each frame.
    last_hold_ms : int, default 1000
        Display time of the last frame (at least ``duration_ms``).
    max_side : int, default 512
        Frames are scaled down so that their longer side is at most this.

    Raises
    ------
    ValueError
        If ``frames`` is empty.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "fade.gif"
    ...     save_gif(p, [torch.full((3, 8, 8), v) for v in (0.0, 0.5, 1.0)], ["0", "1", "2"])
    ...     [f.shape for f in frames_from_gif(p)]
    [(22, 8, 3), (22, 8, 3), (22, 8, 3)]
    """
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
    """Read every frame of a GIF.

    Parameters
    ----------
    path : str or os.PathLike
        A GIF file (a still image gives one frame).

    Returns
    -------
    list of numpy.ndarray
        One RGB uint8 ``(H, W, 3)`` array per frame.
    """
    out = []
    with Image.open(path) as im:
        for k in range(getattr(im, "n_frames", 1)):
            im.seek(k)
            out.append(np.asarray(im.convert("RGB")))
    return out
