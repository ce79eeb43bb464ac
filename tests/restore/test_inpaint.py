"""inpaint(), corruption models, metrics and input validation."""
import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

import pixelgrad as pg
from pixelgrad.restore import INPAINT_METHODS, inpaint, psnr, ssim


def _smooth(h=32, w=28, c=1, b=None):
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.stack([0.5 + 0.3 * np.sin(5 * xx + 3 * yy + k) + 0.1 * np.cos(9 * yy) for k in range(c)], -1)
    img = img.astype(np.float32)
    t = torch.from_numpy(img).permute(2, 0, 1)
    if b is not None:
        t = torch.stack([torch.roll(t, k, -1) for k in range(b)])
    return t.contiguous()


@pytest.mark.parametrize("method", INPAINT_METHODS)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_known_pixels_kept_input_untouched_dtype_shape(method, dtype):
    clean = _smooth(c=2, b=2)
    x = (clean * 255).round().to(torch.uint8) if dtype == torch.uint8 else clean
    bad, known = pg.restore.salt_and_pepper(x, 0.8, torch.Generator().manual_seed(1))
    bad_copy, known_copy = bad.clone(), known.clone()
    res = inpaint(bad, known, method, iterations=30)
    assert torch.equal(bad, bad_copy) and torch.equal(known, known_copy)
    assert res.image.dtype == dtype and res.image.shape == bad.shape
    kb = known.expand_as(bad)
    assert torch.equal(res.image[kb], bad[kb])
    assert res.history.shape == (res.iterations, 2)
    assert res.seconds > 0 and res.method == method
    # restoration helps a lot on a smooth image
    assert bool((psnr(res.image, x) > psnr(bad, x) + 8).all())


def test_methods_is_the_old_name_of_inpaint_methods():
    import importlib

    inpaint_module = importlib.import_module("pixelgrad.restore.inpaint")   # the attribute is the function
    assert pg.restore.METHODS is pg.restore.INPAINT_METHODS is inpaint_module.INPAINT_METHODS
    assert inpaint_module.METHODS is INPAINT_METHODS
    assert {"INPAINT_METHODS", "METHODS"} <= set(pg.restore.__all__)


def test_auto_beats_biharmonic_and_numpy_roundtrip():
    from skimage import data
    img = data.camera()[128:256:1, 192:320].copy()           # 128x128 uint8, textured
    bad, known = pg.restore.salt_and_pepper(img, 0.9, torch.Generator().manual_seed(0))
    assert isinstance(bad, np.ndarray) and known.shape == img.shape and known.dtype == bool
    bh = inpaint(bad, known, "biharmonic")
    auto = inpaint(bad, known, "auto")
    assert isinstance(auto.image, np.ndarray) and auto.image.dtype == np.uint8
    assert psnr(auto.image, img) > psnr(bh.image, img) + 0.2
    assert np.array_equal(auto.image[known], img[known])


def test_biharmonic_close_to_skimage():
    from skimage.restoration import inpaint_biharmonic
    clean = _smooth(40, 36)[0].numpy().astype(np.float64)
    rng = np.random.default_rng(0)
    unknown = rng.random(clean.shape) < 0.8
    ours = inpaint(clean, ~unknown, "biharmonic", tol=1e-9, iterations=3000).image
    sk = inpaint_biharmonic(np.where(unknown, 0, clean), unknown)
    # same interior equations; borders are discretized slightly differently
    diff = np.abs(ours - sk)[6:-6, 6:-6]
    assert diff.max() < 1e-2 and diff.mean() < 5e-4
    assert abs(psnr(ours, clean) - psnr(sk, clean)) < 0.5


def test_batch_equals_per_image_and_gray_mask_broadcasts():
    x = _smooth(c=3, b=3)
    bad, known = pg.restore.salt_and_pepper(x, 0.7, torch.Generator().manual_seed(5))
    assert known.shape == (3, 1, 32, 28)
    res = inpaint(bad, known, "biharmonic", tol=1e-6)
    one = inpaint(bad[1], known[1], "biharmonic", tol=1e-6)
    assert one.image.shape == (3, 32, 28)
    torch.testing.assert_close(res.image[1], one.image, atol=1e-4, rtol=0)


