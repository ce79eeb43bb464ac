"""What an image file declares about itself, read from its header before any decoding.

:func:`image_header` returns the width, height, frame count, mode and EXIF orientation of an
image from its first bytes (Pillow's lazy ``Image.open``, which parses the header only; a
small TIFF IFD reader for the TIFFs Pillow does not open, e.g. 3-channel float32). Decoding
a 2.6 MB PNG that declares 30000 x 30000 pixels allocates gigabytes; checking the declared
size first (:func:`check_pixels`) refuses it in microseconds.
"""
from __future__ import annotations

import io
import os
import re
import struct
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["ImageHeader", "image_header", "check_pixels", "DEFAULT_MAX_PIXELS"]

#: default limit on width * height: 2^26 = 67,108,864 pixels (e.g. 8192 x 8192). At the
#: documented peak of ~24 decoded sizes (docs/scale.md) an 8-bit RGB image of that size
#: needs ~5 GB; raise it with ``--max-pixels`` on machines that have the memory.
DEFAULT_MAX_PIXELS = 1 << 26


@dataclass(frozen=True)
class ImageHeader:
    """What an image file declares in its header (nothing decoded).

    Attributes
    ----------
    width : int
        Declared width in pixels.
    height : int
        Declared height in pixels.
    frames : int, default 1
        1 for a still image, 2 for two or more pages (TIFF) or frames (GIF, WebP, APNG):
        counting stops at the second one, since several frames are refused anyway.
    mode : str, default ""
        Pillow's mode, e.g. ``"RGB"``, ``"I;16"``, ``"F"``, and ``"LA"`` for any gray +
        alpha file (8 or 16 bits); ``""`` if unknown.
    orientation : int, default 1
        EXIF orientation, 1..8 (1 = as stored).

    Examples
    --------
    >>> h = ImageHeader(640, 480, mode="RGB")
    >>> h.width * h.height, h.frames, h.orientation
    (307200, 1, 1)
    """

    width: int
    height: int
    frames: int = 1
    mode: str = ""
    orientation: int = 1


def _tiff_ifd0(data: bytes) -> tuple[dict[int, tuple[int, int, int]], str, int, bool] | None:
    """The entries of the first IFD of a classic or BigTIFF structure ``data``.

    Returns ``({tag: (type, count, position of the value field)}, endianness, offset of the
    next IFD, bigtiff)`` or None when ``data`` is not a TIFF structure or is truncated. Reads
    one IFD only: never the page chain."""
    if len(data) < 8 or data[:2] not in (b"II", b"MM"):
        return None
    end = "<" if data[:2] == b"II" else ">"
    (magic,) = struct.unpack(end + "H", data[2:4])
    if magic == 42:
        big, (offset,) = False, struct.unpack(end + "I", data[4:8])
        count_fmt, entry, value_at = "H", 12, 8
    elif magic == 43 and len(data) >= 16:
        big, (offset,) = True, struct.unpack(end + "Q", data[8:16])
        count_fmt, entry, value_at = "Q", 20, 12
    else:
        return None
    head = struct.calcsize(count_fmt)
    if offset < 8 or offset + head > len(data):
        return None
    (n,) = struct.unpack(end + count_fmt, data[offset:offset + head])
    nxt_at = offset + head + entry * n
    nxt_fmt = "Q" if big else "I"
    if nxt_at + struct.calcsize(nxt_fmt) > len(data):
        return None
    tags: dict[int, tuple[int, int, int]] = {}
    for k in range(n):
        e = offset + head + entry * k
        tag, typ = struct.unpack(end + "HH", data[e:e + 4])
        (cnt,) = struct.unpack(end + ("Q" if big else "I"), data[e + 4:e + value_at])
        tags.setdefault(tag, (typ, cnt, e + value_at))
    (nxt,) = struct.unpack(end + nxt_fmt, data[nxt_at:nxt_at + struct.calcsize(nxt_fmt)])
    return tags, end, nxt, big


