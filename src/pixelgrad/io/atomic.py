"""Never leave a half-written file, never write through a symlink (the public home of
:mod:`pixelgrad._atomic`).

The writer lives in the bottom layer of the package, :mod:`pixelgrad._atomic`, so that every
layer that writes a file (e.g. :func:`pixelgrad.augment.save`) can use it without importing
:mod:`pixelgrad.io`; this module gives it its public name. See :mod:`pixelgrad._atomic` for
the crash-safety and symlink guarantees.

Examples
--------
>>> import tempfile, pathlib
>>> from pixelgrad.io.atomic import atomic_write
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write(d / "a.txt", b"hello")
>>> (d / "a.txt").read_bytes()
b'hello'
"""
from __future__ import annotations

from .._atomic import (FILE_MODE, TEMP_JOURNAL, SymlinkError, atomic_path, atomic_write,
                       is_temp_name, open_dir_nofollow, remove_journaled_temps)

__all__ = ["atomic_write", "atomic_path", "is_temp_name", "open_dir_nofollow", "SymlinkError",
           "FILE_MODE", "TEMP_JOURNAL", "remove_journaled_temps"]
