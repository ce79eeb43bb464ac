"""One image per call (a DataLoader worker's case): the shared-value lane of the blur ops.

A parameter given as one number (or a ``(1,)`` tensor, as a transform draws it for one image)
takes a lane with Python floats and cached kernel stacks. Its results must be bitwise those
of the general per-sample path, for every sample of a batch with other parameters, so a
sample's result never depends on how it was called.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad import augment as A
from pixelgrad.functional._params import shared_value
from pixelgrad.kernels.stack import stack_kernels


def _image(rng, kind: str, h: int = 23, w: int = 31):
    u8 = (rng.random((h, w, 3)) * 255).astype(np.uint8)
    if kind == "hwc-u8":
        return u8
    t = torch.from_numpy(u8).permute(2, 0, 1).contiguous()
    return t if kind == "chw-u8" else t.float().div_(255)


def _batch_of(x, n: int):
    """A batch of ``n`` copies of one image, as a ``(n, C, H, W)`` tensor."""
    t = torch.from_numpy(x).permute(2, 0, 1) if isinstance(x, np.ndarray) else x
    return t[None].expand(n, *t.shape).contiguous()


def _as_chw(y):
    return torch.from_numpy(y).permute(2, 0, 1) if isinstance(y, np.ndarray) else y


@pytest.mark.parametrize("kind", ["hwc-u8", "chw-u8", "chw-f32"])
@pytest.mark.parametrize("border", ["reflect", "constant", "replicate", "circular"])
def test_gaussian_one_image_is_bitwise_its_row_of_a_batch(rng, kind, border):
    x = _image(rng, kind)
    sig = [float(s) for s in rng.uniform(0.2, 3.0, 4)]
    batch = pg.gaussian_blur(_batch_of(x, 4), torch.tensor(sig, dtype=torch.float64), border=border)
    for b, s in enumerate(sig):
        one = pg.gaussian_blur(x, s, border=border)
        assert type(one) is type(x) and one.shape == x.shape and one.dtype == x.dtype
        assert torch.equal(_as_chw(one), batch[b]), (b, s)


@pytest.mark.parametrize("kind", ["hwc-u8", "chw-f32"])
def test_box_one_image_is_bitwise_its_row_of_a_batch(rng, kind):
    x = _image(rng, kind)
    sizes = [int(v) for v in rng.choice([1, 3, 5, 7, 9, 31], 3)]
    batch = pg.box_blur(_batch_of(x, 3), torch.tensor(sizes))
    for b, k in enumerate(sizes):
        assert torch.equal(_as_chw(pg.box_blur(x, k)), batch[b]), k
        assert torch.equal(_as_chw(pg.box_blur(x, torch.tensor([k]))), batch[b]), k


@pytest.mark.parametrize("kind", ["hwc-u8", "chw-f32"])
@pytest.mark.parametrize("radius", [None, 3])
def test_motion_one_image_is_bitwise_its_row_of_a_batch(rng, kind, radius):
    x = _image(rng, kind)
    L = rng.uniform(1.0, 15.0, 4)
    a = rng.uniform(-np.pi, np.pi, 4)
    d = rng.uniform(-1.0, 1.0, 4)
    t = lambda v: torch.tensor(v, dtype=torch.float64)   # noqa: E731
    batch = pg.motion_blur(_batch_of(x, 4), t(L), t(a), direction=t(d), radius=radius)
    for b in range(4):
        one = pg.motion_blur(x, float(L[b]), float(a[b]), direction=float(d[b]), radius=radius)
        assert torch.equal(_as_chw(one), batch[b]), (L[b], a[b], d[b])


def test_transform_on_one_image_equals_the_functional_op_with_its_drawn_parameters(rng):
    x = _image(rng, "hwc-u8")
    for t, op in ((A.RandomGaussianBlur(sigma=(0.3, 2.5)), lambda v: pg.gaussian_blur(x, v["sigma"])),
                  (A.RandomBoxBlur(size=(3, 9)), lambda v: pg.box_blur(x, v["size"])),
                  (A.RandomMotionBlur(length=(3.0, 15.0)),
                   lambda v: pg.motion_blur(x, v["length"], v["angle"], direction=v["direction"]))):
        y, params = t(x, seed=int(rng.integers(1 << 30)), return_params=True)
        assert np.array_equal(y, op({k: v[0].item() for k, v in params.values.items()}))


def test_nan_image_is_refused_by_one_image_calls():
    x = torch.rand(3, 8, 8)
    x[1, 2, 3] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        pg.gaussian_blur(x, 1.0)
    with pytest.raises(ValueError, match="finite"):
        A.RandomGaussianBlur(sigma=1.0)(x)


@pytest.mark.parametrize("value, pair, want", [
    (1.5, True, (1.5, 1.5)),
    (2, False, (2.0,)),
    (np.float32(0.5), False, (float(np.float32(0.5)),)),
    ((1, 2.5), True, (1.0, 2.5)),
    (torch.tensor([3], dtype=torch.int64), False, (3.0,)),
    (torch.tensor([[1.0, 2.0]], dtype=torch.float64), True, (1.0, 2.0)),
    (torch.tensor(0.25, dtype=torch.float64), True, (0.25, 0.25)),
])
def test_shared_value_reads_one_number(value, pair, want):
    assert shared_value(value, pair=pair) == want


@pytest.mark.parametrize("value, kw", [
    (True, {}), (float("nan"), {}), (float("inf"), {}), (-1.0, {"low": 0.0}), (0.0, {"low": 0.0, "low_open": True}),
    (2.0, {"high": 1.0}), (torch.tensor([1.0, 2.0]), {}), ("1", {}), ((1, 2), {}),
    (torch.tensor([1.0], requires_grad=True), {}), (torch.tensor([True]), {}),
])
def test_shared_value_leaves_everything_else_to_per_sample(value, kw):
    """None sends the value to per_sample, which parses it or raises the usual error."""
    assert shared_value(value, **kw) is None


def test_bad_shared_values_still_give_the_usual_errors():
    x = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"gaussian_blur: argument `sigma` must be > 0"):
        pg.gaussian_blur(x, -1.0)
    with pytest.raises(TypeError, match=r"gaussian_blur: argument `sigma`"):
        pg.gaussian_blur(x, True)
    with pytest.raises(ValueError, match=r"box_blur: argument `size` must be odd"):
        pg.box_blur(x, 4)
    with pytest.raises(ValueError, match=r"motion_blur: argument `direction` must be <= 1"):
        pg.motion_blur(x, 5.0, 0.0, direction=2.0)


def test_host_rows_are_made_once_and_read_only():
    s = stack_kernels([torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)])
    a, b = s.host_rows("float32"), s.host_rows("float32")
    assert a[0] is b[0] and a[0].dtype == np.float32 and not a[0].flags.writeable
    with pytest.raises(ValueError):
        a[0][0] = 1.0
    assert s.row(0).tolist() == [0.25, 0.5, 0.25]


def test_cached_banded_matrix_gives_the_uncached_result(rng):
    """The torch matrix pass caches its banded matrices for short axes."""
    from pixelgrad.backends import torch_backend
    x = torch.from_numpy(rng.random((2, 3, 40, 300))).float()
    k = torch.from_numpy(rng.random(9)).float()
    for dim in (-1, -2):
        first = torch_backend._pass_matrix(x, k, dim, "reflect")
        again = torch_backend._pass_matrix(x, k, dim, "reflect")
        assert torch.equal(first, again)
    from pixelgrad.kernels.banded import banded_matrix
    ref = torch.matmul(banded_matrix(k, 40, "reflect"), x)
    assert torch.equal(torch_backend._pass_matrix(x, k, -2, "reflect"), ref)


@pytest.mark.parametrize("call", [
    lambda x: pg.gaussian_blur(x, 10 ** 400), lambda x: pg.gaussian_blur(x, (1, 10 ** 400)),
    lambda x: pg.box_blur(x, 10 ** 400), lambda x: pg.motion_blur(x, 5, 10 ** 400),
    lambda x: pg.linear_gradient(x, a=0.5, b=10 ** 400),
])
def test_ints_beyond_float_range_are_refused_by_name(call):
    """They raised a bare OverflowError from float()."""
    with pytest.raises(ValueError, match=r"argument `(sigma|size|angle|b)` must be finite"):
        call(np.zeros((6, 6), np.uint8))
