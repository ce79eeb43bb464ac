"""An output folder that holds one job: an exclusive lock, a job record, stale temp cleanup.

``pixelgrad augment`` writes into OUT only inside :func:`job_directory`:

- **Lock** ``OUT/.pixelgrad.lock``: an exclusive ``flock`` on a file holding the owner's pid
  and host. A second run into the same OUT is refused with a message naming that pid. The
  kernel drops the lock when its process dies, so a lock file left by a killed run (a dead
  pid) is simply taken over. Where ``flock`` is unsupported (``ENOLCK``, some network file
  systems) the pid in the file decides: a live pid on this host refuses, a dead one is
  reclaimed.
- **Job record** ``OUT/.pixelgrad-job.json``: the SHA-256 of the pipeline's canonical JSON,
  the seed, the number of copies and the pixelgrad version. A run (``--resume`` or not) whose
  job differs from the recorded one is refused: one OUT never mixes two jobs.
- **Temp journal** ``OUT/.pixelgrad-temps``: every temporary file written under OUT is
  recorded there before it is created. The ones a killed run left are removed (under the
  lock, so no live writer owns them) before any work starts; nothing else is ever deleted
  and no folder is walked (an input tree inside OUT, a user's file named like ours, are
  safe). A run that ends (normally or by an exception) removes the journal.

None of these files follows a symlink: they are opened with ``O_NOFOLLOW``.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any, Iterator

from .atomic import TEMP_JOURNAL, atomic_write, remove_journaled_temps
from .dataset import JobError
from .identity import file_kind

__all__ = ["LOCK_NAME", "JOB_NAME", "job_directory", "out_lock", "job_record", "check_job",
           "remove_stale_temps", "config_sha256", "prepare_out_dir"]

LOCK_NAME = ".pixelgrad.lock"
JOB_NAME = ".pixelgrad-job.json"
_JOB_KEYS = ("config_sha256", "seed", "copies", "version")
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def config_sha256(spec: dict[str, Any]) -> str:
    """SHA-256 of a pipeline spec's canonical JSON.

    Parameters
    ----------
    spec : dict
        A pipeline spec (``Transform.to_dict()``); values JSON cannot encode are written with
        ``str``.

    Returns
    -------
    str
        64 hex digits of the SHA-256 of ``json.dumps(spec, sort_keys=True,
        separators=(",", ":"))`` in UTF-8: equal specs give equal hashes whatever their key
        order.

    Examples
    --------
    >>> config_sha256({"type": "Compose", "p": 1.0}) == config_sha256({"p": 1.0, "type": "Compose"})
    True
    >>> len(config_sha256({}))
    64
    """
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def job_record(spec: dict[str, Any], *, seed: int, copies: int) -> dict[str, Any]:
    """The job record of a run, as stored in ``OUT/.pixelgrad-job.json``.

    Parameters
    ----------
    spec : dict
        The pipeline spec.
    seed : int
        The run's base seed.
    copies : int
        Outputs per input.

    Returns
    -------
    dict
        ``{"config_sha256", "seed", "copies", "version"}`` (see :func:`config_sha256`).

    Examples
    --------
    >>> rec = job_record({"type": "Compose"}, seed=0, copies=2)
    >>> sorted(rec), rec["copies"]
    (['config_sha256', 'copies', 'seed', 'version'], 2)
    """
    from .. import __version__

    return {"config_sha256": config_sha256(spec), "seed": int(seed), "copies": int(copies),
            "version": str(__version__)}


def prepare_out_dir(out: str | os.PathLike) -> Path:
    """Create OUT (parents included) or check that the existing one is a writable folder.

    Parameters
    ----------
    out : str or os.PathLike
        The output folder.

    Returns
    -------
    pathlib.Path
        ``Path(out)``, now an existing writable folder.

    Raises
    ------
    JobError
        Naming the path when it is an existing file, cannot be created or is read-only.

    Examples
    --------
    >>> import os, tempfile
    >>> out = prepare_out_dir(os.path.join(tempfile.mkdtemp(), "a", "out"))
    >>> out.is_dir()
    True
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise JobError(f"argument `OUT` must be a folder, got the existing file {str(out)!r}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JobError(f"argument `OUT` must be a folder that can be created, got {str(out)!r} "
                         f"({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise JobError(f"argument `OUT` must be a writable folder, got the read-only {str(out)!r}")
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_owner(fd: int) -> tuple[int | None, str]:
    try:
        text = os.pread(fd, 256, 0).decode("utf-8", "replace").split()
        return int(text[0]), (text[1] if len(text) > 1 else "")
    except (OSError, ValueError, IndexError):
        return None, ""


def _busy(out: Path, pid: int | None, host: str) -> JobError:
    who = f"pid {pid}" + (f" on {host}" if host and host != socket.gethostname() else "")
    return JobError(f"argument `OUT` {str(out)!r} is in use by another pixelgrad run ({who}, "
                      f"lock file {out / LOCK_NAME}); wait for it to finish or use another OUT")


@contextlib.contextmanager
def out_lock(out: str | os.PathLike) -> Iterator[Path]:
    """Context manager holding the exclusive lock of folder ``out`` for its duration.

    The lock is an ``flock`` on ``OUT/.pixelgrad.lock`` holding this process's pid and host
    (see the module docstring); the file is removed on exit.

    Parameters
    ----------
    out : str or os.PathLike
        An existing folder.

    Returns
    -------
    contextlib.AbstractContextManager of pathlib.Path
        Yields the lock file's path.

    Raises
    ------
    JobError
        When another open lock (another run, or another ``out_lock`` on the same folder)
        holds it, naming its pid, or when the lock file is a symlink or cannot be created.

    Examples
    --------
    >>> import os, tempfile
    >>> out = tempfile.mkdtemp()
    >>> with out_lock(out) as lock:
    ...     lock.name
    ...     with out_lock(out):
    ...         pass
    Traceback (most recent call last):
    ...
    pixelgrad.io.dataset.JobError: argument `OUT` ... is in use by another pixelgrad run ...
    >>> os.listdir(out)
    []
    """
    out = Path(out)
    path = out / LOCK_NAME
    for _ in range(10):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | _O_CLOEXEC,
                         0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise JobError(f"lock file {path} is a symlink; refusing to use {str(out)!r}") from None
            if exc.errno == errno.EISDIR:
                raise JobError(f"lock file {path} must be a regular file, got a folder; "
                                 f"refusing to use {str(out)!r}") from None
            raise JobError(f"cannot create the lock file {path} ({exc.strerror or exc})") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise JobError(f"lock file {path} must be a regular file, got {file_kind(path)}; "
                             f"refusing to use {str(out)!r} (remove it if no pixelgrad run "
                             f"is using this OUT)")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, host = _read_owner(fd)
            os.close(fd)
            raise _busy(out, pid, host) from None
        except OSError as exc:                     # no flock here: fall back on the pid
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                os.close(fd)
                raise
            pid, host = _read_owner(fd)
            if pid is not None and pid != os.getpid() and (host in ("", socket.gethostname())) \
                    and _pid_alive(pid):
                os.close(fd)
                raise _busy(out, pid, host) from None
        # the file may have been removed and re-created by its previous owner meanwhile
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    else:  # pragma: no cover - the lock file kept changing under us
        raise _busy(out, None, "")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)                        # still locked: nobody else can hold it
        os.close(fd)


