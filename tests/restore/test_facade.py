"""deblur / denoise / solve facades, noise estimation, determinism, the CLI's --task."""
import warnings

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad.restore import operators as O
from pixelgrad.restore import priors as P
from pixelgrad.restore.noise import selection_bias


def _scene(rng, shape=(2, 1, 48, 48), dtype=torch.float32):
    """A piecewise-smooth test scene: smoothed noise plus a few edges."""
    x = torch.from_numpy(rng.random(shape)).to(dtype)
    x = pg.gaussian_blur(x, 2.0)
    x = (x - x.amin(dim=(-2, -1), keepdim=True)) / (x.amax(dim=(-2, -1), keepdim=True) - x.amin(dim=(-2, -1), keepdim=True))
    x[..., 10:30, 12:20] = 0.9
    return x.clamp(0.05, 0.95)


def _gen(rng):
    return torch.Generator().manual_seed(int(rng.integers(2 ** 31)))


@pytest.mark.parametrize("blur", [{"sigma": 1.5}, {"motion": (7, 0.4)}, {"box": 3}])
def test_deblur_beats_its_input(rng, blur):
    x = _scene(rng)
    y, _ = pg.restore.corrupt.blur(x, **blur, noise=0.01, generator=_gen(rng))
    before = y.clone()
    res = pg.restore.deblur(y, **blur)
    assert torch.equal(y, before)                                    # input not modified
    assert res.image.shape == y.shape and res.image.dtype == y.dtype
    assert bool((pg.restore.psnr(res.image, x) > pg.restore.psnr(y.clamp(0, 1), x) + 1.0).all())
    assert res.history.dtype == torch.float64 and res.history.shape[1] == 2 and res.noise.shape == (2,)
    assert res.method == "auto" and res.seconds > 0


@pytest.mark.parametrize("method", ["wiener", "tv", "tikhonov"])
def test_deblur_methods_beat_their_input(rng, method):
    x = _scene(rng, (1, 1, 32, 32))
    y, _ = pg.restore.corrupt.blur(x, sigma=1.5, noise=0.01, generator=_gen(rng))
    res = pg.restore.deblur(y, sigma=1.5, noise=0.01, method=method, iterations=60)
    assert float(pg.restore.psnr(res.image, x)) > float(pg.restore.psnr(y.clamp(0, 1), x))


def test_noiseless_circular_deblur_recovers_the_image(rng):
    x = _scene(rng, (1, 1, 64, 64), torch.float64)
    y = pg.gaussian_blur(x, 1.5, border="circular")
    res = pg.restore.deblur(y, sigma=1.5, border="circular", noise=0.0, method="wiener")
    assert float(pg.restore.psnr(res.image, x)) > 40.0
    assert float(pg.restore.psnr(y, x)) < 35.0


def test_deblur_user_kernel_numpy_uint8(rng):
    x = _scene(rng, (1, 1, 40, 40))[0, 0].numpy()
    psf = np.ones((1, 5), np.float64) / 5
    y, _ = pg.restore.corrupt.blur(x, psf, noise=0.005, generator=_gen(rng))
    y8 = np.round(np.clip(y, 0, 1) * 255).astype(np.uint8)
    res = pg.restore.deblur(y8, psf)
    assert res.image.dtype == np.uint8 and res.image.shape == y8.shape
    assert pg.restore.psnr(res.image, np.round(x * 255).astype(np.uint8)) > pg.restore.psnr(y8, np.round(x * 255).astype(np.uint8))


@pytest.mark.parametrize("method", ["auto", "dct", "tv"])
def test_denoise_beats_its_input(rng, method):
    x = _scene(rng, (2, 3, 40, 40))
    y = x + 0.08 * torch.randn(x.shape, generator=_gen(rng))     # not clipped: may leave [0, 1]
    before = y.clone()
    res = pg.restore.denoise(y, method=method)
    assert torch.equal(y, before)
    assert bool((pg.restore.psnr(res.image, x) > pg.restore.psnr(y.clamp(0, 1), x) + 3.0).all())
    assert abs(float(res.noise[0]) - 0.08) < 0.02


def test_solve_facade(rng):
    x = _scene(rng, (1, 1, 32, 32))
    A = O.Blur(sigma=1.2)
    y = A(x) + 0.01 * torch.randn(x.shape, generator=_gen(rng))
    for prior, name in ((P.TotalVariation(5e-3), "pdhg"), (P.Harmonic(1e-2), "cg"), (P.Charbonnier(3e-3), "fista")):
        res = pg.restore.solve(y, A, prior, iterations=200)
        assert res.method == name
        assert float(pg.restore.psnr(res.image, x)) > float(pg.restore.psnr(y.clamp(0, 1), x))
    known = torch.rand(1, 1, 32, 32, generator=_gen(rng)) < 0.5
    res = pg.restore.solve(x * known, O.Mask(known), P.Harmonic(1e-2), iterations=100)
    assert float(pg.restore.psnr(res.image, x)) > float(pg.restore.psnr(x * known, x))


