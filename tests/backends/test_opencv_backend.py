"""The OpenCV backend's thread pool: fork-safe (DataLoader workers) and deterministic."""
from __future__ import annotations

import multiprocessing as mp
import sys

import cv2
import numpy as np
import pytest
import torch

import pixelgrad as pg


# ------------------------------------------------------------------ OpenCV pool and fork()
def _fork_child(q, x):
    torch.set_num_threads(1)                 # what torch's DataLoader worker loop does
    q.put(pg.gaussian_blur(x, 1.0, method="direct").numpy())


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method (DataLoader default) is Linux-only")
def test_thread_pool_survives_fork(monkeypatch):
    """Bug: the OpenCV thread pool created in the parent was reused in a forked child
    (torch DataLoader workers), whose copy has no threads: the child hung forever."""
    from pixelgrad.backends import opencv_backend as cvb

    monkeypatch.setattr(cvb, "_threads", lambda: 2)
    x = (torch.rand(8, 3, 24, 24) * 255).round().to(torch.uint8)
    ref = pg.gaussian_blur(x, 1.0, method="direct")   # creates the pool in this process
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_fork_child, args=(q, x))
    p.start()
    try:
        out = q.get(timeout=30)
    except Exception:                        # queue.Empty: the child is stuck
        out = None
    p.join(5)
    if p.is_alive():
        p.kill()
    assert out is not None, "gaussian_blur in a forked child did not finish (thread pool deadlock)"
    np.testing.assert_array_equal(out, ref.numpy())


def test_thread_pool_is_deterministic_across_threads():
    from concurrent.futures import ThreadPoolExecutor

    x = torch.rand(12, 3, 20, 21)
    sig = torch.linspace(0.3, 3.0, 12)
    ref = pg.gaussian_blur(x, sig)
    with ThreadPoolExecutor(4) as ex:
        outs = list(ex.map(lambda _: pg.gaussian_blur(x, sig), range(8)))
    assert all(torch.equal(o, ref) for o in outs)


def test_off_centre_kernel_keeps_its_anchor(rng):
    """A kernel whose non-zero taps all lie away from its centre: cropping it to its support
    once gave a negative anchor, which OpenCV reads as "the centre" (a one-tap shift came back
    as the identity)."""
    from pixelgrad.backends import opencv_backend

    x = torch.from_numpy(rng.random((1, 2, 9, 11)))
    k = np.zeros((5, 5))
    k[0, 0], k[0, 1] = 0.75, 0.25                   # taps at offsets (-2, -2) and (-2, -1)
    y = opencv_backend.filter2d(x, [k], "replicate")
    xp = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="replicate")
    ref = 0.75 * xp[..., 0:9, 0:11] + 0.25 * xp[..., 0:9, 1:12]
    assert torch.allclose(y, ref, atol=1e-12)


# ----------------------------------------------------------------- shear, exact=False
@pytest.mark.parametrize("border", ["constant", "reflect", "symmetric", "replicate"])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64])
def test_shear_warp_matches_torch_reference_within_documented_bound(border, dtype):
    """cv2.warpAffine (exact=False) against the exact torch path: within the documented
    bound (1/64 of the neighbour steps per axis plus rounding; 4 grey levels for uint8)."""
    from pixelgrad.backends import opencv_backend as cvb, torch_backend as tb

    g = torch.Generator().manual_seed(3)
    x = torch.rand(3, 3, 17, 23, generator=g)
    if dtype == torch.uint8:
        x = (x * 255).round().to(torch.uint8)
    else:
        x = x.to(dtype)
    sx = torch.tensor([0.3, -0.45, 0.0], dtype=torch.float64)
    sy = torch.tensor([0.0, 0.2, -0.6], dtype=torch.float64)
    ref = tb.shear(x, sx, sy, border).double()
    got = cvb.shear_warp(x, sx, sy, border, exact=False).double()
    assert got.dtype == ref.dtype and got.shape == ref.shape
    bound = 4.0 if dtype == torch.uint8 else 2 * 1.0 / 64 + 1e-5
    assert float((got - ref).abs().max()) <= bound
    assert float((got - ref).abs().mean()) <= bound / 8


