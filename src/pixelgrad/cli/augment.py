"""``pixelgrad augment IN OUT --config pipeline.yaml``: augment a folder (or a list of images).

Exit codes: 0 all outputs written (or already there with ``--resume``), 1 some images failed
(each reported with its path and reason, the others still written), 2 bad usage.
"""
from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

from ..io.header import DEFAULT_MAX_PIXELS
from . import UsageError

EXAMPLE_CONFIG = "example_pipeline.yaml"


def example_config_text() -> str:
    """The commented example pipeline printed by ``--example-config``.

    Returns
    -------
    str
        The YAML text of the bundled example, loadable with :func:`pixelgrad.augment.load`.

    Examples
    --------
    >>> example_config_text().splitlines()[0]
    '# pixelgrad augmentation pipeline (pixelgrad.augment format; load with pixelgrad.augment.load).'
    """
    return (resources.files("pixelgrad") / "data" / EXAMPLE_CONFIG).read_text(encoding="utf-8")


def _default_workers() -> int:
    """One worker per CPU (capped at 32): workers are the local engine's only parallelism,
    since on the CPU each op runs single-threaded during a run."""
    return max(1, min(32, os.cpu_count() or 1))


def register(sub) -> None:
    """Add the ``augment`` subcommand to a parser's subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["augment", "in", "out", "--config", "aug.yaml", "--copies", "3"])
    >>> args.input, args.output, args.copies, args.seed, args.engine
    ('in', 'out', 3, 0, 'local')
    """
    p = sub.add_parser(
        "augment", help="augment every image of a folder (or list) into a mirrored folder",
        description="Augment every image under IN (a folder, walked recursively, or a text file "
                    "listing image paths) with the pipeline of --config and write the results to "
                    "OUT with the same relative paths, format and bit depth. Each output's seed is "
                    "derived from (--seed, relative path, copy index), so results are identical "
                    "whatever --workers/--batch-size/--engine; OUT/manifest.jsonl records the "
                    "parameters drawn for every output.",
        epilog="exit codes: 0 all done, 1 some images failed (reported, others written), "
               "2 bad usage. Example: pixelgrad augment --example-config > aug.yaml && "
               "pixelgrad augment photos/ out/ --config aug.yaml --copies 3 --seed 1")
    p.add_argument("input", nargs="?", metavar="IN", help="folder of images, or text file of paths")
    p.add_argument("output", nargs="?", metavar="OUT", help="output folder (mirrors IN's tree)")
    p.add_argument("-c", "--config", help="pipeline file (.yaml/.yml/.json) in pixelgrad.augment's format")
    p.add_argument("--example-config", action="store_true",
                   help="print a commented example pipeline file and exit")
    p.add_argument("--copies", type=int, default=1, help="augmented copies per image (default 1, "
                   "at most 10000; copy k of a/b.png is a/b_k.png when > 1)")
    p.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    p.add_argument("--device", default="cpu", help="torch device for the pipeline (cpu, cuda, cuda:1)")
    p.add_argument("--workers", type=int, default=_default_workers(),
                   help="chunks processed at once, each by one thread from decoding to encoding; "
                        "on --device cpu the ops then run single-threaded (default: one per CPU, "
                        "%(default)s here)")
    p.add_argument("--batch-size", type=int, default=16,
                   help="images of equal size augmented together (default %(default)s)")
    p.add_argument("--resume", action="store_true",
                   help="skip outputs already written and recorded in OUT/manifest.jsonl")
    p.add_argument("--overwrite", action="store_true",
                   help="allow OUT == IN, OUT inside IN, or replacing input files")
    p.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, metavar="N",
                   help="refuse (and report) an image whose header declares more than N pixels, "
                        "before decoding it (default %(default)s = 8192^2)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local threads + one device (default), or a Ray Data job")
    p.add_argument("--address", default=None,
                   help="with --engine ray: cluster address (e.g. auto, ray://host:10001); "
                        "default starts a local Ray")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="with --engine ray: show Ray's own logs (hidden by default)")
    p.set_defaults(func=run)


def _usage_error(msg: str) -> UsageError:
    """The :class:`UsageError` for ``msg``, for the caller to raise (``raise _usage_error(...)``)."""
    return UsageError(f"augment: {msg}")


