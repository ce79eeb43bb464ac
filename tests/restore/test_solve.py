"""pixelgrad.restore.solve and the facades: clear errors, never a non-finite image (issue 22)."""
from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad.restore import operators as O
from pixelgrad.restore import priors as P


def _x() -> torch.Tensor:
    return torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("call, match", [
    (lambda x: pg.restore.denoise(x, sigma=1e300, method="tv"), r"denoise: argument `sigma` must be a finite number in"),
    (lambda x: pg.restore.denoise(x * 1e30), r"denoise: argument `image` must be in \[0, 1\] units"),
    (lambda x: pg.restore.denoise(x.double() * 1e300), r"denoise: argument `image` must be in \[0, 1\] units"),
    (lambda x: pg.restore.deblur(x, torch.full((3, 3), 1e300, dtype=torch.float64), noise=0.01),
     r"Blur: argument `kernel` must be a point-spread function with a sum > 0"),
    (lambda x: pg.restore.deblur(x, torch.zeros(3, 3, dtype=torch.float64), noise=0.01),
     r"Blur: argument `kernel` must be a point-spread function with a sum > 0"),
    (lambda x: pg.restore.solve(x, O.Identity(), P.Harmonic(1e300)), r"Harmonic: argument `weight` must be a finite"),
    (lambda x: pg.restore.solve(x, O.Identity(), P.Harmonic(1.0), x0=torch.full_like(x, float("nan"))),
     r"solve: argument `x0` must be finite values"),
    (lambda x: pg.restore.solve(x, O.Identity(), P.TotalVariation(0.1), bounds=(float("nan"), 1)),
     r"solve: argument `bounds` must be None or a pair \(lo, hi\) of finite numbers with lo < hi"),
    (lambda x: pg.restore.solve(x, O.Identity(), P.TotalVariation(0.1), bounds=(1, 0)),
     r"solve: argument `bounds` must be None or a pair"),
])
def test_non_finite_or_black_results_are_refused_at_the_input(call, match):
    """Bug: these wrote all-black (NaN) or all-zero images: sigma=1e300, image * 1e30, a PSF
    full of 1e300, Harmonic(1e300), x0=NaN, bounds=(nan, 1) gave NaN; bounds=(1, 0) zeros and
    an all-zero PSF a black image. The inputs are now checked, naming the argument."""
    with pytest.raises(ValueError, match=match):
        call(_x())


@pytest.mark.parametrize("call, match", [
    (lambda x: pg.restore.solve(x, O.Blur(torch.zeros(3, 3, dtype=torch.float64)), P.TotalVariation(0.1),
                                solver="fista"), r"Blur: argument `kernel`"),
    (lambda x: pg.restore.solve(x, O.Identity(), P.TotalVariation(0.1), solver="hqs", mu=(0, 1)),
     r"hqs: argument `mu` must be a pair"),
    (lambda x: pg.restore.solve(x, O.Identity(), P.TotalVariation(0.1), solver="hqs", mu=(-1.0, -2.0)),
     r"hqs: argument `mu` must be a pair"),
    (lambda x: pg.restore.deblur(torch.rand(2, 1, 16, 16), torch.ones(3, 3, 3, dtype=torch.float64) / 9,
                                 noise=0.01), r"Blur: argument `kernel` must be one point-spread function per image"),
    (lambda x: pg.restore.solve(x, O.Identity(), P.Harmonic(1.0), x0=torch.zeros(1, 1, 8, 8)),
     r"solve: argument `x0` must be a real tensor of the unknown's shape \(1, 1, 16, 16\)"),
    (lambda x: pg.restore.solve(torch.rand(2, 1, 8, 8), O.Mask(torch.ones(3, 1, 8, 8, dtype=torch.bool)),
                                P.Harmonic(1.0)), r"Mask: argument `known` must be a mask of batch 1 or 2"),
    (lambda x: pg.restore.solve(x, O.Identity(), P.Harmonic(1.0), x0="zeros"), r"solve: argument `x0`"),
])
def test_restore_api_raises_value_or_type_errors_naming_the_argument(call, match):
    """Bug: ZeroDivisionError (all-zero PSF with fista, hqs mu=(0, 1)), NotImplementedError
    (negative mu), RuntimeError (PSF count not the batch size, x0 of the wrong shape, Mask
    batch mismatch) escaped the restore API."""
    with pytest.raises((ValueError, TypeError), match=match):
        call(_x())


def test_numpy_x0_is_accepted_as_a_tensor():
    """Bug: a numpy x0 raised AttributeError ('numpy.ndarray' object has no attribute 'clone')."""
    x = _x()
    a = pg.restore.solve(x, O.Identity(), P.Harmonic(1.0), x0=x.numpy() * 0 + 0.5, iterations=5)
    b = pg.restore.solve(x, O.Identity(), P.Harmonic(1.0), x0=torch.full_like(x, 0.5), iterations=5)
    assert torch.equal(a.image, b.image)


def test_five_thousand_chained_compositions_do_not_recurse():
    """Bug: 5,000 chained ``@`` raised RecursionError; compositions are now flattened."""
    ops = [O.Identity() for _ in range(5000)]
    chain = functools.reduce(lambda a, b: a @ b, ops)
    assert len(chain.factors) == 5000 and "5000 factors" in repr(chain)
    x = _x()
    assert torch.equal(chain(x), x) and torch.equal(chain.adjoint(x), x) and chain.norm_bound() == 1.0
    res = pg.restore.solve(x, chain, P.Harmonic(1.0), iterations=3)
    assert bool(torch.isfinite(res.image).all())


@pytest.mark.parametrize("scalar", [np.float32(0.1), np.float64(0.1), np.array(0.1), np.float16(0.1)])
def test_numpy_scalars_are_numbers_everywhere(scalar):
    """Bug: denoise(sigma=np.float32(0.1)) was refused while np.float64 worked."""
    x = _x()
    want = pg.restore.denoise(x, sigma=float(scalar)).image
    assert torch.equal(pg.restore.denoise(x, sigma=scalar).image, want)
    assert pg.restore.deblur(x, sigma=1.0, noise=scalar, time_budget=np.float32(60)).image.shape == x.shape
    assert P.Harmonic(scalar).weight == float(scalar)
    pg.restore.solve(x, O.Identity(), P.TotalVariation(scalar), bounds=(np.float32(0), np.int64(1)),
                     tol=scalar, iterations=2)


def test_a_solver_that_still_produces_non_finite_values_is_an_error(monkeypatch):
    """The last guard: whatever the inputs, the facades never return NaN / inf."""
    from pixelgrad.restore import solvers

    def nan_solver(operator, data, prior, **kw):
        return torch.full_like(data, float("nan")), torch.zeros(1, data.shape[0], dtype=torch.float64)

    monkeypatch.setitem(solvers.SOLVERS, "cg", nan_solver)
    with pytest.raises(ValueError, match="solve: the solver produced non-finite values"):
        pg.restore.solve(_x(), O.Identity(), P.Harmonic(1.0), solver="cg")
