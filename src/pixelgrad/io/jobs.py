"""The local engine of ``pixelgrad augment``: decode in background threads, batch equal-size
images, augment on one device, encode + atomically write in background threads.

Data flow (``workers`` threads read and ``workers`` threads write; the main thread batches and
runs the pipeline, which may itself use several torch threads)::

    inputs --(read+decode, ordered, bounded prefetch)--> buckets by (shape, dtype)
           --(full bucket: apply_pipeline on device)--> encode + atomic rename --> manifest line

Batches are formed from the *input order* only (never from thread timing), and each image has
its own seed, so outputs are byte-identical whatever ``workers`` is.
"""
from __future__ import annotations

import collections
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .batch_apply import apply_pipeline
from .dataset import WorkItem
from .images import encode_image, read_image
from .atomic import atomic_path
from .manifest import MANIFEST_NAME, ManifestWriter, read_manifest

__all__ = ["JobSummary", "run_local", "pending_items", "write_output", "decode"]


@dataclass
class JobSummary:
    """What a run did: ``done`` outputs written, ``skipped`` (already done, ``--resume``),
    ``failed`` as ``(input path, reason)`` pairs, wall ``seconds``."""

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


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, (ValueError, OSError)) else text


def decode(path: Path) -> np.ndarray:
    """Read one input (:func:`read_image`); errors propagate with the path in the message."""
    return read_image(path)


def write_output(item: WorkItem, image: np.ndarray) -> None:
    """Encode ``image`` in the format of ``item.dst``'s suffix and rename it into place."""
    data = encode_image(image, item.dst.suffix)
    with atomic_path(item.dst) as tmp:
        tmp.write_bytes(data)


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


def _by_source(items: Sequence[WorkItem]) -> list[tuple[Path, list[WorkItem]]]:
    groups: dict[Path, list[WorkItem]] = {}
    for it in items:
        groups.setdefault(it.src, []).append(it)
    return list(groups.items())


def _decoded(pool: ThreadPoolExecutor, groups: list[tuple[Path, list[WorkItem]]],
             prefetch: int) -> Iterator[tuple[list[WorkItem], np.ndarray | BaseException]]:
    """Yield ``(items, image or error)`` in input order, keeping ``prefetch`` reads in flight."""
    queue: collections.deque[tuple[list[WorkItem], Future]] = collections.deque()
    it = iter(groups)
    for src, its in it:
        queue.append((its, pool.submit(decode, src)))
        if len(queue) >= prefetch:
            break
    while queue:
        its, fut = queue.popleft()
        try:
            result: np.ndarray | BaseException = fut.result()
        except Exception as exc:  # noqa: BLE001 - reported, never aborts the run
            result = exc
        nxt = next(it, None)
        if nxt is not None:
            queue.append((nxt[1], pool.submit(decode, nxt[0])))
        yield its, result


def run_local(items: Sequence[WorkItem], pipeline: Callable, out: str | Path, *, workers: int = 2,
              batch_size: int = 16, device: str = "cpu", resume: bool = False,
              progress: bool = True, on_fail: Callable[[str, str], None] | None = None) -> JobSummary:
    """Run the job ``items`` with ``pipeline`` (a ``pixelgrad.augment`` transform) and write
    ``OUT/manifest.jsonl``. Never raises for a bad image: it is counted in ``failed`` and
    reported through ``on_fail(path, reason)``.
    """
    from tqdm import tqdm

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo, skipped = pending_items(items, out, resume)
    summary = JobSummary(total=len(items), skipped=skipped)
    workers = max(1, int(workers))
    batch_size = max(1, int(batch_size))
    bar = tqdm(total=len(todo), unit="img", desc="augment", disable=not progress, smoothing=0.1,
               dynamic_ncols=True)

    def fail(path: str, reason: str, n: int = 1) -> None:
        summary.failed.extend([(path, reason)] * n)
        if on_fail is not None:
            on_fail(path, reason)
        bar.update(n)

    # bucket key -> list of (items of one input, its decoded image)
    buckets: dict[tuple, list[tuple[list[WorkItem], np.ndarray]]] = {}
    writes: collections.deque[tuple[WorkItem, dict, Future]] = collections.deque()
    max_writes = 4 * max(batch_size, workers)

    with ManifestWriter(out / MANIFEST_NAME, append=resume) as manifest, \
            ThreadPoolExecutor(workers, thread_name_prefix="pg-read") as readers, \
            ThreadPoolExecutor(workers, thread_name_prefix="pg-write") as writers:

        def drain(limit: int) -> None:
            while len(writes) > limit:
                item, params, fut = writes.popleft()
                try:
                    fut.result()
                except Exception as exc:  # noqa: BLE001
                    fail(str(item.src), f"cannot write {item.dst}: {_reason(exc)}")
                    continue
                manifest.write(record(item, params))
                summary.done += 1
                bar.update(1)

        def flush(key: tuple) -> None:
            entries = buckets.pop(key)
            images = [img for its, img in entries for _ in its]
            flat = [it for its, _ in entries for it in its]
            results = apply_pipeline(pipeline, images, [it.seed for it in flat], device=device)
            for item, res in zip(flat, results):
                if isinstance(res, BaseException):
                    fail(str(item.src), f"augmentation failed: {_reason(res)}")
                    continue
                img, params = res
                writes.append((item, params, writers.submit(write_output, item, img)))
            drain(max_writes)

        pending = 0
        for its, img in _decoded(readers, _by_source(todo), prefetch=2 * workers + batch_size):
            if isinstance(img, BaseException):
                fail(str(its[0].src), _reason(img), len(its))
                continue
            key = (img.shape, img.dtype.str)
            buckets.setdefault(key, []).append((its, img))
            pending += len(its)
            if sum(len(e[0]) for e in buckets[key]) >= batch_size:
                pending -= sum(len(e[0]) for e in buckets[key])
                flush(key)
            elif pending > 4 * batch_size:  # many sizes: bound memory, flush the fullest bucket
                key = max(buckets, key=lambda k: sum(len(e[0]) for e in buckets[k]))
                pending -= sum(len(e[0]) for e in buckets[key])
                flush(key)
        for key in list(buckets):
            flush(key)
        drain(0)
    bar.close()
    summary.seconds = time.perf_counter() - t0
    return summary
