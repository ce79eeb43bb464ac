"""Illumination transforms (augment.illumination): the drawn parameters and the seed's distribution."""
from __future__ import annotations

import numpy as np
import torch

from pixelgrad import augment as A
from pixelgrad.augment import Rng


def test_random_gradient_defaults_are_the_seeds_distribution():
    t = A.RandomGradient()
    P = t.draw((4000, 3, 8, 8), Rng(4000, torch.Generator().manual_seed(0)))
    a, b, al = P.values["a"], P.values["b"], P.values["alpha"]
    assert a.shape == (4000,) and bool(P.applied.all())
    assert a.min() >= -1 and a.max() <= 1 and b.min() >= -1 and b.max() <= 1
    assert al.min() >= 0.05 and al.max() <= 0.15
    # uniform: mean and variance of U(-1, 1) are 0 and 1/3 (4000 draws: sd of mean ~ 0.009)
    assert abs(float(a.mean())) < 0.05 and abs(float(a.var()) - 1 / 3) < 0.03
    assert abs(float(al.mean()) - 0.1) < 0.003
    assert abs(float(torch.corrcoef(torch.stack([a, b, al]))[0, 1])) < 0.06  # independent draws


def test_applies_the_seed_formula_with_the_drawn_parameters():
    x = torch.rand(6, 3, 12, 15, dtype=torch.float64)
    y, P = A.RandomGradient()(x, seed=5, return_params=True)
    U, V = np.meshgrid(np.linspace(0, 1, 15), np.linspace(0, 1, 12))
    for i, d in enumerate(P.per_sample()):
        g = U * d["a"] + V * d["b"]
        ref = np.clip((1 - d["alpha"]) * x[i].numpy() + d["alpha"] * g, 0, 1)
        np.testing.assert_allclose(y[i].numpy(), ref, atol=1e-13)


def test_random_gradient_negative_strength_range_keeps_ramp_direction():
    t = A.RandomGradient(angle=(0.0, 0.0), strength=(-0.5, -0.5), alpha=(1.0, 1.0), mode="add",
                         offset=(0.1, 0.1), clamp=False)
    y = t(torch.zeros(2, 1, 3, 6, dtype=torch.float64), seed=0)
    np.testing.assert_allclose(y[:, 0, :, 0].numpy(), 0.1, rtol=0, atol=1e-12)      # offset on the left
    np.testing.assert_allclose(y[:, 0, :, -1].numpy(), -0.4, rtol=0, atol=1e-12)    # offset + strength
