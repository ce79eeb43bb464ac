"""Separable filters (Gaussian, box) as matrix products on the tensor cores.

Two exact algorithms, both computing the correlation
``y[i, j] = sum_{s,t} ky[s] kx[t] x[border(i + s - ry), border(j + t - rx)]`` of every
``(b, c)`` plane with that sample's own kernels ``ky[b], kx[b]``:

* **tile** (one pass over memory, short and medium kernels): a program owns one
  ``BLOCK_H x BLOCK_W`` output tile. Its input window (the tile plus a halo of ``ry`` rows and
  ``rx`` columns) is walked in ``BLOCK_K x BLOCK_K`` chunks; the border map is applied to each
  chunk's row and column index vectors (O(BLOCK_K) work per chunk, nothing per tap). Each
  chunk is filtered on chip with two small Toeplitz products accumulated over the window

      R   = sum_kw X[kh, kw] @ Tx[kw, :]      Tx[j, w] = kx[j - w]  (0 <= j - w <= 2 rx)
      Y  += Ty[:, kh] @ R                     Ty[h, i] = ky[i - h]  (0 <= i - h <= 2 ry)

  so every input element is read from DRAM once per tile, the row-filtered rows never leave
  the chip, and the registers held are ``Y`` (BLOCK_H x BLOCK_W), ``R`` (BLOCK_K x BLOCK_W)
  and one chunk of each operand, whatever the radius. The radius is a runtime argument (it
  only sets the loop trip counts and the Toeplitz matrices), so a stream of random sigma
  compiles one kernel per tile configuration (:data:`TILE_CONFIGS`), not one per radius.
* **banded** (long kernels; cost independent of the kernel): two batched GEMMs per plane with
  the border folded into ``(n, n)`` banded matrices (:mod:`pixelgrad.kernels.banded`):
  ``T = X @ Mw^T`` then ``Y = Mh @ T`` (the intermediate goes through memory in float32).

Per-sample kernels cost nothing extra: the Toeplitz / banded matrices are indexed by sample
inside the launch.

Precision (:data:`PRECISION`, per output dtype; ``(first product, second product)``):
accumulation is always float32; ``tf32`` rounds both operands of a tensor-core product to
10 mantissa bits (relative error <= 2^-10 per operand, truncation or rounding), ``tf32x3``
splits each operand into two tf32 parts and keeps float32 accuracy at three times the work.
The image values of uint8 / float16 / bfloat16 inputs are exact in tf32, so only the weights
and the intermediate are rounded. :data:`ERROR_BOUND` is the resulting worst case, before the
final rounding to the output dtype, relative to ``max |x|`` (``tests/backends/triton/test_separable.py``
checks each choice against float64):

========  ==================  ============================================================
dtype     products            bound on ``|y - y_exact| / max|x|``
========  ==================  ============================================================
uint8     tf32, tf32x3        2^-10 (Tx rounding) + 2^-19: <= 0.25 grey levels, so the
                              rounded output is within 1 of the exact value
bfloat16  tf32, tf32x3        2^-10 + 2^-19: a quarter of an ulp of bfloat16 (2^-7);
                              plain tf32 twice (3 * 2^-10) would also do, but spills
                              on sm_80 in the largest tile
float16   tf32x3, tf32x3      2^-19: float32 accuracy (float16's ulp is 2^-10; plain tf32
                              could reach 1.5 ulp)
float32   tf32x3, tf32x3      2^-19
========  ==================  ============================================================
"""
from __future__ import annotations

from functools import lru_cache

import torch
import triton
import triton.language as tl

from ...kernels.banded import banded_matrix
from ._common import (BORDER_CODES, as_stored, index_valid, launch, map_index, new_output,
                      tile_prologue, to_output)
from ._field import FieldArgs, apply_field

#: ``tl.dot`` input precision of the (first, second) product, per input/output dtype.
PRECISION = {
    torch.uint8: ("tf32", "tf32x3"),
    torch.bfloat16: ("tf32", "tf32x3"),
    torch.float16: ("tf32x3", "tf32x3"),
    torch.float32: ("tf32x3", "tf32x3"),
}

