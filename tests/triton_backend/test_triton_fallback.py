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
