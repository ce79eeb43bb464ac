"""`pixelgrad restore`: single files and folders for every task, animation and plot; against
hostile inputs its own input is never overwritten, usage errors are checked before computing,
alpha and float TIFF keep their form and range."""
from __future__ import annotations

import numpy as np
import pytest

from pixelgrad.cli.main import main
from pixelgrad.io.images import read_image, write_image
from tests._hostile import _img, _one_error_line, _snapshot
from pixelgrad.viz.animate import frames_from_gif


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


def _smooth_image(h=40, w=36, seed=0, color=True):
    yy, xx = np.mgrid[0:h, 0:w] / 40.0
    base = 0.5 + 0.3 * np.sin(4 * xx + 3 * yy + seed)
    img = np.stack([base, base[::-1], base[:, ::-1]], -1) if color else base
    return np.round(img * 255).astype(np.uint8)


def test_single_file_corrupt_animate_plot(tmp_path, capsys):
    src = tmp_path / "in.png"
    write_image(src, _smooth_image())
    out, gif, plot, bad = tmp_path / "o" / "out.png", tmp_path / "p.gif", tmp_path / "e.png", tmp_path / "bad.png"
    rc = main(["restore", str(src), "-o", str(out), "--corrupt", "0.8", "--seed", "1", "--animate", str(gif),
               "--plot", str(plot), "--save-corrupted", str(bad), "--no-progress"])
    assert rc == 0
    restored, corrupted, clean = read_image(out), read_image(bad), _smooth_image()
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
    clean = _smooth_image(color=False)
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
        write_image(src / rel, _smooth_image(seed=len(rel)))
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
    write_image(src, _smooth_image())
    assert main(["restore", str(src), "-o", str(tmp_path / "o.png"), "--no-progress"] + extra) == 2
    assert "error" in capsys.readouterr().err


def test_missing_input_and_mask_size_mismatch(tmp_path):
    assert main(["restore", str(tmp_path / "nope.png"), "-o", str(tmp_path / "o.png"), "--corrupt", "0.5"]) == 2
    write_image(tmp_path / "i.png", _smooth_image())
    write_image(tmp_path / "m.png", np.zeros((5, 5), np.uint8))
    assert main(["restore", str(tmp_path / "i.png"), "-o", str(tmp_path / "o.png"), "--mask", str(tmp_path / "m.png"),
                 "--no-progress"]) == 2
    assert not (tmp_path / "o.png").exists()


# ----------------------------------------------------------------------------- issue 22
def test_restore_folder_runs_hold_the_lock_and_a_job_record(tmp_path, rng, capsys):
    """Two folder runs into one OUT with different seeds: the second is refused (it used to
    exit 0 and overwrite the first one's outputs)."""
    from pixelgrad.io.outdir import JOB_NAME, LOCK_NAME, out_lock

    src, out = tmp_path / "in", tmp_path / "out"
    write_image(src / "a.png", _img(rng, 16, 16))
    args = ["restore", str(src), "-o", str(out), "--corrupt", "0.3", "--method", "harmonic",
            "--no-progress"]
    assert main(args) == 0 and (out / JOB_NAME).is_file()
    first = (out / "a.png").read_bytes()
    assert main(args + ["--seed", "9"]) == 2
    _one_error_line(capsys, "different job", "seed")
    assert (out / "a.png").read_bytes() == first
    assert main(args + ["--method", "biharmonic"]) == 2        # another method: another job
    _one_error_line(capsys, "different job")
    assert main(args) == 0                                       # the same job again: fine
    with out_lock(out):                                          # a live run holds OUT
        assert main(args) == 2
        _one_error_line(capsys, "in use", LOCK_NAME)


@pytest.mark.parametrize("record", ["null", "[]", "3"])
def test_restore_job_record_that_is_not_an_object_is_refused(tmp_path, rng, capsys, record):
    from pixelgrad.io.outdir import JOB_NAME

    src, out = tmp_path / "in", tmp_path / "out"
    write_image(src / "a.png", _img(rng, 16, 16))
    out.mkdir()
    (out / JOB_NAME).write_text(record)
    assert main(["restore", str(src), "-o", str(out), "--corrupt", "0.3", "--no-progress"]) == 2
    _one_error_line(capsys, JOB_NAME, "JSON object")
    assert (out / JOB_NAME).read_text() == record and not (out / "a.png").exists()


