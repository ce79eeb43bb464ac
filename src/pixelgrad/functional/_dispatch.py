"""The dispatch table: which backend and algorithm run a linear filter.

Decided from the device, dtype, autograd state, border, image and kernel sizes, whether
parameters are per sample, and the user's ``method=`` / ``backend=``:

==================  =======================================================================
situation           choice
==================  =======================================================================
CPU, no autograd,   OpenCV (``sepFilter2D`` / ``filter2D`` per plane, SIMD) while the kernel
not circular        is short; otherwise torch's banded-matrix product (cost independent of
                    the kernel) or FFT (very large images)
CPU with autograd,  torch: direct (short kernels) / matrix / fft by the same cost model
or circular
CUDA                the Triton fused kernels when installed and covering the case
                    (see :mod:`pixelgrad.backends.triton`), else torch as above
==================  =======================================================================

Cost model per 1-D pass, in "multiply-adds at direct-convolution speed" per sample:
direct ~ K (taps); matrix ~ n / 6 (dense BLAS runs ~6x more multiply-adds per second than a
convolution loop); fft ~ 12 * log2(n + 2r) + 40. The constants were measured on a 2-core
x86 CPU (benchmarks/blur.py) and only steer speed, never results: every method is exact.
"""
from __future__ import annotations

import math

import torch

METHODS = ("auto", "direct", "separable", "2d", "fft", "matrix")
BACKENDS = ("auto", "torch", "opencv", "triton")


def pass_cost(method: str, n: int, K: int) -> float:
    if method == "direct":
        return float(K)
    if method == "matrix":
        return n / 6.0 if n <= 2048 else math.inf
    return 12.0 * math.log2(n + K) + 40.0


def best_separable_method(H: int, W: int, Kh: int, Kw: int) -> str:
    """The cheapest exact algorithm for a separable kernel on an H x W image."""
    costs = {m: pass_cost(m, H, Kh) + pass_cost(m, W, Kw) for m in ("direct", "matrix", "fft")}
    return min(costs, key=costs.get)


def best_2d_method(H: int, W: int, Kh: int, Kw: int) -> str:
    direct = Kh * Kw
    fft = 2 * (12.0 * math.log2((H + Kh) * (W + Kw)) + 40.0)
    return "direct" if direct <= fft else "fft"


def opencv_allowed(x: torch.Tensor, border: str, backend: str) -> bool:
    """Whether the OpenCV backend may run this tensor."""
    if backend not in ("auto", "opencv"):
        return False
    return (x.device.type == "cpu" and border != "circular"
            and not (x.requires_grad and torch.is_grad_enabled()))


def try_triton(op: str, x: torch.Tensor, backend: str, **params):
    """Run op ``op`` on the ``(B, C, H, W)`` tensor ``x`` with the Triton backend when it is
    selected (``backend='triton'``, or ``'auto'`` on a CUDA tensor) and installed.

    Returns the output tensor (same dtype as ``x``), or ``None`` to let the caller fall back
    to torch/OpenCV. ``params`` are the op's validated parameters (per-sample float64 CPU
    tensors, strings). The Triton module decides what it covers through
    ``pixelgrad.backends.triton.dispatch(op, x, forced=..., **params)``; with ``forced`` it
    raises on an uncovered case instead of returning None.
    """
    if backend in ("torch", "opencv"):
        return None
    if backend == "auto" and x.device.type != "cuda":
        return None
    try:
        from ..backends import triton as _tr  # optional dependency
    except ImportError as exc:
        if backend == "triton":
            raise RuntimeError(f"{op}: backend='triton' needs the `triton` package "
                               f"(pip install 'pixelgrad[triton]'): {exc}") from None
        return None
    return _tr.dispatch(op, x, forced=(backend == "triton"), **params)
