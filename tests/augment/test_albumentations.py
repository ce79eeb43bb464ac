"""issue 21: ``to_albumentations(t)`` is a real albumentations transform inside real
``A.Compose`` / ``A.ReplayCompose`` pipelines: targets, ``p``, seeds, replay, serialisation."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import pixelgrad.augment as pa
from pixelgrad.augment._params import Params

A = pytest.importorskip("albumentations")
from pixelgrad.augment.albumentations import PixelgradDualTransform, PixelgradImageOnlyTransform  # noqa: E402

N = 20          # random calls per comparison


def _img(rng, h=24, w=32):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _targets(rng, h=24, w=32):
    m = np.zeros((h, w), np.uint8)
    m[6:14, 8:20] = 2
    m[15:20, 3:9] = 7
    boxes = [[8.0, 6.0, 20.0, 14.0], [3.0, 15.0, 9.0, 20.0], [1.0, 1.0, 5.0, 4.0]]
    kps = [[10.0, 8.0], [4.0, 17.0], [w - 2.0, h - 2.0]]
    return dict(image=_img(rng, h, w), mask=m, bboxes=boxes, labels=[1, 2, 3], keypoints=kps, kp_labels=["a", "b", "c"])


BBOX = dict(format="pascal_voc", label_fields=["labels"])
KP = dict(format="xy", label_fields=["kp_labels"])


def _recorded(pipe_out, i=0):
    return pipe_out["replay"]["transforms"][i]["params"]


# ------------------------------------------------------------------- what it is
def test_wrapper_is_a_genuine_albumentations_transform():
    photo = pa.to_albumentations(pa.RandomGradient())
    geo = pa.to_albumentations(pa.Compose([pa.RandomGaussianBlur(), pa.RandomShear()]))
    assert isinstance(photo, A.ImageOnlyTransform) and isinstance(photo, PixelgradImageOnlyTransform)
    assert isinstance(geo, A.DualTransform) and isinstance(geo, PixelgradDualTransform)
    assert isinstance(pa.to_albumentations(pa.RandomShear()), A.DualTransform)
    assert {"image", "images"} <= photo.available_keys
    assert {"image", "mask", "masks", "bboxes", "keypoints"} <= geo.available_keys
    assert photo.p == 1.0 and "RandomGradient" in repr(photo)


def test_unwrapped_pixelgrad_transform_in_compose_names_to_albumentations():
    for t in (pa.RandomGradient(), pa.Compose([pa.RandomGradient()])):
        with pytest.raises(TypeError, match="to_albumentations"):
            A.Compose([t])


@pytest.mark.parametrize("bad, exc, arg", [("blur", TypeError, "transform"), (A.Blur(), TypeError, "transform")])
def test_bad_transform_names_the_argument(bad, exc, arg):
    with pytest.raises(exc, match=f"to_albumentations: argument `{arg}`"):
        pa.to_albumentations(bad)


def test_bad_p_and_backend_name_the_argument():
    with pytest.raises(ValueError, match="`p`"):
        pa.to_albumentations(pa.RandomGradient(), p=1.5)
    with pytest.raises(ValueError, match="`backend`"):
        pa.to_albumentations(pa.RandomGradient(), backend="cuda")


# ------------------------------------------------------------------- photometric
def test_photometric_in_a_real_pipeline_matches_pixelgrad_and_keeps_targets(rng):
    t = pa.Compose([pa.RandomGradient(p=0.7), pa.RandomGaussianBlur(sigma=(0.3, 1.5))])
    pipe = A.ReplayCompose([A.HorizontalFlip(p=0.0), pa.to_albumentations(t), A.ToGray(p=0.0)],
                           bbox_params=A.BboxParams(**BBOX), keypoint_params=A.KeypointParams(**KP))
    for n in range(N):
        pipe.set_random_seed(n)
        d = _targets(rng)
        out = pipe(**d)
        assert out["image"].dtype == np.uint8 and out["image"].shape == d["image"].shape
        P = Params.from_per_sample(_recorded(out, 1)["pixelgrad_params"])
        np.testing.assert_array_equal(out["image"], t(d["image"], params=P))
        if n == 0:
            assert out["replay"]["transforms"][1]["applied"]
        np.testing.assert_array_equal(out["mask"], d["mask"])
        np.testing.assert_allclose(np.asarray(out["bboxes"]), d["bboxes"], atol=1e-4)
        np.testing.assert_allclose(np.asarray(out["keypoints"])[:, :2], d["keypoints"], atol=1e-4)
        assert list(out["kp_labels"]) == d["kp_labels"]


def test_float32_and_grayscale_images(rng):
    t = pa.to_albumentations(pa.RandomGradient())
    f = rng.random((12, 10, 3)).astype(np.float32)
    out = A.Compose([t], seed=1)(image=f)["image"]
    assert out.dtype == np.float32 and out.shape == f.shape and not np.array_equal(out, f)
    g = rng.integers(0, 256, (12, 10), dtype=np.uint8)
    out = A.Compose([t], seed=1)(image=g)["image"]
    assert out.dtype == np.uint8 and out.shape == g.shape


def test_images_target_gets_one_draw(rng):
    t = pa.to_albumentations(pa.RandomGradient())
    img = _img(rng)
    out = A.Compose([t], seed=3)(images=np.stack([img, img]))["images"]
    assert out.shape == (2, *img.shape) and np.array_equal(out[0], out[1]) and not np.array_equal(out[0], img)


# ------------------------------------------------------------------- seeds
def test_albumentations_seed_reproduces_and_torch_global_rng_is_untouched(rng):
    d = _targets(rng)

    def run(seed):
        pipe = A.Compose([A.HorizontalFlip(p=0.5), pa.to_albumentations(pa.RandomShear(sx=(-0.4, 0.4))),
                          pa.to_albumentations(pa.RandomGaussianSpot())],
                         bbox_params=A.BboxParams(**BBOX), keypoint_params=A.KeypointParams(**KP), seed=seed)
        return [pipe(**d) for _ in range(5)]          # five calls: the stream moves on

    state = torch.get_rng_state()
    a, b, c = run(11), run(11), run(12)
    assert torch.equal(state, torch.get_rng_state())
    for x, y in zip(a, b):
        for k in ("image", "mask", "bboxes", "keypoints"):
            np.testing.assert_array_equal(np.asarray(x[k]), np.asarray(y[k]))
    assert len({x["image"].tobytes() for x in a}) == 5                        # each call draws anew
    assert any(not np.array_equal(x["image"], z["image"]) for x, z in zip(a, c))


# ------------------------------------------------------------------- p
def test_p_zero_and_one(rng):
    img = _img(rng)
    never = A.Compose([pa.to_albumentations(pa.RandomGradient(), p=0.0)], seed=0)
    always = A.Compose([pa.to_albumentations(pa.RandomGradient(), p=1.0)], seed=0)
    for _ in range(N):
        np.testing.assert_array_equal(never(image=img)["image"], img)
        assert not np.array_equal(always(image=img)["image"], img)
    half = A.ReplayCompose([pa.to_albumentations(pa.RandomGradient(), p=0.5)])
    half.set_random_seed(0)
    applied = [half(image=img)["replay"]["transforms"][0]["applied"] for _ in range(200)]
    assert 60 <= sum(applied) <= 140
    # the pixelgrad transform's own p still gates inside
    inner = A.ReplayCompose([pa.to_albumentations(pa.RandomGradient(p=0.0))])
    out = inner(image=img)
    assert out["replay"]["transforms"][0]["applied"] and np.array_equal(out["image"], img)


# ------------------------------------------------------------------- geometric targets
def test_shear_moves_targets_like_pixelgrad_itself(rng):
    """Inside a real pipeline the wrapper gives the image, mask, boxes, keypoints and labels
    that pixelgrad's own albumentations-style call gives for the same draw."""
    t = pa.Compose([pa.RandomGaussianBlur(p=0.5), pa.RandomShear(sx=(-0.5, 0.5), sy=(-0.3, 0.3))])
    pipe = A.ReplayCompose([pa.to_albumentations(t)], bbox_params=A.BboxParams(**BBOX, min_visibility=0.3),
                           keypoint_params=A.KeypointParams(**KP))
    dropped = 0
    for n in range(N):
        pipe.set_random_seed(n)
        d = _targets(rng)
        out = pipe(**d)
        P = Params.from_per_sample(_recorded(out)["pixelgrad_params"])
        ref = t(params=P, bbox_params=dict(BBOX, min_visibility=0.3), keypoint_params=KP, **d)
        np.testing.assert_array_equal(out["image"], ref["image"])
        np.testing.assert_array_equal(out["mask"], ref["mask"])
        np.testing.assert_allclose(np.asarray(out["bboxes"]).reshape(-1, 4),
                                   np.asarray(ref["bboxes"], dtype=float).reshape(-1, 4), atol=1e-4)
        assert [int(v) for v in out["labels"]] == [int(v) for v in ref["labels"]]
        np.testing.assert_allclose(np.asarray(out["keypoints"])[:, :2].reshape(-1, 2),
                                   np.asarray(ref["keypoints"], dtype=float).reshape(-1, 2), atol=1e-4)
        assert list(out["kp_labels"]) == list(ref["kp_labels"])
        dropped += len(d["bboxes"]) - len(out["bboxes"]) + len(d["keypoints"]) - len(out["keypoints"])
    assert dropped > 0                                 # some draws pushed targets out: filtering is exercised


