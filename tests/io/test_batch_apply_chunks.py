"""Bounded-memory paths give the same bytes as one whole-image call: the channel-by-channel
run of ``io.batch_apply`` (one draw per image, replayed per channel), the row strips of
``shear`` and of the CPU illumination mixer, each forced to tiny sizes on small images."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pixelgrad as pg
import pixelgrad.augment as A
import pixelgrad.backends.field_torch as illumination
import pixelgrad.backends.torch_backend as geometry
from pixelgrad.io import batch_apply

SPECS = [
    {"type": "RandomGaussianBlur", "sigma": [0.5, 3.0]},
    {"type": "RandomGaussianBlur", "sigma": [1.0, 3.0], "anisotropic": True, "angle": [-1.0, 1.0]},
    {"type": "RandomBoxBlur", "size": [3, 9]},
    {"type": "RandomMotionBlur", "length": [3.0, 11.0]},
    {"type": "RandomCameraShake", "size": 9},
    {"type": "RandomShear", "sx": [-0.3, 0.3], "sy": [-0.2, 0.2]},
    {"type": "RandomShear", "sx": [-0.3, 0.3], "border": "reflect"},
    {"type": "RandomGradient"},
    {"type": "RandomCornerGradient"},
    {"type": "RandomRadialGradient"},
    {"type": "RandomGaussianSpot", "anisotropic": True},
    {"type": "OneOf", "p": 0.7, "transforms": [{"type": "RandomGaussianBlur"}, {"type": "RandomShear"}]},
]


def _example() -> A.Transform:
    import os

    pipe = A.load(os.path.join(os.path.dirname(pg.__file__), "data", "example_pipeline.yaml"))
    for t in pipe.modules():
        if isinstance(getattr(t, "p", None), float):
            t.p = 1.0
    return pipe


def _whole(monkeypatch, pipe, images, seeds):
    monkeypatch.setattr(batch_apply, "CHUNK_MIN_PIXELS", 1 << 62)
    monkeypatch.setattr(geometry, "_STRIP_PIXELS", 1 << 62)
    monkeypatch.setattr(illumination, "_BLOCK_ELEMS", 1 << 62)
    return batch_apply.apply_pipeline(pipe, images, seeds)


def _tiny(monkeypatch, pipe, images, seeds):
    monkeypatch.setattr(batch_apply, "CHUNK_MIN_PIXELS", 0)
    monkeypatch.setattr(geometry, "_STRIP_PIXELS", 7)          # one row a strip
    monkeypatch.setattr(illumination, "_BLOCK_ELEMS", 5)        # one row a block
    return batch_apply.apply_pipeline(pipe, images, seeds)


def _same(a, b):
    assert len(a) == len(b)
    for (ya, pa), (yb, pb) in zip(a, b):
        assert ya.dtype == yb.dtype and ya.shape == yb.shape
        assert np.array_equal(ya, yb)
        assert pa == pb


@pytest.mark.parametrize("spec", SPECS + ["example"], ids=lambda s: s if isinstance(s, str) else s["type"])
def test_channel_chunks_and_strips_give_the_same_bytes(monkeypatch, rng, spec):
    pipe = _example() if spec == "example" else A.from_dict({**spec, "p": spec.get("p", 1.0)})
    images = [rng.integers(0, 256, (23, 31, 3), dtype=np.uint8) for _ in range(3)]
    images.append(rng.integers(0, 256, (23, 31, 4), dtype=np.uint8))       # RGBA: alpha kept
    seeds = [int(s) for s in rng.integers(0, 2**62, len(images))]
    x = batch_apply.to_chw(images[:1])
    assert batch_apply.channel_separable(pipe, x)          # the chunked path is the one tested
    _same(_tiny(monkeypatch, pipe, images, seeds), _whole(monkeypatch, pipe, images, seeds))


def test_chunked_run_draws_once_per_image(monkeypatch, rng):
    """A per-image draw replayed on each channel: the channels of a gray image copied three
    times stay equal (a draw per chunk would give each channel its own gradient)."""
    pipe = A.from_dict({"type": "RandomGradient", "alpha": [0.3, 0.5]})
    g = rng.integers(0, 256, (17, 19), dtype=np.uint8)
    out = _tiny(monkeypatch, pipe, [np.stack([g, g, g], axis=-1)], [5])[0][0]
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 0], out[..., 2])
    assert not np.array_equal(out[..., 0], g)


def test_pipelines_mixing_channels_are_not_chunked(rng):
    x8 = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    xf = torch.zeros(1, 3, 4, 4, dtype=torch.float32)
    colored = A.from_dict({"type": "RandomGradient", "colored": True})
    assert not batch_apply.channel_separable(colored, x8)
    # a clamped illumination op clamps a float image to the range of all its channels
    assert not batch_apply.channel_separable(A.from_dict({"type": "RandomGaussianSpot"}), xf)
    assert batch_apply.channel_separable(A.from_dict({"type": "RandomGaussianSpot", "clamp": False}), xf)
    assert batch_apply.channel_separable(A.from_dict({"type": "RandomShear"}), xf)
    assert not batch_apply.channel_separable(lambda x, **kw: x, x8)


def test_float_images_keep_their_bytes_whether_chunked_or_not(monkeypatch, rng):
    pipe = A.from_dict({"type": "Compose", "transforms": [
        {"type": "RandomGaussianBlur"}, {"type": "RandomShear"},
        {"type": "RandomGaussianSpot"}]})
    images = [rng.integers(0, 65536, (21, 18, 3), dtype=np.uint16) for _ in range(2)]
    _same(_tiny(monkeypatch, pipe, images, [1, 2]), _whole(monkeypatch, pipe, images, [1, 2]))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64, torch.float16])
@pytest.mark.parametrize("border", ["constant", "reflect", "circular"])
def test_shear_strips_give_the_same_bits(monkeypatch, rng, dtype, border):
    x = torch.from_numpy(rng.random((2, 3, 19, 26))) * (255 if dtype == torch.uint8 else 1)
    x = x.to(dtype)
    sx, sy = torch.tensor([0.3, -0.5], dtype=torch.float64), torch.tensor([0.1, 0.2], dtype=torch.float64)
    monkeypatch.setattr(geometry, "_STRIP_PIXELS", 1 << 62)
    ref = pg.shear(x, sx, sy, border=border)
    for strip in (1, 26 * 4, 26 * 5 + 3):
        monkeypatch.setattr(geometry, "_STRIP_PIXELS", strip)
        assert torch.equal(pg.shear(x, sx, sy, border=border), ref)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64, torch.uint16])
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
def test_illumination_mixer_row_blocks_give_the_same_bits(monkeypatch, rng, dtype, mode):
    hi = 255 if dtype == torch.uint8 else (60000 if dtype == torch.uint16 else 1.5)
    x = (torch.from_numpy(rng.random((2, 3, 21, 17))) * hi).to(torch.int32 if dtype == torch.uint16 else dtype)
    x = x.to(dtype)
    alpha = torch.from_numpy(rng.random((2, 3)))
    ops = [lambda x: pg.linear_gradient(x, a=0.5, b=-0.3, alpha=alpha, mode=mode),
           lambda x: pg.gaussian_spot(x, alpha=alpha, strength=-1.0, mode=mode),
           lambda x: pg.radial_gradient(x, alpha=0.3, mode=mode, clamp=False)]
    for op in ops:
        monkeypatch.setattr(illumination, "_BLOCK_ELEMS", 1 << 62)
        ref = op(x)
        for block in (1, 17 * 3 * 2, 17 * 3 * 21 + 1):
            monkeypatch.setattr(illumination, "_BLOCK_ELEMS", block)
            assert torch.equal(op(x), ref), block
