"""Compute backends. They trust their inputs: validation happens in ``functional``.

* ``torch_backend``: reference; any device and dtype, differentiable.
* ``opencv_backend``: numpy / CPU tensors through OpenCV's SIMD filters.
* ``triton`` (optional): fused CUDA kernels.

Every backend receives built kernels (:class:`pixelgrad.kernels.stack.KernelStack`), never
the sigmas, sizes or lengths they came from, through one table
``{(backend, kind): function}``: :mod:`pixelgrad.backends.registry`.
"""
