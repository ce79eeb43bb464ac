"""pixelgrad.augment's base transform: p per sample, seeds and generators, replay, batching
independence, numpy / albumentations adapters, labels, modules and repr."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad import augment as A
from pixelgrad.augment import Params, Rng
from tests.augment._pipeline import full_pipeline


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
    moved = A.RandomShear(sx=0.3)(image=img, mask=mask)        # geometric: the mask moves too
    assert moved["mask"].shape == mask.shape and moved["mask"] is not mask
    pair, P = t((torch.from_numpy(img).permute(2, 0, 1), {"label": 3}), seed=0, return_params=True)
    assert pair[1] == {"label": 3} and P.batch_size == 1


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
