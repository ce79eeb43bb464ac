"""pixelgrad.restore.blind: blind kernel estimation, the no-reference checks and the policy."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import pixelgrad as pg
from pixelgrad.kernels import camera_shake, gaussian_kernel2d, motion_kernel2d
from pixelgrad.restore.blind import (FAMILIES, SPECTRAL_RATIO_MAX, _ncc_best_shift, assess, blind_deconvolve,
                                     check_blur, estimate_kernel)


def _scene(rng: np.random.Generator, n: int, smooth: float = 0.6) -> torch.Tensor:
    """A random piecewise-constant scene (rectangles and discs), slightly smoothed."""
    x = np.full((n, n), rng.uniform(0.2, 0.8))
    yy, xx = np.mgrid[:n, :n]
    for _ in range(n // 3):
        v = rng.uniform(0.0, 1.0)
        if rng.uniform() < 0.5:
            r0, c0 = rng.integers(0, n, 2)
            h, w = rng.integers(4, n // 3, 2)
            x[r0:r0 + h, c0:c0 + w] = v
        else:
            cy, cx, rad = rng.uniform(0, n), rng.uniform(0, n), rng.uniform(3, n / 6)
            x[(yy - cy) ** 2 + (xx - cx) ** 2 < rad ** 2] = v
    t = torch.from_numpy(x)
    return pg.gaussian_blur(t[None, None], smooth)[0, 0] if smooth > 0 else t


def _blurred(rng: np.random.Generator, k: torch.Tensor, n: int = 80, noise: float = 0.01,
             smooth: float = 0.6):
    """``(sharp, blurry)``: the ``n x n`` centre of a larger scene blurred by 'valid'
    convolution (real borders, no wrap) plus white noise."""
    r = k.shape[-1] // 2
    big = _scene(rng, n + 2 * r, smooth)
    y = F.conv2d(big[None, None], k.flip(-1, -2)[None, None])[0, 0]
    y = y + noise * torch.from_numpy(rng.standard_normal(y.shape))
    return big[r:r + n, r:r + n], y[None, None]


def _check_kernel(k: torch.Tensor) -> None:
    assert k.dtype == torch.float64 and k.ndim == 3 and k.shape[-1] % 2 == 1
    assert bool((k >= 0).all())
    assert torch.allclose(k.sum(dim=(-2, -1)), torch.ones(k.shape[0], dtype=torch.float64), atol=1e-9)
    t = torch.arange(k.shape[-1], dtype=torch.float64) - k.shape[-1] // 2
    for kk in k:
        assert abs(float((kk.sum(1) * t).sum())) <= 0.5 + 1e-9
        assert abs(float((kk.sum(0) * t).sum())) <= 0.5 + 1e-9


def test_recovers_motion_kernel(rng):
    # a thin anti-aliased line: an estimate one pixel short or a little wider costs much
    # correlation, so this shape is held to 0.7 (measured 0.77 - 0.94 over seeds); the
    # realistic camera-shake PSFs below are held to 0.8
    k = motion_kernel2d(9.0, float(rng.uniform(-math.pi / 2, math.pi / 2)))
    _, y = _blurred(rng, k, n=96)
    est = estimate_kernel(y, 15)
    _check_kernel(est.kernel)
    assert _ncc_best_shift(est.kernel[0], k) >= 0.7
    assert est.confidence.shape == (1,) and 0.0 <= float(est.confidence[0]) <= 1.0


def test_recovers_camera_shake_kernel(rng):
    # noise 0.005 (the benchmark measures 0.01 on natural images): at 0.01 on these small
    # scenes the worst of 20 seeds reached 0.82, too close to the bound for a unit test
    k = camera_shake(11, int(rng.integers(0, 2**31)))
    _, y = _blurred(rng, k, n=128, noise=0.005)
    est = estimate_kernel(y, 15)
    _check_kernel(est.kernel)
    assert _ncc_best_shift(est.kernel[0], k) >= 0.8


def test_gaussian_family(rng):
    # the spectral fit is fast: a larger image (more frequencies) and an unsmoothed scene,
    # so the scene's own edge width does not add to sigma
    s = float(rng.uniform(1.5, 2.5))
    _, y = _blurred(rng, gaussian_kernel2d(s, s), n=160, smooth=0.0)
    est = estimate_kernel(y, 17, family="gaussian")
    _check_kernel(est.kernel)
    assert abs(est.params[0]["sigma"] - s) <= 0.1 * s


def _sample_scene(n: int, at: int = 60) -> torch.Tensor:
    """A ``(n, n)`` float64 gray crop of the bundled photo (resized to 256 x 256)."""
    from pixelgrad.io import sample_image

    img = sample_image()[..., :3] @ np.array([0.299, 0.587, 0.114]) / 255.0
    g = F.interpolate(torch.from_numpy(img)[None, None], size=(256, 256), mode="area")[0, 0]
    return g[at:at + n, at:at + n]


def _photo_blurred(k: torch.Tensor, n: int = 128) -> torch.Tensor:
    """The bundled photo's ``n x n`` crop blurred by 'valid' convolution, noise 0.01."""
    r = k.shape[-1] // 2
    big = _sample_scene(n + 2 * r)
    y = F.conv2d(big[None, None], k.flip(-1, -2)[None, None])[0, 0]
    return (y + 0.01 * torch.from_numpy(np.random.default_rng(0).standard_normal(y.shape)))[None, None]


