"""The dispatch between backends: the Triton hook contract, and parameters that require
grad routed to torch."""
from __future__ import annotations

import pytest
import torch

import pixelgrad as pg
from pixelgrad.functional import _run
from tests.functional._grad import _x


@pytest.mark.parametrize("op, call, keys", [
    ("linear_gradient", lambda x: pg.linear_gradient(x, torch.rand(4), 0.5, 0.1), {"a", "b", "alpha", "offset"}),
    ("linear_gradient", lambda x: pg.linear_gradient(x, alpha=0.1, angle=1.0, strength=torch.rand(4, 3)),
     {"a", "b", "alpha", "offset"}),
    ("corner_gradient", lambda x: pg.corner_gradient(x, torch.tensor([0, 1, 2, 3])), {"corner", "strength", "alpha", "offset"}),
    ("radial_gradient", lambda x: pg.radial_gradient(x), {"center", "radius", "strength", "alpha", "offset"}),
    ("gaussian_spot", lambda x: pg.gaussian_spot(x), {"center", "sigma", "strength", "alpha", "offset"}),
])
def test_field_request_contract(op, call, keys):
    """Each op hands one ``field`` request to the backends, with the documented names /
    shapes (what :func:`_run.capture` records and every backend's ``field`` receives)."""
    x = torch.rand(4, 3, 6, 7)
    name, params = _run.capture(lambda: call(x))
    assert name == op
    assert set(params) == keys | {"mode", "clamp"}
    photometric = [params[k] for k in ("alpha", "offset", "strength", "a", "b") if k in params]
    assert all(t.dtype == torch.float64 and t.device.type == "cpu" for t in photometric)
    assert len({t.shape for t in photometric}) == 1 and photometric[0].shape in ((4,), (4, 3))
    for k in ("center", "radius", "sigma"):
        if k in params:
            assert params[k].shape == (4, 2) and params[k].dtype == torch.float64
    if "corner" in params:
        assert params["corner"].shape == (4,)
    assert call(x).shape == x.shape


@pytest.mark.parametrize("backend", ["opencv", "triton", "auto"])
def test_parameters_requiring_grad_route_to_torch_instead_of_detaching(rng, backend):
    x = _x(rng)
    s = torch.tensor(1.2, dtype=torch.float64, requires_grad=True)
    y = pg.gaussian_blur(x, s, backend=backend)
    assert y.requires_grad
    (g,) = torch.autograd.grad(y.sum() + (y ** 2).sum(), s)
    assert float(g) != 0
    torch.testing.assert_close(y.detach(), pg.gaussian_blur(x, 1.2, backend="torch"), rtol=0, atol=1e-12)
    L = torch.tensor(4.5, dtype=torch.float64, requires_grad=True)
    assert pg.motion_blur(x, L, 0.3, backend=backend).requires_grad
    if backend != "opencv":
        al = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        assert pg.gaussian_spot(x, al, backend=backend).requires_grad


def test_no_grad_mode_detaches_as_usual(rng):
    x = _x(rng)
    s = torch.tensor(1.2, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        y = pg.gaussian_blur(x, s)
    assert not y.requires_grad
    torch.testing.assert_close(y, pg.gaussian_blur(x, 1.2), rtol=0, atol=1e-12)
