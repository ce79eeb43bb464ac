"""Illumination fields: smooth brightness fields mixed into an image.

Every op here builds a field ``g(u, v)`` on the *unit-square grid* of the seed code
(``u = linspace(0, 1, W)`` across the width, ``v = linspace(0, 1, H)`` down the height;
``u = 0`` when ``W == 1``) and mixes it into every channel with one of three modes::

    blend     y = (1 - alpha) * x + alpha * white * g     (the seed's convex combination)
    add       y = x + alpha * white * g                    (kornia's convention)
    multiply  y = x * (1 + alpha * g)                      (shading: a gain field)

``white`` is the white level of the dtype (1.0 for floats, 255 for uint8), so ``g`` is in
units of "a full-scale image" whatever the dtype. With ``clamp=True`` (default) the result is
clamped to the input's own range: ``[0, white]`` for integers and for float images within
``[0, 1]``; a float image with values outside ``[0, 1]`` (e.g. normalised data, or a float TIFF
of range -498..498) is clamped per sample to ``[min(0, min x), max(1, max x)]``, so it keeps
its range instead of being wiped to ``[0, 1]``. Integers are then rounded half-to-even and
saturated. Huge finite parameters (``a = 1e100``) saturate instead of giving NaN: the scaled
coefficients are limited to a quarter of the compute dtype's largest value. Inputs are
``(..., C, H, W)`` tensors or numpy ``(H, W[, C])`` images; the output has the input's
container, shape and dtype, and the input is never modified.

Parameters are numbers (same for the batch) or per-sample tensors ``(B,)`` where ``B`` is the
product of the leading dims. The *photometric* parameters (``a``, ``b``, ``alpha``,
``offset``, ``strength``) also accept per-channel tensors ``(B, C)`` or ``(1, C)``: a colored
field, one ramp per channel. A 1-D tensor is always per sample, never per channel.

Triton contract (see :func:`pixelgrad.functional._dispatch.try_triton`): each op first calls
``try_triton(op, x, backend, **params)`` with ``x`` the ``(B, C, H, W)`` tensor and the
parameters below, already validated, as float64 CPU tensors; ``(B,)`` when every
photometric parameter is per sample, otherwise all photometric parameters ``(B, C)``::

    "linear_gradient"  a, b, alpha, offset: (B,) | (B, C);  mode: str;  clamp: bool
                       g = a*u + b*v + offset
    "corner_gradient"  corner: (B,) float64 in {0, 1, 2, 3};  strength, alpha, offset:
                       (B,) | (B, C);  mode: str;  clamp: bool
                       g = offset + strength * (1 - (|u - u0| + |v - v0|) / 2), corner
                       (u0, v0) = 0: (0, 0) top-left, 1: (1, 0) top-right,
                       2: (1, 1) bottom-right, 3: (0, 1) bottom-left
    "radial_gradient"  center: (B, 2) (cy, cx);  radius: (B, 2) (ry, rx) > 0;
                       strength, alpha, offset: (B,) | (B, C);  mode: str;  clamp: bool
                       r = sqrt(((u - cx) / rx)^2 + ((v - cy) / ry)^2),
                       g = offset + strength * max(0, 1 - r)
    "gaussian_spot"    center: (B, 2) (cy, cx);  sigma: (B, 2) (sy, sx) > 0;
                       strength, alpha, offset: (B,) | (B, C);  mode: str;  clamp: bool
                       g = offset + strength * exp(-(u - cx)^2 / (2 sx^2) - (v - cy)^2 / (2 sy^2))

All coordinates (center, radius, sigma) are in unit-square units: fractions of the width for
x / u and of the height for y / v.

Differentiable parameters: any parameter given as a tensor that requires grad (``a``, ``b``,
``alpha``, ``angle``, ``strength``, ``offset``, ``center``, ``radius``, ``sigma``) makes the
output differentiable with respect to it; the op then runs on torch (never Triton). The
radial cone ``max(0, 1 - r)`` has kinks at ``r = 0`` and ``r = 1`` where the derivative is
one-sided; every other field is smooth. Empty batches and zero-size images give empty results.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Callable, Iterator, Optional, Tuple, Union

import numpy as np
import torch

from ..backends import cpu_fused
from .._dtypes import compute_dtype, from_compute, max_value
from .._errors import bad_type, bad_value, check_choice
from .._interop import ImageLike, require_finite, to_batch
from ..types import Alpha, Angle, Corner, PairValue, Sigma, Value
from . import _dispatch
from ._params import per_sample, tracks_grad

MODES = ("blend", "add", "multiply")
_BACKENDS = ("auto", "torch", "triton")
CORNERS = ("top-left", "top-right", "bottom-right", "bottom-left")
_CORNER_UV = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


# ------------------------------------------------------------------------- parsing
def _flag(value: Any, fn: str, arg: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        bad_type(fn, arg, "True or False", value)
    return bool(value)


def per_channel(value: Any, B: int, C: int, fn: str, arg: str, *, low: float | None = None,
                low_open: bool = False, high: float | None = None) -> torch.Tensor:
    """``value`` as a float64 CPU tensor ``(B,)`` (per sample) or ``(B, C)`` (per channel).

    Parameters
    ----------
    value : number, tensor or numpy array
        A number, or a real tensor / array of shape ``()``, ``(1,)``, ``(B,)`` (per sample)
        or ``(1, C)``, ``(B, C)`` (per channel). A 1-D tensor is always per sample.
    B, C : int
        Batch size and number of channels.
    fn, arg : str
        Function and argument names used in error messages.
    low, low_open, high
        Bounds, as :func:`pixelgrad.functional._params.per_sample`.

    Returns
    -------
    torch.Tensor
        Float64 CPU tensor ``(B,)`` or ``(B, C)``; a tensor that requires grad stays in the
        autograd graph.

    Raises
    ------
    TypeError
        If ``value`` is not a number or a real tensor / array.
    ValueError
        If the shape fits neither ``(B,)`` nor ``(B, C)``, or a value is not finite or out
        of bounds.

    Examples
    --------
    >>> import torch
    >>> per_channel(0.5, 2, 3, "f", "alpha")
    tensor([0.5000, 0.5000], dtype=torch.float64)
    >>> per_channel(torch.tensor([[0.1, 0.2, 0.3]]), 2, 3, "f", "alpha")
    tensor([[0.1000, 0.2000, 0.3000],
            [0.1000, 0.2000, 0.3000]], dtype=torch.float64)
    """
    if isinstance(value, (torch.Tensor, np.ndarray)) and np.ndim(value) == 2:
        t = torch.as_tensor(value)
        t = t.to("cpu", torch.float64) if tracks_grad(t) else t.detach().to("cpu", torch.float64)
        if t.shape[1] != C or t.shape[0] not in (1, B):
            bad_value(fn, arg, f"a number, a ({B},) tensor or a ({B}, {C}) tensor for a batch "
                      f"of {B} images with {C} channels", value)
        t = t.expand(B, C).contiguous()
        # reuse the scalar checks on the flattened values
        per_sample(t.reshape(-1), B * C, fn, arg, low=low, low_open=low_open, high=high)
        return t
    return per_sample(value, B, fn, arg, low=low, low_open=low_open, high=high)


def _same_shape(ts: list[torch.Tensor], C: int) -> list[torch.Tensor]:
    """All ``(B,)`` if every tensor is; otherwise every one expanded to ``(B, C)``."""
    if all(t.ndim == 1 for t in ts):
        return ts
    return [(t[:, None] if t.ndim == 1 else t).expand(-1, C).contiguous() for t in ts]


def _alpha(alpha: Any, B: int, C: int, fn: str, mode: str) -> torch.Tensor:
    """``alpha`` per sample or channel; a convex weight in [0, 1] for ``mode='blend'``."""
    blend = mode == "blend"
    return per_channel(alpha, B, C, fn, "alpha", low=0.0 if blend else None, high=1.0 if blend else None)


def _amounts(strength: Any, alpha: Any, offset: Any, B: int, C: int, fn: str, mode: str):
    """``(strength, alpha, offset)`` parsed and brought to one shape (see :func:`_same_shape`)."""
    al = _alpha(alpha, B, C, fn, mode)
    st = per_channel(strength, B, C, fn, "strength")
    off = per_channel(offset, B, C, fn, "offset")
    return _same_shape([st, al, off], C)


def _prepare(x: ImageLike, fn: str, mode: str, clamp: Any, backend: str):
    batch = to_batch(x, fn, allow_empty=True, check_finite=False)   # see _deferred_check
    mode = check_choice(mode, MODES, fn, "mode")
    clamp = _flag(clamp, fn, "clamp")
    backend = check_choice(backend, _BACKENDS, fn, "backend")
    return batch, mode, clamp, backend


def _grid(n: int, device, dtype) -> torch.Tensor:
    """``linspace(0, 1, n)`` computed in float64 (as numpy) and cast."""
    return torch.linspace(0.0, 1.0, n, dtype=torch.float64).to(device=device, dtype=dtype)


def _as4(t: torch.Tensor, device, dtype) -> torch.Tensor:
    """``(B,)`` -> ``(B, 1, 1, 1)``; ``(B, C)`` -> ``(B, C, 1, 1)``, limited to a quarter of
    ``dtype``'s largest value (a sum of three such terms stays finite, so a huge finite
    parameter saturates the result instead of making ``inf * 0 = NaN``)."""
    t = t[:, None] if t.ndim == 1 else t
    if dtype.is_floating_point:
        lim = torch.finfo(dtype).max / 4
        if t.dtype.is_floating_point and not t.requires_grad:
            t = t.clamp(-lim, lim)              # one op (no test, no sync): identity when |t| <= lim
    return t[:, :, None, None].to(device=device, dtype=dtype)


def _try_triton(op: str, x: torch.Tensor, backend: str, **params) -> torch.Tensor | None:
    """:func:`pixelgrad.functional._dispatch.try_triton`, skipped (torch runs instead) when a
    parameter requires grad: the Triton kernels take plain values and cannot differentiate."""
    if tracks_grad(*(v for v in params.values() if isinstance(v, torch.Tensor))):
        return None
    return _dispatch.try_triton(op, x, backend, **params)


def _own_range(x: torch.Tensor, white: float):
    """Clamp bounds of ``x``: ``(0, white)``, or for a float batch with values outside
    ``[0, 1]`` per-sample tensors ``min(0, min x)``, ``max(1, max x)`` of shape
    ``(B, 1, 1, 1)`` (the image keeps its own range)."""
    if not x.dtype.is_floating_point or x.numel() == 0:
        return 0.0, white
    lo, hi = torch.aminmax(x.detach())             # one fast pass for the common case
    if bool(lo >= 0) and bool(hi <= white):
        return 0.0, white
    flat = x.detach().reshape(x.shape[0], -1)
    lo, hi = flat.amin(dim=1), flat.amax(dim=1)    # (aminmax with dim is ~5x slower on CPU)
    cdt = compute_dtype(x.dtype)
    lo = lo.clamp(max=0.0).to(cdt)[:, None, None, None]
    hi = hi.clamp(min=white).to(cdt)[:, None, None, None]
    return lo, hi


def _clamp_(y: torch.Tensor, bounds) -> torch.Tensor:
    lo, hi = bounds
    if isinstance(lo, torch.Tensor):
        return torch.clamp(y, lo, hi, out=y)
    return y.clamp_(lo, hi)


def _own_backend(x: torch.Tensor, backend: str, clamp: bool) -> str:
    """``backend``, or ``"torch"`` for a clamped float batch outside [0, 1] (the Triton
    kernels clamp to [0, 1]; the torch path keeps the image's own range)."""
    if backend != "torch" and x.device.type != "cpu" and _out_of_unit_range(x, clamp):
        return "torch"
    return backend


def _out_of_unit_range(x: torch.Tensor, clamp: bool) -> bool:
    """True for a clamped float batch with values outside [0, 1] (handled by the torch path,
    which clamps to the image's own range)."""
    return bool(clamp) and x.dtype.is_floating_point and isinstance(_own_range(x, 1.0)[0], torch.Tensor)


# ------------------------------------------------------------------------- the mixer
#: ``alpha * g`` as one tensor ``(B, 1 | C, H, W)``, or as a pair ``(row, col)`` of shapes
#: ``(B, C', 1, W)`` and ``(B, C', H, 1)`` whose broadcast sum is the field (a planar ramp:
#: the CPU mixer then adds the pair block by block, in cache, instead of in one large buffer)
Field = Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]
#: a deferred finite check of the input (see :func:`_deferred_check`), or None when done
Check = Optional[Callable[[torch.Tensor], None]]


