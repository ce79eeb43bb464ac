"""pixelgrad.augment: distributions, p, replay, batching independence, serialization,
DataLoader workers, numpy / albumentations adapters."""
from __future__ import annotations

import math

import json

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

import pixelgrad as pg
from pixelgrad import augment as A
from pixelgrad.augment import Params, Rng


def full_pipeline():
    return A.Compose([
        A.RandomGradient(p=0.7),
        A.RandomGradient(p=0.5, strength=(0.2, 1.0), colored=True, mode="add"),
        A.RandomCornerGradient(p=0.5),
        A.OneOf([A.RandomRadialGradient(anisotropic=True), A.RandomGaussianSpot()], weights=[2, 1]),
        A.RandomApply([A.RandomGaussianBlur(sigma=(0.3, 1.5), anisotropic=True, angle=(0, 3.0)),
                       A.RandomBoxBlur(size=(1, 5))], p=0.5),
        A.RandomMotionBlur(p=0.4, length=(1, 5)),
        A.RandomShear(p=0.3, sx=(-0.2, 0.2), sy=(-0.1, 0.1)),
    ])


def test_random_gradient_defaults_are_the_seeds_distribution():
    t = A.RandomGradient()
    P = t.draw((4000, 3, 8, 8), Rng(4000, torch.Generator().manual_seed(0)))
    a, b, al = P.values["a"], P.values["b"], P.values["alpha"]
    assert a.shape == (4000,) and bool(P.applied.all())
    assert a.min() >= -1 and a.max() <= 1 and b.min() >= -1 and b.max() <= 1
    assert al.min() >= 0.05 and al.max() <= 0.15
    # uniform: mean and variance of U(-1, 1) are 0 and 1/3 (4000 draws: sd of mean ~ 0.009)
    assert abs(float(a.mean())) < 0.05 and abs(float(a.var()) - 1 / 3) < 0.03
    assert abs(float(al.mean()) - 0.1) < 0.003
    assert abs(float(torch.corrcoef(torch.stack([a, b, al]))[0, 1])) < 0.06  # independent draws


def test_applies_the_seed_formula_with_the_drawn_parameters():
    x = torch.rand(6, 3, 12, 15, dtype=torch.float64)
    y, P = A.RandomGradient()(x, seed=5, return_params=True)
    U, V = np.meshgrid(np.linspace(0, 1, 15), np.linspace(0, 1, 12))
    for i, d in enumerate(P.per_sample()):
        g = U * d["a"] + V * d["b"]
        ref = np.clip((1 - d["alpha"]) * x[i].numpy() + d["alpha"] * g, 0, 1)
        np.testing.assert_allclose(y[i].numpy(), ref, atol=1e-13)


def test_p_is_per_sample():
    t = A.RandomGradient(p=0.3, alpha=(0.5, 0.5))
    P = t.draw((5000, 1, 4, 4), Rng(5000, torch.Generator().manual_seed(1)))
    assert abs(float(P.applied.double().mean()) - 0.3) < 0.03
    x = torch.rand(64, 3, 8, 8)
    y, P = t(x, seed=2, return_params=True)
    on = P.applied
    assert 0 < int(on.sum()) < 64
    assert torch.equal(y[~on], x[~on])
    assert bool(((y[on] - x[on]).abs().amax(dim=(1, 2, 3)) > 0).all())
    assert torch.equal(A.RandomGradient(p=0.0)(x, seed=0), x)


def test_seed_and_generator_reproducible_and_different():
    x = torch.rand(8, 3, 16, 16)
    aug = full_pipeline()
    y1 = aug(x, seed=123)
    y2 = aug(x, generator=torch.Generator().manual_seed(123))
    assert torch.equal(y1, y2)
    assert not torch.equal(y1, aug(x, seed=124))
    torch.manual_seed(9)
    y3 = aug(x)
    torch.manual_seed(9)
    assert torch.equal(y3, aug(x))


def test_replay_and_per_sample_roundtrip():
    x = (torch.rand(10, 3, 16, 16) * 255).to(torch.uint8)
    before = x.clone()
    aug = full_pipeline()
    y, P = aug(x, seed=7, return_params=True)
    assert y.dtype == torch.uint8 and torch.equal(x, before)
    assert torch.equal(aug(x, params=P), y)
    rows = json.loads(json.dumps(P.per_sample()))          # JSON-serializable
    assert len(rows) == 10 and rows[0]["type"] == "Compose"
    leaf = rows[0]["transforms"][0]
    assert leaf["type"] == "RandomGradient" and isinstance(leaf["applied"], bool)
    assert set(leaf) == {"type", "applied", "a", "b", "alpha", "offset"}
    assert torch.equal(aug(x, params=Params.from_per_sample(rows)), y)
    # OneOf: exactly the chosen option reports applied
    for r in rows:
        one = r["transforms"][3]
        assert [c["applied"] for c in one["transforms"]] == [one["applied"] and one["chosen"] == k for k in range(2)]
    with pytest.raises(ValueError, match="params"):
        A.RandomGradient()(x, params=P)
    with pytest.raises(ValueError, match="generator/seed"):
        aug(x, params=P, seed=1)


