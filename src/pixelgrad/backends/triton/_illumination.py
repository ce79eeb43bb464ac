"""Illumination ops in one elementwise pass: read x once, compute the field in registers,
mix, round / saturate, write once (see :mod:`._field` for the math)."""
from __future__ import annotations

import torch
import triton
import triton.language as tl

from ._common import new_output, to_output
from ._field import OPS, FieldArgs, apply_field, field_args

__all__ = ["OPS", "run", "apply"]


@triton.jit
def _field_kernel(x_ptr, o_ptr, coef_ptr, geo_ptr, C, H, W, tiles_w, tiles,
                  sxb, sxc, sxh, sxw, sob, soc, soh, sow,
                  BH: tl.constexpr, BW: tl.constexpr, OUT_INT: tl.constexpr,
                  FIELD: tl.constexpr, MODE: tl.constexpr, CLAMP: tl.constexpr,
                  WHITE: tl.constexpr):
    pid = tl.program_id(0)
    plane = pid // tiles
    t = pid % tiles
    th = t // tiles_w
    tw = t % tiles_w
    b = (plane // C).to(tl.int64)          # int64: b * stride overflows int32 on big batches
    c = (plane % C).to(tl.int64)
    rows = th * BH + tl.arange(0, BH)
    cols = tw * BW + tl.arange(0, BW)
    m = (rows < H)[:, None] & (cols < W)[None, :]
    xb = x_ptr + b.to(tl.int64) * sxb + c.to(tl.int64) * sxc
    v = tl.load(xb + rows[:, None] * sxh + cols[None, :] * sxw, mask=m, other=0.0).to(tl.float32)
    y = apply_field(v, rows, cols, H, W, plane, b, coef_ptr, geo_ptr, FIELD, MODE, CLAMP, WHITE)
    y = to_output(y, OUT_INT)
    ob = o_ptr + b.to(tl.int64) * sob + c.to(tl.int64) * soc
    tl.store(ob + rows[:, None] * soh + cols[None, :] * sow, y.to(o_ptr.dtype.element_ty), mask=m)


def apply(x: torch.Tensor, fa: FieldArgs, out: torch.Tensor | None = None) -> torch.Tensor:
    """Mix the field described by ``fa`` into ``x`` ``(B, C, H, W)`` (any strides)."""
    B, C, H, W = x.shape
    BW = min(256, max(16, triton.next_power_of_2(W)))
    BH = max(1, min(triton.next_power_of_2(H), 2048 // BW))
    tiles_w = triton.cdiv(W, BW)
    tiles = triton.cdiv(H, BH) * tiles_w
    out = new_output(x) if out is None else out
    _field_kernel[(B * C * tiles,)](
        x, out, *fa.pointers(), C, H, W, tiles_w, tiles, *x.stride(), *out.stride(),
        BH=BH, BW=BW, OUT_INT=not x.dtype.is_floating_point, **fa.constexprs(), num_warps=4)
    return out


def run(op: str, x: torch.Tensor, **params) -> torch.Tensor:
    """The illumination op ``op`` with the functional layer's validated parameters."""
    return apply(x, field_args(op, x, params))
