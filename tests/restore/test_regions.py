"""Region-wise inpainting (pixelgrad.restore.regions): components, margins, agreement with the
whole-image solve within the documented tolerance."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pixelgrad.restore.regions import (MARGINS, Box, direct_solve, find_regions, inpaint_regions,
                                       is_dense)


def smooth_image(rng: np.random.Generator, b: int, c: int, h: int, w: int) -> torch.Tensor:
    """Random smooth images in [0, 1], float64: coarse noise upsampled bicubically."""
    coarse = torch.from_numpy(rng.random((b, c, max(2, h // 6), max(2, w // 6))))
    return F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True).clamp(0, 1)


def holes_and_scribbles(rng: np.random.Generator, b: int, h: int, w: int) -> torch.Tensor:
    """Bool known mask (B, 1, H, W): a few small rectangular holes and random-walk scribbles."""
    known = np.ones((b, 1, h, w), bool)
    for i in range(b):
        for _ in range(2):
            y, x = rng.integers(0, h - 6), rng.integers(0, w - 6)
            known[i, 0, y:y + rng.integers(2, 6), x:x + rng.integers(2, 6)] = False
        y, x = rng.integers(0, h), rng.integers(0, w)
        for _ in range(25):
            y = int(np.clip(y + rng.integers(-1, 2), 0, h - 1))
            x = int(np.clip(x + rng.integers(-1, 2), 0, w - 1))
            known[i, 0, y, x] = False
    return torch.from_numpy(known)


def exact(order: int):
    return lambda a, k: direct_solve(a, k, order=order)


def test_find_regions_hand_made():
    m = np.zeros((30, 40), bool)
    m[10:13, 5:8] = True               # a 3x3 hole
    m[20, 30] = True                   # a single pixel
    assert find_regions(m, margin=0) == [Box(10, 13, 5, 8), Box(20, 21, 30, 31)]
    assert find_regions(m, margin=2) == [Box(8, 15, 3, 10), Box(18, 23, 28, 33)]
    # clipped to the image
    assert find_regions(m, margin=25) == [Box(0, 30, 0, 40)]
    # the start aligned down to a multiple of 4
    assert find_regions(m, margin=2, align=4) == [Box(8, 15, 0, 10), Box(16, 23, 28, 33)]
    assert find_regions(np.zeros((5, 5), bool)) == []


def test_find_regions_merges_overlapping_boxes():
    # an L and a dot whose grown boxes overlap although the dilated masks do not touch
    m = np.zeros((40, 40), bool)
    m[5, 5:30] = True
    m[5:30, 5] = True
    m[20, 20] = True
    boxes = find_regions(m, margin=1)
    assert boxes == [Box(4, 31, 4, 31)]
    # diagonal neighbours are one component (8-connectivity)
    d = np.zeros((10, 10), bool)
    d[2, 2] = d[3, 3] = True
    assert find_regions(d, margin=0) == [Box(2, 4, 2, 4)]


def test_find_regions_covers_every_missing_pixel_with_margin(rng):
    m = rng.random((50, 60)) < 0.01
    margin = int(rng.integers(0, 5))
    boxes = find_regions(m, margin=margin)
    cover = np.zeros_like(m)
    for b in boxes:
        cover[b.y0:b.y1, b.x0:b.x1] = True
    grown = np.zeros_like(m)
    for y, x in np.argwhere(m):
        grown[max(0, y - margin):y + margin + 1, max(0, x - margin):x + margin + 1] = True
    assert (cover >= grown).all()
    for i, a in enumerate(boxes):               # no two boxes overlap
        for b in boxes[i + 1:]:
            assert not (a.y0 < b.y1 and b.y0 < a.y1 and a.x0 < b.x1 and b.x0 < a.x1)


def test_is_dense():
    assert not is_dense([], (10, 10))
    assert is_dense([Box(0, 8, 0, 8)], (10, 10))
    assert is_dense([Box(i, i + 1, 0, 1) for i in range(5)], (100, 100), max_regions=4)
    # salt and pepper: one box over the whole image
    sp = np.random.default_rng(0).random((64, 64)) < 0.3
    assert is_dense(find_regions(sp, margin=2), (64, 64))


@pytest.mark.parametrize("order", [1, 2])
def test_regions_equal_whole_image_exact_solve(rng, order):
    """The documented tolerance: with margin >= MARGINS (1 harmonic, 2 biharmonic) the crops
    give the same linear system as the whole image, so exact solves agree to rounding."""
    y = smooth_image(rng, 2, 2, 40, 48)
    known = holes_and_scribbles(rng, 2, 40, 48)
    bad = torch.where(known, y, torch.zeros_like(y))
    whole = direct_solve(bad, known, order=order)
    margin = MARGINS["harmonic" if order == 1 else "biharmonic"]
    local = inpaint_regions(bad, known, exact(order), margin=margin, align=1, dense_fraction=1.0)
    assert float((local - whole).abs().max()) <= 1e-9


def test_biharmonic_margin_one_is_not_enough():
    """The margin is tight: with 1 known pixel around a hole the biharmonic crop differs."""
    g = np.random.default_rng(5)
    y = smooth_image(g, 1, 1, 30, 30)
    known = torch.ones_like(y, dtype=torch.bool)
    known[..., 12:16, 10:17] = False
    whole = direct_solve(y, known)
    local = inpaint_regions(y, known, exact(2), margin=1, align=1)
    assert float((local - whole).abs().max()) > 1e-6


def test_regions_agree_with_iterative_inpaint(rng):
    """pixelgrad.restore.inpaint's conjugate-gradient biharmonic: within 1e-3 (its default
    tolerance), region-wise against whole image."""
    import pixelgrad as pg

    y = smooth_image(rng, 1, 1, 48, 48).float()
    known = holes_and_scribbles(rng, 1, 48, 48)

    def solve(a, k):
        return pg.restore.inpaint(a, k, method="biharmonic").image

    whole = solve(y, known)
    local = inpaint_regions(y, known, solve, margin=MARGINS["biharmonic"], align=1, dense_fraction=1.0)
    assert float((local - whole).abs().max()) <= 1e-3


def test_only_missing_pixels_change_and_input_untouched(rng):
    y = smooth_image(rng, 2, 3, 32, 32)
    known = holes_and_scribbles(rng, 2, 32, 32).expand(2, 3, 32, 32).clone()
    known[0, 1, 3:5, 3:5] = False                  # a per-channel mask
    y0, k0 = y.clone(), known.clone()
    out = inpaint_regions(y, known, lambda a, k: torch.full_like(a, 7.0), margin=2)
    assert torch.equal(y, y0) and torch.equal(known, k0)
    assert torch.equal(out[known], y[known])
    assert bool((out[~known] == 7.0).all())


def test_clip_to_known_range(rng):
    y = smooth_image(rng, 1, 1, 24, 24)
    known = torch.ones_like(y, dtype=torch.bool)
    known[..., 10:13, 10:13] = False
    out = inpaint_regions(y, known, lambda a, k: torch.full_like(a, 9.0), margin=3, align=1,
                          clip=True)
    crop = y[..., 7:16, 7:16][known[..., 7:16, 7:16]]
    assert float(out[~known].max()) == float(crop.max())


def test_empty_and_fully_known():
    y = torch.rand(0, 1, 8, 8)
    assert inpaint_regions(y, torch.ones_like(y, dtype=torch.bool), exact(2)).shape == (0, 1, 8, 8)
    y = torch.rand(2, 1, 8, 8)
    calls = []
    out = inpaint_regions(y, torch.ones_like(y, dtype=torch.bool), lambda a, k: calls.append(1) or a)
    assert torch.equal(out, y) and out is not y and not calls


def test_dense_mask_takes_whole_image_path():
    y = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    known = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(1)) > 0.5
    shapes = []

    def solve(a, k):
        shapes.append(tuple(a.shape))
        return a

    inpaint_regions(y, known, solve, margin=2)
    assert shapes == [(1, 1, 32, 32)]


def test_equal_crops_batched_together():
    y = torch.zeros(2, 1, 64, 64)
    known = torch.ones_like(y, dtype=torch.bool)
    known[0, :, 10:14, 10:14] = False
    known[0, :, 40:44, 40:44] = False
    known[1, :, 20:24, 30:34] = False
    shapes = []

    def solve(a, k):
        shapes.append(tuple(a.shape))
        return a

    inpaint_regions(y, known, solve, margin=2, align=1)
    assert shapes == [(3, 1, 8, 8)]
    shapes.clear()
    inpaint_regions(y, known, solve, margin=2, align=1, batch=False)
    assert shapes == [(1, 1, 8, 8)] * 3


def test_deterministic_across_thread_counts(rng):
    y = smooth_image(rng, 1, 1, 40, 40)
    known = holes_and_scribbles(rng, 1, 40, 40)
    n = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = inpaint_regions(y, known, exact(2), margin=2)
        torch.set_num_threads(2)
        b = inpaint_regions(y, known, exact(2), margin=2)
    finally:
        torch.set_num_threads(n)
    assert torch.equal(a, b)


def test_direct_solve_fallback_and_limit():
    y = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    known = torch.ones_like(y, dtype=torch.bool)
    known[..., 4:12, 4:12] = False
    out = direct_solve(y, known, max_unknowns=10, fallback=lambda a, k: torch.zeros_like(a))
    assert float(out.abs().max()) == 0.0
    with pytest.raises(ValueError, match="max_unknowns"):
        direct_solve(y, known, max_unknowns=10)


@pytest.mark.parametrize("kwargs, arg", [
    (dict(y=torch.rand(8, 8)), "y"),
    (dict(known=torch.ones(1, 1, 8, 8)), "known"),
    (dict(known=torch.ones(1, 1, 8, 9, dtype=torch.bool)), "known"),
    (dict(known=torch.ones(2, 1, 8, 8, dtype=torch.bool)), "known"),
    (dict(margin=-1), "margin"),
    (dict(margin=1.5), "margin"),
    (dict(align=0), "align"),
    (dict(dense_fraction=2.0), "dense_fraction"),
    (dict(max_regions=-1), "max_regions"),
])
def test_bad_input_names_the_argument(kwargs, arg):
    args = dict(y=torch.rand(1, 1, 8, 8), known=torch.ones(1, 1, 8, 8, dtype=torch.bool),
                solve=lambda a, k: a)
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"`{arg}`"):
        inpaint_regions(**args)


def test_bad_solver_output_and_types():
    y = torch.rand(1, 1, 8, 8)
    known = torch.ones_like(y, dtype=torch.bool)
    known[..., 3, 3] = False
    with pytest.raises(ValueError, match="`solve`"):
        inpaint_regions(y, known, lambda a, k: a[..., :2, :2])
    with pytest.raises(TypeError, match="`solve`"):
        inpaint_regions(y, known, 3)
    with pytest.raises(ValueError, match="`missing`"):
        find_regions(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="`order`"):
        direct_solve(y, known, order=3)


def test_choose_stage_needs_significant_evidence(rng):
    from pixelgrad.restore.regions import choose_stage

    n = 500
    base = torch.from_numpy(rng.random(n) * 1e-3)
    # flat dark area: half the pixels where every stage is exact; one stage wins on 2 outliers
    flat = base.clone()
    flat[: n // 2] = 0.0
    lucky = flat.clone()
    lucky[n // 2:n // 2 + 2] = 0.0
    lucky[n // 2 + 2:] *= 1.01                 # and is slightly worse on the rest
    assert choose_stage(torch.stack([flat, lucky]), z=0.0) in (0, 1)
    assert choose_stage(torch.stack([flat, lucky])) == 0
    assert choose_stage(torch.stack([base, 0.8 * base, 0.9 * base])) == 1
    assert choose_stage(torch.stack([base, 0.8 * base, 0.5 * base])) == 2
    assert choose_stage(base[None]) == 0
    with pytest.raises(ValueError, match="`errors`"):
        choose_stage(base)
    with pytest.raises(ValueError, match="`z`"):
        choose_stage(base[None], z=-1.0)


# --------------------------------------------------------------------- sparse exact solve
def dense_reference(y: torch.Tensor, known: torch.Tensor, order: int) -> torch.Tensor:
    """The exact fill by a dense float64 solve built from the energy's matrix itself."""
    n, c, h, w = y.shape
    lap = np.zeros((h * w, h * w))
    for i in range(h):
        for j in range(w):
            p = i * w + j
            for a, b in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
                if 0 <= a < h and 0 <= b < w:
                    lap[p, a * w + b] += 1.0
                    lap[p, p] -= 1.0
    a_mat = -lap if order == 1 else lap @ lap
    out = y.clone().double()
    for b in range(n):
        for ch in range(c):
            k = known[b, min(ch, known.shape[1] - 1)].reshape(-1).numpy()
            v = out[b, ch].reshape(-1).numpy().copy()
            u = ~k
            if u.any():
                v[u] = np.linalg.solve(a_mat[np.ix_(u, u)], -a_mat[np.ix_(u, k)] @ v[k])
            out[b, ch] = torch.from_numpy(v.reshape(h, w))
    return out


