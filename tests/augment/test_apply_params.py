"""A transform's op is ``apply_params(x, **values)``; ``apply`` is ``torch.nn.Module.apply(fn)``
on transforms too (it used to be shadowed by the op), and subclasses written against the old
name ``apply(x, **values)`` keep working with a DeprecationWarning."""
from __future__ import annotations

import warnings

import pytest
import torch

import pixelgrad as pg
from pixelgrad import augment as A
from tests.augment._pipeline import full_pipeline


def test_module_apply_works_on_a_sequential_holding_a_transform():
    t = A.RandomGaussianBlur(sigma=(0.5, 2.0))
    x = torch.rand(4, 3, 16, 16)
    before = t(x, seed=3)
    model = torch.nn.Sequential(t)
    assert model.apply(lambda m: None) is model
    seen: list[torch.nn.Module] = []
    assert full_pipeline().apply(seen.append) is not None
    assert any(isinstance(m, A.RandomGaussianBlur) for m in seen)
    assert torch.equal(t(x, seed=3), before)                 # output unchanged
    assert model(x).shape == x.shape                           # the Sequential runs the transform


def test_apply_params_is_the_op_and_the_output_is_unchanged():
    t = A.RandomGaussianBlur(sigma=(0.5, 2.0))
    x = torch.rand(4, 3, 16, 16, dtype=torch.float64)
    y, params = t(x, seed=5, return_params=True)
    assert bool(params.applied.all())
    assert torch.equal(y, t.apply_params(x, **params.values))
    assert torch.allclose(y, pg.gaussian_blur(x, params.values["sigma"]), rtol=0, atol=1e-12)
    assert "apply" not in vars(A.Transform) and "apply" not in vars(A.RandomGaussianBlur)


def test_old_style_subclass_is_routed_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="apply_params"):
        class Old(A.Transform):                                # a subclass of before the rename
            def sample(self, shape, rng):
                return {"gain": rng.uniform(0.5, 0.9)}

            def apply(self, x, **v):
                return x * v["gain"].to(x.dtype)[:, None, None, None]

            def config(self):
                return {"p": self.p}

    x = torch.rand(3, 1, 4, 4, dtype=torch.float64)
    y, params = Old()(x, seed=0, return_params=True)
    assert torch.equal(y, x * params.values["gain"][:, None, None, None])
    assert Old.apply_params is Old.apply


def test_old_style_override_of_a_builtin_transform_wins():
    with pytest.warns(DeprecationWarning, match="apply_params"):
        class Doubled(A.RandomGradient):
            def apply(self, x, **v):
                return 2 * x

    x = torch.rand(2, 3, 5, 5)
    assert torch.equal(Doubled()(x, seed=1), 2 * x)


def test_new_style_and_module_apply_overrides_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class New(A.RandomGradient):
            def apply_params(self, x, **v):
                return x

        class Visits(A.RandomGradient):
            def apply(self, fn):                               # an override of nn.Module.apply
                return super().apply(fn)

    x = torch.rand(2, 3, 5, 5)
    assert torch.equal(New()(x, seed=1), x)
    seen: list[torch.nn.Module] = []
    v = Visits()
    assert v.apply(seen.append) is v and seen == [v]
    assert not torch.equal(v(x, seed=1), x)                   # the inherited op runs