@pytest.mark.parametrize("length,angle", [(9.0, 0.3), (11.0, -0.9), (13.0, 1.2), (10.0, -0.2), (12.0, 0.7)])
def test_motion_family(length, angle):
    """Length within 1 px and angle within 3 degrees on a natural photo (real borders, noise
    0.01). Fixed cases, not random ones: on 40 random draws (length 5-13, any angle) the
    spectral fit missed 2 (a 5 px line's angle by 4 degrees, a 12.8 px line taken for 7 px);
    the kernel-step fit it replaced missed about one in five."""
    p = estimate_kernel(_photo_blurred(motion_kernel2d(length, angle)), 17, family="motion").params[0]
    assert abs(p["length"] - length) <= 1.0
    d = math.degrees(p["angle"] - angle)
    assert abs((d + 90) % 180 - 90) <= 3.0


@pytest.mark.parametrize("case", ["motion", "gaussian", "shake"])
def test_any_selects_the_family_that_explains_the_spectrum(case):
    """``family="any"`` keeps a parametric fit when the blur is one of pixelgrad's own (its
    parameters then come out as with that family) and the free-form kernel for a curved
    camera shake, which no family matches."""
    k = {"motion": motion_kernel2d(11.0, 0.5), "gaussian": gaussian_kernel2d(2.0, 2.0),
         "shake": camera_shake(13, 3)}[case]
    est = estimate_kernel(_photo_blurred(k), 17)
    _check_kernel(est.kernel)
    p = est.params[0]
    assert est.family == "any"
    assert p["family"] == {"motion": "motion", "gaussian": "gaussian", "shake": "free"}[case], p
    if case == "motion":
        assert abs(p["length"] - 11.0) <= 1.0 and abs(math.degrees(p["angle"] - 0.5)) <= 3.0
    elif case == "gaussian":
        assert abs(p["sigma"] - 2.0) <= 0.2
    assert _ncc_best_shift(est.kernel[0], k) >= 0.8


def test_box_family(rng):
    """Both sides exactly, square or not (the spectral fit: the box's transfer has nulls at
    multiples of 1 / n along each axis). 0 misses in 81 seeds; the latent fit it replaced
    missed (7, 7) as (7, 5) about once in 20. Sides of 9 on these smooth 80 px scenes are
    missed about once in 30 (a steeper image spectrum mimics a wider roll-off)."""
    ny, nx = (int(v) for v in rng.choice([3, 5, 7], size=2))
    b = torch.full((ny, nx), 1.0 / (ny * nx), dtype=torch.float64)
    _, y = _blurred(rng, b)
    assert estimate_kernel(y, 11, family="box").params[0]["box"] == (ny, nx)


def test_check_blur_flags_a_wrong_motion_sign(rng):
    _, y = _blurred(rng, motion_kernel2d(15.0, -0.52), n=96)
    good = check_blur(y, motion_kernel2d(15.0, -0.52))
    bad = check_blur(y, motion_kernel2d(15.0, 0.52), estimate=good.estimate)
    assert bool(good.consistent[0]) and not bool(bad.consistent[0])
    assert float(bad.agreement[0]) < float(good.agreement[0])


