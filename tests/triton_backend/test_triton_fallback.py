"""A kernel that fails to compile/launch in auto mode falls back to torch (with a warning);
forced mode re-raises."""
from __future__ import annotations

import pytest
import torch

from pixelgrad.backends.triton import _router


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
