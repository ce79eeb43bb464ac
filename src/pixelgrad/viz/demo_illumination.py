"""Demo section: the illumination family (the seed's random gradient and its relatives).

Writes ``gradient_fields.png`` (the fields g alone, shown in [0, 1] after the affine map
``(g - gmin) / (gmax - gmin)``), ``gradient_family.png`` (each op on the sample image) and
``gradient_random.png`` (the seed's distribution: RandomGradient drawn 8 times, uint8 in/out).
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch

from ..io import write_image
from .grid import image_grid


def _field(op, H: int, W: int, **kw) -> torch.Tensor:
    """The field g itself: apply the op in ``add`` mode with alpha=1 to a black float64 image."""
    z = torch.zeros(1, 1, H, W, dtype=torch.float64)
    g = op(z, alpha=1.0, mode="add", clamp=False, **kw)[0]
    lo, hi = float(g.min()), float(g.max())
    return (g - lo) / (hi - lo) if hi > lo else g * 0


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
        The files written: ``gradient_fields.png``, ``gradient_family.png``, ``gradient_random.png``.

    Notes
    -----
    ``gradient_fields.png`` shows each field :math:`g(u, v)` alone: the op applied in ``add``
    mode with ``alpha=1`` to a black float64 image, then mapped affinely to [0, 1] (a constant
    field is shown black). ``gradient_family.png`` applies each op to the image (uint8 in,
    uint8 out); ``gradient_random.png`` shows eight draws of
    :class:`pixelgrad.augment.RandomGradient` with ``seed=0``, labelled with their parameters.

    Examples
    --------
    >>> import argparse, pathlib, tempfile
    >>> import numpy as np
    >>> from pixelgrad.viz import demo_illumination
    >>> image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = demo_illumination.run(image, pathlib.Path(d), argparse.Namespace(quick=True))
    ...     [p.name for p in paths if p.is_file()]
    ['gradient_fields.png', 'gradient_family.png', 'gradient_random.png']
    """
    import pixelgrad as pg

    x = torch.from_numpy(image).permute(2, 0, 1).contiguous()          # (3, H, W) uint8
    if getattr(args, "quick", False):
        x = x[:, ::4, ::4].contiguous()
    H, W = x.shape[-2:]
    paths = []

    fields = [
        ("seed: a=0.8, b=-0.5", _field(pg.linear_gradient, H, W, a=0.8, b=-0.5)),
        ("angle 30 deg", _field(pg.linear_gradient, H, W, angle=math.radians(30), strength=1.0)),
        ("corner: bottom-right", _field(pg.corner_gradient, H, W, corner="bottom-right")),
        ("radial cone", _field(pg.radial_gradient, H, W, radius=0.6, offset=0.0)),
        ("gaussian spot", _field(pg.gaussian_spot, H, W, center=(0.3, 0.7), sigma=(0.2, 0.3))),
    ]
    colored = pg.linear_gradient(torch.zeros(1, 3, H, W, dtype=torch.float64),
                                 a=torch.tensor([[1.0, 0.0, -1.0]], dtype=torch.float64),
                                 b=torch.tensor([[0.0, 1.0, 0.5]], dtype=torch.float64),
                                 alpha=1.0, offset=torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64),
                                 mode="add")[0]
    fields.append(("colored: one ramp per channel", colored))
    grid = image_grid([f for _, f in fields], [n for n, _ in fields], cols=3,
                      title="illumination fields g(u, v) (rescaled to [0, 1])")
    paths.append(out / "gradient_fields.png")
    write_image(paths[-1], grid)

    ops = [
        ("original", x),
        ("seed blend a=.8 b=-.5 alpha=.15", pg.linear_gradient(x, 0.8, -0.5, 0.15)),
        ("blend alpha=0.5", pg.linear_gradient(x, 0.8, -0.5, 0.5)),
        ("add, angle 0, strength 1", pg.linear_gradient(x, alpha=0.4, angle=0.0, strength=1.0,
                                                         offset=-0.5, mode="add")),
        ("multiply (shading)", pg.linear_gradient(x, alpha=0.8, angle=math.pi / 2, strength=1.0,
                                                   offset=-1.0, mode="multiply")),
        ("corner gradient", pg.corner_gradient(x, "top-right", 0.4)),
        ("vignette (radial, multiply)", pg.radial_gradient(x, 0.6, radius=0.7)),
        ("gaussian spot (add)", pg.gaussian_spot(x, 0.4, center=(0.3, 0.7), sigma=0.2)),
        ("colored ramp", pg.linear_gradient(x, a=torch.tensor([[1.0, 0.0, -1.0]]),
                                            b=torch.tensor([[0.0, 1.0, 0.5]]), alpha=0.3)),
    ]
    grid = image_grid([im for _, im in ops], [n for n, _ in ops], cols=3,
                      title="pixelgrad illumination family (uint8 in, uint8 out)")
    paths.append(out / "gradient_family.png")
    write_image(paths[-1], grid)

    aug = pg.augment.RandomGradient()           # the seed's distribution
    batch = x[None].expand(8, -1, -1, -1)
    y, params = aug(batch, seed=0, return_params=True)
    labels = [f"a={d['a']:+.2f} b={d['b']:+.2f} al={d['alpha']:.2f}" for d in params.per_sample()]
    grid = image_grid(list(y), labels, cols=4, title="RandomGradient() = the seed's make_random_gradient + blend")
    paths.append(out / "gradient_random.png")
    write_image(paths[-1], grid)
    return paths