def _whole(field: Field) -> torch.Tensor:
    """The field as one tensor (``row + col`` for a pair: the same bits as blockwise)."""
    return field if isinstance(field, torch.Tensor) else field[0] + field[1]


#: the name a non-finite input is reported under, when a transform calls the op
_REPORT_AS: ContextVar[Optional[str]] = ContextVar("pixelgrad_illumination_report_as", default=None)


@contextmanager
def reported_as(name: str) -> Iterator[None]:
    """Within the block, the ops of this module report a NaN / inf input under ``name``.

    A transform that calls them on a batch it did not check itself (see
    :class:`pixelgrad.augment.illumination._Field`) uses it: its name is the one the user
    knows.

    Parameters
    ----------
    name : str
        The name to report, e.g. ``"RandomGradient"``.

    Yields
    ------
    None

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> with reported_as("MyTransform"):
    ...     pg.linear_gradient(torch.full((1, 1, 2, 2), float("nan")), 0.5, 0.5)
    Traceback (most recent call last):
    ...
    ValueError: MyTransform: argument `x` must be finite (no NaN or inf values), got tensor of shape (1, 1, 2, 2) and dtype torch.float32
    """
    token = _REPORT_AS.set(name)
    try:
        yield
    finally:
        _REPORT_AS.reset(token)