@pytest.mark.parametrize("order", [1, 2])
def test_sparse_exact_solve_equals_dense_solve(rng, order):
    h, w = int(rng.integers(5, 12)), int(rng.integers(5, 12))
    y = torch.from_numpy(rng.random((2, 2, h, w)))
    known = torch.from_numpy(rng.random((2, 2, h, w)) > 0.4)
    known[..., 0, 0] = True                          # every plane has a known pixel
    out = direct_solve(y, known, order=order)
    ref = dense_reference(y, known, order)
    assert float((out - ref).abs().max()) <= 1e-9
    # a 1-channel mask shared by the channels
    k1 = known[:, :1]
    assert float((direct_solve(y, k1, order=order) - dense_reference(y, k1, order)).abs().max()) <= 1e-9


@pytest.mark.parametrize("order", [1, 2])
def test_ldl_and_superlu_paths_give_the_same_fill(rng, order, monkeypatch):
    """The LDL^T factorization (qdldl) and the SuperLU fallback solve the same system."""
    from pixelgrad.restore import regions

    y = torch.from_numpy(rng.random((1, 2, 24, 31)))
    known = torch.from_numpy(rng.random((1, 1, 24, 31)) > 0.3)
    known[..., 0, 0] = True
    fast = direct_solve(y, known, order=order)
    monkeypatch.setattr(regions, "_ldl_solve", lambda a, rhs: None)
    slow = direct_solve(y, known, order=order)
    assert float((fast - slow).abs().max()) <= 1e-10