def test_wrapped_shear_agrees_with_albumentations_affine(rng):
    """albumentations' own geometry as the oracle: A.Affine(shear=t degrees) is pixelgrad's
    ``sx = -tan(t)``; in the same pipeline, boxes, keypoints, labels and masks agree."""
    import cv2

    h, w = 48, 64
    for _ in range(N):
        dx, dy = float(rng.uniform(-20, 20)), float(rng.uniform(-12, 12)) * float(rng.integers(0, 2))
        d = _targets(rng, h, w)
        d["bboxes"] = [[10.0, 8.0, 30.0, 22.0], [40.0, 30.0, 60.0, 46.0], [2.0, 2.0, 12.0, 10.0]]
        d["keypoints"] = [[20.0, 15.0], [45.0, 33.0], [float(rng.uniform(0, w - 1)), float(rng.uniform(0, h - 1))]]

        def run(t):
            return A.Compose([t], bbox_params=A.BboxParams(**BBOX), keypoint_params=A.KeypointParams(**KP),
                             seed=0)(**d)

        ref = run(A.Affine(shear={"x": (dx, dx), "y": (dy, dy)}, p=1.0, border_mode=cv2.BORDER_CONSTANT,
                           fit_output=False))
        got = run(pa.to_albumentations(pa.RandomShear(sx=-np.tan(np.radians(dx)), sy=-np.tan(np.radians(dy)))))
        assert list(got["labels"]) == list(ref["labels"]) and list(got["kp_labels"]) == list(ref["kp_labels"])
        np.testing.assert_allclose(np.asarray(got["bboxes"]), np.asarray(ref["bboxes"]), atol=1e-3)
        np.testing.assert_allclose(np.asarray(got["keypoints"])[:, :2], np.asarray(ref["keypoints"])[:, :2],
                                   atol=1e-3)
        assert (got["mask"] == ref["mask"]).mean() > 0.99


