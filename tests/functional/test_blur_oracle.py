"""The blur family against independent oracles: scipy.ndimage and OpenCV, in float64."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from scipy import ndimage as ndi

import pixelgrad as pg
from pixelgrad.borders import BORDERS, SCIPY_MODE

METHODS = ("auto", "direct", "2d", "fft", "matrix")
CV_BORDER = {"reflect": cv2.BORDER_REFLECT_101, "symmetric": cv2.BORDER_REFLECT,
             "replicate": cv2.BORDER_REPLICATE, "constant": cv2.BORDER_CONSTANT}


def scipy_gauss(x: np.ndarray, sy: float, sx: float, border: str) -> np.ndarray:
    """scipy's Gaussian with pixelgrad's radius rule ceil(4 sigma) (scipy itself rounds
    4 sigma to the nearest integer, a slightly shorter kernel, unless given ``radius``)."""
    sig = (0,) * (x.ndim - 2) + (sy, sx)
    rad = (0,) * (x.ndim - 2) + (math.ceil(4 * sy - 1e-9), math.ceil(4 * sx - 1e-9))
    return ndi.gaussian_filter(x.astype(np.float64), sig, mode=SCIPY_MODE[border], truncate=4.0, radius=rad)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("method", METHODS)
def test_gaussian_float64_matches_scipy(border, method, rng):
    for shape, sigma in [((2, 3, 17, 23), 1.3), ((1, 2, 9, 31), (0.7, 2.5)), ((1, 1, 5, 6), 4.0)]:
        x = torch.from_numpy(rng.random(shape))
        y = pg.gaussian_blur(x, sigma, border=border, method=method)
        sy, sx = (sigma, sigma) if not isinstance(sigma, tuple) else sigma
        ref = scipy_gauss(x.numpy(), sy, sx, border)
        assert y.dtype == torch.float64 and y.shape == x.shape
        np.testing.assert_allclose(y.numpy(), ref, atol=1e-6, rtol=0)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("sigma", [0.6, 2.0, 9.0])
def test_gaussian_float32_matches_scipy(border, sigma, rng):
    x = torch.from_numpy(rng.random((2, 3, 40, 37), dtype=np.float32))
    for method in ("auto", "direct", "fft", "matrix"):
        y = pg.gaussian_blur(x, sigma, border=border, method=method)
        assert y.dtype == torch.float32
        err = np.abs(y.double().numpy() - scipy_gauss(x.numpy(), sigma, sigma, border)).max()
        assert err <= 1e-4, (method, err)


def test_kernel_wider_than_image(rng):
    """torch's F.pad refuses this; the extension must repeat as scipy does."""
    x = torch.from_numpy(rng.random((1, 1, 3, 4)))
    for border in BORDERS:
        for method in ("auto", "direct", "fft", "matrix"):
            y = pg.gaussian_blur(x, 5.0, border=border, method=method)
            np.testing.assert_allclose(y.numpy(), scipy_gauss(x.numpy(), 5.0, 5.0, border), atol=1e-6)


@pytest.mark.parametrize("border", ["reflect", "symmetric", "replicate", "constant"])
@pytest.mark.parametrize("sigma", [0.8, 3.0, 12.0])
def test_uint8_matches_opencv(border, sigma, rng):
    img = (rng.random((45, 61, 3)) * 255).astype(np.uint8)
    k = cv2.getGaussianKernel(2 * math.ceil(4 * sigma) + 1, sigma, cv2.CV_64F)
    ref_cv = cv2.sepFilter2D(img, -1, k, k, borderType=CV_BORDER[border]).astype(int)
    exact = scipy_gauss(np.moveaxis(img, -1, 0), sigma, sigma, border)
    out_np = pg.gaussian_blur(img, sigma, border=border)
    out_t = pg.gaussian_blur(torch.from_numpy(img).permute(2, 0, 1), sigma, border=border)
    for out in (out_np, out_t.permute(1, 2, 0).numpy()):
        assert out.dtype == np.uint8 and out.shape == img.shape
        assert np.abs(out.astype(int) - ref_cv).max() <= 1
        # correctly rounded: within half a grey level of the exact float64 result
        assert np.abs(out.astype(float) - np.moveaxis(exact, 0, -1)).max() <= 0.5 + 1e-3  # float32 compute