def test_callback_reports_psnr_and_stages():
    x = _smooth()
    bad, known = pg.restore.salt_and_pepper(x, 0.8, torch.Generator().manual_seed(0))
    seen = []
    res = inpaint(bad, known, "auto", reference=x, callback=lambda i: seen.append((i.stage, float(i.psnr[0]))))
    assert {s for s, _ in seen} == {"biharmonic", "dct"}
    assert set(res.stages) == {"biharmonic", "dct threshold", "eed"}
    assert seen[-1][1] > seen[0][1] > float(psnr(bad, x))


def test_corruption_models():
    x = torch.rand(2, 3, 40, 30, generator=torch.Generator().manual_seed(0))
    before = x.clone()
    bad, known = pg.restore.salt_and_pepper(x, 0.6, torch.Generator().manual_seed(3))
    assert torch.equal(x, before)
    frac = 1 - known.float().mean()
    assert 0.55 < float(frac) < 0.65
    vals = bad.masked_select(~known.expand_as(bad)).unique()
    assert set(vals.tolist()) <= {0.0, 1.0}
    assert torch.equal(bad[known.expand_as(bad)], x[known.expand_as(x)])
    bad2, known2 = pg.restore.salt_and_pepper(x, 0.6, torch.Generator().manual_seed(3))
    assert torch.equal(bad, bad2) and torch.equal(known, known2)
    rm, k = pg.restore.random_missing(x, 0.5, torch.Generator().manual_seed(0), fill=0.25)
    assert torch.all(rm[~k.expand_as(rm)] == 0.25)
    u8 = (x * 255).to(torch.uint8)
    n, k = pg.restore.gaussian_noise(u8, 0.05, torch.Generator().manual_seed(0))
    assert n.dtype == torch.uint8 and not bool(k.any())
    s, k = pg.restore.scratches(u8, count=4, width=3, generator=torch.Generator().manual_seed(0))
    assert 0 < float((~k).float().mean()) < 0.5 and bool((s[~k.expand_as(s)] == 255).all())
    t, k = pg.restore.text_overlay(u8[0])
    assert k.shape == (1, 40, 30) and bool((~k).any())


def test_psnr_ssim_match_skimage():
    rng = np.random.default_rng(0)
    a = rng.random((37, 41, 3))
    b = np.clip(a + 0.05 * rng.standard_normal(a.shape), 0, 1)
    assert psnr(b, a) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=1), rel=1e-12)
    want = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=1, channel_axis=2)
    assert ssim(b, a) == pytest.approx(want, rel=1e-10)
    a8, b8 = (a * 255).astype(np.uint8), (b * 255).astype(np.uint8)
    assert psnr(b8, a8) == pytest.approx(peak_signal_noise_ratio(a8, b8), rel=1e-12)
    want8 = structural_similarity(a8[..., 0], b8[..., 0], gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=False, data_range=255)
    assert ssim(b8[..., 0], a8[..., 0]) == pytest.approx(want8, rel=1e-10)
    # batched tensors: one value per image; masked PSNR over a subset
    ta = torch.from_numpy(a).permute(2, 0, 1)[None].repeat(2, 1, 1, 1)
    tb = torch.from_numpy(b).permute(2, 0, 1)[None].repeat(2, 1, 1, 1)
    assert psnr(tb, ta).shape == (2,)
    m = rng.random((37, 41)) < 0.3
    mse = ((a - b) ** 2)[m].mean()
    assert psnr(b, a, mask=m) == pytest.approx(10 * np.log10(1 / mse), rel=1e-12)


