"""Image restoration: forward models, priors, solvers, and the facades ``inpaint``,
``deblur``, ``denoise`` and ``solve``.

The physics / prior / solver split: :mod:`.operators` (``y = A x``: mask, blur, downsampling),
:mod:`.priors` (regularisers with gradient or prox), :mod:`.solvers` (gradient descent, FISTA,
CG, PDHG, HQS; one stopping rule, callback and history format). The facades pick good
defaults and return a :class:`RestoreResult`.

>>> import torch, pixelgrad as pg
>>> x = torch.rand(2, 1, 64, 64)
>>> bad, known = pg.restore.salt_and_pepper(x, 0.9, torch.Generator().manual_seed(0))
>>> res = pg.restore.inpaint(bad, known, method="auto")
>>> float(pg.restore.psnr(res.image, x).min()) > float(pg.restore.psnr(bad, x).max())
True
"""
from . import energies, operators, priors, shrinkage, solvers
from .corrupt import blur, gaussian_noise, random_missing, salt_and_pepper, scratches, text_overlay
from .deblur import DEBLUR_METHODS, deblur
from .denoise import DENOISE_METHODS, denoise
from .inpaint import METHODS, InpaintResult, inpaint
from .metrics import psnr, ssim
from .noise import estimate_noise
from .result import RestoreResult, StepInfo
from .solve import solve

__all__ = ["inpaint", "deblur", "denoise", "solve", "RestoreResult", "InpaintResult", "StepInfo", "METHODS",
           "DEBLUR_METHODS", "DENOISE_METHODS", "salt_and_pepper", "random_missing", "gaussian_noise",
           "scratches", "text_overlay", "blur", "estimate_noise", "psnr", "ssim", "energies", "operators",
           "priors", "solvers", "shrinkage"]
