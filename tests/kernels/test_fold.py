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