def test_bad_inputs_give_clear_errors():
    x = torch.rand(1, 1, 16, 16)
    known = torch.rand(1, 1, 16, 16) > 0.5
    with pytest.raises(ValueError, match=r"inpaint: argument `known_mask`.*height and width"):
        inpaint(x, known[..., :8])
    with pytest.raises(ValueError, match=r"inpaint: argument `known_mask`.*bool"):
        inpaint(x, known.float())
    with pytest.raises(ValueError, match=r"all pixels unknown"):
        inpaint(x, torch.zeros_like(known))
    with pytest.raises(ValueError, match=r"inpaint: argument `image`.*finite"):
        inpaint(torch.full_like(x, float("nan")), known)
    with pytest.raises(ValueError, match=r"inpaint: argument `method`"):
        inpaint(x, known, "magic")
    with pytest.raises(TypeError, match=r"inpaint: argument `known_mask`"):
        inpaint(x, [[True]])
    with pytest.raises(ValueError, match=r"salt_and_pepper: argument `fraction` must be in \[0, 1\], got float 1.5"):
        pg.restore.salt_and_pepper(x, 1.5)
    with pytest.raises(ValueError, match=r"salt_and_pepper: argument `fraction`"):
        pg.restore.salt_and_pepper(x, -0.1)
    with pytest.raises(ValueError, match=r"psnr: argument `reference`"):
        psnr(x, x[..., :8])
    with pytest.raises(ValueError, match=r"inpaint: argument `known_mask`.*channels"):
        inpaint(torch.rand(3, 16, 16), torch.ones(2, 16, 16, dtype=torch.bool))


def test_time_budget_skips_threshold_rounds_but_keeps_result_valid():
    x = _smooth()
    bad, known = pg.restore.salt_and_pepper(x, 0.8, torch.Generator().manual_seed(0))
    full = inpaint(bad, known, "auto")
    quick = inpaint(bad, known, "auto", time_budget=0.0)
    a, b = full.stages["dct threshold"], quick.stages["dct threshold"]
    assert b[1] - b[0] == 1 and a[1] - a[0] == 60
    assert torch.equal(quick.image[known.expand_as(bad)], bad[known.expand_as(bad)])
    assert float(psnr(quick.image, x)) > float(psnr(bad, x)) + 8


# --------------------------------------------------------------------------- time budget
@pytest.mark.parametrize("method", ["auto", "dct", "biharmonic", "harmonic", "tv", "tv-smooth", "multiscale_gd"])
def test_time_budget_stops_every_stage_after_one_iteration_once_past(method, rng, monkeypatch):
    """A budget that has already run out: every solver loop must stop after its first
    iteration (the clock is faked, so this is exact, not a timing test)."""
    import time as real_time

    img = torch.from_numpy(rng.random((1, 1, 24, 20))).float()
    bad, known = pg.restore.salt_and_pepper(img, 0.7, torch.Generator().manual_seed(0))
    start = real_time.perf_counter()
    calls = {"n": 0}

    def clock():             # each reading is one hour later than the last
        calls["n"] += 1
        return start + 3600.0 * calls["n"]

    monkeypatch.setattr(real_time, "perf_counter", clock)
    res = pg.restore.inpaint(bad, known, method, time_budget=0.001, iterations=50)
    for stage, (lo, hi) in res.stages.items():
        assert hi - lo <= 1, (stage, hi - lo)
    full = pg.restore.inpaint(bad, known, method, iterations=50)
    assert full.iterations > res.iterations


@pytest.mark.parametrize("budget", [-1.0, float("nan"), float("inf"), "1", True])
def test_time_budget_must_be_positive_seconds(budget):
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises((ValueError, TypeError), match="time_budget"):
        pg.restore.inpaint(x, x > 0.5, time_budget=budget)


