"""``method=`` on the random blur transforms, and ``auto``'s direct path on small images."""
import numpy as np
import pytest
import torch

import pixelgrad as pg
import pixelgrad.augment as A
from pixelgrad.augment import blur as AB

TRANSFORMS = [
    (A.RandomGaussianBlur, {"sigma": (0.3, 3.0)}, pg.gaussian_blur),
    (A.RandomBoxBlur, {"size": (3, 9)}, pg.box_blur),
    (A.RandomMotionBlur, {"length": (3.0, 11.0)}, pg.motion_blur),
]


def _spy(monkeypatch, fn_name):
    seen = []
    orig = getattr(AB.F, fn_name)

    def spy(*args, **kw):
        seen.append(kw["method"])
        return orig(*args, **kw)
    monkeypatch.setattr(AB.F, fn_name, spy)
    return seen


@pytest.mark.parametrize("cls,kw,op", TRANSFORMS)
def test_auto_uses_direct_up_to_small_side_and_auto_above(monkeypatch, rng, cls, kw, op):
    seen = _spy(monkeypatch, op.__name__)
    t = cls(**kw)
    for side, expect in ((AB.SMALL_SIDE, "direct"), (AB.SMALL_SIDE + 1, "auto")):
        x = torch.from_numpy(rng.random((3, 3, 8, side)).astype(np.float32))
        t(x, seed=1)
        assert seen[-1] == expect
    t2 = cls(**kw, method="fft")
    t2(torch.zeros(2, 3, 16, 16), seed=0)
    assert seen[-1] == "fft"                          # an explicit method is passed unchanged


@pytest.mark.parametrize("cls,kw,op", TRANSFORMS)
@pytest.mark.parametrize("method", ["direct", "fft", "2d"])
def test_every_method_gives_the_same_blur(rng, cls, kw, op, method):
    x = torch.from_numpy(rng.random((6, 3, 24, 20)).astype(np.float64))
    ref, params = cls(**kw)(x, seed=3, return_params=True)
    y = cls(**kw, method=method)(x, params=params)
    assert y.dtype == x.dtype and torch.allclose(y, ref, atol=1e-10, rtol=0)
    # and the transform's result is the functional op's on the drawn parameters
    v = params.values
    if cls is A.RandomGaussianBlur:
        direct = pg.gaussian_blur(x, v["sigma"], method="direct")
    elif cls is A.RandomBoxBlur:
        direct = pg.box_blur(x, v["size"], method="direct")
    else:
        direct = pg.motion_blur(x, v["length"], v["angle"], direction=v["direction"], method="direct")
    assert torch.equal(ref, direct)


def test_method_is_validated_and_serialised():
    with pytest.raises(ValueError, match="method"):
        A.RandomGaussianBlur(method="fast")
    with pytest.raises(ValueError, match="method"):
        A.RandomGaussianBlur(angle=(0, 1), anisotropic=True, method="matrix")   # rotated: not separable
    with pytest.raises(ValueError, match="method"):
        A.RandomMotionBlur(method="separable")
    with pytest.raises(ValueError, match="method"):
        A.RandomBoxBlur(method=None)
    t = A.RandomBoxBlur(size=(3, 5), method="matrix")
    d = t.to_dict()
    assert d["method"] == "matrix"
    assert A.from_dict(d).method == "matrix" and A.from_dict(d).to_dict() == d
    assert A.RandomGaussianBlur().method == "auto" and "method='auto'" in repr(A.RandomGaussianBlur())


def test_resolve_method_rule():
    assert AB.resolve_method("auto", torch.Size([64, 3, 64, 64])) == "direct"
    assert AB.resolve_method("auto", torch.Size([1, 3, AB.SMALL_SIDE, AB.SMALL_SIDE + 1])) == "auto"
    assert AB.resolve_method("matrix", torch.Size([64, 3, 64, 64])) == "matrix"
