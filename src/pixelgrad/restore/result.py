"""The result and progress objects shared by every restoration facade
(:func:`~pixelgrad.restore.inpaint`, :func:`~pixelgrad.restore.deblur`,
:func:`~pixelgrad.restore.denoise`, :func:`~pixelgrad.restore.solve`)."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, Optional, Tuple

import torch

__all__ = ["RestoreResult", "StepInfo", "single_thread"]


@dataclass
class StepInfo:
    """What a callback receives after every iteration (or stage).

    ``image`` is the current iterate ``(B, C, H, W)`` float (do not modify it); ``energy``
    ``(B,)`` the objective of the running stage; ``psnr`` ``(B,)`` dB against ``reference``
    when one was given."""

    stage: str
    iteration: int
    energy: torch.Tensor
    image: torch.Tensor
    psnr: Optional[torch.Tensor] = None


@dataclass
class RestoreResult:
    """Outcome of a restoration.

    Attributes
    ----------
    image : the restored image, same container, shape and dtype as the input.
    iterations : int, total iterations run (all stages).
    history : float64 CPU tensor ``(iterations, B)``, objective per iteration.
    seconds : float, wall time of the call.
    method : str, the method that ran.
    stages : ``{stage name: (first, last + 1)}`` rows of ``history``.
    noise : float64 tensor ``(B,)`` of the noise standard deviation used (given or
        estimated), or ``None`` where the method does not use one.
    """

    image: Any
    iterations: int
    history: torch.Tensor
    seconds: float
    method: str
    stages: Dict[str, Tuple[int, int]] = field(default_factory=dict)
    noise: Optional[torch.Tensor] = None


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one intra-op thread inside the block, then restore the caller's setting.

    Restoration runs many small ops; on a busy machine several threads thrash, and a
    single thread also makes every reduction's order fixed, so results are bitwise the same
    whatever the caller's thread count."""
    old = torch.get_num_threads()
    if old != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if old != 1:
            torch.set_num_threads(old)