def _deferred_check(data: torch.Tensor, given: Any, fn: str, backend: str) -> Check:
    """The finite check of ``x``, run now or handed to :func:`_mix` (return value).

    On the CPU torch path the mixer checks ``x`` in the pass that reads it anyway (its
    per-block min / max, which the clamp needs too), so the check is returned for it to run
    only if that pass sees a value that is not finite; when Triton may take the call (a
    CUDA tensor or ``backend='triton'``) the check runs here, before dispatch."""
    caller = _REPORT_AS.get()

    def check(t: torch.Tensor) -> None:
        require_finite(t, caller or fn, "x", t if caller else given)

    if not data.is_floating_point():
        return None
    if data.device.type != "cpu" or _dispatch.effective(backend) == "triton":
        check(data)
        return None
    return check


def _mix(x: torch.Tensor, field: Field, alpha: torch.Tensor, mode: str,
         clamp: bool, check: Check = None) -> torch.Tensor:
    """Mix ``alpha * g`` into ``x`` and return the caller's dtype.

    ``field`` is ``alpha * g`` in the compute dtype (see :data:`Field`); ``alpha`` is the
    float64 ``(B,)`` / ``(B, C)`` weight (used by ``blend`` for ``1 - alpha``); ``check``
    the finite check of ``x`` still to run (None when the caller ran it).
    """
    cdt = compute_dtype(x.dtype)
    white = max_value(x.dtype)
    grad = torch.is_grad_enabled() and (x.requires_grad or tracks_grad(
        *((field,) if isinstance(field, torch.Tensor) else field)))
    if not grad and x.device.type == "cpu":
        return _mix_cpu(x, field, alpha, mode, clamp, check=check)
    if check is not None:
        check(x)
    field = _whole(field)
    coef = _as4(1.0 - alpha, x.device, cdt) if mode == "blend" else None
    if grad:                                                  # differentiable, out of place
        if white != 1.0 and mode != "multiply":
            field = field * white
        if mode == "multiply":
            field = field + 1.0                               # the gain 1 + alpha * g
        xc = x.to(cdt)
        y = torch.addcmul(field, xc, coef) if mode == "blend" else (xc + field if mode == "add" else xc * field)
        if clamp:
            lo, hi = _own_range(x, white)
            y = torch.clamp(y, lo, hi) if isinstance(lo, torch.Tensor) else y.clamp(lo, hi)
        return from_compute(y, x.dtype)
    bounds = _own_range(x, white) if clamp else (0.0, white)
    # No autograd, on an accelerator: write straight into the output (float) or into one float
    # buffer (ints, half precision), then clamp / round in place: two or three passes.
    if white != 1.0 and mode != "multiply":
        field = field * white
    if mode == "multiply":
        field = field + 1.0
    same = x.dtype == cdt
    out = torch.empty_like(x) if same else torch.empty_like(x, dtype=cdt)
    if mode == "blend":
        torch.addcmul(field, x if same else x.to(cdt), coef, out=out)
    elif mode == "add":
        torch.add(x if same else x.to(cdt), field, out=out)
    else:
        torch.mul(x if same else x.to(cdt), field, out=out)
    if clamp:
        _clamp_(out, bounds)
    if same:
        return out
    if not x.dtype.is_floating_point:
        out.round_()
        if not clamp:
            out.clamp_(*_int_range(x.dtype))
    return out.to(x.dtype)


#: float elements per CPU block of :func:`_mix_cpu` (1 MiB of float32: a 3x224x224 sample makes one block)
_BLOCK_ELEMS = 1 << 18


class _LeftUnitRange(Exception):
    """A block of a float image holds a value outside ``[0, white]`` (or not finite): the
    optimistic bounds of :func:`_mix_cpu` do not apply."""


