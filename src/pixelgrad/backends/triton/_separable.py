"""Separable filters (Gaussian, box) as matrix products on the tensor cores.

Two exact algorithms, both computing the correlation
``y[i, j] = sum_{s,t} ky[s] kx[t] x[border(i + s - ry), border(j + t - rx)]`` of every
``(b, c)`` plane with that sample's own kernels ``ky[b], kx[b]``:

* **tile** (one pass over memory, short kernels): a program loads one ``PH x PW`` input tile
  (output tile plus a halo of ``ry`` / ``rx``; the border map is applied to the tile's row and
  column index vectors, so border handling costs O(PH + PW) per tile and nothing per tap),
  then filters it on chip with two small Toeplitz products

      T = X @ Tx          Tx[j, w] = kx[j - w]   (0 <= j - w <= 2 rx), shape (PW, PW)
      Y = Ty @ T          Ty[h, i] = ky[i - h]   (0 <= i - h <= 2 ry), shape (PH, PH)

  and stores the valid ``(PH - 2 ry) x (PW - 2 rx)`` corner. The input is read from DRAM
  once, the row-filtered intermediate never leaves the chip, and every tap reuses the tile.
* **banded** (long kernels; cost independent of the kernel): two batched GEMMs per plane with
  the border folded into ``(n, n)`` banded matrices (:mod:`pixelgrad.kernels.banded`):
  ``T = X @ Mw^T`` then ``Y = Mh @ T`` (the intermediate goes through memory in float32).

Per-sample kernels cost nothing extra: the Toeplitz / banded matrices are indexed by sample
inside the launch. Accumulation is float32 (``tf32x3`` on tensor cores keeps float32
accuracy; ``tf32`` for uint8 outputs).
"""
from __future__ import annotations

from functools import lru_cache

import torch
import triton
import triton.language as tl

from ...kernels.banded import banded_matrix
from ._common import BORDER_CODES, index_valid, map_index, new_output, out_precision, to_output
from ._field import FieldArgs, apply_field

TILE_SIDES = (16, 32, 64, 128)


