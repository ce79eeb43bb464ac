"""Datasets on disk: which images to read, where each output goes, and whether that is safe.

A *job* is a list of :class:`WorkItem` (one per output file): an input path, its path relative
to the input root, a copy index and the output path that mirrors the input tree. Nothing here
touches pixels.

Rules (see ``pixelgrad augment --help``):

- IN is a folder (walked recursively, sorted, hidden files and folders skipped) or a text file
  with one path per line (blank lines and ``#`` comments ignored; relative paths are relative to
  the list file's folder). For a list, the mirrored root is the deepest folder holding them all.
- OUT mirrors the tree. With ``copies > 1`` copy ``k`` of ``a/b.png`` is ``a/b_k.png``.
- Paths are compared *resolved* (symlinks followed, at OUT itself and at every folder
  below it): OUT == IN, OUT inside IN, an output that would land inside a walked IN folder, or
  any output path equal to an input path is refused unless ``overwrite=True``
  (:class:`UsageError`). For a list file IN there is no folder to protect beyond the listed
  files, so OUT may lie anywhere (e.g. inside the folder common to two trees) as long as no
  output is an input.
- A file name that is not valid UTF-8 is reported through ``on_skip`` and left out (its
  relative path could not be recorded in the manifest nor seeded).
- ``copies`` is at most :data:`MAX_COPIES`.
- The seed of copy ``k`` of relative path ``r`` is ``derive_seed(seed, r, k)``: a 63-bit hash, so
  results do not depend on the order, the batching or the number of workers.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .images import IMAGE_SUFFIXES

__all__ = ["UsageError", "WorkItem", "collect_inputs", "plan_outputs", "check_output_location",
           "derive_seed", "output_relpath", "MAX_COPIES", "printable_path"]

#: the largest ``copies`` of a job (a billion copies would take minutes just to plan)
MAX_COPIES = 10_000


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


def printable_path(path: str | os.PathLike) -> str:
    """``path`` as text that can always be printed (bytes that are not UTF-8 shown as ``\\xNN``)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


SkipCallback = Callable[[str, str], None]


def _skip(on_skip: SkipCallback | None, path: str | os.PathLike, why: str) -> None:
    if on_skip is None:
        warnings.warn(f"skipped {printable_path(path)}: {why}", stacklevel=3)
    else:
        on_skip(printable_path(path), why)


_NOT_UTF8 = "file name is not valid UTF-8 (rename it to include it)"


def _walk(root: Path, on_skip: SkipCallback | None = None) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if not _utf8(d):
                _skip(on_skip, Path(dirpath) / d, "folder " + _NOT_UTF8)
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = Path(dirpath) / name
            if _is_image(p):
                if not _utf8(name):
                    _skip(on_skip, p, _NOT_UTF8)
                    continue
                found.append(p)
    found.sort(key=lambda p: p.relative_to(root).as_posix())
    return found


def collect_inputs(source: str | os.PathLike,
                   on_skip: SkipCallback | None = None) -> tuple[Path, list[Path]]:
    """``(root, files)``: the root the output tree mirrors, and the input images in order.

    ``source`` is a folder (recursive walk, sorted by path) or a text file listing image paths.
    Files whose name is not valid UTF-8 are left out and reported as ``on_skip(path, reason)``
    (a warning when ``on_skip`` is None).
    Raises :class:`UsageError` when ``source`` does not exist, the list names a missing file
    or a file with an unsupported suffix, or nothing is found.
    """
    src = Path(source)
    if src.is_dir():
        root = src.resolve()
        if not _utf8(str(root)):
            raise UsageError(f"collect_inputs: argument `IN` must be a folder whose path is valid "
                             f"UTF-8, got {printable_path(root)!r}")
        files = _walk(root, on_skip)  # under the resolved root: relative_to works for symlinks
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
    text = src.read_bytes().decode("utf-8", "surrogateescape")
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not _utf8(line):
            _skip(on_skip, line, f"line {lineno} of {str(source)!r}: " + _NOT_UTF8)
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


