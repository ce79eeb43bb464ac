"""The CPU illumination mixer (one pass: blend, clamp and the input check per block) against
the batched autograd path (whole-batch field, one global own-range clamp, ``to_batch``'s
check), against float64, and its input check."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad import _interop
from pixelgrad import augment as A
from pixelgrad.backends import cpu_fused
from pixelgrad.backends import field_torch
from pixelgrad.functional import illumination as I

DTYPES = [torch.uint8, torch.uint16, torch.float16, torch.bfloat16, torch.float32, torch.float64]
FLOATS = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
FINITE = r"`x` must be finite"


def _image(rng, shape, dtype, kind="unit"):
    """``kind``: values in [0, 1] ("unit"), in [-500, 500] ("wide"), or unit samples with the
    last one wide ("late": the mixer meets it after blocks that were in range)."""
    x = rng.random(shape)
    if kind == "wide":
        x = x * 1000 - 500
    elif kind == "late":
        x[-1] = x[-1] * 3 - 1
    if dtype.is_floating_point:
        return torch.from_numpy(x).to(dtype)
    top = torch.iinfo(dtype).max
    return torch.from_numpy(np.round(x * top)).to(dtype)


def _params(rng, B, C, per_channel):
    a = torch.from_numpy(rng.uniform(-1, 1, (B, C) if per_channel else B))
    b = torch.from_numpy(rng.uniform(-1, 1, B))
    alpha = torch.from_numpy(rng.uniform(0, 0.9, B))
    return a, b, alpha


def _batched(x, a, b, alpha, mode, clamp, offset=0.0):
    """The same call through the batched autograd path (a parameter that requires grad)."""
    return pg.linear_gradient(x, a.clone().requires_grad_(True), b, alpha, mode=mode,
                              clamp=clamp, offset=offset).detach()


def _bits(t):
    return t.view({1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
def test_cpu_mixer_equals_batched_path_bit_for_bit(monkeypatch, rng, dtype, mode):
    B, C, H, W = 5, 3, 9, 13
    kinds = ["unit", "wide", "late"] if dtype.is_floating_point else ["unit"]
    for kind in kinds:
        x = _image(rng, (B, C, H, W), dtype, kind)
        for per_channel in (False, True):
            a, b, alpha = _params(rng, B, C, per_channel)
            for clamp in (True, False):
                ref = _batched(x, a, b, alpha, mode, clamp, offset=0.05)
                # one row a block, one sample, two samples, the whole batch
                for block in (W * C, C * H * W, 2 * C * H * W, 1 << 62):
                    monkeypatch.setattr(field_torch, "_BLOCK_ELEMS", block)
                    for xin in (x, x.contiguous(memory_format=torch.channels_last)):
                        got = pg.linear_gradient(xin, a, b, alpha, mode=mode, clamp=clamp, offset=0.05)
                        assert got.dtype == x.dtype and got.shape == x.shape
                        assert torch.equal(_bits(got.contiguous()), _bits(ref)), (kind, per_channel, clamp, block)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["unit", "wide", "late"])
def test_cpu_mixer_matches_float64_formula(rng, dtype, kind):
    """y = clip((1 - alpha) x + alpha (a u + b v), own range), in float64 numpy; float32
    arithmetic keeps within a few units in the last place of the image's scale."""
    B, C, H, W = 6, 3, 17, 23
    x = _image(rng, (B, C, H, W), dtype, kind)
    a, b, alpha = _params(rng, B, C, False)
    y = pg.linear_gradient(x, a, b, alpha).double().numpy()
    xd = x.double().numpy()
    u, v = np.meshgrid(np.linspace(0, 1, W), np.linspace(0, 1, H))
    al = alpha.numpy()[:, None, None, None]
    g = a.numpy()[:, None, None, None] * u + b.numpy()[:, None, None, None] * v
    ref = (1 - al) * xd + al * g
    lo = np.minimum(xd.min(axis=(1, 2, 3), keepdims=True), 0.0)
    hi = np.maximum(xd.max(axis=(1, 2, 3), keepdims=True), 1.0)
    ref = np.clip(ref, lo, hi)
    scale = np.maximum(np.abs(xd).max(axis=(1, 2, 3), keepdims=True), 1.0)
    eps = float(torch.finfo(dtype).eps)
    assert np.all(np.abs(y - ref) <= 4 * eps * scale), np.abs(y - ref).max()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("kind", ["unit", "wide"])
