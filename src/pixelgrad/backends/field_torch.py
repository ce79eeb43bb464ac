"""The torch backend's illumination ``field`` function: every op of
:mod:`pixelgrad.functional.illumination`, every device and dtype, differentiable.

Registered as ``("torch", "field")`` in :mod:`pixelgrad.backends.registry`:
``field(x, op, params, check=None)`` builds the op's field ``alpha * g`` from the validated
parameters (the Triton contract of :mod:`pixelgrad.functional.illumination`) and mixes it into
``x``. On the CPU without autograd the mixer runs block by block in cache
(:func:`_mix_cpu`); a planar field (linear, corner) is kept as a ``(row, col)`` pair whose
broadcast sum is the field. The numba backend (:mod:`pixelgrad.backends.cpu_fused`) runs the
planar CPU case in one fused pass with the same bits.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Optional, Tuple, Union

import numpy as np
import torch

from .._dtypes import compute_dtype, from_compute, max_value
from .registry import register

_CORNER_UV = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
#: compute dtype -> (integer dtype of the same width, the bits of 1.0 in it)
ONE_BITS = {torch.float32: (torch.int32, 0x3F800000), torch.float64: (torch.int64, 0x3FF0000000000000)}


def tracks_grad(*ts) -> bool:
    """Whether any of the tensors requires grad (autograd enabled)."""
    return torch.is_grad_enabled() and any(isinstance(t, torch.Tensor) and t.requires_grad for t in ts)


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
        y = torch.addcmul(field, xc, coef) if coef is not None else (xc + field if mode == "add" else xc * field)
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
    if coef is not None:                                      # mode == "blend"
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
        bits, one = ONE_BITS[cdt]

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
            assert rowb is not None and colb is not None
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
        c = cb[i]
        if c is not None:                                      # mode == "blend"
            torch.addcmul(f, xs, c, out=y)
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
    # min(max(.)) is np.clip's value (NaN included) without its wrapper's cost
    clipped = np.minimum(np.maximum(t, -lim), lim)
    return clipped[:, :, None, None].astype(np.float32 if cdt == torch.float32 else np.float64)


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




# ------------------------------------------------------------------------- the registered function
def corner_planar(params: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(a, b, offset)`` of the planar field equal to a ``corner_gradient``'s.

    Parameters
    ----------
    params : dict
        The validated ``corner_gradient`` parameters (``corner``, ``strength``, ``offset``).

    Returns
    -------
    (torch.Tensor, torch.Tensor, torch.Tensor)
        Float64 ``(B,)`` or ``(B, C)``: ``g = a*u + b*v + offset``.

    Examples
    --------
    >>> import torch
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> [t.tolist() for t in corner_planar({"corner": 0 * one, "strength": one, "offset": 0 * one})]
    [[-0.5], [-0.5], [1.0]]
    """
    k, st, off = params["corner"], params["strength"], params["offset"]
    if not (st.requires_grad or off.requires_grad) and st.device.type == "cpu" and off.device.type == "cpu":
        # the same float64 operations in the same order in numpy (exactly rounded, so the same
        # bits): a dozen torch operations on one-element tensors cost tens of microseconds
        uvn = np.asarray(_CORNER_UV, dtype=np.float64)[k.detach().cpu().numpy().astype(np.int64)]
        stn, offn = st.detach().numpy(), off.detach().numpy()
        sun, svn = 1.0 - 2.0 * uvn[:, 0], 1.0 - 2.0 * uvn[:, 1]
        if stn.ndim == 2:
            sun, svn, uvn = sun[:, None], svn[:, None], uvn[:, None, :]
        return (torch.from_numpy(-0.5 * stn * sun), torch.from_numpy(-0.5 * stn * svn),
                torch.from_numpy(offn + stn * (1.0 - 0.5 * (uvn[..., 0] + uvn[..., 1]))))
    uv = torch.tensor(_CORNER_UV, dtype=torch.float64)[k.long()]      # (B, 2) (u0, v0)
    su, sv = 1.0 - 2.0 * uv[:, 0], 1.0 - 2.0 * uv[:, 1]               # |u - u0| = su*u + u0
    if st.ndim == 2:
        su, sv, uv = su[:, None], sv[:, None], uv[:, None, :]
    a = -0.5 * st * su
    b = -0.5 * st * sv
    o = off + st * (1.0 - 0.5 * (uv[..., 0] + uv[..., 1]))
    return a, b, o


def planar(op: str, params: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """``(a, b, offset)`` of a planar op's field, or None for a non-planar op.

    Parameters
    ----------
    op : str
        The illumination op.
    params : dict
        Its validated parameters.

    Returns
    -------
    tuple of torch.Tensor or None

    Examples
    --------
    >>> planar("gaussian_spot", {}) is None
    True
    """
    if op == "linear_gradient":
        return params["a"], params["b"], params["offset"]
    if op == "corner_gradient":
        return corner_planar(params)
    return None


@register("torch", "field")
def field(x: torch.Tensor, op: str, params: dict, check: Check = None) -> torch.Tensor:
    """The ``("torch", "field")`` entry of :mod:`pixelgrad.backends.registry`.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)``, any device and dtype of the illumination ops.
    op : str
        ``linear_gradient``, ``corner_gradient``, ``radial_gradient`` or ``gaussian_spot``.
    params : dict
        The op's validated parameters (see :mod:`pixelgrad.functional.illumination`), with
        ``mode`` and ``clamp``; tensors that require grad keep the output in the graph.
    check : callable, optional
        The finite check of ``x`` still to run (when a value outside ``[0, 1]`` is seen).

    Returns
    -------
    torch.Tensor
        A new tensor of the dtype of ``x``.

    Examples
    --------
    >>> import torch
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> p = {"a": one, "b": 0 * one, "alpha": one, "offset": 0 * one, "mode": "add", "clamp": True}
    >>> field(torch.zeros(1, 1, 1, 3), "linear_gradient", p)[0, 0, 0]
    tensor([0.0000, 0.5000, 1.0000])
    """
    mode, clamp, al = params["mode"], params["clamp"], params["alpha"]
    lin = planar(op, params)
    if lin is not None:
        return _linear_torch(x, lin[0], lin[1], al, lin[2], mode, clamp, check)
    c = params["center"]
    st, off = params["strength"], params["offset"]
    if op == "radial_gradient":
        dy, dx = _radial_parts(x, c, params["radius"])
        t = (1.0 - torch.sqrt(dy * dy + dx * dx)).clamp_(min=0.0)      # (B, 1, H, W)
    elif op == "gaussian_spot":
        dy, dx = _radial_parts(x, c, params["sigma"])
        t = torch.exp(-0.5 * dy * dy) * torch.exp(-0.5 * dx * dx)    # separable: (B,1,H,1)*(B,1,1,W)
    else:
        from .registry import Uncovered

        raise Uncovered(f"the op {op!r}")
    return _mix(x, _shape_field(x, t, st, al, off), al, mode, clamp, check)
