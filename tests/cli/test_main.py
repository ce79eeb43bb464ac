"""The command line's common behaviour: help, version, `python -m`, --max-pixels in every command."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import pixelgrad.augment as A
from pixelgrad.cli.main import main
from pixelgrad.io.images import write_image
from tests._hostile import png_declaring
from tests._hostile import _cfg, _img, _snapshot


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip()
    assert main([]) == 2


def test_python_dash_m_runs():
    out = subprocess.run([sys.executable, "-m", "pixelgrad", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip()


def test_max_pixels_reports_and_skips_in_augment_gallery_and_restore(tmp_path, rng, capsys):
    src = tmp_path / "in"
    write_image(src / "small.png", rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    write_image(src / "big.png", rng.integers(0, 256, (40, 40, 3), dtype=np.uint8))
    (src / "liar.png").write_bytes(png_declaring(30000, 30000))
    cfg = tmp_path / "p.yaml"
    A.save(A.RandomGaussianBlur(sigma=1.0), cfg)
    out = tmp_path / "out"
    assert main(["augment", str(src), str(out), "-c", str(cfg), "-q", "--max-pixels", "1000"]) == 1
    err = capsys.readouterr().err
    assert "big.png" in err and "liar.png" in err and "max_pixels" in err
    assert (out / "small.png").is_file() and not (out / "big.png").exists()
    assert main(["restore", str(src), "-o", str(tmp_path / "r"), "--corrupt", "0.2",
                 "--method", "harmonic", "--no-progress", "--max-pixels", "1000"]) == 1
    err = capsys.readouterr().err
    assert "liar.png" in err and (tmp_path / "r" / "small.png").is_file()
    assert main(["gallery", str(src), "-c", str(cfg), "-o", str(tmp_path / "g.html"),
                 "--max-pixels", "1000"]) == 1
    assert "liar.png" in capsys.readouterr().err and (tmp_path / "g.html").is_file()


# ----------------------------------------------------------------------------- file names
def test_non_utf8_file_names_are_reported_and_skipped(tmp_path, rng, capsys):
    src = tmp_path / "in"
    write_image(src / "good.png", _img(rng))
    bad = os.fsencode(src) + b"/caf\xe9.png"                      # Latin-1 name
    with open(bad, "wb") as fh:
        fh.write((src / "good.png").read_bytes())
    before = _snapshot(src)
    out = tmp_path / "out"
    rc = main(["augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "caf\\xe9.png" in err and "UTF-8" in err
    assert (out / "good.png").is_file()
    assert _snapshot(src) == before
    # restore (folder mode) and gallery skip it the same way
    rc = main(["restore", str(src), "-o", str(tmp_path / "r"), "--corrupt", "0.3", "--no-progress",
               "--method", "harmonic"])
    assert rc == 1 and (tmp_path / "r" / "good.png").is_file()
    assert "caf\\xe9.png" in capsys.readouterr().err
    assert main(["gallery", str(src), "-c", str(_cfg(tmp_path)), "-o", str(tmp_path / "g.html")]) == 0
    assert "caf\\xe9.png" in capsys.readouterr().err
