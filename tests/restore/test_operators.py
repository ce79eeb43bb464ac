"""restore.operators: exact adjoints for every operator x border, forward = pixelgrad's blurs."""
import pytest
import torch

import pixelgrad as pg
from pixelgrad.restore import operators as O

BORDERS = ("reflect", "symmetric", "replicate", "circular", "constant")

BLURS = {
    "gaussian": lambda b, g: O.Blur(sigma=1.3, border=b),
    "gaussian per-sample": lambda b, g: O.Blur(sigma=torch.tensor([0.6, 1.7]), border=b),
    "anisotropic rotated": lambda b, g: O.Blur(sigma=(0.8, 2.0), angle=0.4, border=b),
    "box": lambda b, g: O.Blur(box=5, border=b),
    "motion": lambda b, g: O.Blur(motion=(7, 0.5), border=b),
    "motion directional": lambda b, g: O.Blur(motion=(6.5, 1.1, 0.7), border=b),
    "user kernel": lambda b, g: O.Blur(torch.rand(5, 7, generator=g, dtype=torch.float64), border=b),
    "user kernel per-sample": lambda b, g: O.Blur(torch.rand(2, 3, 5, generator=g, dtype=torch.float64), border=b),
}


def _pair(rng, shape=(2, 3, 19, 23)):
    g = torch.Generator().manual_seed(int(rng.integers(2 ** 31)))
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    y = torch.randn(shape, generator=g, dtype=torch.float64)
    return x, y, g


def _adjoint_gap(A, x, y):
    ax = A(x)
    lhs = float((ax * y[..., :ax.shape[-2], :ax.shape[-1]]).sum()) if ax.shape != y.shape else float((ax * y).sum())
    yy = y if ax.shape == y.shape else y[..., :ax.shape[-2], :ax.shape[-1]]
    rhs = float((x * A.adjoint(yy)).sum())
    return abs(lhs - rhs) / max(abs(lhs), 1e-300)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("name", sorted(BLURS))
def test_blur_adjoint_is_exact(rng, name, border):
    x, y, g = _pair(rng)
    A = BLURS[name](border, g)
    assert _adjoint_gap(A, x, y) < 1e-10


@pytest.mark.parametrize("border", BORDERS)
def test_other_operators_and_composition_adjoint(rng, border):
    x, y, g = _pair(rng, (2, 1, 16, 18))
    known = torch.rand(2, 1, 16, 18, generator=g) < 0.5
    ops = [O.Identity(), O.Mask(known), O.Blur(sigma=1.0, border=border) @ O.Mask(known),
           O.Mask(known) @ O.Blur(motion=(5, 0.3), border=border)]
    for A in ops:
        assert _adjoint_gap(A, x, y) < 1e-10, A
    D = O.Downsample(3)
    yd = torch.randn(2, 1, 6, 6, generator=g, dtype=torch.float64)
    assert abs(float((D(x) * yd).sum() - (x * D.adjoint(yd)).sum())) < 1e-10
    S = D @ O.Blur(sigma=1.0, border=border)
    assert abs(float((S(x) * yd).sum() - (x * S.adjoint(yd)).sum())) < 1e-10


def test_blur_forward_is_pixelgrads_blur(rng):
    x, _, g = _pair(rng)
    assert torch.equal(O.Blur(sigma=1.5, border="symmetric")(x), pg.gaussian_blur(x, 1.5, border="symmetric"))
    assert torch.equal(O.Blur(motion=(9, 0.2))(x), pg.motion_blur(x, 9, 0.2))
    assert torch.equal(O.Blur(box=3, border="replicate")(x), pg.box_blur(x, 3, border="replicate"))


def test_user_kernel_is_a_convolution(rng):
    """Blur(kernel=psf) convolves (scipy.ndimage.convolve, same border)."""
    import numpy as np
    from scipy import ndimage

    x, _, g = _pair(rng, (1, 1, 17, 20))
    psf = torch.rand(3, 5, generator=g, dtype=torch.float64)
    for border, mode in (("reflect", "mirror"), ("circular", "wrap"), ("constant", "constant")):
        ours = O.Blur(psf, border=border)(x)[0, 0].numpy()
        ref = ndimage.convolve(x[0, 0].numpy(), psf.numpy(), mode=mode)
        np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_transfer_function_matches_circular_blur(rng):
    x, _, g = _pair(rng, (1, 1, 16, 20))
    for A in (O.Blur(sigma=(1.0, 2.0), angle=0.3, border="circular"), O.Blur(motion=(7, 1.0), border="circular")):
        k = A.transfer((16, 20))
        via_fft = torch.fft.irfft2(k * torch.fft.rfft2(x), s=(16, 20))
        torch.testing.assert_close(via_fft, A(x), atol=1e-12, rtol=0)


