"""`pixelgrad restore` against hostile inputs: its own input is never overwritten, usage
errors are checked before computing, alpha and float TIFF keep their form and range."""
from __future__ import annotations

import numpy as np
import pytest

from pixelgrad.cli.main import main
from pixelgrad.io.images import read_image, write_image
from tests._hostile import _img, _one_error_line, _snapshot


def test_restore_keeps_alpha_and_float_tiff(tmp_path, rng):
    yy, xx = np.mgrid[0:24, 0:20] / 20.0
    smooth = 0.5 + 0.4 * np.sin(3 * xx + 2 * yy)
    rgba = np.dstack([smooth, smooth[::-1], smooth[:, ::-1], rng.random((24, 20))])
    rgba8 = np.round(rgba * 255).astype(np.uint8)
    write_image(tmp_path / "a.png", rgba8)
    assert main(["restore", str(tmp_path / "a.png"), "-o", str(tmp_path / "ra.png"), "--corrupt", "0.3",
                 "--method", "harmonic", "--no-progress"]) == 0
    out = read_image(tmp_path / "ra.png")
    assert out.shape == rgba8.shape and np.array_equal(out[..., 3], rgba8[..., 3])
    f = (np.dstack([smooth] * 3) * 996 - 498).astype(np.float32)
    write_image(tmp_path / "f.tif", f)
    assert main(["restore", str(tmp_path / "f.tif"), "-o", str(tmp_path / "rf.tif"), "--corrupt", "0.3",
                 "--method", "harmonic", "--no-progress", "--max-seconds", "60"]) == 0
    out = read_image(tmp_path / "rf.tif")
    assert out.dtype == np.float32 and out.shape == f.shape
    assert np.abs(out - f).mean() < 0.05 * 996                   # restored in its own range


# ----------------------------------------------------------------------------- restore
@pytest.mark.parametrize("flag", ["-o", "--save-corrupted"])
def test_restore_refuses_to_overwrite_its_own_input(tmp_path, rng, capsys, flag):
    src = tmp_path / "photo.png"
    write_image(src, _img(rng, 16, 16))
    before = src.read_bytes()
    other = str(tmp_path / "r.png")
    args = ["restore", str(src), "--corrupt", "0.3", "--no-progress", "--method", "harmonic"]
    args += ["-o", str(src)] if flag == "-o" else ["-o", other, "--save-corrupted", str(src)]
    assert main(args) == 2
    _one_error_line(capsys, str(src), "--overwrite")
    assert src.read_bytes() == before
    assert main(args + ["--overwrite"]) == 0                   # asked for: allowed
    assert src.read_bytes() != before


@pytest.mark.parametrize("case", ["bad_suffix", "out_is_dir", "dir_to_itself"])
def test_restore_usage_errors_are_checked_before_computing(tmp_path, rng, capsys, case):
    src = tmp_path / "in"
    write_image(src / "a.png", _img(rng, 16, 16))
    before = _snapshot(src)
    if case == "bad_suffix":
        args = [str(src / "a.png"), "-o", str(tmp_path / "out.xyz")]
        needle = "out.xyz"
    elif case == "out_is_dir":
        (tmp_path / "d").mkdir()
        args = [str(src / "a.png"), "-o", str(tmp_path / "d")]
        needle = str(tmp_path / "d")
    else:
        args = [str(src), "-o", str(src)]
        needle = str(src)
    assert main(["restore", *args, "--corrupt", "0.3", "--no-progress"]) == 2
    _one_error_line(capsys, needle)
    assert _snapshot(src) == before
    assert not (tmp_path / "out.xyz").exists()
