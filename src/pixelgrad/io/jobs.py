"""The local engine of ``pixelgrad augment``: ``workers`` threads each take a whole chunk
(decode, augment as batches of equal size, encode), a few I/O threads write each chunk's encoded
files atomically, the main thread appends the manifest in job order.

Data flow::

    chunk of batch_size outputs --(worker thread: decode -> group by (shape, dtype)
        -> apply_pipeline on device -> encode)--> I/O thread: per file temp file, fsync, rename
        --> main thread: manifest line (job order)

Why this shape (measured on a busy 2-core machine, see docs/scale.md): parallelism comes from
running chunks side by side, so on the CPU every op runs single-threaded (torch and OpenCV
intra-op threads on top of the chunk threads oversubscribe the cores, and torch's OpenMP
barriers then cost 2-25x); each chunk stays in one thread, in cache, from decode to encode;
fsync is mostly latency (3-4 ms a file on this machine's ext4), overlapped with the compute by
the I/O threads.

A *chunk* is ``batch_size`` consecutive outputs of the planned job (:func:`make_chunks`); the
images of a chunk with equal shape and dtype form one batch. Chunks depend only on the job and
``batch_size``, never on thread timing, and the Ray engine uses the very same chunks, so outputs
are byte-identical whatever ``workers`` is and whichever engine runs the job (each image also
has its own seed, so which images share a batch does not change the parameters drawn).
"""
from __future__ import annotations

import collections
import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .atomic import atomic_write
from .batch_apply import apply_pipeline
from .dataset import WorkItem
from .header import DEFAULT_MAX_PIXELS
from .images import encode_image, read_image
from .manifest import MANIFEST_NAME, ManifestWriter, read_manifest

__all__ = ["JobSummary", "run_local", "pending_items", "make_chunks", "augment_chunk",
           "process_chunk", "write_output", "write_file", "write_files", "decode", "record",
           "single_threaded_ops", "io_threads"]


@dataclass
class JobSummary:
    """What a run did: ``done`` outputs written, ``skipped`` (already done, ``--resume``),
    ``failed`` as ``(input path, reason)`` pairs (one per output), wall ``seconds``."""

    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, else 1."""
        return 1 if self.failed else 0

    def text(self) -> str:
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        return (f"done {self.done}, skipped {self.skipped}, failed {len(self.failed)} "
                f"of {self.total} outputs in {self.seconds:.2f} s ({rate:.1f} images/s)")


def reason(exc: BaseException) -> str:
    """Short text of an exception for the failure report."""
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, (ValueError, OSError)) else f"{type(exc).__name__}: {text}"


def decode(path: Path, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read one input (:func:`read_image`, size checked from the header against
    ``max_pixels``); errors propagate with the path in the message."""
    return read_image(path, max_pixels=max_pixels)


def write_file(path: Path, data: bytes, root: Path | None = None) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename) with the usual
    ``0o666 & ~umask`` permissions: :func:`pixelgrad.io.atomic.atomic_write`. With ``root``
    (the output folder) no folder between ``root`` and ``path`` may be a symlink."""
    atomic_write(path, data, root=root)


def write_output(item: WorkItem, image: np.ndarray, root: Path | None = None) -> None:
    """Encode ``image`` in the format of ``item.dst``'s suffix and rename it into place."""
    write_file(item.dst, encode_image(image, item.dst.suffix), root)


def record(item: WorkItem, params: dict[str, Any]) -> dict[str, Any]:
    """The manifest line of a finished output."""
    return {"output": item.out_rel, "input": item.rel, "copy": item.copy, "seed": item.seed,
            "params": params}


def pending_items(items: Sequence[WorkItem], out: Path, resume: bool) -> tuple[list[WorkItem], int]:
    """``(to_do, skipped)``: with ``resume``, outputs that exist *and* have a manifest line are
    skipped; everything else is (re)done."""
    if not resume:
        return list(items), 0
    done = read_manifest(Path(out) / MANIFEST_NAME)
    todo = [it for it in items if not (it.out_rel in done and it.dst.is_file())]
    return todo, len(items) - len(todo)