@pytest.mark.parametrize("angle", [-1.2, 0.0, 1.0])
def test_assess_and_policy(angle):
    """On a natural photo (the spectral check models a power-law image spectrum: on the
    synthetic block scenes of the other tests the true kernel scores up to 0.76 and is
    refused about one time in eight, a known false refusal measured on 24 seeds)."""
    k = motion_kernel2d(9.0, angle)
    r = k.shape[-1] // 2
    big = _sample_scene(96 + 2 * r)
    y = F.conv2d(big[None, None], k.flip(-1, -2)[None, None])[0, 0]
    y = (y + 0.01 * torch.from_numpy(np.random.default_rng(0).standard_normal(y.shape))).clamp(0, 1)[None, None]
    x = pg.restore.deblur(y, kernel=k).image
    assert bool(assess(y, x, k, 0.01).ok[0])           # the true kernel's deblur passes
    assert not bool(assess(y, y, k, 0.01).ok[0])       # doing nothing gains nothing
    # a kernel the spectrum contradicts (the motion turned by 90 degrees) is refused even
    # though its deblur fits the data: the image's spectrum shows no attenuation across
    # the true motion (measured: ratio inf; the true kernel 0.52 - 0.57 on this photo)
    turned = motion_kernel2d(9.0, angle + math.pi / 2)
    with pytest.warns(RuntimeWarning, match="does not fit"):
        wrong = pg.restore.deblur(y, kernel=turned).image
    bad = assess(y, wrong, turned, 0.01)
    assert not bool(bad.ok[0])
    assert bad.spectral_ratio is not None and float(bad.spectral_ratio[0]) > SPECTRAL_RATIO_MAX
    outs, est, a = blind_deconvolve(y, lambda yi, kk: pg.restore.deblur(yi, kernel=kk).image)
    assert outs[0].shape == y.shape and a.confidence.shape == (1,)


def test_color_uses_luminance_and_input_untouched(rng):
    k = motion_kernel2d(7.0, 0.4)
    _, y = _blurred(rng, k, n=64)
    rgb = y.expand(1, 3, 64, 64).clone()
    before = rgb.clone()
    a = estimate_kernel(rgb, 9).kernel
    assert torch.equal(rgb, before)
    assert torch.allclose(a, estimate_kernel(y, 9).kernel, atol=1e-6)
    arr = rgb[0].permute(1, 2, 0).numpy().copy()
    arr0 = arr.copy()
    estimate_kernel(arr, 9)
    assert np.array_equal(arr, arr0)


def test_bitwise_identical_for_1_and_2_threads(rng):
    _, y = _blurred(rng, camera_shake(9, int(rng.integers(0, 2**31))), n=64)
    n = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = estimate_kernel(y, 9, family="motion")
        torch.set_num_threads(2)
        b = estimate_kernel(y, 9, family="motion")
    finally:
        torch.set_num_threads(n)
    assert torch.equal(a.kernel, b.kernel) and a.params == b.params


def test_batch_matches_single_images(rng):
    _, y1 = _blurred(rng, motion_kernel2d(7.0, 0.0), n=64)
    _, y2 = _blurred(rng, motion_kernel2d(5.0, 1.0), n=64)
    both = estimate_kernel(torch.cat([y1, y2]), 9)
    one = estimate_kernel(y2, 9)
    s = one.kernel.shape[-1]
    c = both.kernel.shape[-1] // 2
    assert torch.equal(both.kernel[1, c - s // 2:c + s // 2 + 1, c - s // 2:c + s // 2 + 1], one.kernel[0])


@pytest.mark.parametrize("kwargs, arg", [
    (dict(size=4), "size"), (dict(size=1), "size"), (dict(size=65), "size"),
    (dict(family="spline"), "family"),
])
def test_bad_arguments(kwargs, arg):
    y = torch.rand(1, 1, 32, 32, dtype=torch.float64)
    with pytest.raises(ValueError, match=f"`{arg}`"):
        estimate_kernel(y, **kwargs)


def test_bad_images():
    y = torch.rand(1, 1, 32, 32, dtype=torch.float64)
    y[0, 0, 3, 3] = float("nan")
    with pytest.raises(ValueError, match="`image`"):
        estimate_kernel(y, 7)
    with pytest.raises(ValueError, match="`size`"):       # image smaller than the kernel
        estimate_kernel(torch.rand(1, 1, 8, 8), 11)
    with pytest.raises(ValueError, match="`image`"):
        estimate_kernel(torch.rand(1, 1, 5, 40))
    with pytest.raises(ValueError, match="`noise`"):
        estimate_kernel(torch.rand(1, 1, 16, 16), 7, noise=-1.0)
    with pytest.raises(TypeError, match="`size`"):
        estimate_kernel(torch.rand(1, 1, 16, 16), 7.0)
    assert set(FAMILIES) == {"any", "free", "gaussian", "motion", "box"}
