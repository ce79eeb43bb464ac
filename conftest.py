"""pytest settings for the doctest run over the package (``pytest --doctest-modules src``).

This file sits beside the package, not in it, so it is not installed. Modules whose import
needs an optional dependency that is not installed are left out of the collection (their
examples then run wherever the dependency is present, e.g. in CI, where the ``dev`` extra
installs it).
"""
from __future__ import annotations

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("triton") is None:
    collect_ignore_glob.append("pixelgrad/backends/triton/*")
