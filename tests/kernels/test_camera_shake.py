"""pixelgrad.kernels.camera_shake: random camera-shake PSFs (Boracchi & Foi 2012)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pixelgrad.kernels import camera_shake


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**62))


def _centroid(k: np.ndarray) -> tuple[float, float]:
    r = np.arange(k.shape[0]) - (k.shape[0] - 1) / 2
    return float((k.sum(1) * r).sum()), float((k.sum(0) * r).sum())


def _off_line_mass(k: np.ndarray) -> float:
    """Mass farther than one pixel from the kernel's principal axis (0 for a straight line)."""
    r = np.arange(k.shape[0]) - (k.shape[0] - 1) / 2
    Y, X = np.meshgrid(r, r, indexing="ij")
    cy, cx = (k * Y).sum(), (k * X).sum()
    cov = np.array([[(k * (Y - cy) ** 2).sum(), (k * (Y - cy) * (X - cx)).sum()],
                    [(k * (Y - cy) * (X - cx)).sum(), (k * (X - cx) ** 2).sum()]])
    normal = np.linalg.eigh(cov)[1][:, 0]
    return float(k[np.abs((Y - cy) * normal[0] + (X - cx) * normal[1]) > 1.0].sum())


@pytest.mark.parametrize("size", [3, 11, 21, 31])
def test_psf_properties(rng, size):
    k = camera_shake(size, _seed(rng), batch=6)
    assert k.shape == (6, size, size) and k.dtype == torch.float64
    assert bool((k >= 0).all())
    assert torch.allclose(k.sum(dim=(1, 2)), torch.ones(6, dtype=torch.float64), atol=1e-12)
    for kk in k.numpy():
        cy, cx = _centroid(kk)
        assert abs(cy) < 1e-9 and abs(cx) < 1e-9


def test_single_kernel_and_dtype(rng):
    s = _seed(rng)
    k = camera_shake(15, s)
    assert k.shape == (15, 15)
    k32 = camera_shake(15, s, dtype=torch.float32)
    assert k32.dtype == torch.float32 and torch.allclose(k32.double(), k, atol=1e-7)


def test_reproducible_and_seeds_differ(rng):
    s = _seed(rng)
    a = camera_shake(21, torch.Generator().manual_seed(s), batch=3)
    b = camera_shake(21, s, batch=3)
    assert torch.equal(a, b)
    assert not torch.equal(a[0], a[1])
    assert not torch.equal(a, camera_shake(21, s + 1, batch=3))


def test_size_bound_respected_for_long_paths(rng):
    # a path far longer than the grid is scaled down to fit: no mass is lost or clipped
    k = camera_shake(11, _seed(rng), batch=4, length=200.0, anxiety=0.0)
    assert torch.allclose(k.sum(dim=(1, 2)), torch.ones(4, dtype=torch.float64), atol=1e-12)
    for kk in k.numpy():     # scaled, not cropped: the straight path still spans the grid
        support = np.argwhere(kk > 1e-12)
        assert (support.max(0) - support.min(0)).max() >= 8
    # a straight path (anxiety 0) of length L spans about L pixels
    k = camera_shake(31, _seed(rng), length=12.0, anxiety=0.0).numpy()
    support = np.argwhere(k > 0)
    span = float(np.hypot(*(support.max(0) - support.min(0))))
    assert 11.0 <= span <= 16.0


def test_default_paths_are_curved(rng):
    # with the default jitter most trajectories curve: mass away from their principal line
    s = _seed(rng)
    ks = camera_shake(25, s, batch=20).numpy()
    curved = [_off_line_mass(k) > 0.05 for k in ks]
    assert sum(curved) >= 12
    straight = camera_shake(25, s, batch=3, anxiety=0.0).numpy()
    assert all(_off_line_mass(k) < 0.02 for k in straight)


def test_exposure_shortens_the_path(rng):
    s = _seed(rng)
    full = camera_shake(31, s, length=25.0, anxiety=0.0).numpy()
    part = camera_shake(31, s, length=25.0, anxiety=0.0, exposure=0.4).numpy()
    assert (part > 1e-12).sum() < (full > 1e-12).sum()


@pytest.mark.parametrize("kwargs, arg", [
    (dict(size=4), "size"), (dict(size=1), "size"), (dict(size=11, batch=0), "batch"),
    (dict(size=11, length=0.0), "length"), (dict(size=11, anxiety=-0.1), "anxiety"),
    (dict(size=11, exposure=0.0), "exposure"), (dict(size=11, exposure=float("nan")), "exposure"),
])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=f"`{arg}`"):
        camera_shake(**kwargs)


def test_bad_generator_type():
    with pytest.raises(TypeError, match="`generator`"):
        camera_shake(11, "seed")
    with pytest.raises(TypeError, match="`size`"):
        camera_shake(11.0)
