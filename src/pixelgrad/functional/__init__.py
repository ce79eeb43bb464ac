"""Stateless image operations. One function per op; each validates its inputs and picks a
backend through the dispatch table in :mod:`pixelgrad.functional._dispatch`."""
from .blur import box_blur, filter2d, gaussian_blur, motion_blur
from .geometry import shear
from .illumination import corner_gradient, gaussian_spot, linear_gradient, radial_gradient

__all__ = ["gaussian_blur", "box_blur", "motion_blur", "filter2d", "shear"]
__all__ += ["linear_gradient", "corner_gradient", "radial_gradient", "gaussian_spot"]
