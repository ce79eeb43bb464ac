"""Correct calls of the public API, as a user writes them: mypy must accept every line, and
``run()`` executes them (so the annotations describe calls that really work)."""
from __future__ import annotations

import numpy as np
import torch

import pixelgrad as pg
from pixelgrad import augment as A
from pixelgrad.types import PairValue, Range, Scalar


def run() -> None:
    x = torch.rand(2, 3, 12, 12)
    img = np.random.default_rng(0).random((12, 12, 3)).astype(np.float32)
    per = torch.tensor([0.5, 1.5])
    # functional: numbers, numpy scalars, (y, x) pairs, per-sample tensors and arrays
    pg.gaussian_blur(x, 1.0)
    pg.gaussian_blur(x, 2)
    pg.gaussian_blur(img, np.float32(1.5))
    pg.gaussian_blur(x, (1.0, 2.0), angle=0.3, kernel_size=(5, 7))
    pg.gaussian_blur(x, per, radius=2, angle=torch.tensor([0.0, 0.5]))
    pg.gaussian_blur(x, np.array([[1.0, 2.0], [0.5, 0.5]]))
    s = torch.tensor(1.0, requires_grad=True)
    pg.gaussian_blur(x, (s, 2.0))
    pg.box_blur(x, 3)
    pg.box_blur(x, (3, 5))
    pg.motion_blur(x, 5.0, 0.3, direction=np.float64(0.5))
    pg.motion_blur(x, length=torch.tensor([3.0, 7.0]), angle=np.int64(1))
    pg.shear(x, 0.2, sy=torch.tensor([0.0, 0.1]))
    pg.linear_gradient(x, a=0.5, b=-0.5, alpha=0.2)
    pg.linear_gradient(x, angle=0.3, strength=1.0, alpha=torch.full((2, 3), 0.1))
    pg.corner_gradient(x, "top-left", alpha=0.3)
    pg.corner_gradient(x, torch.tensor([0, 3]), strength=np.float32(0.5))
    pg.radial_gradient(x, 0.5, center=(0.4, 0.6), radius=(0.8, 1.2))
    pg.gaussian_spot(x, alpha=0.2, sigma=torch.tensor([[0.2, 0.3], [0.1, 0.1]]))
    # augment: ranges (low, high) or fixed numbers
    sigma_range: Range = (0.5, 1.5)
    A.RandomGaussianBlur(sigma=sigma_range, angle=(0.0, 1.0), kernel_size=5)
    A.RandomBoxBlur(size=(3, 7))
    A.RandomMotionBlur(length=(3, 9), angle=0.0, direction=(-0.5, 0.5))
    A.RandomShear(sx=0.1, sy=(-0.1, 0.1))
    A.RandomGradient(a=(-1, 1), alpha=np.float32(0.1), strength=(0.5, 1.0))
    A.RandomCornerGradient(alpha=0.1)
    A.RandomRadialGradient(center=(0.3, 0.7), radius=1.0)
    A.RandomGaussianSpot(sigma=(0.1, 0.3), strength=-0.5)
    # restore: blur parameters, noise levels, time budgets
    y = pg.gaussian_blur(torch.rand(1, 1, 16, 16, dtype=torch.float64), 1.0, border="circular")
    pg.restore.deblur(y, sigma=1.0, border="circular", noise=0.0, method="wiener")
    pg.restore.deblur(y, motion=(3, 0.0), noise=torch.tensor([0.01]), method="wiener",
                      time_budget=np.float32(5.0))
    pg.restore.denoise(y, sigma=0.05, method="tv", time_budget=10)
    pg.restore.corrupt.blur(y, box=3)
    own: PairValue = (1.0, 2.0)
    level: Scalar = np.float64(0.5)
    pg.gaussian_blur(x, own, angle=level)


if __name__ == "__main__":
    run()