def test_restore_in_inside_out_and_in_place_restore_every_image(tmp_path, rng, capsys):
    """`restore out/in -o out` and `restore in -o in --overwrite` reported "0 restored"."""
    out = tmp_path / "out"
    write_image(out / "in" / "a.png", _img(rng, 16, 16))
    assert main(["restore", str(out / "in"), "-o", str(out), "--corrupt", "0.3", "--no-progress",
                 "--method", "harmonic"]) == 0
    assert "1 restored" in capsys.readouterr().out and (out / "a.png").is_file()
    same = tmp_path / "same"
    write_image(same / "b.png", _img(rng, 16, 16))
    before = (same / "b.png").read_bytes()
    assert main(["restore", str(same), "-o", str(same), "--overwrite", "--corrupt", "0.3",
                 "--no-progress", "--method", "harmonic"]) == 0
    assert "1 restored" in capsys.readouterr().out and (same / "b.png").read_bytes() != before


@pytest.mark.parametrize("task", ["denoise", "deblur", "inpaint"])
def test_restore_refuses_int16_images(tmp_path, capsys, task):
    """int16 images were written back as uint8 garbage with rc 0 ("noise 7217")."""
    import numpy as np
    import cv2

    img = (np.arange(16 * 16, dtype=np.int16).reshape(16, 16) * 100 - 12000)
    cv2.imwrite(str(tmp_path / "a.tif"), img)
    extra = {"denoise": [], "deblur": ["--blur-sigma", "1"], "inpaint": ["--corrupt", "0.3"]}[task]
    rc = main(["restore", str(tmp_path / "a.tif"), "-o", str(tmp_path / "b.tif"), "--task", task,
               "--no-progress", *extra])
    assert rc == 2 and not (tmp_path / "b.tif").exists()
    line = _one_error_line(capsys, "a.tif")
    assert "int16" in line or "dtype" in line


@pytest.mark.parametrize("flag", [["--noise", "1e300"], ["--noise", "-1"], ["--noise", "nan"],
                                  ["--blur-sigma", "inf"], ["--blur-sigma", "0"],
                                  ["--motion", "nan", "0.3"], ["--seed", str(10 ** 23)]])
def test_restore_numeric_flags_are_refused_naming_the_flag(tmp_path, rng, capsys, flag):
    write_image(tmp_path / "a.png", _img(rng, 16, 16))
    task = ["--task", "denoise"] if flag[0] == "--noise" else \
        ["--task", "deblur"] if flag[0] != "--seed" else ["--corrupt", "0.3"]
    assert main(["restore", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png"), *task,
                 *flag, "--no-progress"]) == 2
    _one_error_line(capsys, flag[0])
    assert not (tmp_path / "b.png").exists()


def test_write_errors_name_the_output(tmp_path, monkeypatch):
    """ENOSPC used to be reported as "[Errno 28] No space left on device", naming no path."""
    import errno
    import os

    from pixelgrad.io.atomic import atomic_write

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", lambda fd: None)
    import pixelgrad._atomic as at

    real = at.os.fdopen

    class Full:
        def __init__(self, *a, **k):
            self.fh = real(*a, **k)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            full(None, data)

    monkeypatch.setattr(at.os, "fdopen", Full)
    with pytest.raises(OSError) as info:
        atomic_write(tmp_path / "o.png", b"x")
    assert str(tmp_path / "o.png") in str(info.value) and info.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []


