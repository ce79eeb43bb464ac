"""pixelgrad.kernels.fold: folding kernels wider than the image onto it, against brute-force folds."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pixelgrad.borders import BORDERS
from pixelgrad.kernels import fold


def test_folded_box_counts_match_brute_force_fold():
    from pixelgrad.kernels.fold import fold_kernel1d, folded_box1d

    for n in (1, 2, 3, 5, 8):
        for border in BORDERS:
            for size in (1, 7, 33, 101, 1001):
                brute = fold_kernel1d(torch.full((size,), 1.0 / size, dtype=torch.float64), n, border)
                torch.testing.assert_close(folded_box1d(size, n, border), brute, atol=1e-15, rtol=0)


# ----------------------------------------------------------------------------- kernels
@pytest.mark.parametrize("border", ["circular", "reflect", "symmetric", "replicate", "constant"])
def test_closed_form_fold_equals_the_exact_fold(border, rng, monkeypatch):
    n = int(rng.integers(1, 9))
    sigma = float(rng.uniform(300, 2000))
    exact = fold.folded_gaussian1d(sigma, 4.0, n, border)         # below the threshold: exact
    monkeypatch.setattr(fold, "_CLOSED_FORM_TAPS", 0)
    assert fold._use_closed_form(sigma, fold.gaussian_radius(sigma, 4.0), n, border)
    closed = fold.folded_gaussian1d(sigma, 4.0, n, border)
    assert closed.shape == exact.shape
    np.testing.assert_allclose(closed.numpy(), exact.numpy(), rtol=1e-12, atol=1e-18)


# ------------------------------------------------------- issue 22: radius given, any size
@pytest.mark.parametrize("border", ["circular", "reflect", "symmetric", "replicate", "constant"])
def test_folded_gaussian_with_a_huge_radius_is_built_without_the_taps(border):
    """Bug: gaussian_blur(kernel_size=10**9 + 1) built the 10^9 taps before folding them
    (23 GB, 57 s; radius=1e12 a RuntimeError). The taps beyond the float64 support of the
    Gaussian are exact zeros: the fold skips them and equals the fold of the support."""
    n, sigma = 7, 2.5
    r = fold.gaussian_support(sigma)
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    assert float(torch.exp(-0.5 * (t[:1] / sigma) ** 2)) == 0.0          # support edge: zero
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    want = fold.fold_kernel1d(k / k.sum(), n, border)
    for radius in (10**9, 10**12, 10**400):
        got = fold.folded_gaussian1d(sigma, 4.0, n, border, radius=radius)
        torch.testing.assert_close(got, want, atol=1e-15, rtol=0)


def test_folded_gaussian_radius_keeps_the_result_of_a_short_radius():
    """A given radius below the support is folded exactly as before (its own taps)."""
    t = torch.arange(-12, 13, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / 3.0) ** 2)
    torch.testing.assert_close(fold.folded_gaussian1d(3.0, 4.0, 4, "reflect", radius=12),
                               fold.fold_kernel1d(k / k.sum(), 4, "reflect"), atol=1e-15, rtol=0)
