"""Regression tests from the adversarial audit of the core layer (blur family, interop,
parameters, kernels, OpenCV backend). Each test failed before its fix."""
from __future__ import annotations

import math
import multiprocessing as mp
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from scipy import ndimage as ndi

import pixelgrad as pg
from pixelgrad.borders import BORDERS, SCIPY_MODE


def _scipy_gauss(x: np.ndarray, sy: float, sx: float, border: str) -> np.ndarray:
    """scipy with pixelgrad's radius rule ceil(4 sigma)."""
    sig = (0,) * (x.ndim - 2) + (sy, sx)
    rad = (0,) * (x.ndim - 2) + (math.ceil(4 * sy - 1e-9), math.ceil(4 * sx - 1e-9))
    return ndi.gaussian_filter(x.astype(np.float64), sig, mode=SCIPY_MODE[border], truncate=4.0, radius=rad)


_NP_PAD = {"reflect": "reflect", "symmetric": "symmetric", "replicate": "edge", "circular": "wrap",
           "constant": "constant"}


def _padded_corr(x: np.ndarray, k: np.ndarray, border: str) -> np.ndarray:
    """Correlation of the last two axes with ``k`` on ``np.pad``'s border extension (any
    width; note scipy.ndimage's ``reflect`` is not periodic once the kernel is several times
    wider than the image, so it is no oracle there)."""
    from scipy.signal import correlate

    ry, rx = k.shape[0] // 2, k.shape[1] // 2
    xp = np.pad(x.astype(np.float64), [(0, 0)] * (x.ndim - 2) + [(ry, ry), (rx, rx)], mode=_NP_PAD[border])
    return correlate(xp, k.reshape((1,) * (x.ndim - 2) + k.shape), mode="valid", method="direct")


def _wide_gauss(x: np.ndarray, sy: float, sx: float, border: str) -> np.ndarray:
    def k1(s):
        t = np.arange(-math.ceil(4 * s - 1e-9), math.ceil(4 * s - 1e-9) + 1)
        w = np.exp(-0.5 * (t / s) ** 2)
        return w / w.sum()
    return _padded_corr(x, np.outer(k1(sy), k1(sx)), border)


# ------------------------------------------------------------------ OpenCV pool and fork()
def _fork_child(q, x):
    torch.set_num_threads(1)                 # what torch's DataLoader worker loop does
    q.put(pg.gaussian_blur(x, 1.0, method="direct").numpy())


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method (DataLoader default) is Linux-only")
def test_opencv_thread_pool_survives_fork(monkeypatch):
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


def test_opencv_pool_from_many_threads_is_deterministic():
    from concurrent.futures import ThreadPoolExecutor

    x = torch.rand(12, 3, 20, 21)
    sig = torch.linspace(0.3, 3.0, 12)
    ref = pg.gaussian_blur(x, sig)
    with ThreadPoolExecutor(4) as ex:
        outs = list(ex.map(lambda _: pg.gaussian_blur(x, sig), range(8)))
    assert all(torch.equal(o, ref) for o in outs)