def _check_args(args: argparse.Namespace) -> None:
    if not args.input or not args.output:
        raise _usage_error("arguments `IN` and `OUT` are required (or use --example-config), got "
                           f"IN={args.input!r}, OUT={args.output!r}")
    if not args.config:
        raise _usage_error("argument `--config` is required: a pipeline .yaml/.json file "
                           "(see `pixelgrad augment --example-config`), got none")
    from ..io.dataset import MAX_COPIES

    if not 1 <= args.copies <= MAX_COPIES:
        raise _usage_error(f"argument `--copies` must be in [1, {MAX_COPIES}], got {args.copies}")
    if args.max_pixels < 1:
        raise _usage_error(f"argument `--max-pixels` must be >= 1, got {args.max_pixels}")
    if args.workers < 1:
        raise _usage_error(f"argument `--workers` must be >= 1, got {args.workers}")
    if args.batch_size < 1:
        raise _usage_error(f"argument `--batch-size` must be >= 1, got {args.batch_size}")
    if args.address is not None and args.engine != "ray":
        raise _usage_error(f"argument `--address` needs --engine ray, got --engine {args.engine}")


def check_device(device: str) -> str:
    """Validate a torch device string for ``--device``.

    Parameters
    ----------
    device : str
        A torch device such as ``"cpu"``, ``"cuda"`` or ``"cuda:1"``.

    Returns
    -------
    str
        ``device`` unchanged.

    Raises
    ------
    pixelgrad.cli.UsageError
        (a ``ValueError``) If ``device`` is not a torch device, is a CUDA / MPS device this
        machine does not have, or a device type the pipeline cannot run on (``meta``:
        tensors without data, and any type other than cpu, cuda and mps).

    Examples
    --------
    >>> check_device("cpu")
    'cpu'
    >>> check_device("gpu0")
    Traceback (most recent call last):
    ...
    pixelgrad.cli.UsageError: augment: argument `--device` must be a torch device such as cpu or cuda:0, got 'gpu0' (...)
    >>> check_device("meta")
    Traceback (most recent call last):
    ...
    pixelgrad.cli.UsageError: augment: argument `--device` must be a device the pipeline runs on: cpu, cuda[:N] or mps (when available), got 'meta'
    """
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise _usage_error(f"argument `--device` must be a torch device such as cpu or cuda:0, "
                           f"got {device!r} ({exc})") from None
    if dev.type == "cuda":
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if not n:
            raise _usage_error(f"argument `--device` must be an available device, got {device!r} "
                               f"(no CUDA device here)")
        if dev.index is not None and dev.index >= n:
            raise _usage_error(f"argument `--device` must be an available device, got {device!r} "
                               f"(CUDA devices here: cuda:0 to cuda:{n - 1})")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise _usage_error(f"argument `--device` must be an available device, got {device!r} "
                               f"(no MPS device here)")
    elif dev.type != "cpu":
        # meta, xla, ...: torch accepts the name, but no image can be computed there (a meta
        # tensor has no data), so every image would fail: refused here, once.
        raise _usage_error(f"argument `--device` must be a device the pipeline runs on: cpu, "
                           f"cuda[:N] or mps (when available), got {device!r}")
    return device


