"""Read and write images as numpy ``(H, W[, C])`` arrays, keeping their bit depth.

Reading uses OpenCV (``IMREAD_UNCHANGED``: 8/16-bit, gray/RGB/RGBA) and returns RGB(A)
order; writing picks the format from the suffix and goes through :func:`atomic_write`.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from .atomic import atomic_write

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")


def read_image(path: str | os.PathLike) -> np.ndarray:
    """``(H, W)`` or ``(H, W, C)`` array in RGB(A) order, dtype uint8 or uint16.

    Raises ``ValueError`` naming the path when the file is missing or not a decodable image.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_image: no such file: {path}")
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise ValueError(f"read_image: cannot decode image file {path} (corrupt or unsupported format)")
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    return img


def encode_image(img: np.ndarray, suffix: str) -> bytes:
    """Encode an RGB(A)/gray array to the bytes of a ``suffix`` file (e.g. ``.png``)."""
    arr = img
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(suffix.lower(), arr)
    if not ok:
        raise ValueError(f"encode_image: OpenCV cannot encode a {img.dtype} {img.shape} image as {suffix}")
    return buf.tobytes()


def write_image(path: str | os.PathLike, img: np.ndarray) -> None:
    """Write ``img`` (RGB(A) or gray, uint8/uint16) to ``path`` atomically."""
    path = Path(path)
    atomic_write(path, encode_image(img, path.suffix or ".png"))


def sample_image() -> np.ndarray:
    """The bundled 512x512 RGB uint8 sample (NASA astronaut Eileen Collins, public domain,
    as shipped in scikit-image's data)."""
    ref = resources.files("pixelgrad") / "data" / "astronaut.png"
    with resources.as_file(ref) as p:
        return read_image(p)
