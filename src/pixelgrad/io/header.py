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
    width, height : int
        Declared size in pixels.
    frames : int, default 1
        Pages of a TIFF, frames of a GIF / WebP.
    mode : str, default ""
        Pillow's mode, e.g. ``"RGB"``, ``"LA"``, ``"I;16"``, ``"F"``; ``""`` if unknown.
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


def _tiff_header(data: bytes) -> ImageHeader | None:
    """Width, height and page count of a classic (32-bit offset) TIFF, or None."""
    if len(data) < 8 or data[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    end = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(end + "I", data[4:8])
    width = height = None
    pages = 0
    seen = set()
    while offset and offset not in seen and offset + 2 <= len(data) and pages < 100_000:
        seen.add(offset)
        (n,) = struct.unpack(end + "H", data[offset:offset + 2])
        if offset + 2 + 12 * n + 4 > len(data):
            return None
        for k in range(n):
            e = offset + 2 + 12 * k
            tag, typ = struct.unpack(end + "HH", data[e:e + 4])
            if pages == 0 and tag in (256, 257):
                val = struct.unpack(end + ("H" if typ == 3 else "I"), data[e + 8:e + (10 if typ == 3 else 12)])[0]
                if tag == 256:
                    width = val
                else:
                    height = val
        pages += 1
        (offset,) = struct.unpack(end + "I", data[offset + 2 + 12 * n:offset + 6 + 12 * n])
    if width is None or height is None:
        return None
    return ImageHeader(int(width), int(height), pages)


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
        Width, height, frame count, mode and EXIF orientation (out-of-range orientations
        read as 1). TIFFs Pillow cannot open (e.g. 3-channel float32) are read by a small
        IFD reader (mode ``""``).

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
            frames = int(getattr(im, "n_frames", 1) or 1)
            orientation = 1
            try:
                orientation = int(_exif(im, data).get(0x0112, 1) or 1)
            except Exception:  # noqa: BLE001 - a broken EXIF block means no orientation
                orientation = 1
            w, h = im.size
            return ImageHeader(int(w), int(h), frames, im.mode,
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
