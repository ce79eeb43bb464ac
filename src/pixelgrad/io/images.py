"""Read and write images as numpy ``(H, W[, C])`` arrays, keeping their bit depth.

Reading first reads the header (:mod:`pixelgrad.io.header`): an image that declares more than
``max_pixels`` pixels, or more than one frame (animated GIF/WebP/PNG, multi-page TIFF), is
refused before anything is decoded. Decoding uses OpenCV (``IMREAD_UNCHANGED``: 8/16-bit and
float32, gray/gray+alpha/RGB/RGBA) and returns RGB(A) order; the EXIF orientation is applied
as image viewers do (the written outputs carry no orientation tag, so they display the same).
An 8-bit gray+alpha (LA) file stays ``(H, W, 2)`` and is written back as LA PNG.
Writing picks the format from the suffix and goes through :func:`atomic_write`.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from .atomic import atomic_write
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
        ``(H, W)`` or ``(H, W, C)`` in RGB(A) order (``C = 2`` for 8-bit gray+alpha), dtype
        uint8, uint16 or float32, EXIF orientation applied.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        Naming the path, if the file is empty, not a decodable image, declares more than
        ``max_pixels`` pixels, or holds several frames or pages.

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
        raise FileNotFoundError(f"read_image: no such file: {path}")
    data = np.fromfile(str(path), dtype=np.uint8)
    if not data.size:
        raise ValueError(f"read_image: cannot decode image file {path} (empty file)")
    header = image_header(data.tobytes(), path, max_pixels=max_pixels)
    check_pixels(header, max_pixels, path)
    if header.frames > 1:
        raise ValueError(f"read_image: {path} holds {header.frames} frames/pages (animated or "
                         f"multi-page image); refused: extract the frames as separate files")
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    del data                                       # peak memory: the file bytes are done with
    if img is None:
        raise ValueError(f"read_image: cannot decode image file {path} (corrupt or unsupported format)")
    if max_pixels is not None and img.shape[0] * img.shape[1] > max_pixels:  # header lied
        raise ValueError(f"read_image: {path} decodes to {img.shape[1]}x{img.shape[0]} pixels, "
                         f"more than max_pixels = {int(max_pixels):,}")
    if img.ndim == 3 and img.shape[2] == 3:                 # in place: no second image
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB, dst=img)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA, dst=img)
        if header.mode == "LA" and img.dtype == np.uint8:
            img = np.ascontiguousarray(img[..., [0, 3]])
    if header.orientation != 1:
        img = apply_orientation(img, header.orientation)
    return img


def encode_image(img: np.ndarray, suffix: str) -> bytes:
    """Encode an image array to the bytes of a file format.

    Parameters
    ----------
    img : numpy.ndarray
        ``(H, W)`` gray, ``(H, W, 1)``, ``(H, W, 2)`` gray+alpha (uint8), ``(H, W, 3)`` RGB or
        ``(H, W, 4)`` RGBA; uint8 or uint16 (float32 for TIFF).
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
    if arr.dtype != np.uint8 or fmt is None:
        raise ValueError(f"encode_image: a gray+alpha image must be uint8 written as .png, .tif "
                         f"or .webp, got {arr.dtype} as {suffix}")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return buf.getvalue()


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
