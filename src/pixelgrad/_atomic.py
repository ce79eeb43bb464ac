"""Never leave a half-written file, never write through a symlink.

Crash safety (POSIX, e.g. ext4 with delayed allocation): the data of the temporary file is
fsynced *before* it is renamed onto the final name, so after a crash the final name holds
either nothing (or its previous content) or the complete new file, never a renamed-but-empty
or truncated one. The directory is not fsynced: a crash may forget the rename itself, which
only means the output is missing (``pixelgrad augment --resume`` redoes an output whose file
is missing even when the manifest lists it). Callers that want throughput run several
:func:`atomic_write` calls in threads: fsync is latency, and concurrent fsyncs share journal
commits (on ext4 ~4 ms an image one at a time, ~0.5 ms wall with 4-8 threads).

Symlinks: with ``root`` (an output folder), every folder between ``root`` and the file is
opened with ``O_NOFOLLOW`` relative to its parent's descriptor (created when missing), the
temporary file is created with ``O_EXCL | O_NOFOLLOW`` in that folder and renamed within it.
A symlinked subfolder under ``root`` is therefore refused (:class:`SymlinkError`) instead of
sending the write elsewhere, and a symlink at the final name is *replaced* by the file (a
rename never follows it), so its target is never touched. ``root`` itself may be a symlink
(that is the caller's choice of folder). Without ``root`` the same holds for the last folder
and the final name.

Temporary files are named ``.<name>.<8 random chars>.pgtmp<suffix>`` next to the target
(a long name is shortened so the temporary name stays within the file system's 255 bytes).

Which temporary files are ours: when ``root`` holds a *temp journal* (:data:`TEMP_JOURNAL`,
created by the job that owns the folder, see :func:`pixelgrad.io.outdir.job_directory`),
the temporary file's path relative to ``root`` is appended to it *before* the file is
created. A later run removes exactly the journal's entries that still exist
(:func:`remove_journaled_temps`): a file this module did not create is never deleted, whatever
its name, and no folder is walked.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat as _stat
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_write", "atomic_path", "open_dir_nofollow", "is_temp_name", "SymlinkError",
           "FILE_MODE", "TEMP_JOURNAL", "remove_journaled_temps"]

#: the journal of temporary files, in the root folder of a job (see the module docstring)
TEMP_JOURNAL = ".pixelgrad-temps"
#: the longest file name most file systems take (ext4, xfs, btrfs, tmpfs: 255 bytes)
_NAME_MAX = 255


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: the process umask, read once at import: reading it means setting it, which is not
#: thread-safe (two threads doing it at once can leave the process with the wrong umask)
_UMASK = _read_umask()

#: the mode of a finished file: what ``open()`` would give (temporary files are created 0o600)
FILE_MODE = 0o666 & ~_UMASK

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_TMP_RE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.pgtmp(\.[A-Za-z0-9]{1,8})?$", re.DOTALL)
_SUFFIX_RE = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
_OLD_TMP_RE = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp\.[A-Za-z0-9]{1,8}$")


class SymlinkError(OSError):
    """A write would go through a symlink (or a non-folder) under an output folder.

    Built like :class:`OSError`: ``SymlinkError(errno, message, filename)``.

    Attributes
    ----------
    errno : int
        ``ELOOP`` (a symlink or non-folder) or ``EINVAL`` (an empty, ``.`` or ``..`` part).
    filename : str
        The offending path.

    Examples
    --------
    >>> err = SymlinkError(40, "refusing to write through out/a", "out/a")
    >>> isinstance(err, OSError), err.filename
    (True, 'out/a')
    """


def is_temp_name(name: str, *, legacy: bool = False) -> bool:
    """Whether ``name`` is the name of a temporary file of this module.

    Parameters
    ----------
    name : str
        A file name (no folder).
    legacy : bool, default False
        Also recognise the ``.<stem>.<8 chars>.tmp<suffix>`` names of earlier versions.

    Returns
    -------
    bool
        True for ``.<name>.<8 random chars>.pgtmp[<suffix>]``.

    Examples
    --------
    >>> is_temp_name(".cat.png.a1B2c3D4.pgtmp.png"), is_temp_name("cat.png")
    (True, False)
    >>> is_temp_name(".cat.a1b2c3d4.tmp.png"), is_temp_name(".cat.a1b2c3d4.tmp.png", legacy=True)
    (False, True)
    """
    return bool(_TMP_RE.match(name) or (legacy and _OLD_TMP_RE.match(name)))


def open_dir_nofollow(root: str | os.PathLike, parts: tuple[str, ...] | list[str], *,
                      create: bool = True) -> int:
    """Open the folder ``root/parts[0]/parts[1]/...`` without following symlinks.

    Parameters
    ----------
    root : str or os.PathLike
        An existing folder (may itself be a symlink: the caller's choice).
    parts : sequence of str
        Folder names below ``root``, each opened with ``O_NOFOLLOW`` relative to its parent.
    create : bool, default True
        Create missing folders (mode ``0o777`` less the umask).

    Returns
    -------
    int
        An open descriptor of the last folder; the caller closes it.

    Raises
    ------
    SymlinkError
        If a part is a symlink or not a folder, or is ``""``, ``"."`` or ``".."`` (the
        message names the path).
    FileNotFoundError
        If a part is missing and ``create`` is False.

    Examples
    --------
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> os.symlink(tempfile.gettempdir(), os.path.join(root, "link"))
    >>> fd = open_dir_nofollow(root, ["a", "b"])          # creates root/a/b
    >>> os.close(fd); os.path.isdir(os.path.join(root, "a", "b"))
    True
    >>> open_dir_nofollow(root, ["link", "c"])
    Traceback (most recent call last):
    ...
    pixelgrad._atomic.SymlinkError: ...
    """
    root = Path(root)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    here = root
    try:
        for part in parts:
            if part in ("", ".", ".."):
                raise SymlinkError(errno.EINVAL, f"refusing path component {part!r} under "
                                   f"{root}", str(here / part))
            here = here / part
            try:
                nfd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
                nfd = _open_sub(part, fd, here, root)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise SymlinkError(errno.ELOOP, f"refusing to write through {here}: it is a "
                                       f"symlink or not a folder (under output folder {root})",
                                       str(here)) from None
                raise
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_sub(part: str, fd: int, here: Path, root: Path) -> int:
    try:
        return os.open(part, _DIR_FLAGS, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise SymlinkError(errno.ELOOP, f"refusing to write through {here}: it is a symlink "
                               f"or not a folder (under output folder {root})", str(here)) from None
        raise


def _parts(path: Path, root: str | os.PathLike | None) -> tuple[Path, tuple[str, ...], str]:
    """``(base folder, folder parts below it, file name)`` of ``path``."""
    if root is None:
        parent = path.parent
        parent.mkdir(parents=True, exist_ok=True)
        return parent, (), path.name
    root = Path(os.path.abspath(root))
    full = Path(os.path.abspath(path))
    try:
        rel = full.relative_to(root)
    except ValueError:
        raise SymlinkError(errno.EINVAL, f"refusing to write {path}: not under the output "
                           f"folder {root}", str(path)) from None
    if not rel.parts:
        raise SymlinkError(errno.EINVAL, f"refusing to write the output folder {root} itself",
                           str(path))
    return root, rel.parts[:-1], rel.parts[-1]


def _temp_name(name: str) -> str:
    p = Path(name)
    suffix = p.suffix if _SUFFIX_RE.match(p.suffix) else ""
    stem = os.fsencode(p.stem)
    room = _NAME_MAX - len(f"..{'x' * 8}.pgtmp{suffix}".encode())
    if len(stem) > room:                       # keep the name legal: cut the stem (bytes)
        stem = stem[:room]
    return f".{os.fsdecode(stem)}.{secrets.token_hex(4)}.pgtmp{suffix}"


def _journal(base: Path, parts: tuple[str, ...], tmp: str) -> None:
    """Append ``parts/tmp`` to ``base``'s temp journal when there is one (never created here)."""
    try:
        fd = os.open(base / TEMP_JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return                                  # no journal (or not a plain file): nothing owns it
    try:
        os.write(fd, os.fsencode("/".join((*parts, tmp))) + b"\0")
    finally:
        os.close(fd)


def remove_journaled_temps(root: str | os.PathLike) -> list[Path]:
    """Remove the temporary files listed in ``root``'s temp journal, then empty the journal.

    Only entries that are a relative path of plain folder names ending in a temporary file
    name (:func:`is_temp_name`) are considered; each folder is opened without following
    symlinks and only a regular file (not a symlink) is removed. Call it while holding the
    folder's lock, so that no live writer owns those files.

    Parameters
    ----------
    root : str or os.PathLike
        A folder; without a journal nothing happens.

    Returns
    -------
    list of pathlib.Path
        The files removed.

    Examples
    --------
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> open(os.path.join(root, TEMP_JOURNAL), "wb").close()      # a job owns this folder
    >>> atomic_write(os.path.join(root, "a.png"), b"x", root=root)  # journaled, then renamed
    >>> with open(os.path.join(root, TEMP_JOURNAL), "ab") as journal:   # a killed run's entry
    ...     _ = journal.write(b".b.a1b2c3d4.pgtmp.png\\0")
    >>> open(os.path.join(root, ".b.a1b2c3d4.pgtmp.png"), "w").close()   # ... and its file
    >>> open(os.path.join(root, ".notes.a1b2c3d4.pgtmp.txt"), "w").close()   # the user's file
    >>> [p.name for p in remove_journaled_temps(root)]
    ['.b.a1b2c3d4.pgtmp.png']
    >>> sorted(os.listdir(root))
    ['.notes.a1b2c3d4.pgtmp.txt', '.pixelgrad-temps', 'a.png']
    """
    root = Path(root)
    path = root / TEMP_JOURNAL
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return []
    removed: list[Path] = []
    try:
        if not _stat.S_ISREG(os.fstat(fd).st_mode):
            return []
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read()
        for entry in dict.fromkeys(data.split(b"\0")):
            parts = os.fsdecode(entry).split("/")
            if not entry or any(p in ("", ".", "..") for p in parts) or not is_temp_name(parts[-1]):
                continue
            try:
                dfd = open_dir_nofollow(root, parts[:-1], create=False)
            except OSError:
                continue
            try:
                st = os.stat(parts[-1], dir_fd=dfd, follow_symlinks=False)
                if _stat.S_ISREG(st.st_mode):
                    os.unlink(parts[-1], dir_fd=dfd)
                    removed.append(root.joinpath(*parts))
            except OSError:
                pass
            finally:
                os.close(dfd)
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)
    return removed


@contextlib.contextmanager
def _named(path: Path) -> Iterator[None]:
    """Give an ``OSError`` that names no file (ENOSPC, EIO, ...) the output's path."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        raise type(exc)(exc.errno, f"cannot write {path}: {exc.strerror or exc}",
                        str(path)) from None


@contextlib.contextmanager
def _temp_in(path: Path, root) -> Iterator[tuple[int, str, int]]:
    """``(dir fd, temp name, temp fd)``; the folders are opened without following symlinks."""
    base, parts, name = _parts(Path(path), root)
    dfd = open_dir_nofollow(base, parts) if root is not None else \
        os.open(base, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for _ in range(100):
            tmp = _temp_name(name)
            if root is not None:
                _journal(base, parts, tmp)
            try:
                tfd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                              | getattr(os, "O_CLOEXEC", 0), 0o600, dir_fd=dfd)
                break
            except FileExistsError:
                continue
        else:  # pragma: no cover - 100 collisions of 32 random bits
            raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))
        try:
            yield dfd, tmp, tfd
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(tfd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dfd)
            raise
    finally:
        os.close(dfd)


def atomic_write(path: str | os.PathLike, data: bytes, *, root: str | os.PathLike | None = None) -> None:
    """Write ``data`` to ``path`` atomically.

    One temporary file is written, fsynced and given :data:`FILE_MODE` through a single
    descriptor, then renamed onto ``path`` (see the module docstring): ``path`` holds either
    its previous content or all of ``data``, never part of it.

    Parameters
    ----------
    path : str or os.PathLike
        The final file name. A symlink there is replaced, never followed.
    data : bytes
        The file's content.
    root : str or os.PathLike, optional
        A folder holding ``path``: every folder between ``root`` and ``path`` is created when
        missing and may not be a symlink.

    Raises
    ------
    SymlinkError
        If a folder under ``root`` is a symlink or not a folder (raised before anything is
        written).
    OSError
        If writing fails; the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> atomic_write(os.path.join(root, "sub", "a.txt"), b"hello", root=root)
    >>> open(os.path.join(root, "sub", "a.txt"), "rb").read(), os.listdir(os.path.join(root, "sub"))
    (b'hello', ['a.txt'])
    """
    path = Path(path)
    with _named(path):
        with _temp_in(path, root) as (dfd, tmp, tfd):
            with os.fdopen(tfd, "wb", closefd=True) as fh:
                fh.write(data)
                fh.flush()
                os.fsync(tfd)
                os.fchmod(tfd, FILE_MODE)
            os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, root: str | os.PathLike | None = None) -> Iterator[Path]:
    """Context manager giving a temporary path next to ``path``, renamed onto it on success.

    For writers that need a file name (e.g. ``cv2.imwrite``). On success the file is fsynced,
    given :data:`FILE_MODE` and renamed onto ``path`` (atomic on POSIX); on error it is
    removed and ``path`` is untouched. The rename never follows a symlink at ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The final file name.
    root : str or os.PathLike, optional
        As :func:`atomic_write`.

    Returns
    -------
    contextlib.AbstractContextManager of pathlib.Path
        Yields the temporary path (same folder, same suffix).

    Raises
    ------
    SymlinkError
        As :func:`atomic_write`.

    Examples
    --------
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> with atomic_path(os.path.join(root, "b.txt")) as tmp:
    ...     _ = tmp.write_bytes(b"data")
    ...     is_temp_name(tmp.name)
    True
    >>> os.listdir(root)
    ['b.txt']
    """
    path = Path(path)
    with _named(path), _temp_in(path, root) as (dfd, tmp, tfd):
        os.close(tfd)
        yield path.parent / tmp
        tfd2 = os.open(tmp, os.O_RDWR | os.O_NOFOLLOW, dir_fd=dfd)
        try:
            os.fsync(tfd2)
            os.fchmod(tfd2, FILE_MODE)
        finally:
            os.close(tfd2)
        os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
