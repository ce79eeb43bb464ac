"""Issue 21: RandomShear moves torchvision targets exactly as torchvision's own affine does
(run in .venv-tv: `make test-interop`)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pixelgrad import augment as A

pytestmark = pytest.mark.interop

tv_tensors = pytest.importorskip("torchvision.tv_tensors")
v2 = pytest.importorskip("torchvision.transforms.v2")
TF = pytest.importorskip("torchvision.transforms.v2.functional")


def _boxes(rng, H, W, n=8):
    x0, y0 = rng.uniform(-4, W, n), rng.uniform(-4, H, n)
    w, h = rng.uniform(1, 25, n), rng.uniform(1, 25, n)
    return torch.tensor(np.stack([x0, y0, x0 + w, y0 + h], 1), dtype=torch.float64)


@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("deg", [(12.0, 0.0), (-25.0, 0.0), (0.0, 18.0), (0.0, -9.0)])
def test_boxes_same_as_torchvision_affine(fmt, deg):
    rng = np.random.default_rng(int(abs(deg[0]) * 10 + abs(deg[1])))
    H, W = 40, 56
    xyxy = _boxes(rng, H, W)
    boxes = tv_tensors.BoundingBoxes(xyxy, format="XYXY", canvas_size=(H, W))
    boxes = TF.convert_bounding_box_format(boxes, new_format=fmt)
    before = boxes.clone()
    ref = TF.affine(boxes, angle=0.0, translate=[0, 0], scale=1.0, shear=list(deg))
    # torchvision's shear (degrees) is pixelgrad's -tan: x' = x - tan(shear_x) (y - H/2)
    sx, sy = -math.tan(math.radians(deg[0])), -math.tan(math.radians(deg[1]))
    img = tv_tensors.Image(torch.rand(3, H, W))
    out_img, out = A.RandomShear(sx=sx, sy=sy)(img, boxes)
    assert isinstance(out, tv_tensors.BoundingBoxes) and out.format == boxes.format
    assert tuple(out.canvas_size) == (H, W) and out.dtype == boxes.dtype
    torch.testing.assert_close(out.as_subclass(torch.Tensor), ref.as_subclass(torch.Tensor),
                               atol=1e-9, rtol=0)
    assert torch.equal(boxes, before)                         # the input is not modified
    # the same in a detection target dict, next to a mask and labels
    mask = tv_tensors.Mask(torch.zeros(H, W, dtype=torch.uint8))
    _, target = A.RandomShear(sx=sx, sy=sy)((img, {"boxes": boxes, "masks": mask,
                                                   "labels": torch.arange(len(boxes))}))
    torch.testing.assert_close(target["boxes"].as_subclass(torch.Tensor), ref.as_subclass(torch.Tensor),
                               atol=1e-9, rtol=0)


@pytest.mark.parametrize("deg", [(15.0, 0.0), (0.0, -20.0)])
def test_keypoints_and_masks_same_as_torchvision(deg):
    H, W = 33, 41
    rng = np.random.default_rng(3)
    kp = tv_tensors.KeyPoints(torch.tensor(rng.uniform(0, 30, (6, 2))), canvas_size=(H, W))
    sx, sy = -math.tan(math.radians(deg[0])), -math.tan(math.radians(deg[1]))
    ref = TF.affine(kp, angle=0.0, translate=[0, 0], scale=1.0, shear=list(deg))
    img = tv_tensors.Image(torch.rand(3, H, W))
    _, out = A.RandomShear(sx=sx, sy=sy)(img, kp)
    assert isinstance(out, tv_tensors.KeyPoints)
    torch.testing.assert_close(out.as_subclass(torch.Tensor), ref.as_subclass(torch.Tensor),
                               atol=1e-9, rtol=0)
    mask = tv_tensors.Mask(torch.from_numpy(rng.integers(0, 4, (2, H, W))).to(torch.uint8))
    ref_m = TF.affine(mask, angle=0.0, translate=[0, 0], scale=1.0, shear=list(deg))
    _, out_m = A.RandomShear(sx=sx, sy=sy)(img, mask)
    assert isinstance(out_m, tv_tensors.Mask) and out_m.dtype == torch.uint8
    # nearest neighbour both: only ties at half-pixel positions may round differently
    assert (out_m == ref_m).float().mean() > 0.97


def test_plain_box_lists_through_v2_compose():
    # the case: {"boxes": [[...]]} through v2.Compose was returned unchanged
    H, W = 300, 300
    t = v2.Compose([A.RandomShear(p=1, sx=0.2)])
    out = t({"image": tv_tensors.Image(torch.rand(3, H, W)), "boxes": [[100, 100, 200, 200]]})
    ref = TF.affine(tv_tensors.BoundingBoxes([[100.0, 100, 200, 200]], format="XYXY", canvas_size=(H, W)),
                    angle=0.0, translate=[0, 0], scale=1.0, shear=[-math.degrees(math.atan(0.2)), 0.0])
    assert out["boxes"][0] == pytest.approx(ref[0].tolist(), abs=1e-4)
    assert out["boxes"] != [[100, 100, 200, 200]]


def test_lone_boxes_and_motion_recipe():
    H, W = 24, 32
    boxes = tv_tensors.BoundingBoxes([[4.0, 4, 12, 10]], format="XYWH", canvas_size=(H, W))
    ref = TF.affine(boxes, angle=0.0, translate=[0, 0], scale=1.0, shear=[-math.degrees(math.atan(0.3)), 0.0])
    lone = A.RandomShear(sx=0.3)(boxes)
    torch.testing.assert_close(lone.as_subclass(torch.Tensor), ref.as_subclass(torch.Tensor))
    recipe = A.Compose([A.RandomMotionBlur(length=(3, 7)), A.RandomShear(sx=0.3)])
    _, got = recipe(tv_tensors.Image(torch.rand(3, H, W)), boxes, seed=0)
    torch.testing.assert_close(got.as_subclass(torch.Tensor), ref.as_subclass(torch.Tensor))


def test_other_tv_kinds_are_refused_by_name():
    img = tv_tensors.Image(torch.rand(3, 8, 8))
    rot = tv_tensors.BoundingBoxes([[4.0, 4, 2, 2, 30]], format="XYWHR", canvas_size=(8, 8))
    with pytest.raises(ValueError, match="rotated boxes are not supported"):
        A.RandomShear()(img, rot)