def test_per_sample_generators_make_batching_irrelevant():
    x = torch.rand(7, 3, 16, 16)
    aug = full_pipeline()
    whole = aug(x, generator=A.sample_generators(42, range(7)))
    parts = [aug(x[s:e], generator=A.sample_generators(42, range(s, e))) for s, e in ((0, 3), (3, 4), (4, 7))]
    assert torch.equal(torch.cat(parts), whole)
    single = torch.stack([aug(x[i], generator=A.sample_generators(42, [i])) for i in range(7)])
    assert torch.equal(single, whole)
    _, P = aug(x, generator=A.sample_generators(42, range(7)), return_params=True)
    _, P2 = aug(x[3:], generator=A.sample_generators(42, range(3, 7)), return_params=True)
    assert P.subset(torch.arange(3, 7)).per_sample() == P2.per_sample()
    assert Params.cat([P.subset(torch.arange(0, 3)), P2]).per_sample() == P.per_sample()
    assert A.derive_seed(42, 0) != A.derive_seed(42, 1) != A.derive_seed(43, 0)


def test_gaussian_blur_transform_matches_scipy_per_sample():
    x = torch.rand(5, 2, 20, 24, dtype=torch.float64)
    y, P = A.RandomGaussianBlur(sigma=(0.5, 2.5))(x, seed=3, return_params=True)
    sig = P.values["sigma"]
    assert len(set(sig.tolist())) == 5
    for i in range(5):
        # pixelgrad's radius is ceil(4 sigma); scipy rounds 4 sigma unless given `radius`
        r = math.ceil(4 * float(sig[i]) - 1e-9)
        ref = ndi.gaussian_filter(x[i].numpy(), (0, float(sig[i]), float(sig[i])), mode="mirror", truncate=4.0,
                                  radius=(0, r, r))
        np.testing.assert_allclose(y[i].numpy(), ref, atol=1e-9)


def test_box_blur_sizes_are_odd_and_match_scipy():
    x = torch.rand(6, 1, 15, 15, dtype=torch.float64)
    y, P = A.RandomBoxBlur(size=(2, 8))(x, seed=0, return_params=True)
    sizes = P.values["size"]
    assert set(sizes.tolist()) <= {3, 5, 7}
    for i, k in enumerate(sizes.tolist()):
        ref = ndi.uniform_filter(x[i, 0].numpy(), k, mode="mirror")
        np.testing.assert_allclose(y[i, 0].numpy(), ref, atol=1e-6)


def test_motion_and_shear_match_functional_ops():
    x = torch.rand(4, 3, 16, 16)
    y, P = A.RandomMotionBlur(length=(2, 9), direction=(-1, 1))(x, seed=1, return_params=True)
    v = P.values
    torch.testing.assert_close(y, pg.motion_blur(x, v["length"], v["angle"], direction=v["direction"]))
    y, P = A.RandomShear(sx=(-0.3, 0.3), sy=(-0.2, 0.2))(x, seed=1, return_params=True)
    torch.testing.assert_close(y, pg.shear(x, P.values["sx"], P.values["sy"]))


def test_oneof_weights_and_choices():
    t = A.OneOf([A.RandomGradient(), A.RandomCornerGradient(), A.RandomGaussianSpot()], weights=[1, 0, 3])
    P = t.draw((4000, 1, 4, 4), Rng(4000, torch.Generator().manual_seed(0)))
    counts = torch.bincount(P.values["chosen"], minlength=3).tolist()
    assert counts[1] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    x = torch.rand(12, 3, 8, 8)
    y, P = t(x, seed=4, return_params=True)
    for i, d in enumerate(P.per_sample()):
        k = d["chosen"]
        child = t.transforms[k]
        yi = child(x[i:i + 1], params=Params.from_per_sample([d["transforms"][k]]))
        assert torch.equal(y[i:i + 1], yi)


def test_random_apply_gates_everything_together():
    t = A.RandomApply([A.RandomGradient(alpha=(0.5, 0.5)), A.RandomGaussianSpot(alpha=(0.3, 0.3))], p=0.5)
    x = torch.rand(40, 3, 8, 8)
    y, P = t(x, seed=0, return_params=True)
    off = ~P.applied
    assert 0 < int(off.sum()) < 40 and torch.equal(y[off], x[off])


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_save_load_roundtrip(tmp_path, suffix):
    aug = full_pipeline()
    path = A.save(aug, tmp_path / f"aug{suffix}")
    loaded = A.load(path)
    assert loaded.to_dict() == aug.to_dict()
    x = torch.rand(6, 3, 16, 16)
    assert torch.equal(loaded(x, seed=11), aug(x, seed=11))
    d = json.loads(json.dumps(aug.to_dict()))
    assert d["type"] == "Compose" and d["transforms"][0] == {
        "type": "RandomGradient", "p": 0.7, "a": [-1.0, 1.0], "b": [-1.0, 1.0], "alpha": [0.05, 0.15],
        "mode": "blend", "offset": [0.0, 0.0], "angle": [-np.pi, np.pi], "strength": None,
        "colored": False, "clamp": True}
    assert A.from_dict({"type": "RandomGaussianBlur", "p": 0.5, "sigma": [0.1, 2.0]}).p == 0.5


