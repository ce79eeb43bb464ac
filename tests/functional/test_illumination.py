"""Illumination fields vs independent float64 numpy oracles (the seed's code included)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck

import pixelgrad as pg
from pixelgrad.backends import field_torch
from pixelgrad.functional import illumination as I
from tests.functional._grad import _p, _x


def seed_make_random_gradient(image_shape, rng):
    """The seed's make_random_gradient, with np.random replaced by a seeded Generator."""
    x, y = np.meshgrid(np.linspace(0, 1, image_shape[1]), np.linspace(0, 1, image_shape[0]))
    return x * rng.uniform(-1, 1) + y * rng.uniform(-1, 1)


def uv(H, W):
    return np.meshgrid(np.linspace(0, 1, W), np.linspace(0, 1, H))


def oracle(x, g, alpha, mode, clamp=True, white=1.0):
    """x: float64 (..., C, H, W) on the white scale; g: (H, W) or (C, H, W) field."""
    if mode == "blend":
        y = (1 - alpha) * x + alpha * white * g
    elif mode == "add":
        y = x + alpha * white * g
    else:
        y = x * (1 + alpha * g)
    return np.clip(y, 0, white) if clamp else y


# ------------------------------------------------------------------------- the seed
def test_equals_seed_code_float64_hwc():
    rng = np.random.default_rng(3)
    img = rng.random((64, 80, 3))
    state = np.random.default_rng(11)
    grad = seed_make_random_gradient((64, 80, 3), state)
    alpha = state.uniform(0.05, 0.15)
    ref = img.copy()
    for i in range(3):                         # the seed's per-channel convex blend
        ref[:, :, i] = (1 - alpha) * ref[:, :, i] + alpha * grad
    again = np.random.default_rng(11)
    a, b = again.uniform(-1, 1), again.uniform(-1, 1)
    out = pg.linear_gradient(img, a, b, alpha, clamp=False)
    assert isinstance(out, np.ndarray) and out.shape == img.shape and out.dtype == img.dtype
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-14)
    np.testing.assert_allclose(pg.linear_gradient(img, a, b, alpha), np.clip(ref, 0, 1), rtol=0, atol=1e-14)


def test_equals_seed_code_float32_batch_per_sample():
    B, C, H, W = 5, 3, 17, 23
    x = torch.rand(B, C, H, W)
    a, b, al = torch.rand(B) * 2 - 1, torch.rand(B) * 2 - 1, torch.rand(B) * 0.1 + 0.05
    out = pg.linear_gradient(x, a, b, al, clamp=False)
    U, V = uv(H, W)
    for i in range(B):
        g = U * float(a[i]) + V * float(b[i])
        ref = oracle(x[i].double().numpy(), g, float(al[i]), "blend", clamp=False)
        np.testing.assert_allclose(out[i].numpy(), ref, atol=2e-6)


@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.uint8])
def test_modes_and_dtypes(mode, dtype):
    torch.manual_seed(0)
    H, W = 9, 14
    xf = torch.rand(2, 3, H, W, dtype=torch.float64)
    white = 255.0 if dtype == torch.uint8 else 1.0
    x = (xf * 255).round().to(dtype) if dtype == torch.uint8 else xf.to(dtype)
    before = x.clone()
    a, b, al, off = 0.7, -1.3, 0.4, 0.2
    y = pg.linear_gradient(x, a, b, al, offset=off, mode=mode)
    assert y.dtype == dtype and y.shape == x.shape
    assert torch.equal(x, before)                      # input untouched
    U, V = uv(H, W)
    ref = oracle(x.double().numpy(), U * a + V * b + off, al, mode, white=white)
    if dtype == torch.uint8:
        diff = np.abs(y.numpy().astype(float) - np.rint(ref))
        assert diff.max() <= 1 and (diff == 0).mean() > 0.99
    else:
        np.testing.assert_allclose(y.double().numpy(), ref, atol=1e-12 if dtype == torch.float64 else 2e-6)


@pytest.mark.parametrize("angle", [0.0, 0.3, math.pi / 2, 2.0, math.pi, -2.5, -math.pi / 4])
def test_angle_strength_range_is_exact(angle):
    H, W = 11, 16
    z = torch.zeros(1, 1, H, W, dtype=torch.float64)
    g = pg.linear_gradient(z, alpha=1.0, angle=angle, strength=0.8, offset=-0.3, mode="add", clamp=False)[0, 0]
    assert g.min().item() == pytest.approx(-0.3, abs=1e-12)
    assert g.max().item() == pytest.approx(0.5, abs=1e-12)
    # the same field in the (a, b) form: a = s cos / (|cos| + |sin|), b = s sin / (...)
    c, s = math.cos(angle), math.sin(angle)
    a, b = 0.8 * c / (abs(c) + abs(s)), 0.8 * s / (abs(c) + abs(s))
    U, V = uv(H, W)
    ref = a * U + b * V
    ref = ref - ref.min() - 0.3
    np.testing.assert_allclose(g.numpy(), ref, atol=1e-12)


