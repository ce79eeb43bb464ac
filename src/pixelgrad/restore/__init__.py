"""Image restoration: corruption models, energies, solvers, ``inpaint()`` and metrics.

>>> import torch, pixelgrad as pg
>>> x = torch.rand(2, 1, 64, 64)
>>> bad, known = pg.restore.salt_and_pepper(x, 0.9, torch.Generator().manual_seed(0))
>>> res = pg.restore.inpaint(bad, known, method="auto")
>>> float(pg.restore.psnr(res.image, x).min()) > float(pg.restore.psnr(bad, x).max())
True
"""
from . import energies, solvers
from .corrupt import gaussian_noise, random_missing, salt_and_pepper, scratches, text_overlay
from .inpaint import METHODS, InpaintResult, StepInfo, inpaint
from .metrics import psnr, ssim

__all__ = ["inpaint", "InpaintResult", "StepInfo", "METHODS", "salt_and_pepper", "random_missing",
           "gaussian_noise", "scratches", "text_overlay", "psnr", "ssim", "energies", "solvers"]
