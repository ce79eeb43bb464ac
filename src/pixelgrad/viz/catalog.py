"""A picture of every operation and random transform: the gallery page of the documentation.

:func:`write_catalog` draws one PNG per entry on the bundled sample image and
:func:`catalog_markdown` writes the page that shows them. The documentation build calls both
(``docs/hooks.py``), so the pictures always show what the code of that build does; nothing
here is drawn by hand.

Entries come from three places:

* every op of :mod:`pixelgrad.functional` (``pixelgrad.functional.__all__``), each shown with
  a few settings listed in :data:`OPERATIONS`;
* every registered leaf transform of :mod:`pixelgrad.augment` (``REGISTRY`` minus the
  containers), built with its defaults (``p=1``) unless :data:`TRANSFORM_ARGS` says otherwise,
  shown as four random draws captioned with the parameters drawn;
* every image operation of :mod:`pixelgrad.restore` listed in :data:`RESTORATION`.

A test checks that nothing public is missing, so a new op without a picture fails CI.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import cv2
import numpy as np
import torch

from ..io import sample_image, write_image
from .grid import image_grid

Op = Callable[[torch.Tensor], Any]

#: functional op name -> (caption, call) pairs, each call taking a ``(1, 3, H, W)`` uint8 tensor
OPERATIONS: dict[str, list[tuple[str, Op]]] = {}


def _op(name: str, *variants: tuple[str, Op]) -> None:
    OPERATIONS[name] = list(variants)


def _pg() -> Any:
    import pixelgrad

    return pixelgrad


_op("gaussian_blur",
    ("sigma=3", lambda x: _pg().gaussian_blur(x, 3.0)),
    ("sigma=(1, 8)", lambda x: _pg().gaussian_blur(x, (1.0, 8.0))),
    ("sigma=(1, 8), angle=pi/4", lambda x: _pg().gaussian_blur(x, (1.0, 8.0), angle=math.pi / 4)))
_op("box_blur",
    ("size=9", lambda x: _pg().box_blur(x, 9)),
    ("size=41, circular", lambda x: _pg().box_blur(x, 41, border="circular")))
_op("motion_blur",
    ("length=21, angle=pi/6", lambda x: _pg().motion_blur(x, 21.0, math.pi / 6)),
    ("length=21, direction=1", lambda x: _pg().motion_blur(x, 21.0, 0.0, direction=1.0)))
_op("filter2d",
    ("camera-shake PSF 21x21 (convolution)",
     lambda x: _pg().filter2d(x, _pg().kernels.camera_shake(21, 3).flip(-1, -2))),
    ("3x3 sharpen", lambda x: _pg().filter2d(x, [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])))
_op("shear",
    ("sx=0.3", lambda x: _pg().shear(x, 0.3)),
    ("sx=0.2, sy=-0.2, reflect", lambda x: _pg().shear(x, 0.2, -0.2, border="reflect")))
_op("linear_gradient",
    ("a=0.8, b=-0.5, alpha=0.3", lambda x: _pg().linear_gradient(x, 0.8, -0.5, 0.3)),
    ("multiply, angle=pi/2", lambda x: _pg().linear_gradient(
        x, alpha=0.8, angle=math.pi / 2, strength=1.0, offset=-1.0, mode="multiply")))
_op("corner_gradient",
    ("top-right, alpha=0.4", lambda x: _pg().corner_gradient(x, "top-right", 0.4)),
    ("bottom-left, alpha=0.4", lambda x: _pg().corner_gradient(x, "bottom-left", 0.4)))
_op("radial_gradient",
    ("alpha=0.6, radius=0.7", lambda x: _pg().radial_gradient(x, 0.6, radius=0.7)),
    ("alpha=0.8, radius=0.4", lambda x: _pg().radial_gradient(x, 0.8, radius=0.4)))
_op("gaussian_spot",
    ("alpha=0.4, sigma=0.2", lambda x: _pg().gaussian_spot(x, 0.4, center=(0.3, 0.7), sigma=0.2)),
    ("sigma=(0.1, 0.4)", lambda x: _pg().gaussian_spot(x, 0.5, center=(0.5, 0.5), sigma=(0.1, 0.4))))

#: keyword arguments for transforms whose defaults do not make a telling picture (none yet)
TRANSFORM_ARGS: dict[str, dict[str, Any]] = {}


def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


#: restoration op name -> (caption, call) pairs, each call taking a ``(1, 3, H, W)`` float
#: tensor in [0, 1] and returning an image (the corrupted one for corruption models)
RESTORATION: dict[str, list[tuple[str, Op]]] = {
    "salt_and_pepper": [("fraction=0.5", lambda x: _pg().restore.salt_and_pepper(x, 0.5, _gen())[0])],
    "random_missing": [("fraction=0.5", lambda x: _pg().restore.random_missing(x, 0.5, _gen())[0])],
    "gaussian_noise": [("sigma=0.1", lambda x: _pg().restore.gaussian_noise(x, 0.1, _gen())[0])],
    "scratches": [("count=12", lambda x: _pg().restore.scratches(x, 12, generator=_gen())[0])],
    "text_overlay": [("default text", lambda x: _pg().restore.text_overlay(x)[0])],
    "blur": [("sigma=2, noise=0.01", lambda x: _blurred(x))],
    "inpaint": [("90% missing", lambda x: _pg().restore.salt_and_pepper(x, 0.9, _gen())[0]),
                ("inpaint(method='auto')", lambda x: _pg().restore.inpaint(
                    *_pg().restore.salt_and_pepper(x, 0.9, _gen()), method="auto").image)],
    "deblur": [("blurred, sigma=2", lambda x: _blurred(x)),
               ("deblur(sigma=2)", lambda x: _pg().restore.deblur(_blurred(x), sigma=2.0).image),
               ("deblur() blind: blur estimated", lambda x: _blind(_blurred(x)))],
    "denoise": [("noisy: sigma=0.1", lambda x: _noisy(x)),
                ("denoise()", lambda x: _pg().restore.denoise(_noisy(x)).image)],
    "solve": [("blurred, sigma=2", lambda x: _blurred(x)),
              ("solve(Blur, TotalVariation)", lambda x: _solve_tv_deblur(x))],
}

#: restoration functions that measure an image rather than change it: no picture
NOT_IMAGE_OPS = ("psnr", "ssim", "estimate_noise", "estimate_kernel", "assess", "check_blur")


def _blurred(x: torch.Tensor) -> torch.Tensor:
    return _pg().restore.corrupt.blur(x, sigma=2.0, noise=0.01, generator=_gen())[0]


def _blind(y: torch.Tensor) -> torch.Tensor:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # a refused estimate shows the input
        return _pg().restore.deblur(y).image


def _noisy(x: torch.Tensor) -> torch.Tensor:
    return _pg().restore.gaussian_noise(x, 0.1, _gen())[0]


def _solve_tv_deblur(x: torch.Tensor) -> torch.Tensor:
    r = _pg().restore
    return r.solve(_blurred(x), r.operators.Blur(sigma=2.0), r.priors.TotalVariation(0.01), iterations=60).image


@dataclass(frozen=True)
class CatalogEntry:
    """One picture of the gallery.

    Attributes
    ----------
    section : str
        ``"functional"``, ``"augment"`` or ``"restore"``.
    name : str
        The op or transform, as the user calls it (``gaussian_blur``, ``RandomShear``).
    path : pathlib.Path
        The PNG written.
    captions : tuple of str
        The caption of every tile, in order (the first is the input).
    notes : tuple of str
        Longer text shown under the picture: for a random transform, the parameters drawn
        for each tile after the input.
    """

    section: str
    name: str
    path: Path
    captions: tuple[str, ...]
    notes: tuple[str, ...] = ()


def leaf_transforms() -> dict[str, type]:
    """Every registered transform class of :mod:`pixelgrad.augment` except the containers.

    Returns
    -------
    dict
        Name -> class, sorted by name.

    Examples
    --------
    >>> "RandomGaussianBlur" in leaf_transforms()
    True
    >>> "Compose" in leaf_transforms()
    False
    """
    from ..augment import REGISTRY
    from ..augment.containers import Compose

    return {n: c for n, c in sorted(REGISTRY.items()) if not issubclass(c, Compose)}


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return str(value)


def _describe_draw(record: dict[str, Any]) -> str:
    """``"a=0.31, b=-0.72, ..."`` from one sample's parameters (``Params.per_sample()``)."""
    if not record.get("applied", True):
        return "not applied"
    return ", ".join(f"{k}={_short(v)}" for k, v in record.items() if k not in ("type", "applied"))


