"""The result and progress objects shared by every restoration facade
(:func:`~pixelgrad.restore.inpaint`, :func:`~pixelgrad.restore.deblur`,
:func:`~pixelgrad.restore.denoise`, :func:`~pixelgrad.restore.solve`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import torch

from .._threads import single_thread

# single_thread: one torch thread inside a block (defined in pixelgrad._threads, which io uses too)
__all__ = ["RestoreResult", "StepInfo", "single_thread"]


@dataclass
class StepInfo:
    """What a callback receives after every iteration (or stage) of a restoration.

    Attributes
    ----------
    stage : str
        Name of the running stage (e.g. ``"threshold"``, ``"wiener"``, ``"pdhg"``).
    iteration : int
        Iteration count within the whole call, from 1.
    energy : tensor ``(B,)``
        The objective of the running stage.
    image : tensor ``(B, C, H, W)``
        The current iterate, float; do not modify it.
    psnr : tensor ``(B,)`` or None
        PSNR in dB against the ``reference`` given to the facade, else ``None``.

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> seen = []
    >>> y = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> _ = pg.restore.denoise(y, 0.1, callback=lambda info: seen.append(info.stage))
    >>> seen
    ['threshold', 'wiener']
    """

    stage: str
    iteration: int
    energy: torch.Tensor
    image: torch.Tensor
    psnr: Optional[torch.Tensor] = None


@dataclass
class RestoreResult:
    """Outcome of a restoration (returned by every facade).

    Attributes
    ----------
    image : tensor or numpy array
        The restored image, same container, shape and dtype as the input.
    iterations : int
        Total iterations run (all stages).
    history : tensor ``(iterations, B)``
        float64 CPU tensor, the objective per iteration.
    seconds : float
        Wall time of the call.
    method : str
        The method that ran.
    stages : dict
        ``{stage name: (first, last + 1)}`` rows of ``history``.
    noise : tensor ``(B,)`` or None
        float64 noise standard deviation used (given or estimated), or ``None`` where the
        method does not use one.
    kernel : tensor ``(k, k)`` / ``(Kh, Kw)`` / ``(B, Kh, Kw)`` or None
        :func:`~pixelgrad.restore.deblur`: the point-spread function the image was deblurred
        with, float64 on the CPU, as a *convolution* kernel (``y = kernel * x + n``, the
        ``kernel=`` convention of ``deblur``): built from ``sigma`` / ``angle`` / ``box`` /
        ``motion`` (non-negative, summing to 1, centred, odd sides; one per sample for
        per-sample parameters) or a copy of the ``kernel`` given (as given: ``deblur`` does not
        normalise it). ``deblur(y, kernel=res.kernel)`` models the same blur. ``None`` for the
        other facades, and for a blur too wide to build
        (:data:`~pixelgrad.restore.operators.MAX_PSF_WEIGHTS`). Blind deblurring (no blur
        given): the estimated kernels ``(B, k, k)``.
    confidence : tensor ``(B,)`` or None
        :func:`~pixelgrad.restore.deblur` only: float64 in [0, 1], how far the result can be
        trusted. With a given blur, how well it explains the data (the restored image blurred
        again against the input, in noise units; a ``RuntimeWarning`` names each image where it
        does not fit, e.g. a motion angle of the wrong sign). Blind: the no-reference check of
        :func:`~pixelgrad.restore.blind.assess`; 0 where the estimate was not trusted and the
        input was returned unchanged (with a ``RuntimeWarning``). ``None`` for the other
        facades.

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> y = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> res = pg.restore.denoise(y, 0.1, method="dct")
    >>> res.image.shape, res.method, res.history.shape, res.noise, res.kernel
    (torch.Size([2, 1, 32, 32]), 'dct', torch.Size([1, 2]), tensor([0.1000, 0.1000], dtype=torch.float64), None)
    >>> k = pg.restore.deblur(y, sigma=1.0, method="wiener").kernel      # the PSF used
    >>> k.shape, k.dtype, round(float(k.sum()), 12)
    (torch.Size([9, 9]), torch.float64, 1.0)
    """

    image: Any
    iterations: int
    history: torch.Tensor
    seconds: float
    method: str
    stages: Dict[str, Tuple[int, int]] = field(default_factory=dict)
    noise: Optional[torch.Tensor] = None
    kernel: Optional[torch.Tensor] = None
    confidence: Optional[torch.Tensor] = None