def test_per_channel_colored_ramp():
    x = torch.rand(2, 3, 8, 10, dtype=torch.float64)
    a = torch.rand(2, 3, dtype=torch.float64) * 2 - 1
    al = torch.tensor([[0.1, 0.2, 0.3]], dtype=torch.float64)     # (1, C)
    y = pg.linear_gradient(x, a, 0.5, al, mode="add")
    for i in range(2):
        for c in range(3):
            yc = pg.linear_gradient(x[i:i + 1, c:c + 1], float(a[i, c]), 0.5, float(al[0, c]), mode="add")
            torch.testing.assert_close(y[i:i + 1, c:c + 1], yc, rtol=0, atol=1e-15)


@pytest.mark.parametrize("corner", [0, 1, 2, 3, "top-left", "bottom-right"])
def test_corner_gradient_oracle(corner):
    H, W = 7, 12
    x = torch.rand(1, 2, H, W, dtype=torch.float64)
    y = pg.corner_gradient(x, corner, 0.3, strength=0.9, offset=0.05, mode="blend", clamp=False)
    k = corner if isinstance(corner, int) else pg.functional.illumination.CORNERS.index(corner)
    u0, v0 = [(0, 0), (1, 0), (1, 1), (0, 1)][k]
    U, V = uv(H, W)
    g = 0.05 + 0.9 * (1 - (np.abs(U - u0) + np.abs(V - v0)) / 2)
    np.testing.assert_allclose(y.numpy(), oracle(x.numpy(), g, 0.3, "blend", clamp=False), atol=1e-13)


def test_radial_and_gaussian_oracles_per_sample():
    H, W = 13, 19
    x = torch.rand(3, 3, H, W, dtype=torch.float64)
    center = torch.tensor([[0.5, 0.5], [0.2, 0.9], [1.0, 0.0]], dtype=torch.float64)
    size = torch.tensor([[0.6, 0.6], [0.3, 0.8], [1.2, 0.4]], dtype=torch.float64)
    yr = pg.radial_gradient(x, 0.5, center=center, radius=size)               # vignette defaults
    ys = pg.gaussian_spot(x, 0.3, center=center, sigma=size, strength=-0.7, clamp=False)
    U, V = uv(H, W)
    for i in range(3):
        (cy, cx), (sy, sx) = center[i].tolist(), size[i].tolist()
        r = np.sqrt(((U - cx) / sx) ** 2 + ((V - cy) / sy) ** 2)
        g = -1.0 + np.maximum(0, 1 - r)
        np.testing.assert_allclose(yr[i].numpy(), oracle(x[i].numpy(), g, 0.5, "multiply"), atol=1e-13)
        g = -0.7 * np.exp(-(U - cx) ** 2 / (2 * sx ** 2) - (V - cy) ** 2 / (2 * sy ** 2))
        np.testing.assert_allclose(ys[i].numpy(), oracle(x[i].numpy(), g, 0.3, "add", clamp=False), atol=1e-13)


def test_containers_and_shapes():
    img = (np.random.default_rng(0).random((10, 12, 3)) * 255).astype(np.uint8)
    out = pg.linear_gradient(img, 1.0, 1.0, 0.5)
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == img.shape
    chw = torch.rand(3, 10, 12)
    assert pg.gaussian_spot(chw).shape == chw.shape
    lead = torch.rand(2, 4, 3, 10, 12)
    y = pg.radial_gradient(lead, torch.rand(8) * 0.5)
    assert y.shape == lead.shape
    gray = torch.rand(10, 12)
    assert pg.corner_gradient(gray, 2).shape == gray.shape
    one_col = torch.rand(1, 1, 5, 1, dtype=torch.float64)       # linspace(0, 1, 1) == [0]
    y1 = pg.linear_gradient(one_col, 3.0, 0.0, 0.5, mode="add", clamp=False)
    torch.testing.assert_close(y1, one_col)