def _read_json_nofollow(path: Path) -> dict[str, Any] | None:
    """The job record at ``path`` (None when missing); anything but a JSON object is refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise JobError(f"job record {path} is a symlink; refusing to use it") from None
        raise JobError(f"job record {path} cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise JobError(f"job record {path} must be a regular file, got {file_kind(path)}; "
                         f"refusing to use this OUT")
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(1 << 16)
    try:
        rec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise JobError(f"job record {path} is not valid JSON; delete it (and check the "
                         f"outputs) before reusing this OUT") from None
    if not isinstance(rec, dict):
        raise JobError(f"job record {path} must hold a JSON object, got "
                         f"{json.dumps(rec)[:40]}; delete it (and check the outputs) before "
                         f"reusing this OUT") from None
    return rec


def check_job(out: str | os.PathLike, job: dict[str, Any]) -> None:
    """Refuse to write into ``out`` when it records a different job than ``job``.

    Parameters
    ----------
    out : str or os.PathLike
        The output folder (a missing job record is accepted).
    job : dict
        The new run's :func:`job_record`.

    Raises
    ------
    JobError
        When the recorded config hash, seed, copies or version differ (each difference
        listed), or the record is a symlink, not a regular file, not valid JSON or not a
        JSON object (``null``, a list: never taken for a missing record).

    Examples
    --------
    >>> import tempfile
    >>> job = job_record({"type": "Compose"}, seed=0, copies=1)
    >>> with job_directory(tempfile.mkdtemp(), job) as out:
    ...     check_job(out, job)                      # same job: accepted
    ...     check_job(out, dict(job, seed=1))
    Traceback (most recent call last):
    ...
    pixelgrad.io.dataset.JobError: argument `OUT` ... holds the outputs of a different job (seed 0 -> 1); ...
    """
    out = Path(out)
    old = _read_json_nofollow(out / JOB_NAME)
    if old is None:
        return
    diff = [f"{k} {old.get(k)!r} -> {job.get(k)!r}" for k in _JOB_KEYS if old.get(k) != job.get(k)]
    if diff:
        raise JobError(f"argument `OUT` {str(out)!r} holds the outputs of a different job "
                         f"({'; '.join(diff)}); writing into it would mix two jobs: use another "
                         f"OUT, or delete {out / JOB_NAME} together with the old outputs")


def remove_stale_temps(out: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that a killed run into ``out`` left, and only those.

    Only the files listed in OUT's temp journal are candidates
    (:func:`pixelgrad.io.atomic.remove_journaled_temps`): every temporary file a job's
    writer creates under OUT is recorded there before it exists. Nothing is walked, so a
    file the tool did not create (whatever its name) and an input tree inside OUT are never
    touched; temporary files of versions before the journal are left in place.

    Parameters
    ----------
    out : str or os.PathLike
        The output folder (call it holding OUT's lock).

    Returns
    -------
    list of pathlib.Path
        The removed files.

    Examples
    --------
    >>> import os, tempfile
    >>> out = tempfile.mkdtemp()
    >>> open(os.path.join(out, ".notes.20240101.tmp.txt"), "w").close()   # not ours
    >>> remove_stale_temps(out), os.listdir(out)
    ([], ['.notes.20240101.tmp.txt'])
    """
    return remove_journaled_temps(out)


