"""File edges: safe writes and image reading/writing with bit depth preserved."""
from .atomic import atomic_write, atomic_path
from .images import read_image, write_image, sample_image, IMAGE_SUFFIXES

__all__ = ["atomic_write", "atomic_path", "read_image", "write_image", "sample_image", "IMAGE_SUFFIXES"]
