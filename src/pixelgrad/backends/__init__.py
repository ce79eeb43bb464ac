"""Compute backends. They trust their inputs: validation happens in ``functional``.

* ``torch_backend``: reference; any device and dtype, differentiable.
* ``opencv_backend``: numpy / CPU tensors through OpenCV's SIMD filters.
* ``triton`` (optional): fused CUDA kernels.
"""
