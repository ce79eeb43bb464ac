"""`pixelgrad restore` command line: single file, folder mode, resume, failures, exit codes."""
import numpy as np
import pytest

from pixelgrad.cli.main import main
from pixelgrad.io import read_image, write_image
from pixelgrad.viz.animate import frames_from_gif


def _img(h=40, w=36, seed=0, color=True):
    yy, xx = np.mgrid[0:h, 0:w] / 40.0
    base = 0.5 + 0.3 * np.sin(4 * xx + 3 * yy + seed)
    img = np.stack([base, base[::-1], base[:, ::-1]], -1) if color else base
    return np.round(img * 255).astype(np.uint8)


def test_single_file_corrupt_animate_plot(tmp_path, capsys):
    src = tmp_path / "in.png"
    write_image(src, _img())
    out, gif, plot, bad = tmp_path / "o" / "out.png", tmp_path / "p.gif", tmp_path / "e.png", tmp_path / "bad.png"
    rc = main(["restore", str(src), "-o", str(out), "--corrupt", "0.8", "--seed", "1", "--animate", str(gif),
               "--plot", str(plot), "--save-corrupted", str(bad), "--no-progress"])
    assert rc == 0
    restored, corrupted, clean = read_image(out), read_image(bad), _img()
    assert restored.shape == clean.shape and restored.dtype == np.uint8
    err_r = np.abs(restored.astype(int) - clean).mean()
    err_c = np.abs(corrupted.astype(int) - clean).mean()
    assert err_r < err_c / 5
    frames = frames_from_gif(gif)
    assert len(frames) >= 3
    assert read_image(plot).ndim == 3
    assert "PSNR" in capsys.readouterr().out
    assert not [p for p in tmp_path.rglob("*.tmp*")]          # atomic writes leave nothing behind


def test_single_file_with_mask_keeps_known_pixels(tmp_path):
    clean = _img(color=False)
    rng = np.random.default_rng(0)
    unknown = rng.random(clean.shape) < 0.6
    damaged = np.where(unknown, 255, clean).astype(np.uint8)
    write_image(tmp_path / "d.png", damaged)
    write_image(tmp_path / "m.png", (unknown * 255).astype(np.uint8))
    rc = main(["restore", str(tmp_path / "d.png"), "-o", str(tmp_path / "r.png"), "--mask", str(tmp_path / "m.png"),
               "--method", "biharmonic", "--no-progress"])
    assert rc == 0
    r = read_image(tmp_path / "r.png")
    assert np.array_equal(r[~unknown], clean[~unknown])
    assert np.abs(r.astype(int) - clean)[unknown].mean() < 10


def test_folder_mode_mask_dir_resume_and_failures(tmp_path, capsys):
    src, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    for rel in ["a.png", "sub/b.png", "sub/c.png"]:
        write_image(src / rel, _img(seed=len(rel)))
        m = np.zeros((40, 36), np.uint8)
        m[10:20, 5:30] = 255
        write_image(masks / rel, m)
    (src / "sub" / "broken.png").write_bytes(b"not an image")
    args = ["restore", str(src), "-o", str(out), "--mask-dir", str(masks), "--method", "harmonic", "--no-progress"]
    assert main(args) == 1                                           # broken.png failed
    err = capsys.readouterr().err
    assert "broken.png" in err
    assert (out / "a.png").is_file() and (out / "sub" / "b.png").is_file() and (out / "sub" / "c.png").is_file()
    (src / "sub" / "broken.png").unlink()
    mtime = (out / "a.png").stat().st_mtime_ns
    assert main(args + ["--resume"]) == 0
    assert (out / "a.png").stat().st_mtime_ns == mtime
    assert "3 skipped" in capsys.readouterr().out


@pytest.mark.parametrize("extra", [[], ["--corrupt", "1.5"], ["--mask-dir", "x"]])
def test_bad_usage_exit_2(tmp_path, extra, capsys):
    src = tmp_path / "in.png"
    write_image(src, _img())
    assert main(["restore", str(src), "-o", str(tmp_path / "o.png"), "--no-progress"] + extra) == 2
    assert "error" in capsys.readouterr().err


def test_missing_input_and_mask_size_mismatch(tmp_path):
    assert main(["restore", str(tmp_path / "nope.png"), "-o", str(tmp_path / "o.png"), "--corrupt", "0.5"]) == 2
    write_image(tmp_path / "i.png", _img())
    write_image(tmp_path / "m.png", np.zeros((5, 5), np.uint8))
    assert main(["restore", str(tmp_path / "i.png"), "-o", str(tmp_path / "o.png"), "--mask", str(tmp_path / "m.png"),
                 "--no-progress"]) == 2
    assert not (tmp_path / "o.png").exists()
