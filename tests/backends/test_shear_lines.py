"""backends.shear_lines: the exact one-axis shear (numba) against the float64 torch path,
scipy's affine_transform and itself (per sample, threads, layouts)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage as ndi

import pixelgrad as pg
from pixelgrad.backends import shear_lines as sl, torch_backend as tb
from pixelgrad.backends.registry import Uncovered
from pixelgrad.borders import BORDERS
from pixelgrad.functional import _run

pytestmark = pytest.mark.skipif(not sl.available(), reason="numba is not installed")

F64 = torch.float64
SCIPY_MODE = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest",
              "circular": "grid-wrap", "constant": "grid-constant"}


def _image(rng, dtype, shape=(3, 3, 17, 22)):
    x = torch.from_numpy(rng.random(shape))
    if dtype == torch.uint8:
        return (x * 255).round().to(dtype)
    if dtype == torch.uint16:
        return (x * 65535).round().to(dtype)
    return x.to(dtype)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("dtype", sl.DTYPES)
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("hw", [(17, 22), (1, 9), (8, 1), (2, 3)])
def test_matches_the_float64_torch_path(border, dtype, channels_last, hw, rng):
    """Every border, dtype and layout, rows and columns, shears beyond the image: the float64
    result within float rounding; integers are the exact value rounded (ties either way)."""
    x = _image(rng, dtype, (3, 3, *hw))
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    before = x.clone()
    zero = torch.zeros(3, dtype=F64)
    s = torch.tensor([0.3, -1.7, 0.0], dtype=F64)
    for sx, sy in [(s, zero), (zero, s), (s, torch.tensor([0.0, 0.0, -0.6], dtype=F64))]:
        ref = tb.shear(x.double(), sx, sy, border)
        got = sl.shear(x, sx, sy, border)
        assert got.dtype == x.dtype and got.shape == x.shape
        err = float((got.double() - ref).abs().max())
        tol = {torch.float64: 1e-12, torch.float32: 1e-6}.get(dtype, 0.5 + 1e-9)
        assert err <= tol, (sx.tolist(), sy.tolist(), err)
        if channels_last and x.shape[1] > 1:
            assert got.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(x, before)                                  # the input is untouched


@pytest.mark.parametrize("border", BORDERS)
def test_pg_shear_on_one_axis_matches_scipy(border, rng):
    """The public op (which runs this backend for one-axis shears) against an independent
    oracle: scipy.ndimage.affine_transform, bilinear, matching border."""
    x = rng.random((13, 16))
    H, W = x.shape
    c = np.array([(H - 1) / 2, (W - 1) / 2])
    for sx, sy in [(0.45, 0.0), (0.0, -0.8), (2.6, 0.0)]:
        assert _run.covers("numba", "shear", torch.zeros(1, 1, H, W), "auto",
                           sx=torch.tensor([sx], dtype=F64), sy=torch.tensor([sy], dtype=F64), border=border)
        m = np.array([[1, -sy], [-sx, 1]])                          # det = 1 on one axis
        ref = ndi.affine_transform(x, m, offset=c - m @ c, order=1, mode=SCIPY_MODE[border])
        np.testing.assert_allclose(pg.shear(x, sx, sy, border=border), ref, atol=1e-12)


def test_uint8_is_the_rounded_exact_value(rng):
    """uint8: the float64 bilinear value rounded half to even, once."""
    x = _image(rng, torch.uint8, (2, 3, 40, 37))
    s = torch.tensor([0.137, -0.291], dtype=F64)
    zero = torch.zeros(2, dtype=F64)
    exact = tb.shear(x.double(), s, zero, "reflect")
    got = sl.shear(x, s, zero, "reflect").double()
    off = (got - exact).abs()
    assert float(off.max()) <= 0.5 + 1e-9
    assert float((off > 0.5 - 1e-9).double().mean()) < 0.1          # only near-ties differ from round()


def test_each_sample_as_if_alone_and_any_thread_count(rng):
    x = _image(rng, torch.uint8, (6, 3, 96, 120)).contiguous(memory_format=torch.channels_last)
    sx = torch.tensor([0.1, -0.2, 0.0, 0.3, 0.05, 0.0], dtype=F64)
    sy = torch.tensor([0.0, 0.0, 0.4, 0.0, 0.0, 0.0], dtype=F64)
    batch = sl.shear(x, sx, sy, "symmetric")
    for i in range(6):
        assert torch.equal(batch[i:i + 1], sl.shear(x[i:i + 1], sx[i:i + 1], sy[i:i + 1], "symmetric"))
    big = _image(rng, torch.float32, (8, 3, 256, 256))            # over the threading threshold
    s = torch.linspace(-0.3, 0.3, 8, dtype=F64)
    zero = torch.zeros(8, dtype=F64)
    n = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = sl.shear(big, s, zero, "reflect")
        torch.set_num_threads(2)
        two = sl.shear(big, s, zero, "reflect")
    finally:
        torch.set_num_threads(n)
    assert torch.equal(one, two)


def test_strong_shears_stay_finite(rng):
    x = torch.from_numpy(rng.random((1, 2, 5, 6)))
    zero = torch.zeros(1, dtype=F64)
    for v in (37.0, 1e4, 1e30, 1e300):
        for border in BORDERS:
            y = sl.shear(x, torch.tensor([v], dtype=F64), zero, border)
            assert bool(torch.isfinite(y).all())
            if v <= 1e4:
                assert float((y - tb.shear(x, torch.tensor([v], dtype=F64), zero, border)).abs().max()) <= 1e-12


def test_uncovered_cases_name_the_reason(monkeypatch):
    x = torch.zeros(2, 1, 4, 4)
    one, zero = torch.ones(2, dtype=F64), torch.zeros(2, dtype=F64)
    with pytest.raises(Uncovered, match="both axes"):
        sl.check(x, one, one, "reflect")
    with pytest.raises(Uncovered, match="float16"):
        sl.check(x.half(), one, zero, "reflect")
    with pytest.raises(Uncovered, match="grad"):
        sl.check(x.requires_grad_(), one, zero, "reflect")
    monkeypatch.setattr(sl, "available", lambda: False)
    with pytest.raises(Uncovered, match="numba"):
        sl.check(torch.zeros(1, 1, 4, 4), one[:1], zero[:1], "reflect")


def test_empty_batch_and_the_public_op():
    assert sl.shear(torch.zeros(0, 3, 4, 4), torch.zeros(0, dtype=F64), torch.zeros(0, dtype=F64),
                    "reflect").shape == (0, 3, 4, 4)
    img = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    out = pg.shear(img, 0.5)
    assert out.shape == img.shape and out.dtype == np.uint8
    ref = tb.shear(torch.from_numpy(img).permute(2, 0, 1)[None].double(), torch.tensor([0.5], dtype=F64),
                   torch.zeros(1, dtype=F64), "constant")[0].permute(1, 2, 0).numpy()
    assert np.abs(out - ref).max() <= 0.5 + 1e-9
