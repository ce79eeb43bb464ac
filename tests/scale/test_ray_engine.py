"""Scale-out on a local 2-CPU Ray: `--engine ray` and `ray_augment` give exactly what the local
engine gives for the same seed."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray Data is an optional extra (pixelgrad[ray])")

import pixelgrad.augment as A  # noqa: E402
from pixelgrad.cli.main import main  # noqa: E402
from pixelgrad.io.batch_apply import apply_pipeline  # noqa: E402
from pixelgrad.io.dataset import collect_inputs, output_seed, plan_outputs  # noqa: E402
from pixelgrad.io.images import write_image  # noqa: E402
from pixelgrad.io.jobs import run_local  # noqa: E402
from pixelgrad.io.manifest import read_manifest  # noqa: E402
from pixelgrad.scale import ray_augment  # noqa: E402
from tests.scale._outputs import output_files  # noqa: E402

PIPE = A.Compose([A.RandomGradient(p=0.8), A.RandomGaussianBlur(p=0.8, sigma=(0.5, 1.5)),
                  A.RandomMotionBlur(p=0.5, length=(3, 7))])


def test_engine_ray_is_byte_identical_to_local(tmp_path: Path, local_ray, capfd):
    rng = np.random.default_rng(5)
    src = tmp_path / "in"
    for rel, shape, dtype in [("a.png", (12, 16, 3), np.uint8), ("b.png", (12, 16, 3), np.uint8),
                              ("s/c.png", (9, 11), np.uint8), ("s/d.tiff", (12, 16, 3), np.uint16),
                              ("s/e.jpg", (12, 16, 3), np.uint8)]:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        write_image(src / rel, rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True))
    (src / "s" / "broken.png").write_bytes(b"garbage")
    cfg = tmp_path / "p.yaml"
    A.save(PIPE, cfg)
    common = ["-c", str(cfg), "--copies", "2", "--seed", "4", "--batch-size", "3", "-q"]
    assert main(["augment", str(src), str(tmp_path / "local"), *common]) == 1
    local_io = capfd.readouterr()
    assert main(["augment", str(src), str(tmp_path / "ray"), *common, "--engine", "ray"]) == 1
    # -q: Ray's own logs (INFO lines, Ray Data's progress log, the core worker's native
    # "E ... core_worker.cc" line) stay off the terminal; pixelgrad's own report is shown
    ray_io = capfd.readouterr()
    err = ray_io.err
    assert "broken.png" in err, err
    assert not [ln for ln in err.splitlines() if "broken.png" not in ln and ln.strip()], err
    # the corrupt input fails both its copies, reported once, with the same summary
    for io in (local_io, ray_io):
        assert io.err.count("failed: ") == 1 and "broken.png" in io.err, io.err
        assert "done 10, skipped 0, failed 2 of 12 outputs in " in io.out, io.out
    assert local_io.err == ray_io.err
    local, remote = output_files(tmp_path / "local"), output_files(tmp_path / "ray")
    assert len(local) == 10 and local == remote
    ml = read_manifest(tmp_path / "local" / "manifest.jsonl")
    mr = read_manifest(tmp_path / "ray" / "manifest.jsonl")
    assert ml == mr and len(ml) == 10
    assert ray.is_initialized()  # the engine reused the running Ray and left it running


class _Interrupting:
    """The real pipeline, interrupted (Ctrl-C) on the batch holding any of ``seeds``."""

    def __init__(self, pipe, seeds) -> None:
        self.pipe, self.seeds = pipe, set(seeds)

    def __call__(self, *a, generator=None, **k):
        if any(g.initial_seed() in self.seeds for g in generator):
            raise KeyboardInterrupt
        return self.pipe(*a, generator=generator, **k)


def test_a_local_run_interrupted_and_resumed_on_ray_gives_the_same_bytes(tmp_path: Path, local_ray):
    rng = np.random.default_rng(8)
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        write_image(src / f"{i}.png", rng.integers(0, 256, (10, 12, 3), dtype=np.uint8))
    cfg = tmp_path / "p.yaml"
    A.save(PIPE, cfg)
    out = tmp_path / "out"
    items = plan_outputs(*collect_inputs(src), out, copies=2, seed=1)
    with pytest.raises(KeyboardInterrupt):  # the third chunk of 4 is interrupted
        run_local(items, _Interrupting(PIPE, [it.seed for it in items[6:9]]), out, workers=1,
                  batch_size=3, progress=False)
    partial = read_manifest(out / "manifest.jsonl")
    assert sorted(partial) == sorted(it.out_rel for it in items[:6])
    common = ["-c", str(cfg), "--copies", "2", "--seed", "1", "--batch-size", "3", "-q"]
    assert main(["augment", str(src), str(out), *common, "--engine", "ray", "--resume"]) == 0
    assert main(["augment", str(src), str(tmp_path / "fresh"), *common]) == 0
    assert output_files(out) == output_files(tmp_path / "fresh") and len(output_files(out)) == 12
    assert read_manifest(out / "manifest.jsonl") == read_manifest(tmp_path / "fresh" / "manifest.jsonl")


def test_ray_augment_matches_apply_pipeline(local_ray):
    rng = np.random.default_rng(6)
    rows = [{"image": rng.integers(0, 256, (10, 14, 3), dtype=np.uint8), "path": f"img{i}.png"}
            for i in range(5)]
    ds = local_ray.data.from_items(rows, override_num_blocks=3)
    out = ray_augment(ds, PIPE, seed=2, copies=2, batch_size=2, concurrency=2).take_all()
    assert len(out) == 10
    got = {(r["path"], int(r["copy"])): r for r in out}
    for row in rows:
        seeds = [output_seed(2, row["path"], k) for k in range(2)]
        ref = apply_pipeline(PIPE, [row["image"]] * 2, seeds)
        for k in range(2):
            r = got[(row["path"], k)]
            assert int(r["seed"]) == seeds[k]
            np.testing.assert_array_equal(np.asarray(r["image"]), ref[k][0])
            assert json.loads(r["params"]) == ref[k][1]
    with pytest.raises(ValueError, match="copies"):
        ray_augment(ds, PIPE, copies=0)
    with pytest.raises(TypeError, match="ray.data.Dataset"):
        ray_augment([1, 2], PIPE)
