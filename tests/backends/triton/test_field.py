"""Triton illumination kernels and the fused blur + illumination entry (interpreter on CPU)
against the float64 torch path of :mod:`pixelgrad.functional.illumination`."""
from __future__ import annotations

import pytest
import torch

import pixelgrad as pg
from pixelgrad.functional import illumination as il
from pixelgrad.backends.registry import Uncovered
from pixelgrad.functional import _run

pytestmark = pytest.mark.usefixtures("tr")


def _image(rng, shape, dtype=torch.float32):
    x = torch.from_numpy(rng.random(shape))
    return (x * 255).round().to(torch.uint8) if dtype == torch.uint8 else x.to(dtype)


def _reference(fn, x: torch.Tensor, **kw) -> torch.Tensor:
    """float64 result on the dtype's own scale (uint8: 0..255, saturated, not rounded)."""
    if x.dtype == torch.uint8:
        return (fn(x.double() / 255.0, backend="torch", **kw) * 255.0).clamp(0.0, 255.0)
    return fn(x.double(), backend="torch", **kw)


def _check(y, ref, x):
    assert y.dtype == x.dtype and y.shape == x.shape
    yd = y.double()
    assert torch.isfinite(yd).all(), "unwritten (poisoned) elements"
    err = (yd - ref).abs()
    if x.dtype == torch.uint8:
        assert float(err.max()) <= 1.0
        assert float((yd == ref.round()).double().mean()) >= 0.99
    elif x.dtype == torch.float32:
        assert float(err.max()) <= 1e-5 * max(1.0, float(ref.abs().max()))
    else:
        assert float(err.max()) <= 1.01 * torch.finfo(x.dtype).eps * max(1.0, float(ref.abs().max()))


def _cases(rng, B, C):
    r = lambda *s: torch.from_numpy(rng.random(s))  # noqa: E731
    return [
        (il.linear_gradient, dict(a=r(B) * 2 - 1, b=r(B) * 2 - 1, alpha=r(B) * 0.6)),
        (il.linear_gradient, dict(angle=r(B, C) * 6, strength=0.8, alpha=0.3, offset=r(B) * 0.2,
                                  mode="add")),
        (il.corner_gradient, dict(corner=torch.arange(B) % 4, alpha=0.4, strength=r(B, C),
                                  offset=-0.1, mode="blend")),
        (il.radial_gradient, dict(alpha=r(B) * 0.8, center=r(B, 2), radius=r(B, 2) + 0.2)),
        (il.radial_gradient, dict(alpha=0.5, strength=1.5, offset=0.0, mode="add", clamp=False)),
        (il.gaussian_spot, dict(alpha=r(B, C), center=(0.3, 0.7), sigma=r(B, 2) * 0.5 + 0.05,
                                strength=-0.7)),
        (il.gaussian_spot, dict(alpha=0.6, sigma=0.2, mode="multiply", clamp=False)),
    ]


@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8, torch.float16])
def test_every_field_and_mode(rng, dtype):
    x = _image(rng, (4, 3, 9, 14), dtype)
    for fn, kw in _cases(rng, 4, 3):
        y = fn(x, backend="triton", **kw)
        _check(y, _reference(fn, x, **kw), x)


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (1, 2, 1, 19), (2, 1, 17, 1), (1, 3, 29, 31)])
def test_odd_shapes_and_layouts(rng, shape):
    x = _image(rng, shape)
    for fn, kw in _cases(rng, shape[0], shape[1])[::2]:
        _check(fn(x, backend="triton", **kw), _reference(fn, x, **kw), x)
    big = _image(rng, (2, 3, 20, 26))
    for v in (big[..., ::2, 3:], big.transpose(-1, -2), big.contiguous(memory_format=torch.channels_last)):
        before = v.clone()
        y = il.linear_gradient(v, a=0.5, b=-0.4, alpha=0.3, backend="triton")
        _check(y, _reference(il.linear_gradient, v, a=0.5, b=-0.4, alpha=0.3), v)
        assert torch.equal(v, before)


