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
    parser = argparse.ArgumentParser(prog="pixelgrad",
                                     description="Fast, exact image augmentation and restoration.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"pixelgrad.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
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
