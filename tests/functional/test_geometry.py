"""pixelgrad.functional.geometry: shear against float64 / scipy oracles, gradients of its parameters."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
import torch
from torch.autograd import gradcheck

import pixelgrad as pg
from pixelgrad.borders import BORDERS
from tests.functional._grad import _p, _x


@pytest.mark.parametrize("border", BORDERS)
def test_strong_shear_is_finite_and_float32_matches_float64(border, rng):
    """Bug: source coordinates were cast to float32 before reducing them to the border's
    period: sx=1e300 overflowed to inf (NaN pixels for 'constant' / 'circular') and strong
    shears lost float32 precision (arbitrary samples for 'reflect' at sx=1e30)."""
    x = torch.from_numpy(rng.random((2, 2, 5, 6)))
    for sx in (37.0, 1e4, 1e30, 1e300):
        y32 = pg.shear(x.float(), sx, -0.5 / sx, border=border)
        y64 = pg.shear(x, sx, -0.5 / sx, border=border)
        assert bool(torch.isfinite(y32).all()) and bool(torch.isfinite(y64).all())
        assert float((y32.double() - y64).abs().max()) <= 1e-5, sx
    # the float64 path still matches scipy's bilinear affine_transform at moderate shears
    mode = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest", "circular": "grid-wrap",
            "constant": "grid-constant"}[border]
    img = x[0, 0].numpy()
    sx, sy = 2.5, 0.1
    M = np.array([[1, -sy], [-sx, 1]]) / (1 - sx * sy)
    c = np.array([2.0, 2.5])
    ref = ndi.affine_transform(img, M, offset=c - M @ c, order=1, mode=mode, cval=0.0)
    np.testing.assert_allclose(pg.shear(img, sx, sy, border=border), ref, atol=1e-9)


def test_gradcheck_shear(rng):
    x = _x(rng)
    for border in ("constant", "reflect", "circular"):
        assert gradcheck(lambda a, b: pg.shear(x, a, b, border=border), (_p(0.13, -0.21), _p(0.07, 0.3)))
