"""Scale-out faults (issue 14): a Ray worker killed mid-job. With ``--engine ray`` on a local
Ray with two worker processes, one worker is killed (SIGKILL) while the job runs: the job
completes (Ray restarts the actor and retries its task) or a ``--resume`` finishes it, and the
outputs are byte-identical to the local engine's, with nothing half-written left behind."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray Data is an optional extra (pixelgrad[ray])")

import pixelgrad.augment as A  # noqa: E402
from pixelgrad.cli.main import main  # noqa: E402
from pixelgrad.io.images import write_image  # noqa: E402
from pixelgrad.io.manifest import read_manifest  # noqa: E402
from tests.scale._outputs import output_files  # noqa: E402


def _augmenter_pids() -> list[int]:
    """Pids of this user's Ray actor processes holding a FileAugmenter (by their title)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as fh:
                cmd = fh.read()
        except OSError:
            continue
        if b"FileAugmenter" in cmd and int(d) != os.getpid():
            pids.append(int(d))
    return pids


@pytest.mark.slow          # ~50 s on a busy 2-core machine (20 s of it starting Ray); still in make test
def test_a_killed_ray_worker_loses_nothing(tmp_path: Path, local_ray):
    rng = np.random.default_rng(11)
    src = tmp_path / "in"
    n = 24
    for i in range(n):
        write_image(src / f"{i:02d}.png", rng.integers(0, 256, (96, 96, 3), dtype=np.uint8))
    cfg = tmp_path / "p.yaml"
    A.save(A.Compose([A.RandomGaussianBlur(p=1.0, sigma=(1.0, 3.0)),
                      A.RandomMotionBlur(p=1.0, length=(5, 15)), A.RandomGradient(p=0.8)]), cfg)
    common = ["-c", str(cfg), "--seed", "3", "--batch-size", "1", "-q"]
    assert main(["augment", str(src), str(tmp_path / "local"), *common]) == 0

    out = tmp_path / "ray"
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["rc"] = main(["augment", str(src), str(out), *common, "--engine", "ray"])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            result["exc"] = exc

    job = threading.Thread(target=run)
    job.start()
    killed = None
    deadline = time.monotonic() + 240
    while job.is_alive() and time.monotonic() < deadline and killed is None:
        written = len(read_manifest(out / "manifest.jsonl")) if (out / "manifest.jsonl").exists() else 0
        pids = _augmenter_pids()
        if pids and written >= 1:
            os.kill(pids[0], signal.SIGKILL)          # a worker this test's Ray started
            killed = pids[0]
        time.sleep(0.02)
    job.join(timeout=300)
    assert not job.is_alive()
    assert "exc" not in result, result
    if killed is None:
        pytest.fail("the job finished before a worker could be killed; make it longer")
    assert result["rc"] in (0, 1)                      # completed, or some outputs to resume
    if result["rc"] == 1:
        assert main(["augment", str(src), str(out), *common, "--engine", "ray", "--resume"]) == 0
    # whatever happened, a resume has nothing left to do, and nothing half-written remains
    assert main(["augment", str(src), str(out), *common, "--resume"]) == 0
    assert output_files(out) == output_files(tmp_path / "local")
    assert len(read_manifest(out / "manifest.jsonl")) == n
    assert not [p for p in out.rglob("*") if ".pgtmp" in p.name]