def test_uint8_torch_paths_round_and_saturate(rng):
    x = torch.from_numpy((rng.random((2, 3, 20, 20)) * 255).astype(np.uint8))
    exact = scipy_gauss(x.numpy(), 2.0, 2.0, "circular")
    for method in ("direct", "fft", "matrix"):
        y = pg.gaussian_blur(x, 2.0, border="circular", method=method)
        assert y.dtype == torch.uint8
        assert np.abs(y.numpy() - exact).max() <= 0.5 + 1e-3


@pytest.mark.parametrize("method", ["auto", "direct", "fft", "matrix", "2d"])
def test_per_sample_sigma_equals_loop(method, rng):
    x = torch.from_numpy(rng.random((4, 2, 19, 25)))
    sig = torch.tensor([0.5, 1.5, 3.0, 0.9])
    y = pg.gaussian_blur(x, sig, method=method)
    for b in range(4):
        np.testing.assert_allclose(y[b].numpy(), pg.gaussian_blur(x[b], float(sig[b]), method="direct").numpy(),
                                   atol=1e-10)
    sig2 = torch.tensor([[0.5, 2.0], [1.0, 1.0], [3.0, 0.4], [2.0, 2.5]])
    y2 = pg.gaussian_blur(x, sig2, method=method)
    for b in range(4):
        ref = scipy_gauss(x[b].numpy(), float(sig2[b, 0]), float(sig2[b, 1]), "reflect")
        np.testing.assert_allclose(y2[b].numpy(), ref, atol=1e-6)


def test_leading_dims_and_2d_tensor(rng):
    x = torch.from_numpy(rng.random((2, 3, 2, 11, 13)))
    y = pg.gaussian_blur(x, torch.rand(6) + 0.5)
    assert y.shape == x.shape
    plane = torch.from_numpy(rng.random((11, 13)))
    np.testing.assert_allclose(pg.gaussian_blur(plane, 1.0).numpy(), scipy_gauss(plane.numpy(), 1, 1, "reflect"),
                               atol=1e-6)


def rotated_reference_kernel(sy, sx, angle, truncate=4.0):
    """Independent float64 2-D kernel: Gaussian with covariance R diag(sx^2, sy^2) R^T."""
    c, s = math.cos(angle), math.sin(angle)
    R = np.array([[c, -s], [s, c]])                      # columns: x-axis, y-axis directions (x, y)
    cov = R @ np.diag([sx ** 2, sy ** 2]) @ R.T
    inv = np.linalg.inv(cov)
    rx = math.ceil(truncate * math.sqrt(cov[0, 0]) - 1e-9)
    ry = math.ceil(truncate * math.sqrt(cov[1, 1]) - 1e-9)
    k = np.zeros((2 * ry + 1, 2 * rx + 1))
    for i in range(-ry, ry + 1):
        for j in range(-rx, rx + 1):
            p = np.array([j, i], float)
            k[i + ry, j + rx] = math.exp(-0.5 * p @ inv @ p)
    return k / k.sum()


@pytest.mark.parametrize("border", BORDERS)
def test_rotated_anisotropic_against_reference_kernel(border, rng):
    x = rng.random((1, 2, 30, 34))
    for (sy, sx, a) in [(1.0, 4.0, 0.6), (3.0, 0.7, -1.1), (2.0, 2.0, 0.3), (1.0, 3.0, math.pi / 2)]:
        ref_k = rotated_reference_kernel(sy, sx, a)
        ref = np.stack([ndi.correlate(x[0, c], ref_k, mode=SCIPY_MODE[border]) for c in range(2)])[None]
        for method in ("auto", "direct", "fft"):
            y = pg.gaussian_blur(torch.from_numpy(x), (sy, sx), angle=a, border=border, method=method)
            np.testing.assert_allclose(y.numpy(), ref, atol=1e-6, err_msg=f"{sy},{sx},{a},{method}")


def test_per_sample_angle(rng):
    x = torch.from_numpy(rng.random((3, 1, 21, 21)))
    ang = torch.tensor([0.0, 0.5, 2.0])
    y = pg.gaussian_blur(x, (1.0, 3.0), angle=ang)
    for b in range(3):
        np.testing.assert_allclose(y[b].numpy(), pg.gaussian_blur(x[b], (1.0, 3.0), angle=float(ang[b])).numpy(),
                                   atol=1e-10)