def test_estimate_noise(rng):
    x = _scene(rng, (3, 1, 96, 96), torch.float64)
    s = torch.tensor([0.0, 0.02, 0.1], dtype=torch.float64)
    y = x + s[:, None, None, None] * torch.randn(x.shape, generator=_gen(rng), dtype=torch.float64)
    est = pg.restore.estimate_noise(y)
    assert est.shape == (3,)
    assert float(est[0]) < 0.01 and abs(float(est[1]) - 0.02) < 0.004 and abs(float(est[2]) - 0.1) < 0.01


@pytest.mark.parametrize("dof, fraction", [(48, 0.5), (48, 0.25), (24, 0.5), (8, 0.9)])
def test_selection_bias_is_the_truncated_chi_square_mean(dof, fraction):
    chi2 = pytest.importorskip("scipy.stats").chi2
    q = chi2.ppf(fraction, dof)
    expected = chi2.expect(lambda t: t, args=(dof,), ub=q, conditional=True) / dof
    assert abs(selection_bias(dof, fraction) - expected) < 1e-6


def test_flat_fraction_estimate_unbiased_on_pure_noise(rng):
    y = 0.5 + 0.07 * torch.randn((2, 1, 256, 256), generator=_gen(rng), dtype=torch.float64)
    for f in (1.0, 0.5):                    # (smaller fractions: fewer patches, ~-3 % at 0.25)
        est = pg.restore.estimate_noise(y, flat_fraction=f)
        assert float((est / 0.07 - 1).abs().max()) < 0.04, (f, est)   # was -9 % at 0.5


def test_bad_inputs_name_the_argument(rng):
    x = _scene(rng, (1, 1, 16, 16))
    with pytest.raises(ValueError, match="kernel"):
        pg.restore.deblur(x, sigma=5.0, border="constant")           # kernel larger than the image
    with pytest.raises(ValueError, match="sigma"):
        pg.restore.deblur(x, sigma=0.0)
    with pytest.raises(ValueError, match="sigma"):
        pg.restore.deblur(x, sigma=-1.0)
    for size in (4, 1, 2.0, True, 17):                                   # blind: an odd bound in [3, 16]
        with pytest.raises(ValueError, match="kernel_size"):
            pg.restore.deblur(x, kernel_size=size)
    with pytest.raises(ValueError, match="kernel_size"):
        pg.restore.deblur(x, sigma=1.0, kernel_size=5)                   # only without a blur
    with pytest.raises(ValueError, match="angle"):
        pg.restore.deblur(x, angle=0.3)                                  # angle needs sigma
    with pytest.raises(ValueError, match="image"):
        pg.restore.deblur(torch.full((1, 1, 16, 16), float("nan")), sigma=1.0)
    with pytest.raises(ValueError, match="image"):
        pg.restore.denoise(torch.full((1, 1, 16, 16), float("nan")))
    with pytest.raises(ValueError, match="method"):
        pg.restore.deblur(x, sigma=1.0, method="magic")
    with pytest.raises(ValueError, match="method"):
        pg.restore.denoise(x, method="magic")
    with pytest.raises(ValueError, match="noise"):
        pg.restore.deblur(x, sigma=1.0, noise=-0.1)
    with pytest.raises(ValueError, match="sigma"):
        pg.restore.denoise(x, sigma=-0.1)
    with pytest.raises(ValueError, match="known_mask"):
        pg.restore.inpaint(x, torch.ones(15, 16, dtype=torch.bool))
    with pytest.raises(TypeError, match="operator"):
        pg.restore.solve(x, "blur", P.Harmonic())
    with pytest.raises(ValueError, match="solver"):
        pg.restore.solve(x, O.Identity(), P.Harmonic(), solver="adam")


def test_results_do_not_depend_on_batch_or_threads(rng):
    x = _scene(rng, (3, 1, 40, 40))
    y, _ = pg.restore.corrupt.blur(x, motion=(5, 0.3), noise=0.02, generator=_gen(rng))
    bad, known = pg.restore.salt_and_pepper(x, 0.8, _gen(rng))
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        full = [pg.restore.deblur(y, motion=(5, 0.3)).image, pg.restore.denoise(y).image,
                pg.restore.inpaint(bad, known).image]
        torch.set_num_threads(1)
        one = [pg.restore.deblur(y[1:2], motion=(5, 0.3)).image, pg.restore.denoise(y[1:2]).image,
               pg.restore.inpaint(bad[1:2], known[1:2]).image]
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(old)
    for a, b in zip(full, one):
        assert torch.equal(a[1:2], b)


