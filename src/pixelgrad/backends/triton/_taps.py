"""Non-separable 2-D filters (motion blur, rotated Gaussian) as per-sample tap lists.

A 2-D kernel ``k[b]`` of shape ``(Kh, Kw)`` is stored as its non-zero taps
``(dy, dx, w)`` (``dy = s - ry``, ``dx = t - rx``), padded per sample to the longest list;
``count[b]`` says how many are real. One program filters a ``BH x BW`` output tile:

    y[i, j] = sum_{n < count[b]} w[b, n] * x[border(i + dy[b, n]), border(j + dx[b, n])]

The border map is applied to the 1-D row and column index vectors of each tap (O(BH + BW)
work per tap, not per pixel). Motion kernels are lines, so their tap lists are short
(about 3 taps per pixel of length instead of the full ``K x K`` square), and each sample
loops over its own count: per-sample lengths cost what they need in one launch.
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl

from ._common import (BORDER_CODES, as_stored, index_valid, launch, map_index, new_output,
                      tile_prologue, to_output)
from ._field import FieldArgs, apply_field

#: Output tile ``(BLOCK_H, BLOCK_W)`` of the tap-list kernel (one configuration: one compile
#: per dtype, border and epilogue, whatever the kernels).
TAPS_TILE = (16, 64)


@triton.jit
def _taps_kernel(x_ptr, o_ptr, dy_ptr, dx_ptr, w_ptr, n_ptr, coef_ptr, geo_ptr,
                 C, H, W, tiles_w, tiles,
                 stride_xb, stride_xc, stride_xh, stride_xw,
                 stride_ob, stride_oc, stride_oh, stride_ow, stride_tb, stride_nb,
                 BLOCK_H: tl.constexpr, BLOCK_W: tl.constexpr,
                 BORDER: tl.constexpr, OUT_INT: tl.constexpr,
                 FIELD: tl.constexpr, MODE: tl.constexpr, CLAMP: tl.constexpr,
                 WHITE: tl.constexpr):
    """2-D correlation of one ``BLOCK_H x BLOCK_W`` output tile with its sample's tap list.

    ``dy_ptr`` / ``dx_ptr`` (int32) and ``w_ptr`` (float32): ``(B', T)`` tap offsets and
    weights, ``n_ptr``: ``(B',)`` int32 tap counts (batch strides ``stride_tb`` / ``stride_nb``,
    0 when shared). The loop runs over this sample's own count, so the radius and the number
    of taps are runtime values (no recompilation per kernel size)."""
    plane, b, c, th, tw = tile_prologue(C, tiles, tiles_w)
    rows = th * BLOCK_H + tl.arange(0, BLOCK_H)
    cols = tw * BLOCK_W + tl.arange(0, BLOCK_W)
    x_base = x_ptr + b * stride_xb + c * stride_xc
    count = tl.load(n_ptr + b * stride_nb)
    acc = tl.zeros((BLOCK_H, BLOCK_W), dtype=tl.float32)
    for n in range(0, count):
        dy = tl.load(dy_ptr + b * stride_tb + n)
        dx = tl.load(dx_ptr + b * stride_tb + n)
        wt = tl.load(w_ptr + b * stride_tb + n)
        rmap = map_index(rows + dy, H, BORDER)
        cmap = map_index(cols + dx, W, BORDER)
        m = (index_valid(rmap, H, BORDER) & (rows < H))[:, None] & \
            (index_valid(cmap, W, BORDER) & (cols < W))[None, :]
        v = tl.load(x_base + rmap[:, None] * stride_xh + cmap[None, :] * stride_xw, mask=m, other=0.0)
        acc += wt * v.to(tl.float32)
    if FIELD >= 0:      # the blurred value as stored: same bits as blur, then the field op
        acc = as_stored(acc, o_ptr, OUT_INT)
    acc = apply_field(acc, rows, cols, H, W, plane, b, coef_ptr, geo_ptr, FIELD, MODE, CLAMP, WHITE)
    acc = to_output(acc, OUT_INT)
    o_base = o_ptr + b * stride_ob + c * stride_oc
    tl.store(o_base + rows[:, None] * stride_oh + cols[None, :] * stride_ow,
             acc.to(o_ptr.dtype.element_ty), mask=(rows < H)[:, None] & (cols < W)[None, :])


def tap_lists(k: torch.Tensor):
    """Per-sample tap lists from dense centred kernels ``(B', Kh, Kw)`` (float64).

    Returns ``dy, dx`` int32 ``(B', T)``, ``w`` float32 ``(B', T)``, ``count`` int32 ``(B',)``,
    taps sorted row-major (cache-friendly), zero weights dropped."""
    Bk, Kh, Kw = k.shape
    nz = k != 0
    count = nz.sum(dim=(1, 2))
    T = max(1, int(count.max()))
    s = torch.arange(Kh, device=k.device)[:, None].expand(Kh, Kw).reshape(-1)
    t = torch.arange(Kw, device=k.device)[None, :].expand(Kh, Kw).reshape(-1)
    flat_nz = nz.reshape(Bk, -1)
    # stable order: non-zero taps first, in row-major order
    order = torch.argsort((~flat_nz).to(torch.int8), dim=1, stable=True)[:, :T]
    dy = (s[order] - Kh // 2).to(torch.int32)
    dx = (t[order] - Kw // 2).to(torch.int32)
    w = torch.gather(k.reshape(Bk, -1), 1, order).to(torch.float32)
    return dy.contiguous(), dx.contiguous(), w.contiguous(), count.to(torch.int32).contiguous()


def taps2d(x: torch.Tensor, k: torch.Tensor, border: str,
           out: torch.Tensor | None = None, field: FieldArgs | None = None) -> torch.Tensor:
    """Correlate every plane of ``x`` ``(B, C, H, W)`` with its sample's 2-D kernel ``k``
    (``(Kh, Kw)`` shared or ``(B, Kh, Kw)``, float64, odd sides); ``field``: an illumination
    epilogue mixed in before the store."""
    field = FieldArgs.none(x.device) if field is None else field
    B, C, H, W = x.shape
    k3 = k[None] if k.ndim == 2 else k
    dy, dx, w, count = (v.to(x.device) for v in tap_lists(k3.detach().to(torch.float64)))
    out = new_output(x) if out is None else out
    BH, BW = TAPS_TILE
    tiles_w = triton.cdiv(W, BW)
    tiles = triton.cdiv(H, BH) * tiles_w
    shared = k3.shape[0] == 1
    launch(_taps_kernel, (B * C * tiles,),
           x, out, dy, dx, w, count, *field.pointers(), C, H, W, tiles_w, tiles,
           *x.stride(), *out.stride(), 0 if shared else dy.shape[1], 0 if shared else 1,
           BLOCK_H=BH, BLOCK_W=BW, BORDER=BORDER_CODES[border],
           OUT_INT=not x.dtype.is_floating_point, **field.constexprs(), num_warps=4)
    return out
