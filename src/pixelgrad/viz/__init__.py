"""Pictures: labelled grids and animations for the demo, CLI and docs."""
from .grid import image_grid, to_uint8_hwc

__all__ = ["image_grid", "to_uint8_hwc"]
