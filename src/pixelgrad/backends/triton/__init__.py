"""Fused Triton kernels for the blur family and the illumination fields.

Importing this package needs the ``triton`` package (an ``ImportError`` otherwise, which the
dispatch hook in :mod:`pixelgrad.functional._dispatch` turns into a torch fallback, or into
a clear error under ``backend='triton'``). Kernels run on CUDA tensors, or on CPU tensors
through Triton's interpreter when ``TRITON_INTERPRET=1`` was set before triton was imported.

Entry point: :func:`dispatch` ``(op, x, forced, **params)`` with ``x`` a ``(B, C, H, W)``
tensor and the op's validated parameters (see :mod:`pixelgrad.functional.blur`); it returns
the output (same dtype, shape and memory format as ``x``) or ``None`` when the case is not
covered (``forced=True`` raises ``ValueError`` naming the op and the reason instead).

Coverage (dtypes uint8 / float16 / bfloat16 / float32, any strides, every border mode;
float64 and autograd go to the torch reference):

==================  ======================================================================
op                  kernel
==================  ======================================================================
gaussian_blur       axis-aligned: one-pass tile kernel (Toeplitz products on tensor cores)
                    or, for long kernels, banded GEMMs (cost independent of sigma);
                    rotated (``angle``): 2-D tap list
box_blur            as the axis-aligned Gaussian, with box weights
motion_blur         2-D tap list (the line's non-zero taps only), per-sample counts
illumination ops    one elementwise pass: field and blend fused (see ``_illumination``)
==================  ======================================================================
"""
from __future__ import annotations

import triton  # noqa: F401  (ImportError here means: not installed -> torch fallback)

from ._common import KERNEL_DTYPES, interpreting
from ._router import blur_then_blend, dispatch

__all__ = ["dispatch", "blur_then_blend", "KERNEL_DTYPES", "interpreting"]
