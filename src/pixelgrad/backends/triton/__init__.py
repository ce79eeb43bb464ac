"""Fused Triton kernels for the blur family and the illumination fields.

Importing this package needs the ``triton`` package (an ``ImportError`` otherwise, which the
dispatch hook in :mod:`pixelgrad.functional._dispatch` turns into a torch fallback, or into
a clear error under ``backend='triton'``). Kernels run on CUDA tensors, or on CPU tensors
through Triton's interpreter when ``TRITON_INTERPRET=1`` was set before triton was imported.

Importing this package registers its functions in :mod:`pixelgrad.backends.registry`:
``("triton", "separable")``, ``("triton", "2d")`` and ``("triton", "field")``. They receive
built kernels (:class:`pixelgrad.kernels.stack.KernelStack`), never sigmas or lengths, and
return the output (same dtype, shape and memory format as ``x``) or raise
:class:`pixelgrad.backends.registry.Uncovered` naming the reason. :func:`blur_then_blend`
runs a filter and an illumination field in one launch.

Coverage (dtypes uint8 / float16 / bfloat16 / float32, any strides, every border mode;
float64 and autograd go to the torch reference):

==============  ==========================================================================
kind            kernel
==============  ==========================================================================
``separable``   one-pass tile kernel (Toeplitz products on tensor cores) or, for long
                kernels, banded GEMMs (cost independent of the kernel length): axis-aligned
                Gaussian and box blur, one kernel or one per sample
``2d``          tap list (only the non-zero taps are read): rotated Gaussian, motion blur
``field``       one elementwise pass, field and blend fused (see ``_illumination``)
==============  ==========================================================================
"""
from __future__ import annotations

import triton  # noqa: F401  (ImportError here means: not installed -> torch fallback)

from ._common import KERNEL_DTYPES, interpreting
from ._router import blur_then_blend, check_tensor, field, filter2d, separable_filter

__all__ = ["separable_filter", "filter2d", "field", "blur_then_blend", "check_tensor",
           "KERNEL_DTYPES", "interpreting"]
