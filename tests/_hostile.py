"""Builders of hostile inputs and checks shared by the io / cli / augment tests: a runner
under an address-space limit, PNGs that lie about their size, small images, configs and
snapshots of a folder."""
from __future__ import annotations

import io
import os
from pathlib import Path
import struct
import subprocess
import sys
import textwrap
import zlib

from PIL import Image
import numpy as np

import pixelgrad as pg
import pixelgrad.augment as A


def run_limited(code: str, budget_mb: int = 1024, timeout: float = 300,
                setup: str = "") -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter whose address space is limited to what its imports
    (and ``setup``, e.g. a warm-up run) took plus ``budget_mb``; returns the finished process
    (stdout/stderr as text). Single-threaded with one malloc arena, so the address space
    follows the data, not the thread count."""
    prelude = textwrap.dedent("""
        import resource
        import numpy, torch, cv2, PIL.Image, yaml
        import pixelgrad, pixelgrad.augment, pixelgrad.io
        torch.set_num_threads(1)
        cv2.setNumThreads(1)
    """) + textwrap.dedent(setup) + textwrap.dedent(f"""
        with open('/proc/self/status') as fh:
            vm = int(fh.read().split('VmSize:')[1].split()[0]) * 1024
        lim = vm + {int(budget_mb)} * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    """)
    env = dict(os.environ, OMP_NUM_THREADS="1", MALLOC_ARENA_MAX="1", PYTHONPATH=os.pathsep.join(
        [str(Path(pg.__file__).parents[1])] + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def png_declaring(width: int, height: int) -> bytes:
    """A small valid PNG whose IHDR was rewritten to declare ``width x height`` (CRC fixed)."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _img(rng, h=12, w=10, c=3) -> np.ndarray:
    return rng.integers(0, 256, (h, w, c) if c else (h, w), dtype=np.uint8)


def _cfg(tmp_path: Path, name: str = "p.yaml", transform=None) -> Path:
    path = tmp_path / name
    A.save(transform or A.Compose([A.RandomGaussianBlur(p=1.0, sigma=(0.5, 1.5))]), path)
    return path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def _one_error_line(capsys, *needles: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    lines = [ln for ln in err if "error:" in ln]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


# ----------------------------------------------------------------------------- clean failures
def _make_out_file(tmp_path):
    p = tmp_path / "out_is_a_file"
    p.write_text("x")
    return p
