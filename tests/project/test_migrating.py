"""Every row of docs/migrating.md for kornia, OpenCV, scipy.ndimage and albumentations: the
peer's call and the pixelgrad call on the same random image give the same output, for ``N``
random calls per row (fresh parameters, image sizes and borders each time: one lucky draw
proves nothing). Test names carry the row ids; the torchvision rows are in
tests/interop/test_dropin_tv.py."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad.kernels.motion import motion_kernel2d

F32 = 5e-7          # float32 rounding of a few terms
F64 = 1e-12
N = 50              # random calls compared per row

_SCIPY = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest", "circular": "wrap",
          "constant": "constant"}


def _cv_border(cv2, b):
    return {"reflect": cv2.BORDER_REFLECT_101, "symmetric": cv2.BORDER_REFLECT,
            "replicate": cv2.BORDER_REPLICATE, "constant": cv2.BORDER_CONSTANT}[b]


def test_every_row_id_of_the_table_has_a_test():
    root = Path(__file__).resolve().parents[2]
    ids = set(re.findall(r"^\| ([A-Z]+\d) \|", (root / "docs" / "migrating.md").read_text(), flags=re.M))
    names = re.findall(r"def test_(\w+)\(", Path(__file__).read_text()
                       + (root / "tests" / "interop" / "test_dropin_tv.py").read_text())
    tokens = {tok for n in names for tok in n.split("_")}
    assert len(ids) >= 20
    assert not sorted(i for i in ids if i.lower() not in tokens)


def _shape(rng, lo=9, hi=26):
    return int(rng.integers(lo, hi)), int(rng.integers(lo, hi))


# ----------------------------------------------------------------------------- kornia
def test_k1_kornia_gaussian_blur2d(rng):
    KF = pytest.importorskip("kornia.filters")
    for _ in range(N):
        border = str(rng.choice(["reflect", "replicate", "circular", "constant"]))
        x = torch.from_numpy(rng.random((2, 3, *_shape(rng))).astype(np.float32))
        kh, kw = (int(v) for v in 2 * rng.integers(0, 5, 2) + 1)
        sy, sx = (float(v) for v in rng.uniform(0.3, 3.0, 2))
        ref = KF.gaussian_blur2d(x, (kh, kw), (sy, sx), border_type=border)
        got = pg.gaussian_blur(x, (sy, sx), kernel_size=(kh, kw), border=border)
        torch.testing.assert_close(got, ref, rtol=0, atol=F32)


def test_k2_kornia_box_blur(rng):
    KF = pytest.importorskip("kornia.filters")
    for _ in range(N):
        border = str(rng.choice(["reflect", "replicate", "circular", "constant"]))
        x = torch.from_numpy(rng.random((2, 3, *_shape(rng))).astype(np.float32))
        kh, kw = (int(v) for v in 2 * rng.integers(0, 4, 2) + 1)
        ref = KF.box_blur(x, (kh, kw), border_type=border)
        torch.testing.assert_close(pg.box_blur(x, (kh, kw), border=border), ref, rtol=0, atol=F32)


def test_k3_kornia_motion_blur_bilinear(rng):
    KF = pytest.importorskip("kornia.filters")
    for _ in range(N):
        border = str(rng.choice(["reflect", "replicate", "constant"]))
        x = torch.from_numpy(rng.random((1, 2, *_shape(rng, 17, 26))))
        k = int(2 * rng.integers(1, 8) + 1)
        angle = float(rng.uniform(-360, 360))
        d = float(rng.uniform(-1, 1)) * (k - 1) / k
        ref = KF.motion_blur(x, k, angle, d, border_type=border, mode="bilinear")
        got = pg.motion_blur(x, float(k), -math.radians(angle), direction=-d * k / (k - 1), radius=k // 2,
                             border=border)
        torch.testing.assert_close(got, ref, rtol=0, atol=1e-10)


def test_ki1_kornia_random_linear_illumination(rng):
    KA = pytest.importorskip("kornia.augmentation")
    angles = {"lower": math.pi / 2, "upper": -math.pi / 2, "left": 0.0, "right": math.pi}
    seen = set()
    for _ in range(N // 5):                     # N random calls: batches of 5 images
        x = torch.from_numpy(rng.random((5, 3, *_shape(rng))).astype(np.float32))
        g, sign = float(rng.uniform(0.05, 0.5)), float(rng.choice([-1.0, 1.0]))
        aug = KA.RandomLinearIllumination(gain=(g, g), sign=(sign, sign), p=1.0)
        ref = aug(x)
        field = aug._params["gradient"].to(torch.float32)
        for b in range(x.shape[0]):
            cands = {name: pg.linear_gradient(x[b], angle=a, strength=sign * g, alpha=1.0, mode="add",
                                              clamp=False) - x[b] for name, a in angles.items()}
            match = [n for n, f in cands.items() if torch.allclose(f, field[b], atol=1e-6)]
            assert len(match) == 1, match
            seen.add(match[0])
            got = pg.linear_gradient(x[b], angle=angles[match[0]], strength=sign * g, alpha=1.0, mode="add")
            torch.testing.assert_close(got, ref[b], rtol=0, atol=F32)
    assert seen == set(angles)                  # every ramp direction was met


# ----------------------------------------------------------------------------- OpenCV
def test_cv1_opencv_gaussian_blur_ksize(rng):
    cv2 = pytest.importorskip("cv2")
    for _ in range(N):
        border = str(rng.choice(["reflect", "symmetric", "replicate", "constant"]))
        img = rng.random((*_shape(rng, 12, 30), 3)).astype(np.float32)
        kh, kw = (int(v) for v in 2 * rng.integers(0, 6, 2) + 1)
        sy, sx = (float(v) for v in rng.uniform(0.3, 3.0, 2))
        ref = cv2.GaussianBlur(img, (kw, kh), sigmaX=sx, sigmaY=sy, borderType=_cv_border(cv2, border))
        got = pg.gaussian_blur(img, (sy, sx), kernel_size=(kh, kw), border=border)
        np.testing.assert_allclose(got, ref, rtol=0, atol=F32)
        u8 = (img * 255).astype(np.uint8)
        ref8 = cv2.GaussianBlur(u8, (kw, kh), sigmaX=sx, sigmaY=sy, borderType=_cv_border(cv2, border))
        got8 = pg.gaussian_blur(u8, (sy, sx), kernel_size=(kh, kw), border=border)
        assert np.abs(got8.astype(int) - ref8).max() <= 4        # OpenCV's 8-bit fixed-point weights


def test_cv2_opencv_gaussian_blur_radius_rule(rng):
    cv2 = pytest.importorskip("cv2")

    def k(s):
        return int(math.floor(s * 4 * 2 + 1 + 0.5)) | 1          # cvRound(sigma * 4 * 2 + 1) | 1

    for _ in range(N):
        img = rng.random((*_shape(rng, 12, 34), 3)).astype(np.float32)
        sy, sx = (float(v) for v in rng.uniform(0.3, 3.0, 2))
        ref = cv2.GaussianBlur(img, (0, 0), sigmaX=sx, sigmaY=sy)
        got = pg.gaussian_blur(img, (sy, sx), kernel_size=(k(sy), k(sx)))
        np.testing.assert_allclose(got, ref, rtol=0, atol=F32)


def test_cv3_opencv_blur(rng):
    cv2 = pytest.importorskip("cv2")
    for _ in range(N):
        img = rng.random((*_shape(rng), 3)).astype(np.float32)
        kh, kw = (int(v) for v in 2 * rng.integers(0, 5, 2) + 1)
        np.testing.assert_allclose(pg.box_blur(img, (kh, kw)), cv2.blur(img, (kw, kh)), rtol=0, atol=F32)


def test_cv4_opencv_filter2d_motion_kernel(rng):
    cv2 = pytest.importorskip("cv2")
    for _ in range(N):
        img = rng.random(_shape(rng, 16, 30))
        L, a = float(rng.uniform(1, 12)), float(rng.uniform(-math.pi, math.pi))
        ref = cv2.filter2D(img, -1, motion_kernel2d(L, a).numpy(), borderType=cv2.BORDER_REFLECT_101)
        np.testing.assert_allclose(pg.motion_blur(img, L, a), ref, rtol=0, atol=F64)


# ----------------------------------------------------------------------------- scipy.ndimage
def test_sp1_scipy_gaussian_filter(rng):
    ndi = pytest.importorskip("scipy.ndimage")
    for _ in range(N):
        border = str(rng.choice(sorted(_SCIPY)))
        x = rng.random((3, *_shape(rng)))
        sy, sx = (float(v) for v in rng.uniform(0.3, 4.0, 2))
        t = float(rng.uniform(1.0, 5.0))
        ref = ndi.gaussian_filter(x, (0, sy, sx), mode=_SCIPY[border], truncate=t)
        got = pg.gaussian_blur(torch.from_numpy(x), (sy, sx), radius=(int(t * sy + 0.5), int(t * sx + 0.5)),
                               border=border)
        np.testing.assert_allclose(got.numpy(), ref, rtol=0, atol=F64)
        if t * sy % 1 >= 0.5 and t * sx % 1 >= 0.5:        # then ceil and round agree: truncate alone
            got = pg.gaussian_blur(torch.from_numpy(x), (sy, sx), truncate=t, border=border)
            np.testing.assert_allclose(got.numpy(), ref, rtol=0, atol=F64)


def test_sp2_scipy_gaussian_filter_radius(rng):
    ndi = pytest.importorskip("scipy.ndimage")
    for _ in range(N):
        x = rng.random(_shape(rng))
        s, r = float(rng.uniform(0.3, 4.0)), int(rng.integers(0, 12))
        np.testing.assert_allclose(pg.gaussian_blur(x, s, radius=r),
                                   ndi.gaussian_filter(x, s, radius=r, mode="mirror"), rtol=0, atol=F64)


def test_sp3_scipy_uniform_filter(rng):
    ndi = pytest.importorskip("scipy.ndimage")
    for _ in range(N):
        border = str(rng.choice(sorted(_SCIPY)))
        x = rng.random(_shape(rng))
        kh, kw = (int(v) for v in 2 * rng.integers(0, 5, 2) + 1)
        ref = ndi.uniform_filter(x, (kh, kw), mode=_SCIPY[border])
        np.testing.assert_allclose(pg.box_blur(x, (kh, kw), border=border), ref, rtol=0, atol=F64)


# ----------------------------------------------------------------------------- albumentations
def _image(rng, shape=None):
    return rng.random((*(shape or _shape(rng, 11, 30)), 3)).astype(np.float32)


def _recorded(A, transform, img, seed):
    """Run ``transform`` once inside a seeded ``A.ReplayCompose``: (output, the params it drew)."""
    rc = A.ReplayCompose([transform])
    rc.set_random_seed(seed)
    out = rc(image=img)
    return out["image"], out["replay"]["transforms"][0]["params"]


def test_al1_albumentations_gaussian_blur_pil_radius_rule(rng):
    A = pytest.importorskip("albumentations")
    for _ in range(N):
        img, s = _image(rng), float(rng.uniform(0.3, 3.0))
        ref = A.GaussianBlur(blur_limit=0, sigma_limit=(s, s), p=1.0)(image=img)["image"]
        got = pg.gaussian_blur(img, s, radius=int(3.5 * s))
        np.testing.assert_allclose(got, ref, rtol=0, atol=F32)


def test_al2_albumentations_gaussian_blur_kernel_size(rng):
    A = pytest.importorskip("albumentations")
    for _ in range(N):
        img = _image(rng)
        k, s = int(2 * rng.integers(1, 6) + 1), float(rng.uniform(0.3, 3.0))
        ref = A.GaussianBlur(blur_limit=(k, k), sigma_limit=(s, s), p=1.0)(image=img)["image"]
        np.testing.assert_allclose(pg.gaussian_blur(img, s, kernel_size=k), ref, rtol=0, atol=F32)


def test_al3_albumentations_blur(rng):
    A = pytest.importorskip("albumentations")
    for _ in range(N):
        img = _image(rng)
        k = int(2 * rng.integers(1, 5) + 1)
        ref = A.Blur(blur_limit=(k, k), p=1.0)(image=img)["image"]
        np.testing.assert_allclose(pg.box_blur(img, k), ref, rtol=0, atol=F32)


def _linear(img, I, t):
    if t % 45 == 0:                                                                     # AI1
        return pg.linear_gradient(img, angle=math.radians(t), strength=2 * I, offset=-I, alpha=1.0,
                                  mode="multiply")
    r = math.radians(t)                                                                 # AI2
    return pg.linear_gradient(img, 2 * I * math.cos(r), 2 * I * math.sin(r), 1.0, offset=-I, mode="multiply")


def test_ai1_ai2_albumentations_linear_illumination(rng):
    A = pytest.importorskip("albumentations")
    for n in range(2 * N):                        # N calls on multiples of 45 degrees (AI1), N off them (AI2)
        img, effect = _image(rng), str(rng.choice(["brighten", "darken"]))
        I = float(rng.uniform(0.01, 0.2))
        t = float(45 * rng.integers(0, 9)) if n % 2 == 0 else float(rng.uniform(0, 360))
        ref = A.Illumination(mode="linear", intensity_range=(I, I), effect_type=effect, angle_range=(t, t),
                             p=1.0)(image=img)["image"]
        got = _linear(img, I if effect == "brighten" else -I, t)
        np.testing.assert_allclose(got, ref, rtol=0, atol=F32, err_msg=f"angle {t}, {effect}")


def test_ai1_ai2_effect_both_is_the_drawn_sign(rng):
    """``effect_type="both"`` (the default): the recorded signed intensity is the row's ``I``."""
    A = pytest.importorskip("albumentations")
    signs = []
    for n in range(N):
        img = _image(rng)
        ref, params = _recorded(A, A.Illumination(mode="linear", intensity_range=(0.01, 0.2), p=1.0), img, n)
        np.testing.assert_allclose(_linear(img, params["intensity"], params["angle"]), ref, rtol=0, atol=F32)
        signs.append(params["intensity"] > 0)
    assert 10 <= sum(signs) <= N - 10


