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
    with pytest.raises(ValueError, match="several frames"):
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


# ----------------------------------------------------------------------------- issue 22
def _oriented(arr: np.ndarray, orientation: int) -> np.ndarray:
    """What a viewer shows for stored pixels ``arr`` and an EXIF orientation, by numpy alone."""
    return {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1],
            4: lambda a: a[::-1], 5: lambda a: a.swapaxes(0, 1),
            6: lambda a: np.rot90(a, -1), 7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
            8: lambda a: np.rot90(a, 1)}[orientation](arr)


_ORIENTED_FORMATS = {               # name: (Pillow format, save options, stored pixels, atol)
    "tiff": ("TIFF", {}, "rgb", 0),
    "tiff_lzw": ("TIFF", {"compression": "tiff_lzw"}, "rgb", 0),
    "tiff16": ("TIFF", {}, "gray16", 0),
    "jpeg": ("JPEG", {"quality": 100}, "blocks", 6),
    "png": ("PNG", {}, "rgb", 0),
    "webp": ("WEBP", {"lossless": True}, "rgb", 0),
}


@pytest.mark.parametrize("fmt", sorted(_ORIENTED_FORMATS))
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_exactly_once_for_every_format(tmp_path, rng, fmt, orientation):
    """Issue 22.1: OpenCV's TIFF decoder already turns the image, read_image turned it again."""
    pil_fmt, opts, kind, atol = _ORIENTED_FORMATS[fmt]
    if kind == "blocks":        # JPEG is lossy: gray 16 x 16 flat blocks of distinct levels
        arr = np.kron(rng.permutation(15).reshape(3, 5).astype(np.uint8) * 17, np.ones((16, 16), np.uint8))
        im = Image.fromarray(arr)
    elif kind == "gray16":
        arr = rng.integers(0, 65536, (6, 10), dtype=np.uint16)
        im = Image.frombytes("I;16", (10, 6), arr.astype("<u2").tobytes())
    else:
        arr = rng.integers(0, 256, (6, 10, 3), dtype=np.uint8)
        im = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o.{pil_fmt.lower()}"
    im.save(path, pil_fmt, exif=exif, **opts)
    assert image_header(path.read_bytes()).orientation == orientation
    got = read_image(path)
    want = _oriented(arr, orientation)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.abs(got.astype(np.int64) - want).max() <= atol


def _tiff_pages(n: int) -> bytes:
    """A TIFF of ``n`` one-pixel 8-bit gray pages (a 60,000-page one is 6 MB)."""
    import struct

    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    ifd = 2 + 12 * 8 + 4
    for i in range(n):
        data = len(out) + ifd
        tags = [(256, 3, 1), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, data),
                (278, 3, 1), (279, 4, 1)]
        out += struct.pack("<H", len(tags))
        for tag, typ, val in tags:
            out += struct.pack("<HHI", tag, typ, 1) + struct.pack("<HH" if typ == 3 else "<I",
                                                                  *((val, 0) if typ == 3 else (val,)))
        out += struct.pack("<I", data + 2 if i < n - 1 else 0) + b"\x80\x00"
    return bytes(out)


