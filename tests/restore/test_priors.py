"""restore.priors and the generic solvers: gradients vs autograd, proxes vs closed forms /
an independent solver, every solver lowers the objective, one history format."""
import numpy as np
import pytest
import torch

from pixelgrad.restore import operators as O
from pixelgrad.restore import priors as P
from pixelgrad.restore import solvers as S


def _img(rng, shape=(2, 1, 12, 14)):
    return torch.from_numpy(rng.random(shape))


@pytest.mark.parametrize("prior", [P.Harmonic(0.7), P.Biharmonic(0.3), P.Charbonnier(0.5, eps=0.05),
                                   P.Charbonnier(0.5, eps=0.05, isotropic=False)])
def test_gradient_matches_autograd(rng, prior):
    x = _img(rng).requires_grad_(True)
    prior.value(x).sum().backward()
    torch.testing.assert_close(prior.grad(x.detach()), x.grad, atol=1e-9, rtol=1e-7)


def test_multiscale_gradient_is_the_energy_gradient(rng):
    """(the energy's gradient itself is checked against autograd in tests/restore/test_energies.py)"""
    from pixelgrad.restore import energies

    x = _img(rng)
    torch.testing.assert_close(P.MultiscaleSmoothness(0.4).grad(x), 0.4 * energies.multiscale_smoothness(x)[1])
    torch.testing.assert_close(P.MultiscaleSmoothness(0.4).value(x), 0.4 * energies.multiscale_smoothness(x)[0])


@pytest.mark.parametrize("prior", [P.Harmonic(0.7), P.Biharmonic(0.3)])
def test_quadratic_hessian_is_gradient_derivative(rng, prior):
    x, v = _img(rng), _img(rng)
    torch.testing.assert_close(prior.hessian(v), prior.grad(x + v) - prior.grad(x), atol=1e-9, rtol=1e-7)


def test_harmonic_prox_satisfies_optimality(rng):
    v = _img(rng)
    pr, t = P.Harmonic(0.5), 0.8
    u = pr.prox(v, t)
    torch.testing.assert_close((u - v) / t + pr.grad(u), torch.zeros_like(u), atol=1e-6, rtol=0)


@pytest.mark.parametrize("isotropic", [True, False])
def test_tv_prox_is_rof(rng, isotropic):
    """prox of lambda TV = the ROF minimiser; isotropic checked against scikit-image's
    Chambolle solver (same discretisation), both checked by objective perturbation."""
    v = _img(rng, (1, 1, 16, 16))
    pr = P.TotalVariation(0.1, isotropic=isotropic, iterations=800)
    u = pr.prox(v, 1.0)

    def obj(z):
        return float(pr.value(z) + 0.5 * (z - v).square().sum())
    f = obj(u)
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        assert obj(u + 1e-3 * torch.randn(u.shape, generator=g, dtype=u.dtype)) >= f - 1e-9
    if isotropic:
        from skimage.restoration import denoise_tv_chambolle

        ref = denoise_tv_chambolle(v[0, 0].numpy(), weight=0.1, eps=1e-9, max_num_iter=2000)
        assert np.abs(u[0, 0].numpy() - ref).max() < 5e-3


def test_block_dct_prox_is_hard_threshold(rng):
    """Against scipy's orthonormal DCT of every 16x16 block (unshifted grid)."""
    from scipy.fft import dctn, idctn

    from pixelgrad.restore.dct import block_hard_threshold, dct_matrix

    v = _img(rng, (1, 1, 32, 48))
    tau = 0.3
    u = block_hard_threshold(v, tau, (0, 0), 16, dct_matrix(16, torch.float64))
    ref = np.empty((32, 48))
    for i in range(0, 32, 16):
        for j in range(0, 48, 16):
            c = dctn(v[0, 0, i:i + 16, j:j + 16].numpy(), norm="ortho")
            keep = np.abs(c) > tau
            keep[0, 0] = True
            ref[i:i + 16, j:j + 16] = idctn(c * keep, norm="ortho")
    np.testing.assert_allclose(u[0, 0].numpy(), ref, atol=1e-12)
    assert torch.allclose(P.BlockDCTSparsity(weight=0.0).prox(v, 1.0), v, atol=1e-12)
    assert float(P.BlockDCTSparsity(1.0).value(u)) < float(P.BlockDCTSparsity(1.0).value(v))


def test_eed_step_is_a_denoiser(rng):
    v = torch.from_numpy(rng.random((1, 1, 24, 24)))
    u = P.EdgeEnhancingDiffusion(contrast=0.05).prox(v, 0.6)
    assert float(P.TotalVariation().value(u)) < float(P.TotalVariation().value(v))


def _problem(rng):
    x = torch.from_numpy(rng.random((2, 1, 20, 20)))
    A = O.Blur(sigma=1.2, border="reflect")
    g = torch.Generator().manual_seed(int(rng.integers(1000)))
    return A, A(x) + 0.01 * torch.randn(x.shape, generator=g, dtype=x.dtype)


@pytest.mark.parametrize("solver,prior", [
    (S.gradient_descent, P.Charbonnier(0.01)), (S.fista, P.TotalVariation(0.01)),
    (S.fista, P.Charbonnier(0.01)), (S.cg, P.Harmonic(0.01)), (S.pdhg, P.TotalVariation(0.01)),
    (S.hqs, P.TotalVariation(0.01, iterations=20))])
def test_solvers_lower_the_objective_with_one_history_format(rng, solver, prior):
    A, y = _problem(rng)
    seen = []
    x, hist = solver(A, y, prior, iterations=15, callback=lambda k, f, z: seen.append((k, f.shape, z.shape)))
    assert hist.dtype == torch.float64 and hist.shape[1] == 2 and 1 <= hist.shape[0] <= 15
    assert len(seen) == hist.shape[0] and seen[0] == (0, (2,), (2, 1, 20, 20))
    f0 = S.objective(A, y, prior, A.adjoint(y))
    assert bool((hist[-1] < f0).all())


def test_hqs_takes_a_plug_and_play_denoiser(rng):
    A, y = _problem(rng)
    x, hist = S.hqs(A, y, P.EdgeEnhancingDiffusion(0.05), iterations=3, inner=5, mu=(1.0, 10.0))
    assert hist.shape == (3, 2) and bool(torch.isfinite(x).all())


def test_cg_solves_the_normal_equations(rng):
    A, y = _problem(rng)
    pr = P.Harmonic(0.05)
    x, _ = S.cg(A, y, pr, iterations=500, tol=1e-10)
    r = A.adjoint(A(x) - y) + pr.hessian(x)
    assert float(r.abs().max()) < 1e-7


def test_pdhg_and_fista_agree_on_tv(rng):
    A, y = _problem(rng)
    pr = P.TotalVariation(0.02, iterations=40)
    a, _ = S.pdhg(A, y, pr, iterations=400)
    b, _ = S.fista(A, y, pr, iterations=100)
    fa, fb = S.objective(A, y, pr, a), S.objective(A, y, pr, b)
    assert bool(((fa - fb).abs() <= 5e-3 * fa).all())


def test_solver_errors():
    A = O.Identity()
    y = torch.rand(1, 1, 8, 8)
    with pytest.raises(TypeError, match="prior"):
        S.cg(A, y, P.TotalVariation())
    with pytest.raises(TypeError, match="prior"):
        S.pdhg(A, y, P.Harmonic())
    with pytest.raises(ValueError, match="iterations"):
        S.fista(A, y, P.TotalVariation(), iterations=-1)
    with pytest.raises(ValueError, match="weight"):
        P.Harmonic(-1.0)
