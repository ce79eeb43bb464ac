"""Scale-out on a Ray cluster (optional extra: ``pip install pixelgrad[ray]``).

- :func:`ray_augment`: augment the images of an existing Ray dataset (``ray.data.read_images(...,
  include_paths=True)`` or any dataset with an image column and a stable key column).
- :func:`pixelgrad.scale.ray_engine.run_ray`: the ``--engine ray`` backend of ``pixelgrad
  augment`` (reads, augments and atomically writes files on the workers).

Ray is imported only when these are called. See docs/scale.md.
"""
from __future__ import annotations

from .ray_augment import ray_augment

__all__ = ["ray_augment"]
