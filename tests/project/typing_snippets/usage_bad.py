"""Wrong calls: mypy must report exactly the lines marked ``# error``. Never run."""
from __future__ import annotations

import torch

import pixelgrad as pg
from pixelgrad import augment as A


def wrong() -> None:
    x = torch.rand(2, 3, 12, 12)
    pg.gaussian_blur(x, "2.0")  # error
    pg.gaussian_blur(x, 1.0, kernel_size=5.0)  # error
    pg.box_blur(x, None)  # error
    pg.motion_blur(x, "7", 0.0)  # error
    pg.shear(x, sx="0.1")  # error
    pg.linear_gradient(x, a=b"1", b=0.0)  # error
    pg.corner_gradient(x, "middle")  # error
    pg.radial_gradient(x, center=(0.5, 0.5, 0.5))  # error
    A.RandomGaussianBlur(sigma=torch.tensor([1.0, 2.0]))  # error
    A.RandomMotionBlur(length=(3.0, 5.0, 7.0))  # error
    pg.restore.deblur(x, sigma=1.0, noise="0.01")  # error
    pg.restore.denoise(x, time_budget="5s")  # error
