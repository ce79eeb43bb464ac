"""``deblur`` without a blur (blind) and the fit check of a given blur: the front end's
contract (kernel, confidence, warnings, fallback, input kept, threads, batches). The
estimator itself is tested in ``test_blind.py``."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import pixelgrad as pg


def _scene(rng, size=96):
    """A piecewise-smooth scene with edges (what blind estimation needs), float64 (1, 1, H, W)."""
    x = torch.from_numpy(rng.random((1, 1, size // 8, size // 8)))
    x = torch.nn.functional.interpolate(x, size=(size, size), mode="nearest")
    return pg.gaussian_blur(x, 0.7)


def _blurred(rng, x, noise=0.01, **blur):
    """Real borders: blur a reflect-padded copy and keep the centre, then add noise."""
    y = pg.motion_blur(x, *blur["motion"]) if "motion" in blur else pg.gaussian_blur(x, blur["sigma"])
    return y + noise * torch.from_numpy(rng.standard_normal(x.shape))


def _psnr(a, x):
    return float(pg.restore.psnr(torch.as_tensor(a).clamp(0, 1), x))


def test_blind_deblur_returns_the_estimated_kernel_and_is_not_worse_than_the_input(rng):
    x = _scene(rng)
    y = _blurred(rng, x, sigma=2.0)
    res = pg.restore.deblur(y)
    k = res.kernel
    assert k.shape[0] == 1 and k.shape[-1] == k.shape[-2] and k.shape[-1] % 2 == 1
    assert k.dtype == torch.float64 and float(k.min()) >= 0 and abs(float(k.sum()) - 1) < 1e-9
    assert res.confidence.shape == (1,) and 0.0 <= float(res.confidence[0]) <= 1.0
    assert _psnr(res.image, x) >= _psnr(y, x) - 0.3


def test_blind_deblur_of_a_sharp_image_does_not_damage_it(rng):
    """No blur at all (a sharp block scene): the estimate is a near-delta kernel, and the
    result stays within 0.3 dB of the input (deconvolving such a kernel cost 4 - 5 dB: what
    is left of it is a sub-pixel shift)."""
    x = torch.from_numpy(rng.random((1, 1, 12, 12)))
    x = torch.nn.functional.interpolate(x, size=(96, 96), mode="nearest")
    y = x + 0.01 * torch.from_numpy(rng.standard_normal(x.shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = pg.restore.deblur(y)
    assert _psnr(res.image, x) >= _psnr(y, x) - 0.3


def test_a_given_blur_that_does_not_fit_warns_and_the_right_one_does_not(rng):
    x = _scene(rng, 128)
    y = _blurred(rng, x, motion=(15, -0.52))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        good = pg.restore.deblur(y, motion=(15, -0.52))
    assert float(good.confidence[0]) >= 0.5
    for method in ("auto", "tikhonov"):
        with pytest.warns(RuntimeWarning, match="does not fit"):
            bad = pg.restore.deblur(y, motion=(15, 0.52), method=method, iterations=20)
        assert float(bad.confidence[0]) < 0.5


def test_blind_deblur_keeps_the_input_and_its_container(rng):
    x = _scene(rng)
    y = (_blurred(rng, x, sigma=1.5).clamp(0, 1)[0, 0].numpy() * 255).round().astype(np.uint8)
    before = y.copy()
    res = pg.restore.deblur(y, kernel_size=9)
    assert np.array_equal(y, before)
    assert isinstance(res.image, np.ndarray) and res.image.dtype == np.uint8 and res.image.shape == y.shape
    assert res.kernel.shape[-1] <= 9


def test_blind_deblur_is_per_image_and_thread_independent(rng):
    x = torch.cat([_scene(rng, 64), _scene(rng, 64)])
    y = torch.cat([_blurred(rng, x[:1], sigma=1.5), _blurred(rng, x[1:], motion=(7, 0.3))])
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        two = pg.restore.deblur(y)
        torch.set_num_threads(1)
        one = pg.restore.deblur(y)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one.image, two.image) and torch.equal(one.kernel, two.kernel)
    first = pg.restore.deblur(y[1:])
    assert torch.equal(first.image[0], one.image[1])
