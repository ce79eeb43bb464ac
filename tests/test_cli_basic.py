"""The command line's common behaviour: help, version, demo, bench listing, bad usage."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
from PIL import Image

from pixelgrad.cli.main import main


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip()
    assert main([]) == 2


def test_python_dash_m_runs():
    out = subprocess.run([sys.executable, "-m", "pixelgrad", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip()


def test_demo_quick_writes_blur_grid(tmp_path):
    assert main(["demo", "--quick", "-o", str(tmp_path)]) == 0
    grid = np.asarray(Image.open(tmp_path / "blur_family.png"))
    assert grid.ndim == 3 and grid.shape[0] > 100 and grid.shape[1] > 100
    assert grid.std() > 10                       # a picture, not a blank page
    assert not list(tmp_path.glob(".*tmp*"))    # no temporary files left behind


def test_bench_list(capsys):
    assert main(["bench", "--list"]) == 0
    assert "blur" in capsys.readouterr().out.split()


def test_bench_unknown_name_is_usage_error(capsys):
    assert main(["bench", "nope"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def test_atomic_write_mode_and_failure_leaves_nothing(tmp_path):
    import os
    import stat

    import pytest

    from pixelgrad.io import atomic_path, atomic_write

    target = tmp_path / "a.bin"
    atomic_write(target, b"hello")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    assert target.read_bytes() == b"hello" and mode & 0o044     # readable by others, not 0600
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"hello"                     # the old file survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]