def load_pipeline(path: str):
    """The ``pixelgrad.augment`` transform stored in a pipeline file.

    Parameters
    ----------
    path : str
        A ``.yaml``/``.yml``/``.json`` file in :func:`pixelgrad.augment.load`'s format.

    Returns
    -------
    pixelgrad.augment.Transform
        The loaded pipeline.

    Raises
    ------
    pixelgrad.cli.UsageError
        (a ``ValueError``) If the file does not exist or does not hold a valid pipeline; the
        message names ``--config`` and the reason, on one line.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> cfg = pathlib.Path(tempfile.mkdtemp()) / "aug.yaml"
    >>> _ = cfg.write_text(example_config_text())
    >>> type(load_pipeline(str(cfg))).__name__
    'Compose'
    >>> load_pipeline(str(cfg.with_name("missing.yaml")))
    Traceback (most recent call last):
    ...
    pixelgrad.cli.UsageError: augment: argument `--config` must be an existing .yaml/.json file, got '...missing.yaml'
    """
    from .. import augment

    p = Path(path)
    if not p.is_file():
        raise _usage_error(f"argument `--config` must be an existing .yaml/.json file, got {path!r}")
    try:
        return augment.load(p)
    except (ValueError, TypeError, KeyError, OSError, RecursionError) as exc:
        raise _usage_error(f"argument `--config` must hold a valid pipeline, got {path!r}: "
                           f"{_one_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - yaml.YAMLError and friends: a bad file, not a bug
        if type(exc).__module__.split(".")[0] != "yaml":
            raise
        raise _usage_error(f"argument `--config` must hold a valid pipeline, got {path!r}: "
                           f"{_one_line(exc)}") from None


def _one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception's text on one line, at most ``limit`` characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


def run(args: argparse.Namespace) -> int:
    """Augment every image of ``args.input`` into ``args.output`` (the ``augment`` command).

    Outputs mirror the input tree; each one's seed derives from ``(seed, relative path, copy
    index)``, so results do not depend on ``--workers``, ``--batch-size`` or ``--engine``.
    ``OUT/manifest.jsonl`` records the parameters drawn for every output. Files are written
    through a temporary name and renamed, never half-written.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``augment`` arguments (see :func:`register`).

    Returns
    -------
    int
        0 when every output was written (or already there with ``--resume``), 1 when some
        images failed (each reported on stderr with its path and reason; the others are
        still written).

    Raises
    ------
    pixelgrad.cli.UsageError
        (a ``ValueError``) On bad usage: missing or inconsistent arguments, an unknown
        device, an unreadable pipeline.
    pixelgrad.io.dataset.JobError
        (a ``ValueError``) For a job that cannot run safely: no input, an output folder that
        would overwrite inputs, an OUT in use by another run or holding another job.

    Examples
    --------
    >>> import numpy as np, pathlib, tempfile
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.cli.main import main
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> (tmp / "in").mkdir()
    >>> write_image(tmp / "in" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> _ = (tmp / "aug.yaml").write_text(example_config_text())
    >>> main(["augment", str(tmp / "in"), str(tmp / "out"), "--config", str(tmp / "aug.yaml"),
    ...       "--quiet", "--workers", "1"])
    pixelgrad augment: done 1, skipped 0, failed 0 of 1 outputs in ... -> ...out
    0
    >>> sorted(p.name for p in (tmp / "out").iterdir())
    ['.pixelgrad-job.json', 'a.png', 'manifest.jsonl']
    """
    if args.example_config:
        sys.stdout.write(example_config_text())
        return 0
    _check_args(args)
    from ..io.dataset import collect_inputs, plan_outputs, printable_path
    from ..io.outdir import job_directory, job_record

    device = check_device(args.device)
    pipeline = load_pipeline(args.config)
    skipped: list[str] = []

    def on_skip(path: str, why: str) -> None:
        skipped.append(path)

    root, inputs = collect_inputs(args.input, on_skip=on_skip)
    items = plan_outputs(root, inputs, args.output, copies=args.copies, seed=args.seed,
                         overwrite=args.overwrite, in_is_folder=Path(args.input).is_dir())
    progress = not args.quiet
    reported: set = set()                 # (path, reason) already printed while running

    def on_fail(path: str, reason: str) -> None:
        reported.add((path, reason))
        msg = f"pixelgrad augment: failed: {printable_path(path)}: {reason}"
        if progress:
            from tqdm import tqdm

            tqdm.write(msg, file=sys.stderr)
        else:
            print(msg, file=sys.stderr)

    job = job_record(pipeline.to_dict(), seed=args.seed, copies=args.copies)
    with job_directory(args.output, job):
        if args.engine == "ray":
            from ..scale.ray_engine import run_ray

            summary = run_ray(items, pipeline, args.output, address=args.address, device=device,
                              batch_size=args.batch_size, resume=args.resume, progress=progress,
                              on_fail=on_fail, max_pixels=args.max_pixels,
                              verbose=getattr(args, "verbose", False))
        else:
            from ..io.jobs import run_local

            summary = run_local(items, pipeline, args.output, workers=args.workers,
                                batch_size=args.batch_size, device=device, resume=args.resume,
                                progress=progress, on_fail=on_fail, max_pixels=args.max_pixels)
    for path in skipped:
        summary.failed.append((path, "skipped: file name is not valid UTF-8"))
    print(f"pixelgrad augment: {summary.text()} -> {args.output}")
    failed = [f for f in dict.fromkeys(summary.failed) if tuple(f) not in reported]  # each once
    for path, reason in failed[:20]:
        print(f"  failed: {printable_path(path)}: {reason}", file=sys.stderr)
    if len(failed) > 20:
        print(f"  ... and {len(failed) - 20} more failures", file=sys.stderr)
    return summary.exit_code