def test_eed_stops_after_one_step_once_its_deadline_has_passed(rng):
    from pixelgrad.restore.solvers import diffusion_inpainting as eed_inpaint

    u = torch.from_numpy(rng.random((1, 1, 16, 16))).float()
    known = torch.from_numpy(rng.random((1, 1, 16, 16)) < 0.3)
    one = eed_inpaint(u, known, iterations=1)
    assert torch.equal(eed_inpaint(u, known, iterations=20, deadline=0.0), one)
    assert not torch.equal(eed_inpaint(u, known, iterations=20), one)


# --------------------------------------------------------------------------- local (sparse) path
def _sparse_case(rng, b=1, c=1, h=48, w=44):
    """Smooth random images in [0, 1] with a hole and two strokes per image (under 25 % missing)."""
    import torch.nn.functional as F

    coarse = torch.from_numpy(rng.random((b, c, 6, 6)))
    x = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True).clamp(0, 1).float()
    known = torch.ones((b, 1, h, w), dtype=torch.bool)
    for i in range(b):
        y0, x0 = int(rng.integers(4, h - 20)), int(rng.integers(4, w - 20))
        known[i, 0, y0:y0 + 16, x0:x0 + 16] = False     # a hole (thick)
        known[i, 0, int(rng.integers(0, h)), 2:w - 3] = False
        known[i, 0, 3:h - 2, int(rng.integers(0, w))] = False
    return x, known


def test_auto_routes_sparse_masks_to_the_local_pipeline_and_dense_ones_to_the_whole_image(rng):
    from pixelgrad.restore import _local_inpaint as local_inpaint

    x, known = _sparse_case(rng, b=2)
    sp, sp_known = pg.restore.salt_and_pepper(x[1:], 0.8, torch.Generator().manual_seed(0))
    bad = torch.cat([torch.where(known[:1], x[:1], 1.0), sp])
    kk = torch.cat([known[:1], sp_known])
    res = inpaint(bad, kk, "auto")
    assert {"local exact", "local dct threshold"} <= set(res.stages) and "eed" in res.stages
    lo, hi = res.stages["local dct threshold"]
    glo, ghi = res.stages["dct threshold"]
    # each image's column holds its own stages; the other path's rows are NaN
    assert not torch.isnan(res.history[lo:hi, 0]).any() and torch.isnan(res.history[lo:hi, 1]).all()
    assert torch.isnan(res.history[glo:ghi, 0]).all() and not torch.isnan(res.history[glo:ghi, 1]).any()
    assert res.iterations == res.history.shape[0]
    # the images are independent of their batch
    one = inpaint(bad[:1], kk[:1], "auto")
    assert torch.equal(one.image, res.image[:1])
    assert set(one.stages) <= set(local_inpaint.STAGES) and "local dct threshold" in one.stages
    assert local_inpaint.is_sparse(~known[0, 0].numpy()) and not local_inpaint.is_sparse(~sp_known[0, 0].numpy())


def test_local_path_changes_only_missing_pixels(rng):
    x, known = _sparse_case(rng, b=2, c=3)
    known = known.expand(2, 3, *known.shape[-2:]).clone()
    known[0, 1, 2:4, 2:4] = False                      # a pixel unknown in one channel only
    bad = torch.where(known, x, torch.ones_like(x))
    b0, k0 = bad.clone(), known.clone()
    res = inpaint(bad, known, "auto", generator=torch.Generator().manual_seed(int(rng.integers(0, 99))))
    assert torch.equal(bad, b0) and torch.equal(known, k0)
    assert torch.equal(res.image[known], bad[known])
    assert res.image.dtype == bad.dtype and res.image.shape == bad.shape
    assert "local exact" in res.stages
    # (on such very smooth images the biharmonic fill of a hole is better than this ensemble,
    # by up to ~2.5 dB: the DCT refinement is built for texture and edges). Over 1,500 seeds of
    # this case the smallest gain over the damaged image is 9.6 dB (6 of them under 10 dB, which
    # made a fresh-clone CI run fail); a broken fill gains nothing
    assert bool((psnr(res.image, x) > psnr(bad, x) + 8).all())