def test_fft_equals_direct(rng):
    x = torch.from_numpy(rng.random((2, 3, 33, 47)))
    for border in BORDERS:
        for sigma in (0.5, 2.0, 7.0, (1.0, 5.0)):
            a = pg.gaussian_blur(x, sigma, border=border, method="fft")
            b = pg.gaussian_blur(x, sigma, border=border, method="direct", backend="torch")
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-9)


# --------------------------------------------------------------------------- box
@pytest.mark.parametrize("border", BORDERS)
def test_box_blur_matches_scipy(border, rng):
    x = rng.random((2, 2, 15, 19))
    for size in (1, 3, 7, (3, 9), 21):
        sy, sx = (size, size) if isinstance(size, int) else size
        ref = ndi.correlate(x, np.ones((1, 1, sy, sx)) / (sy * sx), mode=SCIPY_MODE[border])
        for method in ("auto", "direct", "fft", "matrix"):
            y = pg.box_blur(torch.from_numpy(x), size, border=border, method=method)
            np.testing.assert_allclose(y.numpy(), ref, atol=1e-6, err_msg=f"{size} {method}")


def test_box_blur_numpy_matches_cv2_blur(rng):
    img = (rng.random((30, 40, 3)) * 255).astype(np.uint8)
    out = pg.box_blur(img, 5, border="reflect")
    ref = cv2.blur(img.astype(np.float64), (5, 5), borderType=cv2.BORDER_REFLECT_101)
    assert out.dtype == np.uint8 and np.abs(out - ref).max() <= 0.5 + 1e-9


def test_box_blur_per_sample(rng):
    x = torch.from_numpy(rng.random((3, 1, 16, 16)))
    sizes = torch.tensor([1, 5, 9])
    y = pg.box_blur(x, sizes)
    for b in range(3):
        np.testing.assert_allclose(y[b].numpy(), pg.box_blur(x[b], int(sizes[b])).numpy(), atol=1e-12)
    np.testing.assert_allclose(y[0].numpy(), x[0].numpy(), atol=1e-12)      # size 1 = identity


# --------------------------------------------------------------------------- motion
def reference_motion_kernel(length, angle, direction=0.0, radius=None):
    """Independent rasterization: numerically integrate the segment's tent footprint with
    many samples (the kernel is the line of length L, bilinearly splatted, normalised)."""
    from pixelgrad.kernels.motion import motion_radius
    r = motion_radius(length) if radius is None else radius
    k = np.zeros((2 * r + 1, 2 * r + 1))
    c, s = math.cos(angle), math.sin(angle)
    imax = max(0, math.ceil(length / 2 + 0.5 - 1e-9) - 1)
    for i in range(-imax, imax + 1):
        cover = min(1.0, max(0.0, length / 2 + 0.5 - abs(i)))
        w = max(0.0, 1 + direction * i / (length / 2)) * cover
        if w == 0:
            continue
        px, py = i * c, i * s                               # point i of the line, rotated
        for yy in range(-r, r + 1):
            for xx in range(-r, r + 1):
                u = xx * c + yy * s
                v = -xx * s + yy * c
                k[yy + r, xx + r] += w * max(0, 1 - abs(u - i)) * max(0, 1 - abs(v))
        del px, py
    return k / k.sum()


def test_motion_kernel_properties():
    from pixelgrad.kernels.motion import motion_kernel2d
    for L in (1, 3, 4.5, 9, 15):
        for a in (0.0, 0.4, math.pi / 4, 2.0):
            k = motion_kernel2d(L, a).numpy()
            assert abs(k.sum() - 1) < 1e-12 and (k >= 0).all()
            np.testing.assert_allclose(k, reference_motion_kernel(L, a), atol=1e-12)
    # angle 0 and odd integer length: exactly the horizontal box 1/L
    k = motion_kernel2d(5, 0.0).numpy()
    r = k.shape[0] // 2
    np.testing.assert_allclose(k[r, r - 2:r + 3], np.full(5, 0.2), atol=1e-12)
    assert abs(k.sum() - k[r].sum()) < 1e-12
    # direction=1 puts more weight forward (+x for angle 0)
    kf = motion_kernel2d(7, 0.0, 1.0).numpy()
    r = kf.shape[0] // 2
    assert kf[r, r + 3] > kf[r, r + 1] > kf[r, r - 1] > kf[r, r - 3]
    # the line's spread (second moment along its axis) matches a uniform segment of length L
    k = motion_kernel2d(31, 0.7).numpy()
    r = k.shape[0] // 2
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    u = xx * math.cos(0.7) + yy * math.sin(0.7)
    assert abs(math.sqrt((k * u ** 2).sum()) - 31 / math.sqrt(12)) < 0.5


