"""Datasets on disk: which images to read, where each output goes, and whether that is safe.

A *job* is a list of :class:`WorkItem` (one per output file): an input path, its path relative
to the input root, a copy index and the output path that mirrors the input tree. Nothing here
touches pixels.

Rules (see ``pixelgrad augment --help``):

- IN is a folder (walked recursively, sorted, hidden files and folders skipped) or a text file
  with one path per line (blank lines and ``#`` comments ignored; relative paths are relative to
  the list file's folder). For a list, the mirrored root is the deepest folder holding them all.
- OUT mirrors the tree. With ``copies > 1`` copy ``k`` of ``a/b.png`` is ``a/b_k.png``.
- OUT == IN, OUT inside IN, or any output path equal to an input path is refused unless
  ``overwrite=True`` (:class:`UsageError`).
- The seed of copy ``k`` of relative path ``r`` is ``derive_seed(seed, r, k)``: a 63-bit hash, so
  results do not depend on the order, the batching or the number of workers.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .images import IMAGE_SUFFIXES

__all__ = ["UsageError", "WorkItem", "collect_inputs", "plan_outputs", "check_output_location",
           "derive_seed", "output_relpath"]


class UsageError(ValueError):
    """Bad command-line usage (exit code 2): missing input, unsafe output location, ..."""


@dataclass(frozen=True)
class WorkItem:
    """One output to produce.

    ``src``: input file; ``rel``: input path relative to the input root (posix string);
    ``copy``: copy index (0-based); ``dst``: output file; ``out_rel``: ``dst`` relative to OUT
    (posix string); ``seed``: the per-output seed from :func:`derive_seed`.
    """

    src: Path
    rel: str
    copy: int
    dst: Path
    out_rel: str
    seed: int


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = Path(dirpath) / name
            if _is_image(p):
                found.append(p)
    found.sort(key=lambda p: p.relative_to(root).as_posix())
    return found


def collect_inputs(source: str | os.PathLike) -> tuple[Path, list[Path]]:
    """``(root, files)``: the root the output tree mirrors, and the input images in order.

    ``source`` is a folder (recursive walk, sorted by path) or a text file listing image paths.
    Raises :class:`UsageError` when ``source`` does not exist, the list names a missing file
    or a file with an unsupported suffix, or nothing is found.
    """
    src = Path(source)
    if src.is_dir():
        root = src.resolve()
        files = _walk(root)  # under the resolved root, so relative_to works even for symlinks
        if not files:
            raise UsageError(f"collect_inputs: argument `IN` must be a folder holding images "
                             f"({', '.join(IMAGE_SUFFIXES)}), got {str(source)!r} with none")
        return root, files
    if not src.is_file():
        raise UsageError(f"collect_inputs: argument `IN` must be an existing folder or list file, "
                         f"got {str(source)!r}")
    if _is_image(src):
        raise UsageError(f"collect_inputs: argument `IN` must be a folder or a text file listing "
                         f"images, got the image {str(source)!r} (put it in a folder or a list)")
    base = src.resolve().parent
    files = []
    for lineno, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(line).expanduser()
        p = (p if p.is_absolute() else base / p).resolve()
        if not p.is_file():
            raise UsageError(f"collect_inputs: line {lineno} of {str(source)!r} must name an "
                             f"existing file, got {line!r}")
        if not _is_image(p):
            raise UsageError(f"collect_inputs: line {lineno} of {str(source)!r} must name an image "
                             f"({', '.join(IMAGE_SUFFIXES)}), got {line!r}")
        files.append(p)
    if not files:
        raise UsageError(f"collect_inputs: argument `IN` must list at least one image, "
                         f"got the empty list {str(source)!r}")
    files = list(dict.fromkeys(files))  # drop duplicates, keep order
    root = Path(os.path.commonpath([str(p.parent) for p in files]))
    return root, files


def derive_seed(seed: int, rel: str, copy: int) -> int:
    """Seed of copy ``copy`` of the input at relative path ``rel`` (posix) under run seed ``seed``.

    ``int.from_bytes(blake2b(f"{seed}\\0{rel}\\0{copy}")[:8]) >> 1``: independent of the order,
    batching and number of workers, and stable across Python processes and platforms.
    """
    h = hashlib.blake2b(f"{int(seed)}\0{rel}\0{int(copy)}".encode("utf-8"), digest_size=8)
    return int.from_bytes(h.digest(), "little") >> 1


def output_relpath(rel: str, copy: int, copies: int) -> str:
    """Output path (posix, relative to OUT) of copy ``copy`` of ``rel``: ``rel`` itself when
    ``copies == 1``, else ``stem_copy.suffix`` next to it."""
    if copies == 1:
        return rel
    p = Path(rel)
    return (p.parent / f"{p.stem}_{copy}{p.suffix}").as_posix()


def check_output_location(in_root: Path, inputs: list[Path], out: Path, overwrite: bool) -> None:
    """Raise :class:`UsageError` when OUT is IN, lies inside IN, or would overwrite an input,
    unless ``overwrite``."""
    if overwrite:
        return
    out_r = Path(os.path.abspath(out)).resolve()
    in_r = in_root.resolve()
    if out_r == in_r:
        raise UsageError(f"augment: argument `OUT` must differ from IN, got {str(out)!r} == IN "
                         f"(pass --overwrite to write into it anyway)")
    if in_r in out_r.parents:
        raise UsageError(f"augment: argument `OUT` must not lie inside IN {str(in_r)!r}, got "
                         f"{str(out)!r} (a later run would read its own outputs; pass --overwrite "
                         f"to allow it)")


def plan_outputs(in_root: Path, inputs: list[Path], out: str | os.PathLike, *, copies: int = 1,
                 seed: int = 0, overwrite: bool = False) -> list[WorkItem]:
    """One :class:`WorkItem` per (input, copy), inputs in order, copies innermost.

    Raises :class:`UsageError` for ``copies < 1``, an unsafe OUT (:func:`check_output_location`),
    two inputs mapping to the same output, or an output that is an input (unless ``overwrite``).
    """
    if not isinstance(copies, int) or copies < 1:
        raise UsageError(f"plan_outputs: argument `copies` must be an integer >= 1, got {copies!r}")
    out = Path(out)
    check_output_location(in_root, inputs, out, overwrite)
    out_abs = Path(os.path.abspath(out))
    input_set = {str(p) for p in inputs}
    items: list[WorkItem] = []
    seen: dict[str, str] = {}
    for src in inputs:
        rel = src.relative_to(in_root).as_posix()
        for k in range(copies):
            orel = output_relpath(rel, k, copies)
            if orel in seen:
                raise UsageError(f"plan_outputs: inputs {seen[orel]!r} and {rel!r} would both be "
                                 f"written to {orel!r}; rename one or use --copies 1")
            seen[orel] = rel
            dst = out_abs / orel
            if not overwrite and str(dst) in input_set:
                raise UsageError(f"plan_outputs: output {str(dst)!r} is an input file; pass "
                                 f"--overwrite to replace inputs")
            items.append(WorkItem(src=src, rel=rel, copy=k, dst=dst, out_rel=orel,
                                  seed=derive_seed(seed, rel, k)))
    return items