def test_dispatch_auto_cpu_is_torch_and_forced_float64_raises(rng, tr):
    x = _image(rng, (1, 1, 4, 4), torch.float64)
    with pytest.raises(ValueError, match="linear_gradient.*backend"):
        il.linear_gradient(x, a=1.0, b=1.0, backend="triton")
    one = torch.ones(1, dtype=torch.float64)
    params = dict(a=one, b=one, alpha=one * 0.1, offset=one * 0, mode="blend", clamp=True)
    req = _run.Request("linear_gradient", "field", x, {"op": "linear_gradient", "params": params})
    assert _run.offer(req, "triton") is None
    with pytest.raises(Uncovered, match="float64"):
        tr.field(x, "linear_gradient", params)


@pytest.mark.parametrize("blur", ["gaussian_tile", "gaussian_banded", "box", "motion", "rotated"])
def test_blur_then_blend_equals_two_steps(rng, tr, blur):
    B, C = 3, 2
    x = _image(rng, (B, C, 13, 18))
    cases = _cases(rng, B, C)
    fn, kw = cases[len(blur) % len(cases)]
    sigma = torch.from_numpy(rng.uniform(0.5, 2.0, (B, 2)))
    if blur == "gaussian_tile":
        def op(v, backend):
            return pg.gaussian_blur(v, sigma, backend=backend)
    elif blur == "gaussian_banded":
        def op(v, backend):
            return pg.gaussian_blur(v, 6.0, border="circular", method="matrix" if backend == "triton" else "auto",
                                    backend=backend)
    elif blur == "box":
        def op(v, backend):
            return pg.box_blur(v, 3, backend=backend)
    elif blur == "motion":
        L, a = torch.tensor([3.0, 5.0, 8.0], dtype=torch.float64), torch.tensor([0.1, 1.0, 2.0], dtype=torch.float64)

        def op(v, backend):
            return pg.motion_blur(v, L, a, backend=backend)
    else:
        ang = torch.tensor([0.3, 0.9, -0.5], dtype=torch.float64)
        sigma = sigma * 0.3                       # few taps: the interpreter loops over them

        def op(v, backend):
            return pg.gaussian_blur(v, sigma, angle=ang, backend=backend)
    # what the functional layer hands the backends: the built kernels, and the field's
    # validated parameters
    kind, kernels = _run.capture(lambda: op(x, "triton"))
    field_op, field_params = _run.capture(lambda: fn(x, **kw))
    y = tr.blur_then_blend(x, kind, kernels, field_op, field_params)
    ref = fn(op(x.double(), "torch"), backend="torch", **kw)
    _check(y, ref, x)
    assert torch.equal(y, tr.field(op(x, "triton"), field_op, field_params)), \
        "fused != blur kernel then field kernel"
    xu = _image(rng, (B, C, 13, 18), torch.uint8)
    kind, kernels = _run.capture(lambda: op(xu, "triton"))
    yu = tr.blur_then_blend(xu, kind, kernels, field_op, field_params)
    # the composition of the two uint8 ops: the blurred image is rounded to uint8 before the
    # field (a blurred value at a rounding tie may round either way, and a gain > 1 would
    # amplify that step, so the field is checked on the kernel's own blurred image, itself
    # checked against float64 by the blur tests)
    blurred = op(xu, "triton")
    _check(blurred, op(xu.double(), "torch"), xu)
    refu = (fn(blurred.double() / 255.0, backend="torch", **kw) * 255.0).clamp(0, 255)
    _check(yu, refu, xu)
    assert torch.equal(yu, tr.field(blurred, field_op, field_params))


def test_blur_then_blend_uncovered(rng, tr):
    x = _image(rng, (1, 1, 5, 5), torch.float64)
    kind, kernels = _run.capture(lambda: pg.gaussian_blur(x, 1.0, backend="triton"))
    fp = dict(a=torch.ones(1), b=torch.ones(1), alpha=torch.ones(1) * 0.1, offset=torch.zeros(1),
              mode="blend", clamp=True)
    with pytest.raises(Uncovered, match="float64"):
        tr.blur_then_blend(x, kind, kernels, "linear_gradient", fp)
    assert _run.run_fused(x, "auto", (kind, kernels), ("linear_gradient", fp)) is None
    with pytest.raises(ValueError, match="separable\\+linear_gradient"):
        _run.run_fused(x, "triton", (kind, kernels), ("linear_gradient", fp))
    with pytest.raises(Uncovered, match="shear"):
        tr.blur_then_blend(x.float(), kind, kernels, "shear", fp)
