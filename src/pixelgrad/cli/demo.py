"""``pixelgrad demo``: picture grids of what pixelgrad does, on the bundled sample image.

Each demo section is a module in ``pixelgrad.viz`` with ``run(image, outdir, args) -> list[Path]``
(paths it wrote). Sections are listed in :data:`SECTIONS` in order.
"""
from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

# module path of every section of the demo, in order
SECTIONS = ("pixelgrad.viz.demo_blur", "pixelgrad.viz.demo_illumination", "pixelgrad.viz.demo_restore")


def register(sub) -> None:
    """Add the ``demo`` subcommand to a parser's subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["demo", "--quick", "-o", "out"])
    >>> args.out, args.quick, args.func is run
    ('out', True, True)
    """
    p = sub.add_parser("demo", help="write picture grids of pixelgrad's operations to ./pixelgrad-demo/")
    p.add_argument("-o", "--out", default="pixelgrad-demo", help="output folder (default: %(default)s)")
    p.add_argument("--image", default=None, help="use this image instead of the bundled sample")
    p.add_argument("--quick", action="store_true", help="smaller, faster demo (used by the tests)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the picture grids of every section of :data:`SECTIONS` to ``args.out``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``demo`` arguments: ``out`` (folder, created if missing), ``image`` (a path, or
        None for the bundled sample) and ``quick``.

    Returns
    -------
    int
        0; one line per section (time and files written) is printed.

    Raises
    ------
    OSError
        If ``args.image`` cannot be read or ``args.out`` cannot be written.

    Examples
    --------
    Run through the command line (writes several images, so not executed here):

    >>> from pixelgrad.cli.main import main
    >>> main(["demo", "--quick", "-o", "pixelgrad-demo"])  # doctest: +SKIP
    """
    from ..io import read_image, sample_image

    image = read_image(args.image) if args.image else sample_image()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in SECTIONS:
        t0 = time.perf_counter()
        paths = importlib.import_module(name).run(image, out, args)
        written += paths
        print(f"[{name.rsplit('.', 1)[-1]}] {time.perf_counter() - t0:.2f}s: " + ", ".join(str(p) for p in paths))
    print(f"pixelgrad demo: wrote {len(written)} files to {out}/")
    return 0
