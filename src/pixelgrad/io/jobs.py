"""The local engine of ``pixelgrad augment``: decode in background threads, batch equal-size
images, augment on one device, encode + atomically write in background threads.

Data flow (``workers`` threads read and ``workers`` threads write; the main thread runs the
pipeline, which may itself use several torch threads)::

    chunks of batch_size outputs --(read+decode, ordered, prefetched)--> group by (shape, dtype)
           --(apply_pipeline on device)--> encode + atomic rename --> manifest line

A *chunk* is ``batch_size`` consecutive outputs of the planned job (:func:`make_chunks`); the
images of a chunk with equal shape and dtype form one batch. Chunks depend only on the job and
``batch_size``, never on thread timing, and the Ray engine uses the very same chunks, so outputs
are byte-identical whatever ``workers`` is and whichever engine runs the job (each image also
has its own seed, so which images share a batch does not change the parameters drawn).
"""
from __future__ import annotations

import collections
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .atomic import atomic_path
from .batch_apply import apply_pipeline
from .dataset import WorkItem
from .images import encode_image, read_image
from .manifest import MANIFEST_NAME, ManifestWriter, read_manifest

__all__ = ["JobSummary", "run_local", "pending_items", "make_chunks", "augment_chunk",
           "write_output", "write_file", "decode", "record"]


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


def decode(path: Path) -> np.ndarray:
    """Read one input (:func:`read_image`); errors propagate with the path in the message."""
    return read_image(path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: the process umask, read once at import (reading it means setting it: not thread-safe)
_UMASK = _umask()


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, with the usual ``0o666 & ~umask`` permissions
    (the temporary file of :func:`atomic_path` is created private, 0o600)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
        os.chmod(tmp, 0o666 & ~_UMASK)


def write_output(item: WorkItem, image: np.ndarray) -> None:
    """Encode ``image`` in the format of ``item.dst``'s suffix and rename it into place."""
    write_file(item.dst, encode_image(image, item.dst.suffix))


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


def _decoded_chunks(pool: ThreadPoolExecutor, chunks: list[list[WorkItem]], ahead: int
                    ) -> Iterator[tuple[list[WorkItem], dict[Path, Any]]]:
    """Yield ``(chunk, {source: image or exception})`` in order, with the decoding of the next
    ``ahead`` chunks already submitted (a source shared by two chunks is decoded once)."""
    futures: dict[Path, Future] = {}
    queue: collections.deque[list[WorkItem]] = collections.deque()
    it = iter(chunks)

    def submit(chunk: list[WorkItem]) -> None:
        for item in chunk:
            if item.src not in futures:
                futures[item.src] = pool.submit(decode, item.src)
        queue.append(chunk)

    for chunk in it:
        submit(chunk)
        if len(queue) > ahead:
            break
    while queue:
        chunk = queue.popleft()
        images: dict[Path, Any] = {}
        for item in chunk:
            if item.src in images:
                continue
            try:
                images[item.src] = futures[item.src].result()
            except Exception as exc:  # noqa: BLE001 - reported, never aborts the run
                images[item.src] = exc
        nxt = next(it, None)
        if nxt is not None:
            submit(nxt)
        upcoming = {i.src for c in queue for i in c}
        for src in images:
            if src not in upcoming:
                futures.pop(src, None)
        yield chunk, images


def run_local(items: Sequence[WorkItem], pipeline: Callable, out: str | Path, *, workers: int = 2,
              batch_size: int = 16, device: str = "cpu", resume: bool = False,
              progress: bool = True, on_fail: Callable[[str, str], None] | None = None) -> JobSummary:
    """Run the planned job ``items`` (from :func:`pixelgrad.io.dataset.plan_outputs` with the same
    OUT) with ``pipeline`` and append to ``OUT/manifest.jsonl``. Never raises for a bad image: it
    is counted in ``failed`` and reported through ``on_fail(path, reason)``.
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

    writes: collections.deque[tuple[WorkItem, dict, Future]] = collections.deque()
    max_writes = 2 * batch_size + 2 * workers

    with ManifestWriter(out / MANIFEST_NAME, append=resume) as manifest, \
            ThreadPoolExecutor(workers, thread_name_prefix="pg-read") as readers, \
            ThreadPoolExecutor(workers, thread_name_prefix="pg-write") as writers:

        def drain(limit: int) -> None:
            while len(writes) > limit:
                item, params, fut = writes.popleft()
                try:
                    fut.result()
                except Exception as exc:  # noqa: BLE001
                    fail(str(item.src), f"cannot write {item.dst}: {reason(exc)}")
                    continue
                manifest.write(record(item, params))
                summary.done += 1
                bar.update(1)

        ahead = max(1, -(-2 * workers // batch_size))
        try:
            for chunk, images in _decoded_chunks(readers, chunks, ahead):
                for item, res in zip(chunk, augment_chunk(pipeline, chunk, images, device=device)):
                    if isinstance(res, str):
                        fail(str(item.src), res)
                    else:
                        writes.append((item, res[1], writers.submit(write_output, item, res[0])))
                drain(max_writes)
        except BaseException:  # Ctrl-C or a bug: record what is already written, then stop
            for item, params, fut in writes:
                if fut.exception() is None:
                    manifest.write(record(item, params))
            writes.clear()
            bar.close()
            raise
        drain(0)
    bar.close()
    summary.seconds = time.perf_counter() - t0
    return summary
