"""Triton blur kernels (interpreter on CPU) against the float64 torch reference.

Checks: float32 relative error <= 1e-5, uint8 within 1 (and equal to the rounded reference
almost everywhere), every border mode, per-sample and anisotropic parameters, odd shapes
(1x1, 1xN, Nx1, primes), non-contiguous and channels-last inputs, poisoned outputs.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad.backends.registry import Uncovered
from pixelgrad.kernels.stack import stack_kernels
from pixelgrad.borders import BORDERS
from pixelgrad.backends.triton._separable import ERROR_BOUND, PRECISION, toeplitz  # noqa: E402

pytestmark = pytest.mark.usefixtures("tr")


def _image(rng, shape, dtype=torch.float32):
    x = torch.from_numpy(rng.random(shape))
    if dtype == torch.uint8:
        return (x * 255).round().to(torch.uint8)
    return x.to(dtype)


def _check(y: torch.Tensor, ref: torch.Tensor, x: torch.Tensor):
    """Compare a Triton result with the float64 reference computed on ``x.double()``."""
    assert y.dtype == x.dtype and y.shape == x.shape
    yd = y.double()
    assert torch.isfinite(yd).all(), "unwritten (poisoned) elements in the output"
    err = (yd - ref).abs()
    if x.dtype == torch.uint8:
        assert float(err.max()) <= 1.0
        exact = (yd == ref.round().clamp(0, 255)).double().mean()
        assert float(exact) >= 0.99
    elif x.dtype == torch.float32:
        assert float(err.max()) <= 1e-5 * max(1.0, float(ref.abs().max()))
    else:  # float16 / bfloat16: the reference rounded to the dtype, within one ulp
        eps = torch.finfo(x.dtype).eps
        assert float(err.max()) <= 1.01 * eps * max(1.0, float(ref.abs().max()))


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_gaussian_per_sample_anisotropic_every_border(rng, border, dtype):
    x = _image(rng, (3, 2, 13, 17), dtype)
    sigma = torch.from_numpy(rng.uniform(0.3, 2.5, (3, 2)))
    y = pg.gaussian_blur(x, sigma, border=border, backend="triton")
    ref = pg.gaussian_blur(x.double(), sigma, border=border, backend="torch")
    _check(y, ref, x)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_gaussian_half_dtypes(rng, dtype):
    x = _image(rng, (2, 3, 11, 20), dtype)
    y = pg.gaussian_blur(x, 1.5, border="symmetric", backend="triton")
    ref = pg.gaussian_blur(x.double(), 1.5, border="symmetric", backend="torch")
    _check(y, ref, x)


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (1, 2, 1, 29), (2, 1, 23, 1), (1, 1, 31, 37),
                                   (1, 3, 2, 3)])
@pytest.mark.parametrize("border", ["reflect", "constant", "circular"])
def test_gaussian_odd_shapes(rng, shape, border):
    x = _image(rng, shape)
    y = pg.gaussian_blur(x, (1.2, 2.0), border=border, backend="triton")
    ref = pg.gaussian_blur(x.double(), (1.2, 2.0), border=border, backend="torch")
    _check(y, ref, x)


def test_non_contiguous_and_channels_last(rng):
    base = _image(rng, (2, 2, 22, 30))
    for x in (base[:, :, ::2, 1::2], base.transpose(-1, -2), base[:, 1:],
              base.contiguous(memory_format=torch.channels_last)):
        before = x.clone()
        y = pg.gaussian_blur(x, 1.0, border="replicate", backend="triton")
        ref = pg.gaussian_blur(x.double(), 1.0, border="replicate", backend="torch")
        _check(y, ref, x)
        assert torch.equal(x, before), "input modified"
    cl = base.contiguous(memory_format=torch.channels_last)
    out = pg.gaussian_blur(cl, 1.0, backend="triton")
    assert out.is_contiguous(memory_format=torch.channels_last)


def test_leading_dims_and_numpy(rng):
    x = _image(rng, (2, 2, 3, 9, 10))
    y = pg.gaussian_blur(x, 0.8, backend="triton")
    assert y.shape == x.shape
    _check(y.reshape(4, 3, 9, 10), pg.gaussian_blur(x.double(), 0.8, backend="torch").reshape(4, 3, 9, 10),
           x.reshape(4, 3, 9, 10))
    img = (rng.random((9, 12, 3)) * 255).round().astype(np.uint8)
    out = pg.gaussian_blur(img, 1.0, backend="triton")
    ref = pg.gaussian_blur(img.astype(np.float64), 1.0, backend="torch")
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.abs(out - ref).max() <= 1.0


@pytest.mark.parametrize("border", BORDERS)
def test_large_sigma_banded_path(rng, tr, border):
    """Long kernels (radius > the tile kernel's reach, also wider than the image) go through
    the banded-matrix GEMMs; per-sample sigma and uint8 included."""
    from pixelgrad.backends.triton import _separable

    x = _image(rng, (2, 2, 12, 19))
    sigma = torch.tensor([[9.0, 12.0], [3.0, 30.0]], dtype=torch.float64)
    y = pg.gaussian_blur(x, sigma, border=border, backend="triton")
    _check(y, pg.gaussian_blur(x.double(), sigma, border=border, backend="torch"), x)
    assert _separable.tile_config(120, 120) is None     # really not the tile kernel
    xu = _image(rng, (1, 3, 9, 40), torch.uint8)
    yu = pg.gaussian_blur(xu, 2.0, border=border, method="matrix", backend="triton")
    _check(yu, pg.gaussian_blur(xu.double(), 2.0, border=border, backend="torch"), xu)


def test_tile_configs_and_costs():
    from pixelgrad.backends.triton._separable import (MAX_TILE_RADIUS, TILE_CONFIGS, banded_cost,
                                                      tile_config, tile_cost)

    assert tile_config(1, 1) == TILE_CONFIGS[0]
    assert tile_config(0, MAX_TILE_RADIUS) == TILE_CONFIGS[-1]
    assert tile_config(MAX_TILE_RADIUS + 1, 0) is None
    assert math.isinf(tile_cost(MAX_TILE_RADIUS + 1, 1, 300, 300))
    # short kernels: the tile algorithm is cheaper; sigma ~ 8 on 224 still tiles
    assert tile_cost(2, 2, 224, 224) < tile_cost(32, 32, 224, 224) < banded_cost(224, 224)


@pytest.mark.parametrize("r", [0, 7, 8, 9, 33, 64])
def test_tile_kernel_every_config_and_window(rng, tr, r):
    """Radii at the configuration boundaries and the largest the tile kernel takes (K loop
    with several chunks in each direction), on an image spanning several tiles."""
    from pixelgrad.backends.triton import _separable

    x = _image(rng, (1, 1, 70, 67))
    k = torch.from_numpy(rng.random((1, 2 * r + 1)))
    k = k / k.sum()
    y = _separable.sep_tile(x, k, k.flip(1), "reflect")
    ky, kx = k[0], k[0].flip(0)
    from pixelgrad.backends import torch_backend
    want = torch_backend.separable(x.double(), ky, kx, "reflect", "direct")
    _check(y, want, x)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.uint8])
def test_large_tile_every_border_and_dtype(rng, border, dtype):
    """The largest tile configuration (radius 9..64: 64x64 tiles, several K chunks per axis,
    per-sample kernels) against the float64 reference for every border and dtype."""
    x = _image(rng, (2, 1, 70, 40), dtype)                                # two tile rows
    sigma = torch.tensor([[2.4, 3.1], [1.2, 2.8]], dtype=torch.float64)   # radii up to 13
    y = pg.gaussian_blur(x, sigma, border=border, method="direct", backend="triton")
    _check(y, pg.gaussian_blur(x.double(), sigma, border=border, backend="torch"), x)


@pytest.mark.parametrize("border", ["reflect", "symmetric", "constant"])
def test_box_per_sample_sizes(rng, border):
    x = _image(rng, (3, 2, 15, 14))
    size = torch.tensor([[1, 3], [5, 1], [7, 9]], dtype=torch.float64)
    y = pg.box_blur(x, size, border=border, backend="triton")
    _check(y, pg.box_blur(x.double(), size, border=border, backend="torch"), x)
    xu = _image(rng, (2, 1, 7, 11), torch.uint8)
    yu = pg.box_blur(xu, 5, border=border, backend="triton")
    _check(yu, pg.box_blur(xu.double(), 5, border=border, backend="torch"), xu)


@pytest.mark.parametrize("border", BORDERS)
def test_motion_per_sample(rng, border):
    x = _image(rng, (3, 2, 14, 17))
    length = torch.tensor([3.0, 6.5, 11.0])
    angle = torch.tensor([0.0, 0.7, -2.0])
    direction = torch.tensor([0.0, 0.5, -1.0])
    y = pg.motion_blur(x, length, angle, direction=direction, border=border, backend="triton")
    ref = pg.motion_blur(x.double(), length, angle, direction=direction, border=border, backend="torch")
    _check(y, ref, x)


def test_motion_uint8_and_odd_shapes(rng):
    for shape in [(1, 1, 1, 1), (2, 3, 1, 13), (1, 2, 11, 1)]:
        x = _image(rng, shape, torch.uint8)
        y = pg.motion_blur(x, 5.0, 0.4, border="reflect", backend="triton")
        _check(y, pg.motion_blur(x.double(), 5.0, 0.4, backend="torch"), x)


def test_rotated_gaussian(rng):
    x = _image(rng, (2, 2, 12, 13))
    sigma = torch.tensor([[0.5, 1.2], [0.9, 0.4]], dtype=torch.float64)
    angle = torch.tensor([0.5, -1.1])
    y = pg.gaussian_blur(x, sigma, angle=angle, border="symmetric", backend="triton")
    _check(y, pg.gaussian_blur(x.double(), sigma, angle=angle, border="symmetric", backend="torch"), x)


def test_outputs_are_poisoned_and_fully_written(rng, tr):
    """The poisoning really happens, and the kernels overwrite every element of a buffer
    handed to them (also one that is larger than a single tile)."""
    from pixelgrad.backends.triton import _common, _separable, _taps

    x = _image(rng, (1, 2, 37, 41))
    assert torch.isnan(_common.new_output(x)).all()
    assert (_common.new_output(x, torch.uint8) == 0xAB).all()
    k = torch.ones(1, 5, dtype=torch.float64) / 5
    for run in (lambda o: _separable.sep_tile(x, k, k, "reflect", out=o),
                lambda o: _separable.sep_banded(x, k, k, "reflect", out=o),
                lambda o: _taps.taps2d(x, (k.T @ k), "reflect", out=o)):
        out = torch.full_like(x, float("nan"))
        run(out)
        assert torch.isfinite(out).all()
        _check(out, pg.box_blur(x.double(), 5, backend="torch"), x)


def test_uncovered_cases(rng, tr):
    x = _image(rng, (1, 1, 8, 8), torch.float64)
    k = stack_kernels([pg.kernels.gaussian_kernel1d(1.0)])
    with pytest.raises(Uncovered, match="float64"):
        tr.separable_filter(x, k, k, "reflect", "auto")
    with pytest.raises(ValueError, match="gaussian_blur.*backend.*float64"):
        pg.gaussian_blur(x, 1.0, backend="triton")
    x32 = x.float()
    with pytest.raises(ValueError, match="gaussian_blur.*fft"):
        pg.gaussian_blur(x32, 1.0, method="fft", backend="triton")
    g = x32.clone().requires_grad_(True)
    with pytest.raises(ValueError, match="grad"):
        pg.gaussian_blur(g, 1.0, backend="triton")
    # auto on a CPU tensor never uses Triton (the dispatch hook only selects it for CUDA)
    y = pg.gaussian_blur(g, 1.0)
    assert y.requires_grad


#: the error each dtype promises, relative to max |x| (after the final rounding)
PROMISE = {torch.uint8: 1.0 / 255.0, torch.float16: 2.0 ** -10, torch.bfloat16: 2.0 ** -7,
           torch.float32: 1e-5}


def tf32_truncate(t: torch.Tensor) -> torch.Tensor:
    """float32 values with the low 13 mantissa bits cleared (tf32 by truncation)."""
    bits = t.to(torch.float32).contiguous().view(torch.int32)
    return (bits & ~0x1FFF).view(torch.float32)


def emulated_dot(a: torch.Tensor, b: torch.Tensor, prec: str) -> torch.Tensor:
    a, b = a.to(torch.float32), b.to(torch.float32)
    if prec == "tf32":
        return tf32_truncate(a) @ tf32_truncate(b)
    if prec == "tf32x3":
        ah, bh = tf32_truncate(a), tf32_truncate(b)
        al, bl = tf32_truncate(a - ah), tf32_truncate(b - bh)
        return ah @ bl + al @ bh + ah @ bh
    assert prec == "ieee"
    return a @ b


def _worst_bits(t: torch.Tensor) -> torch.Tensor:
    """float32 values whose 13 low mantissa bits are all set (the largest truncation error)."""
    return (t.to(torch.float32).contiguous().view(torch.int32) | 0x1FFF).view(torch.float32)


def _inputs(rng, dtype, n):
    x = torch.from_numpy(rng.random((n, n)))
    if dtype == torch.uint8:
        return torch.where(x > 0.5, 255.0, (x * 255).round()).to(torch.float64)
    if dtype == torch.float32:
        return _worst_bits(x * 0.5 + 0.5).double()
    return (x * 0.5 + 0.5).to(dtype).double()          # exactly representable values


@pytest.mark.parametrize("dtype", list(PRECISION))
@pytest.mark.parametrize("r", [1, 4, 24, 48])
def test_precision_choice_within_bound_and_promise(rng, dtype, r):
    n_out = 32
    n = n_out + 2 * r
    x = _inputs(rng, dtype, n)
    kernels = [torch.exp(-torch.arange(-r, r + 1, dtype=torch.float64) ** 2 / (2 * (r / 3 + 0.3) ** 2))]
    kernels.append(_worst_bits(torch.from_numpy(rng.random(2 * r + 1))).double())
    for k in kernels:
        k = k / k.sum()
        k = k.to(torch.float32).double()          # the kernels store float32 weights
        tx = toeplitz(k[None], n, n_out)[0]       # (n, n_out): Tx[j, w] = k[j - w]
        ty = tx.T.contiguous()                    # (n_out, n)
        exact = ty.double() @ x @ tx.double()
        prec_row, prec_col = PRECISION[dtype]
        y = emulated_dot(ty, emulated_dot(x, tx, prec_row), prec_col).double()
        scale = float(x.abs().max()) * float(k.abs().sum()) ** 2
        err = float((y - exact).abs().max())
        assert err <= ERROR_BOUND[dtype] * scale, (dtype, r, err / scale)
        # the documented bound plus the output rounding keeps the dtype's promise
        if dtype == torch.uint8:
            assert ERROR_BOUND[dtype] * 255.0 + 0.5 < 1.0
            assert float((y.round().clamp(0, 255) - exact).abs().max()) <= 1.0
        else:
            half_ulp = torch.finfo(dtype).eps / 2 if dtype != torch.float32 else 2.0 ** -24
            assert ERROR_BOUND[dtype] + half_ulp <= PROMISE[dtype]
            rounded = y.to(dtype).double()
            assert float((rounded - exact).abs().max()) <= PROMISE[dtype] * max(1.0, scale)


def test_plain_tf32_would_break_float16():
    """The float16 choice is not gratuitous: plain tf32 on both products can exceed one ulp
    of float16 on unlucky weights (the emulation is able to fail)."""
    n_out, r = 32, 6
    n = n_out + 2 * r
    x = torch.full((n, n), 1.0 - 2.0 ** -11, dtype=torch.float64).to(torch.float16).double()
    k = _worst_bits(torch.full((2 * r + 1,), 1.0 / (2 * r + 1))).double()
    tx = toeplitz(k[None], n, n_out)[0]
    exact = tx.T.double() @ x @ tx.double()
    y = emulated_dot(tx.T.contiguous(), emulated_dot(x, tx, "tf32"), "tf32").double()
    err = float((y - exact).abs().max()) / float(k.sum()) ** 2
    assert err > ERROR_BOUND[torch.float16]
    assert err + 2.0 ** -11 > 2.0 ** -10 * 0.9
