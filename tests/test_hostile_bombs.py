"""Hostile inputs, resource bombs and formats (issue 14): each test builds its hostile input on
the fly. Memory-bound checks run in a subprocess under an address-space limit
(``resource.setrlimit(RLIMIT_AS)``: the imports' size plus a budget), so a regression fails
with MemoryError instead of taking the machine down.

Classes: images that declare huge sizes (refused from the header), kernels for any sigma /
length (bounded, exact for ordinary sizes), parameter bounds and YAML limits at config load,
huge finite parameters of illumination ops, the clamp rule for float images, EXIF
orientation, animated / multi-page files, gray+alpha, alpha and float TIFF through restore,
float previews in the gallery.
"""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

import pixelgrad as pg
import pixelgrad.augment as A
from pixelgrad.cli.main import main
from pixelgrad.io.header import image_header
from pixelgrad.io.images import read_image, write_image
from pixelgrad.kernels import fold, motion


def run_limited(code: str, budget_mb: int = 1024, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter whose address space is limited to what its imports
    took plus ``budget_mb``; returns the finished process (stdout/stderr as text)."""
    prelude = textwrap.dedent(f"""
        import resource
        import numpy, torch, cv2, PIL.Image, yaml
        import pixelgrad, pixelgrad.augment, pixelgrad.io
        with open('/proc/self/status') as fh:
            vm = int(fh.read().split('VmSize:')[1].split()[0]) * 1024
        lim = vm + {int(budget_mb)} * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    """)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
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


# ----------------------------------------------------------------------------- size bombs
def test_an_image_declaring_a_huge_size_is_refused_from_its_header(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_declaring(30000, 30000))       # 2.7 GB decoded, a few hundred bytes here
    res = run_limited(f"""
        from pixelgrad.io import read_image
        try:
            read_image({str(bomb)!r})
        except ValueError as exc:
            print("REFUSED", exc)
    """, budget_mb=512)
    assert res.returncode == 0, res.stderr
    assert "REFUSED" in res.stdout and "max_pixels" in res.stdout and "bomb.png" in res.stdout


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


def test_tiff_headers_pillow_cannot_open_are_still_read(tmp_path):
    import cv2

    img = np.linspace(-498, 498, 20 * 30 * 3, dtype=np.float32).reshape(20, 30, 3)
    ok, buf = cv2.imencode(".tif", img)
    assert ok
    h = image_header(buf.tobytes())
    assert (h.width, h.height, h.frames) == (30, 20, 1)
    write_image(tmp_path / "f.tif", img)
    assert np.array_equal(read_image(tmp_path / "f.tif"), img)


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "WEBP"])
def test_animated_and_multipage_files_are_refused_with_a_message(tmp_path, fmt):
    frames = [Image.new("RGB", (8, 8), (40 * i, 0, 0)) for i in range(3)]
    path = tmp_path / f"anim.{fmt.lower()}"
    frames[0].save(path, fmt, save_all=True, append_images=frames[1:])
    with pytest.raises(ValueError, match="3 frames"):
        read_image(path)


# ----------------------------------------------------------------------------- kernels
@pytest.mark.parametrize("border", ["circular", "reflect", "symmetric", "replicate", "constant"])
def test_closed_form_fold_equals_the_exact_fold(border, rng, monkeypatch):
    n = int(rng.integers(1, 9))
    sigma = float(rng.uniform(300, 2000))
    exact = fold.folded_gaussian1d(sigma, 4.0, n, border)         # below the threshold: exact
    monkeypatch.setattr(fold, "_CLOSED_FORM_TAPS", 0)
    assert fold._use_closed_form(sigma, fold.gaussian_radius(sigma, 4.0), n, border)
    closed = fold.folded_gaussian1d(sigma, 4.0, n, border)
    assert closed.shape == exact.shape
    np.testing.assert_allclose(closed.numpy(), exact.numpy(), rtol=1e-12, atol=1e-18)


def test_kernels_are_bounded_for_any_sigma_and_length():
    res = run_limited("""
        import torch, pixelgrad as pg
        from pixelgrad import augment as A
        x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
        for s in (1e9, 1e12, 1e300):
            for b in ("reflect", "circular", "symmetric", "replicate", "constant"):
                y = pg.gaussian_blur(x, sigma=s, border=b)
                assert torch.isfinite(y).all(), (s, b)
        y = pg.gaussian_blur(x, sigma=1e12, border="circular")
        err = (y - x.mean(dim=(-2, -1), keepdim=True)).abs().max().item()
        assert err < 1e-6, err          # a kernel far wider than the image: the image mean
        y = A.RandomMotionBlur(p=1.0, length=1e4)(x, generator=torch.Generator().manual_seed(1))
        assert torch.isfinite(y).all()
        y = pg.box_blur(x, size=10 ** 9 + 1)
        assert torch.isfinite(y).all()
        print("OK")
    """, budget_mb=1024)
    assert res.returncode == 0 and "OK" in res.stdout, res.stderr[-2000:]


@pytest.mark.parametrize("L,angle,direction,border", [(301.3, 0.7, 0.0, "reflect"),
                                                       (401.0, 0.0, 0.5, "circular"),
                                                       (250.5, 2.1, -0.3, "constant"),
                                                       (151.0, 1.0, 0.0, "replicate")])
def test_sparse_motion_kernel_equals_the_dense_one(L, angle, direction, border, rng):
    H, W = (int(v) for v in rng.integers(3, 30, 2))
    dense = fold.folded_kernel2d(motion.motion_kernel2d(L, angle, direction), H, W, border)
    sparse = motion.sparse_folded_motion_kernel(L, angle, direction, H, W, border)
    np.testing.assert_allclose(sparse.numpy(), dense.numpy(), rtol=0, atol=1e-15)


def test_unbuildable_kernels_fail_cleanly():
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises(ValueError, match="sigma"):
        pg.gaussian_blur(x, sigma=1e308)
    with pytest.raises(ValueError, match="rotated kernel"):
        pg.gaussian_blur(x, sigma=(1e5, 1.0), angle=0.3)
    with pytest.raises(ValueError, match="length"):
        motion.motion_kernel_for_image(1e300, 0.3, 0.0, 8, 8, "reflect")


# ----------------------------------------------------------------------------- config load
@pytest.mark.parametrize("text,needle", [
    ("type: RandomGaussianBlur\nsigma: [0.1, 1.0e+300]\n", "sigma"),
    ("type: RandomGaussianBlur\nsigma: .nan\n", "sigma"),
    ("type: RandomMotionBlur\nlength: [3, 1.0e+5]\n", "length"),
    ("type: Compose\ntransforms:\n  - type: RandomShear\n    sx: [-1.0e+12, 0.1]\n", "transforms[0].sx"),
    ("type: RandomGaussianBlur\np: 7\n", "p"),
])
def test_absurd_parameters_are_refused_at_config_load(tmp_path, text, needle, capsys):
    cfg = tmp_path / "p.yaml"
    cfg.write_text(text)
    with pytest.raises(ValueError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        A.load(cfg)
    write_image(tmp_path / "in" / "a.png", np.zeros((4, 4), np.uint8))
    assert main(["augment", str(tmp_path / "in"), str(tmp_path / "out"), "-c", str(cfg), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(cfg) in err[0]


def test_yaml_alias_bomb_and_deep_nesting_are_refused_in_bounded_memory(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi"):
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    assert len(bomb) < 500
    (tmp_path / "bomb.yaml").write_text(bomb)
    (tmp_path / "deep.yaml").write_text("[" * 3000 + "]" * 3000)
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    res = run_limited(f"""
        from pixelgrad import augment as A
        for name in ("bomb.yaml", "deep.yaml", "deep.json"):
            try:
                A.load({str(tmp_path)!r} + "/" + name)
            except ValueError as exc:
                assert len(str(exc)) < 400, len(str(exc))
                print(name, "REFUSED", exc)
    """, budget_mb=256, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("REFUSED") == 3, res.stdout


# ----------------------------------------------------------------------------- illumination
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.uint8, torch.float16])
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
def test_huge_finite_illumination_parameters_give_finite_results(dtype, mode, rng):
    x = torch.from_numpy(rng.random((2, 3, 5, 7))).to(dtype) if dtype.is_floating_point else \
        torch.from_numpy(rng.integers(0, 256, (2, 3, 5, 7), dtype=np.uint8))
    for a, b in [(1e100, 0.1), (-1e300, 1e300), (0.1, -1e200)]:
        y = pg.linear_gradient(x, a=a, b=b, alpha=0.1, mode=mode)
        assert y.dtype == x.dtype and bool(torch.isfinite(y.to(torch.float64)).all()), (a, b)
    y = pg.corner_gradient(x, 0, 0.1, strength=1e300, mode=mode)
    assert bool(torch.isfinite(y.to(torch.float64)).all())


@pytest.mark.parametrize("op", ["linear", "corner", "radial", "spot"])
def test_float_images_keep_their_own_range_through_illumination(op, rng):
    x = torch.from_numpy(rng.uniform(-498, 498, (2, 3, 16, 12)).astype(np.float32))
    unit = torch.from_numpy(rng.random((2, 3, 16, 12)).astype(np.float32))
    call = {"linear": lambda t, c: pg.linear_gradient(t, a=0.8, b=-0.4, alpha=0.3, clamp=c),
            "corner": lambda t, c: pg.corner_gradient(t, 1, 0.3, clamp=c),
            "radial": lambda t, c: pg.radial_gradient(t, alpha=0.5, mode="add", clamp=c),
            "spot": lambda t, c: pg.gaussian_spot(t, alpha=0.5, mode="add", strength=2.0, clamp=c)}[op]
    for img in (x, unit):
        raw = call(img, False)
        lo = img.amin(dim=(1, 2, 3), keepdim=True).clamp(max=0.0)
        hi = img.amax(dim=(1, 2, 3), keepdim=True).clamp(min=1.0)
        torch.testing.assert_close(call(img, True), torch.clamp(raw, lo, hi), rtol=0, atol=0)
    y = call(x, True)
    assert y.min() < -300 and y.max() > 300                     # never squeezed into [0, 1]


# ----------------------------------------------------------------------------- formats
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_as_viewers_do(tmp_path, rng, orientation):
    arr = rng.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    im = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "in" / "o.png"
    path.parent.mkdir()
    im.save(path, "PNG", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)))
    got = read_image(path)
    assert np.array_equal(got, expected)
    if orientation == 6:   # through augment: the output is upright and carries no orientation
        cfg = tmp_path / "p.yaml"
        A.save(A.RandomGaussianBlur(p=0.0), cfg)
        assert main(["augment", str(path.parent), str(tmp_path / "out"), "-c", str(cfg), "-q"]) == 0
        out = Image.open(tmp_path / "out" / "o.png")
        assert out.getexif().get(0x0112, 1) == 1
        assert np.array_equal(np.asarray(out), expected)


def test_float_tiff_keeps_its_range_through_an_illumination_pipeline(tmp_path, rng):
    img = rng.uniform(-498, 498, (24, 20, 3)).astype(np.float32)
    write_image(tmp_path / "in" / "f.tif", img)
    cfg = tmp_path / "p.yaml"
    A.save(A.Compose([A.RandomGradient(p=1.0, alpha=(0.05, 0.1)), A.RandomGaussianBlur(p=1.0, sigma=0.7)]), cfg)
    assert main(["augment", str(tmp_path / "in"), str(tmp_path / "out"), "-c", str(cfg), "-q"]) == 0
    out = read_image(tmp_path / "out" / "f.tif")
    assert out.dtype == np.float32 and out.shape == img.shape
    assert out.min() < -250 and out.max() > 250


def test_gray_alpha_stays_gray_alpha(tmp_path, rng):
    arr = rng.integers(0, 256, (9, 7, 2), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "la.png")
    assert Image.open(tmp_path / "la.png").mode == "LA"
    src = tmp_path / "in"
    src.mkdir()
    os.replace(tmp_path / "la.png", src / "la.png")
    assert read_image(src / "la.png").shape == (9, 7, 2)
    cfg = tmp_path / "p.yaml"
    A.save(A.RandomGaussianBlur(p=1.0, sigma=1.0), cfg)
    assert main(["augment", str(src), str(tmp_path / "out"), "-c", str(cfg), "-q"]) == 0
    out = Image.open(tmp_path / "out" / "la.png")
    assert out.mode == "LA"
    assert np.array_equal(np.asarray(out)[..., 1], arr[..., 1])   # alpha untouched


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


def test_gallery_previews_float_images_in_their_own_range(rng):
    from pixelgrad.cli.gallery import thumbnail_uri, to_uint8_preview

    img = rng.uniform(-498, 498, (16, 16, 3)).astype(np.float32)
    prev = to_uint8_preview(img)
    assert prev.dtype == np.uint8 and len(np.unique(prev)) > 50     # not clipped to 0 / 255
    order = np.argsort(img, axis=None)
    assert np.all(np.diff(prev.reshape(-1)[order].astype(int)) >= 0)  # monotone in the value
    unit = rng.random((4, 4)).astype(np.float32)
    assert np.array_equal(to_uint8_preview(unit), np.rint(unit * 255).astype(np.uint8))
    assert thumbnail_uri(img, 8).startswith("data:image/png;base64,")


def test_the_per_image_path_stays_within_its_documented_memory_budget(tmp_path):
    """decode + example pipeline (every transform at p = 1) + encode of a 1024 x 1024 RGB image
    under an address-space limit of 40 x its decoded size (docs/scale.md measures ~28 x)."""
    res = run_limited(f"""
        import os, numpy as np, pixelgrad as pg, pixelgrad.augment as A
        from pixelgrad.io.batch_apply import apply_pipeline
        from pixelgrad.io.images import encode_image, read_image, write_image
        path = {str(tmp_path / "big.png")!r}
        write_image(path, np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8))
        pipe = A.load(os.path.join(os.path.dirname(pg.__file__), "data", "example_pipeline.yaml"))
        for t in pipe.modules():
            if isinstance(getattr(t, "p", None), float):
                t.p = 1.0
        for seed in range(3):
            out = apply_pipeline(pipe, [read_image(path)], [seed])[0]
            assert not isinstance(out, BaseException), repr(out)
            encode_image(out[0], ".png")
        print("OK")
    """, budget_mb=40 * 3, timeout=300)
    assert res.returncode == 0 and "OK" in res.stdout, res.stderr[-2000:]
