"""``pixelgrad bench [NAME ...]``: run the benchmark scripts of a source checkout.

The scripts live in ``benchmarks/`` of the repository (they compare against kornia, OpenCV,
scikit-image..., which a plain install does not have); this command finds that folder next
to an editable install, or takes ``--dir``.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def _default_dir() -> Path:
    import pixelgrad

    return Path(pixelgrad.__file__).resolve().parents[2] / "benchmarks"


def register(sub) -> None:
    """Add the ``bench`` subcommand to a parser's subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["bench", "blur", "--quick"])
    >>> args.names, args.quick, args.list
    (['blur'], True, False)
    """
    p = sub.add_parser("bench", help="run the benchmark scripts (blur, illumination, restore, gpu, cli)")
    p.add_argument("names", nargs="*", help="benchmarks to run (default: all); e.g. blur restore")
    p.add_argument("--dir", default=None, help="folder holding the scripts (default: the checkout's benchmarks/)")
    p.add_argument("--quick", action="store_true", help="pass --quick to scripts that support it")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the named benchmark scripts (all by default), each in its own Python process.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``bench`` arguments: ``names``, ``dir`` (None: the checkout's
        ``benchmarks/``), ``quick`` (passed on to scripts that accept ``--quick``) and
        ``list``.

    Returns
    -------
    int
        0 when every script succeeded (or with ``--list``), else the first non-zero exit code.

    Raises
    ------
    FileNotFoundError
        If the benchmarks folder does not exist.
    ValueError
        If a name is not a script of the folder.

    Examples
    --------
    >>> import argparse, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "blur.py").write_text("print('ok')")
    >>> run(argparse.Namespace(dir=str(folder), names=[], quick=False, list=True))
    blur
    0
    """
    folder = Path(args.dir) if args.dir else _default_dir()
    if not folder.is_dir():
        raise FileNotFoundError(f"no benchmarks folder at {folder}; run from a source checkout or pass --dir")
    scripts = {p.stem: p for p in sorted(folder.glob("*.py")) if not p.stem.startswith("_")}
    if args.list:
        print("\n".join(scripts))
        return 0
    names = args.names or list(scripts)
    unknown = [n for n in names if n not in scripts]
    if unknown:
        raise ValueError(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(scripts)}")
    status = 0
    for name in names:
        script = scripts[name]
        cmd = [sys.executable, str(script)]
        if args.quick and "--quick" in script.read_text():
            cmd.append("--quick")
        print(f"==> {name}: {' '.join(cmd)}", flush=True)
        rc = subprocess.call(cmd)
        status = status or rc
    return status
