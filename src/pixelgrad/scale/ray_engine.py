"""``pixelgrad augment --engine ray``: the same job as the local engine, as a Ray Data job.

The driver plans the outputs (same :class:`~pixelgrad.io.dataset.WorkItem` list, same seeds),
turns them into a dataset of rows (paths + seed), and ``map_batches`` hands batches of rows to a
pool of actors (:class:`FileAugmenter`, one per CPU, or one per GPU with ``--device cuda``) that
each hold the pipeline, decode their rows' files, augment, and write the outputs with the same
atomic writer. Only small result rows travel back; the driver appends them to the manifest.
Because every output has its own seed, results are byte-identical to the local engine's.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..io.batch_apply import apply_pipeline
from ..io.dataset import WorkItem
from ..io.jobs import JobSummary, _reason, decode, pending_items, record, write_output
from ..io.manifest import MANIFEST_NAME, ManifestWriter
from ._common import ensure_ray, import_ray, pipeline_spec, worker_pool

__all__ = ["FileAugmenter", "run_ray"]

_FIELDS = ("src", "rel", "copy", "dst", "out_rel", "seed")


class FileAugmenter:
    """Ray Data callable class: rows of work items in, one result row per item out
    (``idx``, ``ok``, ``reason``, ``record`` = manifest line as JSON text)."""

    def __init__(self, spec: dict, device: str = "cpu") -> None:
        from .. import augment

        self.pipeline = augment.from_dict(spec)
        self.device = device

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(batch["idx"])
        items = [WorkItem(src=Path(str(batch["src"][i])), rel=str(batch["rel"][i]),
                          copy=int(batch["copy"][i]), dst=Path(str(batch["dst"][i])),
                          out_rel=str(batch["out_rel"][i]), seed=int(batch["seed"][i]))
                 for i in range(n)]
        ok = np.zeros(n, dtype=bool)
        reason = [""] * n
        rec = [""] * n
        cache: dict[Path, Any] = {}
        for it in items:
            if it.src not in cache:
                try:
                    cache[it.src] = decode(it.src)
                except Exception as exc:  # noqa: BLE001 - reported per row
                    cache[it.src] = exc
        good = [i for i, it in enumerate(items) if not isinstance(cache[it.src], BaseException)]
        for i, it in enumerate(items):
            if i not in good:
                reason[i] = _reason(cache[it.src])
        results = apply_pipeline(self.pipeline, [cache[items[i].src] for i in good],
                                 [items[i].seed for i in good], device=self.device)
        for i, res in zip(good, results):
            if isinstance(res, BaseException):
                reason[i] = f"augmentation failed: {_reason(res)}"
                continue
            img, params = res
            try:
                write_output(items[i], img)
            except Exception as exc:  # noqa: BLE001
                reason[i] = f"cannot write {items[i].dst}: {_reason(exc)}"
                continue
            ok[i] = True
            rec[i] = json.dumps(record(items[i], params), sort_keys=True, separators=(",", ":"))
        return {"idx": np.asarray(batch["idx"], dtype=np.int64), "ok": ok,
                "reason": np.asarray(reason, dtype=object), "record": np.asarray(rec, dtype=object)}


def run_ray(items: Sequence[WorkItem], pipeline: Any, out: str | Path, *, address: str | None = None,
            device: str = "cpu", batch_size: int = 16, resume: bool = False, progress: bool = True,
            concurrency: int | None = None,
            on_fail: Callable[[str, str], None] | None = None) -> JobSummary:
    """Run the job ``items`` on Ray (``address=None``: a local Ray; ``"auto"``: the cluster this
    machine belongs to; ``ray://host:10001``: Ray Client). Same contract as
    :func:`pixelgrad.io.jobs.run_local`. OUT must be a filesystem all workers can reach."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    ray = import_ray()
    spec = pipeline_spec(pipeline)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo, skipped = pending_items(items, out, resume)
    summary = JobSummary(total=len(items), skipped=skipped)
    started = ensure_ray(address)
    try:
        with ManifestWriter(out / MANIFEST_NAME, append=resume) as manifest:
            if todo:
                rows = [{"idx": i, **{f: (str(getattr(it, f)) if f in ("src", "dst") else getattr(it, f))
                                      for f in _FIELDS}} for i, it in enumerate(todo)]
                strategy, resources = worker_pool(ray, device, concurrency)
                blocks = max(1, min(len(rows), -(-len(rows) // max(1, batch_size))))
                ds = ray.data.from_items(rows, override_num_blocks=blocks)
                ds = ds.map_batches(FileAugmenter, fn_constructor_kwargs={"spec": spec, "device": device},
                                    batch_size=batch_size, batch_format="numpy", compute=strategy,
                                    udf_modifying_row_count=False, **resources)
                bar = tqdm(total=len(todo), unit="img", desc="augment[ray]", disable=not progress)
                for res in ds.iter_batches(batch_size=None, batch_format="numpy"):
                    for idx, ok, why, rec in zip(res["idx"], res["ok"], res["reason"], res["record"]):
                        if ok:
                            manifest.write(json.loads(rec))
                            summary.done += 1
                        else:
                            src = str(todo[int(idx)].src)
                            summary.failed.append((src, str(why)))
                            if on_fail is not None:
                                on_fail(src, str(why))
                        bar.update(1)
                bar.close()
    finally:
        if started:
            ray.shutdown()
    summary.seconds = time.perf_counter() - t0
    return summary