def _spot(img, I, cx, cy, s):
    H, W = img.shape[:2]
    m = max(H, W) * s
    return pg.gaussian_spot(img, 1.0, center=(H * cy / (H - 1), W * cx / (W - 1)),
                            sigma=(m / (H - 1), m / (W - 1)), strength=I, mode="multiply")


def test_ai3_albumentations_gaussian_illumination(rng):
    A = pytest.importorskip("albumentations")
    for _ in range(N):
        img, effect = _image(rng), str(rng.choice(["brighten", "darken"]))
        I = float(rng.uniform(0.01, 0.2))
        c, s = float(rng.uniform(0.0, 1.0)), float(rng.uniform(0.2, 1.0))
        ref = A.Illumination(mode="gaussian", intensity_range=(I, I), effect_type=effect, center_range=(c, c),
                             sigma_range=(s, s), p=1.0)(image=img)["image"]
        np.testing.assert_allclose(_spot(img, I if effect == "brighten" else -I, c, c, s), ref, rtol=0, atol=F32)


def test_ai3_effect_both_draws_the_sign_half_the_calls_darken(rng):
    """The default ``effect_type="both"`` flips a coin per call: ``strength=+I`` matches only the
    calls that brighten (about half); per call, the recorded signed intensity and centre
    ``(cx, cy)`` (drawn independently from ``center_range``) give the exact result."""
    A = pytest.importorskip("albumentations")
    signs = []
    for n in range(N):
        img = _image(rng)
        t = A.Illumination(mode="gaussian", intensity_range=(0.05, 0.2), center_range=(0.1, 0.9),
                           sigma_range=(0.2, 0.6), p=1.0)
        ref, params = _recorded(A, t, img, n)
        I, (cx, cy), s = params["intensity"], params["center"], params["sigma"]
        np.testing.assert_allclose(_spot(img, I, cx, cy, s), ref, rtol=0, atol=F32)
        plus = np.abs(_spot(img, abs(I), cx, cy, s) - ref).max() <= F32
        assert plus == (I > 0)                                  # +|I| matches exactly the brightening calls
        signs.append(I > 0)
    assert 10 <= sum(signs) <= N - 10


