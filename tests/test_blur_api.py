"""API contract of the blur family: validation, dtypes, no in-place writes, autograd,
caching, and hypothesis properties."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

import pixelgrad as pg
from pixelgrad.kernels.gaussian import gaussian_kernel1d


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("call, match", [
    (lambda: pg.gaussian_blur([[1.0]], 1.0), r"gaussian_blur: argument `x` must be a torch.Tensor"),
    (lambda: pg.gaussian_blur(torch.rand(5), 1.0), r"`x` must be a tensor with at least 2 dims"),
    (lambda: pg.gaussian_blur(torch.rand(1, 3, 8, 8).int(), 1.0), r"`x` must be of dtype uint8"),
    (lambda: pg.gaussian_blur(np.zeros((2, 2, 2, 2)), 1.0), r"`x` must be a numpy image of shape"),
    (lambda: pg.gaussian_blur(torch.full((1, 1, 4, 4), math.nan), 1.0), r"`x` must be finite"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), math.nan), r"`sigma` must be finite"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), math.inf), r"`sigma` must be finite"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), 0.0), r"`sigma` must be > 0"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), -1), r"`sigma` must be > 0"),
    (lambda: pg.gaussian_blur(torch.rand(3, 1, 4, 4), torch.ones(2)), r"`sigma` must be .*batch of 3"),
    (lambda: pg.gaussian_blur(torch.rand(3, 1, 4, 4), torch.ones(3, 3)), r"`sigma` must be .*batch of 3"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), 1.0, border="mirror"), r"`border` must be one of"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), 1.0, method="magic"), r"`method` must be one of"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), 1.0, truncate=0), r"`truncate` must be a finite number > 0"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), (1.0, 2.0), angle=0.3, method="matrix"),
     r"`method` must be 'auto', 'direct', '2d' or 'fft'"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), 1.0, border="circular", backend="opencv"), r"`backend`"),
    (lambda: pg.gaussian_blur(torch.rand(1, 1, 4, 4), "1"), r"`sigma` must be a number"),
    (lambda: pg.box_blur(torch.rand(1, 1, 4, 4), 4), r"box_blur: argument `size` must be odd"),
    (lambda: pg.box_blur(torch.rand(1, 1, 4, 4), 0), r"`size` must be >= 1"),
    (lambda: pg.motion_blur(torch.rand(1, 1, 4, 4), 0.5, 0.0), r"motion_blur: argument `length` must be >= 1"),
    (lambda: pg.motion_blur(torch.rand(1, 1, 4, 4), 3, 0.0, direction=2), r"`direction` must be <= 1"),
    (lambda: pg.motion_blur(torch.rand(2, 1, 4, 4), torch.tensor([3.0, 4.0, 5.0]), 0.0), r"`length` must be"),
    (lambda: pg.shear(torch.rand(1, 1, 4, 4), 1.0, 1.0), r"shear: argument `sx, sy` must be a shear"),
])
def test_bad_input_gives_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --------------------------------------------------------------------------- contract
DTYPES = [torch.uint8, torch.float16, torch.bfloat16, torch.float32, torch.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["gauss", "gauss_rot", "box", "motion", "shear"])
def test_dtype_shape_preserved_and_input_untouched(dtype, op, rng):
    base = torch.from_numpy(rng.random((2, 3, 12, 15)))
    x = (base * 255).round().to(dtype) if dtype == torch.uint8 else base.to(dtype)
    x_nc = x.transpose(-1, -2)                               # non-contiguous input too
    for inp in (x, x_nc, x.contiguous(memory_format=torch.channels_last)):
        before = inp.clone()
        y = {"gauss": lambda t: pg.gaussian_blur(t, 1.5),
             "gauss_rot": lambda t: pg.gaussian_blur(t, (0.8, 2.0), angle=0.5),
             "box": lambda t: pg.box_blur(t, 3),
             "motion": lambda t: pg.motion_blur(t, 5, 0.3),
             "shear": lambda t: pg.shear(t, 0.2)}[op](inp)
        assert y.dtype == dtype and y.shape == inp.shape
        assert torch.equal(inp, before)
        ref = {"gauss": lambda t: pg.gaussian_blur(t, 1.5),
               "gauss_rot": lambda t: pg.gaussian_blur(t, (0.8, 2.0), angle=0.5),
               "box": lambda t: pg.box_blur(t, 3),
               "motion": lambda t: pg.motion_blur(t, 5, 0.3),
               "shear": lambda t: pg.shear(t, 0.2)}[op](inp.double())
        tol = {torch.uint8: 0.5 + 1e-3, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}.get(dtype, 1e-5)
        assert (y.double() - ref).abs().max() <= tol


def test_numpy_in_numpy_out_and_not_modified(rng):
    for img in ((rng.random((16, 20, 3)) * 255).astype(np.uint8), rng.random((16, 20)).astype(np.float32),
                rng.random((16, 20, 1)), rng.random((9, 11, 6)).astype(np.float32)):
        before = img.copy()
        for fn in (lambda a: pg.gaussian_blur(a, 1.2), lambda a: pg.box_blur(a, 3),
                   lambda a: pg.motion_blur(a, 4, 1.0), lambda a: pg.shear(a, 0.1),
                   lambda a: pg.gaussian_blur(a, 1.2, border="circular")):
            out = fn(img)
            assert isinstance(out, np.ndarray) and out.shape == img.shape and out.dtype == img.dtype
            np.testing.assert_array_equal(img, before)
        # numpy and tensor paths agree
        t = torch.from_numpy(img).permute(2, 0, 1) if img.ndim == 3 else torch.from_numpy(img)
        tt = pg.gaussian_blur(t, 1.2)
        tt = tt.permute(1, 2, 0) if img.ndim == 3 else tt
        assert np.abs(pg.gaussian_blur(img, 1.2).astype(float) - tt.numpy().astype(float)).max() <= 1


def test_float16_numpy(rng):
    img = rng.random((10, 12, 3)).astype(np.float16)
    out = pg.gaussian_blur(img, 1.0)
    assert out.dtype == np.float16 and out.shape == img.shape


@pytest.mark.parametrize("method", ["direct", "fft", "matrix", "2d"])
def test_gradcheck_gaussian(method):
    x = torch.rand(2, 1, 6, 7, dtype=torch.float64, requires_grad=True)
    sig = torch.tensor([0.8, 1.7])
    assert torch.autograd.gradcheck(lambda t: pg.gaussian_blur(t, sig, method=method, border="symmetric"), (x,))


def test_gradcheck_rotated_motion_box_shear():
    x = torch.rand(1, 2, 7, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: pg.gaussian_blur(t, (0.7, 2.0), angle=0.4), (x,))
    assert torch.autograd.gradcheck(lambda t: pg.motion_blur(t, 4.5, 0.7, border="replicate"), (x,))
    assert torch.autograd.gradcheck(lambda t: pg.box_blur(t, 3, border="circular"), (x,))
    assert torch.autograd.gradcheck(lambda t: pg.shear(t, 0.3, 0.1, border="reflect"), (x,))


def test_autograd_path_matches_opencv_path(rng):
    x = torch.from_numpy(rng.random((1, 3, 20, 20), dtype=np.float32))
    y_cv = pg.gaussian_blur(x, 2.0)
    y_ag = pg.gaussian_blur(x.clone().requires_grad_(True), 2.0)
    assert y_ag.requires_grad
    torch.testing.assert_close(y_ag.detach(), y_cv, atol=1e-6, rtol=0)


# --------------------------------------------------------------------------- kernels
def test_gaussian_kernel_exact_and_cached():
    k = gaussian_kernel1d(1.5, 4.0)
    t = np.arange(-6, 7)
    ref = np.exp(-t ** 2 / (2 * 1.5 ** 2))
    np.testing.assert_allclose(k.numpy(), ref / ref.sum(), rtol=1e-14)
    assert gaussian_kernel1d(1.5, 4.0) is k                 # cached
    assert gaussian_kernel1d(1.5, 4.0, dtype=torch.float32) is not k


def test_seed_thread_kernel_has_sqrt2_sigma_bug():
    """The seed thread's exp(-((t - mean) / (2 std))^2) equals our kernel at sqrt(2) * std."""
    size, std = 3, 1.0
    mg = torch.arange(2 * size + 1, dtype=torch.float64)
    mean = size
    seed_k = torch.exp(-((mg - mean) / (2 * std)) ** 2)
    seed_k = seed_k / seed_k.sum()
    ours = gaussian_kernel1d(math.sqrt(2) * std, radius=size)
    torch.testing.assert_close(seed_k, ours)
    assert not torch.allclose(seed_k, gaussian_kernel1d(std, radius=size))


