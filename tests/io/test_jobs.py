"""The one job skeleton (`run_job`) over any engine: resume, manifest, summary and failure
reports are the job's, an engine only maps chunks to typed item outcomes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pixelgrad.augment as A
from pixelgrad.io.dataset import collect_inputs, plan_outputs
from pixelgrad.io.images import write_image
from pixelgrad.io.jobs import (EngineStopped, ItemFailure, ItemResult, LocalEngine, make_chunks,
                               process_chunk, run_job, run_local, write_chunk)
from pixelgrad.io.manifest import read_manifest

PIPE = A.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0)


def _job(tmp_path: Path, n: int = 5, copies: int = 2):
    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        write_image(src / f"{i}.png", rng.integers(0, 256, (8, 9, 3), dtype=np.uint8))
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot a png")
    return plan_outputs(*collect_inputs(src), tmp_path / "out", copies=copies, seed=3)


class _Retrying:
    """A stand-in for a distributed engine: real work, every chunk reported twice (a retried
    task), chunks in reverse order, then it gives up after ``stop_after`` chunks."""

    label = "test"

    def __init__(self, out: Path, stop_after: int | None = None) -> None:
        self.out, self.stop_after = out, stop_after

    def run(self, chunks, emit):
        for k, chunk in enumerate(reversed(chunks)):
            if self.stop_after is not None and k == self.stop_after:
                raise EngineStopped("test engine stopped")
            results = write_chunk(process_chunk(PIPE, chunk), self.out)
            emit(results)
            emit(results)


def test_outcomes_are_typed(tmp_path):
    items = _job(tmp_path)
    (tmp_path / "out").mkdir()
    res = write_chunk(process_chunk(PIPE, items), tmp_path / "out")
    assert [type(r) for r in res] == [ItemResult] * 10 + [ItemFailure] * 2
    assert res[-1].source.endswith("broken.png") and "corrupt" in res[-1].reason
    assert res[2].record["output"] == items[2].out_rel and (tmp_path / "out" / items[2].out_rel).is_file()


def test_any_engine_gives_the_local_bytes_summary_and_one_report_per_failure(tmp_path):
    items = _job(tmp_path)
    ref = run_local(plan_outputs(*collect_inputs(tmp_path / "in"), tmp_path / "ref", copies=2, seed=3),
                    PIPE, tmp_path / "ref", batch_size=3, progress=False)
    reports: list[tuple[str, str]] = []
    got = run_job(items, tmp_path / "out", _Retrying(tmp_path / "out"), batch_size=3,
                  progress=False, on_fail=lambda p, r: reports.append((p, r)))
    assert (got.done, got.skipped, sorted(got.failed)) == (ref.done, ref.skipped, sorted(ref.failed))
    assert got.done == 10 and len(got.failed) == 2          # two copies of the corrupt input
    assert len(reports) == 1 and reports[0][0].endswith("broken.png")
    assert read_manifest(tmp_path / "out" / "manifest.jsonl") == read_manifest(tmp_path / "ref" / "manifest.jsonl")
    for it in items[:-2]:
        assert it.dst.read_bytes() == (tmp_path / "ref" / it.out_rel).read_bytes()


def test_an_engine_that_gives_up_leaves_the_rest_to_resume(tmp_path):
    items = _job(tmp_path)
    s = run_job(items, tmp_path / "out", _Retrying(tmp_path / "out", stop_after=2), batch_size=3,
                progress=False)
    # the last two chunks of 3 ran (reversed order), the last holding the corrupt input's 2
    assert s.done == 4 and len(s.failed) == 8
    assert sum("test engine stopped; rerun with --resume to finish" in why for _, why in s.failed) == 6
    again = run_job(items, tmp_path / "out", LocalEngine(PIPE, out=tmp_path / "out"), batch_size=3,
                    resume=True, progress=False)
    assert (again.skipped, again.done, len(again.failed)) == (4, 6, 2)
    ref = run_local(plan_outputs(*collect_inputs(tmp_path / "in"), tmp_path / "ref", copies=2, seed=3),
                    PIPE, tmp_path / "ref", batch_size=5, progress=False)
    assert ref.done == 10
    for it in items[:-2]:
        assert it.dst.read_bytes() == (tmp_path / "ref" / it.out_rel).read_bytes()
    assert read_manifest(tmp_path / "out" / "manifest.jsonl") == read_manifest(tmp_path / "ref" / "manifest.jsonl")


def test_an_interrupted_engine_records_what_it_wrote(tmp_path):
    items = _job(tmp_path, copies=1)

    class Interrupted:
        label = "test"

        def run(self, chunks, emit):
            emit(write_chunk(process_chunk(PIPE, chunks[0]), tmp_path / "out"))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_job(items, tmp_path / "out", Interrupted(), batch_size=2, progress=False)
    assert sorted(read_manifest(tmp_path / "out" / "manifest.jsonl")) == ["0.png", "1.png"]
    s = run_local(items, PIPE, tmp_path / "out", batch_size=2, resume=True, progress=False)
    assert (s.skipped, s.done, len(s.failed)) == (2, 3, 1)


def test_chunks_are_the_engines_whatever_the_order(tmp_path):
    items = _job(tmp_path, n=3, copies=1)
    assert [len(c) for c in make_chunks(items, items, 3)] == [3, 1]
    seen = []

    class Recording:
        label = "test"

        def run(self, chunks, emit):
            seen.extend([it.out_rel for it in c] for c in chunks)
            emit([ItemFailure(it, "skip") for c in chunks for it in c])

    run_job(items, tmp_path / "out", Recording(), batch_size=3, progress=False)
    assert seen == [[it.out_rel for it in items[:3]], [items[3].out_rel]]