def test_ldl_refuses_a_singular_system():
    """A Neumann Laplacian with no fixed pixel is singular: the LDL^T path declines (None) and
    the caller's SuperLU fallback adds its ridge, instead of returning values of 1e16."""
    import scipy.sparse as sp

    from pixelgrad.restore import regions

    lap = regions._neumann_laplacian(6, 7)
    assert regions._ldl_solve(sp.csc_matrix(-lap), np.ones(42)) is None
    spd = sp.csc_matrix(-lap + sp.identity(42))
    sol = regions._ldl_solve(spd, np.ones((42, 2)))
    assert sol is not None and sol.shape == (42, 2)
    assert np.abs(spd @ sol - 1.0).max() < 1e-12


def test_sparse_exact_solve_long_thin_region():
    """A long 1-pixel line and a crossing column in a 64x200 ramp: recovered exactly."""
    r = torch.arange(200, dtype=torch.float64)
    x = (0.3 + 0.002 * r)[None, None].expand(1, 1, 64, 200).clone()     # a ramp: exact
    known = torch.ones_like(x, dtype=torch.bool)
    known[..., 30, 3:197] = False                   # away from the mirrored border
    known[..., 10:50, 100] = False
    out = direct_solve(torch.where(known, x, 0.0), known)
    assert float((out - x).abs().max()) < 1e-9