def sample_tile(size: int = 160) -> np.ndarray:
    """The bundled sample image scaled to a square tile.

    Parameters
    ----------
    size : int, default 160
        Side of the tile in pixels.

    Returns
    -------
    numpy.ndarray
        ``(size, size, 3)`` RGB uint8, scaled with area interpolation.

    Examples
    --------
    >>> sample_tile(64).shape
    (64, 64, 3)
    """
    return cv2.resize(sample_image(), (size, size), interpolation=cv2.INTER_AREA)


def _to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].contiguous()


def write_catalog(out: str | os.PathLike, *, size: int = 160, draws: int = 4,
                  names: Sequence[str] | None = None) -> list[CatalogEntry]:
    """Draw one PNG per operation and transform into ``out``.

    Parameters
    ----------
    out : str or os.PathLike
        Output folder (created if missing). Files are named ``<section>_<name>.png``.
    size : int, default 160
        Side of each tile in pixels (the sample image is scaled to it).
    draws : int, default 4
        Random draws shown per transform.
    names : sequence of str, optional
        Draw only these entries (all when ``None``).

    Returns
    -------
    list of CatalogEntry
        The entries written, operations first, then transforms, then restoration.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [e] = write_catalog(d, size=48, names=["box_blur"])
    ...     (e.section, e.path.name, e.captions)
    ('functional', 'functional_box_blur.png', ('input', 'size=9', 'size=41, circular'))
    """
    import pixelgrad as pg

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    img = sample_tile(size)
    x = _to_tensor(img)                          # (1, 3, H, W) uint8
    entries: list[CatalogEntry] = []

    def keep(name: str) -> bool:
        return names is None or name in names

    def save(section: str, name: str, tiles: list, captions: list[str], notes: Sequence[str] = ()) -> None:
        path = out / f"{section}_{name}.png"
        write_image(path, image_grid(tiles, captions, cols=len(tiles)))
        entries.append(CatalogEntry(section, name, path, tuple(captions), tuple(notes)))

    for name in pg.functional.__all__:
        if keep(name):
            variants = OPERATIONS.get(name)
            if variants is None:
                raise KeyError(f"write_catalog: no gallery entry for pixelgrad.{name}: add one to "
                               f"pixelgrad.viz.catalog.OPERATIONS")
            tiles = [x[0]] + [fn(x)[0] for _, fn in variants]
            save("functional", name, tiles, ["input"] + [c for c, _ in variants])

    for name, cls in leaf_transforms().items():
        if keep(name):
            kwargs = {"p": 1.0, **TRANSFORM_ARGS.get(name, {})}
            t = cls(**kwargs)
            y, params = t(x.expand(draws, -1, -1, -1), seed=0, return_params=True)
            drawn = [_describe_draw(r) for r in params.per_sample()]
            save("augment", name, [x[0]] + list(y), ["input"] + [f"draw {i + 1}" for i in range(draws)],
                 [f"draw {i + 1}: {d}" for i, d in enumerate(drawn)])

    xf = x.float() / 255.0
    for name, variants in RESTORATION.items():
        if keep(name):
            tiles = [xf[0]] + [fn(xf)[0] for _, fn in variants]
            save("restore", name, tiles, ["input"] + [c for c, _ in variants])
    return entries


