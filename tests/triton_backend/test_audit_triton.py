"""Audit edge cases for the Triton kernels (interpreter; TRITON_INTERPRET=1 is set by this
folder's conftest): stride-0 and strided inputs, 5-D inputs, kernels much wider than the
image in every border mode, 1x1 images, saturated uint8 — all against the float64 torch
reference, with poisoned outputs."""
from __future__ import annotations

import pytest
import torch

import pixelgrad as pg
from pixelgrad.borders import BORDERS

pytestmark = pytest.mark.usefixtures("tr")


def _close(y, ref, x):
    assert y.dtype == x.dtype and y.shape == x.shape
    yd = y.double()
    assert bool(torch.isfinite(yd).all()), "unwritten (poisoned) output elements"
    tol = 1.0 if x.dtype == torch.uint8 else 1e-5
    assert float((yd - ref).abs().max()) <= tol


@pytest.mark.parametrize("border", BORDERS)
def test_tiny_images_and_wide_kernels(rng, border):
    for shape, sigma in [((1, 1, 1, 1), 2.0), ((1, 2, 1, 9), 1.5), ((2, 1, 7, 1), (3.0, 0.5)),
                         ((1, 1, 3, 5), 6.0)]:
        x = torch.from_numpy(rng.random(shape)).float()
        y = pg.gaussian_blur(x, sigma, border=border, backend="triton")
        _close(y, pg.gaussian_blur(x.double(), sigma, border=border, backend="torch"), x)
    x = torch.from_numpy(rng.random((1, 1, 4, 5))).float()
    y = pg.box_blur(x, 31, border=border, backend="triton")
    _close(y, pg.box_blur(x.double(), 31, border=border, backend="torch"), x)


def test_unusual_strides_and_leading_dims(rng):
    base = torch.from_numpy(rng.random((2, 3, 7, 14))).float()
    cases = [base[:1].expand(3, 3, 7, 14),               # stride 0 along the batch
             base[..., ::2],                             # step-2 slice
             base.reshape(2, 3, 1, 7, 14).expand(2, 3, 2, 7, 14)]   # 5-D, stride-0 dim
    for x in cases:
        before = x.clone()
        y = pg.gaussian_blur(x, 1.2, backend="triton")
        _close(y, pg.gaussian_blur(x.double(), 1.2, backend="torch"), x)
        assert torch.equal(x, before)


def test_uint8_saturated_extremes(rng):
    x = (torch.from_numpy(rng.random((2, 1, 8, 9))) > 0.5).to(torch.uint8) * 255
    for call in (lambda t, b: pg.gaussian_blur(t, 0.8, backend=b),
                 lambda t, b: pg.motion_blur(t, torch.tensor([3.0, 7.5]), torch.tensor([0.3, -2.0]), backend=b)):
        y = call(x, "triton")
        _close(y, call(x.double(), "torch"), x)
        assert int(y.min()) >= 0 and int(y.max()) <= 255
