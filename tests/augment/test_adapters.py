"""Targets of geometric transforms (issue 21, "silent label corruption"): boxes, keypoints and
masks move with the image, in every container and format; what cannot move is refused."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import pixelgrad as pg
from pixelgrad import augment as A
from pixelgrad.augment import _adapters as AD
from pixelgrad.functional.geometry import shear_matrix, shear_nearest


def _corners_box(box, sx, sy, H, W):
    """Hand reference: the enclosing box of the four sheared corners (continuous coords,
    centre (W/2, H/2)), clipped."""
    x0, y0, x1, y1 = box
    cx, cy = W / 2, H / 2
    pts = [(x + sx * (y - cy), y + sy * (x - cx)) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return [min(max(min(xs), 0), W), min(max(min(ys), 0), H),
            min(max(max(xs), 0), W), min(max(max(ys), 0), H)]


# ----------------------------------------------------------------------------- the point map
def test_keypoint_map_lands_on_sheared_bright_pixels():
    # sx = 0.5 with rows an even distance from the centre row: every bright pixel lands on a
    # pixel centre, where the bilinear image is exactly 1
    H, W = 17, 21
    img = np.zeros((H, W), np.float64)
    pts = [(3, 8), (10, 14), (6, 12), (16, 4)]          # (x, y) pixel coordinates
    for x, y in pts:
        img[y, x] = 1.0
    out = A.RandomShear(sx=0.5)(image=img, keypoints=pts, seed=0)
    for (x, y), (u, v) in zip(pts, out["keypoints"]):
        assert u == x + 0.5 * (y - (H - 1) / 2) and v == y
        assert out["image"][int(v), int(u)] == pytest.approx(1.0, abs=1e-12)
    assert out["image"].sum() == pytest.approx(len(pts))


@pytest.mark.parametrize("sx, sy", [(0.3, 0.0), (-0.45, 0.2), (0.1, -0.35)])
def test_keypoint_map_is_where_the_bright_pixel_goes(sx, sy):
    H, W = 40, 50
    rng = np.random.default_rng(1)
    for _ in range(5):
        x, y = int(rng.integers(12, W - 12)), int(rng.integers(12, H - 12))
        img = np.zeros((H, W), np.float64)
        img[y, x] = 1.0
        out = A.RandomShear(sx=sx, sy=sy)(image=img, keypoints=[(x, y)], seed=0)
        u, v = out["keypoints"][0]
        # the bilinear spot is centred on the mapped point: its weighted mean lies within
        # half a pixel and its brightest pixel is the nearest one
        ys, xs = np.nonzero(out["image"] > 1e-12)
        assert abs(np.average(xs, weights=out["image"][ys, xs]) - u) < 0.5
        assert abs(np.average(ys, weights=out["image"][ys, xs]) - v) < 0.5
        iy, ix = np.unravel_index(np.argmax(out["image"]), out["image"].shape)
        assert abs(ix - u) < 1 and abs(iy - v) < 1


def test_shear_matrix_matches_the_functional_convention():
    # pixel centres (j + 0.5, i + 0.5) map to the index map of pg.shear shifted by 0.5
    sx, sy, H, W = 0.3, -0.2, 7, 9
    M = shear_matrix(sx, sy, (H, W))
    for i, j in [(0, 0), (3, 4), (6, 8)]:
        p = M @ torch.tensor([j + 0.5, i + 0.5, 1.0], dtype=torch.float64)
        cu, cv = (W - 1) / 2, (H - 1) / 2
        assert p[0].item() - 0.5 == pytest.approx(cu + (j - cu) + sx * (i - cv))
        assert p[1].item() - 0.5 == pytest.approx(cv + (i - cv) + sy * (j - cu))


# ----------------------------------------------------------------------------- boxes
BOX = [2.0, 2.0, 4.0, 4.0]          # 8x8 image, sx = 0.5: corners move by 0.5 * (y - 4)
SHEARED = [1.0, 2.0, 4.0, 4.0]
FORMATS = {  # hand-computed: pascal_voc -> each format of albumentations (8x8 image)
    "pascal_voc": (BOX, SHEARED),
    "coco": ([2.0, 2.0, 2.0, 2.0], [1.0, 2.0, 3.0, 2.0]),
    "yolo": ([3 / 8, 3 / 8, 2 / 8, 2 / 8], [2.5 / 8, 3 / 8, 3 / 8, 2 / 8]),
    "albumentations": ([2 / 8, 2 / 8, 4 / 8, 4 / 8], [1 / 8, 2 / 8, 4 / 8, 4 / 8]),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_boxes_in_every_albumentations_format(fmt):
    given, want = FORMATS[fmt]
    img = np.zeros((8, 8, 3), np.uint8)
    out = A.RandomShear(sx=0.5)(image=img, bboxes=[given + ["cat"]], bbox_params={"format": fmt})
    assert out["bboxes"][0][:4] == pytest.approx(want) and out["bboxes"][0][4] == "cat"


def test_issue_example_boxes_and_keypoints_move():
    img = np.zeros((300, 300, 3), np.uint8)
    out = A.RandomShear(p=1, sx=0.2)(image=img, bboxes=[[100, 100, 200, 200]], keypoints=[[200, 10]])
    assert out["bboxes"][0] == pytest.approx(_corners_box([100, 100, 200, 200], 0.2, 0, 300, 300))
    assert out["bboxes"][0] != [100, 100, 200, 200]
    assert out["keypoints"][0] == pytest.approx([200 + 0.2 * (10 - 149.5), 10])
    # the same boxes as arrays and tensors (formerly "geometric transforms do not move boxes")
    arr = A.RandomShear(p=1, sx=0.2)(image=img, bboxes=np.array([[100, 100, 200, 200]], np.float32))
    assert isinstance(arr["bboxes"], np.ndarray) and arr["bboxes"].dtype == np.float32
    assert arr["bboxes"][0].tolist() == pytest.approx(out["bboxes"][0])
    d = A.RandomShear(p=1, sx=0.2)({"image": torch.zeros(3, 300, 300),
                                    "boxes": torch.tensor([[100.0, 100, 200, 200]])})
    assert d["boxes"][0].tolist() == pytest.approx(out["bboxes"][0])


@pytest.mark.parametrize("seed", range(4))
def test_boxes_are_the_enclosing_box_of_sheared_corners(seed):
    rng = np.random.default_rng(seed)
    H, W = int(rng.integers(20, 60)), int(rng.integers(20, 60))
    sx, sy = (float(v) for v in rng.uniform(-0.6, 0.6, 2))
    boxes = []
    for _ in range(6):
        x0, y0 = rng.uniform(-5, W), rng.uniform(-5, H)
        boxes.append([x0, y0, x0 + rng.uniform(0, 20), y0 + rng.uniform(0, 20)])
    d = A.RandomShear(sx=sx, sy=sy)({"image": torch.zeros(1, H, W), "boxes": boxes})
    for b, got in zip(boxes, d["boxes"]):
        assert got == pytest.approx(_corners_box(b, sx, sy, H, W), abs=1e-9)


def test_keyword_boxes_leaving_the_image_are_dropped_with_their_labels():
    img = np.zeros((20, 20), np.uint8)
    boxes = [[1, 1, 3, 3], [8, 8, 12, 12], [14, 14, 18, 16]]
    out = A.RandomShear(sx=0.9)(image=img, bboxes=boxes, labels=["a", "b", "c"],
                                bbox_params={"format": "pascal_voc", "label_fields": ["labels"]})
    # rows 1..3 shift by 0.9 * (y - 10) <= -6.3: the first box leaves the image; the third
    # moves to x in [17.6, 23.4]: 41 % of it stays visible
    assert out["labels"] == ["b", "c"] and len(out["bboxes"]) == 2
    assert out["bboxes"][0] == pytest.approx(_corners_box(boxes[1], 0.9, 0, 20, 20))
    # min_visibility drops the partly visible corner box too
    out = A.RandomShear(sx=0.9)(image=img, bboxes=boxes, labels=["a", "b", "c"],
                                bbox_params={"label_fields": ["labels"], "min_visibility": 0.9})
    assert out["labels"] == ["b"]


def test_structure_boxes_leaving_the_image_are_kept_degenerate():
    d = A.RandomShear(sx=0.9)({"image": torch.zeros(1, 20, 20), "boxes": torch.tensor([[1.0, 1, 3, 3]]),
                               "labels": torch.tensor([4])})
    assert d["boxes"].shape == (1, 4) and d["boxes"][0, 0] == d["boxes"][0, 2] == 0.0
    assert torch.equal(d["labels"], torch.tensor([4]))


def test_integer_boxes_stay_integer_and_inputs_are_not_modified():
    boxes = torch.tensor([[2, 2, 4, 4]], dtype=torch.int64)
    kept = boxes.clone()
    img = torch.zeros(1, 8, 8)
    d = A.RandomShear(sx=0.5)({"image": img, "boxes": boxes})
    assert d["boxes"].dtype == torch.int64 and d["boxes"].tolist() == [[1, 2, 4, 4]]
    assert torch.equal(boxes, kept)
    arr = np.array([[2.0, 2, 4, 4, 7]])
    before = arr.copy()
    out = A.RandomShear(sx=0.5)(image=np.zeros((8, 8)), bboxes=arr)
    assert np.array_equal(arr, before) and out["bboxes"].tolist() == [[1.0, 2.0, 4.0, 4.0, 7.0]]


# ----------------------------------------------------------------------------- keypoints
def test_keypoints_extra_columns_and_removal():
    img = np.zeros((10, 10), np.uint8)
    kps = np.array([[4.5, 4.5, 3.0], [0.0, 0.0, 1.0]])
    out = A.RandomShear(sx=0.5)(image=img, keypoints=kps, ids=[1, 2],
                                keypoint_params={"format": "xy", "label_fields": ["ids"]})
    assert out["keypoints"].tolist() == [[4.5, 4.5, 3.0]] and out["ids"] == [1]
    out = A.RandomShear(sx=0.5)(image=img, keypoints=kps, keypoint_params={"remove_invisible": False})
    assert out["keypoints"].tolist() == [[4.5, 4.5, 3.0], [-2.25, 0.0, 1.0]]


# ----------------------------------------------------------------------------- masks
def _exact_rows(H, sx):
    """Output rows whose source positions under a horizontal shear ``sx`` are pixel centres."""
    cv = (H - 1) / 2
    return [v for v in range(H) if ((v - cv) * sx) % 1 == 0]


def test_mask_nearest_keeps_classes_and_follows_the_image():
    rng = np.random.default_rng(0)
    H, W = 15, 18
    classes = rng.integers(0, 5, (H, W)).astype(np.uint8)
    img = classes.astype(np.float64)
    out = A.RandomShear(sx=0.5)(image=img, mask=classes, masks=[classes, classes[:, :, None]])
    rows = _exact_rows(H, 0.5)          # there bilinear == nearest exactly
    assert len(rows) > H // 3
    assert out["mask"].dtype == np.uint8
    assert np.array_equal(out["mask"][rows], np.rint(out["image"][rows]).astype(np.uint8))
    assert np.abs(out["image"][rows] - np.rint(out["image"][rows])).max() < 1e-12
    assert np.array_equal(out["masks"][0], out["mask"]) and out["masks"][1].shape == (H, W, 1)
    assert np.array_equal(out["masks"][1][..., 0], out["mask"])
    out = A.RandomShear(sx=0.37, sy=-0.21)(image=img, mask=classes)
    assert set(np.unique(out["mask"])) <= set(range(5))          # no blended values
    bool_mask = torch.from_numpy(classes > 2)
    d = A.RandomShear(sx=0.37)({"image": torch.zeros(1, H, W), "mask": bool_mask})
    assert d["mask"].dtype == torch.bool and torch.equal(bool_mask, torch.from_numpy(classes > 2))
    assert not torch.equal(d["mask"], bool_mask)


@pytest.mark.parametrize("border", ["constant", "reflect", "replicate", "circular", "symmetric"])
@pytest.mark.parametrize("s", [1.0, -2.0, 0.5, -0.25])
def test_shear_nearest_matches_shear_on_exact_positions(border, s):
    x = torch.rand(9, 11, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    ref = pg.shear(x[None, None], s, 0.0, border=border)[0, 0]
    rows = _exact_rows(9, s)
    assert rows
    torch.testing.assert_close(shear_nearest(x, s, 0.0, border=border)[rows], ref[rows], atol=1e-12, rtol=0)
    ref_t = pg.shear(x.T.contiguous()[None, None], 0.0, s, border=border)[0, 0]
    cols = _exact_rows(9, s)
    torch.testing.assert_close(shear_nearest(x.T.contiguous(), 0.0, s, border=border)[:, cols],
                               ref_t[:, cols], atol=1e-12, rtol=0)


# ----------------------------------------------------------------------------- recipes
def test_motion_blur_plus_shear_recipe_moves_boxes_once():
    img = np.zeros((32, 32, 3), np.float32)
    box = [[8.0, 8.0, 16.0, 20.0]]
    recipe = A.Compose([A.RandomMotionBlur(length=(5, 9)), A.RandomShear(sx=0.3, sy=-0.1)])
    out = recipe(image=img, bboxes=box, keypoints=[[10, 10]], mask=np.ones((32, 32), np.uint8), seed=3)
    alone = A.RandomShear(sx=0.3, sy=-0.1)(image=img, bboxes=box, keypoints=[[10, 10]])
    assert out["bboxes"] == alone["bboxes"] and out["keypoints"] == alone["keypoints"]
    skipped = A.Compose([A.RandomMotionBlur(), A.RandomApply([A.RandomShear(sx=0.3)], p=0.0),
                         A.OneOf([A.RandomShear(sx=0.3)], p=0.0)])
    assert skipped(image=img, bboxes=box, seed=0)["bboxes"] == box
    two = A.Compose([A.RandomShear(sx=0.2), A.OneOf([A.RandomGaussianBlur(), A.RandomShear(sx=-0.2)],
                                                    weights=[0.0, 1.0])])
    b = two(image=img, bboxes=box, seed=0)["bboxes"][0]
    step = _corners_box(box[0], 0.2, 0, 32, 32)
    assert b == pytest.approx(_corners_box(step, -0.2, 0, 32, 32))


def test_replayed_params_move_targets_the_same_way():
    t = A.RandomShear(sx=(-0.4, 0.4), sy=(-0.2, 0.2))
    img = torch.rand(3, 16, 16)
    d, P = t({"image": img, "boxes": [[2, 3, 9, 12]]}, seed=5, return_params=True)
    again = t({"image": img, "boxes": [[2, 3, 9, 12]]}, params=P)
    sx, sy = float(P.values["sx"][0]), float(P.values["sy"][0])
    assert again["boxes"] == d["boxes"]
    assert d["boxes"][0] == pytest.approx(_corners_box([2, 3, 9, 12], sx, sy, 16, 16))


# ----------------------------------------------------------------------------- refusals
def test_unsupported_targets_raise_one_clear_error_in_every_container():
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"image2=ndarray of shape \(8, 8, 3\)") as e:
        A.RandomShear()(image=img, image2=img)
    assert "list" not in str(e.value)
    for x in ((torch.rand(3, 8, 8), torch.zeros(8, 8)),
              {"image": torch.rand(3, 8, 8), "depth": torch.zeros(8, 8)}):
        with pytest.raises(ValueError, match="geometric transform can move"):
            A.RandomShear()(x)
    with pytest.raises(ValueError, match="geometric transform can move"):
        A.Compose([A.RandomGaussianBlur(), A.RandomShear()])({"image": torch.rand(3, 8, 8),
                                                             "depth": torch.zeros(8, 8)})


def test_mask_error_names_the_key_not_a_list():
    with pytest.raises(ValueError, match=r"argument `mask` must be an array whose \(height, width\)"):
        A.RandomShear()(image=np.zeros((8, 8), np.uint8), mask=np.zeros((4, 4), np.uint8))


def test_batch_with_different_draws_and_one_set_of_targets_is_refused():
    with pytest.raises(ValueError, match="different draws"):
        A.RandomShear()({"image": torch.rand(2, 3, 8, 8), "boxes": [[1, 1, 2, 2]]}, seed=0)
    d = A.RandomShear(sx=0.5)({"image": torch.rand(2, 3, 8, 8), "boxes": [[2, 2, 4, 4]]}, seed=0)
    assert d["boxes"] == [SHEARED]


def test_photometric_transforms_still_pass_targets_through():
    img = np.zeros((8, 8, 3), np.uint8)
    boxes = [[1, 1, 2, 2]]
    out = A.RandomGradient()(image=img, bboxes=boxes, image2=img)
    assert out["bboxes"] is boxes and out["image2"] is img


# ----------------------------------------------------------------------------- albumentations
alb = pytest.importorskip("albumentations")


@pytest.mark.parametrize("deg_x, deg_y", [(15.0, 0.0), (0.0, -12.0), (-20.0, 0.0)])
def test_same_as_albumentations_affine(deg_x, deg_y):
    import cv2

    rng = np.random.default_rng(2)
    H, W = 48, 64
    img = (rng.random((H, W, 3)) * 255).astype(np.uint8)
    mask = np.zeros((H, W), np.uint8)
    mask[10:30, 12:40] = 3
    mask[25:40, 30:60] = 7
    boxes = [[10.0, 8.0, 30.0, 22.0], [40.0, 30.0, 60.0, 46.0], [2.0, 2.0, 12.0, 10.0]]
    kps = [[20.0, 15.0], [45.0, 33.0], [30.0, 24.0]]
    ref = alb.Compose(
        [alb.Affine(shear={"x": (deg_x, deg_x), "y": (deg_y, deg_y)}, p=1.0,
                    border_mode=cv2.BORDER_CONSTANT, fit_output=False)],
        bbox_params=alb.BboxParams(format="pascal_voc", label_fields=["labels"]),
        keypoint_params=alb.KeypointParams(format="xy", label_fields=["kl"]),
    )(image=img, mask=mask, bboxes=boxes, labels=[0, 1, 2], keypoints=kps, kl=[0, 1, 2])
    # albumentations shears the other way: its shear x = t (degrees) is sx = -tan(t)
    sx, sy = -math.tan(math.radians(deg_x)), -math.tan(math.radians(deg_y))
    got = A.RandomShear(sx=sx, sy=sy)(
        image=img, mask=mask, bboxes=boxes, labels=[0, 1, 2], keypoints=kps, kl=[0, 1, 2],
        bbox_params={"format": "pascal_voc", "label_fields": ["labels"]},
        keypoint_params={"format": "xy", "label_fields": ["kl"]})
    assert list(got["labels"]) == list(ref["labels"]) and list(got["kl"]) == list(ref["kl"])
    np.testing.assert_allclose(np.asarray(got["bboxes"]), np.asarray(ref["bboxes"]), atol=1e-3)
    np.testing.assert_allclose(np.asarray(got["keypoints"])[:, :2], np.asarray(ref["keypoints"])[:, :2],
                               atol=1e-3)
    assert (got["mask"] == ref["mask"]).mean() > 0.995
    assert set(np.unique(got["mask"])) == set(np.unique(ref["mask"]))