@pytest.mark.parametrize("fmt", ["TIFF", "GIF", "WEBP", "PNG"])
def test_frame_counting_stops_at_the_second_frame(tmp_path, monkeypatch, fmt):
    """Issue 22.2: a 6 MB TIFF of 60,000 one-pixel pages spent 14.6 s counting its pages
    (Pillow's n_frames walks the whole chain, quadratically) before being refused. The work
    is now counted in seeks: at most one past the first frame, whatever the frame count."""
    from PIL import GifImagePlugin, PngImagePlugin, TiffImagePlugin, WebPImagePlugin

    from pixelgrad.io import header as header_mod

    cls = {"TIFF": TiffImagePlugin.TiffImageFile, "GIF": GifImagePlugin.GifImageFile,
           "WEBP": WebPImagePlugin.WebPImageFile, "PNG": PngImagePlugin.PngImageFile}[fmt]
    n = 3000 if fmt == "TIFF" else 300
    path = tmp_path / f"many.{fmt.lower()}"
    if fmt == "TIFF":
        path.write_bytes(_tiff_pages(n))
    else:
        frames = [Image.new("RGB", (2, 2), (i % 256, i // 256, 0)) for i in range(n)]
        frames[0].save(path, fmt, save_all=True, append_images=frames[1:], duration=10,
                       **({"lossless": True} if fmt == "WEBP" else {}))
    seeks = []
    real_seek = cls._seek
    monkeypatch.setattr(cls, "_seek", lambda self, frame, *a: (seeks.append(frame), real_seek(self, frame, *a))[1])
    data = path.read_bytes()
    assert image_header(data).frames == 2
    assert max(seeks, default=0) <= 1, f"{fmt}: seeked to frame {max(seeks)}"
    with pytest.raises(ValueError, match="several frames"):
        read_image(path)
    if fmt == "TIFF":                      # the IFD reader used for TIFFs Pillow cannot open
        assert header_mod._tiff_header(data).frames == 2
        assert header_mod._tiff_header(_tiff_pages(1)).frames == 1


def test_gray_alpha_stays_two_channels_at_16_bits(tmp_path, rng):
    """Issue 22.3: a 16-bit gray+alpha PNG came back as RGBA (Pillow reports it as RGBA)."""
    arr = rng.integers(0, 65536, (9, 7, 2), dtype=np.uint16)
    write_image(tmp_path / "la16.png", arr)
    import cv2

    assert cv2.imread(str(tmp_path / "la16.png"), cv2.IMREAD_UNCHANGED).shape == (9, 7, 4)
    assert image_header((tmp_path / "la16.png").read_bytes()).mode == "LA"
    back = read_image(tmp_path / "la16.png")
    assert back.dtype == np.uint16 and np.array_equal(back, arr)


def test_gray_alpha_tiff_keeps_its_alpha(tmp_path, rng):
    """Issue 22.3: OpenCV reads an LA TIFF as gray only, dropping the alpha channel."""
    arr = rng.integers(0, 256, (9, 7, 2), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "la.tif")
    back = read_image(tmp_path / "la.tif")
    assert back.shape == (9, 7, 2) and np.array_equal(back, arr)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint32"])
@pytest.mark.parametrize("channels", [1, 3])
def test_other_sample_types_are_refused_naming_path_and_dtype(tmp_path, dtype, channels):
    """Issue 22.3: int16 / int32 TIFFs came back as int16 / int32 (3-channel ones raised a
    cv2.error) although read_image promises uint8, uint16 or float32."""
    import cv2

    arr = (np.arange(6 * channels).reshape(2, 3, channels) * 3).astype(dtype).squeeze()
    ok, buf = cv2.imencode(".tif", arr)
    assert ok
    (tmp_path / "s.tif").write_bytes(buf.tobytes())
    with pytest.raises(ValueError, match=rf"read_image: .*s\.tif holds {dtype} samples; expected"):
        read_image(tmp_path / "s.tif")


def test_float64_tiffs_are_read_as_float32(tmp_path):
    """Issue 22.3: float64 TIFFs came back as float64; now float32 (rounded to nearest), and
    refused when a value does not fit float32."""
    import cv2

    arr = np.array([[0.1, -2.5, 1e30], [np.nan, np.inf, 1 / 3]], np.float64)
    (tmp_path / "f.tif").write_bytes(cv2.imencode(".tif", arr)[1].tobytes())
    back = read_image(tmp_path / "f.tif")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, arr.astype(np.float32))
    arr[0, 0] = 1e300
    (tmp_path / "big.tif").write_bytes(cv2.imencode(".tif", arr)[1].tobytes())
    with pytest.raises(ValueError, match=r"big\.tif is a float64 image .* beyond float32"):
        read_image(tmp_path / "big.tif")
