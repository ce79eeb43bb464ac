"""Demo section: the blur family on the sample image."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch

from ..io import write_image
from .grid import image_grid


def run(image: np.ndarray, out: Path, args: argparse.Namespace) -> list[Path]:
    """Draw this demo section.

    Parameters
    ----------
    image : numpy.ndarray
        The picture to show, ``(H, W, 3)`` RGB uint8 (``pixelgrad demo`` passes the bundled
        sample or ``--image``).
    out : pathlib.Path
        Existing folder to write into.
    args : argparse.Namespace
        The demo's options; ``args.quick`` (optional) works on a 4x smaller image.

    Returns
    -------
    list of pathlib.Path
        The files written: ``blur_family.png``.

    Raises
    ------
    ValueError
        If the image (after the ``quick`` subsampling) is narrower than 21 pixels: the
        blur sizes scale with the width (``width / 512``) and the motion blur's length would
        fall below 1 pixel.

    Notes
    -----
    One grid of twelve panels: the original, isotropic Gaussian blurs (sigma 2, 8 and 30, the
    last one large enough for ``auto`` to pick a matrix method), an anisotropic and a rotated
    ("directional") Gaussian, a box blur, two motion blurs (symmetric at 30 degrees and
    one-sided with ``direction=1``), a shear, a blur followed by a shear, and a Gaussian with
    the ``circular`` border. Sizes are given for a 512-pixel-wide image and scale with the
    image's width. uint8 in, uint8 out.

    Examples
    --------
    >>> import argparse, pathlib, tempfile
    >>> import numpy as np
    >>> from pixelgrad.viz import demo_blur
    >>> image = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in demo_blur.run(image, pathlib.Path(d), argparse.Namespace(quick=True))]
    ['blur_family.png']
    """
    import pixelgrad as pg

    x = torch.from_numpy(image).permute(2, 0, 1).contiguous()          # (3, H, W) uint8
    if getattr(args, "quick", False):
        x = x[:, ::4, ::4].contiguous()
    s = x.shape[-1] / 512
    ops = [
        ("original", x),
        ("gaussian sigma=2", pg.gaussian_blur(x, 2.0 * s)),
        ("gaussian sigma=8", pg.gaussian_blur(x, 8.0 * s)),
        ("gaussian sigma=30 (matrix)", pg.gaussian_blur(x, 30.0 * s)),
        ("anisotropic (1, 8)", pg.gaussian_blur(x, (1.0 * s, 8.0 * s))),
        ("directional, 45 deg", pg.gaussian_blur(x, (1.0 * s, 8.0 * s), angle=math.pi / 4)),
        ("box 15", pg.box_blur(x, 2 * int(7 * s) + 1)),
        ("motion L=25, 30 deg", pg.motion_blur(x, 25 * s, math.radians(30))),
        ("motion L=25, forward", pg.motion_blur(x, 25 * s, 0.0, direction=1.0)),
        ("shear 0.3", pg.shear(x, 0.3, 0.0)),
        ("blur + shear", pg.shear(pg.gaussian_blur(x, (0.5 * s, 4.0 * s)), 0.3, 0.0)),
        ("circular border sigma=30", pg.gaussian_blur(x, 30.0 * s, border="circular")),
    ]
    grid = image_grid([im for _, im in ops], [name for name, _ in ops], cols=4,
                      title="pixelgrad blur family (uint8 in, uint8 out)")
    path = out / "blur_family.png"
    write_image(path, grid)
    return [path]
