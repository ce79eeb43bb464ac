"""Demo section: restoration on the bundled image.

* Inpainting (the seed tutorial end to end): gray image, 90 % of the pixels replaced by black
  or white (seed 0), restored by 500 gradient-descent steps on the multiscale smoothness
  energy (``method="multiscale_gd"``) and by ``method="auto"``; a side-by-side grid with
  PSNR/SSIM and a GIF of the gradient descent.
* Deblurring: the image motion-blurred by ``pg.motion_blur`` (length 9, 30 degrees) with
  noise 0.01, restored by ``pg.restore.deblur`` (noise level estimated): a grid with PSNR/SSIM.
* Blind deblurring: the image blurred by a random camera shake (``pg.kernels.camera_shake``)
  with noise 0.01, restored by ``pg.restore.deblur`` without the blur: the true and the
  estimated kernels shown as insets.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..io import write_image
from .animate import save_gif
from .grid import image_grid


def run(image: np.ndarray, out: Path, args) -> list[Path]:
    r"""Draw this demo section: inpainting 90 % missing pixels, then deblurring.

    Parameters
    ----------
    image : numpy.ndarray
        The picture to show, ``(H, W, 3)`` (or more channels; the first three are used) RGB
        or ``(H, W)`` gray, uint8 (``pixelgrad demo`` passes the bundled sample or ``--image``).
    out : pathlib.Path
        Existing folder to write into.
    args : argparse.Namespace
        The demo's options; ``args.quick`` (optional) works on a 4x smaller image and runs 100
        gradient-descent steps instead of 500.

    Returns
    -------
    list of pathlib.Path
        The files written: ``restore_tutorial.png``, ``restore_progress.gif``,
        ``restore_deblur.png`` (see :func:`deblur_panel`) and ``restore_blind.png`` (see
        :func:`blind_panel`).

    Raises
    ------
    RuntimeError
        From :func:`pixelgrad.restore.deblur` (torch's reflect padding) when the gray image,
        after the ``quick`` subsampling, is smaller than 18 pixels a side.

    Notes
    -----
    A colour image is made gray with the ITU-R BT.601 luma weights and scaled to [0, 1]:

    .. math:: Y = (0.299\, R + 0.587\, G + 0.114\, B) / 255

    :func:`pixelgrad.restore.salt_and_pepper` then replaces 90 % of the pixels by black or
    white (seed 0), and :func:`pixelgrad.restore.inpaint` restores them with
    ``method="multiscale_gd"`` (its progress every ``iterations // 25`` steps goes into the GIF)
    and with ``method="auto"``; the grid labels each result with its PSNR and SSIM against the
    gray image.

    Examples
    --------
    >>> import argparse, pathlib, tempfile
    >>> import numpy as np
    >>> from pixelgrad.viz import demo_restore
    >>> image = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = demo_restore.run(image, pathlib.Path(d), argparse.Namespace(quick=True))
    ...     [p.name for p in paths if p.is_file()]
    ['restore_tutorial.png', 'restore_progress.gif', 'restore_deblur.png', 'restore_blind.png']
    """
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
    return [p1, p2, deblur_panel(gray, out), blind_panel(gray, out)]


def deblur_panel(gray: torch.Tensor, out: Path) -> Path:
    """Motion blur made by ``pg.motion_blur``, undone by ``pg.restore.deblur``; write the grid.

    Parameters
    ----------
    gray : torch.Tensor
        ``(1, H, W)`` float gray image in [0, 1].
    out : pathlib.Path
        Existing folder to write into.

    Returns
    -------
    pathlib.Path
        The file written: ``restore_deblur.png`` (original, blurred and noisy, restored; each
        labelled with its PSNR and SSIM against ``gray``).

    Raises
    ------
    RuntimeError
        From :func:`pixelgrad.restore.deblur` (torch's reflect padding) when ``gray`` is
        smaller than 18 pixels a side.

    Notes
    -----
    The image is blurred by :func:`pixelgrad.motion_blur` (length 9 pixels, angle 30 degrees),
    Gaussian noise of standard deviation 0.01 is added (seed 1), and
    :func:`pixelgrad.restore.deblur` restores it knowing the motion but estimating the noise
    level.

    Examples
    --------
    >>> import pathlib, tempfile, torch
    >>> from pixelgrad.viz.demo_restore import deblur_panel
    >>> gray = torch.rand(1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     deblur_panel(gray, pathlib.Path(d)).name
    'restore_deblur.png'
    """
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


def with_inset(tile: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``tile`` ``(C, H, W)`` with ``kernel`` drawn in its top-left corner (scaled to its
    largest weight, enlarged by nearest neighbours to about a quarter of the tile's side,
    on a black square with a white frame).

    Parameters
    ----------
    tile : torch.Tensor
        ``(C, H, W)`` float image in [0, 1]; not modified.
    kernel : torch.Tensor
        ``(k, k)`` non-negative weights.

    Returns
    -------
    torch.Tensor
        A copy of ``tile`` with the inset (the tile unchanged when the inset would not fit).

    Examples
    --------
    >>> import torch
    >>> out = with_inset(torch.full((1, 64, 64), 0.5), torch.eye(5, dtype=torch.float64) / 5)
    >>> out.shape, float(out[0, 1, 1]), float(out[0, 40, 40])
    (torch.Size([1, 64, 64]), 1.0, 0.5)
    """
    t = tile.clone()
    k = kernel.to(torch.float32)
    k = k / k.max().clamp_min(1e-12)
    side = max(1, min(t.shape[-2:]) // 4 // k.shape[-1])
    big = k.repeat_interleave(side, 0).repeat_interleave(side, 1)
    h, w = big.shape
    if h + 4 > t.shape[-2] or w + 4 > t.shape[-1]:
        return t
    t[:, :h + 4, :w + 4] = 1.0                              # the frame
    t[:, 2:h + 2, 2:w + 2] = big
    return t


def blind_panel(gray: torch.Tensor, out: Path) -> Path:
    """A camera-shake blur undone without knowing it (blind ``pg.restore.deblur``); write the grid.

    Parameters
    ----------
    gray : torch.Tensor
        ``(1, H, W)`` float gray image in [0, 1], at least 16 pixels a side.
    out : pathlib.Path
        Existing folder to write into.

    Returns
    -------
    pathlib.Path
        The file written: ``restore_blind.png`` (original; blurred and noisy with the true
        kernel as an inset; restored with the estimated kernel as an inset; each labelled
        with its PSNR and SSIM against ``gray``).

    Notes
    -----
    The kernel is :func:`pixelgrad.kernels.camera_shake` (15 x 15, seed 3; 7 x 7 on images
    under 96 pixels a side), applied as a convolution with a reflect border, then Gaussian
    noise of standard deviation 0.01 (seed 1). :func:`pixelgrad.restore.deblur` gets neither
    the kernel nor the noise level: it estimates both, and its safety check returns the
    input when it cannot trust the estimate.

    Examples
    --------
    >>> import pathlib, tempfile, torch
    >>> from pixelgrad.viz.demo_restore import blind_panel
    >>> gray = torch.rand(1, 48, 48, generator=torch.Generator().manual_seed(0))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     blind_panel(gray, pathlib.Path(d)).name
    'restore_blind.png'
    """
    import warnings

    import pixelgrad as pg

    size = 15 if min(gray.shape[-2:]) >= 96 else 7
    k = pg.kernels.camera_shake(size, 3)
    blurred = pg.filter2d(gray[None].to(torch.float64), k.flip(-1, -2))[0]      # convolution
    noisy = (blurred + 0.01 * torch.randn(blurred.shape, generator=torch.Generator().manual_seed(1),
                                          dtype=torch.float64)).to(gray.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)       # a refused estimate is shown as such
        res = pg.restore.deblur(noisy)

    def label(name: str, y) -> str:
        y = y.clamp(0, 1)
        return f"{name}: {float(pg.restore.psnr(y, gray)):.2f} dB, SSIM {float(pg.restore.ssim(y, gray)):.3f}"

    assert res.confidence is not None and res.kernel is not None      # always set by blind deblur
    conf = float(res.confidence[0])
    tiles = [gray, with_inset(noisy.clamp(0, 1), k), with_inset(res.image, res.kernel[0])]
    names = ["original", label("camera shake + noise 0.01 (true kernel)", noisy),
             label(f"blind deblur {res.seconds:.1f}s, confidence {conf:.2f} (estimated kernel)", res.image)]
    grid = image_grid(tiles, names, cols=3, title="pixelgrad.restore.deblur without the blur: kernel estimated")
    path = out / "restore_blind.png"
    write_image(path, grid)
    return path
