"""``pixelgrad augment --engine ray``: the same job as the local engine, as a Ray Data job.

:func:`run_ray` is :func:`pixelgrad.io.jobs.run_job` (resume, chunks, manifest, progress,
summary, failure reports) with a :class:`RayEngine`, which only maps the chunks: each chunk is
one row (paths and seeds as JSON text); ``map_batches`` hands the rows to a pool of actors
(:class:`FileAugmenter`, one per CPU, or one per GPU with ``--device cuda``) that hold the
pipeline and run the local engine's two steps on the chunk
(:func:`~pixelgrad.io.jobs.process_chunk`: decode, augment in batches of equal size, encode;
:func:`~pixelgrad.io.jobs.write_chunk`: the same atomic writer). Only small result rows travel
back; the driver turns them into :class:`~pixelgrad.io.jobs.ItemResult` /
:class:`~pixelgrad.io.jobs.ItemFailure` for ``run_job``. Same chunks and same per-image seeds:
outputs are byte-identical to the local engine's.
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..io.dataset import WorkItem
from ..io.header import DEFAULT_MAX_PIXELS
from ..io.jobs import (EngineStopped, ItemFailure, ItemOutcome, ItemResult, JobSummary,
                       process_chunk, run_job, write_chunk)
from ._common import ensure_ray, import_ray, pipeline_spec, quiet_ray, single_threaded_actor, worker_pool

__all__ = ["FileAugmenter", "RayEngine", "run_ray"]

_FIELDS = ("rel", "copy", "out_rel", "seed")


def _encode_chunk(chunk: Sequence[WorkItem]) -> str:
    return json.dumps([{"src": str(it.src), "dst": str(it.dst), **{f: getattr(it, f) for f in _FIELDS}}
                       for it in chunk])


def _decode_chunk(text: str) -> list[WorkItem]:
    return [WorkItem(src=Path(d["src"]), dst=Path(d["dst"]), **{f: d[f] for f in _FIELDS})
            for d in json.loads(text)]


class FileAugmenter:
    """Ray Data callable class holding the pipeline (one per actor), used by :func:`run_ray`.

    Each input row is one chunk of the job (``chunk``: its index, ``items``: JSON list of work
    items, see :func:`pixelgrad.io.jobs.make_chunks`); it decodes, augments and writes the
    chunk's outputs and returns one row per output: ``chunk``, ``pos`` (index in the chunk),
    ``ok``, ``reason``, ``record`` (the manifest line as JSON text).

    Parameters
    ----------
    spec : dict
        The pipeline as ``Transform.to_dict()`` writes it (rebuilt on the actor).
    device : str, default "cpu"
        Where the pipeline runs.
    out : str, optional
        The output folder; with it, no folder under OUT may be a symlink
        (:func:`pixelgrad.io.atomic.atomic_write`'s ``root``).
    max_pixels : int or None, default DEFAULT_MAX_PIXELS
        Limit on the declared size of an input (see :func:`pixelgrad.io.header.check_pixels`).

    Examples
    --------
    Called directly on one row (Ray itself is not needed for this; ``run_ray`` builds the
    rows):

    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "IN").mkdir(); (d / "OUT").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> aug = FileAugmenter(augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0).to_dict(),
    ...                     out=str(d / "OUT"))
    >>> res = aug({"chunk": np.array([0]), "items": np.array([_encode_chunk(items)], dtype=object)})
    >>> res["ok"].tolist(), res["pos"].tolist(), sorted(p.name for p in (d / "OUT").iterdir())
    ([True, True], [0, 1], ['a_0.png', 'a_1.png'])
    """

    def __init__(self, spec: dict, device: str = "cpu", out: str | None = None,
                 max_pixels: int | None = DEFAULT_MAX_PIXELS) -> None:
        from .. import augment

        self.pipeline = augment.from_dict(spec)
        self.device = device
        self.out = Path(out) if out is not None else None
        self.max_pixels = max_pixels
        single_threaded_actor(device)   # one actor per CPU, like the local engine's workers

    def _one(self, text: str) -> list[tuple[bool, str, str]]:
        chunk = _decode_chunk(text)
        results = write_chunk(process_chunk(self.pipeline, chunk, device=self.device,
                                            max_pixels=self.max_pixels), self.out)
        return [(True, "", json.dumps(r.record, sort_keys=True, separators=(",", ":")))
                if isinstance(r, ItemResult) else (False, r.reason, "") for r in results]

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        chunk_ids, pos, ok, why, rec = [], [], [], [], []
        for cid, text in zip(batch["chunk"], batch["items"]):
            for j, (good, r, line) in enumerate(self._one(str(text))):
                chunk_ids.append(int(cid))
                pos.append(j)
                ok.append(good)
                why.append(r)
                rec.append(line)
        return {"chunk": np.asarray(chunk_ids, dtype=np.int64), "pos": np.asarray(pos, dtype=np.int64),
                "ok": np.asarray(ok, dtype=bool), "reason": np.asarray(why, dtype=object),
                "record": np.asarray(rec, dtype=object)}


class RayEngine:
    """The Ray Data engine of :func:`pixelgrad.io.jobs.run_job`: one row per chunk, mapped by a
    pool of :class:`FileAugmenter` actors; the result rows become item outcomes on the driver.

    Ray is started (or joined) only when there is something to do, and shut down after if this
    engine started it. If Ray gives up (workers lost beyond its retries), :meth:`run` raises
    :class:`~pixelgrad.io.jobs.EngineStopped` and ``run_job`` reports the outputs not yet
    reported as failed ("rerun with --resume"); rows of a retried chunk seen twice are ignored
    by ``run_job``.

    Parameters
    ----------
    ray : module
        The ``ray`` module (:func:`pixelgrad.scale._common.import_ray`).
    spec : dict
        The pipeline as ``Transform.to_dict()`` writes it.
    out : pathlib.Path
        The output folder: a filesystem that every worker can reach.
    address : str, optional
        As :func:`run_ray`.
    device : str, default "cpu"
        ``"cpu"`` (one actor per CPU) or ``"cuda"`` (one per GPU).
    concurrency : int, optional
        Number of actors (default: one per CPU / GPU).
    max_pixels : int or None, default DEFAULT_MAX_PIXELS
        Limit on the declared size of an input.
    verbose : bool, default True
        As :func:`run_ray`.

    Examples
    --------
    Starting Ray takes seconds, so the example is not run here (tests/scale runs it):

    >>> from pixelgrad.io.jobs import run_job                                # doctest: +SKIP
    >>> engine = RayEngine(import_ray(), pipeline_spec("aug.yaml"), out=Path("OUT"))  # doctest: +SKIP
    >>> summary = run_job(items, "OUT", engine, batch_size=16)               # doctest: +SKIP
    """

    label = "augment[ray]"

    def __init__(self, ray: Any, spec: dict, *, out: Path, address: str | None = None,
                 device: str = "cpu", concurrency: int | None = None,
                 max_pixels: int | None = DEFAULT_MAX_PIXELS, verbose: bool = True) -> None:
        self.ray, self.spec, self.out, self.address = ray, spec, Path(out), address
        self.device, self.concurrency, self.max_pixels = device, concurrency, max_pixels
        self.verbose = verbose

    def run(self, chunks: Sequence[Sequence[WorkItem]],
            emit: Callable[[Sequence[ItemOutcome]], None]) -> None:
        """Map ``chunks`` on Ray (see :class:`pixelgrad.io.jobs.Engine`), reporting each result
        row as it arrives (every file is written on a worker before its row exists)."""
        ray = self.ray
        started = ensure_ray(self.address, verbose=self.verbose)
        try:
            rows = [{"chunk": i, "items": _encode_chunk(c)} for i, c in enumerate(chunks)]
            strategy, resources = worker_pool(ray, self.device, self.concurrency)
            ds = ray.data.from_items(rows, override_num_blocks=len(rows))
            ds = ds.map_batches(FileAugmenter,
                                fn_constructor_kwargs={"spec": self.spec, "device": self.device,
                                                       "out": str(self.out.absolute()),
                                                       "max_pixels": self.max_pixels},
                                batch_size=1, batch_format="numpy", compute=strategy, **resources)
            batches = iter(ds.iter_batches(batch_size=None, batch_format="numpy"))
            while True:
                try:
                    res = next(batches)
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - Ray gave up (workers lost, ...)
                    first = str(exc).splitlines()[0][:200] if str(exc) else ""
                    raise EngineStopped(f"Ray job stopped ({type(exc).__name__}: {first})") from exc
                outcomes: list[ItemOutcome] = []
                for cid, pos, ok, why, rec in zip(res["chunk"], res["pos"], res["ok"],
                                                  res["reason"], res["record"]):
                    item = chunks[int(cid)][int(pos)]
                    outcomes.append(ItemResult(item, json.loads(rec)) if ok
                                    else ItemFailure(item, str(why)))
                emit(outcomes)                 # the manifest's OSError stops the run
        finally:
            if started:
                ray.shutdown()


def run_ray(items: Sequence[WorkItem], pipeline: Any, out: str | Path, *, address: str | None = None,
            device: str = "cpu", batch_size: int = 16, resume: bool = False, progress: bool = True,
            concurrency: int | None = None,
            on_fail: Callable[[str, str], None] | None = None,
            max_pixels: int | None = DEFAULT_MAX_PIXELS, verbose: bool = True) -> JobSummary:
    """Run the planned job ``items`` on Ray: :func:`pixelgrad.io.jobs.run_job` with a
    :class:`RayEngine`.

    Same contract and same outputs (byte for byte) as :func:`pixelgrad.io.jobs.run_local`
    with the same ``batch_size``: same chunks, same per-image seeds.

    Parameters
    ----------
    items : sequence of WorkItem
        The planned outputs (:func:`pixelgrad.io.dataset.plan_outputs`).
    pipeline : Any
        A :class:`pixelgrad.augment.Transform`, a spec dict or a ``.yaml`` / ``.json`` path
        (sent to the workers as its spec).
    out : str or pathlib.Path
        The output folder: a filesystem that every worker can reach.
    address : str, optional
        None: a local Ray, unless one is already initialized; ``"auto"``: the cluster this
        machine belongs to; ``"ray://host:10001"``: Ray Client.
    device : str, default "cpu"
        ``"cpu"`` (one actor per CPU) or ``"cuda"`` (one per GPU).
    batch_size : int, default 16
        Images per chunk (one Ray row each).
    resume : bool, default False
        Skip outputs that exist and have a manifest line.
    progress : bool, default True
        Show a progress bar.
    concurrency : int, optional
        Number of actors (default: one per CPU / GPU).
    on_fail : callable, optional
        Called as ``on_fail(input_path, reason)`` for each failed output.
    max_pixels : int or None, default DEFAULT_MAX_PIXELS
        Limit on the declared size of an input.
    verbose : bool, default True
        False keeps Ray's own logs (INFO lines, Ray Data's progress log, the core worker's
        native lines) off the terminal while the job runs
        (:func:`pixelgrad.scale._common.quiet_ray`); ``pixelgrad augment`` passes its ``-v``.

    Returns
    -------
    JobSummary
        Counts of done, skipped and failed outputs (with reasons) and the wall time. If Ray
        gives up (workers lost), the outputs not reported are listed as failed ("rerun with
        --resume").

    Raises
    ------
    OSError
        If the manifest cannot be written.
    ValueError
        If Ray Data is not installed (the message names the extra to install).
    TypeError
        If ``pipeline`` is not a transform, a dict or a path.

    Examples
    --------
    Starting Ray takes seconds, so the example is not run here (tests/scale/test_ray_engine.py
    runs it):

    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs          # doctest: +SKIP
    >>> items = plan_outputs(*collect_inputs("IN"), "OUT", copies=2)         # doctest: +SKIP
    >>> summary = run_ray(items, "aug.yaml", "OUT", batch_size=16)           # doctest: +SKIP
    >>> summary.exit_code                                                    # doctest: +SKIP
    0
    """
    ray = import_ray()
    spec = pipeline_spec(pipeline)
    engine = RayEngine(ray, spec, out=Path(out), address=address, device=device,
                       concurrency=concurrency, max_pixels=max_pixels, verbose=verbose)
    with contextlib.nullcontext() if verbose else quiet_ray():
        return run_job(items, out, engine, batch_size=batch_size, resume=resume,
                       progress=progress, on_fail=on_fail)