def _mix_cpu(x: torch.Tensor, field: Field, alpha: torch.Tensor, mode: str,
             clamp: bool, bounds=None, *, check: Check = None) -> torch.Tensor:
    """No-autograd CPU mixer: the same elementwise float ops as the batched path, hence the
    same bits, run block by block (whole samples, about ``_BLOCK_ELEMS`` values per block;
    a larger sample in strips of rows, so the float buffers never hold a whole large image)
    through small reused buffers, so the passes after the first read of a block (field,
    clamp, input test, rounding) work on data in cache, not in memory. Measured on a 2-core
    VM, 32x3x224x224 float32, one thread: about 2.5-3x a ``clone()`` of the batch in all
    (benchmarks/illumination.py --pieces breaks it down).

    A float image is also *watched* (when it is clamped, or ``check`` is given): every value
    of each block (read while it is in cache) must lie in ``[+0.0, 1.0]``, tested as the
    integer min / max of its bits. That is the common case, where the own-range bounds of
    :func:`_own_range` are ``(0, 1)``, and it proves the block finite. At the first block
    that fails, the work so far is dropped: ``check`` runs on the whole ``x`` (raising for
    NaN / inf), the bounds come from :func:`_own_range`, and the batch is mixed again with
    them, unwatched.

    ``field``: ``alpha * g`` (:data:`Field`) in the compute dtype; ``alpha``: float64
    ``(B,)`` / ``(B, C)``; ``bounds``: clamp bounds from :func:`_own_range` (default: found as
    above); ``check``: the input's finite check still to run, or None. Returns a new tensor of
    ``x``'s dtype and memory format.
    """
    white = max_value(x.dtype)
    if bounds is None and not isinstance(field, torch.Tensor) and cpu_fused.available():
        # one fused pass (numba): same bits; None when a value leaves [0, 1] or not covered
        coef = (torch.from_numpy(_as4_numpy(1.0 - alpha.detach().numpy(), x.dtype))
                if mode == "blend" and x.dtype in (torch.float32, torch.float64) else None)
        y = cpu_fused.mix_planar(x, field[0], field[1], coef, mode, clamp, (0.0, white),
                                 clamp or check is not None)
        if y is not None:
            return y
    if bounds is None:
        watch = x.dtype.is_floating_point and (clamp or check is not None)
        if not watch:
            return _mix_blocks(x, field, alpha, mode, clamp, (0.0, white), False)
        try:
            return _mix_blocks(x, field, alpha, mode, clamp, (0.0, white), True)
        except _LeftUnitRange:
            if check is not None:
                check(x)
            bounds = _own_range(x, white) if clamp else (0.0, white)
    return _mix_blocks(x, field, alpha, mode, clamp, bounds, False)


def _blocks(t: torch.Tensor, n: int, step: int, rows: int) -> list[torch.Tensor]:
    """Views of ``t`` ``(B | 1, C', H | 1, W | 1)`` for each block of :func:`_mix_blocks`:
    ``step`` samples, cut in strips of ``rows`` rows (a dim of size 1 is broadcast, so
    every block sees the whole of it). ``split`` makes the views in one call each (Python
    slicing costs microseconds per view, which adds up over hundreds of blocks)."""
    by_sample = t.split(step) if t.shape[0] != 1 else [t] * n
    if t.shape[2] == 1 or rows >= t.shape[2]:
        return list(by_sample)
    return [strip for blk in by_sample for strip in blk.split(rows, 2)]


