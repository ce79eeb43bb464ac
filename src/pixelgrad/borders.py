"""Border modes: one spelling, exact index arithmetic for any extension width.

=========== ================ ======================= ================== =============
pixelgrad   pattern          scipy.ndimage ``mode``  OpenCV             torch F.pad
=========== ================ ======================= ================== =============
reflect     dcb|abcd|cba     ``"mirror"``            BORDER_REFLECT_101 ``"reflect"``
symmetric   cba|abcd|dcb     ``"reflect"``           BORDER_REFLECT     (none)
replicate   aaa|abcd|ddd     ``"nearest"``           BORDER_REPLICATE   ``"replicate"``
circular    bcd|abcd|abc     ``"wrap"``              BORDER_WRAP        ``"circular"``
constant    000|abcd|000     ``"constant"`` (cval=0) BORDER_CONSTANT    ``"constant"``
=========== ================ ======================= ================== =============

Unlike ``torch.nn.functional.pad`` (which refuses a reflection wider than the image), the
extension here repeats as scipy.ndimage does, so any kernel works on any image size:
``reflect`` is periodic with period ``2n - 2``, ``symmetric`` with period ``2n``,
``circular`` with period ``n``.
"""
from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

BORDERS = ("reflect", "symmetric", "replicate", "circular", "constant")

SCIPY_MODE = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest",
              "circular": "wrap", "constant": "constant"}


def cv2_border(border: str) -> int:
    """The OpenCV ``borderType`` constant for ``border``."""
    import cv2

    return {"reflect": cv2.BORDER_REFLECT_101, "symmetric": cv2.BORDER_REFLECT,
            "replicate": cv2.BORDER_REPLICATE, "circular": cv2.BORDER_WRAP,
            "constant": cv2.BORDER_CONSTANT}[border]


def map_index(idx: torch.Tensor, n: int, border: str) -> torch.Tensor:
    """Map integer positions ``idx`` (any range) into ``[0, n)``.

    For ``constant`` positions outside the image map to ``-1`` (the caller supplies 0).
    """
    if border == "constant":
        return torch.where((idx >= 0) & (idx < n), idx, torch.full_like(idx, -1))
    if border == "replicate":
        return idx.clamp(0, n - 1)
    if border == "circular":
        return idx.remainder(n)
    if border == "reflect":
        if n == 1:
            return torch.zeros_like(idx)
        period = 2 * n - 2
        m = idx.remainder(period)
        return torch.where(m < n, m, period - m)
    if border == "symmetric":
        period = 2 * n
        m = idx.remainder(period)
        return torch.where(m < n, m, period - 1 - m)
    raise AssertionError(border)


@lru_cache(maxsize=256)
def _padded_index(n: int, before: int, after: int, border: str) -> torch.Tensor:
    idx = torch.arange(-before, n + after, dtype=torch.int64)
    return map_index(idx, n, border)


def pad_dim(x: torch.Tensor, dim: int, before: int, after: int, border: str) -> torch.Tensor:
    """Extend ``x`` along ``dim`` by ``before``/``after`` samples with ``border`` (any width)."""
    if before == 0 and after == 0:
        return x
    dim = dim % x.ndim
    n = x.shape[dim]
    if border == "constant":
        return F.pad(x, _fpad_spec(x.ndim, dim, before, after))
    idx = _padded_index(n, before, after, border).to(x.device)
    return x.index_select(dim, idx)


def _fpad_spec(ndim: int, dim: int, before: int, after: int) -> list:
    # F.pad lists (before, after) pairs from the last dim backwards.
    spec = [0, 0] * (ndim - dim)
    spec[-2], spec[-1] = before, after
    return spec


def pad2d(x: torch.Tensor, top: int, bottom: int, left: int, right: int, border: str) -> torch.Tensor:
    """Extend the last two dims of ``x`` (H, W) with ``border``."""
    return pad_dim(pad_dim(x, -2, top, bottom, border), -1, left, right, border)