def make_chunks(items: Sequence[WorkItem], todo: Sequence[WorkItem], batch_size: int) -> list[list[WorkItem]]:
    """Cut the planned job ``items`` into runs of ``batch_size`` and keep the ``todo`` ones of
    each (empty chunks dropped). Both engines batch by these chunks."""
    keep = {id(it) for it in todo}
    chunks = [[it for it in items[i:i + batch_size] if id(it) in keep]
              for i in range(0, len(items), batch_size)]
    return [c for c in chunks if c]


def augment_chunk(pipeline: Callable, chunk: Sequence[WorkItem], images: dict[Path, Any], *,
                  device: str = "cpu") -> list[tuple[np.ndarray, dict] | str]:
    """Augment the outputs of one chunk; ``images`` maps each source to its decoded array or
    the exception that stopped its decoding. Returns per item ``(image, params)`` or a failure
    reason."""
    results: list[Any] = [None] * len(chunk)
    ok = []
    for i, it in enumerate(chunk):
        img = images[it.src]
        if isinstance(img, BaseException):
            results[i] = reason(img)
        else:
            ok.append(i)
    out = apply_pipeline(pipeline, [images[chunk[i].src] for i in ok], [chunk[i].seed for i in ok],
                         device=device)
    for i, res in zip(ok, out):
        results[i] = f"augmentation failed: {reason(res)}" if isinstance(res, BaseException) else res
    return results


def process_chunk(pipeline: Callable, chunk: Sequence[WorkItem], *, device: str = "cpu",
                  max_pixels: int | None = DEFAULT_MAX_PIXELS) -> list[tuple[bytes, dict] | str]:
    """Decode, augment and encode one chunk (no file is written): per item ``(encoded bytes in
    the format of its output suffix, params)`` or a failure reason. A source shared by several
    outputs of the chunk (``--copies``) is decoded once."""
    images: dict[Path, Any] = {}
    for it in chunk:
        if it.src not in images:
            try:
                images[it.src] = decode(it.src, max_pixels)
            except Exception as exc:  # noqa: BLE001 - reported per output, never aborts the run
                images[it.src] = exc
    results: list[Any] = []
    for it, res in zip(chunk, augment_chunk(pipeline, chunk, images, device=device)):
        if isinstance(res, str):
            results.append(res)
            continue
        try:
            results.append((encode_image(res[0], it.dst.suffix), res[1]))
        except Exception as exc:  # noqa: BLE001
            results.append(f"cannot write {it.dst}: {reason(exc)}")
    return results


