"""pixelgrad.kernels.motion: the motion kernel against its documented formula."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pixelgrad.kernels import fold, motion
from pixelgrad.kernels.motion import motion_kernel2d
from tests.functional._grad import _p


# ------------------------------------------------------------------ motion kernel formula
def _motion_formula(L: float, a: float, d: float) -> np.ndarray:
    """Plain transcription of the documented formula (sum over every i, no shortcuts)."""
    from pixelgrad.kernels.motion import motion_radius

    r = motion_radius(L)
    imax = max(0, math.ceil(L / 2 + 0.5 - 1e-9) - 1)
    k = np.zeros((2 * r + 1, 2 * r + 1))
    for yy in range(-r, r + 1):
        for xx in range(-r, r + 1):
            u = xx * math.cos(a) + yy * math.sin(a)
            v = -xx * math.sin(a) + yy * math.cos(a)
            acc = 0.0
            for i in range(-imax, imax + 1):
                prof = min(1.0, max(0.0, L / 2 + 0.5 - abs(i)))
                w = max(0.0, 1 + d * i / (L / 2))
                acc += prof * w * max(0.0, 1 - abs(u - i))
            k[yy + r, xx + r] = acc * max(0.0, 1 - abs(v))
    return k / k.sum()


def test_motion_kernel_matches_formula():
    from pixelgrad.kernels.motion import motion_kernel2d

    cases = [(1.0, 0.3, 0.0), (4.5, 1.0, 1.0), (7.0, -2.2, -0.4), (3.0, math.pi / 2, 0.0), (9.3, 3.0, 0.7)]
    for L, a, d in cases:
        np.testing.assert_allclose(motion_kernel2d(L, a, d).numpy(), _motion_formula(L, a, d), atol=1e-14)
    kb = motion_kernel2d(*(torch.tensor(c, dtype=torch.float64) for c in zip(*cases)))
    for b, (L, a, d) in enumerate(cases):
        k = _motion_formula(L, a, d)
        R, r = kb.shape[-1] // 2, k.shape[0] // 2
        np.testing.assert_allclose(kb[b, R - r:R + r + 1, R - r:R + r + 1].numpy(), k, atol=1e-14)
        outside = kb[b].clone()
        outside[R - r:R + r + 1, R - r:R + r + 1] = 0
        assert not outside.any()                   # nothing beyond the sample's own radius


def test_motion_kernel_with_grad_equals_kernel_at_integer_lengths():
    for L in (1.0, 2.0, 3.0, 7.0, 10.0):
        for a in (0.0, 0.7, -2.0):
            Lt = torch.tensor([L], dtype=torch.float64, requires_grad=True)
            k = motion_kernel2d(Lt, torch.tensor([a], dtype=torch.float64), 0.0)[0]
            torch.testing.assert_close(k.detach(), motion_kernel2d(L, a), rtol=0, atol=0)
            k.sum().backward()                         # sums to one: zero total derivative
            assert abs(float(Lt.grad)) < 1e-12
    k = motion_kernel2d(_p(7.0), 0.0, 0.0)[0]            # a (1,) tensor: one (K, K) kernel
    assert torch.equal(k.detach()[k.shape[0] // 2].nonzero().flatten(),
                       torch.arange(k.shape[1] // 2 - 3, k.shape[1] // 2 + 4))


@pytest.mark.parametrize("L,angle,direction,border", [(301.3, 0.7, 0.0, "reflect"),
                                                       (401.0, 0.0, 0.5, "circular"),
                                                       (250.5, 2.1, -0.3, "constant"),
                                                       (151.0, 1.0, 0.0, "replicate")])
def test_sparse_motion_kernel_equals_the_dense_one(L, angle, direction, border, rng):
    H, W = (int(v) for v in rng.integers(3, 30, 2))
    dense = fold.folded_kernel2d(motion.motion_kernel2d(L, angle, direction), H, W, border)
    sparse = motion.sparse_folded_motion_kernel(L, angle, direction, H, W, border)
    np.testing.assert_allclose(sparse.numpy(), dense.numpy(), rtol=0, atol=1e-15)
