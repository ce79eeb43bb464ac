"""Illumination ops in one elementwise pass: read x once, compute the field in registers,
mix, round / saturate, write once (see :mod:`._field` for the math)."""
from __future__ import annotations

import torch
import triton
import triton.language as tl

from ._common import launch, new_output, tile_prologue, to_output
from ._field import OPS, FieldArgs, apply_field, field_args

__all__ = ["OPS", "run", "apply"]


@triton.jit
def _field_kernel(x_ptr, o_ptr, coef_ptr, geo_ptr, C, H, W, tiles_w, tiles,
                  stride_xb, stride_xc, stride_xh, stride_xw,
                  stride_ob, stride_oc, stride_oh, stride_ow,
                  BLOCK_H: tl.constexpr, BLOCK_W: tl.constexpr, OUT_INT: tl.constexpr,
                  FIELD: tl.constexpr, MODE: tl.constexpr, CLAMP: tl.constexpr,
                  WHITE: tl.constexpr):
    """One ``BLOCK_H x BLOCK_W`` tile of ``o = mix(x, field)`` (see :mod:`._field`): read x
    once, compute the field in registers, round / saturate, write once."""
    plane, b, c, th, tw = tile_prologue(C, tiles, tiles_w)
    rows = th * BLOCK_H + tl.arange(0, BLOCK_H)
    cols = tw * BLOCK_W + tl.arange(0, BLOCK_W)
    m = (rows < H)[:, None] & (cols < W)[None, :]
    x_base = x_ptr + b * stride_xb + c * stride_xc
    v = tl.load(x_base + rows[:, None] * stride_xh + cols[None, :] * stride_xw,
                mask=m, other=0.0).to(tl.float32)
    y = apply_field(v, rows, cols, H, W, plane, b, coef_ptr, geo_ptr, FIELD, MODE, CLAMP, WHITE)
    y = to_output(y, OUT_INT)
    o_base = o_ptr + b * stride_ob + c * stride_oc
    tl.store(o_base + rows[:, None] * stride_oh + cols[None, :] * stride_ow,
             y.to(o_ptr.dtype.element_ty), mask=m)


def apply(x: torch.Tensor, fa: FieldArgs, out: torch.Tensor | None = None) -> torch.Tensor:
    """Mix the field described by ``fa`` into ``x`` ``(B, C, H, W)`` (any strides)."""
    B, C, H, W = x.shape
    BW = min(256, max(16, triton.next_power_of_2(W)))
    BH = max(1, min(triton.next_power_of_2(H), 2048 // BW))
    tiles_w = triton.cdiv(W, BW)
    tiles = triton.cdiv(H, BH) * tiles_w
    out = new_output(x) if out is None else out
    launch(_field_kernel, (B * C * tiles,),
           x, out, *fa.pointers(), C, H, W, tiles_w, tiles, *x.stride(), *out.stride(),
           BLOCK_H=BH, BLOCK_W=BW, OUT_INT=not x.dtype.is_floating_point, **fa.constexprs(),
           num_warps=4)
    return out


def run(op: str, x: torch.Tensor, **params) -> torch.Tensor:
    """The illumination op ``op`` with the functional layer's validated parameters."""
    return apply(x, field_args(op, x, params))
