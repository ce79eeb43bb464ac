"""Reading and writing images (io.images, io.header) from hostile files: huge declared
sizes, TIFF headers, animated / multi-page files, EXIF orientation, gray + alpha."""
from __future__ import annotations

import os

from PIL import Image, ImageOps
import numpy as np
import pytest

import pixelgrad.augment as A
from pixelgrad.cli.main import main
from pixelgrad.io.header import image_header
from pixelgrad.io.images import read_image, write_image
from tests._hostile import png_declaring, run_limited


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
