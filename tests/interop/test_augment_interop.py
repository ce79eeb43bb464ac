"""torchvision tv_tensors / v2 and fastai adapters (run in .venv-tv: `make test-interop`)."""
from __future__ import annotations

import pytest
import torch

from pixelgrad import augment as A

pytestmark = pytest.mark.interop

tv_tensors = pytest.importorskip("torchvision.tv_tensors")
v2 = pytest.importorskip("torchvision.transforms.v2")


def test_core_does_not_import_optional_packages():
    import subprocess
    import sys

    code = ("import sys, torch, pixelgrad as pg; pg.augment.RandomGradient()(torch.rand(1, 3, 8, 8)); "
            "print(any(m in sys.modules for m in ('torchvision', 'fastai')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_image_in_image_out():
    img = tv_tensors.Image(torch.rand(2, 3, 16, 16))
    y, P = A.RandomGradient(alpha=(0.3, 0.3))(img, seed=0, return_params=True)
    assert isinstance(y, tv_tensors.Image) and y.shape == img.shape
    plain = A.RandomGradient(alpha=(0.3, 0.3))(img.as_subclass(torch.Tensor), params=P)
    assert torch.equal(y.as_subclass(torch.Tensor), plain)


def test_boxes_and_masks_untouched_in_tuple_and_dict():
    img = tv_tensors.Image((torch.rand(3, 24, 32) * 255).to(torch.uint8))
    boxes = tv_tensors.BoundingBoxes([[1, 2, 10, 12]], format="XYXY", canvas_size=(24, 32))
    mask = tv_tensors.Mask(torch.ones(24, 32, dtype=torch.uint8))
    t = A.Compose([A.RandomGradient(alpha=(0.4, 0.4)), A.RandomGaussianBlur(sigma=(1.0, 1.0))])
    out_img, target = t((img, {"boxes": boxes, "masks": mask, "labels": torch.tensor([3])}), seed=1)
    assert isinstance(out_img, tv_tensors.Image) and out_img.dtype == torch.uint8
    assert not torch.equal(out_img, img)
    assert target["boxes"] is boxes and target["masks"] is mask and torch.equal(target["labels"], torch.tensor([3]))
    d = t({"image": img, "boxes": boxes}, seed=1)
    assert d["boxes"] is boxes and torch.equal(d["image"], out_img)
    out_img, out_boxes = A.RandomShear(sx=0.3)((img, boxes))  # geometric: the boxes move
    assert isinstance(out_boxes, tv_tensors.BoundingBoxes) and not torch.equal(out_boxes, boxes)


def test_inside_torchvision_v2_compose():
    img = tv_tensors.Image(torch.rand(3, 20, 20))
    boxes = tv_tensors.BoundingBoxes([[0, 0, 5, 5]], format="XYXY", canvas_size=(20, 20))
    pipe = v2.Compose([v2.RandomHorizontalFlip(p=1.0), A.RandomGradient(alpha=(0.3, 0.3)),
                       v2.ToDtype(torch.float32)])
    torch.manual_seed(0)
    out_img, out_boxes = pipe(img, boxes)
    assert isinstance(out_img, tv_tensors.Image) and isinstance(out_boxes, tv_tensors.BoundingBoxes)
    assert out_boxes[0, 0].item() == 15       # the flip moved the box; we left it alone
    flipped = img.flip(-1)
    torch.manual_seed(0)
    v2.RandomHorizontalFlip(p=1.0)(img)       # same global RNG consumption as in the pipeline
    assert torch.equal(out_img.as_subclass(torch.Tensor),
                       A.RandomGradient(alpha=(0.3, 0.3))(flipped.as_subclass(torch.Tensor)))


def test_fastai_batch_transform():
    pytest.importorskip("fastai")
    from fastai.vision.core import TensorImage, TensorMask
    try:
        from fasttransform import Pipeline
    except ImportError:
        from fastcore.transform import Pipeline

    tfm = A.to_fastai(A.RandomGradient(alpha=(0.3, 0.3)), generator=None)
    assert tfm.split_idx == 0 and tfm.order == 50
    x = TensorImage(torch.rand(4, 3, 16, 16))
    m = TensorMask(torch.zeros(4, 16, 16, dtype=torch.long))
    torch.manual_seed(3)
    y, m2 = Pipeline([tfm], split_idx=0)((x, m))
    assert isinstance(y, TensorImage) and y.shape == x.shape and not torch.equal(y, x)
    assert isinstance(m2, TensorMask) and torch.equal(m2, m)
    torch.manual_seed(3)
    assert torch.equal(y.as_subclass(torch.Tensor),
                       A.RandomGradient(alpha=(0.3, 0.3))(x.as_subclass(torch.Tensor)))
    y_valid = Pipeline([tfm], split_idx=1)(x)   # validation set: augmentation off
    assert torch.equal(y_valid, x)
    with pytest.raises(TypeError, match="to_fastai"):
        A.to_fastai(torch.nn.Identity())