def test_shear_exact_false_dispatch_and_fallbacks():
    import pixelgrad as pg

    x = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    exact = pg.shear(x, 0.2, border="reflect")
    fast = pg.shear(x, 0.2, border="reflect", exact=False)
    assert fast.shape == x.shape and fast.dtype == x.dtype
    assert np.abs(fast.astype(int) - exact).max() <= 4
    # circular and float16 are not covered by OpenCV: the exact path runs, same bits
    np.testing.assert_array_equal(pg.shear(x, 0.2, border="circular", exact=False),
                                  pg.shear(x, 0.2, border="circular"))
    h = torch.rand(1, 2, 9, 9).half()
    assert torch.equal(pg.shear(h, 0.1, exact=False), pg.shear(h, 0.1))
    with pytest.raises(ValueError, match="exact"):
        pg.shear(x, 0.2, exact="no")


def test_random_shear_exact_false_moves_targets_like_exact():
    from pixelgrad import augment as A

    img = torch.randint(0, 256, (3, 24, 32), dtype=torch.uint8)
    mask = torch.randint(0, 3, (24, 32), dtype=torch.uint8)
    fast, slow = A.RandomShear(sx=(-0.3, 0.3), exact=False), A.RandomShear(sx=(-0.3, 0.3))
    a = fast(image=img, mask=mask, seed=5)
    b = slow(image=img, mask=mask, seed=5)
    assert torch.equal(a["mask"], b["mask"])                   # same exact map for masks
    assert int((a["image"].int() - b["image"].int()).abs().max()) <= 4
    assert fast.to_dict()["exact"] is False and "exact" not in slow.to_dict()
    assert A.from_dict(fast.to_dict()).exact is False


@pytest.mark.parametrize("border", ["reflect", "symmetric", "replicate", "constant"])
def test_fixed_point_gaussian_is_within_four_levels_of_the_exact_one(rng, border):
    """gaussian_blur(exact=False): OpenCV's fixed-point uint8 Gaussian, the documented bound
    (on white noise, the worst input; measured over 1,540 draws with sigma up to 4: max 4,
    one draw; 2 or less in 98 %)."""
    import numpy as np

    import pixelgrad as pg
    for _ in range(20):
        H, W = (int(v) for v in rng.integers(12, 70, 2))
        x = (rng.random((H, W, 3)) * 256).astype(np.uint8)
        sigma = (float(rng.uniform(0.1, 2.5)), float(rng.uniform(0.1, 2.5)))
        fast = pg.gaussian_blur(x, sigma, border=border, exact=False)
        ref = pg.gaussian_blur(x, sigma, border=border)
        assert fast.dtype == np.uint8 and fast.shape == x.shape
        err = np.abs(fast.astype(int) - ref.astype(int))
        assert err.max() <= 4 and err.mean() < 1.0
        # it is OpenCV's own path, not the exact one under another name
        ky, kx = (2 * int(np.ceil(4 * s - 1e-9)) + 1 for s in sigma)
        bt = {"reflect": cv2.BORDER_REFLECT_101, "symmetric": cv2.BORDER_REFLECT,
              "replicate": cv2.BORDER_REPLICATE, "constant": cv2.BORDER_CONSTANT}[border]
        if ky <= H and kx <= W:
            assert np.array_equal(fast, cv2.GaussianBlur(x, (kx, ky), sigmaX=sigma[1], sigmaY=sigma[0],
                                                         borderType=bt))
        else:                               # a kernel wider than the image: the exact path
            assert np.array_equal(fast, ref)


def test_fixed_point_gaussian_falls_back_to_the_exact_path(rng):
    import numpy as np

    import pixelgrad as pg
    from pixelgrad import augment as A
    f = torch.from_numpy(rng.random((2, 3, 20, 20))).float()
    assert torch.equal(pg.gaussian_blur(f, 1.0, exact=False), pg.gaussian_blur(f, 1.0))        # float32
    u = (rng.random((9, 9)) * 255).astype(np.uint8)
    assert np.array_equal(pg.gaussian_blur(u, 3.0, exact=False), pg.gaussian_blur(u, 3.0))     # folded kernel
    assert np.array_equal(pg.gaussian_blur(u, 1.0, exact=False, border="circular"),
                          pg.gaussian_blur(u, 1.0, border="circular"))
    batch = torch.from_numpy((rng.random((3, 1, 30, 30)) * 255).astype(np.uint8))
    sig = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    per = pg.gaussian_blur(batch, sig, exact=False)
    for b in range(3):                      # per-sample sigmas: each sample its own fixed-point blur
        assert torch.equal(per[b], pg.gaussian_blur(batch[b], float(sig[b]), exact=False))
    with pytest.raises(ValueError, match="exact"):
        pg.gaussian_blur(u, 1.0, exact="no")
    t = A.RandomGaussianBlur(sigma=(0.5, 2.0), exact=False)
    assert A.from_dict(t.to_dict()).exact is False
    y, params = t(u, seed=3, return_params=True)
    assert np.array_equal(y, pg.gaussian_blur(u, params.values["sigma"][0].item(), exact=False))


