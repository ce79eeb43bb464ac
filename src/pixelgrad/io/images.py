"""Read and write images as numpy ``(H, W[, C])`` arrays, keeping their bit depth.

Reading first reads the header (:mod:`pixelgrad.io.header`): an image that declares more than
``max_pixels`` pixels, or more than one frame (animated GIF/WebP/PNG, multi-page TIFF), is
refused before anything is decoded. Decoding uses OpenCV (``IMREAD_UNCHANGED``: 8/16-bit and
float32, gray/gray+alpha/RGB/RGBA) and returns RGB(A) order; the EXIF orientation is applied
as image viewers do, exactly once (the written outputs carry no orientation tag, so they display
the same). A gray+alpha (LA) file, 8 or 16 bit, stays ``(H, W, 2)`` and is written back as LA.
Arrays come back as uint8, uint16 or float32 (float16 / float64 files as float32); files of
other sample types (signed or 32-bit integers) are refused naming the path and the dtype.
Writing picks the format from the suffix and goes through :func:`atomic_write`.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from .atomic import atomic_write
from .identity import file_kind
from .header import DEFAULT_MAX_PIXELS, check_pixels, image_header

#: File suffixes read as images (lower case; matching is case-insensitive where used).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an image as its EXIF orientation tag asks a viewer to show it.

    Parameters
    ----------
    img : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)``.
    orientation : int
        EXIF tag 274, 1..8 (1: as stored; any other value: as stored).

    Returns
    -------
    numpy.ndarray
        A C-contiguous copy (or ``img`` itself for 1), flipped and/or turned by quarter turns:
        2 mirror left-right, 3 turn 180, 4 mirror top-bottom, 5 transpose, 6 turn 90 degrees
        clockwise, 7 transverse, 8 turn 90 degrees counter-clockwise.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, 2, 3], [4, 5, 6]])
    >>> apply_orientation(a, 6).tolist()
    [[4, 1], [5, 2], [6, 3]]
    >>> apply_orientation(a, 2).tolist()
    [[3, 2, 1], [6, 5, 4]]
    """
    ops = {1: (), 2: ("flipx",), 3: ("rot180",), 4: ("flipy",), 5: ("transpose",),
           6: ("rot90cw",), 7: ("transverse",), 8: ("rot90ccw",)}.get(int(orientation), ())
    for op in ops:
        if op == "flipx":
            img = img[:, ::-1]
        elif op == "flipy":
            img = img[::-1]
        elif op == "rot180":
            img = img[::-1, ::-1]
        elif op == "transpose":
            img = np.swapaxes(img, 0, 1)
        elif op == "rot90cw":
            img = np.swapaxes(img, 0, 1)[:, ::-1]
        elif op == "rot90ccw":
            img = np.swapaxes(img, 0, 1)[::-1]
        elif op == "transverse":
            img = np.swapaxes(img, 0, 1)[::-1, ::-1]
    return np.ascontiguousarray(img)