def test_bad_operator_arguments():
    with pytest.raises(ValueError, match="sigma"):
        O.Blur(sigma=0.0)
    with pytest.raises(ValueError, match="sigma"):
        O.Blur(sigma=-1.0)
    with pytest.raises(ValueError, match="kernel"):
        O.Blur(sigma=1.0, box=3)
    with pytest.raises(ValueError, match="kernel"):
        O.Blur(torch.ones(4, 4))
    with pytest.raises(ValueError, match="kernel"):
        O.Blur(torch.full((3, 3), float("nan")))
    with pytest.raises(ValueError, match="border"):
        O.Blur(sigma=1.0, border="wrap")
    with pytest.raises(ValueError, match="kernel"):
        O.Blur(sigma=5.0, border="constant")(torch.rand(1, 1, 16, 16))
    with pytest.raises(ValueError, match="factor"):
        O.Downsample(0)
    with pytest.raises(TypeError, match="known"):
        O.Mask(torch.ones(1, 1, 4, 4))


# ----------------------------------------------------------------------------- FFT path
# kernel shapes on both sides of the direct / FFT switch (correlate_method) on a 41 x 35
# image (non-square, odd sides); (2, ...) = one kernel per sample
KERNEL_SHAPES = [(3, 5), (1, 3), (9, 13), (31, 31), (2, 3, 7), (2, 15, 11)]


def _forced(monkeypatch, method):
    monkeypatch.setattr(O, "correlate_method", lambda h, w, kh, kw: method)


def test_the_switch_lies_between_the_test_kernels():
    """The shapes above really exercise both algorithms on the test image."""
    assert O.correlate_method(41, 35, 3, 5) == "direct"
    assert O.correlate_method(41, 35, 15, 11) == "fft"
    assert O.correlate_method(41, 35, 31, 31) == "fft"
    assert O.correlate_method(256, 256, 31, 31) == "fft"
    assert O.correlate_method(256, 256, 3, 3) == "direct"


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("shape", KERNEL_SHAPES)
def test_user_kernel_adjoint_is_exact_on_both_sides_of_the_switch(rng, border, shape):
    x, y, g = _pair(rng, (2, 3, 41, 35))
    A = O.Blur(torch.rand(shape, generator=g, dtype=torch.float64), border=border)
    assert _adjoint_gap(A, x, y) < 1e-10


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("shape", KERNEL_SHAPES)
def test_fft_path_equals_direct_path(rng, monkeypatch, border, shape):
    """Forward and adjoint by FFT equal the direct correlation to float64 rounding, and the
    adjoint is exact whichever algorithm runs."""
    x, y, g = _pair(rng, (2, 3, 41, 35))
    A = O.Blur(torch.rand(shape, generator=g, dtype=torch.float64) + 0.01, border=border)
    out = {}
    for method in ("direct", "fft"):
        _forced(monkeypatch, method)
        out[method] = (A(x), A.adjoint(y))
        assert _adjoint_gap(A, x, y) < 1e-10, method
    scale = float(x.abs().max()) * A.norm_bound()
    for a, b in zip(out["direct"], out["fft"]):
        assert float((a - b).abs().max()) <= 1e-13 * scale
    assert not torch.equal(out["direct"][0], out["fft"][0]) or shape == (1, 3)  # two algorithms ran


@pytest.mark.parametrize("border", ("reflect", "symmetric", "replicate", "circular"))
def test_kernel_wider_than_the_image_by_fft(rng, monkeypatch, border):
    x, y, g = _pair(rng, (1, 2, 12, 17))
    A = O.Blur(torch.rand(45, 41, generator=g, dtype=torch.float64), border=border)
    _forced(monkeypatch, "direct")
    ref = A(x)
    _forced(monkeypatch, "fft")
    assert float((A(x) - ref).abs().max()) <= 1e-13 * float(x.abs().max()) * A.norm_bound()
    assert _adjoint_gap(A, x, y) < 1e-10


def test_large_kernel_runs_by_fft(rng, monkeypatch):
    """The correlation with a large explicit kernel goes to the FFT, a small one stays direct
    (the call the operator makes is recorded)."""
    from pixelgrad.backends import torch_backend

    seen = []
    real = torch_backend.correlate2d

    def spy(x, k, border, method):
        seen.append((tuple(k.shape[-2:]), method))
        return real(x, k, border, method)

    monkeypatch.setattr(torch_backend, "correlate2d", spy)
    x, _, g = _pair(rng, (1, 1, 64, 64))
    A = O.Blur(torch.rand(31, 31, generator=g, dtype=torch.float64), border="circular")
    A.adjoint(A(x))
    O.Blur(torch.rand(3, 3, generator=g, dtype=torch.float64))(x)
    assert seen == [((31, 31), "fft"), ((31, 31), "fft"), ((3, 3), "direct")]
