"""Never leave a half-written file: write to a temporary sibling, fsync, then rename.

Crash safety (POSIX, e.g. ext4 with delayed allocation): the data of the temporary file is
fsynced *before* it is renamed onto the final name, so after a crash the final name holds
either nothing (or its previous content) or the complete new file, never a renamed-but-empty
or truncated one. The directory is not fsynced: a crash may forget the rename itself, which
only means the output is missing (``pixelgrad augment --resume`` redoes an output whose file
is missing even when the manifest lists it). Callers that want throughput run several
:func:`atomic_write` calls in threads: fsync is latency, and concurrent fsyncs share journal
commits (on ext4 ~4 ms an image one at a time, ~0.5 ms wall with 4-8 threads).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: the process umask, read once at import: reading it means setting it, which is not
#: thread-safe (two threads doing it at once can leave the process with the wrong umask)
_UMASK = _read_umask()

#: the mode of a finished file: what ``open()`` would give (mkstemp creates files 0o600)
FILE_MODE = 0o666 & ~_UMASK


def _temp_sibling(path: Path) -> tuple[int, Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    return fd, Path(tmp)


@contextlib.contextmanager
def _removed_on_error(tmp_path: Path) -> Iterator[None]:
    """On any error (interrupts included) remove the temporary file, then re-raise."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is fsynced, given the usual
    file mode and renamed onto ``path`` (atomic on POSIX), on error it is removed and ``path``
    is untouched."""
    path = Path(path)
    fd, tmp_path = _temp_sibling(path)
    os.close(fd)
    with _removed_on_error(tmp_path):
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, FILE_MODE)
        os.replace(tmp_path, path)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: one temporary file written, fsynced and chmodded
    through a single descriptor, then renamed (see the module docstring)."""
    path = Path(path)
    fd, tmp_path = _temp_sibling(path)
    with _removed_on_error(tmp_path):
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fd)
            os.fchmod(fd, FILE_MODE)
        os.replace(tmp_path, path)