#: Error of :data:`PRECISION` before the output rounding, relative to ``max |x|``: 2^-10 per
#: tf32-rounded operand, plus 2^-19 for tf32x3 (about 2^-21 per product) and the float32
#: accumulation over the window (whose worst case, ``n 2^-24`` for ``n`` terms, is that of
#: any float32 convolution; the 2^-19 is checked on windows of up to 97 taps).
ERROR_BOUND = {
    torch.uint8: 2.0 ** -10 + 2.0 ** -19,
    torch.bfloat16: 2.0 ** -10 + 2.0 ** -19,
    torch.float16: 2.0 ** -19,
    torch.float32: 2.0 ** -19,
}

#: Tile configurations ``(max radius, BLOCK_H, BLOCK_W, BLOCK_K, num_warps)``: the first whose
#: max radius covers ``max(ry, rx)`` is used (the last one for any larger radius the cost
#: model still sends to the tile algorithm). Few configurations = few compilations.
TILE_CONFIGS = ((8, 32, 32, 16, 4), (64, 64, 64, 16, 8))

#: Largest radius the tile algorithm takes (beyond it the banded GEMMs are cheaper anyway).
MAX_TILE_RADIUS = TILE_CONFIGS[-1][0]


def precision(dtype: torch.dtype) -> tuple[str, str]:
    """The ``(first, second)`` product precision for ``dtype`` (see :data:`PRECISION`)."""
    return PRECISION[dtype]


# ----------------------------------------------------------------------------- tile kernel
@triton.jit(do_not_specialize=["ry", "rx"])
def _sep_tile_kernel(x_ptr, o_ptr, ty_ptr, tx_ptr, coef_ptr, geo_ptr,
                     C, H, W, ry, rx, tiles_w, tiles,
                     stride_xb, stride_xc, stride_xh, stride_xw,
                     stride_ob, stride_oc, stride_oh, stride_ow,
                     stride_tyb, stride_tyh, stride_txb,
                     BLOCK_H: tl.constexpr, BLOCK_W: tl.constexpr, BLOCK_K: tl.constexpr,
                     BORDER: tl.constexpr, OUT_INT: tl.constexpr,
                     PREC_ROW: tl.constexpr, PREC_COL: tl.constexpr,
                     FIELD: tl.constexpr, MODE: tl.constexpr, CLAMP: tl.constexpr,
                     WHITE: tl.constexpr):
    """Separable correlation of one ``BLOCK_H x BLOCK_W`` output tile, K-looped.

    ``x_ptr`` / ``o_ptr``: input / output planes ``(B, C, H, W)`` with the given strides.
    ``ty_ptr``: ``(B' , BLOCK_H, KH)`` float32 with ``Ty[h, i] = ky[i - h]``;
    ``tx_ptr``: ``(B', KW, BLOCK_W)`` float32 with ``Tx[j, w] = kx[j - w]``
    (``KH`` / ``KW``: the window height / width rounded up to ``BLOCK_K``; a batch stride of 0
    shares one kernel). ``ry`` / ``rx``: the runtime kernel radii. ``coef_ptr`` / ``geo_ptr``
    and ``FIELD``..``WHITE``: the optional illumination epilogue (:mod:`._field`)."""
    plane, b, c, th, tw = tile_prologue(C, tiles, tiles_w)
    x_base = x_ptr + b * stride_xb + c * stride_xc
    ty_base = ty_ptr + b * stride_tyb
    tx_base = tx_ptr + b * stride_txb
    offs_k = tl.arange(0, BLOCK_K)
    offs_h = tl.arange(0, BLOCK_H)
    offs_w = tl.arange(0, BLOCK_W)
    win_h = BLOCK_H + 2 * ry            # input window of this tile: rows th*BLOCK_H - ry + [0, win_h)
    win_w = BLOCK_W + 2 * rx
    acc = tl.zeros((BLOCK_H, BLOCK_W), dtype=tl.float32)
    for kh in range(0, tl.cdiv(win_h, BLOCK_K)):
        wr = kh * BLOCK_K + offs_k                      # window row of each chunk row
        rmap = map_index(th * BLOCK_H - ry + wr, H, BORDER)
        rok = index_valid(rmap, H, BORDER) & (wr < win_h)
        rowf = tl.zeros((BLOCK_K, BLOCK_W), dtype=tl.float32)
        for kw in range(0, tl.cdiv(win_w, BLOCK_K)):
            wc = kw * BLOCK_K + offs_k
            cmap = map_index(tw * BLOCK_W - rx + wc, W, BORDER)
            cok = index_valid(cmap, W, BORDER) & (wc < win_w)
            xt = tl.load(x_base + rmap[:, None] * stride_xh + cmap[None, :] * stride_xw,
                         mask=rok[:, None] & cok[None, :], other=0.0).to(tl.float32)
            txc = tl.load(tx_base + wc[:, None] * BLOCK_W + offs_w[None, :])
            rowf = tl.dot(xt, txc, rowf, input_precision=PREC_ROW)
        tyc = tl.load(ty_base + offs_h[:, None] * stride_tyh + wr[None, :])
        acc = tl.dot(tyc, rowf, acc, input_precision=PREC_COL)
    orow = th * BLOCK_H + offs_h
    ocol = tw * BLOCK_W + offs_w
    if FIELD >= 0:      # the blurred value as stored: same bits as blur, then the field op
        acc = as_stored(acc, o_ptr, OUT_INT)
    acc = apply_field(acc, orow, ocol, H, W, plane, b, coef_ptr, geo_ptr,
                      FIELD, MODE, CLAMP, WHITE)
    acc = to_output(acc, OUT_INT)
    o_base = o_ptr + b * stride_ob + c * stride_oc
    tl.store(o_base + orow[:, None] * stride_oh + ocol[None, :] * stride_ow,
             acc.to(o_ptr.dtype.element_ty),
             mask=(orow < H)[:, None] & (ocol < W)[None, :])