# ----------------------------------------------------------------------------- tile kernel
@triton.jit
def _sep_tile_kernel(x_ptr, o_ptr, ty_ptr, tx_ptr, coef_ptr, geo_ptr,
                     C, H, W, tiles_w, tiles,
                     sxb, sxc, sxh, sxw, sob, soc, soh, sow, ty_sb, tx_sb,
                     RY: tl.constexpr, RX: tl.constexpr, PH: tl.constexpr, PW: tl.constexpr,
                     BORDER: tl.constexpr, OUT_INT: tl.constexpr, PREC: tl.constexpr,
                     FIELD: tl.constexpr, MODE: tl.constexpr, CLAMP: tl.constexpr,
                     WHITE: tl.constexpr):
    pid = tl.program_id(0)
    plane = pid // tiles
    t = pid % tiles
    th = t // tiles_w
    tw = t % tiles_w
    b = (plane // C).to(tl.int64)          # int64: b * stride overflows int32 on big batches
    c = (plane % C).to(tl.int64)
    OH: tl.constexpr = PH - 2 * RY
    OW: tl.constexpr = PW - 2 * RX
    ph = tl.arange(0, PH)
    pw = tl.arange(0, PW)
    rows = th * OH - RY + ph
    cols = tw * OW - RX + pw
    rmap = map_index(rows, H, BORDER)
    cmap = map_index(cols, W, BORDER)
    lmask = index_valid(rmap, H, BORDER)[:, None] & index_valid(cmap, W, BORDER)[None, :]
    xb = x_ptr + b.to(tl.int64) * sxb + c.to(tl.int64) * sxc
    xt = tl.load(xb + rmap[:, None] * sxh + cmap[None, :] * sxw, mask=lmask, other=0.0)
    xt = xt.to(tl.float32)
    tx = tl.load(tx_ptr + b.to(tl.int64) * tx_sb + pw[:, None] * PW + pw[None, :])
    rowf = tl.dot(xt, tx, input_precision=PREC)
    ty = tl.load(ty_ptr + b.to(tl.int64) * ty_sb + ph[:, None] * PH + ph[None, :])
    y = tl.dot(ty, rowf, input_precision=PREC)
    orow = th * OH + ph
    ocol = tw * OW + pw
    smask = ((ph < OH) & (orow < H))[:, None] & ((pw < OW) & (ocol < W))[None, :]
    ob = o_ptr + b.to(tl.int64) * sob + c.to(tl.int64) * soc
    y = apply_field(y, orow, ocol, H, W, plane, b, coef_ptr, geo_ptr, FIELD, MODE, CLAMP, WHITE)
    y = to_output(y, OUT_INT)
    tl.store(ob + orow[:, None] * soh + ocol[None, :] * sow, y.to(o_ptr.dtype.element_ty), mask=smask)


def toeplitz(k: torch.Tensor, P: int) -> torch.Tensor:
    """``(B', P, P)`` float32 matrices ``T[j, w] = k[j - w]`` (``0 <= j - w < K``) for kernels
    ``k`` of shape ``(B', K)``; columns ``w >= P - K + 1`` (outside the valid tile) are zero."""
    K = k.shape[-1]
    j = torch.arange(P, device=k.device)[:, None]
    w = torch.arange(P, device=k.device)[None, :]
    d = j - w
    ok = (d >= 0) & (d < K) & (w < P - K + 1)
    m = k[:, d.clamp(0, K - 1)] * ok
    return m.to(torch.float32).contiguous()


@lru_cache(maxsize=64)
def _shared_toeplitz(key: tuple, P: int, transpose: bool, device: str) -> torch.Tensor:
    m = toeplitz(torch.tensor(key, dtype=torch.float64)[None], P)
    return (m.transpose(1, 2) if transpose else m).contiguous().to(device)


def _toeplitz_on(k: torch.Tensor, P: int, transpose: bool, device: torch.device) -> torch.Tensor:
    """Toeplitz matrices on ``device``; a shared kernel's matrix is cached (no per-call work)."""
    if k.shape[0] == 1:
        return _shared_toeplitz(tuple(k[0].tolist()), P, transpose, str(device))
    m = toeplitz(k.to(device), P)
    return (m.transpose(1, 2) if transpose else m).contiguous()


def tile_side(r: int, n: int) -> int | None:
    """The tile side P (a power of two, 16..128) for radius ``r`` on an axis of length ``n``:
    the smallest with at least half the tile being output, capped by the image extent."""
    cap = max(16, 1 << max(0, (n + 2 * r - 1)).bit_length())
    for P in TILE_SIDES:
        if P - 2 * r >= 1 and (P >= 4 * r or P >= cap):
            return P
    return None


def tile_cost(ry: int, rx: int, H: int, W: int) -> float:
    """Multiply-adds per output pixel of the tile algorithm (inf when it does not apply)."""
    PH, PW = tile_side(ry, H), tile_side(rx, W)
    if PH is None or PW is None:
        return float("inf")
    OH, OW = PH - 2 * ry, PW - 2 * rx
    return PH * PW * (PH + PW) / (min(OH, H) * min(OW, W))


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
    PH, PW = tile_side(ry, H), tile_side(rx, W)
    if PH is None or PW is None:
        raise ValueError(f"sep_tile: radius ({ry}, {rx}) too large for the tile kernel")
    ty = _toeplitz_on(ky, PH, True, x.device)      # Ty[h, i] = ky[i - h]
    tx = _toeplitz_on(kx, PW, False, x.device)
    out = new_output(x) if out is None else out
    OH, OW = PH - 2 * ry, PW - 2 * rx
    tiles_h, tiles_w = triton.cdiv(H, OH), triton.cdiv(W, OW)
    tiles = tiles_h * tiles_w
    grid = (B * C * tiles,)
    _sep_tile_kernel[grid](
        x, out, ty, tx, *field.pointers(), C, H, W, tiles_w, tiles,
        *x.stride(), *out.stride(),
        PH * PH if ty.shape[0] > 1 else 0, PW * PW if tx.shape[0] > 1 else 0,
        RY=ry, RX=rx, PH=PH, PW=PW, BORDER=BORDER_CODES[border],
        OUT_INT=not x.dtype.is_floating_point, PREC=out_precision(x.dtype), **field.constexprs(),
        num_warps=8 if max(PH, PW) >= 128 else 4)
    return out


# ----------------------------------------------------------------------------- banded GEMM
@triton.jit
def _plane_gemm_kernel(a_ptr, b_ptr, o_ptr, coef_ptr, geo_ptr, C, M, N, K, tiles_n, tiles,
                       saB, saC, sam, sak, sbB, sbC, sbk, sbn, soB, soC, som, son,
                       BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                       OUT_INT: tl.constexpr, PREC: tl.constexpr,
                       FIELD: tl.constexpr, MODE: tl.constexpr, CLAMP: tl.constexpr,
                       WHITE: tl.constexpr):
    """out[b, c] = A[b, c] @ B[b, c] for (M, K) @ (K, N) operands given by strides (a batch
    or channel stride of 0 shares an operand); the output rows / cols are image rows / cols
    for the field epilogue."""
    pid = tl.program_id(0)
    plane = pid // tiles
    t = pid % tiles
    pm = t // tiles_n
    pn = t % tiles_n
    bb = (plane // C).to(tl.int64)
    cc = (plane % C).to(tl.int64)
    rm = pm * BM + tl.arange(0, BM)
    rn = pn * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    a_base = a_ptr + bb * saB + cc * saC
    b_base = b_ptr + bb * sbB + cc * sbC
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k0 in range(0, K, BK):
        ka = k0 + rk
        a = tl.load(a_base + rm[:, None] * sam + ka[None, :] * sak,
                    mask=(rm < M)[:, None] & (ka < K)[None, :], other=0.0).to(tl.float32)
        bm = tl.load(b_base + ka[:, None] * sbk + rn[None, :] * sbn,
                     mask=(ka < K)[:, None] & (rn < N)[None, :], other=0.0).to(tl.float32)
        acc = tl.dot(a, bm, acc, input_precision=PREC)
    acc = apply_field(acc, rm, rn, M, N, plane, plane // C, coef_ptr, geo_ptr,
                      FIELD, MODE, CLAMP, WHITE)
    acc = to_output(acc, OUT_INT)
    o_base = o_ptr + bb * soB + cc * soC
    tl.store(o_base + rm[:, None] * som + rn[None, :] * son, acc.to(o_ptr.dtype.element_ty),
             mask=(rm < M)[:, None] & (rn < N)[None, :])


def _block(n: int) -> int:
    return 64 if n > 32 else (32 if n > 16 else 16)


def _plane_gemm(a: torch.Tensor, b: torch.Tensor, out: torch.Tensor, prec: str,
                field: FieldArgs) -> None:
    """``out[p, c] = a[p, c] @ b[p, c]``; each operand 4-D ``(B|1, C|1, rows, cols)``."""
    B, C, M, N = out.shape
    K = a.shape[-1]
    BM, BN, BK = _block(M), _block(N), _block(K)
    tiles_n = triton.cdiv(N, BN)
    tiles = triton.cdiv(M, BM) * tiles_n

    def st(t):
        s = list(t.stride())
        if t.shape[0] == 1:
            s[0] = 0
        if t.shape[1] == 1:
            s[1] = 0
        return s

    _plane_gemm_kernel[(B * C * tiles,)](
        a, b, out, *field.pointers(), C, M, N, K, tiles_n, tiles, *st(a), *st(b), *out.stride(),
        BM=BM, BN=BN, BK=BK, OUT_INT=not out.dtype.is_floating_point, PREC=prec,
        **field.constexprs(), num_warps=4)


def sep_banded(x: torch.Tensor, ky: torch.Tensor, kx: torch.Tensor, border: str,
               out: torch.Tensor | None = None, field: FieldArgs | None = None) -> torch.Tensor:
    """Separable filter as ``Mh @ X @ Mw^T`` per plane (border folded into the banded
    matrices); cost independent of the kernel length. Same arguments as :func:`sep_tile`."""
    B, C, H, W = x.shape
    field = FieldArgs.none(x.device) if field is None else field
    mh = banded_matrix(ky.to(x.device), H, border).to(device=x.device, dtype=torch.float32)[:, None]  # (B', 1, H, H)
    mwt = banded_matrix(kx.to(x.device), W, border).to(device=x.device, dtype=torch.float32)
    mwt = mwt.transpose(1, 2)[:, None]                                                    # (B', 1, W, W)
    prec = out_precision(x.dtype)
    tmp = torch.empty((B, C, H, W), dtype=torch.float32, device=x.device)
    _plane_gemm(x, mwt, tmp, "tf32x3", FieldArgs.none(x.device))
    out = new_output(x) if out is None else out
    _plane_gemm(mh, tmp, out, prec, field)
    return out