_TITLES = {"functional": "Operations (`pixelgrad.functional`, also `pixelgrad.<name>`)",
           "augment": "Random transforms (`pixelgrad.augment`)",
           "restore": "Restoration (`pixelgrad.restore`)"}


def catalog_markdown(entries: Sequence[CatalogEntry], image_dir: str = "gallery") -> str:
    """The gallery page (Markdown) showing ``entries``.

    Parameters
    ----------
    entries : sequence of CatalogEntry
        As returned by :func:`write_catalog`.
    image_dir : str, default "gallery"
        Folder of the pictures relative to the page.

    Returns
    -------
    str
        One section per kind of entry, one heading and one picture per entry.

    Examples
    --------
    >>> e = CatalogEntry("functional", "box_blur", Path("functional_box_blur.png"), ("input",))
    >>> print(catalog_markdown([e]).splitlines()[-1])
    ![box_blur: input](gallery/functional_box_blur.png)
    """
    lines = ["# Gallery", "",
             "One picture per operation and random transform, drawn by "
             "`pixelgrad.viz.catalog.write_catalog` on the bundled sample image each time this "
             "site is built, so they show what this version of the code does. The first tile is "
             "the input; captions are the arguments of the call, or for random transforms the "
             "parameters drawn (`p=1`, seed 0).", ""]
    section = None
    for e in entries:
        if e.section != section:
            section = e.section
            lines += [f"## {_TITLES.get(section, section)}", ""]
        lines += [f"### `{e.name}`", "",
                  f"![{e.name}: {', '.join(e.captions)}]({image_dir}/{e.path.name})"]
        if e.notes:
            lines += [""] + [f"* {n}" for n in e.notes]
        if e is not entries[-1]:
            lines.append("")
    return "\n".join(lines) + "\n"