def test_photometric_wrapper_leaves_masks_boxes_keypoints_alone(rng):
    d = _targets(rng)
    out = A.Compose([A.HorizontalFlip(p=0.0), pa.to_albumentations(pa.RandomCornerGradient())], bbox_params=A.BboxParams(**BBOX),
                    keypoint_params=A.KeypointParams(**KP), seed=5)(**d)
    np.testing.assert_array_equal(out["mask"], d["mask"])
    np.testing.assert_allclose(np.asarray(out["bboxes"]), d["bboxes"], atol=1e-4)
    assert [int(v) for v in out["labels"]] == d["labels"]


# ------------------------------------------------------------------- replay
@pytest.mark.parametrize("geometric", [False, True])
def test_replay_compose_gives_identical_output(rng, geometric):
    t = pa.RandomShear(sx=(-0.4, 0.4)) if geometric else pa.OneOf([pa.RandomGradient(), pa.RandomMotionBlur()])
    pipe = A.ReplayCompose([A.HorizontalFlip(p=0.5), pa.to_albumentations(t)], bbox_params=A.BboxParams(**BBOX),
                           keypoint_params=A.KeypointParams(**KP))
    for n in range(N):
        pipe.set_random_seed(n)
        d = _targets(rng)
        out = pipe(**d)
        saved = json.loads(json.dumps(out["replay"]))         # JSON-able record
        again = A.ReplayCompose.replay(saved, **d)
        for k in ("image", "mask", "bboxes", "keypoints", "labels", "kp_labels"):
            np.testing.assert_array_equal(np.asarray(again[k]), np.asarray(out[k]), err_msg=k)


# ------------------------------------------------------------------- serialisation
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_serialisation_round_trip(tmp_path, rng, fmt):
    pipe = A.Compose([A.HorizontalFlip(p=0.5),
                      pa.to_albumentations(pa.Compose([pa.RandomGaussianBlur(), pa.RandomShear()]), p=0.8,
                                           backend="torch"),
                      pa.to_albumentations(pa.RandomGradient(p=0.5))],
                     bbox_params=A.BboxParams(**BBOX), seed=4)
    d = A.to_dict(pipe)
    kinds = [c["__class_fullname__"] for c in d["transform"]["transforms"]]
    assert kinds[1:] == ["pixelgrad.augment.albumentations.PixelgradDualTransform",
                         "pixelgrad.augment.albumentations.PixelgradImageOnlyTransform"]
    path = tmp_path / f"pipe.{fmt}"
    A.save(pipe, str(path), data_format=fmt)
    back = A.load(str(path), data_format=fmt)
    assert back.transforms[1].p == 0.8 and back.transforms[1].backend == "torch"
    assert back.transforms[1].transform.to_dict() == pipe.transforms[1].transform.to_dict()
    back.set_random_seed(4)
    pipe.set_random_seed(4)
    x = _targets(rng)
    x = dict(image=x["image"], bboxes=x["bboxes"], labels=x["labels"])
    for _ in range(5):
        np.testing.assert_array_equal(pipe(**x)["image"], back(**x)["image"])


def test_unregistered_transform_says_it_is_not_serialisable(rng):
    class Mine(pa.RandomGradient):
        pass

    t = pa.to_albumentations(Mine())
    pipe = A.Compose([t], seed=0)
    assert pipe(image=_img(rng))["image"].dtype == np.uint8                   # it runs
    with pytest.raises(ValueError, match=r"unregistered Mine"):
        A.to_dict(pipe)
