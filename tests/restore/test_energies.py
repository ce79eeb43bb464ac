"""Energies: values against literal re-implementations, gradients against torch autograd (float64)."""
import numpy as np
import pytest
import torch

from tests.restore._tutorial_reference import tutorial_err_func
from pixelgrad.restore import energies as E


def err_func_numpy(x):
    """The tutorial's err_func (numpy instead of autograd.numpy)."""
    return tutorial_err_func(x, np)


def err_func_torch(x):
    return tutorial_err_func(x, torch)


@pytest.mark.parametrize("shape", [(9, 12), (10, 7), (3, 4), (2, 5)])
def test_tutorial_value_matches_err_func(shape):
    rng = np.random.default_rng(1)
    imgs = rng.random((3, 2, *shape))
    e, _ = E.multiscale_smoothness(torch.from_numpy(imgs), need_grad=False)
    want = [sum(err_func_numpy(imgs[b, c]) for c in range(2)) for b in range(3)]
    np.testing.assert_allclose(e.numpy(), want, rtol=1e-12)


def _autograd_grad(fn, x):
    v = x.clone().requires_grad_(True)
    fn(v).sum().backward()
    return v.grad


@pytest.mark.parametrize("shape", [(9, 12), (10, 7), (3, 3)])
def test_tutorial_grad_matches_autograd(shape):
    x = torch.rand(2, 1, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    e, g = E.multiscale_smoothness(x)
    ref = torch.stack([_autograd_grad(err_func_torch, x[b, 0]) for b in range(2)])[:, None]
    torch.testing.assert_close(g, ref, rtol=1e-10, atol=1e-12)


def test_tutorial_grad_zero_row_is_finite():
    x = torch.zeros(1, 1, 5, 6, dtype=torch.float64)
    x[0, 0, 2, 3] = 1.0
    e, g = E.multiscale_smoothness(x)
    assert torch.isfinite(g).all() and torch.isfinite(e).all()


def _tv_ref(x, isotropic, eps):
    dy = torch.cat([x[..., 1:, :] - x[..., :-1, :], torch.zeros_like(x[..., :1, :])], -2)
    dx = torch.cat([x[..., :, 1:] - x[..., :, :-1], torch.zeros_like(x[..., :, :1])], -1)
    if isotropic:
        t = (dy ** 2 + dx ** 2 + eps ** 2).sqrt() - eps
    else:
        t = (dy ** 2 + eps ** 2).sqrt() + (dx ** 2 + eps ** 2).sqrt() - 2 * eps
    return t.flatten(1).sum(1)


def _lap_ref(x):
    """5-point Laplacian with mirrored (symmetric) ghost cells, written with explicit padding."""
    p = torch.cat([x[..., :1, :], x, x[..., -1:, :]], -2)
    p = torch.cat([p[..., :1], p, p[..., -1:]], -1)
    return p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:] - 4 * x


@pytest.mark.parametrize("name", ["tv", "tv-aniso", "harmonic", "biharmonic"])
def test_energy_values_and_grads(name):
    x = torch.rand(3, 2, 8, 11, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    refs = {
        "tv": lambda v: _tv_ref(v, True, 1e-3),
        "tv-aniso": lambda v: _tv_ref(v, False, 1e-3),
        "harmonic": lambda v: ((v[..., 1:, :] - v[..., :-1, :]) ** 2).flatten(1).sum(1)
        + ((v[..., :, 1:] - v[..., :, :-1]) ** 2).flatten(1).sum(1),
        "biharmonic": lambda v: (_lap_ref(v) ** 2).flatten(1).sum(1),
    }
    e, g = E.ENERGIES[name](x)
    torch.testing.assert_close(e, refs[name](x), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(g, _autograd_grad(refs[name], x), rtol=1e-9, atol=1e-10)


def test_energies_do_not_modify_input_and_are_batched():
    x = torch.rand(4, 1, 10, 10, dtype=torch.float64)
    before = x.clone()
    for fn in E.ENERGIES.values():
        e, g = fn(x)
        assert e.shape == (4,) and g.shape == x.shape
        e1, g1 = fn(x[2:3])
        torch.testing.assert_close(e[2:3], e1)
        torch.testing.assert_close(g[2:3], g1)
    assert torch.equal(x, before)


def test_constant_image_has_zero_energy():
    x = torch.full((1, 1, 6, 7), 0.4, dtype=torch.float64)
    for fn in E.ENERGIES.values():
        e, g = fn(x)
        assert abs(float(e)) < 1e-12 and float(g.abs().max()) < 1e-12
