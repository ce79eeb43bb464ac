"""Pure math of filter weights; no images here. Everything is cached by its parameters,
dtype and device, except the random camera-shake PSFs of :func:`camera_shake` (drawn from a
generator)."""
from .gaussian import gaussian_kernel1d, gaussian_kernel2d, gaussian_radius
from .box import box_kernel1d
from .motion import motion_kernel2d, motion_kernel_size
from .banded import banded_matrix
from .camera_shake import camera_shake

__all__ = ["gaussian_kernel1d", "gaussian_kernel2d", "gaussian_radius", "box_kernel1d",
           "motion_kernel2d", "motion_kernel_size", "banded_matrix", "camera_shake"]
