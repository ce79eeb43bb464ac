"""Shared pieces of the Triton kernels: border index maps, rounding, output allocation.

Border codes (``BORDER`` constexpr in every kernel), same patterns as :mod:`pixelgrad.borders`:

    0 reflect    dcb|abcd|cba   period 2n - 2 (n == 1: always index 0)
    1 symmetric  cba|abcd|dcb   period 2n
    2 replicate  aaa|abcd|ddd
    3 circular   bcd|abcd|abc   period n
    4 constant   000|abcd|000   out-of-image positions are masked loads returning 0

The maps work for any extension width (a kernel wider than the image repeats the
pattern, as scipy.ndimage does). They are applied to 1-D row / column index vectors, so
their cost is O(tile side) per tile, never per tap and pixel.
"""
from __future__ import annotations

import os

import torch
import triton
import triton.language as tl

BORDER_CODES = {"reflect": 0, "symmetric": 1, "replicate": 2, "circular": 3, "constant": 4}

#: dtypes the kernels read and write directly (converted to float32 in registers).
KERNEL_DTYPES = (torch.uint8, torch.float16, torch.bfloat16, torch.float32)

#: When True, every output buffer is filled with garbage (NaN / 0xAB) before the launch,
#: so that an element a kernel fails to write shows up in tests. Set by the test-suite.
POISON_OUTPUTS = False


def interpreting() -> bool:
    """Whether Triton runs kernels through its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0").lower() in ("1", "true", "on", "yes")


def new_output(x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    """An output buffer shaped like ``x`` (channels-last stays channels-last), poisoned when
    :data:`POISON_OUTPUTS` is set."""
    dtype = x.dtype if dtype is None else dtype
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        out = torch.empty(x.shape, dtype=dtype, device=x.device).contiguous(
            memory_format=torch.channels_last)
    else:
        out = torch.empty(x.shape, dtype=dtype, device=x.device)
    if POISON_OUTPUTS:
        out.fill_(float("nan") if dtype.is_floating_point else 0xAB)
    return out


# ----------------------------------------------------------------------------- launches
class LaunchRecorder:
    """Records every kernel launch made through :func:`launch` (kernel, grid, arguments).

    ``dry``: record without launching (the output buffers stay unwritten). Used to count the
    distinct compilations a stream of calls needs (:mod:`.compile_check`) on a machine that
    cannot run the kernels; a dry recorder also lets CPU tensors through the router without
    the interpreter."""

    def __init__(self, dry: bool = False):
        self.dry = dry
        self.launches: list[tuple] = []

    def __enter__(self) -> "LaunchRecorder":
        _RECORDERS.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _RECORDERS.remove(self)


_RECORDERS: list[LaunchRecorder] = []


def dry_run() -> bool:
    """Whether a dry :class:`LaunchRecorder` is active (launches are recorded, not run)."""
    return any(r.dry for r in _RECORDERS)


def launch(kernel, grid: tuple, *args, **kwargs) -> None:
    """``kernel[grid](*args, **kwargs)``, seen by the active :class:`LaunchRecorder` s."""
    for r in _RECORDERS:
        r.launches.append((kernel, grid, args, kwargs))
    if not dry_run():
        kernel[grid](*args, **kwargs)


# ----------------------------------------------------------------------------- device code
@triton.jit
def tile_prologue(C, tiles, tiles_w):
    """Program id -> the tile this program computes.

    The launch grid is ``(B * C * tiles,)``: one program per ``(sample, channel, tile)``,
    tiles numbered row-major with ``tiles_w`` per tile row. Returns ``(plane, b, c, th, tw)``:
    the plane index ``b * C + c``, the sample ``b`` and channel ``c`` (int64, so that
    ``b * stride_xb`` cannot overflow int32 on large batches) and the tile row / column."""
    pid = tl.program_id(0)
    plane = pid // tiles
    t = pid % tiles
    th = t // tiles_w
    tw = t % tiles_w
    b = (plane // C).to(tl.int64)
    c = (plane % C).to(tl.int64)
    return plane, b, c, th, tw


@triton.jit
def map_index(idx, n, BORDER: tl.constexpr):
    """Map integer positions ``idx`` (any range) into ``[0, n)`` (constant: unchanged)."""
    if BORDER == 0:
        p = tl.maximum(2 * n - 2, 1)
        m = idx % p
        m = tl.where(m < 0, m + p, m)
        m = tl.where(m < n, m, p - m)
    elif BORDER == 1:
        p = 2 * n
        m = idx % p
        m = tl.where(m < 0, m + p, m)
        m = tl.where(m < n, m, p - 1 - m)
    elif BORDER == 2:
        m = tl.minimum(tl.maximum(idx, 0), n - 1)
    elif BORDER == 3:
        m = idx % n
        m = tl.where(m < 0, m + n, m)
    else:
        m = idx
    return m


@triton.jit
def index_valid(idx, n, BORDER: tl.constexpr):
    """Whether a (mapped) position holds image data; only ``constant`` can say no."""
    if BORDER == 4:
        ok = (idx >= 0) & (idx < n)
    else:
        ok = idx == idx
    return ok


@triton.jit
def round_half_even(v):
    """Round to the nearest integer, ties to even (torch.round / numpy.rint)."""
    f = tl.floor(v)
    d = v - f
    parity = f - 2.0 * tl.floor(f * 0.5)
    return tl.where(d > 0.5, f + 1.0, tl.where(d < 0.5, f, f + parity))


@triton.jit
def to_output(v, OUT_INT: tl.constexpr):
    """float32 value -> the value stored: uint8 outputs are rounded and saturated."""
    if OUT_INT:
        v = tl.minimum(tl.maximum(round_half_even(v), 0.0), 255.0)
    return v


@triton.jit
def as_stored(v, o_ptr, OUT_INT: tl.constexpr):
    """The float32 value an output element holds after ``v`` is stored through ``o_ptr`` and
    loaded back (rounded / saturated for integers, rounded to float16 / bfloat16)."""
    return to_output(v, OUT_INT).to(o_ptr.dtype.element_ty).to(tl.float32)