def test_autograd_through_blend():
    x = torch.rand(2, 3, 5, 6, dtype=torch.float64, requires_grad=True)
    f = lambda t: pg.linear_gradient(t, 0.3, -0.2, 0.25, clamp=False)
    assert torch.autograd.gradcheck(f, (x,))
    y = pg.linear_gradient(x, 0.3, -0.2, 0.25)
    y.sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("call, arg", [
    (lambda x: pg.linear_gradient(x, 1.0, 1.0, 0.1, mode="screen"), "mode"),
    (lambda x: pg.linear_gradient(x, 1.0, 1.0, 1.5), "alpha"),
    (lambda x: pg.linear_gradient(x, 1.0, None, 0.1), "a, b"),
    (lambda x: pg.linear_gradient(x, alpha=0.1, angle=1.0), "angle, strength"),
    (lambda x: pg.linear_gradient(x, 1.0, 1.0, 0.1, angle=1.0, strength=1.0), "a, b"),
    (lambda x: pg.linear_gradient(x, torch.rand(5), 1.0, 0.1), "a"),
    (lambda x: pg.linear_gradient(x, torch.rand(2, 4), 1.0, 0.1), "a"),
    (lambda x: pg.linear_gradient(x, float("nan"), 1.0, 0.1), "a"),
    (lambda x: pg.corner_gradient(x, 4), "corner"),
    (lambda x: pg.corner_gradient(x, "middle"), "corner"),
    (lambda x: pg.radial_gradient(x, radius=0.0), "radius"),
    (lambda x: pg.gaussian_spot(x, sigma=-1.0), "sigma"),
    (lambda x: pg.gaussian_spot(x, backend="opencv"), "backend"),
])
def test_errors_name_function_and_argument(call, arg):
    with pytest.raises(ValueError) as e:
        call(torch.rand(2, 3, 8, 8))
    assert f"`{arg}`" in str(e.value) and "must be" in str(e.value)


def test_clamp_must_be_bool():
    with pytest.raises(TypeError, match="clamp"):
        pg.linear_gradient(torch.rand(1, 1, 4, 4), 1.0, 1.0, 0.1, clamp="yes")


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float16])
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
def test_blockwise_cpu_mixer_equals_the_batched_path_bit_for_bit(monkeypatch, dtype, mode):
    B, C, H, W = 7, 3, 11, 13
    g = torch.Generator().manual_seed(5)
    x = torch.rand(B, C, H, W, generator=g)
    x = (x * 255).round().to(dtype) if dtype == torch.uint8 else x.to(dtype)
    cdt = torch.float32
    field = (torch.rand(B, 1, H, W, generator=g) - 0.5).to(cdt) * 0.4
    alpha = torch.rand(B, dtype=torch.float64, generator=g) * 0.5
    # a field that requires grad takes the batched, out-of-place (autograd) path
    ref = field_torch._mix(x, field.clone().requires_grad_(True), alpha, mode, True).detach()
    for block in (1, H * W * C * 2, 1 << 18):        # one sample, two samples, whole batch
        monkeypatch.setattr(field_torch, "_BLOCK_ELEMS", block)
        for xin in (x, x.contiguous(memory_format=torch.channels_last)):
            got = field_torch._mix(xin, field, alpha, mode, True)
            assert got.dtype == x.dtype
            assert torch.equal(got, ref), (block, xin.is_contiguous())
            if xin is not x:
                assert got.is_contiguous(memory_format=torch.channels_last)


# ----------------------------------------------------------------------------- negative strength
def _ramp_oracle(H, W, angle, strength, offset):
    """g = offset + strength * t, t = (p - min p) / (max p - min p), p = u cos + v sin."""
    u = np.linspace(0, 1, W)[None, :] if W > 1 else np.zeros((1, 1))
    v = np.linspace(0, 1, H)[:, None] if H > 1 else np.zeros((1, 1))
    p = u * math.cos(angle) + v * math.sin(angle)
    lo = min(0, math.cos(angle)) + min(0, math.sin(angle))
    t = (p - lo) / (abs(math.cos(angle)) + abs(math.sin(angle)))
    return offset + strength * t


def test_linear_gradient_negative_strength_follows_documented_ramp(rng):
    y = pg.linear_gradient(np.zeros((1, 5)), alpha=1, angle=0, strength=-0.4, offset=0.2,
                           mode="add", clamp=False)
    np.testing.assert_allclose(y[0], [0.2, 0.1, 0.0, -0.1, -0.2], rtol=0, atol=1e-12)
    for _ in range(5):
        H, W = rng.integers(2, 9, 2)
        angle = float(rng.uniform(-math.pi, math.pi))
        strength = float(rng.uniform(-1, 1))
        offset = float(rng.uniform(-0.5, 0.5))
        got = pg.linear_gradient(np.zeros((H, W)), alpha=1.0, angle=angle, strength=strength,
                                 offset=offset, mode="add", clamp=False)
        np.testing.assert_allclose(got, _ramp_oracle(H, W, angle, strength, offset), rtol=0, atol=1e-12)


