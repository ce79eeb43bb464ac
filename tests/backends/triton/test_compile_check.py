"""The Triton kernels compiled ahead of time for real GPUs (sm_80, sm_90) on this CPU machine.

Runs :mod:`pixelgrad.backends.triton.compile_check` in subprocesses (the interpreter, which
``tests/backends/triton`` switches on, replaces the compiler, and it must be off before triton
is imported): every specialization the typical public calls launch is compiled with Triton's
bundled ``ptxas``; shared memory must fit each target and spills must stay within the
budget (0 bytes). The resource table is printed (``pytest -s`` shows it). Compiled kernels
are cached in ``.cache/triton`` inside the checkout (git-ignored): about 2 minutes cold on a
2-core machine, seconds warm.

Also counts the compilations a stream of random sigma in (0.1, 8) needs (the radius is a
runtime argument: one compilation per tile configuration, not one per radius).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("triton", reason="the triton package is an optional dependency")

ROOT = Path(__file__).resolve().parents[3]


def _env() -> dict:
    env = dict(os.environ)
    env.pop("TRITON_INTERPRET", None)
    env.setdefault("TRITON_CACHE_DIR", str(ROOT / ".cache" / "triton"))
    env.setdefault("TRITON_DEFAULT_FP_FUSION", "1")       # Triton 3.9's default, stated
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)


def test_every_shipped_specialization_compiles_without_spills_for_sm80_and_sm90():
    procs = {cc: _start("-m", "pixelgrad.backends.triton.compile_check", "--targets", str(cc))
             for cc in (80, 90)}
    outs = {cc: p.communicate(timeout=900)[0] for cc, p in procs.items()}
    for cc, out in outs.items():
        print(out)
        assert procs[cc].returncode == 0, f"sm_{cc} compile check failed:\n{out[-3000:]}"
        rows = [line for line in out.splitlines() if line.startswith(f"sm_{cc} ")]
        kernels = {line.split()[1] for line in rows}
        assert kernels == {"_sep_tile_kernel", "_plane_gemm_kernel", "_taps_kernel",
                           "_field_kernel"}, kernels
        for line in rows:                      # regs, spill bytes, shared bytes
            regs, spill, smem = (int(v) for v in line.split()[2:5])
            assert 0 < regs <= 255 and spill == 0, line
        assert f"sm_{cc}: " in out and "max spill 0 B" in out


def test_random_sigma_stream_compiles_a_handful_of_kernels():
    code = ("from pixelgrad.backends.triton import compile_check as c, _separable as s\n"
            "n = c.count_compiles(60, shape=(4, 3, 96, 160))\n"
            "print(len(s.TILE_CONFIGS)); print(sorted(n.items()))\n")
    p = _start("-c", code)
    out = p.communicate(timeout=600)[0]
    assert p.returncode == 0, out[-3000:]
    lines = out.strip().splitlines()
    configs, counts = int(lines[-2]), eval(lines[-1])       # noqa: S307 - our own repr
    assert len(counts) == 4 * 2                              # 4 dtypes x 2 borders
    for (dtype, border), n in counts:
        # sigma in (0.1, 8): radius 1..32, both tile configurations, never one per radius
        assert 1 <= n <= configs, (dtype, border, n)
