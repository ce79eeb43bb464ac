"""The fused CPU illumination loop (numba) against the torch block path: same bits for every
covered case, the exact path for everything it must not take, the input never modified."""
from __future__ import annotations

import pytest
import torch

import pixelgrad as pg
from pixelgrad.backends import cpu_fused
from pixelgrad.functional import illumination as il

pytestmark = pytest.mark.skipif(not cpu_fused.available(), reason="numba is an optional dependency "
                                "(installed by the dev extra, so `make test` runs these)")


@pytest.fixture
def torch_path(monkeypatch):
    """Run a call with the fused loop switched off (the torch block path)."""
    def run(call):
        with monkeypatch.context() as m:
            m.setattr(cpu_fused, "available", lambda: False)
            return call()
    return run


def _spy_mix_planar(monkeypatch):
    calls = []
    real = cpu_fused.mix_planar

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(cpu_fused, "mix_planar", spy)
    return calls


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
@pytest.mark.parametrize("clamp", [True, False])
def test_same_bits_as_the_torch_path(rng, monkeypatch, torch_path, dtype, mode, clamp):
    B, C = 4, 3
    x = torch.from_numpy(rng.random((B, C, 17, 29))).to(dtype)
    before = x.clone()
    per_channel_a = torch.from_numpy(rng.uniform(-1, 1, (B, C)))
    cases = [dict(a=torch.from_numpy(rng.uniform(-1, 1, B)), b=-0.7, alpha=torch.from_numpy(rng.uniform(0.05, 0.6, B))),
             dict(a=per_channel_a, b=0.4, alpha=0.3),
             dict(a=0.9, b=0.9, alpha=0.9, offset=0.2)]
    calls = _spy_mix_planar(monkeypatch)
    for kw in cases:
        y = pg.linear_gradient(x, mode=mode, clamp=clamp, **kw)
        ref = torch_path(lambda: pg.linear_gradient(x, mode=mode, clamp=clamp, **kw))
        assert torch.equal(y, ref), (kw, float((y - ref).abs().max()))
        ref64 = pg.linear_gradient(x.double(), mode=mode, clamp=clamp, backend="torch", **kw) if dtype == torch.float32 else ref
        assert float((y.double() - ref64).abs().max()) <= 4 * torch.finfo(dtype).eps * 2
    y = pg.corner_gradient(x, torch.tensor([0, 1, 2, 3]), alpha=0.4, mode=mode, clamp=clamp)
    assert torch.equal(y, torch_path(lambda: pg.corner_gradient(x, torch.tensor([0, 1, 2, 3]), alpha=0.4,
                                                                mode=mode, clamp=clamp)))
    assert calls and all(calls), "the fused loop did not run"
    assert torch.equal(x, before)


def test_strided_and_channels_last_layouts(rng, torch_path):
    base = torch.from_numpy(rng.random((3, 3, 20, 31))).float()
    for x in (base.contiguous(memory_format=torch.channels_last), base[..., ::2], base[:1].expand(3, 3, 20, 31),
              base.transpose(-1, -2)):
        y = pg.linear_gradient(x, 0.5, -0.6, alpha=0.3)
        ref = torch_path(lambda: pg.linear_gradient(x, 0.5, -0.6, alpha=0.3))
        assert torch.equal(y, ref)
        assert y.stride() == ref.stride()


def test_values_outside_unit_range_take_the_exact_path(rng, monkeypatch, torch_path):
    """-0.0, values above 1, NaN and inf make the loop give up (None); the result is then the
    own-range clamp / the NaN error of the exact path."""
    calls = _spy_mix_planar(monkeypatch)
    x = torch.from_numpy(rng.random((3, 2, 9, 11))).float()
    for bad in (-0.0, 1.0000001, 3.5, -2.0):
        xb = x.clone()
        xb[2, 1, 4, 5] = bad
        y = pg.linear_gradient(xb, 0.8, 0.8, alpha=0.5)
        assert torch.equal(y, torch_path(lambda: pg.linear_gradient(xb, 0.8, 0.8, alpha=0.5)))
    assert calls and not any(calls)
    for bad in (float("nan"), float("inf")):
        xb = x.clone()
        xb[1, 0, 0, 0] = bad
        with pytest.raises(ValueError, match="linear_gradient: argument `x` must be finite"):
            pg.linear_gradient(xb, 0.8, 0.8)
        with pytest.raises(ValueError, match="RandomGradient: argument `x` must be finite"):
            pg.augment.RandomGradient(p=1.0)(xb)


def test_transform_and_empty_batch(rng, torch_path):
    x = torch.from_numpy(rng.random((5, 3, 16, 16))).float()
    t = pg.augment.RandomGradient(p=1.0)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(t(x, generator=g1), torch_path(lambda: t(x, generator=g2)))
    assert pg.linear_gradient(torch.zeros(0, 3, 8, 8), 0.5, 0.5).shape == (0, 3, 8, 8)


