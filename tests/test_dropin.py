"""A drop-in for torchvision / kornia / albumentations users (issue 11): the peers' bugs,
kernel_size= / radius=, differentiable parameters, PIL and uint16 containers, labels.
torchvision-only behaviour (tv_tensors) is in tests/interop/test_dropin_tv.py."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck

import pixelgrad as pg
from pixelgrad import augment as A
from pixelgrad.kernels.motion import motion_kernel2d


# ----------------------------------------------------------------------------- bug 1
def _ramp_oracle(H, W, angle, strength, offset):
    """g = offset + strength * t, t = (p - min p) / (max p - min p), p = u cos + v sin."""
    u = np.linspace(0, 1, W)[None, :] if W > 1 else np.zeros((1, 1))
    v = np.linspace(0, 1, H)[:, None] if H > 1 else np.zeros((1, 1))
    p = u * math.cos(angle) + v * math.sin(angle)
    lo = min(0, math.cos(angle)) + min(0, math.sin(angle))
    t = (p - lo) / (abs(math.cos(angle)) + abs(math.sin(angle)))
    return offset + strength * t


def test_linear_gradient_negative_strength_follows_documented_ramp(rng):
    y = pg.linear_gradient(np.zeros((1, 5)), alpha=1, angle=0, strength=-0.4, offset=0.2,
                           mode="add", clamp=False)
    np.testing.assert_allclose(y[0], [0.2, 0.1, 0.0, -0.1, -0.2], rtol=0, atol=1e-12)
    for _ in range(5):
        H, W = rng.integers(2, 9, 2)
        angle = float(rng.uniform(-math.pi, math.pi))
        strength = float(rng.uniform(-1, 1))
        offset = float(rng.uniform(-0.5, 0.5))
        got = pg.linear_gradient(np.zeros((H, W)), alpha=1.0, angle=angle, strength=strength,
                                 offset=offset, mode="add", clamp=False)
        np.testing.assert_allclose(got, _ramp_oracle(H, W, angle, strength, offset), rtol=0, atol=1e-12)


def test_random_gradient_negative_strength_range_keeps_ramp_direction():
    t = A.RandomGradient(angle=(0.0, 0.0), strength=(-0.5, -0.5), alpha=(1.0, 1.0), mode="add",
                         offset=(0.1, 0.1), clamp=False)
    y = t(torch.zeros(2, 1, 3, 6, dtype=torch.float64), seed=0)
    np.testing.assert_allclose(y[:, 0, :, 0].numpy(), 0.1, rtol=0, atol=1e-12)      # offset on the left
    np.testing.assert_allclose(y[:, 0, :, -1].numpy(), -0.4, rtol=0, atol=1e-12)    # offset + strength


# ----------------------------------------------------------------------------- bug 4
_OPS = {
    "gaussian_blur": lambda x: pg.gaussian_blur(x, 1.0),
    "gaussian_blur_angle": lambda x: pg.gaussian_blur(x, (1.0, 2.0), angle=0.3),
    "box_blur": lambda x: pg.box_blur(x, 3),
    "motion_blur": lambda x: pg.motion_blur(x, 5.0, 0.4),
    "shear": lambda x: pg.shear(x, 0.2),
    "linear_gradient": lambda x: pg.linear_gradient(x, 0.2, 0.3),
    "corner_gradient": lambda x: pg.corner_gradient(x, 1),
    "radial_gradient": lambda x: pg.radial_gradient(x),
    "gaussian_spot": lambda x: pg.gaussian_spot(x),
    "RandomGaussianBlur": lambda x: A.RandomGaussianBlur()(x),
    "RandomMotionBlur": lambda x: A.RandomMotionBlur()(x),
    "Compose": lambda x: A.Compose([A.RandomGradient(), A.RandomShear(), A.RandomBoxBlur()])(x),
}


@pytest.mark.parametrize("op", sorted(_OPS))
@pytest.mark.parametrize("shape", [(0, 3, 17, 11), (2, 3, 0, 11), (2, 3, 5, 0), (2, 0, 5, 5), (0, 0, 0)])
def test_empty_batches_and_zero_size_images_return_empty_results(op, shape):
    for dtype in (torch.float32, torch.uint8):
        x = torch.empty(shape, dtype=dtype)
        y = _OPS[op](x)
        assert isinstance(y, torch.Tensor) and y.shape == x.shape and y.dtype == dtype
    arr = np.zeros((0, 4, 3), np.uint8)
    out = _OPS[op](arr)
    assert isinstance(out, np.ndarray) and out.shape == arr.shape and out.dtype == arr.dtype


def test_empty_batch_still_validates_parameters():
    with pytest.raises(ValueError, match="`sigma` must be > 0"):
        pg.gaussian_blur(torch.empty(0, 3, 4, 4), -1.0)
    with pytest.raises(ValueError, match="`kernel_size`"):
        pg.gaussian_blur(torch.empty(0, 3, 4, 4), 1.0, kernel_size=4)


# ----------------------------------------------------------------------------- bug 5 (generic)
class _Tagged(torch.Tensor):
    pass


@pytest.mark.parametrize("op", ["gaussian_blur", "box_blur", "motion_blur", "shear", "linear_gradient",
                                "radial_gradient"])
def test_functional_api_keeps_tensor_subclass(op):
    x = torch.rand(2, 3, 9, 8).as_subclass(_Tagged)
    y = _OPS[op](x)
    assert type(y) is _Tagged
    assert torch.equal(y.as_subclass(torch.Tensor), _OPS[op](x.as_subclass(torch.Tensor)))


# ----------------------------------------------------------------------------- kernel_size / radius
def test_kernel_size_matches_kornia_gaussian_blur2d(rng):
    KF = pytest.importorskip("kornia.filters")
    x = torch.from_numpy(rng.random((2, 3, 23, 19)))
    for (kh, kw), (sy, sx), border in [((5, 9), (0.8, 2.5), "reflect"), ((3, 3), (1.7, 1.7), "replicate"),
                                       ((11, 1), (2.0, 0.5), "constant"), ((7, 5), (3.0, 1.2), "circular")]:
        ref = KF.gaussian_blur2d(x, (kh, kw), (sy, sx), border_type=border)
        got = pg.gaussian_blur(x, (sy, sx), kernel_size=(kh, kw), border=border)
        torch.testing.assert_close(got, ref, rtol=0, atol=1e-12)
        got_r = pg.gaussian_blur(x, (sy, sx), radius=(kh // 2, kw // 2), border=border)
        torch.testing.assert_close(got_r, got, rtol=0, atol=0)


def test_radius_matches_scipy_gaussian_filter_radius(rng):
    ndi = pytest.importorskip("scipy.ndimage")
    x = rng.random((17, 21))
    for sigma, r in [(1.3, 2), (0.6, 5), (4.0, 3)]:
        ref = ndi.gaussian_filter(x, sigma, radius=r, mode="mirror")
        np.testing.assert_allclose(pg.gaussian_blur(x, sigma, radius=r), ref, rtol=0, atol=1e-12)
        # per-sample sigmas and the rotated path honour the radius too
        xs = torch.from_numpy(np.stack([x, x]))[:, None]
        got = pg.gaussian_blur(xs, torch.tensor([sigma, sigma], dtype=torch.float64), radius=r)
        np.testing.assert_allclose(got[1, 0].numpy(), ref, rtol=0, atol=1e-12)
        got = pg.gaussian_blur(xs, (sigma, sigma + 0.5), angle=0.3, radius=(r, r + 1))
        assert got.shape == xs.shape


def test_kernel_size_wider_than_image_is_folded_exactly(rng):
    ndi = pytest.importorskip("scipy.ndimage")
    x = rng.random((4, 5))
    ref = ndi.gaussian_filter(x, 9.0, radius=40, mode="wrap")
    np.testing.assert_allclose(pg.gaussian_blur(x, 9.0, kernel_size=81, border="circular"), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel_size=4), "`kernel_size` must be an odd int"),
    (dict(kernel_size=(3, 0)), "`kernel_size` must be an odd int"),
    (dict(kernel_size=2.0), "`kernel_size` must be an odd int"),
    (dict(radius=-1), "`radius` must be an int >= 0"),
    (dict(radius=1, kernel_size=3), "`kernel_size, radius` must be at most one"),
])
def test_kernel_size_and_radius_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pg.gaussian_blur(torch.rand(1, 1, 8, 8), 1.0, **kwargs)


def test_motion_blur_radius_crops_and_renormalises(rng):
    x = torch.from_numpy(rng.random((1, 1, 15, 16)))
    k = motion_kernel2d(9.0, 0.5, 0.0, radius=3)
    cv2 = pytest.importorskip("cv2")
    ref = cv2.filter2D(x[0, 0].numpy(), -1, k.numpy(), borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_allclose(pg.motion_blur(x, 9.0, 0.5, radius=3)[0, 0].numpy(), ref, rtol=0, atol=1e-12)
    assert k.shape == (7, 7) and abs(float(k.sum()) - 1) < 1e-12


# ----------------------------------------------------------------------------- differentiable
def _x(rng, shape=(2, 2, 7, 8)):
    return torch.from_numpy(rng.random(shape))


def _p(*values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def test_gradcheck_gaussian_sigma(rng):
    x = _x(rng)
    assert gradcheck(lambda s: pg.gaussian_blur(x, s), (_p(1.3, 0.7),))
    assert gradcheck(lambda s: pg.gaussian_blur(x, s), (torch.tensor(0.9, dtype=torch.float64,
                                                                     requires_grad=True),))
    s2 = torch.tensor([[1.3, 0.6], [0.8, 2.2]], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda s: pg.gaussian_blur(x, s, border="circular", method="fft"), (s2,))
    assert gradcheck(lambda s: pg.gaussian_blur(x, s, kernel_size=(5, 3), border="constant"), (s2,))
    sy, sx = _p(1.1), _p(0.7)
    assert gradcheck(lambda sy, sx: pg.gaussian_blur(x, (sy[0], sx[0])), (sy, sx))


def test_gradcheck_gaussian_angle(rng):
    x = _x(rng)
    s = torch.tensor([[1.4, 0.6], [0.7, 1.9]], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda s, a: pg.gaussian_blur(x, s, angle=a), (s, _p(0.3, -1.1)))
    # an axis-aligned angle that requires grad still has its (non-zero) derivative
    a0 = _p(0.0, 0.0)
    pg.gaussian_blur(x, s.detach(), angle=a0).pow(2).sum().backward()
    assert a0.grad is not None and bool((a0.grad != 0).any())


def test_gradcheck_motion_length_angle_direction(rng):
    x = _x(rng)
    assert gradcheck(lambda L, a, d: pg.motion_blur(x, L, a, direction=d),
                     (_p(3.3, 5.6), _p(0.35, -1.2), _p(0.2, -0.4)))
    assert gradcheck(lambda L: pg.motion_blur(x, L, 0.0, radius=2), (_p(4.4, 2.5),))


def test_motion_kernel_with_grad_equals_kernel_at_integer_lengths():
    for L in (1.0, 2.0, 3.0, 7.0, 10.0):
        for a in (0.0, 0.7, -2.0):
            Lt = torch.tensor([L], dtype=torch.float64, requires_grad=True)
            k = motion_kernel2d(Lt, torch.tensor([a], dtype=torch.float64), 0.0)[0]
            torch.testing.assert_close(k.detach(), motion_kernel2d(L, a), rtol=0, atol=0)
            k.sum().backward()                         # sums to one: zero total derivative
            assert abs(float(Lt.grad)) < 1e-12
    k = motion_kernel2d(_p(7.0), 0.0, 0.0)[0]            # a (1,) tensor: one (K, K) kernel
    assert torch.equal(k.detach()[k.shape[0] // 2].nonzero().flatten(),
                       torch.arange(k.shape[1] // 2 - 3, k.shape[1] // 2 + 4))


def test_gradcheck_illumination_parameters(rng):
    x = _x(rng)
    al = _p(0.3, 0.6)
    assert gradcheck(lambda a, b, al: pg.linear_gradient(x, a, b, al, clamp=False), (_p(0.3, -0.5), _p(0.2, 0.7), al))
    assert gradcheck(lambda th, st, al, off: pg.linear_gradient(x, angle=th, strength=st, alpha=al, offset=off,
                                                                mode="add", clamp=False),
                     (_p(0.4, 2.0), _p(-0.4, 0.7), al, _p(0.1, -0.2)))
    per_channel = torch.tensor([[0.3, -0.2], [0.5, 0.1]], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a: pg.linear_gradient(x, a, 0.2, 0.4, mode="multiply", clamp=False), (per_channel,))
    for mode in ("blend", "add", "multiply"):
        assert gradcheck(lambda st, al: pg.corner_gradient(x, 1, al, strength=st, mode=mode, clamp=False), (_p(-0.5, 0.8), al))
        assert gradcheck(lambda st, al: pg.radial_gradient(x, al, strength=st, mode=mode, clamp=False), (_p(-0.5, 0.8), al))
        assert gradcheck(lambda st, al: pg.gaussian_spot(x, al, strength=st, mode=mode, clamp=False), (_p(-0.5, 0.8), al))


def test_gradcheck_gaussian_spot_center_sigma_offset(rng):
    # the smooth field; the radial cone max(0, 1 - r) has kinks (r = 0, r = 1) where a finite
    # difference is one-sided, so its center / radius are differentiable almost everywhere only
    x = _x(rng)
    c = torch.tensor([[0.3, 0.6], [0.5, 0.45]], dtype=torch.float64, requires_grad=True)
    s = torch.tensor([[0.3, 0.2], [0.5, 0.45]], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda c, s, o: pg.gaussian_spot(x, 0.4, center=c, sigma=s, offset=o, clamp=False),
                     (c, s, _p(0.1, -0.2)))
    assert gradcheck(lambda o: pg.corner_gradient(x, 2, 0.4, offset=o, clamp=False), (_p(0.1, -0.2),))


def test_gradient_reaches_parameters_through_clamp_and_float32(rng):
    x = torch.from_numpy(rng.random((1, 3, 16, 16)).astype(np.float32))
    s = torch.tensor(1.5, requires_grad=True)
    a = torch.tensor(0.2, requires_grad=True)
    y = pg.linear_gradient(pg.gaussian_blur(x, s), a, 0.1, 0.5)
    y.mean().backward()
    assert s.grad is not None and a.grad is not None and float(a.grad) != 0


@pytest.mark.parametrize("backend", ["opencv", "triton", "auto"])
def test_parameters_requiring_grad_route_to_torch_instead_of_detaching(rng, backend):
    x = _x(rng)
    s = torch.tensor(1.2, dtype=torch.float64, requires_grad=True)
    y = pg.gaussian_blur(x, s, backend=backend)
    assert y.requires_grad
    (g,) = torch.autograd.grad(y.sum() + (y ** 2).sum(), s)
    assert float(g) != 0
    torch.testing.assert_close(y.detach(), pg.gaussian_blur(x, 1.2, backend="torch"), rtol=0, atol=1e-12)
    L = torch.tensor(4.5, dtype=torch.float64, requires_grad=True)
    assert pg.motion_blur(x, L, 0.3, backend=backend).requires_grad
    if backend != "opencv":
        al = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        assert pg.gaussian_spot(x, al, backend=backend).requires_grad


def test_no_grad_mode_detaches_as_usual(rng):
    x = _x(rng)
    s = torch.tensor(1.2, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        y = pg.gaussian_blur(x, s)
    assert not y.requires_grad
    torch.testing.assert_close(y, pg.gaussian_blur(x, 1.2), rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- PIL / uint16
@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16", "F"])
def test_pil_in_pil_out(rng, mode):
    from PIL import Image

    if mode == "I;16":
        arr = rng.integers(0, 65536, (9, 11)).astype(np.uint16)
        img = Image.new("I;16", (11, 9))
        img.frombytes(arr.astype("<u2").tobytes())
    elif mode == "F":
        arr = rng.random((9, 11)).astype(np.float32)
        img = Image.fromarray(arr)
    else:
        arr = rng.integers(0, 256, (9, 11, {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode])).astype(np.uint8)
        img = Image.fromarray(arr[..., 0] if mode == "L" else arr)
    assert img.mode == mode
    for f in (lambda z: pg.gaussian_blur(z, 1.3), lambda z: pg.linear_gradient(z, 0.3, -0.2, 0.5),
              lambda z: A.RandomMotionBlur()(z, seed=0)):
        out = f(img)
        assert isinstance(out, Image.Image) and out.mode == mode and out.size == img.size
        ref = f(np.asarray(img).copy())
        np.testing.assert_array_equal(np.asarray(out), ref)


def test_pil_unsupported_mode_names_convert():
    from PIL import Image

    with pytest.raises(ValueError, match=r"gaussian_blur: argument `x` must be a PIL image in mode.*convert"):
        pg.gaussian_blur(Image.new("P", (4, 4)), 1.0)


def test_uint16_tensors_match_float64_oracle(rng):
    x16 = torch.from_numpy(rng.integers(0, 65536, (2, 3, 13, 12)).astype(np.uint16))
    xf = x16.to(torch.float64)
    cases = [lambda z: pg.gaussian_blur(z, (1.2, 2.0)), lambda z: pg.box_blur(z, 5),
             lambda z: pg.motion_blur(z, 4.5, 0.7), lambda z: pg.shear(z, 0.2, border="reflect"),
             lambda z: pg.gaussian_blur(z, 1.1, backend="torch")]
    for f in cases:
        y = f(x16)
        assert y.dtype == torch.uint16
        ref = f(xf).round().clamp(0, 65535)
        assert float((y.to(torch.float64) - ref).abs().max()) <= 1.0
    y = pg.linear_gradient(x16, 0.3, -0.2, 0.25, mode="add")
    ref = (pg.linear_gradient(xf / 65535, 0.3, -0.2, 0.25, mode="add") * 65535).round()
    assert y.dtype == torch.uint16 and float((y.to(torch.float64) - ref).abs().max()) <= 1.0
    arr = x16[0].permute(1, 2, 0).numpy()
    out = pg.gaussian_blur(arr, 1.5)
    assert out.dtype == np.uint16 and out.shape == arr.shape


# ----------------------------------------------------------------------------- labels
@pytest.mark.parametrize("label", [torch.tensor(2), torch.tensor([1, 4]), 3, 2.5, np.int64(1)])
def test_labels_pass_through_untouched(rng, label):
    img = torch.from_numpy(rng.random((3, 10, 12)).astype(np.float32))
    for t in (A.RandomShear(), A.RandomGradient(), A.Compose([A.RandomShear(), A.RandomGaussianBlur()])):
        out_img, out_label = t(img, label, seed=1)
        assert out_label is label
        assert torch.equal(out_img, t(img, seed=1))
        d = t({"image": img, "label": label}, seed=1)
        assert d["label"] is label and torch.equal(d["image"], out_img)


def test_geometric_transform_still_refuses_mask_like_tensors():
    with pytest.raises(ValueError, match="geometric"):
        A.RandomShear()(torch.rand(3, 8, 8), torch.zeros(8, 8))


# ----------------------------------------------------------------------------- small things
def test_corrupt_file_message_printed_once_even_with_quiet(tmp_path, capsys):
    from PIL import Image

    from pixelgrad.cli.main import main

    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.zeros((8, 9, 3), np.uint8)).save(src / "ok.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot a png")
    cfg = tmp_path / "p.yaml"
    A.save(A.RandomGaussianBlur(sigma=1.0), cfg)
    for quiet in (["-q"], []):
        out = tmp_path / ("out" + "".join(quiet))
        code = main(["augment", str(src), str(out), "-c", str(cfg), "--workers", "1", *quiet])
        err = capsys.readouterr().err
        assert code == 1
        assert err.count(f"failed: {src / 'broken.png'}:") == 1, err


def test_save_writes_only_non_defaults_and_load_reads_both_forms(tmp_path):
    import json

    t = A.Compose([A.RandomGradient(p=0.5), A.RandomGaussianBlur(sigma=(0.5, 1.5)),
                   A.OneOf([A.RandomShear(), A.RandomBoxBlur(size=(3, 5))], p=0.3),
                   A.RandomApply([A.RandomMotionBlur()])])
    path = A.save(t, tmp_path / "a.json")
    d = json.loads(path.read_text())
    assert d["transforms"][0] == {"type": "RandomGradient", "p": 0.5}
    assert d["transforms"][1] == {"type": "RandomGaussianBlur", "sigma": [0.5, 1.5]}
    assert d["transforms"][2] == {"type": "OneOf", "p": 0.3, "transforms": [
        {"type": "RandomShear"}, {"type": "RandomBoxBlur", "size": [3.0, 5.0]}]}
    assert d["transforms"][3] == {"type": "RandomApply", "transforms": [{"type": "RandomMotionBlur"}]}
    assert A.load(path).to_dict() == t.to_dict()
    full = tmp_path / "full.json"
    full.write_text(json.dumps(t.to_dict()))                    # the full form still loads
    assert A.load(full).to_dict() == t.to_dict()
    y = A.save(t, tmp_path / "a.yaml").read_text()
    assert len(y.splitlines()) < 20 and A.load(tmp_path / "a.yaml").to_dict() == t.to_dict()


def test_params_repr_shows_unchosen_one_of_child_not_applied():
    t = A.Compose([A.OneOf([A.RandomShear(), A.RandomBoxBlur()]), A.RandomApply([A.RandomGradient()], p=0.0)])
    _, P = t(torch.rand(4, 3, 8, 8), seed=0, return_params=True)
    chosen = P.children[0].values["chosen"].tolist()
    text = repr(P)
    for k, name in enumerate(["RandomShear", "RandomBoxBlur"]):
        part = text.split(f"type='{name}', applied=")[1].split("]")[0] + "]"
        assert part == str([c == k for c in chosen])
    assert "type='RandomGradient', applied=[False, False, False, False]" in text
    assert [s["transforms"][0]["transforms"][k]["applied"] for s in P.per_sample() for k in (0, 1)] == \
        [c == k for c in chosen for k in (0, 1)]


def test_energy_plot_has_no_legend_entry_without_a_curve(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from pixelgrad.viz.plot import plot_history

    figs = []
    real = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (figs.append(self), real(self, *a, **k))[1])
    history = torch.rand(12, 2) + 0.1
    plot_history(tmp_path / "energy.png", history, {"biharmonic": (0, 11), "empty": (11, 11),
                                                    "eed": (11, 12), "beyond": (12, 15)})
    ax = figs[0].axes[0]
    legend = ax.get_legend()
    names = [t.get_text() for t in legend.get_texts()]
    assert names == ["biharmonic", "eed"]
    for line in legend.get_lines():
        assert line.get_marker() not in ("None", "", None) or line.get_linestyle() not in ("None", "")
    for line in ax.get_lines():
        if line.get_label() in names:
            assert len(line.get_xdata()) >= 2 or line.get_marker() not in ("None", "", None)
    plot_history(tmp_path / "plain.png", history)               # no stage names: no legend
    assert figs[1].axes[0].get_legend() is None


def test_gradcheck_shear(rng):
    x = _x(rng)
    for border in ("constant", "reflect", "circular"):
        assert gradcheck(lambda a, b: pg.shear(x, a, b, border=border), (_p(0.13, -0.21), _p(0.07, 0.3)))


@pytest.mark.parametrize("border", ["reflect", "symmetric", "replicate", "circular", "constant"])
def test_differentiable_path_folds_kernels_wider_than_the_image(rng, border):
    x = _x(rng, (1, 1, 5, 6))
    s = torch.tensor([[40.3, 25.7]], dtype=torch.float64, requires_grad=True)   # 4 s not an integer
    y = pg.gaussian_blur(x, s, border=border)
    torch.testing.assert_close(y.detach(), pg.gaussian_blur(x, s.detach(), border=border), rtol=0, atol=1e-12)
    assert gradcheck(lambda s: pg.gaussian_blur(x, s, border=border), (s,))
    a = _p(0.4)
    torch.testing.assert_close(pg.gaussian_blur(x, s, angle=a, border=border).detach(),
                               pg.gaussian_blur(x, s.detach(), angle=0.4, border=border), rtol=0, atol=1e-12)
    L = _p(23.5)
    torch.testing.assert_close(pg.motion_blur(x, L, 0.3, border=border).detach(),
                               pg.motion_blur(x, 23.5, 0.3, border=border), rtol=0, atol=1e-12)


def test_differentiable_and_explicit_size_kernels_stay_bounded():
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    with pytest.raises(ValueError, match="gaussian_blur: argument `sigma` must be small enough"):
        pg.gaussian_blur(x, torch.tensor(1e7, dtype=torch.float64, requires_grad=True))
    with pytest.raises(ValueError, match="argument `kernel_size / radius` must be small enough"):
        pg.gaussian_blur(x, (1.0, 2.0), angle=0.3, radius=5000)
    with pytest.raises(ValueError, match="motion_blur: argument `length` must be short enough"):
        pg.motion_blur(x, torch.tensor(1e5, dtype=torch.float64, requires_grad=True), 0.3)
    y = pg.motion_blur(x, 1e5, 0.3, radius=3)                  # cropped: small whatever the length
    assert y.shape == x.shape