def test_non_finite_input_is_refused_wherever_it_is(rng, dtype, bad, kind):
    B, C, H, W = 4, 3, 8, 10
    ops = {"linear_gradient": lambda t, c: pg.linear_gradient(t, 0.5, -0.3, 0.2, clamp=c),
           "corner_gradient": lambda t, c: pg.corner_gradient(t, 1, 0.2, clamp=c),
           "radial_gradient": lambda t, c: pg.radial_gradient(t, 0.3, clamp=c),
           "gaussian_spot": lambda t, c: pg.gaussian_spot(t, 0.3, clamp=c)}
    for where in [(0, 0, 0, 0), (B - 1, C - 1, H - 1, W - 1), (2, 1, H // 2, 3)]:
        x = _image(rng, (B, C, H, W), dtype, kind)
        x[where] = bad
        before = x.clone()
        for name, op in ops.items():
            for clamp in (True, False):
                with pytest.raises(ValueError, match=rf"^{name}: argument {FINITE}"):
                    op(x, clamp)
        assert torch.equal(_bits(x), _bits(before))              # the input is untouched


def test_non_finite_numpy_input_names_the_callers_array():
    img = np.random.default_rng(0).random((6, 7, 3)).astype(np.float32)
    img[5, 6, 2] = np.nan
    with pytest.raises(ValueError, match=rf"linear_gradient: argument {FINITE}.*ndarray of shape \(6, 7, 3\)"):
        pg.linear_gradient(img, 0.3, 0.3, 0.1)


@pytest.mark.parametrize("p", [1.0, 0.5, 0.0])
def test_transforms_refuse_non_finite_input_under_their_own_name(rng, p):
    x = _image(rng, (6, 3, 8, 8), torch.float32)
    x[5, 2, 7, 7] = float("nan")
    for t in (A.RandomGradient(p=p), A.RandomCornerGradient(p=p), A.RandomRadialGradient(p=p),
              A.RandomGaussianSpot(p=p)):
        for seed in range(3):                                    # the NaN sample drawn in or out
            with pytest.raises(ValueError, match=rf"^{type(t).__name__}: argument {FINITE}"):
                t(x, seed=seed)


def test_transform_reads_a_finite_batch_for_the_check_only_once(monkeypatch, rng):
    """RandomGradient (p=1) on a finite float batch: no separate NaN / inf pass (the mixer's
    per-block min / max is the check), while the op still refuses NaN (test above)."""
    calls = []

    def spy(t, *args, **kwargs):
        calls.append(tuple(t.shape))
        return _interop.require_finite.__wrapped__(t, *args, **kwargs)

    spy.__wrapped__ = _interop.require_finite
    monkeypatch.setattr(_interop, "require_finite", spy)
    monkeypatch.setattr(I, "require_finite", spy)
    x = _image(rng, (4, 3, 16, 16), torch.float32)
    A.RandomGradient(p=1.0)(x, seed=0)
    pg.linear_gradient(x, 0.4, 0.2, 0.1)
    assert calls == []
    x[1, 0, 0, 0] = float("inf")
    with pytest.raises(ValueError, match=FINITE):
        A.RandomGradient(p=1.0)(x, seed=0)
    assert calls                                                   # the exact check reported it


@pytest.mark.parametrize("dtype", DTYPES)
def test_input_is_never_modified(rng, dtype):
    for kind in (["unit", "wide"] if dtype.is_floating_point else ["unit"]):
        x = _image(rng, (3, 3, 20, 20), dtype, kind)
        before = x.clone()
        for mode in ("blend", "add", "multiply"):
            pg.linear_gradient(x, 0.9, -0.9, 0.5, mode=mode)
            A.RandomGradient(mode=mode)(x, seed=1)
        assert torch.equal(_bits(x), _bits(before))


@pytest.mark.parametrize("dtype", FLOATS)
def test_values_at_the_edges_of_the_unit_range(rng, dtype):
    """-0.0, +0.0, 1.0, the next float above 1, the smallest subnormal: the per-block test
    on the float bits sends every one of them the right way (same bits as the batched path)."""
    up = torch.nextafter(torch.tensor(1.0, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64))
    edges = [-0.0, 0.0, 1.0, float(up.to(dtype)) if dtype != torch.float64 else float(up),
             float(torch.finfo(dtype).tiny) / 2, 1.0 - float(torch.finfo(dtype).eps)]
    a, b, alpha = _params(rng, 3, 2, False)
    for value in edges:
        x = _image(rng, (3, 2, 5, 6), dtype)
        x[1, 1, 4, 5] = value
        for clamp in (True, False):
            for mode in ("blend", "add", "multiply"):
                got = pg.linear_gradient(x, a, b, alpha, mode=mode, clamp=clamp)
                assert torch.equal(_bits(got), _bits(_batched(x, a, b, alpha, mode, clamp))), value


def test_unit_bits_are_the_bits_of_one():
    for cdt, (bits, one) in cpu_fused.ONE_BITS.items():
        assert int(torch.tensor(1.0, dtype=cdt).view(bits)) == one
        assert torch.tensor(1.0, dtype=cdt).element_size() == torch.tensor(0, dtype=bits).element_size()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_clamp_keeps_the_sign_of_zero_as_torch_does(dtype):
    """``multiply`` with a negative gain turns +0.0 into -0.0; torch's clamp keeps it
    (``max(-0.0, 0.0)`` returns its first argument), so the fused loop must too. A fresh CI
    seed once drew such a gain and the loop returned +0.0 (``r if r > lo else lo``)."""
    x = torch.rand(2, 1, 4, 20, dtype=dtype, generator=torch.Generator().manual_seed(0))
    x[:, :, :, ::3] = 0.0
    a = torch.tensor([-1.0, -1.0], dtype=torch.float64)       # gain 1 + alpha * g < 0 at the right
    b = torch.tensor([0.0, -1.0], dtype=torch.float64)
    alpha = torch.tensor([0.9, 0.9], dtype=torch.float64)
    got = pg.linear_gradient(x, a, b, alpha, mode="multiply", clamp=True, offset=-1.0)
    ref = _batched(x, a, b, alpha, "multiply", True, offset=-1.0)
    assert bool(torch.signbit(ref).any())                       # the case is exercised
    assert torch.equal(_bits(got), _bits(ref))