def test_config_errors(tmp_path):
    with pytest.raises(ValueError, match="from_dict"):
        A.from_dict({"type": "NoSuchThing"})
    with pytest.raises(TypeError, match="RandomGradient"):
        A.from_dict({"type": "RandomGradient", "sigma": 1.0})
    with pytest.raises(ValueError, match="path"):
        A.save(A.RandomGradient(), tmp_path / "aug.txt")
    with pytest.raises(ValueError, match="alpha"):
        A.RandomGradient(alpha=(0.5, 2.0))
    with pytest.raises(ValueError, match="low <= high"):
        A.RandomGaussianBlur(sigma=(2.0, 1.0))
    with pytest.raises(ValueError, match="`p`"):
        A.RandomGradient(p=1.5)
    with pytest.raises(TypeError, match="transforms"):
        A.Compose([torch.nn.Identity()])


def test_generator_validation():
    x = torch.rand(3, 1, 4, 4)
    t = A.RandomGradient()
    with pytest.raises(ValueError, match="list of 3"):
        t(x, generator=[torch.Generator()] * 2)
    with pytest.raises(TypeError, match="generator"):
        t(x, generator=5)
    with pytest.raises(ValueError, match="seed"):
        t(x, seed=1, generator=torch.Generator())
    with pytest.raises(TypeError, match="seed"):
        t(x, seed=1.5)


def test_numpy_and_albumentations_style():
    img = (np.random.default_rng(0).random((16, 20, 3)) * 255).astype(np.uint8)
    mask = np.zeros((16, 20), np.uint8)
    t = A.RandomGradient(alpha=(0.3, 0.3))
    out = t(img, seed=0)
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == img.shape
    res = t(image=img, mask=mask, seed=0)
    assert set(res) == {"image", "mask"} and res["mask"] is mask
    assert np.array_equal(res["image"], out)
    torch_out = t(torch.from_numpy(img).permute(2, 0, 1), seed=0)
    assert np.array_equal(torch_out.permute(1, 2, 0).numpy(), out)
    with pytest.raises(ValueError, match="geometric"):
        A.RandomShear()(image=img, mask=mask)
    pair, P = t((torch.from_numpy(img).permute(2, 0, 1), {"label": 3}), seed=0, return_params=True)
    assert pair[1] == {"label": 3} and P.batch_size == 1


def _worker_ds(kind):
    class DS(torch.utils.data.Dataset):
        def __init__(self):
            self.img = torch.full((3, 8, 8), 0.5)
            self.t = A.Compose([A.RandomGradient(alpha=(0.2, 0.4)), A.RandomGaussianSpot()])

        def __len__(self):
            return 12

        def __getitem__(self, i):
            if kind == "global":        # torch's global generator, seeded per worker by PyTorch
                return self.t(self.img)
            return self.t(self.img, generator=A.sample_generators(2024, [i]))
    return DS()


def _run_loader(kind, workers):
    loader = torch.utils.data.DataLoader(_worker_ds(kind), batch_size=3, num_workers=workers)
    return torch.cat(list(loader))


def test_dataloader_workers_differ_and_runs_repeat():
    torch.manual_seed(0)
    run1 = _run_loader("global", 2)
    torch.manual_seed(0)
    run2 = _run_loader("global", 2)
    assert torch.equal(run1, run2)                       # same main seed -> same run
    flat = run1.flatten(1)
    assert torch.unique(flat, dim=0).shape[0] == 12      # no two images (hence workers) alike
    torch.manual_seed(1)
    assert not torch.equal(_run_loader("global", 2), run1)
    # index-derived generators: identical whatever the number of workers
    assert torch.equal(_run_loader("index", 0), _run_loader("index", 2))


def test_modules_and_repr():
    aug = full_pipeline()
    assert isinstance(aug, torch.nn.Module) and len(aug) == 7
    assert "RandomGradient(p=0.7" in repr(aug)
    assert pg.augment is A


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device in this environment")
def test_same_seed_same_result_on_cuda():
    x = torch.rand(6, 3, 32, 32)
    aug = full_pipeline()
    y_cpu, P_cpu = aug(x, seed=5, return_params=True)
    y_gpu, P_gpu = aug(x.cuda(), seed=5, return_params=True)
    assert P_cpu.per_sample() == P_gpu.per_sample()
    torch.testing.assert_close(y_gpu.cpu(), y_cpu, atol=1e-4, rtol=0)
