"""issue 11 with torchvision (run in .venv-tv): tv_tensors containers (bugs 2, 3, 5), Video
one draw per clip, labels, the torchvision rows (TV*) of docs/migrating.md, fastai."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad import augment as A

pytestmark = pytest.mark.interop

tv_tensors = pytest.importorskip("torchvision.tv_tensors")
v2 = pytest.importorskip("torchvision.transforms.v2")
TF = pytest.importorskip("torchvision.transforms.v2.functional")

F32 = 5e-7
N = 50              # random calls compared per row of docs/migrating.md


def _hw(rng):
    return int(rng.integers(9, 26)), int(rng.integers(9, 26))


def _img(rng, shape=(3, 12, 14)):
    return tv_tensors.Image(torch.from_numpy(rng.random(shape).astype(np.float32)))


# ----------------------------------------------------------------------------- bug 2
def test_lone_mask_and_boxes_pass_through_photometric_transforms():
    boxes = tv_tensors.BoundingBoxes([[1, 2, 5, 9]], format="XYXY", canvas_size=(10, 10))
    mask = tv_tensors.Mask(torch.randint(0, 3, (10, 10), dtype=torch.uint8))
    for t in (A.RandomGaussianBlur(sigma=(2.0, 2.0)), A.RandomGradient(alpha=(0.5, 0.5)),
              A.Compose([A.RandomMotionBlur(), A.RandomGaussianSpot()])):
        for target in (boxes, mask):
            out = t(target, seed=0)
            assert out is target and torch.equal(out, target.clone())
            ref = v2.GaussianBlur(5, sigma=(2.0, 2.0))(target)            # torchvision: the same
            assert torch.equal(ref, target)
        out, P = t(boxes, seed=0, return_params=True)
        assert P.batch_size == 0
    moved = A.RandomShear(sx=0.3)(mask)                     # geometric: moved, as torchvision does
    assert isinstance(moved, tv_tensors.Mask) and moved.shape == mask.shape


# ----------------------------------------------------------------------------- bug 3 / Video
def test_image_and_video_dict_get_one_draw(rng):
    img = _img(rng, (3, 8, 8))
    vid = tv_tensors.Video(torch.from_numpy(rng.random((2, 3, 8, 8)).astype(np.float32)))
    t = A.RandomGaussianBlur(sigma=(0.5, 3.0))
    out, P = t({"img": img, "vid": vid}, seed=4, return_params=True)
    assert isinstance(out["img"], tv_tensors.Image) and isinstance(out["vid"], tv_tensors.Video)
    assert P.batch_size == 1
    s = float(P.values["sigma"][0])
    torch.testing.assert_close(out["img"].as_subclass(torch.Tensor), pg.gaussian_blur(img.as_subclass(torch.Tensor), s))
    torch.testing.assert_close(out["vid"].as_subclass(torch.Tensor), pg.gaussian_blur(vid.as_subclass(torch.Tensor), s))
    ref = v2.GaussianBlur(3, sigma=(1.0, 1.0))({"img": img, "vid": vid})     # torchvision handles it too
    assert ref["vid"].shape == vid.shape


def test_video_gets_one_draw_per_clip(rng):
    vid = tv_tensors.Video(torch.from_numpy(rng.random((3, 4, 2, 9, 10))))      # 3 clips of 4 frames
    for t in (A.RandomGradient(alpha=(0.2, 0.6), colored=True), A.RandomMotionBlur(),
              A.OneOf([A.RandomGaussianBlur(), A.RandomShear()], p=0.7)):
        out, P = t(vid, seed=2, return_params=True)
        assert isinstance(out, tv_tensors.Video) and out.shape == vid.shape and P.batch_size == 3
        plain = vid.as_subclass(torch.Tensor)
        for c in range(3):
            clip = t(plain[c], params=P.subset(torch.tensor([c]).repeat(4)))     # its 4 frames, one draw
            torch.testing.assert_close(out[c].as_subclass(torch.Tensor), clip, rtol=0, atol=1e-12)
        assert torch.equal(t(vid, params=P).as_subclass(torch.Tensor), out.as_subclass(torch.Tensor))
    lone = tv_tensors.Video(torch.rand(5, 3, 6, 6))
    out, P = A.RandomGaussianBlur()(lone, seed=0, return_params=True)
    assert P.batch_size == 1 and isinstance(out, tv_tensors.Video)


# ----------------------------------------------------------------------------- bug 5
@pytest.mark.parametrize("cls", ["Image", "Video"])
def test_functional_api_keeps_tv_tensors_subclasses(rng, cls):
    x = getattr(tv_tensors, cls)(torch.from_numpy(rng.random((2, 3, 9, 8)).astype(np.float32)))
    for f in (lambda z: pg.gaussian_blur(z, 1.0), lambda z: pg.box_blur(z, 3), lambda z: pg.motion_blur(z, 3.0, 0.2),
              lambda z: pg.shear(z, 0.1), lambda z: pg.linear_gradient(z, 0.1, 0.2),
              lambda z: pg.corner_gradient(z), lambda z: pg.radial_gradient(z), lambda z: pg.gaussian_spot(z),
              lambda z: pg.gaussian_blur(z, torch.tensor(1.2, requires_grad=True))):
        y = f(x)
        assert type(y) is type(x) and y.shape == x.shape
        assert torch.equal(y.as_subclass(torch.Tensor).detach(), f(x.as_subclass(torch.Tensor)).detach())
    empty = getattr(tv_tensors, cls)(torch.empty(0, 3, 5, 5))
    assert type(pg.gaussian_blur(empty, 1.0)) is type(empty)


# ----------------------------------------------------------------------------- labels
def test_labels_pass_through_like_torchvision(rng):
    img = _img(rng)
    label = torch.tensor(2)
    out_img, out_label = A.RandomShear()(img, label)
    assert isinstance(out_img, tv_tensors.Image) and out_label is label
    ref_img, ref_label = v2.RandomAffine(degrees=0, shear=10)(img, label)       # torchvision: same
    assert ref_label is label
    sample = (img, {"labels": torch.tensor([1, 3]), "score": 0.5})
    out, target = A.Compose([A.RandomShear(), A.RandomGradient()])(sample)
    assert target["labels"] is sample[1]["labels"] and target["score"] == 0.5


# ----------------------------------------------------------------------------- TV rows
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_tv1_torchvision_gaussian_blur(rng, dtype):
    for _ in range(N):
        x = torch.from_numpy(rng.random((2, 3, *_hw(rng))).astype(np.float32))
        x = (x * 255).round().to(torch.uint8) if dtype == torch.uint8 else x
        kh, kw = (int(v) for v in 2 * rng.integers(0, 6, 2) + 1)
        sy, sx = (float(v) for v in rng.uniform(0.3, 3.0, 2))
        ref = TF.gaussian_blur(tv_tensors.Image(x), kernel_size=[kw, kh], sigma=[sx, sy])
        got = pg.gaussian_blur(tv_tensors.Image(x), (sy, sx), kernel_size=(kh, kw))
        assert isinstance(got, tv_tensors.Image)
        if dtype == torch.uint8:
            assert int((got.to(torch.int16) - ref.to(torch.int16)).abs().max()) <= 1
        else:                       # float32 rounding of up to 11 x 11 taps, as in TV2
            torch.testing.assert_close(got, ref, rtol=0, atol=2 * F32)


def test_tv2_torchvision_default_sigma(rng):
    for _ in range(N):
        x = torch.from_numpy(rng.random((3, *_hw(rng))).astype(np.float32))
        kh, kw = (int(v) for v in 2 * rng.integers(1, 6, 2) + 1)
        ref = TF.gaussian_blur(x, kernel_size=[kw, kh])
        s = (0.3 * ((kh - 1) * 0.5 - 1) + 0.8, 0.3 * ((kw - 1) * 0.5 - 1) + 0.8)
        torch.testing.assert_close(pg.gaussian_blur(x, s, kernel_size=(kh, kw)), ref, rtol=0,
                                   atol=2 * F32)        # float32 rounding of up to 11 x 11 taps


def test_tv3_torchvision_random_gaussian_blur_fixed_sigma(rng):
    for _ in range(N):
        img = _img(rng, (3, *_hw(rng)))
        s = float(rng.uniform(0.3, 3.0))
        kh, kw = (int(v) for v in 2 * rng.integers(0, 6, 2) + 1)
        ref = v2.GaussianBlur(kernel_size=(kw, kh), sigma=(s, s))(img)
        got = pg.gaussian_blur(img, s, kernel_size=(kh, kw))
        assert isinstance(got, tv_tensors.Image)
        torch.testing.assert_close(got, ref, rtol=0, atol=2 * F32)   # as TV1 / TV2: up to 11 x 11 taps


def test_tv4_torchvision_pil_in_pil_out(rng):
    from PIL import Image

    for _ in range(N):
        pil = Image.fromarray((rng.random((*_hw(rng), 3)) * 255).astype(np.uint8))
        k, s = int(2 * rng.integers(0, 5) + 1), float(rng.uniform(0.3, 3.0))
        ref = TF.gaussian_blur(pil, [k, k], [s, s])
        got = pg.gaussian_blur(pil, s, kernel_size=k)
        assert isinstance(ref, Image.Image) and isinstance(got, Image.Image) and got.mode == pil.mode
        assert np.abs(np.asarray(got).astype(int) - np.asarray(ref)).max() <= 1


# ----------------------------------------------------------------------------- fastai
def test_fastai_unwrapped_transform_in_batch_tfms_names_to_fastai():
    pytest.importorskip("fastai")
    from fastai.data.core import TfmdDL
    from fastai.torch_core import TensorCategory
    from fastai.vision.core import TensorImage

    class Items:
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return TensorImage(torch.rand(3, 8, 8)), TensorCategory(i % 2)

    dl = TfmdDL(Items(), bs=4, after_batch=[A.RandomGradient()])
    with pytest.raises(TypeError, match=r"to_fastai"):
        dl.one_batch()
    dl = TfmdDL(Items(), bs=4, after_batch=[A.to_fastai(A.RandomGradient())])
    x, y = dl.one_batch()
    assert isinstance(x, TensorImage) and x.shape == (4, 3, 8, 8)