def io_threads(workers: int) -> int:
    """Threads that write files, one chunk per task, file after file: ``max(2, workers // 2)``.
    (On 2 cores, one task per file over 4 threads cost ~15% more CPU, in GIL and thread
    hand-offs, than one task per chunk; 2 threads leave fsync headroom: one alone was 70-80%
    busy.)"""
    return max(2, int(workers) // 2)


def write_files(jobs: Sequence[tuple[Path, bytes]], root: Path | None = None) -> list[Exception | None]:
    """:func:`write_file` each ``(path, data)`` in order (under ``root``, never through a
    symlink); per file ``None`` or the error."""
    errors: list[Exception | None] = []
    for path, data in jobs:
        try:
            write_file(path, data, root)
            errors.append(None)
        except Exception as exc:  # noqa: BLE001 - reported per output by the caller
            errors.append(exc)
    return errors


@contextlib.contextmanager
def single_threaded_ops(device: str | Any = "cpu") -> Iterator[None]:
    """On a CPU device, run torch and OpenCV ops single-threaded for the duration (the engine
    parallelises across chunks instead); the previous settings are restored on exit. These
    settings are process-wide: threads started inside pick them up. No-op for other devices."""
    import cv2
    import torch

    if torch.device(device).type != "cpu":
        yield
        return
    torch_threads, cv_threads = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        torch.set_num_threads(torch_threads)
        cv2.setNumThreads(cv_threads)


def run_local(items: Sequence[WorkItem], pipeline: Callable, out: str | Path, *, workers: int = 2,
              batch_size: int = 16, device: str = "cpu", resume: bool = False,
              progress: bool = True, on_fail: Callable[[str, str], None] | None = None,
              max_pixels: int | None = DEFAULT_MAX_PIXELS) -> JobSummary:
    """Run the planned job ``items`` (from :func:`pixelgrad.io.dataset.plan_outputs` with the same
    OUT) with ``pipeline`` and append to ``OUT/manifest.jsonl``. Never raises for a bad image: it
    is counted in ``failed`` and reported through ``on_fail(path, reason)``.

    Without ``resume`` every output is redone; the manifest is still appended to (a newer line
    for an output supersedes the older one), so it keeps describing every file in OUT. Files are
    written under OUT without following symlinks (:func:`pixelgrad.io.atomic.atomic_write`).
    The caller holds OUT's lock (:func:`pixelgrad.io.outdir.job_directory`, as the CLI does).

    ``workers`` chunks are processed at the same time (threads: decoding, the pipeline's ops and
    encoding release the GIL); on a CPU device each op runs single-threaded meanwhile
    (:func:`single_threaded_ops`). Outputs do not depend on ``workers``: a chunk is always
    augmented as the same batches. Manifest lines are appended in job order, each one after its
    file is durably renamed into place.
    """
    from tqdm import tqdm

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo, skipped = pending_items(items, out, resume)
    summary = JobSummary(total=len(items), skipped=skipped)
    workers, batch_size = max(1, int(workers)), max(1, int(batch_size))
    chunks = make_chunks(items, todo, batch_size)
    bar = tqdm(total=len(todo), unit="img", desc="augment", disable=not progress, smoothing=0.1,
               dynamic_ncols=True)
    reported: set[tuple[str, str]] = set()

    def fail(path: str, why: str) -> None:
        summary.failed.append((path, why))
        if on_fail is not None and (path, why) not in reported:
            reported.add((path, why))
            on_fail(path, why)
        bar.update(1)

    pending: collections.deque[tuple[list[WorkItem], Future]] = collections.deque()
    # per chunk: its (item, params) written by one I/O task, and that task's future
    writes: collections.deque[tuple[list[tuple[WorkItem, dict]], Future]] = collections.deque()
    max_writes = 2 * io_threads(workers)                  # chunks waiting to be written
    ahead = 2 * workers                                    # chunks in flight (bounded memory)

    with single_threaded_ops(device), ManifestWriter(out / MANIFEST_NAME, append=True) as manifest, \
            ThreadPoolExecutor(workers, thread_name_prefix="pg-work") as work, \
            ThreadPoolExecutor(io_threads(workers), thread_name_prefix="pg-write") as writers:

        def drain(limit: int) -> None:
            while len(writes) > limit:
                done, fut = writes.popleft()
                for (item, params), exc in zip(done, fut.result()):
                    if exc is not None:
                        fail(str(item.src), f"cannot write {item.dst}: {reason(exc)}")
                        continue
                    manifest.write(record(item, params))
                    summary.done += 1
                    bar.update(1)

        todo_chunks = iter(chunks)
        try:
            for chunk in todo_chunks:
                pending.append((chunk, work.submit(process_chunk, pipeline, chunk, device=device,
                                                              max_pixels=max_pixels)))
                if len(pending) >= ahead:
                    break
            while pending:
                chunk, fut = pending.popleft()
                results = fut.result()
                nxt = next(todo_chunks, None)
                if nxt is not None:
                    pending.append((nxt, work.submit(process_chunk, pipeline, nxt, device=device,
                                                                max_pixels=max_pixels)))
                done, jobs = [], []
                for item, res in zip(chunk, results):
                    if isinstance(res, str):
                        fail(str(item.src), res)
                    else:
                        done.append((item, res[1]))
                        jobs.append((item.dst, res[0]))
                if jobs:
                    writes.append((done, writers.submit(write_files, jobs, out)))
                drain(max_writes)
        except BaseException:  # Ctrl-C or a bug: record what is already written, then stop
            for _, fut in pending:
                fut.cancel()
            for done, fut in writes:
                with contextlib.suppress(BaseException):
                    for (item, params), exc in zip(done, fut.result()):
                        if exc is None:
                            manifest.write(record(item, params))
            writes.clear()
            bar.close()
            raise
        drain(0)
    bar.close()
    summary.seconds = time.perf_counter() - t0
    return summary
