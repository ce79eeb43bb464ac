"""Image restoration: forward models, priors, solvers, and the facades ``inpaint``,
``deblur``, ``denoise`` and ``solve``.

The physics / prior / solver split: :mod:`.operators` (``y = A x``: mask, blur, downsampling),
:mod:`.priors` (regularisers declaring their capabilities: value, gradient, prox, dual form,
Hessian), :mod:`.solvers` (gradient descent, FISTA, CG, PDHG, HQS as steps of the one loop of
:mod:`.iterate`) and :mod:`.constraints` (box, fixed known pixels). The facades read their
methods from the table of :mod:`.methods` and return a :class:`RestoreResult`. The corruption
models are in :mod:`.corrupt` (``pg.restore.corrupt.blur``; ``pg.restore.blur`` is a
deprecated alias).

>>> import torch, pixelgrad as pg
>>> x = torch.rand(2, 1, 64, 64)
>>> bad, known = pg.restore.salt_and_pepper(x, 0.9, torch.Generator().manual_seed(0))
>>> res = pg.restore.inpaint(bad, known, method="auto")
>>> float(pg.restore.psnr(res.image, x).min()) > float(pg.restore.psnr(bad, x).max())
True
"""
import warnings as _warnings
from typing import Any as _Any

from . import blind, constraints, corrupt, energies, iterate, methods, operators, priors, shrinkage, solvers
from .corrupt import gaussian_noise, random_missing, salt_and_pepper, scratches, text_overlay
from .blind import KernelEstimate, assess, check_blur, estimate_kernel
from .deblur import DEBLUR_METHODS, deblur
from .denoise import DENOISE_METHODS, denoise
from .inpaint import INPAINT_METHODS, METHODS, InpaintResult, inpaint
from .metrics import psnr, ssim
from .noise import estimate_noise
from .result import RestoreResult, StepInfo
from .solve import solve

# METHODS: the old name of INPAINT_METHODS, kept as an alias
__all__ = ["inpaint", "deblur", "denoise", "solve", "RestoreResult", "InpaintResult", "StepInfo", "INPAINT_METHODS",
           "METHODS", "DEBLUR_METHODS", "DENOISE_METHODS", "salt_and_pepper", "random_missing", "gaussian_noise",
           "scratches", "text_overlay", "estimate_noise", "psnr", "ssim", "energies", "operators",
           "priors", "solvers", "shrinkage", "corrupt", "constraints", "iterate", "methods",
           "blind", "estimate_kernel", "KernelEstimate", "assess", "check_blur"]

#: Old names kept as deprecated aliases: ``pg.restore.<old>`` -> ``pg.restore.<new>``.
DEPRECATED_NAMES = {"blur": "corrupt.blur"}


def __getattr__(name: str) -> _Any:
    if name in DEPRECATED_NAMES:
        new = DEPRECATED_NAMES[name]
        _warnings.warn(f"pixelgrad.restore.{name} is deprecated (it is a corruption model, not an "
                       f"operator); use pixelgrad.restore.{new}", DeprecationWarning, stacklevel=2)
        obj: _Any = globals()[new.split(".")[0]]
        for part in new.split(".")[1:]:
            obj = getattr(obj, part)
        return obj
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
