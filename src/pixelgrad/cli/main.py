"""Entry point of the ``pixelgrad`` command.

Each subcommand lives in its own module ``pixelgrad.cli.<name>`` exposing
``register(subparsers)`` which adds its parser and sets ``func`` (``args -> exit code``).
"""
from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules, in the order `pixelgrad --help` lists them.
SUBCOMMANDS = ("demo", "augment", "gallery", "bench", "restore")


def build_parser() -> argparse.ArgumentParser:
    """The ``pixelgrad`` argument parser, with every subcommand of :data:`SUBCOMMANDS`.

    Returns
    -------
    argparse.ArgumentParser
        The top-level parser; each subcommand's parser sets ``func`` (``args -> exit code``).

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "--quick"])
    >>> args.command, args.quick
    ('demo', True)
    """
    parser = argparse.ArgumentParser(prog="pixelgrad",
                                     description="Fast, exact image augmentation and restoration.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"pixelgrad.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``pixelgrad`` command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: the subcommand's own, 0 for ``--version``, 2 for no subcommand (the
        help is printed) or for a ``ValueError``/``TypeError``/``OSError`` (reported as one
        line on stderr), 130 when interrupted.

    Raises
    ------
    SystemExit
        From :mod:`argparse` on unknown options or ``--help``.

    Examples
    --------
    >>> main(["--version"])
    0.1.0
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from pixelgrad import __version__

        print(__version__)
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError) as exc:
        # bad usage or an unusable path (missing, read-only, full disk): one line, exit 2
        text = " ".join(str(exc).split()) or type(exc).__name__
        if len(text) > 500:
            text = text[:497] + "..."
        print(f"pixelgrad {args.command}: error: {text}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
