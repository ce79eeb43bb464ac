"""The tensor-core precision chosen per dtype by the Triton separable kernels, against float64.

Triton's interpreter multiplies in plain float32 whatever ``input_precision`` says, so the
rounding a GPU applies is emulated here: ``tf32`` truncates each operand of a product to 10
mantissa bits (truncation is the worst case; round-to-nearest halves it), ``tf32x3`` splits
each operand into a tf32 head and a tf32 tail and sums the three leading products, all
accumulated in float32. The emulated tile algorithm (``Y = Ty @ (X @ Tx)``) must stay within
:data:`ERROR_BOUND` of the float64 result, and that bound (plus the final rounding) within
what each output dtype promises: uint8 within 1 grey level, float16 / bfloat16 within one
ulp of ``max |x|``, float32 within ``1e-5`` relative.
"""
from __future__ import annotations

import pytest
import torch

triton = pytest.importorskip("triton", reason="the triton package is an optional dependency")

from pixelgrad.backends.triton._separable import ERROR_BOUND, PRECISION, toeplitz  # noqa: E402

WHITE = {torch.uint8: 255.0, torch.float16: 1.0, torch.bfloat16: 1.0, torch.float32: 1.0}
#: the error each dtype promises, relative to max |x| (after the final rounding)
PROMISE = {torch.uint8: 1.0 / 255.0, torch.float16: 2.0 ** -10, torch.bfloat16: 2.0 ** -7,
           torch.float32: 1e-5}


def tf32_truncate(t: torch.Tensor) -> torch.Tensor:
    """float32 values with the low 13 mantissa bits cleared (tf32 by truncation)."""
    bits = t.to(torch.float32).contiguous().view(torch.int32)
    return (bits & ~0x1FFF).view(torch.float32)


def emulated_dot(a: torch.Tensor, b: torch.Tensor, prec: str) -> torch.Tensor:
    a, b = a.to(torch.float32), b.to(torch.float32)
    if prec == "tf32":
        return tf32_truncate(a) @ tf32_truncate(b)
    if prec == "tf32x3":
        ah, bh = tf32_truncate(a), tf32_truncate(b)
        al, bl = tf32_truncate(a - ah), tf32_truncate(b - bh)
        return ah @ bl + al @ bh + ah @ bh
    assert prec == "ieee"
    return a @ b


def _worst_bits(t: torch.Tensor) -> torch.Tensor:
    """float32 values whose 13 low mantissa bits are all set (the largest truncation error)."""
    return (t.to(torch.float32).contiguous().view(torch.int32) | 0x1FFF).view(torch.float32)


def _inputs(rng, dtype, n):
    x = torch.from_numpy(rng.random((n, n)))
    if dtype == torch.uint8:
        return torch.where(x > 0.5, 255.0, (x * 255).round()).to(torch.float64)
    if dtype == torch.float32:
        return _worst_bits(x * 0.5 + 0.5).double()
    return (x * 0.5 + 0.5).to(dtype).double()          # exactly representable values


@pytest.mark.parametrize("dtype", list(PRECISION))
@pytest.mark.parametrize("r", [1, 4, 24, 48])
def test_precision_choice_within_bound_and_promise(rng, dtype, r):
    n_out = 32
    n = n_out + 2 * r
    x = _inputs(rng, dtype, n)
    kernels = [torch.exp(-torch.arange(-r, r + 1, dtype=torch.float64) ** 2 / (2 * (r / 3 + 0.3) ** 2))]
    kernels.append(_worst_bits(torch.from_numpy(rng.random(2 * r + 1))).double())
    for k in kernels:
        k = k / k.sum()
        k = k.to(torch.float32).double()          # the kernels store float32 weights
        tx = toeplitz(k[None], n, n_out)[0]       # (n, n_out): Tx[j, w] = k[j - w]
        ty = tx.T.contiguous()                    # (n_out, n)
        exact = ty.double() @ x @ tx.double()
        prec_row, prec_col = PRECISION[dtype]
        y = emulated_dot(ty, emulated_dot(x, tx, prec_row), prec_col).double()
        scale = float(x.abs().max()) * float(k.abs().sum()) ** 2
        err = float((y - exact).abs().max())
        assert err <= ERROR_BOUND[dtype] * scale, (dtype, r, err / scale)
        # the documented bound plus the output rounding keeps the dtype's promise
        if dtype == torch.uint8:
            assert ERROR_BOUND[dtype] * 255.0 + 0.5 < 1.0
            assert float((y.round().clamp(0, 255) - exact).abs().max()) <= 1.0
        else:
            half_ulp = torch.finfo(dtype).eps / 2 if dtype != torch.float32 else 2.0 ** -24
            assert ERROR_BOUND[dtype] + half_ulp <= PROMISE[dtype]
            rounded = y.to(dtype).double()
            assert float((rounded - exact).abs().max()) <= PROMISE[dtype] * max(1.0, scale)


def test_plain_tf32_would_break_float16():
    """The float16 choice is not gratuitous: plain tf32 on both products can exceed one ulp
    of float16 on unlucky weights (the emulation is able to fail)."""
    n_out, r = 32, 6
    n = n_out + 2 * r
    x = torch.full((n, n), 1.0 - 2.0 ** -11, dtype=torch.float64).to(torch.float16).double()
    k = _worst_bits(torch.full((2 * r + 1,), 1.0 / (2 * r + 1))).double()
    tx = toeplitz(k[None], n, n_out)[0]
    exact = tx.T.double() @ x @ tx.double()
    y = emulated_dot(tx.T.contiguous(), emulated_dot(x, tx, "tf32"), "tf32").double()
    err = float((y - exact).abs().max()) / float(k.sum()) ** 2
    assert err > ERROR_BOUND[torch.float16]
    assert err + 2.0 ** -11 > 2.0 ** -10 * 0.9