def _tiff_value(data: bytes, entry: tuple[int, int, int], end: str) -> int | None:
    """The first value of a SHORT / LONG / LONG8 IFD entry stored in its value field."""
    typ, _, at = entry
    fmt = {3: "H", 4: "I", 16: "Q"}.get(typ)
    if fmt is None or at + struct.calcsize(fmt) > len(data):
        return None
    return int(struct.unpack(end + fmt, data[at:at + struct.calcsize(fmt)])[0])


def _tiff_header(data: bytes) -> ImageHeader | None:
    """Width, height, orientation and gray+alpha mode of a classic or BigTIFF, or None.

    Frames are counted up to 2 (a second page is enough to refuse the file): a TIFF of
    300,000 one-pixel pages costs one IFD read, not a walk of the page chain."""
    ifd = _tiff_ifd0(data)
    if ifd is None:
        return None
    tags, end, nxt, _ = ifd
    width = _tiff_value(data, tags[256], end) if 256 in tags else None
    height = _tiff_value(data, tags[257], end) if 257 in tags else None
    if width is None or height is None:
        return None
    orientation = _tiff_value(data, tags[274], end) if 274 in tags else 1
    return ImageHeader(int(width), int(height), 2 if nxt else 1, _tiff_mode(data, tags, end),
                       orientation if orientation is not None and 1 <= orientation <= 8 else 1)


def _tiff_mode(data: bytes, tags: dict[int, tuple[int, int, int]], end: str) -> str:
    """``"LA"`` for a gray + alpha TIFF (2 samples, min-is-white / min-is-black), else ``""``."""
    spp = _tiff_value(data, tags[277], end) if 277 in tags else 1
    photometric = _tiff_value(data, tags[262], end) if 262 in tags else None
    return "LA" if spp == 2 and photometric in (0, 1) else ""


_PIL_LOCK = threading.Lock()


def _open_unbounded(data: bytes):
    """Pillow's ``Image.open`` without its own decompression-bomb limit (ours is checked by
    the caller); the global limit is restored at once."""
    from PIL import Image

    with _PIL_LOCK:
        old = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            return Image.open(io.BytesIO(data))
        finally:
            Image.MAX_IMAGE_PIXELS = old


def image_header(data: bytes, name: str | os.PathLike = "<bytes>", *,
                 max_pixels: int | None = None) -> ImageHeader:
    """Read the header of the image file whose bytes are ``data``.

    Parameters
    ----------
    data : bytes
        The file's bytes (only the header is parsed; no pixels are decoded).
    name : str or os.PathLike, default "<bytes>"
        Name used in error messages.
    max_pixels : int, optional
        Only used when Pillow's own decompression-bomb check fires first: a declared size
        above ``max_pixels`` is then refused at once. Call :func:`check_pixels` for the limit.

    Returns
    -------
    ImageHeader
        Width, height, frame count (1, or 2 for "several"), mode and EXIF orientation
        (out-of-range orientations read as 1). TIFFs Pillow cannot open (e.g. 3-channel
        float32) are read by a small IFD reader (mode ``""``, or ``"LA"`` for gray + alpha).

    Raises
    ------
    ValueError
        Naming ``name`` when no header can be read (corrupt or unsupported format), or when
        it declares more than ``max_pixels`` pixels.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (6, 4)).save(buf, "PNG")
    >>> image_header(buf.getvalue(), "tiny.png")
    ImageHeader(width=6, height=4, frames=1, mode='RGB', orientation=1)
    >>> image_header(b"not an image", "junk.png")
    Traceback (most recent call last):
    ...
    ValueError: read_image: cannot read the header of junk.png (corrupt or unsupported format)
    """
    from PIL import Image, UnidentifiedImageError

    try:
        try:
            im = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            m = re.search(r"\((\d+) pixels\)", str(exc))
            if m and max_pixels is not None and int(m.group(1)) > max_pixels:
                raise ValueError(f"read_image: {name} declares {int(m.group(1)):,} pixels, more "
                                 f"than max_pixels = {int(max_pixels):,} (refused before decoding; "
                                 f"raise the limit with --max-pixels if this is intended)") from None
            im = _open_unbounded(data)
        with im:
            # Counted up to 2, never by walking every frame: Pillow's n_frames seeks through
            # all of them (quadratic for a TIFF page chain: 60,000 one-pixel pages took 14.6 s).
            # is_animated reads the declared count (APNG, WebP), one IFD (TIFF) or seeks to
            # the second frame only (GIF).
            frames = 2 if getattr(im, "is_animated", False) else 1
            orientation = 1
            try:
                orientation = int(_exif(im, data).get(0x0112, 1) or 1)
            except Exception:  # noqa: BLE001 - a broken EXIF block means no orientation
                orientation = 1
            w, h = im.size
            return ImageHeader(int(w), int(h), frames, _declared_mode(im, data),
                               orientation if 1 <= orientation <= 8 else 1)
    except ValueError as exc:
        if "max_pixels" in str(exc):
            raise
    except (UnidentifiedImageError, OSError, struct.error, SyntaxError, EOFError):
        pass
    tif = _tiff_header(data)
    if tif is not None:
        return tif
    raise ValueError(f"read_image: cannot read the header of {name} (corrupt or unsupported "
                     f"format)")


