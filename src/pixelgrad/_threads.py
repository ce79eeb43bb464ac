"""One torch intra-op thread for the length of a block (:func:`single_thread`).

Used by the restoration facades (fixed reduction order, so bitwise results whatever the
caller's thread count) and by the local engine's workers (:func:`pixelgrad.io.jobs.single_threaded_ops`,
which limits OpenCV too). Public as :func:`pixelgrad.restore.result.single_thread`.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch

__all__ = ["single_thread"]


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one intra-op thread inside the block, then restore the caller's setting.

    Restoration runs many small ops; on a busy machine several threads thrash, and a
    single thread also makes every reduction's order fixed, so results are bitwise the same
    whatever the caller's thread count. Nothing is set when torch already runs one thread.

    Returns
    -------
    context manager
        Use it in a ``with`` statement; it yields nothing.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with single_thread():
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    old = torch.get_num_threads()
    if old != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if old != 1:
            torch.set_num_threads(old)
