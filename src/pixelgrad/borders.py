"""Border modes: one spelling, exact index arithmetic for any extension width.

Every filter extends the image beyond its edges with one of five modes:

| pixelgrad   | pattern (image `abcd`) | scipy.ndimage `mode`  | OpenCV `borderType`  | torch `F.pad` |
|-------------|------------------------|-----------------------|----------------------|---------------|
| `reflect`   | `dcb|abcd|cba`         | `"mirror"`            | `BORDER_REFLECT_101` | `"reflect"`   |
| `symmetric` | `cba|abcd|dcb`         | `"reflect"`           | `BORDER_REFLECT`     | (none)        |
| `replicate` | `aaa|abcd|ddd`         | `"nearest"`           | `BORDER_REPLICATE`   | `"replicate"` |
| `circular`  | `bcd|abcd|abc`         | `"wrap"`              | `BORDER_WRAP`        | `"circular"`  |
| `constant`  | `000|abcd|000`         | `"constant"`, cval=0  | `BORDER_CONSTANT`    | `"constant"`  |

Unlike `torch.nn.functional.pad` (which refuses a reflection wider than the image), the
extension here repeats as scipy.ndimage does, so any kernel works on any image size:
`reflect` is periodic with period `2n - 2`, `symmetric` with period `2n`, `circular` with
period `n`.
"""
from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

#: The border modes, in the order error messages list them; ``reflect`` is every filter's default.
BORDERS: tuple[str, ...] = ("reflect", "symmetric", "replicate", "circular", "constant")

#: pixelgrad border name -> the ``mode`` of scipy.ndimage that extends the same way.
SCIPY_MODE: dict[str, str] = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest",
              "circular": "wrap", "constant": "constant"}


def cv2_border(border: str) -> int:
    """The OpenCV ``borderType`` constant that extends an image as ``border`` does.

    Parameters
    ----------
    border : str
        One of :data:`BORDERS`.

    Returns
    -------
    int
        A ``cv2.BORDER_*`` constant. OpenCV's filters do not implement ``BORDER_WRAP``
        (``circular``): the dispatcher sends that mode to torch instead.

    Examples
    --------
    >>> import cv2
    >>> cv2_border("reflect") == cv2.BORDER_REFLECT_101
    True
    """
    return _CV2_BORDERS[border]


#: OpenCV's ``borderType`` per border (cv2's constants, fixed by its ABI: BORDER_CONSTANT 0,
#: BORDER_REPLICATE 1, BORDER_REFLECT 2, BORDER_WRAP 3, BORDER_REFLECT_101 4; checked
#: against cv2 by the tests)
_CV2_BORDERS = {"reflect": 4, "symmetric": 2, "replicate": 1, "circular": 3, "constant": 0}


def map_index(idx: torch.Tensor, n: int, border: str) -> torch.Tensor:
    """Map integer positions of the extended signal to positions of the signal.

    Parameters
    ----------
    idx : torch.Tensor
        Integer positions, any shape and range (negative or ``>= n`` lie in the border).
    n : int
        Length of the signal, ``n >= 1``.
    border : str
        One of :data:`BORDERS`.

    Returns
    -------
    torch.Tensor
        Positions in ``[0, n)`` of the shape of ``idx``; for ``constant``, positions outside
        the signal map to ``-1`` (the caller supplies the value 0 there).

    Notes
    -----
    With ``m = idx mod P`` for the mode's period ``P``:

    * ``reflect`` (``P = 2n - 2``): ``m`` if ``m < n``, else ``P - m`` (``n = 1``: 0);
    * ``symmetric`` (``P = 2n``): ``m`` if ``m < n``, else ``P - 1 - m``;
    * ``circular`` (``P = n``): ``m``;
    * ``replicate``: ``clamp(idx, 0, n - 1)``.

    These are the extensions of scipy.ndimage, valid for any distance from the signal.

    Examples
    --------
    >>> import torch
    >>> i = torch.arange(-3, 7)                         # a 4-sample signal, 3 samples each side
    >>> map_index(i, 4, "reflect").tolist()
    [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]
    >>> map_index(i, 4, "symmetric").tolist()
    [2, 1, 0, 0, 1, 2, 3, 3, 2, 1]
    >>> map_index(i, 4, "constant").tolist()
    [-1, -1, -1, 0, 1, 2, 3, -1, -1, -1]
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
    """Extend ``x`` along one dimension with a border mode, by any number of samples.

    Parameters
    ----------
    x : torch.Tensor
        Any shape, dtype and device; not modified.
    dim : int
        The dimension to extend (negative counts from the end).
    before, after : int
        Samples added before the first and after the last one (``>= 0``; may exceed the
        length of ``x`` along ``dim``, unlike ``torch.nn.functional.pad``).
    border : str
        One of :data:`BORDERS`.

    Returns
    -------
    torch.Tensor
        ``x`` extended to length ``before + n + after`` along ``dim`` (``x`` itself when
        nothing is added). Differentiable (an index gather, or ``F.pad`` for ``constant``).

    Examples
    --------
    >>> import torch
    >>> pad_dim(torch.tensor([1, 2, 3]), 0, 4, 2, "reflect").tolist()
    [1, 2, 3, 2, 1, 2, 3, 2, 1]
    >>> pad_dim(torch.tensor([1, 2, 3]), 0, 2, 0, "circular").tolist()
    [2, 3, 1, 2, 3]
    """
    if before == 0 and after == 0:
        return x
    dim = dim % x.ndim
    n = x.shape[dim]
    if border == "constant":
        return F.pad(x, _fpad_spec(x.ndim, dim, before, after))
    idx = _padded_index(n, before, after, border).to(x.device)
    return x.index_select(dim, idx)


def _fpad_spec(ndim: int, dim: int, before: int, after: int) -> list[int]:
    # F.pad lists (before, after) pairs from the last dim backwards.
    spec = [0, 0] * (ndim - dim)
    spec[-2], spec[-1] = before, after
    return spec


def pad2d(x: torch.Tensor, top: int, bottom: int, left: int, right: int, border: str) -> torch.Tensor:
    """Extend the last two dimensions (H, W) of ``x`` with a border mode.

    Parameters
    ----------
    x : torch.Tensor
        ``(..., H, W)``; not modified.
    top, bottom, left, right : int
        Samples added on each side (``>= 0``, any size).
    border : str
        One of :data:`BORDERS`.

    Returns
    -------
    torch.Tensor
        ``(..., top + H + bottom, left + W + right)``.

    Examples
    --------
    >>> import torch
    >>> pad2d(torch.tensor([[1, 2], [3, 4]]), 1, 0, 0, 1, "replicate").tolist()
    [[1, 2, 2], [1, 2, 2], [3, 4, 4]]
    """
    return pad_dim(pad_dim(x, -2, top, bottom, border), -1, left, right, border)
