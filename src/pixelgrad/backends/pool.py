"""One small thread pool for the CPU backends whose loops release the GIL (OpenCV, numba).

OpenCV's filters and numba's ``nogil`` loops run without the GIL, so a few Python threads
working on contiguous chunks of a batch (planes, samples, row strips) use every core the
user allows. The pool is made once per process (again after ``fork()``: DataLoader workers
fork) and a job submitted from one of its own threads runs inline (no nested waits).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

_POOL: ThreadPoolExecutor | None = None
_POOL_PID: int | None = None          # the process that started _POOL's threads
_POOL_LOCK = threading.Lock()
_PREFIX = "pixelgrad-pool"

#: the machine's CPUs (``os.cpu_count()`` costs 20-100 us a call on some VMs: read once)
CPUS = os.cpu_count() or 1


def _forget_pool() -> None:
    """After ``fork()`` the child inherits the pool object but none of its threads: work
    submitted to it would wait forever. Start afresh."""
    global _POOL, _POOL_PID, _POOL_LOCK
    _POOL, _POOL_PID, _POOL_LOCK = None, None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _pool(workers: int) -> ThreadPoolExecutor:
    """The process's worker pool, created once (thread-safe) and again after a fork."""
    global _POOL, _POOL_PID
    with _POOL_LOCK:
        if _POOL is None or _POOL_PID != os.getpid():
            _POOL = ThreadPoolExecutor(max(1, min(8, CPUS)), thread_name_prefix=_PREFIX)
            _POOL_PID = os.getpid()
        return _POOL


def parallel(n: int, job: Callable[[int], None], workers: int, min_jobs: int | None = None) -> None:
    """Run ``job(i)`` for ``i < n``, in ``workers`` contiguous chunks on the pool.

    Parameters
    ----------
    n : int
        The number of jobs.
    job : callable
        ``job(i)``; it should release the GIL for the threads to help (OpenCV, numba
        ``nogil``).
    workers : int
        The threads to use (the caller's setting: ``cv2.getNumThreads()``,
        ``torch.get_num_threads()``); 1 runs every job inline.
    min_jobs : int, optional
        Fewer jobs than this run inline (default ``2 * workers``).

    Examples
    --------
    >>> out = [0] * 5
    >>> def job(i):
    ...     out[i] = i * i
    >>> parallel(5, job, workers=2, min_jobs=2)
    >>> out
    [0, 1, 4, 9, 16]
    """
    workers = max(1, min(workers, n))
    if n < (2 * workers if min_jobs is None else min_jobs) or workers == 1 or \
            threading.current_thread().name.startswith(_PREFIX):
        for i in range(n):
            job(i)
        return
    pool = _pool(workers)
    bounds = [n * w // workers for w in range(workers + 1)]

    def chunk(w: int) -> None:
        for i in range(bounds[w], bounds[w + 1]):
            job(i)

    for f in [pool.submit(chunk, w) for w in range(workers)]:
        f.result()