def _corner(img, I, k):
    H, W = img.shape[:2]
    cy, cx = [(0, 0), (0, 1), (1, 1), (1, 0)][k]
    D = math.hypot(H, W)
    return pg.radial_gradient(img, 1.0, center=(cy, cx), radius=(D / (H - 1), D / (W - 1)), strength=I,
                              offset=-I, mode="multiply")


def test_ai4_albumentations_corner_illumination(rng):
    """The corner is drawn per call: compare with the corner and signed intensity albumentations
    recorded, over ``N`` calls of the transform and ``N`` of its functional form."""
    A = pytest.importorskip("albumentations")
    from albumentations.augmentations.pixel.functional import apply_corner_illumination

    corners = set()
    for n in range(N):
        img, effect = _image(rng), str(rng.choice(["brighten", "darken", "both"]))
        t = A.Illumination(mode="corner", intensity_range=(0.01, 0.2), effect_type=effect, p=1.0)
        ref, params = _recorded(A, t, img, n)
        I, k = params["intensity"], params["corner"]
        assert (I > 0) if effect == "brighten" else (I < 0) if effect == "darken" else True
        np.testing.assert_allclose(_corner(img, I, k), ref, rtol=0, atol=F32)
        corners.add(k)
        img = _image(rng)
        I, k = float(rng.uniform(-0.2, 0.2)), int(rng.integers(0, 4))
        np.testing.assert_allclose(_corner(img, I, k), apply_corner_illumination(img, I, k), rtol=0, atol=F32)
    assert corners == {0, 1, 2, 3}
