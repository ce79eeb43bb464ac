"""The Triton registry functions inside the dispatcher: a kernel that fails to compile or
launch in auto mode falls back to torch (with a warning, remembered); forced mode re-raises;
kernels wider than the image arrive folded (built by the functional layer)."""
from __future__ import annotations

import pytest
import torch

import pixelgrad as pg
from pixelgrad.backends.registry import REGISTRY, Uncovered, lookup
from pixelgrad.functional import _run


def test_auto_mode_falls_back_and_forced_mode_raises(monkeypatch):
    lookup("triton", "separable")                       # registers the Triton functions
    calls = []

    def broken(x, *args, **kwargs):
        calls.append(1)
        raise RuntimeError("simulated CompilationError")

    monkeypatch.setitem(REGISTRY, ("triton", "separable"), broken)
    monkeypatch.setattr(_run, "BROKEN", {})
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises(RuntimeError, match="simulated"):
        pg.box_blur(x, 3, backend="triton")
    # 'auto' as on a CUDA tensor: Triton selected, not forced
    monkeypatch.setattr(_run, "_DEVICE", {"triton": "cpu", "opencv": "cpu", "numba": "cpu"})
    with pytest.warns(RuntimeWarning, match="using the torch backend"):
        y = pg.box_blur(x, 3)
    torch.testing.assert_close(y, pg.box_blur(x, 3, backend="torch"))
    n = len(calls)
    torch.testing.assert_close(pg.box_blur(x, 3), y)
    assert len(calls) == n                              # remembered as broken: not retried


def test_uncovered_declines_in_auto_mode(monkeypatch):
    lookup("triton", "separable")

    def uncovered(x, *args, **kwargs):
        raise Uncovered("a simulated case")

    monkeypatch.setitem(REGISTRY, ("triton", "separable"), uncovered)
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises(ValueError, match="box_blur: argument `backend`.*simulated case"):
        pg.box_blur(x, 3, backend="triton")
    monkeypatch.setattr(_run, "_DEVICE", {"triton": "cpu", "opencv": "cpu", "numba": "cpu"})
    torch.testing.assert_close(pg.box_blur(x, 3), pg.box_blur(x, 3, backend="torch"))


def test_backends_receive_kernels_not_parameters(monkeypatch):
    """Every registered Triton filter gets KernelStacks built by the functional layer."""
    lookup("triton", "separable")
    seen = []

    def spy(kind):
        def fn(x, *args, **kwargs):
            seen.append((kind, args, kwargs))
            return x.clone()
        return fn

    monkeypatch.setitem(REGISTRY, ("triton", "separable"), spy("separable"))
    monkeypatch.setitem(REGISTRY, ("triton", "2d"), spy("2d"))
    x = torch.rand(3, 1, 9, 9)
    sig = torch.tensor([0.5, 1.0, 2.0])
    pg.gaussian_blur(x, sig, backend="triton")
    pg.gaussian_blur(x, (1.0, 2.0), angle=0.3, kernel_size=(5, 7), backend="triton")
    pg.box_blur(x, 3, backend="triton")
    pg.motion_blur(x, torch.tensor([3.0, 5.0, 7.0]), 0.4, backend="triton")
    kinds = [k for k, _, _ in seen]
    assert kinds == ["separable", "2d", "separable", "2d"]
    ky = seen[0][2]["ky"]
    assert ky.weights.shape == (3, 2 * 8 + 1) and ky.shapes == ((5,), (9,), (17,))
    for b, s in enumerate(sig.tolist()):
        torch.testing.assert_close(ky.row(b), pg.kernels.gaussian_kernel1d(s), rtol=0, atol=1e-15)
    assert seen[1][2]["k"].max_shape == (5, 7)
    from pixelgrad.kernels.motion import motion_kernel2d, motion_radius

    k = seen[3][2]["k"]
    assert k.shapes == tuple((2 * motion_radius(v) + 1,) * 2 for v in (3.0, 5.0, 7.0))
    for b, v in enumerate((3.0, 5.0, 7.0)):
        torch.testing.assert_close(k.row(b), motion_kernel2d(v, 0.4, 0.0), rtol=0, atol=1e-15)


def test_huge_kernels_are_folded_not_materialised():
    """A box of 10^9 + 1 or sigma 10^6 on a small image must not materialise the kernel: the
    functional layer folds it onto the border period (same result as the torch backend)."""
    x = torch.rand(2, 1, 6, 7)
    y = pg.box_blur(x, 10**9 + 1, backend="triton")
    torch.testing.assert_close(y, pg.box_blur(x, 10**9 + 1, backend="torch"), atol=1e-5, rtol=1e-5)
    sigma = torch.tensor([[1e6, 1e6], [2.0, 1e5]], dtype=torch.float64)
    y = pg.gaussian_blur(x, sigma, border="symmetric", backend="triton")
    ref = pg.gaussian_blur(x, sigma, border="symmetric", backend="torch")
    torch.testing.assert_close(y, ref, atol=1e-5, rtol=1e-5)
    y = pg.motion_blur(x, 5000.0, 0.3, backend="triton")
    torch.testing.assert_close(y, pg.motion_blur(x, 5000.0, 0.3, backend="torch"), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("border", ["reflect", "constant", "circular"])
def test_explicit_kernel_sizes_run_on_triton(rng, border):
    """kernel_size= / radius= (formerly refused with backend='triton'): the functional layer
    builds those kernels, so the Triton kernels run them; compared with float64 torch."""
    x = torch.from_numpy(rng.random((3, 2, 11, 13))).float()
    sig = torch.from_numpy(rng.uniform(0.5, 3.0, 3))
    cases = [lambda v, b: pg.gaussian_blur(v, sig, kernel_size=(5, 9), border=border, backend=b),
             lambda v, b: pg.gaussian_blur(v, (1.0, 2.5), radius=(2, 6), angle=0.7, border=border, backend=b),
             lambda v, b: pg.motion_blur(v, torch.tensor([4.0, 9.0, 2.0]), 0.5, radius=2, border=border,
                                         backend=b)]
    for call in cases:
        y = call(x, "triton")
        ref = call(x.double(), "torch")
        assert y.dtype == x.dtype and torch.isfinite(y).all()
        assert float((y.double() - ref).abs().max()) <= 1e-5