# -------------------------------------------------------------------------- inpaint_local
def test_holdout_copies_are_known_shaped_and_apart(rng):
    from pixelgrad.restore.regions import HOLDOUT_GAP, holdout_copies

    m = np.asarray(holes_and_scribbles(rng, 1, 64, 64)[0, 0]) == False   # noqa: E712 (missing)
    hold = holdout_copies(m, seed=int(rng.integers(0, 100)))
    assert not (hold & m).any()
    g = HOLDOUT_GAP
    for y, x in np.argwhere(hold):
        assert not m[max(0, y - g + 1):y + g, max(0, x - g + 1):x + g].any()
    assert not holdout_copies(np.zeros((8, 8), bool)).any()


def test_holdout_copies_of_a_source_keep_the_gap_to_every_missing_pixel(rng):
    from pixelgrad.restore.regions import HOLDOUT_GAP, holdout_copies, thick_components

    m = np.asarray(holes_and_scribbles(rng, 1, 64, 64)[0, 0]) == False   # noqa: E712 (missing)
    m[40:52, 40:52] = True                                               # a hole
    thin = m & ~thick_components(m)
    hold = holdout_copies(m, seed=int(rng.integers(0, 100)), source=thin)
    g = HOLDOUT_GAP
    for y, x in np.argwhere(hold):
        assert not m[max(0, y - g + 1):y + g, max(0, x - g + 1):x + g].any()
    assert not holdout_copies(m, source=np.zeros_like(m)).any()
    with pytest.raises(ValueError, match="`source`"):
        holdout_copies(m, source=np.zeros((3, 3), bool))


def test_thick_components_and_local_range():
    from pixelgrad.restore.regions import local_range, thick_components

    m = np.zeros((40, 40), bool)
    m[5:21, 5:21] = True                      # a 16x16 hole
    m[30, 2:38] = True                        # a 1-pixel line
    m[2, 30:36] = True                        # a 6x6 hole is thin (mean distance 1.6)
    m[2:8, 30:36] = True
    t = thick_components(m)
    assert t[5:21, 5:21].all() and not t[30].any() and not t[2:8, 30:36].any() and t.sum() == 256
    v = torch.arange(40, dtype=torch.float64).repeat(40, 1)[None] / 40
    lo, hi = local_range(v, torch.from_numpy(m)[None], m)
    # the hole's box grown by 2 spans columns 3..22
    assert float(lo[0, 10, 10]) == 3 / 40 and float(hi[0, 10, 10]) == 22 / 40
    assert float(lo[0, 0, 0]) == 0.0 and float(hi[0, 0, 0]) == 39 / 40
