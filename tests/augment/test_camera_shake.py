"""A.RandomCameraShake: one pg.kernels.camera_shake PSF per sample, applied by pg.filter2d."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad import augment as A
from pixelgrad.augment._params import Params


def _x(rng, shape=(4, 3, 40, 36)):
    return torch.from_numpy(rng.random(shape))


def _seed(rng) -> int:
    return int(rng.integers(2 ** 31))


@pytest.mark.parametrize("border", ["reflect", "circular", "constant"])
def test_equals_the_functional_2d_filter_with_its_kernels(rng, border):
    x = _x(rng)
    t = A.RandomCameraShake(size=11, border=border)
    y, params = t(x, seed=_seed(rng), return_params=True)
    k = torch.stack([pg.kernels.camera_shake(11, int(s), anxiety=float(a), exposure=float(e))
                     for s, a, e in zip(params.values["seed"], params.values["anxiety"], params.values["exposure"])])
    assert torch.equal(t.kernels(params.values), k)
    from pixelgrad.augment.blur import resolve_method

    assert torch.equal(y, pg.filter2d(x, k.flip(-1, -2), border=border, method=resolve_method("auto", x.shape)))
    # a convolution with the PSF: the restoration operator with kernel=k blurs the same way
    from pixelgrad.restore.operators import Blur

    torch.testing.assert_close(y, Blur(k, border=border)(x), atol=1e-12, rtol=0)


def test_kernels_are_psfs_and_differ_between_seeds(rng):
    x = _x(rng, (6, 1, 24, 24))
    _, params = A.RandomCameraShake(size=15)(x, seed=_seed(rng), return_params=True)
    k = A.RandomCameraShake(size=15).kernels(params.values)
    assert k.shape == (6, 15, 15) and k.dtype == torch.float64 and bool((k >= 0).all())
    torch.testing.assert_close(k.sum((1, 2)), torch.ones(6, dtype=torch.float64), atol=1e-12, rtol=0)
    assert len(set(params.values["seed"].tolist())) == 6
    for i in range(6):
        for j in range(i):
            assert not torch.equal(k[i], k[j])


def test_replay_gives_identical_output_also_from_json(rng):
    x = _x(rng)
    t = A.RandomCameraShake(p=0.6, size=9)
    y, params = t(x, seed=_seed(rng), return_params=True)
    assert torch.equal(t(x, params=params), y)
    back = Params.from_per_sample(json.loads(json.dumps(params.per_sample())))
    assert torch.equal(t(x, params=back), y)
    assert back.values["seed"].dtype == torch.int64


def test_same_seed_same_output_different_seed_different_output(rng):
    x = _x(rng)
    t = A.RandomCameraShake(size=9)
    s = _seed(rng)
    assert torch.equal(t(x, seed=s), t(x, seed=s))
    assert not torch.equal(t(x, seed=s), t(x, seed=s + 1))


def test_p0_is_the_identity(rng):
    x = _x(rng)
    assert torch.equal(A.RandomCameraShake(p=0.0)(x, seed=_seed(rng)), x)


def test_uint8_in_uint8_out_and_input_not_modified(rng):
    img = rng.integers(0, 256, (30, 34, 3), dtype=np.uint8)
    before = img.copy()
    t = A.RandomCameraShake(size=7)
    out, params = t(img, seed=_seed(rng), return_params=True)
    assert out.dtype == np.uint8 and out.shape == img.shape and np.array_equal(img, before)
    k = t.kernels(params.values)[0].flip(-1, -2)
    assert np.array_equal(out, pg.filter2d(img, k))
    xt = torch.from_numpy(rng.random((2, 3, 16, 16))).float()
    keep = xt.clone()
    assert t(xt, seed=1).dtype == torch.float32 and torch.equal(xt, keep)


def test_yaml_round_trip(tmp_path, rng):
    t = A.RandomCameraShake(p=0.7, size=13, anxiety=(0.002, 0.004), exposure=0.8, border="symmetric", method="fft")
    A.save(t, tmp_path / "p.yaml")
    back = A.load(tmp_path / "p.yaml")
    assert isinstance(back, A.RandomCameraShake) and back.to_dict() == t.to_dict()
    assert back.to_dict() == {"type": "RandomCameraShake", "p": 0.7, "size": 13, "anxiety": [0.002, 0.004],
                              "exposure": [0.8, 0.8], "border": "symmetric", "method": "fft"}
    x = _x(rng, (2, 1, 20, 20))
    s = _seed(rng)
    assert torch.equal(back(x, seed=s), t(x, seed=s))


@pytest.mark.parametrize("kwargs, arg", [
    (dict(size=4), "size"), (dict(size=1), "size"), (dict(size=257), "size"), (dict(size=9.0), "size"),
    (dict(anxiety=(0.5, 2.0)), "anxiety"), (dict(exposure=0.0), "exposure"), (dict(exposure=(0.5, 1.5)), "exposure"),
    (dict(border="wrap"), "border"), (dict(method="matrix"), "method"),
])
def test_bad_arguments_name_the_argument(kwargs, arg):
    with pytest.raises((ValueError, TypeError), match=arg):
        A.RandomCameraShake(**kwargs)