def _real(p: str | os.PathLike) -> str:
    return os.path.realpath(os.path.abspath(p))


def check_output_location(in_root: Path, inputs: list[Path], out: Path, overwrite: bool, *,
                          in_is_folder: bool = True) -> None:
    """Raise :class:`UsageError` when OUT is IN or lies inside IN (a walked folder; paths
    resolved), unless ``overwrite``. The per-output checks are in :func:`plan_outputs`."""
    if overwrite or not in_is_folder:
        return
    out_r = Path(_real(out))
    in_r = Path(_real(in_root))
    if out_r == in_r:
        raise UsageError(f"augment: argument `OUT` must differ from IN, got {str(out)!r} == IN "
                         f"(pass --overwrite to write into it anyway)")
    if in_r in out_r.parents:
        raise UsageError(f"augment: argument `OUT` must not lie inside IN {str(in_r)!r}, got "
                         f"{str(out)!r} (a later run would read its own outputs; pass --overwrite "
                         f"to allow it)")


def plan_outputs(in_root: Path, inputs: list[Path], out: str | os.PathLike, *, copies: int = 1,
                 seed: int = 0, overwrite: bool = False, in_is_folder: bool = True) -> list[WorkItem]:
    """One :class:`WorkItem` per (input, copy), inputs in order, copies innermost.

    Raises :class:`UsageError` for ``copies`` outside ``[1, MAX_COPIES]``, an unsafe OUT
    (:func:`check_output_location`), two inputs mapping to the same output, or (unless
    ``overwrite``) an output that is an input or lands inside the walked IN folder, all
    compared as resolved paths (a symlinked OUT or a symlinked folder inside OUT is followed).
    ``in_is_folder``: IN was a folder (its whole tree is protected) rather than a list file.
    """
    if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= MAX_COPIES:
        raise UsageError(f"plan_outputs: argument `copies` must be an integer in [1, {MAX_COPIES}], "
                         f"got {copies!r}")
    out = Path(out)
    check_output_location(in_root, inputs, out, overwrite, in_is_folder=in_is_folder)
    out_abs = Path(os.path.abspath(out))
    # an input is identified by its resolved target and by its own (link) name in its
    # resolved folder: replacing either loses it
    input_set = {_real(p) for p in inputs} | {os.path.join(_real(p.parent), p.name) for p in inputs}
    in_real = _real(in_root) if in_is_folder else None
    items: list[WorkItem] = []
    seen: dict[str, str] = {}
    parents: dict[Path, str] = {}
    for src in inputs:
        rel = src.relative_to(in_root).as_posix()
        for k in range(copies):
            orel = output_relpath(rel, k, copies)
            if orel in seen:
                raise UsageError(f"plan_outputs: inputs {seen[orel]!r} and {rel!r} would both be "
                                 f"written to {orel!r}; rename one or use --copies 1")
            seen[orel] = rel
            dst = out_abs / orel
            if not overwrite:
                # the folder resolved (cached per folder); a symlink *at* the file name is
                # replaced by the atomic rename, never followed, so the name is appended as is
                parent = parents.get(dst.parent)
                if parent is None:
                    parent = parents[dst.parent] = _real(dst.parent)
                real = os.path.join(parent, dst.name)
                if real in input_set:
                    raise UsageError(f"plan_outputs: output {str(dst)!r} is the input file "
                                     f"{real!r}; pass --overwrite to replace inputs")
                if in_real is not None and real.startswith(in_real.rstrip(os.sep) + os.sep):
                    raise UsageError(f"plan_outputs: output {str(dst)!r} would be written inside "
                                     f"IN {in_real!r} (resolved {real!r}); pass --overwrite to "
                                     f"allow it")
            items.append(WorkItem(src=src, rel=rel, copy=k, dst=dst, out_rel=orel,
                                  seed=derive_seed(seed, rel, k)))
    return items
