"""Containers in and out (pixelgrad._interop): numpy layouts and byte orders, PIL, uint16,
tensor subclasses, empty batches, no aliasing of the caller's data."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad import augment as A


# ------------------------------------------------------------------ numpy inputs
def test_big_endian_numpy_image_is_accepted(rng):
    """Bug: torch.from_numpy refused it with a message naming no function."""
    img = rng.random((9, 8, 3)).astype(">f4")
    for fn in (lambda a: pg.gaussian_blur(a, 1.2), lambda a: pg.gaussian_blur(a, 1.2, border="circular"),
               lambda a: pg.box_blur(a, 3), lambda a: pg.motion_blur(a, 3, 0.4), lambda a: pg.shear(a, 0.2)):
        out = fn(img)
        assert out.dtype == img.dtype and out.shape == img.shape
        np.testing.assert_array_equal(out.astype(np.float32), fn(img.astype(np.float32)))


def test_sparse_tensor_rejected_clearly():
    with pytest.raises(ValueError, match=r"gaussian_blur: argument `x` must be a dense"):
        pg.gaussian_blur(torch.eye(4).to_sparse(), 1.0)


def test_nan_in_numpy_image_error_describes_the_array():
    img = np.ones((3, 4))
    img[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"`x` must be finite .*got ndarray of shape \(3, 4\)"):
        pg.gaussian_blur(img, 1.0)


def test_output_never_aliases_input_and_input_untouched(rng):
    x = torch.from_numpy(rng.random((2, 3, 7, 6)))
    calls = [lambda t: pg.box_blur(t, 1), lambda t: pg.gaussian_blur(t, 1e-3),
             lambda t: pg.gaussian_blur(t, 1e-3, method="matrix"), lambda t: pg.shear(t, 0.0),
             lambda t: pg.motion_blur(t, 1.0, 0.0), lambda t: pg.box_blur(t, 1, border="circular")]
    for call in calls:
        before = x.clone()
        y = call(x)
        torch.testing.assert_close(y, x, atol=1e-12, rtol=0)   # identity-like ops
        y.add_(1.0)                                             # writing the output ...
        assert torch.equal(x, before)                           # ... leaves the input alone


# ----------------------------------------------------------------------------- empty batches
_OPS = {
    "gaussian_blur": lambda x: pg.gaussian_blur(x, 1.0),
    "gaussian_blur_angle": lambda x: pg.gaussian_blur(x, (1.0, 2.0), angle=0.3),
    "box_blur": lambda x: pg.box_blur(x, 3),
    "motion_blur": lambda x: pg.motion_blur(x, 5.0, 0.4),
    "shear": lambda x: pg.shear(x, 0.2),
    "linear_gradient": lambda x: pg.linear_gradient(x, 0.2, 0.3),
    "corner_gradient": lambda x: pg.corner_gradient(x, 1),
    "radial_gradient": lambda x: pg.radial_gradient(x),
    "gaussian_spot": lambda x: pg.gaussian_spot(x),
    "RandomGaussianBlur": lambda x: A.RandomGaussianBlur()(x),
    "RandomMotionBlur": lambda x: A.RandomMotionBlur()(x),
    "Compose": lambda x: A.Compose([A.RandomGradient(), A.RandomShear(), A.RandomBoxBlur()])(x),
}


@pytest.mark.parametrize("op", sorted(_OPS))
@pytest.mark.parametrize("shape", [(0, 3, 17, 11), (2, 3, 0, 11), (2, 3, 5, 0), (2, 0, 5, 5), (0, 0, 0)])
def test_empty_batches_and_zero_size_images_return_empty_results(op, shape):
    for dtype in (torch.float32, torch.uint8):
        x = torch.empty(shape, dtype=dtype)
        y = _OPS[op](x)
        assert isinstance(y, torch.Tensor) and y.shape == x.shape and y.dtype == dtype
    arr = np.zeros((0, 4, 3), np.uint8)
    out = _OPS[op](arr)
    assert isinstance(out, np.ndarray) and out.shape == arr.shape and out.dtype == arr.dtype


def test_empty_batch_still_validates_parameters():
    with pytest.raises(ValueError, match="`sigma` must be > 0"):
        pg.gaussian_blur(torch.empty(0, 3, 4, 4), -1.0)
    with pytest.raises(ValueError, match="`kernel_size`"):
        pg.gaussian_blur(torch.empty(0, 3, 4, 4), 1.0, kernel_size=4)


# ----------------------------------------------------------------------------- tensor subclasses
class _Tagged(torch.Tensor):
    pass


@pytest.mark.parametrize("op", ["gaussian_blur", "box_blur", "motion_blur", "shear", "linear_gradient",
                                "radial_gradient"])
def test_functional_api_keeps_tensor_subclass(op):
    x = torch.rand(2, 3, 9, 8).as_subclass(_Tagged)
    y = _OPS[op](x)
    assert type(y) is _Tagged
    assert torch.equal(y.as_subclass(torch.Tensor), _OPS[op](x.as_subclass(torch.Tensor)))


# ----------------------------------------------------------------------------- PIL / uint16
@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16", "F"])
def test_pil_in_pil_out(rng, mode):
    from PIL import Image

    if mode == "I;16":
        arr = rng.integers(0, 65536, (9, 11)).astype(np.uint16)
        img = Image.new("I;16", (11, 9))
        img.frombytes(arr.astype("<u2").tobytes())
    elif mode == "F":
        arr = rng.random((9, 11)).astype(np.float32)
        img = Image.fromarray(arr)
    else:
        arr = rng.integers(0, 256, (9, 11, {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode])).astype(np.uint8)
        img = Image.fromarray(arr[..., 0] if mode == "L" else arr)
    assert img.mode == mode
    for f in (lambda z: pg.gaussian_blur(z, 1.3), lambda z: pg.linear_gradient(z, 0.3, -0.2, 0.5),
              lambda z: A.RandomMotionBlur()(z, seed=0)):
        out = f(img)
        assert isinstance(out, Image.Image) and out.mode == mode and out.size == img.size
        ref = f(np.asarray(img).copy())
        np.testing.assert_array_equal(np.asarray(out), ref)


def test_pil_unsupported_mode_names_convert():
    from PIL import Image

    with pytest.raises(ValueError, match=r"gaussian_blur: argument `x` must be a PIL image in mode.*convert"):
        pg.gaussian_blur(Image.new("P", (4, 4)), 1.0)


def test_uint16_tensors_match_float64_oracle(rng):
    x16 = torch.from_numpy(rng.integers(0, 65536, (2, 3, 13, 12)).astype(np.uint16))
    xf = x16.to(torch.float64)
    cases = [lambda z: pg.gaussian_blur(z, (1.2, 2.0)), lambda z: pg.box_blur(z, 5),
             lambda z: pg.motion_blur(z, 4.5, 0.7), lambda z: pg.shear(z, 0.2, border="reflect"),
             lambda z: pg.gaussian_blur(z, 1.1, backend="torch")]
    for f in cases:
        y = f(x16)
        assert y.dtype == torch.uint16
        ref = f(xf).round().clamp(0, 65535)
        assert float((y.to(torch.float64) - ref).abs().max()) <= 1.0
    y = pg.linear_gradient(x16, 0.3, -0.2, 0.25, mode="add")
    ref = (pg.linear_gradient(xf / 65535, 0.3, -0.2, 0.25, mode="add") * 65535).round()
    assert y.dtype == torch.uint16 and float((y.to(torch.float64) - ref).abs().max()) <= 1.0
    arr = x16[0].permute(1, 2, 0).numpy()
    out = pg.gaussian_blur(arr, 1.5)
    assert out.dtype == np.uint16 and out.shape == arr.shape
