"""Compose fusion (interpreter on CPU): a blur transform followed by an illumination
transform runs as one ``blur_then_blend`` launch under ``backend="triton"``, with the same
bits as the two transforms run one after the other."""
from __future__ import annotations

import pytest
import torch

import pixelgrad as pg
from pixelgrad.augment import (Compose, RandomBoxBlur, RandomGaussianBlur, RandomGaussianSpot,
                               RandomGradient, RandomMotionBlur, RandomRadialGradient)

pytestmark = pytest.mark.usefixtures("tr")


def _image(rng, shape, dtype):
    x = torch.from_numpy(rng.random(shape))
    return (x * 255).round().to(torch.uint8) if dtype == torch.uint8 else x.to(dtype)


def _launches(call):
    from pixelgrad.backends.triton._common import LaunchRecorder

    with LaunchRecorder() as rec:
        out = call()
    return out, [(k.__name__ if hasattr(k, "__name__") else k.fn.__name__, kw) for k, _, _, kw in rec.launches]


def _unfused(aug, x, params, backend):
    y = x
    for t, p in zip(aug.transforms, params.children):
        y = t(y, params=p, backend=backend)
    return y


PAIRS = [
    (lambda p: RandomGaussianBlur(p=p, sigma=(0.3, 2.0)), lambda p: RandomGradient(p=p)),
    (lambda p: RandomBoxBlur(p=p, size=(1, 5)), lambda p: RandomGaussianSpot(p=p, alpha=(0.2, 0.6))),
    (lambda p: RandomMotionBlur(p=p, length=(3, 7)), lambda p: RandomRadialGradient(p=p)),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8, torch.float16])
@pytest.mark.parametrize("pair", range(len(PAIRS)))
def test_compose_fuses_blur_then_illumination_bit_identical(rng, dtype, pair):
    make_blur, make_field = PAIRS[pair]
    aug = Compose([make_blur(1.0), make_field(1.0)])
    x = _image(rng, (3, 2, 15, 21), dtype)
    (y, params), launches = _launches(lambda: aug(x, seed=int(rng.integers(1 << 30)),
                                                   return_params=True, backend="triton"))
    names = [n for n, _ in launches]
    assert "_field_kernel" not in names, names                   # no second pass
    assert any(kw.get("FIELD", -1) >= 0 for _, kw in launches), names   # the fused epilogue
    ref, ref_launches = _launches(lambda: _unfused(aug, x, params, "triton"))
    assert "_field_kernel" in [n for n, _ in ref_launches]
    assert torch.equal(y, ref)
    # and both agree with the torch backend up to the kernels' tolerance
    yt = aug(x, params=params, backend="torch")
    tol = 1.0 if dtype == torch.uint8 else (2e-3 if dtype == torch.float16 else 1e-5)
    assert float((y.double() - yt.double()).abs().max()) <= tol


def test_partial_gates_fuse_only_identical_subsets(rng):
    x = _image(rng, (3, 2, 12, 14), torch.float32)
    aug = Compose([RandomGaussianBlur(p=0.7, sigma=(0.5, 1.5)), RandomGradient(p=0.7)])
    fused_seen = unfused_seen = False
    for seed in range(16):
        (y, params), launches = _launches(lambda: aug(x, seed=seed, return_params=True, backend="triton"))
        a_blur, a_field = params.children[0].applied, params.children[1].applied
        fused = any(kw.get("FIELD", -1) >= 0 for n, kw in launches if n != "_field_kernel")
        assert fused == (bool(a_blur.any()) and torch.equal(a_blur, a_field))
        fused_seen |= fused
        unfused_seen |= not fused
        assert torch.equal(y, _unfused(aug, x, params, "triton"))
    assert fused_seen and unfused_seen


def test_backend_torch_and_auto_on_cpu_never_reach_triton(rng):
    x = _image(rng, (2, 3, 10, 12), torch.float32)
    aug = Compose([RandomGaussianBlur(p=1.0), RandomGradient(p=1.0)])
    for backend in ("torch", "auto"):
        (y, params), launches = _launches(lambda: aug(x, seed=3, return_params=True, backend=backend))
        assert launches == []
        assert torch.equal(y, _unfused(aug, x, params, backend))    # the same ops, one at a time


def test_transform_backend_argument_is_validated_and_forwarded(rng):
    x = _image(rng, (2, 1, 9, 9), torch.float32)
    with pytest.raises(ValueError, match="RandomGradient.*backend"):
        RandomGradient()(x, backend="cuda")
    _, launches = _launches(lambda: RandomGradient()(x, seed=0, backend="triton"))
    assert [n for n, _ in launches] == ["_field_kernel"]
    # an explicit backend on a functional op still wins over the transform's scope
    from pixelgrad.functional import _dispatch

    with _dispatch.backend_scope("triton"):
        _, launches = _launches(lambda: pg.gaussian_blur(x, 1.0, backend="torch"))
    assert launches == []
    with pytest.raises(ValueError, match="backend"):
        RandomGaussianBlur()(x.double(), seed=0, backend="triton")     # float64: not covered