def test_banded_matrix_equals_direct(rng):
    from pixelgrad.kernels.banded import banded_matrix
    from pixelgrad.borders import map_index
    k = torch.from_numpy(rng.random(7))
    for border in pg.BORDERS:
        for n in (1, 2, 5, 12):
            m = banded_matrix(k, n, border)
            x = torch.from_numpy(rng.random(n))
            idx = map_index(torch.arange(n)[:, None] + torch.arange(7)[None, :] - 3, n, border)
            xp = torch.where(idx >= 0, x[idx.clamp(min=0)], torch.zeros(()))
            torch.testing.assert_close(m @ x, (xp * k).sum(1))


# --------------------------------------------------------------------------- properties
images = arrays(np.float64, st.tuples(st.integers(1, 9), st.integers(1, 9)),
                elements=st.floats(0, 1, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(img=images, sigma=st.floats(0.2, 6.0), border=st.sampled_from(pg.BORDERS),
       method=st.sampled_from(["auto", "direct", "fft", "matrix"]))
def test_property_shape_dtype_and_constant(img, sigma, border, method):
    x = torch.from_numpy(img)[None]
    y = pg.gaussian_blur(x, sigma, border=border, method=method)
    assert y.shape == x.shape and y.dtype == x.dtype
    c = torch.full_like(x, 0.37)
    yc = pg.gaussian_blur(c, sigma, border=border, method=method)
    if border != "constant":
        torch.testing.assert_close(yc, c, atol=1e-12, rtol=0)
    else:
        assert bool((yc <= 0.37 + 1e-12).all())


def _tv(a: np.ndarray, border: str) -> float:
    tv = np.abs(np.diff(a, axis=-1)).sum() + np.abs(np.diff(a, axis=-2)).sum()
    if border == "circular":                                 # the wrap-around differences count too
        tv += np.abs(a[..., :, 0] - a[..., :, -1]).sum() + np.abs(a[..., 0, :] - a[..., -1, :]).sum()
    return float(tv)


@settings(max_examples=60, deadline=None)
@given(img=images, sigma=st.floats(0.2, 6.0), border=st.sampled_from(["reflect", "symmetric", "replicate", "circular"]),
       op=st.sampled_from(["gauss", "box", "motion", "aniso"]))
def test_property_blur_never_increases_total_variation(img, sigma, border, op):
    x = torch.from_numpy(img)[None]
    y = {"gauss": lambda: pg.gaussian_blur(x, sigma, border=border),
         "aniso": lambda: pg.gaussian_blur(x, (sigma, 0.5 + sigma / 3), border=border),
         "box": lambda: pg.box_blur(x, 2 * int(sigma) + 1, border=border),
         "motion": lambda: pg.motion_blur(x, 1 + sigma, 0.0, border=border)}[op]()
    assert _tv(y.numpy(), border) <= _tv(img, border) + 1e-9


def test_numpy_views_negative_strides_and_read_only(rng):
    import warnings

    img = (rng.random((20, 30, 3)) * 255).astype(np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flipped = img[:, ::-1]
        np.testing.assert_array_equal(pg.gaussian_blur(flipped, 1.0),
                                      pg.gaussian_blur(np.ascontiguousarray(flipped), 1.0))
        ro = img.copy()
        ro.setflags(write=False)
        np.testing.assert_array_equal(pg.box_blur(ro, 3), pg.box_blur(img, 3))
        strided = img[::2, ::3]
        np.testing.assert_array_equal(pg.gaussian_blur(strided, 1.0),
                                      pg.gaussian_blur(np.ascontiguousarray(strided), 1.0))


def test_numpy_strip_path_is_bitwise_the_single_call(rng):
    import cv2

    from pixelgrad.kernels.gaussian import gaussian_kernel1d

    img = (rng.random((301, 257, 3)) * 255).astype(np.uint8)       # large enough for strips
    for sigma, border, bt in [(3.0, "reflect", cv2.BORDER_REFLECT_101), (5.5, "replicate", cv2.BORDER_REPLICATE),
                              (2.0, "constant", cv2.BORDER_CONSTANT)]:
        k = gaussian_kernel1d(sigma).numpy()
        ref = cv2.sepFilter2D(img, -1, k, k, borderType=bt)
        np.testing.assert_array_equal(pg.gaussian_blur(img, sigma, border=border), ref)
    prev = cv2.getNumThreads()
    cv2.setNumThreads(1)                                           # the inline (no pool) path
    try:
        np.testing.assert_array_equal(pg.gaussian_blur(img, 3.0), cv2.sepFilter2D(
            img, -1, gaussian_kernel1d(3.0).numpy(), gaussian_kernel1d(3.0).numpy(), borderType=cv2.BORDER_REFLECT_101))
    finally:
        cv2.setNumThreads(prev)
