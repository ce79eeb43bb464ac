"""``manifest.jsonl``: one JSON line per finished output, appended as soon as it is written.

Each line: ``{"output": out_rel, "input": rel, "copy": k, "seed": s, "params": {...}}``.
A run with ``--resume`` treats an output as done only if its file exists *and* it has a
manifest line, so a crash between writing an image and recording it just redoes that image
(deterministically, with the same seed). A truncated last line (crash mid-write) is ignored.
"""
from __future__ import annotations

import errno
import json
import os
import stat
import threading
from pathlib import Path
from typing import Any, Iterable

MANIFEST_NAME = "manifest.jsonl"

__all__ = ["MANIFEST_NAME", "ManifestWriter", "read_manifest", "compact_manifest"]


def read_manifest(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Read a ``manifest.jsonl`` into its records keyed by their ``output``.

    Parameters
    ----------
    path : str or os.PathLike
        The manifest file (opened with ``O_NOFOLLOW``).

    Returns
    -------
    dict of str to dict
        ``{record["output"]: record}``; ``{}`` for a missing file. Lines that are not
        complete JSON objects with a string ``output`` key (e.g. a truncated last line) are
        skipped; on duplicates the last line wins.

    Raises
    ------
    OSError
        If ``path`` is a symlink or not a regular file (refused, the message names it) or
        cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), MANIFEST_NAME)
    >>> with ManifestWriter(path) as w:
    ...     w.write({"output": "a_0.png", "seed": 1})
    ...     w.write({"output": "a_0.png", "seed": 2})
    >>> with open(path, "a") as fh:
    ...     _ = fh.write('{"output": "b_0.p')          # a crash mid-line
    >>> read_manifest(path)
    {'a_0.png': {'output': 'a_0.png', 'seed': 2}}
    >>> read_manifest(path + ".missing")
    {}
    """
    return _parse(Path(path))[0]


def _parse(path: Path) -> tuple[dict[str, dict[str, Any]], int]:
    """:func:`read_manifest`'s records and the number of non-blank lines they came from."""
    records: dict[str, dict[str, Any]] = {}
    lines = 0
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return records, lines
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, f"manifest {path} is a symlink; refusing to use it",
                          str(path)) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):   # a FIFO blocks, a device never ends
        os.close(fd)
        raise OSError(errno.EINVAL, f"manifest {path} is not a regular file; refusing to read it",
                      str(path))
    with open(fd, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            lines += 1
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("output"), str):
                records[rec["output"]] = rec
    return records, lines


def compact_manifest(path: str | os.PathLike, redo: Iterable[str] = ()) -> int:
    """Keep one line per output in a manifest, dropping the outputs about to be redone.

    A run without ``--resume`` redoes outputs that may already have a line; appending would
    give each of them a second line at every run. Called before such a run (and before a
    resumed one, to drop duplicates a killed run left), this rewrites the manifest atomically
    with the last line of each output not in ``redo``, in their first order; the run then
    appends a line for each output it finishes. Nothing is written when nothing changes.

    Parameters
    ----------
    path : str or os.PathLike
        The manifest (a missing one is left missing; a symlink is refused as by
        :func:`read_manifest`).
    redo : iterable of str
        ``output`` values whose lines are dropped.

    Returns
    -------
    int
        The number of lines the manifest holds afterwards.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), MANIFEST_NAME)
    >>> with ManifestWriter(path) as w:
    ...     for seed, out in [(1, "a.png"), (2, "b.png"), (3, "a.png")]:
    ...         w.write({"output": out, "seed": seed})
    >>> compact_manifest(path), compact_manifest(path, redo={"b.png"})
    (2, 1)
    >>> print(open(path).read(), end="")
    {"output":"a.png","seed":3}
    """
    from .._atomic import atomic_write

    path = Path(path)
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return 0
    if not stat.S_ISREG(st.st_mode):                 # refused (or reported) by the reader/writer
        return 0
    records, lines = _parse(path)
    drop = set(redo)
    keep = [rec for out, rec in records.items() if out not in drop]
    if len(keep) == lines and not drop.intersection(records):
        return lines
    text = "".join(json.dumps(rec, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"
                   for rec in keep)
    atomic_write(path, text.encode("utf-8"))
    return len(keep)


class ManifestWriter:
    """Append-only, thread-safe JSONL writer; every record is flushed when written.

    The file is opened with ``O_NOFOLLOW``: a symlinked manifest is refused (``OSError``),
    never truncated through. A failed write (disk full) raises ``OSError`` naming the
    manifest. Use as a context manager, or call :meth:`close` (flush + fsync).

    Parameters
    ----------
    path : str or os.PathLike
        The manifest file; its folder is created when missing.
    append : bool, default False
        False starts a new file; True keeps previous records and first terminates a
        truncated last line.

    Raises
    ------
    OSError
        If ``path`` is a symlink or cannot be opened.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), MANIFEST_NAME)
    >>> with ManifestWriter(path) as w:
    ...     w.write({"output": "a_0.png", "seed": 7})
    >>> with ManifestWriter(path, append=True) as w:
    ...     w.write({"output": "b_0.png", "seed": 8})
    >>> print(open(path).read(), end="")
    {"output":"a_0.png","seed":7}
    {"output":"b_0.png","seed":8}
    """

    def __init__(self, path: str | os.PathLike, *, append: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags | (0 if append else os.O_TRUNC), 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OSError(errno.ELOOP, f"manifest {self.path} is a symlink; refusing to "
                              f"write through it", str(self.path)) from None
            raise
        needs_newline = False
        size = os.fstat(fd).st_size
        if append and size:
            needs_newline = os.pread(fd, 1, size - 1) != b"\n"
        self._fh = open(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()
        self._failed = False
        if needs_newline:
            self._put("\n")

    def _put(self, text: str) -> None:
        try:
            self._fh.write(text)
            self._fh.flush()
        except OSError as exc:
            self._failed = True
            raise self._error(exc) from None

    def _error(self, exc: OSError) -> OSError:
        return OSError(exc.errno, f"cannot write the manifest {self.path}: "
                       f"{exc.strerror or exc}", str(self.path))

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line and flush it.

        Parameters
        ----------
        record : dict
            JSON-serializable (no NaN / inf), with an ``output`` key; keys are sorted.

        Raises
        ------
        OSError
            If the write fails (the message names the manifest).
        """
        line = json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False)
        with self._lock:
            self._put(line + "\n")

    def close(self) -> None:
        """Flush, fsync and close; a failure is raised naming the manifest, unless a write
        already failed (that first error is the one reported)."""
        with self._lock:
            if self._fh.closed:
                return
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except OSError as exc:
                if not self._failed:
                    self._failed = True
                    raise self._error(exc) from None
            finally:
                try:
                    self._fh.close()
                except OSError:
                    pass

    def __enter__(self) -> "ManifestWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