def test_deprecated_names_warn(rng):
    x = torch.from_numpy(rng.random((1, 1, 12, 12))).float()
    known = torch.from_numpy(rng.random((12, 12)) < 0.5)
    with pytest.warns(DeprecationWarning, match="multiscale_gd"):
        old = pg.restore.inpaint(x, known, "tutorial", iterations=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = pg.restore.inpaint(x, known, "multiscale_gd", iterations=5)
    assert torch.equal(old.image, new.image)
    with pytest.warns(DeprecationWarning, match="multiscale_smoothness"):
        pg.restore.energies.tutorial(x)


@pytest.mark.parametrize("task,extra", [("deblur", ["--blur-sigma", "1.5"]), ("deblur", ["--motion", "5", "0.3"]),
                                        ("denoise", [])])
def test_cli_task(tmp_path, capsys, task, extra, rng):
    from pixelgrad.cli.main import main
    from pixelgrad.io import read_image, write_image

    clean = np.round(_scene(rng, (1, 1, 40, 44))[0, 0].numpy() * 255).astype(np.uint8)
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    write_image(src, clean)
    rc = main(["restore", str(src), "-o", str(out), "--task", task, "--add-noise", "0.03", "--no-progress", *extra])
    assert rc == 0
    text = capsys.readouterr().out
    before, after = (float(v) for v in text.split("PSNR ")[1].split(" dB")[0].split(" -> "))
    assert after > before
    assert read_image(out).shape == clean.shape
    assert main(["restore", str(src), "-o", str(out), "--task", "deblur", "--add-noise", "0.03",
                 "--no-progress"]) == 2                                  # nothing to simulate
    assert main(["restore", str(src), "-o", str(out), "--task", task, "--method", "magic", *extra]) == 2


def test_two_stage_equals_the_two_shrinkage_stages(rng):
    from pixelgrad.restore import shrinkage

    x = _scene(rng, (1, 1, 40, 36), torch.float64)
    y = x + 0.05 * torch.randn(x.shape, generator=_gen(rng), dtype=torch.float64)
    v = torch.tensor(0.0025, dtype=torch.float64)
    first, second, sure = shrinkage.two_stage(y, v, patch=8, stride=3)
    assert torch.equal(first, shrinkage.patch_hard_threshold(y, v, patch=8, stride=3))
    ref, ref_sure = shrinkage.wiener(y, first, v, patch=8, stride=3, risk=True)
    assert torch.equal(second, ref) and sure == ref_sure
    assert float((second - x).square().mean()) < float((y - x).square().mean())


def test_old_hard_threshold_names_are_deprecated_aliases(rng):
    """``shrinkage.hard_threshold`` / ``dct.hard_threshold`` (two different functions under one
    name) now warn and return what ``patch_hard_threshold`` / ``block_hard_threshold`` return."""
    from pixelgrad.restore import dct, shrinkage

    y = _scene(rng, (1, 1, 24, 20), torch.float64)
    v = torch.tensor(0.0025, dtype=torch.float64)
    with pytest.warns(DeprecationWarning, match="patch_hard_threshold"):
        old = shrinkage.hard_threshold(y, v, patch=4, stride=2)
    assert torch.equal(old, shrinkage.patch_hard_threshold(y, v, patch=4, stride=2))
    d = dct.dct_matrix(8, torch.float64)
    with pytest.warns(DeprecationWarning, match="block_hard_threshold"):
        old = dct.hard_threshold(y, 0.1, (3, 5), 8, d)
    assert torch.equal(old, dct.block_hard_threshold(y, 0.1, (3, 5), 8, d))


@pytest.mark.parametrize("size", [(1, 4), (5, 8), (12, 15)])
@pytest.mark.parametrize("method", ["auto", "wiener"])
def test_deblur_of_images_smaller_than_the_fourier_margin(size, method, rng):
    """The mirror margin of the Fourier methods is wider than tiny images (it used to raise
    torch's padding RuntimeError): any size gives a finite image of the input's shape."""
    x = torch.from_numpy(rng.random((1, 1) + size))
    res = pg.restore.deblur(x, sigma=1.0, noise=0.01, method=method)
    assert res.image.shape == x.shape and bool(torch.isfinite(res.image).all())


def test_restore_blur_is_a_deprecated_alias_of_corrupt_blur(rng):
    x = _scene(rng, (1, 1, 16, 16))
    with pytest.warns(DeprecationWarning, match="pixelgrad.restore.corrupt.blur"):
        old = pg.restore.blur
    assert old is pg.restore.corrupt.blur
    with pytest.raises(AttributeError):
        pg.restore.no_such_name
    y, op = pg.restore.corrupt.blur(x, sigma=1.0)
    assert isinstance(op, O.Blur) and y.shape == x.shape


@pytest.mark.parametrize("blur", [{"sigma": 1.5}, {"box": 3}, {"motion": (5, 0.3)}, {"kernel": np.ones((3, 3)) / 9}])
def test_blur_operator_keeps_its_border_while_it_builds_kernels(blur):
    """Bug: Blur._forward_raw set self.border while it ran (impulse responses for kernel2d /
    transfer), so an operator shared with another thread blurred with the wrong border."""
    op = O.Blur(**blur, border="reflect")
    seen = []
    original = op._correlate if "kernel" in blur else None
    if original is not None:
        def spy(x, k, border=None):
            seen.append(op.border)
            return original(x, k, border)
        op._correlate = spy
    op.kernel2d()
    op.transfer((16, 16))
    assert op.border == "reflect" and all(b == "reflect" for b in seen)
    x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    torch.testing.assert_close(op(x), O.Blur(**blur, border="reflect")(x))