def toeplitz(k: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """``(B', rows, cols)`` float32 matrices ``T[j, w] = k[j - w]`` (zero unless
    ``0 <= j - w < K``) for kernels ``k`` of shape ``(B', K)``."""
    K = k.shape[-1]
    d = torch.arange(rows, device=k.device)[:, None] - torch.arange(cols, device=k.device)[None, :]
    ok = (d >= 0) & (d < K)
    return (k[:, d.clamp(0, K - 1)] * ok).to(torch.float32).contiguous()


def _window(r: int, block: int, block_k: int) -> int:
    """Tile plus halo, rounded up to whole ``block_k`` chunks."""
    return -(-(block + 2 * r) // block_k) * block_k


def _operands(ky: torch.Tensor, kx: torch.Tensor, cfg: tuple, device) -> tuple:
    """``(Ty, Tx)`` for one tile configuration (see :func:`_sep_tile_kernel`)."""
    _, BH, BW, BK, _ = cfg
    ry, rx = ky.shape[-1] // 2, kx.shape[-1] // 2
    if ky.shape[0] == 1 and kx.shape[0] == 1:
        return _shared_operands(tuple(ky[0].tolist()), tuple(kx[0].tolist()), cfg, str(device))
    ty = toeplitz(ky.to(device), _window(ry, BH, BK), BH).transpose(1, 2).contiguous()
    tx = toeplitz(kx.to(device), _window(rx, BW, BK), BW)
    return ty, tx


@lru_cache(maxsize=64)
def _shared_operands(ky: tuple, kx: tuple, cfg: tuple, device: str) -> tuple:
    """Cached operands of one shared kernel pair (no per-call host work for a fixed sigma)."""
    _, BH, BW, BK, _ = cfg
    kyt = torch.tensor(ky, dtype=torch.float64)[None]
    kxt = torch.tensor(kx, dtype=torch.float64)[None]
    ty = toeplitz(kyt, _window(len(ky) // 2, BH, BK), BH).transpose(1, 2).contiguous()
    tx = toeplitz(kxt, _window(len(kx) // 2, BW, BK), BW)
    return ty.to(device), tx.to(device)


def tile_config(ry: int, rx: int) -> tuple | None:
    """The tile configuration for radii ``(ry, rx)`` (see :data:`TILE_CONFIGS`), or None when
    the radius is beyond :data:`MAX_TILE_RADIUS`."""
    r = max(ry, rx)
    for cfg in TILE_CONFIGS:
        if r <= cfg[0]:
            return cfg
    return None


def tile_cost(ry: int, rx: int, H: int, W: int) -> float:
    """Multiply-adds per output pixel of the tile algorithm (inf when it does not apply): the
    row products cost ``KH * KW * BLOCK_W`` and the column products ``BLOCK_H * KH * BLOCK_W``
    per tile of ``min(BLOCK_H, H) x min(BLOCK_W, W)`` useful outputs."""
    cfg = tile_config(ry, rx)
    if cfg is None:
        return float("inf")
    _, BH, BW, BK, _ = cfg
    KH, KW = _window(ry, BH, BK), _window(rx, BW, BK)
    return (KH * KW * BW + BH * KH * BW) / (min(BH, H) * min(BW, W))


def banded_cost(H: int, W: int) -> float:
    """Multiply-adds per output pixel of the banded algorithm, plus its extra memory pass
    (counted as 256 multiply-adds)."""
    pad = lambda n: max(16, -(-n // 64) * 64)  # noqa: E731
    return pad(H) + pad(W) + 256.0


def sep_tile(x: torch.Tensor, ky: torch.Tensor, kx: torch.Tensor, border: str,
             out: torch.Tensor | None = None, field: FieldArgs | None = None) -> torch.Tensor:
    """Fused one-pass separable filter. ``x`` ``(B, C, H, W)`` uint8/float16/bfloat16/float32
    (any strides); ``ky``/``kx`` float64 ``(1 or B, Ky)`` / ``(1 or B, Kx)`` centred, odd length.
    ``field``: an illumination epilogue mixed into the blurred values before the store."""
    field = FieldArgs.none(x.device) if field is None else field
    B, C, H, W = x.shape
    ry, rx = ky.shape[-1] // 2, kx.shape[-1] // 2
    cfg = tile_config(ry, rx)
    if cfg is None:
        raise ValueError(f"sep_tile: radius ({ry}, {rx}) too large for the tile kernel "
                         f"(at most {MAX_TILE_RADIUS})")
    _, BH, BW, BK, warps = cfg
    ty, tx = _operands(ky, kx, cfg, x.device)
    out = new_output(x) if out is None else out
    tiles_w = triton.cdiv(W, BW)
    tiles = triton.cdiv(H, BH) * tiles_w
    prec_row, prec_col = precision(x.dtype)
    launch(_sep_tile_kernel, (B * C * tiles,),
           x, out, ty, tx, *field.pointers(), C, H, W, ry, rx, tiles_w, tiles,
           *x.stride(), *out.stride(),
           ty.stride(0) if ty.shape[0] > 1 else 0, ty.stride(1), tx.stride(0) if tx.shape[0] > 1 else 0,
           BLOCK_H=BH, BLOCK_W=BW, BLOCK_K=BK, BORDER=BORDER_CODES[border],
           OUT_INT=not x.dtype.is_floating_point, PREC_ROW=prec_row, PREC_COL=prec_col,
           **field.constexprs(), num_warps=warps)
    return out


# ----------------------------------------------------------------------------- banded GEMM
@triton.jit
def _plane_gemm_kernel(a_ptr, b_ptr, o_ptr, coef_ptr, geo_ptr, C, M, N, K, tiles_n, tiles,
                       stride_ab, stride_ac, stride_am, stride_ak,
                       stride_bb, stride_bc, stride_bk, stride_bn,
                       stride_ob, stride_oc, stride_om, stride_on,
                       BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                       OUT_INT: tl.constexpr, PREC: tl.constexpr,
                       FIELD: tl.constexpr, MODE: tl.constexpr, CLAMP: tl.constexpr,
                       WHITE: tl.constexpr):
    """``out[b, c] = A[b, c] @ B[b, c]`` for ``(M, K) @ (K, N)`` operands given by strides (a
    batch or channel stride of 0 shares an operand), one ``BLOCK_M x BLOCK_N`` output tile
    per program, K-looped; the output rows / cols are image rows / cols for the field
    epilogue (:mod:`._field`)."""
    plane, b, c, pm, pn = tile_prologue(C, tiles, tiles_n)
    offs_m = pm * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pn * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_base = a_ptr + b * stride_ab + c * stride_ac
    b_base = b_ptr + b * stride_bb + c * stride_bc
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        ka = k0 + offs_k
        a = tl.load(a_base + offs_m[:, None] * stride_am + ka[None, :] * stride_ak,
                    mask=(offs_m < M)[:, None] & (ka < K)[None, :], other=0.0).to(tl.float32)
        bm = tl.load(b_base + ka[:, None] * stride_bk + offs_n[None, :] * stride_bn,
                     mask=(ka < K)[:, None] & (offs_n < N)[None, :], other=0.0).to(tl.float32)
        acc = tl.dot(a, bm, acc, input_precision=PREC)
    if FIELD >= 0:      # the blurred value as stored: same bits as blur, then the field op
        acc = as_stored(acc, o_ptr, OUT_INT)
    acc = apply_field(acc, offs_m, offs_n, M, N, plane, b, coef_ptr, geo_ptr,
                      FIELD, MODE, CLAMP, WHITE)
    acc = to_output(acc, OUT_INT)
    o_base = o_ptr + b * stride_ob + c * stride_oc
    tl.store(o_base + offs_m[:, None] * stride_om + offs_n[None, :] * stride_on,
             acc.to(o_ptr.dtype.element_ty), mask=(offs_m < M)[:, None] & (offs_n < N)[None, :])


#: ``(BLOCK_M, BLOCK_N, BLOCK_K, num_warps)`` of the banded GEMMs, by the size of the problem.
GEMM_CONFIGS = ((16, 16, 16, 4), (32, 32, 32, 4), (64, 64, 32, 8))


def gemm_config(M: int, N: int) -> tuple:
    """The GEMM tile for an ``M x N`` output: the smallest covering ``max(M, N)``, else the
    largest."""
    for cfg in GEMM_CONFIGS:
        if max(M, N) <= cfg[0]:
            return cfg
    return GEMM_CONFIGS[-1]


def _plane_gemm(a: torch.Tensor, b: torch.Tensor, out: torch.Tensor, prec: str,
                field: FieldArgs) -> None:
    """``out[p, c] = a[p, c] @ b[p, c]``; each operand 4-D ``(B|1, C|1, rows, cols)``."""
    B, C, M, N = out.shape
    K = a.shape[-1]
    BM, BN, BK, warps = gemm_config(M, N)
    tiles_n = triton.cdiv(N, BN)
    tiles = triton.cdiv(M, BM) * tiles_n

    def st(t):
        s = list(t.stride())
        if t.shape[0] == 1:
            s[0] = 0
        if t.shape[1] == 1:
            s[1] = 0
        return s

    launch(_plane_gemm_kernel, (B * C * tiles,),
           a, b, out, *field.pointers(), C, M, N, K, tiles_n, tiles, *st(a), *st(b), *out.stride(),
           BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, OUT_INT=not out.dtype.is_floating_point, PREC=prec,
           **field.constexprs(), num_warps=warps)


def sep_banded(x: torch.Tensor, ky: torch.Tensor, kx: torch.Tensor, border: str,
               out: torch.Tensor | None = None, field: FieldArgs | None = None) -> torch.Tensor:
    """Separable filter as ``Mh @ X @ Mw^T`` per plane (border folded into the banded
    matrices); cost independent of the kernel length. Same arguments as :func:`sep_tile`."""
    B, C, H, W = x.shape
    field = FieldArgs.none(x.device) if field is None else field
    mh = banded_matrix(ky.to(x.device), H, border).to(device=x.device, dtype=torch.float32)[:, None]  # (B', 1, H, H)
    mwt = banded_matrix(kx.to(x.device), W, border).to(device=x.device, dtype=torch.float32)
    mwt = mwt.transpose(1, 2)[:, None]                                                    # (B', 1, W, W)
    prec_row, prec_col = precision(x.dtype)
    tmp = torch.empty((B, C, H, W), dtype=torch.float32, device=x.device)
    _plane_gemm(x, mwt, tmp, prec_row, FieldArgs.none(x.device))
    out = new_output(x) if out is None else out
    _plane_gemm(mh, tmp, out, prec_col, field)
    return out
