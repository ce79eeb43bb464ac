"""pg.filter2d: correlation with any 2-D kernel (shared or per sample), against scipy.ndimage."""
import numpy as np
import pytest
import torch
from scipy import ndimage

import pixelgrad as pg

SCIPY_MODE = {"reflect": "mirror", "symmetric": "reflect", "replicate": "nearest", "circular": "wrap",
              "constant": "constant"}


def _ref(x: np.ndarray, k: np.ndarray, border: str) -> np.ndarray:
    """(B, C, H, W) float64 correlated by scipy, k (B or 1, Kh, Kw)."""
    return np.stack([np.stack([ndimage.correlate(x[i, c], k[i if len(k) > 1 else 0], mode=SCIPY_MODE[border])
                               for c in range(x.shape[1])]) for i in range(x.shape[0])])


@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@pytest.mark.parametrize("border", sorted(SCIPY_MODE))
@pytest.mark.parametrize("kshape", [(3, 5), (2, 7, 3), (1, 15, 13)])
def test_filter2d_is_scipy_correlate(rng, border, method, kshape):
    x = rng.standard_normal((2, 3, 21, 18))
    k = rng.standard_normal(kshape)
    y = pg.filter2d(torch.from_numpy(x), torch.from_numpy(k), border=border, method=method)
    np.testing.assert_allclose(y.numpy(), _ref(x, k.reshape(-1, *k.shape[-2:]), border), atol=1e-11)


@pytest.mark.parametrize("border", ["reflect", "symmetric", "replicate", "circular"])
def test_kernel_wider_than_the_image_is_folded_exactly(rng, border):
    x = rng.random((1, 1, 7, 9))
    k = rng.random((1, 21, 25))
    y = pg.filter2d(torch.from_numpy(x), torch.from_numpy(k[0]), border=border)
    np.testing.assert_allclose(y.numpy(), _ref(x, k, border), atol=1e-11)


def test_numpy_uint8_in_uint8_out_and_nothing_modified(rng):
    img = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    k = rng.random((5, 5))
    k /= k.sum()
    before_img, before_k = img.copy(), k.copy()
    out = pg.filter2d(img, k)
    assert out.dtype == np.uint8 and out.shape == img.shape
    ref = np.stack([ndimage.correlate(img[..., c].astype(np.float64), k, mode="mirror") for c in range(3)], -1)
    assert np.abs(out.astype(float) - ref).max() <= 0.5 + 1e-4          # rounded (float32 compute)
    assert np.array_equal(img, before_img) and np.array_equal(k, before_k)


def test_per_sample_results_do_not_depend_on_the_batch(rng):
    x = torch.from_numpy(rng.random((3, 2, 30, 30)))
    k = torch.from_numpy(rng.random((3, 9, 9)))
    full = pg.filter2d(x, k)
    for i in range(3):
        assert torch.equal(full[i:i + 1], pg.filter2d(x[i:i + 1], k[i]))


def test_differentiable_in_x(rng):
    x = torch.from_numpy(rng.random((1, 1, 8, 8))).requires_grad_(True)
    k = torch.from_numpy(rng.random((3, 3)))
    assert torch.autograd.gradcheck(lambda t: pg.filter2d(t, k, border="symmetric"), (x,))


@pytest.mark.parametrize("kernel, match", [
    (np.ones((4, 3)), "odd"), (np.ones(3), "Kh, Kw"), (np.ones((3, 3, 3, 3)), "Kh, Kw"),
    (np.full((3, 3), np.nan), "finite"), (np.ones((3, 3, 3)), "one per image"), ("abc", "real array"),
])
def test_bad_kernels_name_the_argument(kernel, match):
    with pytest.raises((ValueError, TypeError), match="kernel") as info:
        pg.filter2d(torch.rand(2, 1, 8, 8), kernel)
    assert match in str(info.value)


def test_bad_method_names_the_argument():
    with pytest.raises(ValueError, match="method"):
        pg.filter2d(torch.rand(1, 1, 8, 8), np.ones((3, 3)), method="matrix")
