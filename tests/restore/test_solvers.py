"""Solvers: the tutorial's loop reproduced, monotone energies, CG against a sparse direct solve."""
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch

import pixelgrad as pg
from pixelgrad.restore import energies as E
from pixelgrad.restore import priors as P
from pixelgrad.restore import solvers as S
from pixelgrad.restore.constraints import FixedPixels
from tests.restore._tutorial_reference import tutorial_err_func
from tests.restore.test_energies import err_func_torch


def tutorial_loop_torch(normalized, I, iterations):
    """The tutorial's loop as written, with torch autograd standing in for `autograd`."""
    for w in range(iterations):
        L = max(1.5 / (w + 1), 0.015)
        v = normalized.clone().requires_grad_(True)
        err_func_torch(v).backward()
        grad = v.grad
        grad[I] = 0
        normalized = normalized - L * grad
        normalized[normalized < 0] = 0
        normalized[normalized > 1] = 1
    return normalized


def _tutorial_problem(h=14, w=11, seed=0):
    rs = np.random.RandomState(seed)
    A = rs.rand(h, w).astype(np.float32)
    I = rs.choice(a=[False, True], size=A.shape, p=[0.90, 0.1])
    noise = rs.choice([0, 1], A.shape)
    A[~I] = noise[~I]
    return A, I


def test_tutorial_method_matches_tutorial_loop():
    A, I = _tutorial_problem()
    ref = tutorial_loop_torch(torch.from_numpy(A.copy()), torch.from_numpy(I), 500)
    res = pg.restore.inpaint(torch.from_numpy(A), torch.from_numpy(I), "multiscale_gd")
    assert res.iterations == 500
    assert float((res.image - ref).abs().max()) < 1e-4
    assert np.array_equal(res.image.numpy()[I], A[I])


def test_tutorial_method_matches_autograd_package():
    ag = pytest.importorskip("autograd")            # in the dev extra: runs in `make test`
    anp = pytest.importorskip("autograd.numpy")

    def err_func(x):
        return tutorial_err_func(x, anp)

    A, I = _tutorial_problem()          # no line of equal values: autograd gives NaN there, we give 0
    normalized = A.copy()
    grad_error = ag.grad(err_func)
    for w in range(100):
        L = max(1.5 / (w + 1), 0.015)
        g = grad_error(normalized)
        g[I] = 0
        normalized = normalized - L * g
        normalized[normalized < 0] = 0
        normalized[normalized > 1] = 1
    res = pg.restore.inpaint(A, I, "multiscale_gd", iterations=100)
    assert np.abs(res.image - normalized).max() < 1e-4


def _problem(b=2, h=24, w=20, frac=0.7, seed=0):
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h, dtype=torch.float64), torch.linspace(0, 1, w, dtype=torch.float64), indexing="ij")
    clean = torch.stack([0.5 + 0.4 * torch.sin(3 * xx + 2 * yy + k) for k in range(b)])[:, None]
    known = torch.rand((b, 1, h, w), generator=g, dtype=torch.float64) >= frac
    return clean, known


def _sparse_laplacian(h, w):
    def d1(n):  # Neumann second difference (forward differences, D^T D)
        D = sp.diags([-np.ones(n - 1), np.ones(n - 1)], [0, 1], shape=(n - 1, n))
        return (D.T @ D)
    return -(sp.kron(sp.eye(h), d1(w)) + sp.kron(d1(h), sp.eye(w)))


@pytest.mark.parametrize("kind", ["harmonic", "biharmonic"])
def test_cg_matches_sparse_direct_solve(kind):
    clean, known = _problem()
    h, w = clean.shape[-2:]
    L = _sparse_laplacian(h, w).tocsr()
    A = (-2 * L if kind == "harmonic" else 2 * (L @ L)).tocsr()
    res = pg.restore.inpaint(clean, known, kind, tol=1e-10, iterations=5000)
    for b in range(clean.shape[0]):
        f = clean[b, 0].numpy().ravel()
        k = known[b, 0].numpy().ravel()
        u = ~k
        x = f.copy()
        x[u] = spla.spsolve(A[u][:, u].tocsc(), -A[u][:, k] @ f[k])
        np.testing.assert_allclose(res.image[b, 0].numpy().ravel(), x, atol=1e-6)


def test_cg_energy_monotone_and_exact_bookkeeping():
    clean, known = _problem(b=3)
    res = pg.restore.inpaint(clean, known, "biharmonic", tol=1e-12, iterations=300)
    h = res.history
    assert h.shape[1] == 3 and h.shape[0] > 10
    assert bool((h[1:] <= h[:-1] * (1 + 1e-9) + 1e-12).all())
    final, _ = E.biharmonic(res.image)
    torch.testing.assert_close(h[-1], final, rtol=1e-6, atol=1e-9)


def test_fista_monotone_and_tv_decreases():
    """The generic solvers with the known pixels as a constraint: MFISTA on smoothed TV never
    increases, Chambolle-Pock on exact TV decreases it, and the two minimisers agree."""
    clean, known = _problem(b=2)
    start = torch.where(known, clean, torch.full_like(clean, 0.5))
    fixed = FixedPixels(known, start, (0.0, 1.0))
    x, h = S.fista(None, None, P.Charbonnier(1.0, eps=1e-2), x0=start, constraint=fixed, monotone=True,
                   iterations=80)
    assert bool((h[1:] <= h[:-1]).all())
    assert torch.equal(x[known], start[known])
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    tv = P.TotalVariation(1.0)
    x2, h2 = S.pdhg(None, None, tv, x0=start, constraint=fixed, iterations=200)
    assert torch.equal(x2[known], start[known])
    assert bool((h2[-1] < tv.value(start)).all())
    # the TV minimizer is close to the smoothed-TV one
    assert float((tv.value(x2) - tv.value(x)).abs().max()) < 0.05 * float(tv.value(x).max())


def test_multiscale_descent_batched_equals_single():
    clean, known = _problem(b=3, h=12, w=9)
    x = torch.where(known, clean, torch.zeros_like(clean)).float()

    def descend(xb, kb):
        return S.gradient_descent(None, None, P.MultiscaleSmoothness(1.0), x0=xb, step=S.tutorial_step,
                                  constraint=FixedPixels(kb, xb, (0.0, 1.0)), objective_before=True, iterations=50)
    out, h = descend(x, known)
    for b in range(3):
        o1, h1 = descend(x[b:b + 1], known[b:b + 1])
        torch.testing.assert_close(out[b:b + 1], o1)
        torch.testing.assert_close(h[:, b:b + 1], h1)


def test_cg_with_fixed_pixels_is_exact_per_plane():
    """Per-plane CG over the free pixels: the recorded objective equals the energy of the
    result (exact bookkeeping) and the fixed pixels never move."""
    clean, known = _problem(b=2)
    x3 = clean.expand(2, 3, *clean.shape[-2:]).contiguous()
    start = torch.where(known, x3, torch.full_like(x3, 0.5))
    x, h = S.cg(None, None, P.Biharmonic(1.0), x0=start, constraint=FixedPixels(known, start), per_plane=True,
                tol=1e-10, iterations=400)
    assert torch.equal(x[known.expand_as(x)], start[known.expand_as(x)])
    torch.testing.assert_close(h[-1], E.biharmonic(x)[0], rtol=1e-6, atol=1e-9)
