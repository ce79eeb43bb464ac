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

Cost model per 1-D pass, in "multiply-adds at OpenCV's convolution speed" per sample:
direct ~ K taps (x8 for torch's CPU conv2d, which is that much slower than OpenCV's SIMD
loop); matrix ~ n / 6 (dense BLAS runs ~6x more multiply-adds per second); fft ~
8 log2(n + K) + 60. The constants were measured on a 2-core x86 CPU (benchmarks/blur.py)
and only steer speed, never results: every method is exact.
"""
from __future__ import annotations

import contextlib
import contextvars
import math

import torch

METHODS = ("auto", "direct", "separable", "2d", "fft", "matrix")
BACKENDS = ("auto", "torch", "opencv", "triton")


def pass_cost(method: str, n: int, K: int, direct_factor: float = 1.0) -> float:
    if method == "direct":
        return direct_factor * K
    if method == "matrix":
        return n / 6.0 if n <= 2048 else math.inf
    return 8.0 * math.log2(n + K) + 60.0


def best_separable_method(H: int, W: int, Kh: int, Kw: int, *, fast_direct: bool = True) -> str:
    """The cheapest exact algorithm for a separable kernel on an H x W image.

    ``fast_direct``: the direct passes would run on OpenCV (CPU) or a GPU; False for torch's
    CPU convolution."""
    f = 1.0 if fast_direct else 8.0
    costs = {m: pass_cost(m, H, Kh, f) + pass_cost(m, W, Kw, f) for m in ("direct", "matrix", "fft")}
    return min(costs, key=costs.get)


def best_2d_method(H: int, W: int, Kh: int, Kw: int, *, fast_direct: bool = True) -> str:
    direct = Kh * Kw * (1.0 if fast_direct else 8.0)
    fft = 2 * (8.0 * math.log2((H + Kh) * (W + Kw)) + 60.0)
    return "direct" if direct <= fft else "fft"


def fast_direct(x: torch.Tensor, border: str, backend: str) -> bool:
    """Whether a direct convolution would run on a fast engine (OpenCV on CPU, or a GPU)."""
    return x.device.type != "cpu" or opencv_allowed(x, border, backend)


# ----------------------------------------------------------------------------- backend scope
#: The backend that ``backend="auto"`` means inside :func:`backend_scope` (``"auto"`` outside).
_SCOPE: contextvars.ContextVar[str] = contextvars.ContextVar("pixelgrad_backend", default="auto")


@contextlib.contextmanager
def backend_scope(backend: str):
    """Make ``backend="auto"`` mean ``backend`` for the functional ops called inside (how a
    transform or a pipeline called with ``backend=`` reaches the ops it calls). An explicit
    ``backend=`` other than ``"auto"`` on an op still wins."""
    token = _SCOPE.set(backend)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def effective(backend: str) -> str:
    """``backend``, with ``"auto"`` replaced by the one of the enclosing :func:`backend_scope`."""
    return _SCOPE.get() if backend == "auto" else backend


# ----------------------------------------------------------------------------- capture
class _Captured(Exception):
    """Raised by :func:`try_triton` under :func:`capture` once the op has been recorded."""


_CAPTURE: contextvars.ContextVar[list | None] = contextvars.ContextVar("pixelgrad_capture",
                                                                     default=None)


def capture(call) -> tuple[str, dict] | None:
    """Run ``call()`` (a functional op call) up to its backend hook and return the op name
    and its validated parameters ``(op, params)`` without computing anything; ``None`` when
    the call finished without reaching the hook. Validation errors propagate."""
    seen: list = []
    token = _CAPTURE.set(seen)
    try:
        call()
    except _Captured:
        return seen[0]
    finally:
        _CAPTURE.reset(token)
    return None


def opencv_allowed(x: torch.Tensor, border: str, backend: str) -> bool:
    """Whether the OpenCV backend may run this tensor."""
    backend = effective(backend)
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
    seen = _CAPTURE.get()
    if seen is not None:
        seen.append((op, params))
        raise _Captured
    triton_backend = _triton_module(op, x, backend)
    if triton_backend is None:
        return None
    return triton_backend.dispatch(op, x, forced=(effective(backend) == "triton"), **params)


def _triton_module(op: str, x: torch.Tensor, backend: str):
    """The Triton backend module when it is selected for ``x`` (``backend='triton'``, or
    ``'auto'`` on a CUDA tensor) and installed; else None."""
    backend = effective(backend)
    if backend in ("torch", "opencv"):
        return None
    if backend == "auto" and x.device.type != "cuda":
        return None
    try:
        from ..backends import triton as triton_backend  # optional dependency
    except ImportError as exc:
        if backend == "triton":
            raise RuntimeError(f"{op}: backend='triton' needs the `triton` package "
                               f"(pip install 'pixelgrad[triton]'): {exc}") from None
        return None
    return triton_backend


def try_triton_fused(x: torch.Tensor, backend: str, blur: tuple[str, dict],
                     field: tuple[str, dict]):
    """``field_op(blur_op(x))`` in one Triton launch (see
    :func:`pixelgrad.backends.triton.blur_then_blend`) when the Triton backend is selected
    and covers the pair; ``None`` otherwise (the caller then runs the two ops in turn).
    ``blur`` / ``field``: ``(op, validated params)`` as :func:`capture` returns them."""
    op = f"{blur[0]}+{field[0]}"
    triton_backend = _triton_module(op, x, backend)
    if triton_backend is None:
        return None
    return triton_backend.blur_then_blend(x, blur[0], blur[1], field[0], field[1],
                                          forced=(effective(backend) == "triton"))