def test_deblur_and_denoise_simulate_with_their_own_noise_flag(tmp_path, capsys):
    """Issue 21: `--corrupt FRACTION` silently doubled as the noise level of deblur/denoise."""
    from pixelgrad.cli.main import build_parser

    img = _smooth_image(32, 32)
    write_image(tmp_path / "a.png", img)
    base = ["restore", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png"), "--no-progress"]
    assert main(base + ["--task", "denoise", "--corrupt", "0.05"]) == 2
    _one_error_line(capsys, "--corrupt", "--add-noise")
    assert main(base + ["--task", "inpaint", "--add-noise", "0.05"]) == 2
    _one_error_line(capsys, "--add-noise")
    assert main(base + ["--task", "denoise", "--add-noise", "0.05"]) == 0
    assert "PSNR" in capsys.readouterr().out
    assert main(base + ["--task", "deblur", "--blur-sigma", "1.5", "--add-noise", "0.01",
                        "--save-corrupted", str(tmp_path / "c.png")]) == 0
    assert "PSNR" in capsys.readouterr().out and (tmp_path / "c.png").is_file()
    help_text = build_parser().format_help()
    assert "deblur" in help_text and "denoise" in help_text


# ----------------------------------------------------------------------------- --kernel / --save-kernel
def _deblur_args(tmp_path, name="a.png"):
    return ["restore", str(tmp_path / name), "--task", "deblur", "--no-progress", "--noise", "0.01",
            "--method", "wiener"]


def _sharp_image():
    yy, xx = np.mgrid[0:40, 0:36]
    board = ((yy // 6 + xx // 6) % 2).astype(np.float64)
    return np.round(np.stack([0.2 + 0.6 * board, 0.8 - 0.6 * board, 0.5 + 0.2 * board], -1) * 255).astype(np.uint8)


def _blurred_input(tmp_path, rng):
    import torch

    import pixelgrad as pg

    img = _sharp_image()
    g = torch.Generator().manual_seed(int(rng.integers(2 ** 31)))
    k = pg.kernels.camera_shake(9, g)
    y, _ = pg.restore.corrupt.blur(img.astype(np.float64) / 255.0, kernel=k, noise=0.002, generator=g)
    write_image(tmp_path / "a.png", np.round(np.clip(y, 0, 1) * 255).astype(np.uint8))
    return k


def test_save_kernel_then_kernel_round_trip(tmp_path, rng):
    """The PSF written by --save-kernel, read back by --kernel, deblurs to the same image
    (within the uint8 rounding of the kernel)."""
    from pixelgrad.cli.restore import read_kernel

    _blurred_input(tmp_path, rng)
    assert main(_deblur_args(tmp_path) + ["--motion", "7", "0.4", "-o", str(tmp_path / "r1.png"),
                                          "--save-kernel", str(tmp_path / "k.png")]) == 0
    saved = read_image(tmp_path / "k.png")
    assert saved.dtype == np.uint8 and saved.ndim == 2 and saved.max() == 255
    assert saved.shape[0] % 2 == 1 and saved.shape[1] % 2 == 1
    assert main(_deblur_args(tmp_path) + ["--kernel", str(tmp_path / "k.png"), "-o", str(tmp_path / "r2.png"),
                                          "--save-kernel", str(tmp_path / "k2.png")]) == 0
    np.testing.assert_array_equal(read_image(tmp_path / "k2.png"), saved)   # a fixed point
    r1 = read_image(tmp_path / "r1.png").astype(int)
    r2 = read_image(tmp_path / "r2.png").astype(int)
    assert np.abs(r1 - r2).max() <= 3 and np.abs(r1 - r2).mean() < 0.5
    k = read_kernel(tmp_path / "k.png")
    assert abs(k.sum() - 1) < 1e-12 and (k >= 0).all()


def test_kernel_flag_is_the_library_deblur_with_the_normalised_psf(tmp_path, rng):
    import pixelgrad as pg

    k = _blurred_input(tmp_path, rng)
    psf16 = np.round(k.numpy() / float(k.max()) * 65535).astype(np.uint16)     # any bit depth
    write_image(tmp_path / "psf.png", psf16)
    assert main(_deblur_args(tmp_path) + ["--kernel", str(tmp_path / "psf.png"), "-o", str(tmp_path / "r.png")]) == 0
    psf = psf16.astype(np.float64) / psf16.astype(np.float64).sum()
    y = read_image(tmp_path / "a.png").astype(np.float32) / 255.0
    ref = pg.restore.deblur(y, kernel=psf, noise=0.01, method="wiener").image
    expect = np.clip(np.round(ref.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(read_image(tmp_path / "r.png"), expect)
    # and it did deblur: closer to the clean image than the blurred input
    clean = _sharp_image().astype(float)
    assert np.abs(read_image(tmp_path / "r.png") - clean).mean() < np.abs(read_image(tmp_path / "a.png") - clean).mean()


@pytest.mark.parametrize("case", ["color", "even", "zero", "negative", "missing"])
def test_bad_kernel_files_are_refused_naming_the_flag(tmp_path, rng, capsys, case):
    write_image(tmp_path / "a.png", _img(rng, 16, 16))
    psf = tmp_path / ("psf.tif" if case == "negative" else "psf.png")
    if case == "color":
        write_image(psf, _img(rng, 5, 5))
    elif case == "even":
        write_image(psf, _img(rng, 5, 4, c=0))
    elif case == "zero":
        write_image(psf, np.zeros((5, 5), np.uint8))
    elif case == "negative":
        write_image(psf, np.array([[0.1, -0.2, 0.1]] * 3, np.float32))
    assert main(_deblur_args(tmp_path) + ["--kernel", str(psf), "-o", str(tmp_path / "r.png")]) == 2
    _one_error_line(capsys, "--kernel", str(psf))
    assert not (tmp_path / "r.png").exists()


@pytest.mark.parametrize("flags, needles", [
    (["--kernel-size", "4", "--blur-sigma", "1"], ["--kernel-size", "odd"]),
    (["--kernel-size", "1", "--blur-sigma", "1"], ["--kernel-size", "odd"]),
    (["--kernel-size", "9", "--blur-sigma", "1"], ["--kernel-size", "--blur-sigma"]),
    (["--kernel", "K", "--blur-sigma", "1"], ["--kernel", "--blur-sigma"]),
    (["--kernel", "K", "--task", "denoise"], ["--kernel", "--task deblur"]),
    (["--kernel-size", "9", "--task", "denoise"], ["--kernel-size", "--task deblur"]),
    (["--save-kernel", "k.xyz", "--blur-sigma", "1"], ["--save-kernel", "k.xyz"]),
    (["--save-kernel", "IN", "--blur-sigma", "1"], ["--save-kernel", "--overwrite"]),
    (["--kernel", "K", "-o", "K", "--blur-sigma", "1"], ["--kernel", "--blur-sigma"]),
    (["--kernel", "K", "-o", "K"], ["-o", "--kernel", "--overwrite"]),
])
def test_kernel_flags_usage_errors(tmp_path, rng, capsys, flags, needles):
    write_image(tmp_path / "a.png", _img(rng, 16, 16))
    write_image(tmp_path / "k.png", np.full((3, 3), 9, np.uint8))
    before = (tmp_path / "a.png").read_bytes(), (tmp_path / "k.png").read_bytes()
    sub = {"K": str(tmp_path / "k.png"), "IN": str(tmp_path / "a.png"), "k.xyz": str(tmp_path / "k.xyz")}
    flags = [sub.get(f, f) for f in flags]
    args = ["restore", str(tmp_path / "a.png"), "--no-progress"]
    if "--task" not in flags:
        args += ["--task", "deblur"]
    if "-o" not in flags:
        args += ["-o", str(tmp_path / "r.png")]
    assert main(args + flags) == 2
    _one_error_line(capsys, *needles)
    assert ((tmp_path / "a.png").read_bytes(), (tmp_path / "k.png").read_bytes()) == before
    assert not (tmp_path / "r.png").exists() and not (tmp_path / "k.xyz").exists()


def test_save_kernel_is_single_image_only(tmp_path, rng, capsys):
    write_image(tmp_path / "in" / "a.png", _img(rng, 16, 16))
    assert main(["restore", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--task", "deblur",
                 "--blur-sigma", "1", "--save-kernel", str(tmp_path / "k.png"), "--no-progress"]) == 2
    _one_error_line(capsys, "--save-kernel")
    assert not (tmp_path / "k.png").exists()


def test_kernel_size_is_parsed_and_help_names_the_tasks():
    from pixelgrad.cli.main import build_parser

    args = build_parser().parse_args(["restore", "a.png", "-o", "b.png", "--task", "deblur", "--kernel-size", "15"])
    assert args.kernel_size == 15 and args.kernel is None and args.save_kernel is None
    top = " ".join(build_parser().format_help().split())
    assert "restore inpaint, deblur or denoise" in top
