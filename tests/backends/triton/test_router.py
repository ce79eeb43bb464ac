"""A kernel that fails to compile/launch in auto mode falls back to torch (with a warning);
forced mode re-raises."""
from __future__ import annotations

import pytest
import torch

from pixelgrad.backends.triton import _router
import pixelgrad as pg
from pixelgrad.borders import BORDERS


def test_auto_mode_falls_back_and_forced_mode_raises(monkeypatch):
    calls = []

    def broken(x, **params):
        calls.append(1)
        raise RuntimeError("simulated CompilationError")

    monkeypatch.setitem(_router._BLURS, "box_blur", broken)
    monkeypatch.setattr(_router, "_BROKEN", {})
    x = torch.rand(1, 1, 8, 8)
    size = torch.full((1, 2), 3.0, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="simulated"):
        _router.dispatch("box_blur", x, forced=True, size=size, border="reflect", method="auto")
    with pytest.warns(RuntimeWarning, match="using the torch backend"):
        assert _router.dispatch("box_blur", x, forced=False, size=size, border="reflect", method="auto") is None
    n = len(calls)
    assert _router.dispatch("box_blur", x, forced=False, size=size, border="reflect", method="auto") is None
    assert len(calls) == n                      # remembered as broken: not retried


def test_huge_kernels_are_folded_not_materialised():
    """A box of 10^9 + 1 or sigma 10^6 on a small image must not materialise the kernel:
    the router folds it onto the border period (same result as the torch backend)."""
    import pixelgrad as pg

    x = torch.rand(2, 1, 6, 7)
    size = torch.full((2, 2), 1e9 + 1, dtype=torch.float64)
    y = _router.dispatch("box_blur", x, forced=True, size=size, border="reflect", method="auto")
    torch.testing.assert_close(y, pg.box_blur(x, 10**9 + 1, backend="torch"), atol=1e-5, rtol=1e-5)
    sigma = torch.tensor([[1e6, 1e6], [2.0, 1e5]], dtype=torch.float64)
    y = _router.dispatch("gaussian_blur", x, forced=True, sigma=sigma, angle=None, truncate=4.0,
                         border="symmetric", method="auto")
    ref = pg.gaussian_blur(x, sigma.float(), border="symmetric", backend="torch")
    torch.testing.assert_close(y, ref, atol=1e-5, rtol=1e-5)


def test_huge_2d_kernels_are_declined():
    x = torch.rand(1, 1, 5, 5)
    length = torch.tensor([5000.0], dtype=torch.float64)
    zero = torch.zeros(1, dtype=torch.float64)
    assert _router.dispatch("motion_blur", x, forced=False, length=length, angle=zero, direction=zero,
                            border="reflect", method="auto") is None


def _close(y, ref, x):
    assert y.dtype == x.dtype and y.shape == x.shape
    yd = y.double()
    assert bool(torch.isfinite(yd).all()), "unwritten (poisoned) output elements"
    tol = 1.0 if x.dtype == torch.uint8 else 1e-5
    assert float((yd - ref).abs().max()) <= tol


@pytest.mark.parametrize("border", BORDERS)
def test_tiny_images_and_wide_kernels(rng, border):
    for shape, sigma in [((1, 1, 1, 1), 2.0), ((1, 2, 1, 9), 1.5), ((2, 1, 7, 1), (3.0, 0.5)),
                         ((1, 1, 3, 5), 6.0)]:
        x = torch.from_numpy(rng.random(shape)).float()
        y = pg.gaussian_blur(x, sigma, border=border, backend="triton")
        _close(y, pg.gaussian_blur(x.double(), sigma, border=border, backend="torch"), x)
    x = torch.from_numpy(rng.random((1, 1, 4, 5))).float()
    y = pg.box_blur(x, 31, border=border, backend="triton")
    _close(y, pg.box_blur(x.double(), 31, border=border, backend="torch"), x)


def test_unusual_strides_and_leading_dims(rng):
    base = torch.from_numpy(rng.random((2, 3, 7, 14))).float()
    cases = [base[:1].expand(3, 3, 7, 14),               # stride 0 along the batch
             base[..., ::2],                             # step-2 slice
             base.reshape(2, 3, 1, 7, 14).expand(2, 3, 2, 7, 14)]   # 5-D, stride-0 dim
    for x in cases:
        before = x.clone()
        y = pg.gaussian_blur(x, 1.2, backend="triton")
        _close(y, pg.gaussian_blur(x.double(), 1.2, backend="torch"), x)
        assert torch.equal(x, before)


def test_uint8_saturated_extremes(rng):
    x = (torch.from_numpy(rng.random((2, 1, 8, 9))) > 0.5).to(torch.uint8) * 255
    for call in (lambda t, b: pg.gaussian_blur(t, 0.8, backend=b),
                 lambda t, b: pg.motion_blur(t, torch.tensor([3.0, 7.5]), torch.tensor([0.3, -2.0]), backend=b)):
        y = call(x, "triton")
        _close(y, call(x.double(), "torch"), x)
        assert int(y.min()) >= 0 and int(y.max()) <= 255