def _mix_blocks(x: torch.Tensor, field: Field, alpha: torch.Tensor, mode: str, clamp: bool,
                bounds, watch: bool) -> torch.Tensor:
    """The block loop of :func:`_mix_cpu`; with ``watch``, raises :class:`_LeftUnitRange`
    at the first block whose values leave ``[0, 1]`` (float images only)."""
    cdt = compute_dtype(x.dtype)
    white = max_value(x.dtype)
    B, _, H, _ = x.shape
    scale = white != 1.0 and mode != "multiply"
    same = x.dtype == cdt
    flt = x.dtype.is_floating_point
    out = torch.empty_like(x)
    step = max(1, _BLOCK_ELEMS // max(1, x[0].numel()))
    # a sample larger than a block is cut into strips of rows (elementwise: same bits)
    rows = H if step > 1 else max(1, min(H, _BLOCK_ELEMS // max(1, x[0, :, 0].numel())))
    n = -(-B // step)                                          # blocks of samples
    strips = -(-H // rows)
    nb = n * strips
    lo, hi = bounds
    per_sample_bounds = isinstance(lo, torch.Tensor)
    coef = _as4(1.0 - alpha, x.device, cdt) if mode == "blend" else None
    views = [x, out] + ([coef] if coef is not None else [])
    views += list(field) if not isinstance(field, torch.Tensor) else [field]
    views += [lo, hi] if per_sample_bounds else []
    per = [_blocks(v, n, step, rows) for v in views]
    # repeat the per-sample views (coef, bounds, a field without rows) for every strip
    per = [p if len(p) == nb else [q for q in p for _ in range(strips)] for p in per]
    xb, ob = per[0], per[1]
    cb = per[2] if coef is not None else [None] * nb
    k = 3 if coef is not None else 2
    if isinstance(field, torch.Tensor):
        fl, rowb, colb = per[k], None, None
        k += 1
    else:
        fl, rowb, colb = None, per[k], per[k + 1]
        k += 2
    lob, hib = (per[k], per[k + 1]) if per_sample_bounds else ([lo] * nb, [hi] * nb)
    buffers: dict = {}
    if watch:
        # the float bits read as integers of the same width: a non-negative float's bits
        # are a non-negative integer, in the order of the floats; a sign bit makes it
        # negative; inf and NaN lie above 1.0's bits. So "integers in [0, bits of 1.0]" is
        # exactly "every value in [+0.0, 1.0]" (finite), in an integer min / max twice as
        # fast as the float one (no NaN rule). -0.0 takes the exact path (same result).
        bits, one = cpu_fused.ONE_BITS[cdt]

    def buffer(name: str, shape) -> torch.Tensor:
        """A reused float buffer of ``shape`` (one per name and shape: the last, smaller
        block gets its own)."""
        key = (name, tuple(shape))
        buf = buffers.get(key)
        if buf is None:
            buf = buffers[key] = torch.empty(shape, dtype=cdt)
        return buf

    for i in range(nb):
        xs, y = xb[i], ob[i]
        if fl is None:                                         # the field row + col, in cache
            row, col = rowb[i], colb[i]
            f = torch.add(row, col, out=buffer("f", [max(p, q) for p, q in zip(row.shape, col.shape)]))
            if scale:
                f.mul_(white)
            elif mode == "multiply":
                f.add_(1.0)                                    # the gain 1 + alpha * g
        else:
            f = fl[i]
            if scale:
                f = torch.mul(f, white, out=buffer("f", f.shape))
            elif mode == "multiply":
                f = torch.add(f, 1.0, out=buffer("f", f.shape))   # the gain 1 + alpha * g
        if not same:
            xs = buffer("x", xs.shape).copy_(xs)
            y = buffer("y", xs.shape)
        if mode == "blend":
            torch.addcmul(f, xs, cb[i], out=y)
        elif mode == "add":
            torch.add(xs, f, out=y)
        else:
            torch.mul(xs, f, out=y)
        if watch:                                              # xs is in cache now
            m = torch.aminmax(xs.view(bits))
            if not (0 <= m.min.item() and m.max.item() <= one):
                raise _LeftUnitRange
        if clamp:
            if per_sample_bounds:
                torch.clamp(y, lob[i], hib[i], out=y)
            else:
                y.clamp_(lo, hi)
        if not same:
            if not flt:
                y.round_()
                if not clamp:
                    y.clamp_(*_int_range(x.dtype))
            ob[i].copy_(y)
    return out


def _int_range(dtype: torch.dtype) -> tuple[float, float]:
    info = torch.iinfo(dtype)
    return float(info.min), float(info.max)


def _scaled(alpha: torch.Tensor, *ts: torch.Tensor) -> list[torch.Tensor]:
    """``alpha * t`` for each ``t`` (float64, broadcast per sample / per channel)."""
    return [alpha * t for t in ts]


def _linear_torch(x: torch.Tensor, a, b, alpha, offset, mode: str, clamp: bool,
                  check: Check = None) -> torch.Tensor:
    """Torch path of ``linear_gradient`` on ``(B, C, H, W)``; params ``(B,)`` or ``(B, C)``;
    ``check``: the finite check of ``x`` still to run (see :func:`_mix`)."""
    B, C, H, W = x.shape
    cdt = compute_dtype(x.dtype)
    dev = x.device
    if dev.type == "cpu" and not tracks_grad(a, b, alpha, offset):
        row, col = _planar_numpy(alpha, a, b, offset, H, W, cdt)
        return _mix(x, (row, col), alpha, mode, clamp, check)
    aa, bb, oo = _scaled(alpha, a, b, offset)            # alpha * a, alpha * b, alpha * offset
    row = _as4(aa, dev, cdt) * _grid(W, dev, cdt)         # (B, C', 1, W)
    row = row + _as4(oo, dev, cdt)
    col = _as4(bb, dev, cdt) * _grid(H, dev, cdt)[:, None]  # (B, C', H, 1)
    return _mix(x, (row, col), alpha, mode, clamp, check)   # the field alpha * g = row + col


def _as4_numpy(t: np.ndarray, cdt: torch.dtype) -> np.ndarray:
    """:func:`_as4` for a float64 numpy array on the CPU (the same ops, so the same bits)."""
    t = t[:, None] if t.ndim == 1 else t
    lim = torch.finfo(cdt).max / 4
    return np.clip(t, -lim, lim)[:, :, None, None].astype(np.float32 if cdt == torch.float32 else np.float64)


@lru_cache(maxsize=64)
def _grid_numpy(n: int, dtype: torch.dtype) -> np.ndarray:
    """:func:`_grid` on the CPU as a read-only numpy array (cached: the same bits)."""
    g = _grid(n, "cpu", dtype).numpy()
    g.setflags(write=False)
    return g


def _planar_numpy(alpha, a, b, offset, H: int, W: int, cdt: torch.dtype):
    """The ``(row, col)`` of :func:`_linear_torch` for CPU parameters without autograd, with
    numpy's elementwise ops on these small arrays (a few microseconds each, against torch's
    per-op dispatch cost): the same IEEE operations in the same order, so the same bits."""
    al = alpha.detach().numpy()
    aa, bb, oo = (_as4_numpy(al * t.detach().numpy(), cdt) for t in (a, b, offset))
    row = aa * _grid_numpy(W, cdt) + oo                       # (B, C', 1, W)
    col = bb * _grid_numpy(H, cdt)[:, None]                   # (B, C', H, 1)
    return torch.from_numpy(row), torch.from_numpy(col)


# ------------------------------------------------------------------------- linear_gradient
def linear_gradient(x: ImageLike, a: Optional[Value] = None, b: Optional[Value] = None,
                    alpha: Alpha = 0.1, *, angle: Optional[Angle] = None,
                    strength: Optional[Value] = None, offset: Value = 0.0,
                    mode: str = "blend", clamp: bool = True, backend: str = "auto") -> ImageLike:
    r"""Mix a linear ramp (a planar field) into the image: the seed's "random gradient".

    Two parametrizations of the same family of affine fields ``g = a*u + b*v + offset``:

    * ``a``, ``b`` (the seed's): the slopes across the width (``u``) and down the height
      (``v``); ``g`` then spans ``[min(0,a) + min(0,b), max(0,a) + max(0,b)] + offset``.
    * ``angle``, ``strength`` (controlled range): ``g`` spans exactly
      ``[offset, offset + strength]`` (``offset + strength`` at the far side in the direction
      ``angle``; 0 = left to right, pi/2 = top to bottom; a negative ``strength`` makes a
      ramp that falls from ``offset``).

    Parameters
    ----------
    x : tensor or numpy array
        ``(..., C, H, W)`` tensor (uint8, uint16, float16, bfloat16, float32, float64) or
        numpy ``(H, W[, C])`` image. An empty batch gives an empty result.
    a, b : number or tensor, optional
        Slopes across the width and down the height; numbers, ``(B,)`` or per channel
        ``(B, C)``. Give both, or neither (then ``angle`` and ``strength``).
    alpha : number or tensor, default 0.1
        Mixing weight (``blend`` needs ``0 <= alpha <= 1``); number, ``(B,)`` or ``(B, C)``.
    angle : number or tensor, optional
        Direction of the ramp in radians; number, ``(B,)`` or ``(B, C)``. With ``strength``,
        instead of ``a``, ``b``.
    strength : number or tensor, optional
        Peak-to-peak range of ``g``; number, ``(B,)`` or ``(B, C)``.
    offset : number or tensor, default 0.0
        Added to ``g``; number, ``(B,)`` or ``(B, C)``.
    mode : {"blend", "add", "multiply"}, default "blend"
        How the field is mixed in (see Notes).
    clamp : bool, default True
        Clamp the result to the input's own range: ``[0, white]`` for integers and for float
        images within [0, 1], else per sample ``[min(0, min x), max(1, max x)]`` (a float
        image is never squeezed into [0, 1]). Integers are always rounded half-to-even and
        saturated.
    backend : {"auto", "torch", "triton"}, default "auto"
        Where to compute. Parameters that require grad always run on torch.

    Returns
    -------
    tensor or numpy array
        Same container, shape and dtype as ``x``; the input is not modified.

    Raises
    ------
    ValueError
        If both or neither parametrization is given, a parameter has a bad shape or is not
        finite, ``alpha`` is outside [0, 1] with ``mode="blend"``, or ``mode`` / ``backend``
        is unknown.
    TypeError
        If ``clamp`` is not a bool, or a parameter is not a number or tensor.

    Notes
    -----
    The field on the unit-square grid :math:`u_j = j / (W - 1)`, :math:`v_i = i / (H - 1)`:

    .. math:: g(u, v) = a\, u + b\, v + \text{offset}

    The angle form is :math:`g = \text{offset} + \text{strength}\; (p - \min p) / (\max p - \min p)`
    with :math:`p = u \cos\theta + v \sin\theta`, i.e.
    :math:`a = \text{strength} \cos\theta / (|\cos\theta| + |\sin\theta|)`,
    :math:`b = \text{strength} \sin\theta / (|\cos\theta| + |\sin\theta|)`; conversely any
    :math:`(a, b) \ne 0` is :math:`\theta = \operatorname{atan2}(b, a)`,
    :math:`\text{strength} = |a| + |b|`. The field is mixed into every channel, :math:`w`
    being the white level of the dtype (1 for floats, 255 for uint8):

    .. math:: \text{blend: } y = (1 - \alpha)\, x + \alpha\, w\, g, \qquad \text{add: } y = x + \alpha\, w\, g, \qquad \text{multiply: } y = x\, (1 + \alpha\, g)

    With fixed ``a, b, alpha``, ``mode="blend"``, ``clamp=False`` on a float64 ``(H, W, C)``
    array this equals the seed code ``(1 - alpha) * x[..., i] + alpha * (U * a + V * b)``
    (``U, V = np.meshgrid(np.linspace(0, 1, W), np.linspace(0, 1, H))``) to float rounding.
    Triton receives ``a, b, alpha, offset`` (the angle form converted first).

    Examples
    --------
    Blend half of a left-to-right ramp into a black image:

    >>> import torch, pixelgrad as pg
    >>> pg.linear_gradient(torch.zeros(1, 1, 2, 3), a=1.0, b=0.0, alpha=0.5)[0, 0]
    tensor([[0.0000, 0.2500, 0.5000],
            [0.0000, 0.2500, 0.5000]])

    Per-sample slopes on a batch (shape kept):

    >>> x = torch.rand(4, 3, 16, 16)
    >>> pg.linear_gradient(x, a=torch.rand(4) * 2 - 1, b=torch.rand(4) * 2 - 1).shape
    torch.Size([4, 3, 16, 16])
    """
    fn = "linear_gradient"
    batch, mode, clamp, backend = _prepare(x, fn, mode, clamp, backend)
    B, C = batch.data.shape[:2]
    al = _alpha(alpha, B, C, fn, mode)
    off = per_channel(offset, B, C, fn, "offset")
    if angle is not None or strength is not None:
        if a is not None or b is not None:
            bad_value(fn, "a, b", "omitted when `angle` and `strength` are given", (a, b))
        if angle is None or strength is None:
            bad_value(fn, "angle, strength", "both given (or neither, with a and b)", (angle, strength))
        th = per_channel(angle, B, C, fn, "angle")
        st = per_channel(strength, B, C, fn, "strength")
        th, st = _same_shape([th, st], C)
        cs, sn = torch.cos(th), torch.sin(th)
        norm = cs.abs() + sn.abs()                       # >= 1 for every angle
        # t = (p - min p) / (max p - min p), p = u cos + v sin: min p = min(0, cos) + min(0, sin)
        at, bt = st * cs / norm, st * sn / norm
        off_t = -st * (cs.clamp(max=0.0) + sn.clamp(max=0.0)) / norm
        aa, bb, al, off = _same_shape([at, bt, al, off], C)
        off = off + (off_t if off_t.ndim == off.ndim else off_t[:, None].expand_as(off))
    else:
        if a is None or b is None:
            bad_value(fn, "a, b", "both given (or `angle` and `strength` instead)", (a, b))
        aa = per_channel(a, B, C, fn, "a")
        bb = per_channel(b, B, C, fn, "b")
        aa, bb, al, off = _same_shape([aa, bb, al, off], C)
    if batch.empty:
        return batch.restore(batch.data.clone())
    check = _deferred_check(batch.data, x, fn, backend)
    out = _try_triton(fn, batch.data, _own_backend(batch.data, backend, clamp), a=aa, b=bb, alpha=al,
                      offset=off, mode=mode, clamp=clamp)
    if out is None:
        out = _linear_torch(batch.data, aa, bb, al, off, mode, clamp, check)
    return batch.restore(out)


# ------------------------------------------------------------------------- corner_gradient
def _parse_corner(corner: Any, B: int, fn: str) -> torch.Tensor:
    if isinstance(corner, str):
        if corner not in CORNERS:
            bad_value(fn, "corner", "one of " + ", ".join(map(repr, CORNERS)) + " or 0..3", corner)
        corner = CORNERS.index(corner)
    t = per_sample(corner, B, fn, "corner", low=0.0, high=3.0)
    if not bool((t == t.round()).all()):
        bad_value(fn, "corner", "integers 0..3 (top-left, top-right, bottom-right, bottom-left)", corner)
    return t


def corner_gradient(x: ImageLike, corner: Corner = 0, alpha: Alpha = 0.1, *, strength: Value = 1.0,
                    offset: Value = 0.0, mode: str = "blend", clamp: bool = True,
                    backend: str = "auto") -> ImageLike:
    r"""Mix a diagonal ramp that peaks at one corner into the image.

    Parameters
    ----------
    x : tensor or numpy array
        As :func:`linear_gradient`.
    corner : int, str or tensor, default 0
        ``0`` / ``'top-left'``, ``1`` / ``'top-right'``, ``2`` / ``'bottom-right'``,
        ``3`` / ``'bottom-left'``; a name, an integer or a per-sample ``(B,)`` tensor.
    alpha : number or tensor, default 0.1
        Mixing weight; number, ``(B,)`` or per channel ``(B, C)``.
    strength : number or tensor, default 1.0
        Value of the ramp at the corner above ``offset``; number, ``(B,)`` or ``(B, C)``.
    offset : number or tensor, default 0.0
        Value at the opposite corner; number, ``(B,)`` or ``(B, C)``.
    mode, clamp, backend
        As :func:`linear_gradient`.

    Returns
    -------
    tensor or numpy array
        Same container, shape and dtype as ``x``.

    Raises
    ------
    ValueError
        For an unknown corner name or a corner outside 0..3, and as :func:`linear_gradient`.

    Notes
    -----
    With :math:`(u_0, v_0)` the chosen corner of the unit square:

    .. math:: g(u, v) = \text{offset} + \text{strength} \left(1 - \frac{|u - u_0| + |v - v_0|}{2}\right)

    ``offset + strength`` at the corner, ``offset`` at the opposite one, linear in between: a
    :func:`linear_gradient` at 45 degrees, mixed in the same way.

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> pg.corner_gradient(torch.zeros(1, 1, 2, 3), "top-left", alpha=1.0)[0, 0]
    tensor([[1.0000, 0.7500, 0.5000],
            [0.5000, 0.2500, 0.0000]])
    """
    fn = "corner_gradient"
    batch, mode, clamp, backend = _prepare(x, fn, mode, clamp, backend)
    B, C = batch.data.shape[:2]
    k = _parse_corner(corner, B, fn)
    st, al, off = _amounts(strength, alpha, offset, B, C, fn, mode)
    if batch.empty:
        return batch.restore(batch.data.clone())
    check = _deferred_check(batch.data, x, fn, backend)
    out = _try_triton(fn, batch.data, _own_backend(batch.data, backend, clamp), corner=k, strength=st, alpha=al, offset=off,
                      mode=mode, clamp=clamp)
    if out is None:
        uv = torch.tensor(_CORNER_UV, dtype=torch.float64)[k.long()]      # (B, 2) (u0, v0)
        su, sv = 1.0 - 2.0 * uv[:, 0], 1.0 - 2.0 * uv[:, 1]               # |u - u0| = su*u + u0
        if st.ndim == 2:
            su, sv, uv = su[:, None], sv[:, None], uv[:, None, :]
        a = -0.5 * st * su
        b = -0.5 * st * sv
        o = off + st * (1.0 - 0.5 * (uv[..., 0] + uv[..., 1]))
        out = _linear_torch(batch.data, a, b, al, o, mode, clamp, check)
    return batch.restore(out)


# ------------------------------------------------------------------------- radial fields
def _center_scale(batch, center, scale, fn, scale_arg):
    B = batch.batch_size
    c = per_sample(center, B, fn, "center", pair=True)
    s = per_sample(scale, B, fn, scale_arg, pair=True, low=0.0, low_open=True)
    return c, s


def _radial_parts(x: torch.Tensor, c: torch.Tensor, s: torch.Tensor):
    """Normalized offsets ``(v - cy) / sy`` ``(B, 1, H, 1)`` and ``(u - cx) / sx`` ``(B, 1, 1, W)``."""
    B, C, H, W = x.shape
    cdt, dev = compute_dtype(x.dtype), x.device
    v = _grid(H, dev, cdt)[None, None, :, None]
    u = _grid(W, dev, cdt)[None, None, None, :]
    dy = (v - c[:, 0].to(dev, cdt)[:, None, None, None]) / s[:, 0].to(dev, cdt)[:, None, None, None]
    dx = (u - c[:, 1].to(dev, cdt)[:, None, None, None]) / s[:, 1].to(dev, cdt)[:, None, None, None]
    return dy, dx


def _shape_field(x, t: torch.Tensor, st, al, off) -> torch.Tensor:
    """``alpha * (offset + strength * t)`` with ``t`` ``(B, 1, H, W)``, params ``(B,)`` / ``(B, C)``."""
    cdt, dev = compute_dtype(x.dtype), x.device
    return _as4(al * st, dev, cdt) * t + _as4(al * off, dev, cdt)


def radial_gradient(x: ImageLike, alpha: Alpha = 0.5, *, center: PairValue = (0.5, 0.5),
                    radius: PairValue = 1.0, strength: Value = 1.0, offset: Value = -1.0, mode: str = "multiply",
                    clamp: bool = True, backend: str = "auto") -> ImageLike:
    r"""Mix a radial (cone) field into the image: vignetting or a light spot.

    The defaults (``offset=-1``, ``strength=1``, ``mode='multiply'``) are a vignette: the
    centre keeps its value, pixels at distance >= radius are scaled by ``1 - alpha``.

    Parameters
    ----------
    x : tensor or numpy array
        As :func:`linear_gradient`.
    alpha : number or tensor, default 0.5
        Mixing weight; number, ``(B,)`` or per channel ``(B, C)``.
    center : pair or tensor, default (0.5, 0.5)
        ``(cy, cx)`` in unit-square coordinates (fractions of height, width); a pair or per
        sample ``(B, 2)``.
    radius : number, pair or tensor, default 1.0
        > 0: number, pair ``(ry, rx)`` or ``(B,)`` / ``(B, 2)``; unit-square units, so
        ``radius=sqrt(0.5)`` from the centre reaches the corners.
    strength : number or tensor, default 1.0
        Height of the cone; number, ``(B,)`` or ``(B, C)``.
    offset : number or tensor, default -1.0
        Added to the field; number, ``(B,)`` or ``(B, C)``.
    mode : {"blend", "add", "multiply"}, default "multiply"
        As :func:`linear_gradient`.
    clamp, backend
        As :func:`linear_gradient`.

    Returns
    -------
    tensor or numpy array
        Same container, shape and dtype as ``x``.

    Raises
    ------
    ValueError
        For a radius <= 0, a bad centre shape, and as :func:`linear_gradient`.

    Notes
    -----
    .. math:: r = \sqrt{\left(\frac{u - c_x}{r_x}\right)^2 + \left(\frac{v - c_y}{r_y}\right)^2}, \qquad g = \text{offset} + \text{strength}\, \max(0, 1 - r)

    mixed as in :func:`linear_gradient`. The cone has kinks at :math:`r = 0` and
    :math:`r = 1`, where the derivative with respect to the parameters is one-sided.

    Examples
    --------
    The default vignette on a white 3 x 3 image (corners at distance :math:`\sqrt{0.5}`):

    >>> import torch, pixelgrad as pg
    >>> pg.radial_gradient(torch.ones(1, 1, 3, 3), alpha=0.5)[0, 0]
    tensor([[0.6464, 0.7500, 0.6464],
            [0.7500, 1.0000, 0.7500],
            [0.6464, 0.7500, 0.6464]])
    """
    fn = "radial_gradient"
    batch, mode, clamp, backend = _prepare(x, fn, mode, clamp, backend)
    B, C = batch.data.shape[:2]
    c, s = _center_scale(batch, center, radius, fn, "radius")
    st, al, off = _amounts(strength, alpha, offset, B, C, fn, mode)
    if batch.empty:
        return batch.restore(batch.data.clone())
    check = _deferred_check(batch.data, x, fn, backend)
    out = _try_triton(fn, batch.data, _own_backend(batch.data, backend, clamp), center=c, radius=s, strength=st, alpha=al,
                      offset=off, mode=mode, clamp=clamp)
    if out is None:
        dy, dx = _radial_parts(batch.data, c, s)
        t = (1.0 - torch.sqrt(dy * dy + dx * dx)).clamp_(min=0.0)      # (B, 1, H, W)
        out = _mix(batch.data, _shape_field(batch.data, t, st, al, off), al, mode, clamp, check)
    return batch.restore(out)


def gaussian_spot(x: ImageLike, alpha: Alpha = 0.2, *, center: PairValue = (0.5, 0.5),
                  sigma: Sigma = 0.25, strength: Value = 1.0, offset: Value = 0.0, mode: str = "add", clamp: bool = True,
                  backend: str = "auto") -> ImageLike:
    r"""Mix a Gaussian light spot into the image (kornia's ``RandomGaussianIllumination`` field).

    Parameters
    ----------
    x : tensor or numpy array
        As :func:`linear_gradient`.
    alpha : number or tensor, default 0.2
        Mixing weight; number, ``(B,)`` or per channel ``(B, C)``.
    center : pair or tensor, default (0.5, 0.5)
        ``(cy, cx)`` in unit-square coordinates; pair or per sample ``(B, 2)``.
    sigma : number, pair or tensor, default 0.25
        > 0: number, pair ``(sy, sx)`` or ``(B,)`` / ``(B, 2)``, unit-square units.
    strength : number or tensor, default 1.0
        Peak of the spot (negative darkens); number, ``(B,)`` or ``(B, C)``.
    offset : number or tensor, default 0.0
        Added to the field; number, ``(B,)`` or ``(B, C)``.
    mode : {"blend", "add", "multiply"}, default "add"
        As :func:`linear_gradient`.
    clamp, backend
        As :func:`linear_gradient`.

    Returns
    -------
    tensor or numpy array
        Same container, shape and dtype as ``x``.

    Raises
    ------
    ValueError
        For a sigma <= 0, a bad centre shape, and as :func:`linear_gradient`.

    Notes
    -----
    .. math:: g(u, v) = \text{offset} + \text{strength}\, \exp\left(-\frac{(u - c_x)^2}{2 s_x^2} - \frac{(v - c_y)^2}{2 s_y^2}\right)

    With the default ``mode='add'``: :math:`y = x + \alpha\, w\, g` (:math:`w` the white level).

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> pg.gaussian_spot(torch.zeros(1, 1, 3, 3), alpha=0.2)[0, 0]
    tensor([[0.0037, 0.0271, 0.0037],
            [0.0271, 0.2000, 0.0271],
            [0.0037, 0.0271, 0.0037]])
    """
    fn = "gaussian_spot"
    batch, mode, clamp, backend = _prepare(x, fn, mode, clamp, backend)
    B, C = batch.data.shape[:2]
    c, s = _center_scale(batch, center, sigma, fn, "sigma")
    st, al, off = _amounts(strength, alpha, offset, B, C, fn, mode)
    if batch.empty:
        return batch.restore(batch.data.clone())
    check = _deferred_check(batch.data, x, fn, backend)
    out = _try_triton(fn, batch.data, _own_backend(batch.data, backend, clamp), center=c, sigma=s, strength=st, alpha=al,
                      offset=off, mode=mode, clamp=clamp)
    if out is None:
        dy, dx = _radial_parts(batch.data, c, s)
        t = torch.exp(-0.5 * dy * dy) * torch.exp(-0.5 * dx * dx)    # separable: (B,1,H,1)*(B,1,1,W)
        out = _mix(batch.data, _shape_field(batch.data, t, st, al, off), al, mode, clamp, check)
    return batch.restore(out)


__all__ = ["linear_gradient", "corner_gradient", "radial_gradient", "gaussian_spot"]