# ------------------------------------------------------------- sparse kernels off the DFT
_SCIPY_MODE = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest", "constant": "constant"}


@pytest.mark.parametrize("border", sorted(_SCIPY_MODE))
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(37, 141, 3), (29, 143)])
def test_sparse_kernel_tiles_match_scipy(border, dtype, shape, rng):
    """Motion lines whose box reaches OpenCV's DFT area are filtered directly, in tiles
    (``filter2d_image``): the float64 result of scipy's correlation, with the same
    border, within float rounding (uint8: within one level of the exact value)."""
    from scipy import ndimage as ndi

    from pixelgrad.backends import opencv_backend as cvb
    from pixelgrad.borders import cv2_border
    from pixelgrad.kernels.motion import motion_kernel2d

    x = rng.random(shape) * (255 if dtype == np.uint8 else 1)
    x = np.round(x).astype(dtype) if dtype == np.uint8 else x.astype(dtype)
    spread = np.zeros((3, 131))                  # wider than a tile: tiles split the columns
    spread[0, 0], spread[1, 65], spread[2, 130] = 0.5, 0.25, 0.25
    for k in [motion_kernel2d(L, a).numpy() for L, a in ((15.0, 0.52), (14.0, 0.8), (17.0, -0.7))] + [spread]:
        kc, anchor = cvb._crop_to_support(k)
        assert kc.shape[0] * kc.shape[1] >= cvb.DFT_AREA and np.count_nonzero(kc) <= cvb.SPARSE_TAPS
        dst = np.full_like(x, 7)                # poisoned: every pixel must be written
        cvb.filter2d_image(x, dst, kc, anchor, cv2_border(border))
        xs = x.astype(np.float64)
        if xs.ndim == 3:
            ref = np.stack([ndi.correlate(xs[..., c], k, mode=_SCIPY_MODE[border]) for c in range(3)], -1)
        else:
            ref = ndi.correlate(xs, k, mode=_SCIPY_MODE[border])
        if dtype == np.uint8:
            assert np.abs(dst.astype(np.float64) - ref).max() <= 0.5 + 1e-3, k.shape
        else:
            tol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(dst, ref, atol=tol, err_msg=str(k.shape))


def test_sparse_kernel_all_zero_and_dense_kernels():
    """An all-zero kernel gives zeros; a dense kernel keeps OpenCV's own path (its DFT)."""
    from pixelgrad.backends import opencv_backend as cvb

    x = np.arange(30 * 30, dtype=np.float32).reshape(30, 30)
    dst = np.full_like(x, 7)
    cvb.filter2d_image(x, dst, np.zeros((13, 13)), (6, 6), cv2.BORDER_REFLECT_101)
    assert not dst.any()
    k = np.full((13, 13), 1 / 169)
    cvb.filter2d_image(x, dst, k, (6, 6), cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(dst, cv2.filter2D(x, -1, k, borderType=cv2.BORDER_REFLECT_101))


def test_border_constants_are_opencvs():
    """borders.cv2_border holds OpenCV's constants as numbers (no cv2 lookup per call)."""
    from pixelgrad.borders import cv2_border

    want = {"reflect": cv2.BORDER_REFLECT_101, "symmetric": cv2.BORDER_REFLECT,
            "replicate": cv2.BORDER_REPLICATE, "circular": cv2.BORDER_WRAP,
            "constant": cv2.BORDER_CONSTANT}
    assert {b: cv2_border(b) for b in want} == want