def read_image(path: str | os.PathLike, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image file as a numpy array, keeping its bit depth.

    Parameters
    ----------
    path : str or os.PathLike
        The file (any suffix: the content decides the format).
    max_pixels : int or None, default DEFAULT_MAX_PIXELS
        Refuse images that declare more pixels than this, from the header, before decoding
        (a decompression bomb never allocates). ``None``: no limit.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` in RGB(A) order (``C = 2`` for gray+alpha, 8 or 16 bit),
        dtype uint8, uint16 or float32 (:data:`READ_DTYPES`: a float16 or float64 file is
        returned as float32, float64 rounded to nearest), EXIF orientation applied once
        whichever decoder reads the format.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    IsADirectoryError, ValueError
        If ``path`` is a folder, or a FIFO, device, socket or dangling symlink (named in the
        message).
    ValueError
        Naming the path, if the file is empty, not a decodable image, declares more than
        ``max_pixels`` pixels, holds several frames or pages, holds samples of another
        dtype (signed or 32-bit integers, float64 beyond float32's range), or is a gray +
        alpha file whose alpha cannot be decoded.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> img = np.arange(24, dtype=np.uint16).reshape(2, 4, 3) * 2000       # 16-bit RGB
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_image(pathlib.Path(d) / "x.png", img)
    ...     back = read_image(pathlib.Path(d) / "x.png")
    >>> back.dtype, back.shape, bool((back == img).all())
    (dtype('uint16'), (2, 4, 3), True)
    """
    path = Path(path)
    if not path.is_file():
        if os.path.lexists(path):     # a folder, a FIFO, a device, a socket, a dangling link
            kind = file_kind(path)
            raise (IsADirectoryError if kind == "a folder" else ValueError)(
                f"read_image: argument `path` must be a regular image file, got {kind}: {path}")
        raise FileNotFoundError(f"read_image: no such file: {path}")
    data = np.fromfile(str(path), dtype=np.uint8)
    if not data.size:
        raise ValueError(f"read_image: cannot decode image file {path} (empty file)")
    header = image_header(data.tobytes(), path, max_pixels=max_pixels)
    check_pixels(header, max_pixels, path)
    if header.frames > 1:
        raise ValueError(f"read_image: {path} holds several frames/pages (animated or "
                         f"multi-page image); refused: extract the frames as separate files")
    if header.orientation != 1:
        # Some decoders turn the image themselves (OpenCV's TIFF reader does, whatever the
        # flags), others do not: the tag is set to 1 in the bytes handed to the decoder, so
        # every decoder returns the stored pixels and the turn is applied once, below.
        neutralize_orientation(data)
    try:
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise ValueError(f"read_image: cannot decode image file {path} "
                         f"({' '.join(str(exc).split())[:200]})") from None
    if header.mode == "LA" and img is not None and (img.ndim == 2 or img.shape[2] == 1):
        img = _decode_with_pillow(data, path)        # OpenCV dropped the alpha channel
    del data                                       # peak memory: the file bytes are done with
    if img is None:
        raise ValueError(f"read_image: cannot decode image file {path} (corrupt or unsupported format)")
    if max_pixels is not None and img.shape[0] * img.shape[1] > max_pixels:  # header lied
        raise ValueError(f"read_image: {path} decodes to {img.shape[1]}x{img.shape[0]} pixels, "
                         f"more than max_pixels = {int(max_pixels):,}")
    img = _documented_dtype(img, path)
    if img.ndim == 3 and img.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"read_image: {path} decodes to {img.shape[2]} channels; expected 1 "
                         f"(gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA)")
    if img.ndim == 3 and img.shape[2] == 3:                 # in place: no second image
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB, dst=img)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA, dst=img)
        if header.mode == "LA":                    # gray+alpha at any depth: 2 channels
            img = np.ascontiguousarray(img[..., [0, 3]])
    if header.orientation != 1:
        img = apply_orientation(img, header.orientation)
    return img


#: dtypes :func:`read_image` returns
READ_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))


def _documented_dtype(img: np.ndarray, path: Path) -> np.ndarray:
    """``img`` as one of :data:`READ_DTYPES`: float16 and float64 become float32 (float16
    exactly; float64 rounded to nearest, refused when a finite value overflows float32),
    any other dtype (signed or 32/64-bit integers, ...) is refused naming the path."""
    if img.dtype in READ_DTYPES:
        return img
    if img.dtype == np.float16:
        return img.astype(np.float32)
    if img.dtype == np.float64:
        finite = np.isfinite(img)
        big = float(np.abs(img, where=finite, out=np.zeros_like(img)).max()) if img.size else 0.0
        if big > float(np.finfo(np.float32).max):
            raise ValueError(f"read_image: {path} is a float64 image with values up to {big:.6g}, "
                             f"beyond float32's range; expected values that fit float32 (read "
                             f"images are uint8, uint16 or float32)")
        return img.astype(np.float32)
    raise ValueError(f"read_image: {path} holds {img.dtype} samples; expected uint8, uint16, "
                     f"float16, float32 or float64 (read images are uint8, uint16 or float32; "
                     f"convert the file, e.g. offset signed integers to unsigned)")


def _decode_with_pillow(data: np.ndarray, path: Path) -> np.ndarray:
    """A gray + alpha file OpenCV reads without its alpha (e.g. an LA TIFF), read by Pillow;
    refused when Pillow cannot give both channels."""
    from .header import _open_unbounded

    try:
        with _open_unbounded(data.tobytes()) as im:
            im.load()
            arr = np.asarray(im)
    except (OSError, ValueError, SyntaxError) as exc:
        arr, why = None, f"{type(exc).__name__}: {exc}"
    else:
        why = f"got mode {im.mode}"
    if arr is None or arr.ndim != 3 or arr.shape[2] != 2:
        raise ValueError(f"read_image: cannot decode the gray+alpha image {path} with its alpha "
                         f"channel ({why}); save it as a PNG")
    return np.ascontiguousarray(arr)


def neutralize_orientation(buf: np.ndarray) -> bool:
    """Set the EXIF orientation tag of an image file's bytes to 1 (as stored), in place.

    Parameters
    ----------
    buf : numpy.ndarray
        The whole file as a writable 1-D uint8 array: TIFF / BigTIFF (the tag of the first
        IFD), JPEG (``APP1`` Exif block), PNG (``eXIf`` chunk, CRC updated) or WebP
        (``EXIF`` chunk).

    Returns
    -------
    bool
        True if an orientation tag was found and set to 1.

    Notes
    -----
    :func:`read_image` calls it before decoding, so that decoders which apply the
    orientation themselves (OpenCV's TIFF reader) and those that do not (its PNG, JPEG and
    WebP readers with ``IMREAD_UNCHANGED``) all return the stored pixels; the orientation
    read from the header is then applied exactly once.

    Examples
    --------
    >>> import io, numpy as np
    >>> from PIL import Image
    >>> exif = Image.Exif(); exif[0x0112] = 6
    >>> f = io.BytesIO(); Image.new("RGB", (4, 2)).save(f, "PNG", exif=exif)
    >>> buf = np.frombuffer(f.getvalue(), np.uint8).copy()
    >>> neutralize_orientation(buf), Image.open(io.BytesIO(buf.tobytes())).getexif()[0x0112]
    (True, 1)
    """
    import struct
    import zlib

    from .header import _tiff_ifd0

    def patch(base: int, size: int) -> bool:
        block = buf[base:base + size].tobytes()
        ifd = _tiff_ifd0(block)
        if ifd is None or 274 not in ifd[0]:
            return False
        typ, _, at = ifd[0][274]
        width = {3: 2, 4: 4, 16: 8}.get(typ)
        if width is None or at + width > len(block):
            return False
        buf[base + at:base + at + width] = np.frombuffer(
            (1).to_bytes(width, "little" if ifd[1] == "<" else "big"), np.uint8)
        return True

    head = buf[:16].tobytes()
    n = buf.size
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return patch(0, n)
    if head[:2] == b"\xff\xd8":                                  # JPEG: markers up to SOS
        pos = 2
        while pos + 4 <= n and buf[pos] == 0xFF:
            marker = int(buf[pos + 1])
            if marker in (0xD9, 0xDA):
                break
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            length = int.from_bytes(buf[pos + 2:pos + 4].tobytes(), "big")
            if marker == 0xE1 and buf[pos + 4:pos + 10].tobytes() == b"Exif\x00\x00":
                return patch(pos + 10, length - 8)
            pos += 2 + length
        return False
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        pos = 8
        while pos + 8 <= n:
            length = int.from_bytes(buf[pos:pos + 4].tobytes(), "big")
            kind = buf[pos + 4:pos + 8].tobytes()
            if kind == b"eXIf":
                if not patch(pos + 8, length):
                    return False
                crc = zlib.crc32(buf[pos + 4:pos + 8 + length].tobytes())
                buf[pos + 8 + length:pos + 12 + length] = np.frombuffer(struct.pack(">I", crc), np.uint8)
                return True
            if kind == b"IEND":
                break
            pos += 12 + length
        return False
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        pos = 12
        while pos + 8 <= n:
            kind = buf[pos:pos + 4].tobytes()
            length = int.from_bytes(buf[pos + 4:pos + 8].tobytes(), "little")
            if kind == b"EXIF":
                skip = 6 if buf[pos + 8:pos + 14].tobytes() == b"Exif\x00\x00" else 0
                return patch(pos + 8 + skip, length - skip)
            pos += 8 + length + (length & 1)
        return False
    return False


def encode_image(img: np.ndarray, suffix: str) -> bytes:
    """Encode an image array to the bytes of a file format.

    Parameters
    ----------
    img : numpy.ndarray
        ``(H, W)`` gray, ``(H, W, 1)``, ``(H, W, 2)`` gray+alpha (uint8; uint16 as PNG only),
        ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA; uint8 or uint16 (float32 for TIFF).
    suffix : str
        The format, as a file suffix: ``".png"``, ``".jpg"``, ``".tif"``, ``".webp"``, ...

    Returns
    -------
    bytes
        The encoded file (OpenCV's default quality for lossy formats).

    Raises
    ------
    ValueError
        If the format cannot hold this dtype / channel count.

    Examples
    --------
    >>> import numpy as np
    >>> encode_image(np.zeros((4, 4, 3), np.uint8), ".png")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    arr = img
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3 and arr.shape[2] == 2:
        return _encode_la(arr, suffix)
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(suffix.lower(), arr)
    del arr                                        # peak memory: only the encoded bytes now
    if not ok:
        raise ValueError(f"encode_image: OpenCV cannot encode a {img.dtype} {img.shape} image as {suffix}")
    return buf.tobytes()


def _encode_la(arr: np.ndarray, suffix: str) -> bytes:
    """Gray + alpha ``(H, W, 2)`` uint8 as an LA PNG / TIFF / WebP (Pillow; OpenCV has no LA)."""
    import io

    from PIL import Image

    fmt = {".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}.get(suffix.lower())
    if arr.dtype == np.uint16 and fmt == "PNG":
        return _png_la16(arr)
    if arr.dtype != np.uint8 or fmt is None:
        raise ValueError(f"encode_image: a gray+alpha image must be uint8 written as .png, .tif "
                         f"or .webp, or uint16 written as .png, got {arr.dtype} as {suffix}")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return buf.getvalue()


def _png_la16(arr: np.ndarray) -> bytes:
    """A 16-bit gray + alpha ``(H, W, 2)`` uint16 image as a PNG (colour type 4, depth 16):
    neither OpenCV nor Pillow writes one. Rows are compressed in blocks, so the extra memory
    is one block plus the compressed file."""
    import struct
    import zlib

    h, w = arr.shape[:2]

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    comp = zlib.compressobj(6)
    parts = []
    step = max(1, (1 << 22) // max(1, 4 * w))                # ~4 MiB of rows at a time
    for y in range(0, h, step):
        rows = np.ascontiguousarray(arr[y:y + step], dtype=">u2").view(np.uint8).reshape(-1, 4 * w)
        block = np.zeros((rows.shape[0], 1 + 4 * w), np.uint8)   # filter byte 0: None
        block[:, 1:] = rows
        parts.append(comp.compress(block.tobytes()))
    parts.append(comp.flush())
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 4, 0, 0, 0))
            + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


def write_image(path: str | os.PathLike, img: np.ndarray, *,
                root: str | os.PathLike | None = None) -> None:
    """Write an image file atomically (temporary name, fsync, rename).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its suffix picks the format (``.png`` when there is none).
    img : numpy.ndarray
        RGB(A), gray or gray+alpha; uint8 / uint16, float32 for TIFF (see
        :func:`encode_image`).
    root : str or os.PathLike, optional
        An output folder holding ``path``: the file is then never written through a
        symlinked folder under it (:func:`pixelgrad.io.atomic.atomic_write`).

    Raises
    ------
    ValueError
        If the format cannot hold the image; nothing is written then.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_image(pathlib.Path(d) / "gray.png", np.full((3, 5), 7, np.uint8))
    ...     read_image(pathlib.Path(d) / "gray.png").shape
    (3, 5)
    """
    path = Path(path)
    atomic_write(path, encode_image(img, path.suffix or ".png"), root=root)


def sample_image() -> np.ndarray:
    """The bundled sample photograph.

    Returns
    -------
    numpy.ndarray
        ``(512, 512, 3)`` RGB uint8: NASA astronaut Eileen Collins (public domain, as shipped
        in scikit-image's data), read from the package data.

    Examples
    --------
    >>> img = sample_image()
    >>> img.shape, img.dtype
    ((512, 512, 3), dtype('uint8'))
    """
    ref = resources.files("pixelgrad") / "data" / "astronaut.png"
    with resources.as_file(ref) as p:
        return read_image(p)
