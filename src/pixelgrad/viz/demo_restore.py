"""Demo section: restoration on the bundled image.

* Inpainting (the seed tutorial end to end): gray image, 90 % of the pixels replaced by black
  or white (seed 0), restored by 500 gradient-descent steps on the multiscale smoothness
  energy (``method="multiscale_gd"``) and by ``method="auto"``; a side-by-side grid with
  PSNR/SSIM and a GIF of the gradient descent.
* Deblurring: the image motion-blurred by ``pg.motion_blur`` (length 9, 30 degrees) with
  noise 0.01, restored by ``pg.restore.deblur`` (noise level estimated): a grid with PSNR/SSIM.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..io import write_image
from .animate import save_gif
from .grid import image_grid


def run(image: np.ndarray, out: Path, args) -> list[Path]:
    import pixelgrad as pg

    x = torch.from_numpy(np.ascontiguousarray(image[..., :3] if image.ndim == 3 else image))
    gray = (x.float() @ torch.tensor([0.299, 0.587, 0.114])) / 255.0 if x.ndim == 3 else x.float() / 255.0
    quick = getattr(args, "quick", False)
    if quick:
        gray = gray[::4, ::4]                       # the tutorial's own downsampling
    gray = gray.contiguous()[None]                  # (1, H, W)
    bad, known = pg.restore.salt_and_pepper(gray, 0.9, torch.Generator().manual_seed(0))
    its = 100 if quick else 500
    frames, captions = [bad], ["corrupted 90%"]

    def cb(info) -> None:
        if info.iteration % max(1, its // 25) == 0:
            frames.append(info.image[0].clone())
            captions.append(f"step {info.iteration + 1}: {float(info.psnr[0]):.2f} dB")

    tut = pg.restore.inpaint(bad, known, "multiscale_gd", iterations=its, reference=gray, callback=cb)
    auto = pg.restore.inpaint(bad, known, "auto")
    frames.append(tut.image)
    captions.append(f"done: {float(pg.restore.psnr(tut.image, gray)):.2f} dB")

    def label(name: str, y) -> str:
        return f"{name}: {float(pg.restore.psnr(y, gray)):.2f} dB, SSIM {float(pg.restore.ssim(y, gray)):.3f}"

    tiles = [gray, bad, tut.image, auto.image]
    names = ["original", label("corrupted", bad), label(f"multiscale GD {its} it, {tut.seconds:.2f}s", tut.image),
             label(f"auto {auto.seconds:.2f}s", auto.image)]
    grid = image_grid(tiles, names, cols=4, title="pixelgrad.restore: the gradient-descent tutorial, 90% missing")
    p1 = out / "restore_tutorial.png"
    write_image(p1, grid)
    p2 = out / "restore_progress.gif"
    save_gif(p2, frames, captions)
    return [p1, p2, deblur_panel(gray, out)]


def deblur_panel(gray: torch.Tensor, out: Path) -> Path:
    """Motion blur made by ``pg.motion_blur``, undone by ``pg.restore.deblur``."""
    import math

    import pixelgrad as pg

    length, angle, noise = 9.0, math.radians(30.0), 0.01
    blurred = torch.as_tensor(pg.motion_blur(gray, length, angle))
    noisy = blurred + noise * torch.randn(blurred.shape, generator=torch.Generator().manual_seed(1))
    res = pg.restore.deblur(noisy, motion=(length, angle))

    def label(name: str, y) -> str:
        y = y.clamp(0, 1)
        return f"{name}: {float(pg.restore.psnr(y, gray)):.2f} dB, SSIM {float(pg.restore.ssim(y, gray)):.3f}"

    grid = image_grid([gray, noisy.clamp(0, 1), res.image], ["original", label("motion blur 9 px + noise 0.01", noisy),
                      label(f"pg.restore.deblur {res.seconds:.2f}s", res.image)], cols=3,
                      title="pixelgrad.restore.deblur: undoing pg.motion_blur (noise level estimated)")
    path = out / "restore_deblur.png"
    write_image(path, grid)
    return path