# ------------------------------------------------------------------ bounded memory
_MEMORY_SCRIPT = textwrap.dedent("""
    import resource, torch, pixelgrad as pg
    from pixelgrad.kernels.motion import motion_kernel2d
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
    x = torch.rand(1, 2, 16, 16, dtype=torch.float64)
    y = pg.box_blur(x, 10**9 + 1, border="circular")           # was: 8 GB of box weights
    assert float((y - x.mean(dim=(-2, -1), keepdim=True)).abs().max()) < 1e-6
    pg.box_blur(x, 10**9 + 1, border="replicate")
    pg.gaussian_blur(x, 1e6)                                    # was: 8e6 taps x band indices
    k = motion_kernel2d(1500.0, 0.3)                            # was: a 27 GB (K, K, I) tensor
    assert abs(float(k.sum()) - 1) < 1e-9
    pg.motion_blur(x, 1500.0, 0.3)
    print("ok")
""")


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_huge_kernels_run_in_bounded_memory():
    """Bugs: box_blur(size=1e9+1) and motion_blur(length=1500) allocated 8 GB / 27 GB
    (the process was OOM-killed); now they fit in a 3 GB address space."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-2000:]


# ------------------------------------------------------------------ folded wide kernels
@pytest.mark.parametrize("border", BORDERS)
def test_kernels_much_wider_than_image_match_scipy(border, rng):
    for shape in [(2, 1, 1, 5), (1, 2, 4, 3), (1, 1, 6, 1)]:
        x = torch.from_numpy(rng.random(shape))
        for method in ("auto", "direct", "fft", "matrix"):
            for sigma in (40.0, (0.7, 25.0)):
                sy, sx = sigma if isinstance(sigma, tuple) else (sigma, sigma)
                y = pg.gaussian_blur(x, sigma, border=border, method=method)
                np.testing.assert_allclose(y.numpy(), _wide_gauss(x.numpy(), sy, sx, border),
                                           atol=1e-9, rtol=0)
            for size in (301, (3, 57)):
                sy, sx = size if isinstance(size, tuple) else (size, size)
                y = pg.box_blur(x, size, border=border, method=method)
                np.testing.assert_allclose(y.numpy(), _padded_corr(x.numpy(), np.full((sy, sx), 1 / (sy * sx)),
                                                                  border), atol=1e-9, rtol=0)
        # per sample: each sample equals its own single call
        B = shape[0]
        sig = torch.linspace(0.5, 60.0, B)
        y = pg.gaussian_blur(x, sig, border=border)
        for b in range(B):
            torch.testing.assert_close(y[b], pg.gaussian_blur(x[b], float(sig[b]), border=border),
                                       atol=1e-12, rtol=0)


def test_folded_box_counts_match_brute_force_fold():
    from pixelgrad.kernels.fold import fold_kernel1d, folded_box1d

    for n in (1, 2, 3, 5, 8):
        for border in BORDERS:
            for size in (1, 7, 33, 101, 1001):
                brute = fold_kernel1d(torch.full((size,), 1.0 / size, dtype=torch.float64), n, border)
                torch.testing.assert_close(folded_box1d(size, n, border), brute, atol=1e-15, rtol=0)


@pytest.mark.parametrize("border", BORDERS)
def test_wide_2d_kernels_match_scipy(border, rng):
    from pixelgrad.kernels.gaussian import gaussian_kernel2d
    from pixelgrad.kernels.motion import motion_kernel2d

    x = torch.from_numpy(rng.random((1, 2, 5, 4)))
    for method in ("auto", "direct", "fft"):
        y = pg.motion_blur(x, 41.0, 0.6, border=border, method=method)
        np.testing.assert_allclose(y.numpy(), _padded_corr(x.numpy(), motion_kernel2d(41.0, 0.6).numpy(), border),
                                   atol=1e-9, rtol=0)
        y = pg.gaussian_blur(x, (2.0, 9.0), angle=0.5, border=border, method=method)
        k = gaussian_kernel2d(2.0, 9.0, 0.5).numpy()
        np.testing.assert_allclose(y.numpy(), _padded_corr(x.numpy(), k, border), atol=1e-9, rtol=0)


def test_numpy_fast_path_with_kernel_wider_than_image(rng):
    img = (rng.random((3, 4, 3)) * 255).astype(np.uint8)
    for border in ("reflect", "symmetric", "replicate", "constant"):
        out = pg.gaussian_blur(img, 30.0, border=border)
        ref = np.moveaxis(_scipy_gauss(np.moveaxis(img, -1, 0), 30.0, 30.0, border), 0, -1)
        assert out.dtype == np.uint8 and np.abs(out - ref).max() <= 0.5 + 1e-3


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


# ------------------------------------------------------------------ inputs and parameters
def test_big_endian_numpy_image(rng):
    """Bug: torch.from_numpy refused it with a message naming no function."""
    img = rng.random((9, 8, 3)).astype(">f4")
    for fn in (lambda a: pg.gaussian_blur(a, 1.2), lambda a: pg.gaussian_blur(a, 1.2, border="circular"),
               lambda a: pg.box_blur(a, 3), lambda a: pg.motion_blur(a, 3, 0.4), lambda a: pg.shear(a, 0.2)):
        out = fn(img)
        assert out.dtype == img.dtype and out.shape == img.shape
        np.testing.assert_array_equal(out.astype(np.float32), fn(img.astype(np.float32)))


def test_sparse_tensor_rejected_clearly():
    with pytest.raises(ValueError, match=r"gaussian_blur: argument `x` must be a dense"):
        pg.gaussian_blur(torch.eye(4).to_sparse(), 1.0)


def test_nan_in_numpy_image_error_describes_the_array():
    img = np.ones((3, 4))
    img[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"`x` must be finite .*got ndarray of shape \(3, 4\)"):
        pg.gaussian_blur(img, 1.0)


@pytest.mark.parametrize("value, exc, match", [
    (torch.tensor([True, True]), TypeError, r"`sigma` must be a real-valued .*torch.bool"),
    (torch.tensor([1 + 0j, 2 + 0j]), TypeError, r"`sigma` must be a real-valued .*complex"),
    (np.array(["a", "b"]), TypeError, r"`sigma` must be a real-valued .*array"),
    (np.array([1.0, None]), TypeError, r"`sigma` must be a real-valued .*object"),
    (torch.ones(2, device="meta"), ValueError, r"`sigma` must be a tensor with values"),
])
def test_bad_parameter_tensors_give_clear_errors(value, exc, match):
    """Bugs: bool / complex tensors were silently taken as 1.0 / their real part; string,
    object and meta inputs raised torch errors that named no function or argument."""
    with pytest.raises(exc, match=r"gaussian_blur: .*" + match):
        pg.gaussian_blur(torch.rand(2, 1, 5, 5), value)


def test_pair_of_0d_tensors_and_numpy_scalars(rng):
    x = torch.from_numpy(rng.random((2, 1, 9, 10)))
    ref = pg.gaussian_blur(x, (0.8, 2.0))
    for sigma in ((torch.tensor(0.8), torch.tensor(2.0)), (np.float32(0.8), np.float64(2.0)),
                  [np.array(0.8), 2.0], torch.tensor([0.8, 2.0])[None]):
        torch.testing.assert_close(pg.gaussian_blur(x, sigma), ref, atol=1e-7, rtol=0)
    # big-endian parameter arrays are read correctly, not refused
    torch.testing.assert_close(pg.gaussian_blur(x, np.array([0.8, 0.8], dtype=">f8")),
                               pg.gaussian_blur(x, 0.8), atol=0, rtol=0)


def test_output_never_aliases_input_and_input_untouched(rng):
    x = torch.from_numpy(rng.random((2, 3, 7, 6)))
    calls = [lambda t: pg.box_blur(t, 1), lambda t: pg.gaussian_blur(t, 1e-3),
             lambda t: pg.gaussian_blur(t, 1e-3, method="matrix"), lambda t: pg.shear(t, 0.0),
             lambda t: pg.motion_blur(t, 1.0, 0.0), lambda t: pg.box_blur(t, 1, border="circular")]
    for call in calls:
        before = x.clone()
        y = call(x)
        torch.testing.assert_close(y, x, atol=1e-12, rtol=0)   # identity-like ops
        y.add_(1.0)                                             # writing the output ...
        assert torch.equal(x, before)                           # ... leaves the input alone


@pytest.mark.parametrize("border", BORDERS)
def test_strong_shear_is_finite_and_float32_matches_float64(border, rng):
    """Bug: source coordinates were cast to float32 before reducing them to the border's
    period: sx=1e300 overflowed to inf (NaN pixels for 'constant' / 'circular') and strong
    shears lost float32 precision (arbitrary samples for 'reflect' at sx=1e30)."""
    x = torch.from_numpy(rng.random((2, 2, 5, 6)))
    for sx in (37.0, 1e4, 1e30, 1e300):
        y32 = pg.shear(x.float(), sx, -0.5 / sx, border=border)
        y64 = pg.shear(x, sx, -0.5 / sx, border=border)
        assert bool(torch.isfinite(y32).all()) and bool(torch.isfinite(y64).all())
        assert float((y32.double() - y64).abs().max()) <= 1e-5, sx
    # the float64 path still matches scipy's bilinear affine_transform at moderate shears
    mode = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest", "circular": "grid-wrap",
            "constant": "grid-constant"}[border]
    img = x[0, 0].numpy()
    sx, sy = 2.5, 0.1
    M = np.array([[1, -sy], [-sx, 1]]) / (1 - sx * sy)
    c = np.array([2.0, 2.5])
    ref = ndi.affine_transform(img, M, offset=c - M @ c, order=1, mode=mode, cval=0.0)
    np.testing.assert_allclose(pg.shear(img, sx, sy, border=border), ref, atol=1e-9)


def test_editing_a_public_kernel_cannot_change_later_blurs(rng):
    """Bug: the filters read the very cached tensor the public kernel functions hand out,
    so a user normalising it for display (``k /= k.max()``) silently changed every later
    blur with that sigma / size."""
    from pixelgrad.kernels import box_kernel1d, gaussian_kernel1d, gaussian_kernel2d

    x = torch.from_numpy(rng.random((1, 1, 12, 13)))
    img = x[0, 0].numpy()
    ref = [pg.gaussian_blur(x, 2.0), pg.gaussian_blur(x, (1.0, 2.5), angle=0.4), pg.box_blur(x, 5),
           pg.gaussian_blur(img, 1.5)]
    public = [gaussian_kernel1d(2.0), gaussian_kernel2d(1.0, 2.5, 0.4), box_kernel1d(5), gaussian_kernel1d(1.5)]
    saved = [k.clone() for k in public]
    try:
        for k in public:
            k.mul_(7.0)                                 # the user's edit of "their" kernel
        assert torch.equal(pg.gaussian_blur(x, 2.0), ref[0])
        assert torch.equal(pg.gaussian_blur(x, (1.0, 2.5), angle=0.4), ref[1])
        assert torch.equal(pg.box_blur(x, 5), ref[2])
        np.testing.assert_array_equal(pg.gaussian_blur(img, 1.5), ref[3])   # numpy fast path
    finally:
        for k, v in zip(public, saved):                 # the public cache is shared by the session
            k.copy_(v)
