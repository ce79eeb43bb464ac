"""Datasets on disk: which images to read, where each output goes, and whether that is safe.

A *job* is a list of :class:`WorkItem` (one per output file): an input path, its path relative
to the input root, a copy index and the output path that mirrors the input tree. Nothing here
touches pixels.

Rules (see ``pixelgrad augment --help``):

- IN is a folder (walked recursively, sorted, hidden files and folders skipped) or a text file
  with one path per line (blank lines and ``#`` comments ignored; relative paths are relative to
  the list file's folder). For a list, the mirrored root is the deepest folder holding them all.
- OUT mirrors the tree. With ``copies > 1`` copy ``k`` of ``a/b.png`` is ``a/b_k.png``.
- Paths are compared by *identity* ``(st_dev, st_ino)`` (:mod:`pixelgrad.io.identity`; so
  symlinks, bind mounts and hard links are seen through, at OUT itself and at every folder
  below it): OUT == IN, OUT inside IN, an output that would land inside a walked IN folder, or
  any output that is an input file is refused unless ``overwrite=True``
  (:class:`JobError`). For a list file IN there is no folder to protect beyond the listed
  files, so OUT may lie anywhere (e.g. inside the folder common to two trees) as long as no
  output is an input.
- A file name that is not valid UTF-8 is reported through ``on_skip`` and left out (its
  relative path could not be recorded in the manifest nor seeded).
- ``copies`` is at most :data:`MAX_COPIES`.
- The seed of copy ``k`` of relative path ``r`` is ``output_seed(seed, r, k)``: a 63-bit hash, so
  results do not depend on the order, the batching or the number of workers.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from .identity import ProtectedInputs, file_id, lies_in
from .images import IMAGE_SUFFIXES

__all__ = ["JobError", "WorkItem", "collect_inputs", "plan_outputs", "check_output_location",
           "input_guard",
           "output_seed", "output_relpath", "MAX_COPIES", "printable_path"]

#: the largest ``copies`` of a job (a billion copies would take minutes just to plan)
MAX_COPIES = 10_000


class JobError(ValueError):
    """A job that cannot be run as asked: no input, an unsafe or unusable output location, ...

    Raised by the planner (:func:`collect_inputs`, :func:`plan_outputs`,
    :func:`check_output_location`) and by :mod:`pixelgrad.io.outdir`; the message names the
    argument (``IN``, ``OUT``, ``copies``) and what was wrong, on one line. The command line
    reports it as bad usage (one line, exit code 2); its own argument errors are
    :class:`pixelgrad.cli.JobError`.

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what was wrong, naming the argument.

    Examples
    --------
    >>> err = JobError("argument `IN` must be an existing folder or list file, got 'x'")
    >>> isinstance(err, ValueError)
    True
    """


@dataclass(frozen=True)
class WorkItem:
    """One output to produce (made by :func:`plan_outputs`).

    Attributes
    ----------
    src : pathlib.Path
        The input file.
    rel : str
        Input path relative to the input root (posix).
    copy : int
        Copy index (0-based).
    dst : pathlib.Path
        The output file.
    out_rel : str
        ``dst`` relative to OUT (posix).
    seed : int
        The per-output seed from :func:`output_seed`.

    Examples
    --------
    >>> from pathlib import Path
    >>> item = WorkItem(Path("IN/a.png"), "a.png", 0, Path("OUT/a.png"), "a.png",
    ...                 output_seed(0, "a.png", 0))
    >>> item.out_rel, item.seed == output_seed(0, "a.png", 0)
    ('a.png', True)
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
    """``path`` as text that can always be printed.

    Parameters
    ----------
    path : str or os.PathLike
        A file name, possibly holding bytes that are not UTF-8 (surrogate-escaped).

    Returns
    -------
    str
        The name with every byte that is not UTF-8 shown as ``\\xNN``.

    Examples
    --------
    >>> import os
    >>> printable_path(os.fsdecode(b"caf\\xe9.png"))
    'caf\\\\xe9.png'
    """
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
    """Find the input images of a job.

    Parameters
    ----------
    source : str or os.PathLike
        A folder (recursive walk without following symlinked folders, hidden names left out,
        sorted by path) or a text file listing image paths (one a line, ``#`` comments,
        relative to the list's folder).
    on_skip : callable, optional
        Called as ``on_skip(path, reason)`` for each file left out because its name is not
        valid UTF-8; a warning when None.

    Returns
    -------
    (pathlib.Path, list of pathlib.Path)
        ``(root, files)``: the root the output tree mirrors (the resolved folder, or the
        common folder of the listed files) and the input images in order (duplicates
        dropped).

    Raises
    ------
    JobError
        When ``source`` does not exist or is an image, the list names a missing file or a
        file with an unsupported suffix, or no image is found.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "IN" / "sub").mkdir(parents=True)
    >>> for name in ("a.png", "sub/b.jpg", "notes.txt"):
    ...     (d / "IN" / name).touch()
    >>> root, files = collect_inputs(d / "IN")
    >>> [f.relative_to(root).as_posix() for f in files]
    ['a.png', 'sub/b.jpg']
    """
    src = Path(source)
    if src.is_dir():
        root = src.resolve()
        if not _utf8(str(root)):
            raise JobError(f"collect_inputs: argument `IN` must be a folder whose path is valid "
                             f"UTF-8, got {printable_path(root)!r}")
        files = _walk(root, on_skip)  # under the resolved root: relative_to works for symlinks
        if not files:
            raise JobError(f"collect_inputs: argument `IN` must be a folder holding images "
                             f"({', '.join(IMAGE_SUFFIXES)}), got {str(source)!r} with none")
        return root, files
    if not src.is_file():
        raise JobError(f"collect_inputs: argument `IN` must be an existing folder or list file, "
                         f"got {str(source)!r}")
    if _is_image(src):
        raise JobError(f"collect_inputs: argument `IN` must be a folder or a text file listing "
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
            raise JobError(f"collect_inputs: line {lineno} of {str(source)!r} must name an "
                             f"existing file, got {line!r}")
        if not _is_image(p):
            raise JobError(f"collect_inputs: line {lineno} of {str(source)!r} must name an image "
                             f"({', '.join(IMAGE_SUFFIXES)}), got {line!r}")
        files.append(p)
    if not files:
        raise JobError(f"collect_inputs: argument `IN` must list at least one image, "
                         f"got the empty list {str(source)!r}")
    files = list(dict.fromkeys(files))  # drop duplicates, keep order
    root = Path(os.path.commonpath([str(p.parent) for p in files]))
    return root, files


def output_seed(seed: int, rel: str, copy: int) -> int:
    """Seed of copy ``copy`` of the input at relative path ``rel`` under run seed ``seed``.

    One seed per output file, a hash of its input's path (not to be confused with
    :func:`pixelgrad.augment.derive_seed`, which seeds a sample index and an epoch).

    Parameters
    ----------
    seed : int
        The run's base seed.
    rel : str
        Input path relative to the input root (posix).
    copy : int
        Copy index.

    Returns
    -------
    int
        A seed in ``[0, 2^63)``.

    Notes
    -----
    .. math:: s = \\left\\lfloor \\mathrm{int}_\\mathrm{LE}\\big(\\mathrm{BLAKE2b}_{8}(m)\\big) / 2 \\right\\rfloor

    with :math:`m` the UTF-8 bytes of ``f"{seed}\\0{rel}\\0{copy}"`` and the 8-byte digest read
    little-endian: independent of the order, batching and number of workers, and stable across
    Python processes and platforms (unlike ``hash()``).

    References
    ----------
    .. [1] M-J. Saarinen and J-P. Aumasson, "The BLAKE2 Cryptographic Hash and Message
       Authentication Code (MAC)," RFC 7693, IETF, 2015. https://doi.org/10.17487/RFC7693

    Examples
    --------
    >>> output_seed(0, "a.png", 0), output_seed(0, "a.png", 1)
    (4017668211461936239, 8880824097725458479)
    """
    h = hashlib.blake2b(f"{int(seed)}\0{rel}\0{int(copy)}".encode("utf-8"), digest_size=8)
    return int.from_bytes(h.digest(), "little") >> 1


def derive_seed(seed: int, rel: str, copy: int) -> int:
    """Deprecated alias of :func:`output_seed` (warns).

    The old name, shared with :func:`pixelgrad.augment.derive_seed` (a different seed).

    Parameters
    ----------
    seed, rel, copy :
        As for :func:`output_seed`.

    Returns
    -------
    int
        As :func:`output_seed`.
    """
    warnings.warn("pixelgrad.io.dataset.derive_seed is deprecated; use output_seed (the seed of "
                  "one output file; pixelgrad.augment.derive_seed is another function)",
                  DeprecationWarning, stacklevel=2)
    return output_seed(seed, rel, copy)


def output_relpath(rel: str, copy: int, copies: int) -> str:
    """Output path of copy ``copy`` of the input ``rel``.

    Parameters
    ----------
    rel : str
        Input path relative to the input root (posix).
    copy : int
        Copy index.
    copies : int
        Copies per input.

    Returns
    -------
    str
        Posix path relative to OUT: ``rel`` itself when ``copies == 1``, else
        ``<stem>_<copy><suffix>`` next to it.

    Examples
    --------
    >>> output_relpath("sub/a.png", 1, 3), output_relpath("a.png", 0, 1)
    ('sub/a_1.png', 'a.png')
    """
    if copies == 1:
        return rel
    p = Path(rel)
    return (p.parent / f"{p.stem}_{copy}{p.suffix}").as_posix()


def _real(p: str | os.PathLike) -> str:
    return os.path.realpath(os.path.abspath(p))


def input_guard(in_root: Path, inputs: Sequence[Path], *, in_is_folder: bool = True,
                trees: Mapping[str, str | os.PathLike] | None = None,
                files: Iterable[str | os.PathLike] = ()) -> ProtectedInputs:
    """The inputs a job must not overwrite, by identity (:mod:`pixelgrad.io.identity`).

    Parameters
    ----------
    in_root : pathlib.Path
        The input root (from :func:`collect_inputs`).
    inputs : sequence of pathlib.Path
        The input files.
    in_is_folder : bool, default True
        IN is a walked folder: its whole tree is protected (a list file protects its files).
    trees : mapping of str to path-like, optional
        Other input folders by the argument that names them (e.g. ``{"--mask-dir": masks}``):
        each whole tree is protected, and OUT may not contain it either.
    files : iterable of path-like, optional
        Other input files (e.g. the masks).

    Returns
    -------
    pixelgrad.io.identity.ProtectedInputs
        Its ``roots`` map each protected folder to the argument naming it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "IN").mkdir(); (d / "IN" / "a.png").touch(); (d / "M").mkdir()
    >>> guard = input_guard(*collect_inputs(d / "IN"), trees={"--mask-dir": d / "M"})
    >>> guard.tree_holding(d / "M" / "x") == d / "M"
    True
    """
    named: dict[str | os.PathLike, str] = {Path(t): arg for arg, t in (trees or {}).items()}
    if in_is_folder:
        named.setdefault(Path(in_root), "IN")
    return ProtectedInputs(named, list(inputs) + [Path(f) for f in files])


def check_output_location(in_root: Path, inputs: list[Path], out: Path, overwrite: bool, *,
                          in_is_folder: bool = True, guard: ProtectedInputs | None = None,
                          command: str = "augment") -> None:
    """Refuse an OUT that is, or lies inside, an input folder, unless ``overwrite``.

    Folders are compared by identity ``(st_dev, st_ino)``, so a symlink, a bind mount or any
    second path to IN is recognised. The per-output checks are in :func:`plan_outputs`.

    Parameters
    ----------
    in_root : pathlib.Path
        The input root (from :func:`collect_inputs`).
    inputs : list of pathlib.Path
        The input files.
    out : pathlib.Path
        The output folder.
    overwrite : bool
        Accept any location.
    in_is_folder : bool, default True
        IN was a walked folder; for a list file only the other input trees are checked.
    guard : pixelgrad.io.identity.ProtectedInputs, optional
        From :func:`input_guard` (built here when None): its other trees (e.g. the masks)
        may not be OUT, hold OUT, nor lie inside OUT.
    command : str, default "augment"
        The command named at the start of the messages.

    Raises
    ------
    JobError
        When OUT equals IN or lies inside it, or is, holds or lies inside another input tree.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> check_output_location(root, [], root.parent / "elsewhere", False)
    >>> check_output_location(root, [], root / "out", False)
    Traceback (most recent call last):
    ...
    pixelgrad.io.dataset.JobError: augment: argument `OUT` must not lie inside IN ...
    """
    if overwrite:
        return
    if guard is None:
        guard = input_guard(in_root, inputs, in_is_folder=in_is_folder)
    out = Path(out)
    found = guard.holder(out)
    if found is not None:
        root = found[1]
        arg = guard.roots[root]
        if file_id(out) == file_id(root):
            raise JobError(f"{command}: argument `OUT` must differ from {arg}, got {str(out)!r}, "
                             f"which is {arg} {str(root)!r} (the same folder"
                             f"{'' if _real(out) == _real(root) else ' through another path'}; "
                             f"pass --overwrite to write into it anyway)")
        raise JobError(f"{command}: argument `OUT` must not lie inside {arg} {str(root)!r}, got "
                         f"{str(out)!r} (a later run would read its own outputs; pass --overwrite "
                         f"to allow it)")
    for root, arg in guard.roots.items():
        if arg != "IN" and lies_in(root, out):
            raise JobError(f"{command}: argument `OUT` must not hold the input folder {arg} "
                             f"{str(root)!r}, got {str(out)!r} (outputs could replace its files; "
                             f"pass --overwrite to allow it)")


def plan_outputs(in_root: Path, inputs: list[Path], out: str | os.PathLike, *, copies: int = 1,
                 seed: int = 0, overwrite: bool = False, in_is_folder: bool = True,
                 trees: Mapping[str, str | os.PathLike] | None = None,
                 files: Iterable[str | os.PathLike] = (), command: str = "augment") -> list[WorkItem]:
    """Plan the outputs of a job: one :class:`WorkItem` per (input, copy).

    Parameters
    ----------
    in_root : pathlib.Path
        The input root (from :func:`collect_inputs`).
    inputs : list of pathlib.Path
        The input files, under ``in_root``.
    out : str or os.PathLike
        The output folder.
    copies : int, default 1
        Copies per input, in ``[1, MAX_COPIES]``.
    seed : int, default 0
        The run's base seed (see :func:`output_seed`).
    overwrite : bool, default False
        Allow outputs that replace inputs or land inside IN.
    in_is_folder : bool, default True
        IN was a folder (its whole tree is protected) rather than a list file.
    trees, files : optional
        Other inputs to protect, as :func:`input_guard` (e.g. ``restore``'s mask folder).
    command : str, default "augment"
        The command named by :func:`check_output_location`'s messages.

    Returns
    -------
    list of WorkItem
        Inputs in order, copies innermost; output names from :func:`output_relpath`.

    Raises
    ------
    JobError
        For ``copies`` outside ``[1, MAX_COPIES]``, an unsafe OUT
        (:func:`check_output_location`), two inputs mapping to the same output, or (unless
        ``overwrite``) an output that is an input or lands inside an input folder, all
        compared by identity ``(st_dev, st_ino)``: a symlinked OUT, a symlinked or
        bind-mounted folder inside OUT, a hard-linked input are all recognised.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "IN" / "sub").mkdir(parents=True)
    >>> for name in ("a.png", "sub/b.jpg"):
    ...     (d / "IN" / name).touch()
    >>> root, files = collect_inputs(d / "IN")
    >>> items = plan_outputs(root, files, d / "OUT", copies=2, seed=0)
    >>> [item.out_rel for item in items]
    ['a_0.png', 'a_1.png', 'sub/b_0.jpg', 'sub/b_1.jpg']
    """
    if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= MAX_COPIES:
        raise JobError(f"plan_outputs: argument `copies` must be an integer in [1, {MAX_COPIES}], "
                         f"got {copies!r}")
    out = Path(out)
    guard = input_guard(in_root, inputs, in_is_folder=in_is_folder, trees=trees, files=files) \
        if not overwrite else None
    check_output_location(in_root, inputs, out, overwrite, in_is_folder=in_is_folder, guard=guard,
                          command=command)
    out_abs = Path(os.path.abspath(out))
    items: list[WorkItem] = []
    seen: dict[str, str] = {}
    inside: dict[Path, tuple[Path, Path] | None] = {}
    for src in inputs:
        rel = src.relative_to(in_root).as_posix()
        for k in range(copies):
            orel = output_relpath(rel, k, copies)
            if orel in seen:
                raise JobError(f"plan_outputs: inputs {seen[orel]!r} and {rel!r} would both be "
                                 f"written to {orel!r}; rename one or use --copies 1")
            seen[orel] = rel
            dst = out_abs / orel
            if guard is not None:
                # folders by identity (cached per folder: a bind mount of an input folder below
                # OUT is caught); a symlink *at* the file name is replaced by the atomic
                # rename, never followed, so the file is compared by its own entry
                if guard.is_input_file(dst):
                    raise JobError(f"plan_outputs: output {str(dst)!r} is the input file "
                                     f"{str(guard.input_file(dst))!r}; pass --overwrite to "
                                     f"replace inputs")
                if dst.parent not in inside:
                    inside[dst.parent] = guard.holder(dst.parent)
                held = inside[dst.parent]
                if held is not None:
                    folder, root = held
                    raise JobError(f"plan_outputs: output {str(dst)!r} would be written inside "
                                     f"{guard.roots[root]} {str(root)!r} (folder "
                                     f"{str(folder)!r}); pass --overwrite to allow it")
            items.append(WorkItem(src=src, rel=rel, copy=k, dst=dst, out_rel=orel,
                                  seed=output_seed(seed, rel, k)))
    return items