def test_local_exact_fills_equal_the_whole_image_exact_solve(rng):
    """No DCT round: holes get the exact harmonic fill and strokes the exact biharmonic one
    (clipped to the known range around each stroke), as solved on the whole image."""
    from pixelgrad.restore import _local_inpaint as local_inpaint
    from pixelgrad.restore.regions import direct_solve

    x, _ = _sparse_case(rng)
    x = x.double()
    h, w = x.shape[-2:]
    hole = torch.ones((1, 1, h, w), dtype=torch.bool)
    hole[..., 10:22, 12:24] = False
    out, info, hist = local_inpaint.fill(torch.where(hole, x, 1.0)[0], hole[0], rounds=0)
    whole = direct_solve(x, hole, order=1)
    assert float((out - whole[0]).abs().max()) <= 1e-9
    assert info["stage"] == {"holes": "harmonic"} and [n for n, _ in hist] == ["local exact"]
    stroke = torch.ones((1, 1, h, w), dtype=torch.bool)
    stroke[..., 20, 4:40] = False
    out, info, _ = local_inpaint.fill(torch.where(stroke, x, 1.0)[0], stroke[0], rounds=0)
    ring = x[..., 18:23, 2:42][stroke[..., 18:23, 2:42]]
    ref = torch.where(stroke[0], x[0], direct_solve(x, stroke, order=2)[0].clamp(float(ring.min()), float(ring.max())))
    assert float((out - ref).abs().max()) <= 1e-9 and info["stage"] == {"strokes": "biharmonic"}


@pytest.mark.parametrize("threads", [1, 2])
def test_local_path_is_deterministic_for_any_thread_count(rng, threads):
    x, known = _sparse_case(rng)
    bad = torch.where(known, x, 0.0)
    ref = inpaint(bad, known, "auto").image
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(threads)
        again = inpaint(bad, known, "auto").image
    finally:
        torch.set_num_threads(before)
    assert torch.equal(ref, again)


def test_local_fill_bad_input_names_the_argument():
    from pixelgrad.restore import _local_inpaint as local_inpaint

    x = torch.rand(1, 8, 8)
    k = torch.ones(1, 8, 8, dtype=torch.bool)
    for kwargs, arg in ((dict(x=torch.rand(8, 8)), "x"), (dict(known=torch.ones(1, 8, 8)), "known"),
                        (dict(seed=-1), "seed"), (dict(z=-1.0), "z"), (dict(rounds=-1), "rounds")):
        args = dict(x=x, known=k)
        args.update(kwargs)
        with pytest.raises(ValueError, match=f"`{arg}`"):
            local_inpaint.fill(**args)


def test_refine_on_stacked_cluster_boxes_changes_only_unknown_pixels(rng, monkeypatch):
    """Separate clusters of unknown pixels are refined on a stack of their boxes: values only at
    the unknown pixels, inside the bounds, and the stack is what runs (the whole image is not)."""
    from pixelgrad.restore import _local_inpaint as local_inpaint

    x = torch.from_numpy(rng.random((2, 128, 128)) * 0.1 + 0.45)
    unk = torch.zeros_like(x, dtype=torch.bool)
    unk[:, 10:16, 10:16] = True
    unk[:, 100:104, 90:110] = True
    unk[1, 60, 60] = True                      # channel 1 only
    calls = []
    real = local_inpaint.block_hard_threshold
    monkeypatch.setattr(local_inpaint, "block_hard_threshold", lambda v, *a: calls.append(v.shape) or real(v, *a))
    out, taus = local_inpaint.refine(x, unk, torch.full_like(x, 0.4), torch.full_like(x, 0.6), rounds=5)
    assert torch.equal(out[~unk], x[~unk]) and len(taus) == 5
    assert bool(((out[unk] >= 0.4) & (out[unk] <= 0.6)).all())
    assert calls and all(s[0] == 3 and s[-1] < 128 for s in calls)    # three boxes, not the image