def _start_journal(out: Path) -> None:
    """Create OUT's empty temp journal (never through a symlink)."""
    try:
        fd = os.open(out / TEMP_JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | _O_CLOEXEC,
                     0o644)
    except OSError as exc:
        what = "a symlink" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise JobError(f"argument `OUT` {str(out)!r}: cannot create the temp journal "
                         f"{out / TEMP_JOURNAL} ({what})") from None
    os.close(fd)


@contextlib.contextmanager
def job_directory(out: str | os.PathLike, job: dict[str, Any]) -> Iterator[Path]:
    """Context manager preparing OUT for ``job`` and holding its lock for the duration.

    Creates OUT (:func:`prepare_out_dir`), locks it (:func:`out_lock`), refuses a different
    recorded job (:func:`check_job`), removes the temporary files a killed run left
    (:func:`remove_stale_temps`), starts the temp journal that records every temporary file
    written under OUT from then on, and records the job atomically. On exit (normal or by an
    exception) the temporary files still listed are removed and the journal with them.

    Parameters
    ----------
    out : str or os.PathLike
        The output folder.
    job : dict
        The run's :func:`job_record`.

    Returns
    -------
    contextlib.AbstractContextManager of pathlib.Path
        Yields ``Path(out)``.

    Raises
    ------
    JobError
        For each refusal (the CLI exits with code 2).

    Examples
    --------
    >>> import os, tempfile
    >>> job = job_record({"type": "Compose"}, seed=0, copies=1)
    >>> with job_directory(os.path.join(tempfile.mkdtemp(), "out"), job) as out:
    ...     sorted(os.listdir(out))
    ['.pixelgrad-job.json', '.pixelgrad-temps', '.pixelgrad.lock']
    >>> os.listdir(out)
    ['.pixelgrad-job.json']
    """
    out = prepare_out_dir(out)
    with out_lock(out):
        check_job(out, job)
        remove_stale_temps(out)
        _start_journal(out)
        try:
            atomic_write(out / JOB_NAME, (json.dumps(job, sort_keys=True, indent=1) + "\n").encode(),
                         root=out)
            yield out
        finally:
            remove_stale_temps(out)
            with contextlib.suppress(OSError):
                os.unlink(out / TEMP_JOURNAL)
