"""The dispatch layer, split by concern (this module re-exports the three for old imports):

* :mod:`pixelgrad.functional._cost`: the ``method=`` names and the cost model that picks the
  cheapest exact algorithm (direct, banded matrix, FFT);
* :mod:`pixelgrad.functional._scope`: ``backend=`` names and :func:`backend_scope`, what
  ``backend="auto"`` means for the ops called inside a transform or pipeline;
* :mod:`pixelgrad.functional._run`: :class:`Request` and :func:`run`, the one way an op
  reaches a backend (the registered functions of triton, opencv, numba and torch, tried in
  that order, each raising ``Uncovered``), :func:`capture` for pipeline fusion and
  :func:`run_fused`.

==================  =======================================================================
situation           what runs
==================  =======================================================================
CPU, no autograd,   OpenCV (``sepFilter2D`` / ``filter2D``, ``warpAffine``) while the kernel
not circular        is short; otherwise torch's banded-matrix product or FFT (cost model)
planar illumination numba's fused loop (float32 / float64, values in [0, 1]); else torch
CPU with autograd,  torch: direct / matrix / fft by the same cost model
or circular
CUDA                the Triton kernels when installed and covering the case, else torch
==================  =======================================================================

Examples
--------
>>> from pixelgrad.functional import _dispatch
>>> _dispatch.best_separable_method(224, 224, 7, 7), _dispatch.effective("auto")
('direct', 'auto')
"""
from __future__ import annotations

from ._cost import (BLUR_METHODS, DEPRECATED_METHODS, best_2d_method, best_separable_method,
                    check_method, fast_direct, pass_cost)
from ._run import BROKEN, ORDER, Request, capture, covers, run, run_fused
from ._scope import BACKENDS, backend_scope, effective

#: The old name of :data:`~pixelgrad.functional._cost.BLUR_METHODS`, for old imports.
METHODS = BLUR_METHODS

__all__ = ["BLUR_METHODS", "METHODS", "DEPRECATED_METHODS", "check_method", "pass_cost",
           "best_separable_method", "best_2d_method", "fast_direct", "BACKENDS", "backend_scope",
           "effective", "Request", "run", "capture", "covers", "run_fused", "ORDER", "BROKEN"]