def test_mix_planar_declines_what_it_does_not_cover():
    x16 = torch.rand(1, 1, 4, 4, dtype=torch.float16)
    row, col = torch.zeros(1, 1, 1, 4), torch.zeros(1, 1, 4, 1)
    assert cpu_fused.mix_planar(x16, row, col, None, "add", True, (0.0, 1.0), True) is None
    x = torch.rand(1, 1, 4, 4)
    assert cpu_fused.mix_planar(x, row.double(), col, None, "add", True, (0.0, 1.0), True) is None
    y = cpu_fused.mix_planar(x, row, col, None, "add", True, (0.0, 1.0), True)
    assert torch.equal(y, x) and y.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("layout", ["chw", "hwc", "strided"])
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
@pytest.mark.parametrize("clamp", [True, False])
def test_uint8_in_one_pass_has_the_bits_of_the_torch_path(rng, monkeypatch, torch_path, layout, mode, clamp):
    """uint8 images (numpy HWC ones included) go through the fused loop too: the field
    scaled to [0, 255], the mix, clamp, rounding half to even and the cast in one pass."""
    B, C = 3, 3
    u8 = torch.from_numpy((rng.random((B, 19, 23, C)) * 256).astype("uint8"))
    x = {"chw": u8.permute(0, 3, 1, 2).contiguous(), "hwc": u8.permute(0, 3, 1, 2),
         "strided": u8.permute(0, 3, 1, 2).contiguous()[:, :, ::2, 1:]}[layout]
    before = x.clone()
    calls = _spy_mix_planar(monkeypatch)
    cases = [dict(a=torch.from_numpy(rng.uniform(-1, 1, B)), b=torch.from_numpy(rng.uniform(-1, 1, B)),
                  alpha=torch.from_numpy(rng.uniform(0.05, 0.6, B))),
             dict(a=torch.from_numpy(rng.uniform(-1, 1, (B, C))), b=0.4, alpha=0.3, offset=-0.1),
             dict(a=0.9, b=0.9, alpha=0.9, offset=0.2)]
    for kw in cases:
        y = pg.linear_gradient(x, mode=mode, clamp=clamp, **kw)
        ref = torch_path(lambda: pg.linear_gradient(x, mode=mode, clamp=clamp, **kw))
        assert y.dtype == torch.uint8 and torch.equal(y, ref), (kw, int((y.int() - ref.int()).abs().max()))
    y = pg.corner_gradient(x, torch.tensor([0, 1, 3]), alpha=0.4, mode=mode, clamp=clamp)
    assert torch.equal(y, torch_path(lambda: pg.corner_gradient(x, torch.tensor([0, 1, 3]), alpha=0.4,
                                                                mode=mode, clamp=clamp)))
    assert torch.equal(x, before)
    assert calls and all(calls), "the fused loop did not run"


def test_uint8_numpy_image_takes_the_fused_loop(rng, monkeypatch, torch_path):
    img = (rng.random((31, 17, 3)) * 256).astype("uint8")
    calls = _spy_mix_planar(monkeypatch)
    y = pg.linear_gradient(img, a=0.7, b=-0.3, alpha=0.2)
    assert calls == [True] and y.dtype == img.dtype and y.shape == img.shape
    assert (y == torch_path(lambda: pg.linear_gradient(img, a=0.7, b=-0.3, alpha=0.2))).all()


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_threads_split_the_batch_with_the_same_bits(rng, monkeypatch, dtype):
    """A large batch is mixed on torch.get_num_threads() threads, sample ranges each:
    the same bits as one thread (forced here on a small batch)."""
    x = torch.from_numpy(rng.random((5, 3, 16, 20)))
    x = (x * 255).to(dtype) if dtype == torch.uint8 else x.to(dtype)
    kw = dict(a=torch.from_numpy(rng.uniform(-1, 1, 5)), b=0.3, alpha=torch.from_numpy(rng.uniform(0, 1, 5)))
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = pg.linear_gradient(x, **kw)
        torch.set_num_threads(3)
        monkeypatch.setattr(cpu_fused, "PARALLEL_ELEMS", 1)
        calls = _spy_mix_planar(monkeypatch)
        many = pg.linear_gradient(x, **kw)
    finally:
        torch.set_num_threads(threads)
    assert calls == [True] and torch.equal(one, many)


@pytest.mark.parametrize("op", ["gaussian_spot", "radial_gradient"])
@pytest.mark.parametrize("layout", ["chw", "hwc"])
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
def test_uint8_radial_fields_in_one_pass_have_the_bits_of_the_torch_path(rng, monkeypatch, torch_path,
                                                                          op, layout, mode):
    B, C = 3, 3
    u8 = torch.from_numpy((rng.random((B, 21, 26, C)) * 256).astype("uint8"))
    x = u8.permute(0, 3, 1, 2).contiguous() if layout == "chw" else u8.permute(0, 3, 1, 2)
    before = x.clone()
    calls = []
    real = cpu_fused._radial_u8
    monkeypatch.setattr(cpu_fused, "_radial_u8", lambda *a: calls.append(1) or real(*a))
    size = {"sigma" if op == "gaussian_spot" else "radius": torch.from_numpy(rng.uniform(0.05, 1.2, (B, 2)))}
    for shape in ((B,), (B, C)):
        kw = dict(strength=torch.from_numpy(rng.uniform(-1, 1, shape)), alpha=torch.from_numpy(rng.uniform(0, 1, shape)),
                  offset=torch.from_numpy(rng.uniform(-0.3, 0.3, shape)), center=torch.from_numpy(rng.random((B, 2))),
                  mode=mode, **size)
        y = getattr(pg, op)(x, **kw)
        ref = torch_path(lambda: getattr(pg, op)(x, **kw))
        assert y.dtype == torch.uint8 and torch.equal(y, ref), (shape, int((y.int() - ref.int()).abs().max()))
    assert calls and torch.equal(x, before)