def test_gradcheck_illumination_parameters(rng):
    x = _x(rng)
    al = _p(0.3, 0.6)
    assert gradcheck(lambda a, b, al: pg.linear_gradient(x, a, b, al, clamp=False), (_p(0.3, -0.5), _p(0.2, 0.7), al))
    assert gradcheck(lambda th, st, al, off: pg.linear_gradient(x, angle=th, strength=st, alpha=al, offset=off,
                                                                mode="add", clamp=False),
                     (_p(0.4, 2.0), _p(-0.4, 0.7), al, _p(0.1, -0.2)))
    per_channel = torch.tensor([[0.3, -0.2], [0.5, 0.1]], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a: pg.linear_gradient(x, a, 0.2, 0.4, mode="multiply", clamp=False), (per_channel,))
    for mode in ("blend", "add", "multiply"):
        assert gradcheck(lambda st, al: pg.corner_gradient(x, 1, al, strength=st, mode=mode, clamp=False), (_p(-0.5, 0.8), al))
        assert gradcheck(lambda st, al: pg.radial_gradient(x, al, strength=st, mode=mode, clamp=False), (_p(-0.5, 0.8), al))
        assert gradcheck(lambda st, al: pg.gaussian_spot(x, al, strength=st, mode=mode, clamp=False), (_p(-0.5, 0.8), al))


def test_gradcheck_gaussian_spot_center_sigma_offset(rng):
    # the smooth field; the radial cone max(0, 1 - r) has kinks (r = 0, r = 1) where a finite
    # difference is one-sided, so its center / radius are differentiable almost everywhere only
    x = _x(rng)
    c = torch.tensor([[0.3, 0.6], [0.5, 0.45]], dtype=torch.float64, requires_grad=True)
    s = torch.tensor([[0.3, 0.2], [0.5, 0.45]], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda c, s, o: pg.gaussian_spot(x, 0.4, center=c, sigma=s, offset=o, clamp=False),
                     (c, s, _p(0.1, -0.2)))
    assert gradcheck(lambda o: pg.corner_gradient(x, 2, 0.4, offset=o, clamp=False), (_p(0.1, -0.2),))


def test_gradient_reaches_parameters_through_clamp_and_float32(rng):
    x = torch.from_numpy(rng.random((1, 3, 16, 16)).astype(np.float32))
    s = torch.tensor(1.5, requires_grad=True)
    a = torch.tensor(0.2, requires_grad=True)
    y = pg.linear_gradient(pg.gaussian_blur(x, s), a, 0.1, 0.5)
    y.mean().backward()
    assert s.grad is not None and a.grad is not None and float(a.grad) != 0


# ----------------------------------------------------------------------------- illumination
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.uint8, torch.float16])
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
def test_huge_finite_illumination_parameters_give_finite_results(dtype, mode, rng):
    x = torch.from_numpy(rng.random((2, 3, 5, 7))).to(dtype) if dtype.is_floating_point else \
        torch.from_numpy(rng.integers(0, 256, (2, 3, 5, 7), dtype=np.uint8))
    for a, b in [(1e100, 0.1), (-1e300, 1e300), (0.1, -1e200)]:
        y = pg.linear_gradient(x, a=a, b=b, alpha=0.1, mode=mode)
        assert y.dtype == x.dtype and bool(torch.isfinite(y.to(torch.float64)).all()), (a, b)
    y = pg.corner_gradient(x, 0, 0.1, strength=1e300, mode=mode)
    assert bool(torch.isfinite(y.to(torch.float64)).all())


@pytest.mark.parametrize("op", ["linear", "corner", "radial", "spot"])
def test_float_images_keep_their_own_range_through_illumination(op, rng):
    x = torch.from_numpy(rng.uniform(-498, 498, (2, 3, 16, 12)).astype(np.float32))
    unit = torch.from_numpy(rng.random((2, 3, 16, 12)).astype(np.float32))
    call = {"linear": lambda t, c: pg.linear_gradient(t, a=0.8, b=-0.4, alpha=0.3, clamp=c),
            "corner": lambda t, c: pg.corner_gradient(t, 1, 0.3, clamp=c),
            "radial": lambda t, c: pg.radial_gradient(t, alpha=0.5, mode="add", clamp=c),
            "spot": lambda t, c: pg.gaussian_spot(t, alpha=0.5, mode="add", strength=2.0, clamp=c)}[op]
    for img in (x, unit):
        raw = call(img, False)
        lo = img.amin(dim=(1, 2, 3), keepdim=True).clamp(max=0.0)
        hi = img.amax(dim=(1, 2, 3), keepdim=True).clamp(min=1.0)
        torch.testing.assert_close(call(img, True), torch.clamp(raw, lo, hi), rtol=0, atol=0)
    y = call(x, True)
    assert y.min() < -300 and y.max() > 300                     # never squeezed into [0, 1]