def _declared_mode(im: Any, data: bytes) -> str:
    """Pillow's mode, except ``"LA"`` for every gray + alpha file: Pillow opens a 16-bit
    gray+alpha PNG as ``"RGBA"`` and some gray+alpha TIFFs in other modes."""
    if im.format == "PNG" and len(data) > 25 and data[12:16] == b"IHDR" and data[25] == 4:
        return "LA"                                 # IHDR colour type 4: gray + alpha
    if im.format == "TIFF":
        ifd = _tiff_ifd0(data)
        if ifd is not None and _tiff_mode(data, ifd[0], ifd[1]) == "LA":
            return "LA"
    return str(im.mode)


def _exif(im: Any, data: bytes) -> Any:
    """The EXIF block of the open image ``im`` (bytes ``data``) without decoding its pixels.

    Pillow's PNG reader decodes the whole image to look for an ``eXIf`` chunk after the image
    data (a second full decode, ~2.6 x the decoded size in memory for an incompressible
    image); the chunk list is walked here instead, by lengths, reading no pixel data."""
    from PIL import Image

    if im.format != "PNG" or "exif" in im.info:
        return im.getexif()
    exif = Image.Exif()
    raw = _png_chunk(data, b"eXIf")
    if raw is not None:
        exif.load(raw)
    return exif


def _png_chunk(data: bytes, kind: bytes) -> bytes | None:
    """The payload of the first chunk of type ``kind`` in the PNG file ``data``, or None."""
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        tag = data[pos + 4:pos + 8]
        if tag == kind:
            return bytes(data[pos + 8:pos + 8 + length])
        if tag == b"IEND":
            break
        pos += 12 + length
    return None


def check_pixels(header: ImageHeader, max_pixels: int | None, name: str | os.PathLike) -> None:
    """Refuse an image whose declared size is empty or too large, before decoding it.

    Parameters
    ----------
    header : ImageHeader
        The declared size (from :func:`image_header`).
    max_pixels : int or None
        Limit on ``width * height``; None: no limit.
    name : str or os.PathLike
        Name used in the error message.

    Raises
    ------
    ValueError
        Naming ``name`` when ``width * height`` exceeds ``max_pixels`` or is not positive.

    Examples
    --------
    >>> check_pixels(ImageHeader(6, 4), DEFAULT_MAX_PIXELS, "ok.png")
    >>> check_pixels(ImageHeader(6, 4), 10, "big.png")
    Traceback (most recent call last):
    ...
    ValueError: read_image: big.png declares 6x4 = 24 pixels, more than max_pixels = 10 (refused before decoding; raise the limit with --max-pixels if this is intended)
    """
    n = header.width * header.height
    if n <= 0:
        raise ValueError(f"read_image: {name} declares an empty image ({header.width}x{header.height})")
    if max_pixels is not None and n > max_pixels:
        raise ValueError(f"read_image: {name} declares {header.width}x{header.height} = {n:,} "
                         f"pixels, more than max_pixels = {int(max_pixels):,} (refused before "
                         f"decoding; raise the limit with --max-pixels if this is intended)")