@pytest.mark.parametrize("border", BORDERS)
def test_motion_blur_matches_scipy_correlate(border, rng):
    from pixelgrad.kernels.motion import motion_kernel2d
    x = rng.random((2, 2, 24, 27))
    L = torch.tensor([3.0, 8.5])
    a = torch.tensor([0.3, -1.2])
    y = pg.motion_blur(torch.from_numpy(x), L, a, border=border)
    for b in range(2):
        k = motion_kernel2d(float(L[b]), float(a[b])).numpy()
        ref = np.stack([ndi.correlate(x[b, c], k, mode=SCIPY_MODE[border]) for c in range(2)])
        np.testing.assert_allclose(y[b].numpy(), ref, atol=1e-6)
    y_fft = pg.motion_blur(torch.from_numpy(x), L, a, border=border, method="fft")
    np.testing.assert_allclose(y_fft.numpy(), y.numpy(), atol=1e-9)


def test_motion_blur_uint8_numpy(rng):
    img = (rng.random((20, 30, 3)) * 255).astype(np.uint8)
    out = pg.motion_blur(img, 9, 0.5)
    assert out.dtype == np.uint8 and out.shape == img.shape


# --------------------------------------------------------------------------- shear
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("hw", [(17, 22), (1, 9), (8, 1), (2, 3)])
def test_shear_matches_scipy_affine(border, hw, rng):
    H, W = hw
    x = rng.random((1, 1, H, W))
    mode = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest",
            "circular": "grid-wrap", "constant": "grid-constant"}[border]
    for sx, sy in [(0.3, 0.0), (0.0, -0.25), (0.2, 0.1), (1.7, 0.0)]:
        y = pg.shear(torch.from_numpy(x), sx, sy, border=border)
        det = 1 - sx * sy
        m = np.array([[1, -sy], [-sx, 1]]) / det           # (row, col) inverse map
        c = np.array([(H - 1) / 2, (W - 1) / 2])
        ref = ndi.affine_transform(x[0, 0], m, offset=c - m @ c, order=1, mode=mode)
        np.testing.assert_allclose(y[0, 0].numpy(), ref, atol=1e-9, err_msg=f"{sx},{sy}")
        y32 = pg.shear(torch.from_numpy(x).float(), sx, sy, border=border)
        np.testing.assert_allclose(y32[0, 0].numpy(), ref, atol=1e-5)


def test_shear_zero_is_identity_and_uint8(rng):
    x = torch.from_numpy((rng.random((2, 3, 9, 9)) * 255).astype(np.uint8))
    assert torch.equal(pg.shear(x, 0.0, 0.0), x)
    y = pg.shear(x, torch.tensor([0.1, -0.3]), 0.0)
    assert y.dtype == torch.uint8 and y.shape == x.shape


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_per_sample_result_independent_of_batch(dtype, rng):
    """A sample's output must not depend on which other samples share its batch (the CLI
    promises identical files whatever --batch-size): bitwise equality with single calls."""
    base = torch.from_numpy(rng.random((4, 3, 48, 52)))
    x = (base * 255).round().to(torch.uint8) if dtype == torch.uint8 else base.float()
    sig = torch.tensor([0.5, 9.0, 1.5, 20.0])                # mixes direct and matrix choices
    y = pg.gaussian_blur(x, sig)
    L = torch.tensor([3.0, 15.0, 4.5, 9.0])
    a = torch.tensor([0.0, 1.0, 2.0, -0.5])
    ym = pg.motion_blur(x, L, a)
    sizes = torch.tensor([3, 31, 1, 45])
    yb = pg.box_blur(x, sizes)
    for b in range(4):
        assert torch.equal(y[b:b + 1], pg.gaussian_blur(x[b:b + 1], float(sig[b])))
        assert torch.equal(ym[b:b + 1], pg.motion_blur(x[b:b + 1], float(L[b]), float(a[b])))
        assert torch.equal(yb[b:b + 1], pg.box_blur(x[b:b + 1], int(sizes[b])))
        assert torch.equal(y[b:b + 1], pg.gaussian_blur(x[[b, (b + 1) % 4]], sig[[b, (b + 1) % 4]])[:1])
