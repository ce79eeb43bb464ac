"""Blur transforms (augment.blur) against scipy and the functional ops, per sample."""
from __future__ import annotations

import math

import numpy as np
import scipy.ndimage as ndi
import pytest
import torch

import pixelgrad as pg
from pixelgrad import augment as A


def test_gaussian_blur_transform_matches_scipy_per_sample():
    x = torch.rand(5, 2, 20, 24, dtype=torch.float64)
    y, P = A.RandomGaussianBlur(sigma=(0.5, 2.5))(x, seed=3, return_params=True)
    sig = P.values["sigma"]
    assert len(set(sig.tolist())) == 5
    for i in range(5):
        # pixelgrad's radius is ceil(4 sigma); scipy rounds 4 sigma unless given `radius`
        r = math.ceil(4 * float(sig[i]) - 1e-9)
        ref = ndi.gaussian_filter(x[i].numpy(), (0, float(sig[i]), float(sig[i])), mode="mirror", truncate=4.0,
                                  radius=(0, r, r))
        np.testing.assert_allclose(y[i].numpy(), ref, atol=1e-9)


def test_box_blur_sizes_are_odd_and_match_scipy():
    x = torch.rand(6, 1, 15, 15, dtype=torch.float64)
    y, P = A.RandomBoxBlur(size=(2, 8))(x, seed=0, return_params=True)
    sizes = P.values["size"]
    assert set(sizes.tolist()) <= {3, 5, 7}
    for i, k in enumerate(sizes.tolist()):
        ref = ndi.uniform_filter(x[i, 0].numpy(), k, mode="mirror")
        np.testing.assert_allclose(y[i, 0].numpy(), ref, atol=1e-6)


def test_motion_and_shear_match_functional_ops():
    x = torch.rand(4, 3, 16, 16)
    y, P = A.RandomMotionBlur(length=(2, 9), direction=(-1, 1))(x, seed=1, return_params=True)
    v = P.values
    torch.testing.assert_close(y, pg.motion_blur(x, v["length"], v["angle"], direction=v["direction"]))
    y, P = A.RandomShear(sx=(-0.3, 0.3), sy=(-0.2, 0.2))(x, seed=1, return_params=True)
    torch.testing.assert_close(y, pg.shear(x, P.values["sx"], P.values["sy"]))


def test_random_gaussian_blur_kernel_size_matches_the_functional_op(rng):
    from pixelgrad import augment as A

    x = torch.from_numpy(rng.random((3, 2, 15, 17))).float()
    t = A.RandomGaussianBlur(sigma=(0.5, 3.0), kernel_size=(5, 7))
    y, params = t(x, seed=1, return_params=True)
    sig = params.values["sigma"]
    assert torch.equal(y, pg.gaussian_blur(x, sig, kernel_size=(5, 7), method="direct"))
    assert not torch.equal(y, t.__class__(sigma=(0.5, 3.0))(x, params=params))   # truncate radius differs
    again = A.from_dict(t.to_dict())
    assert again.kernel_size == (5, 7) and torch.equal(again(x, params=params), y)
    with pytest.raises(ValueError, match="kernel_size"):
        A.RandomGaussianBlur(kernel_size=4)
