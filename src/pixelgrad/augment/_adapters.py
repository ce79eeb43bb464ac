"""Input containers beyond a plain tensor / numpy image, without importing torchvision.

* torchvision ``tv_tensors``: an ``Image`` comes back as an ``Image``, a ``Video`` as a
  ``Video``. A ``Video`` ``(..., T, C, H, W)`` gets one draw of parameters per clip (all its
  ``T`` frames alike), not one per frame. In a tuple / list / dict (``(img, target)``,
  ``{"image": ..., "boxes": ...}``, ``{"img": Image, "vid": Video}``), the images and videos
  are transformed with one draw of parameters (the same for every image, as torchvision v2
  does) and every other leaf (``BoundingBoxes``, ``Mask``, labels, strings) is returned
  untouched by photometric transforms; geometric ones (``RandomShear``) move boxes, keypoints
  and masks with the image (:func:`move_boxes`, :func:`move_keypoints`, :func:`move_mask`)
  and refuse, by name, any target they cannot move instead of silently misaligning it. A
  lone ``Mask`` / ``BoundingBoxes`` passes a photometric transform untouched, as in
  torchvision (a geometric one moves it). Labels (Python numbers, 0-d and 1-d
  tensors) always pass through, also for geometric transforms (``t(img, torch.tensor(2))``).
  As in torchvision v2, when the structure holds no ``tv_tensors.Image`` / ``Video`` the first
  plain tensor (or numpy array, or PIL image) of at least 2 dims is the image.
* albumentations style: ``t(image=img, mask=m)`` returns ``{"image": out, "mask": m}``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._errors import _describe, bad_value
from .._interop import run_checked, to_batch
from ._rng import Rng


def _tv_kind(obj: Any) -> str | None:
    """The torchvision tv_tensor class name of ``obj`` ('Image', 'Mask', ...), else None."""
    mod = type(obj).__module__
    if mod.startswith("torchvision.tv_tensors") or mod.startswith("torchvision.datapoints"):
        return type(obj).__name__
    return None


def is_structure(x: Any) -> bool:
    """Whether ``x`` is a tuple, list or dict of leaves (images, targets, labels).

    Parameters
    ----------
    x : object
        The transform's positional input.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_structure((1, 2)), is_structure({"image": 0}), is_structure("img")
    (True, True, False)
    """
    return isinstance(x, (tuple, list, dict))


def _is_pil(x: Any) -> bool:
    return type(x).__module__.startswith("PIL.") and hasattr(x, "mode")


def is_label(v: Any) -> bool:
    """Whether ``v`` is a class label / score that always passes through.

    Parameters
    ----------
    v : object
        A leaf of the input structure.

    Returns
    -------
    bool
        True for a Python or numpy number and a plain (not tv_tensor) 0-d / 1-d tensor or array.

    Examples
    --------
    >>> import torch
    >>> is_label(3), is_label(torch.tensor([1, 2])), is_label(torch.zeros(3, 4, 4))
    (True, True, False)
    """
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    if isinstance(v, (torch.Tensor, np.ndarray)) and _tv_kind(v) is None:
        return v.ndim <= 1
    return False


_FASTAI_IMAGES = ("TensorImage", "TensorImageBW")


def check_fastai(x: Any, name: str) -> None:
    """Refuse a fastai target tensor (``TensorCategory``, ``TensorMask``, ...).

    Such an input means the transform sits unwrapped in fastai's ``batch_tfms``: fastai then
    calls it on every element of the batch (labels, masks) and on the validation set too.

    Parameters
    ----------
    x : object
        The transform's positional input.
    name : str
        The transform's name, for the error message.

    Raises
    ------
    TypeError
        ``x`` is a fastai tensor other than ``TensorImage`` / ``TensorImageBW``; the message
        names :func:`pixelgrad.augment.to_fastai`.

    Examples
    --------
    >>> import torch
    >>> check_fastai(torch.zeros(1, 3, 4, 4), "RandomGradient")     # plain tensors pass
    """
    if isinstance(x, torch.Tensor) and type(x).__module__.startswith("fastai.") \
            and type(x).__name__ not in _FASTAI_IMAGES:
        from .._errors import bad_type

        bad_type(name, "x", "an image: fastai passed a " + type(x).__name__ + ", so this transform "
                 "is used unwrapped in batch_tfms; wrap it with pixelgrad.augment.to_fastai(transform) "
                 "(it transforms TensorImage batches only, on the training set)", x)


def is_lone_target(x: Any) -> bool:
    """Whether ``x`` is a single torchvision tv_tensor that is not an image.

    Parameters
    ----------
    x : object
        The transform's positional input.

    Returns
    -------
    bool
        True for a lone ``Mask``, ``BoundingBoxes``, ``KeyPoints``.

    Examples
    --------
    >>> import torch
    >>> is_lone_target(torch.zeros(1, 4, 4))
    False
    """
    kind = _tv_kind(x)
    return kind is not None and kind not in ("Image", "Video")


def _as_clips(leaf: Any, name: str, check_finite: bool = True):
    """``(batch, clips, T)``: the leaf as a ``(B, C, H, W)`` batch and, for a tv ``Video``
    ``(..., T, C, H, W)``, its number of clips and frames per clip (``T = 1`` otherwise).
    ``check_finite=False`` leaves the NaN / inf check to the transform (see run_images)."""
    batch = to_batch(leaf, name, allow_empty=True, check_finite=check_finite)
    if _tv_kind(leaf) == "Video" and leaf.ndim >= 4:
        T = leaf.shape[-4]
        return batch, (batch.batch_size // T if T else 0), T
    return batch, batch.batch_size, 1


def run_images(t, leaf: Any, generator, seed, params, name: str):
    """Transform one image-like leaf.

    Parameters
    ----------
    t : Transform
        The transform being called.
    leaf : object
        A tensor, numpy array, PIL image or tv_tensor ``Image`` / ``Video``.
    generator, seed :
        As for the transform's call (only one of them; ``None`` for the global generator).
    params : Params or None
        Parameters to replay instead of drawing new ones.
    name : str
        The transform's name, for error messages.

    Returns
    -------
    tuple
        ``(out, params)``: ``out`` in the leaf's container; one draw per image, per clip for a
        ``Video`` ``(..., T, C, H, W)`` (all ``T`` frames alike), so ``params`` covers the clips.

    Raises
    ------
    ValueError
        ``generator`` / ``seed`` given together with ``params``, or ``params`` of another
        transform or batch size.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelgrad import augment as A
    >>> out, params = run_images(A.RandomGradient(), np.zeros((8, 8, 3), np.uint8), None, 0, None, "doc")
    >>> out.shape, params.batch_size
    ((8, 8, 3), 1)
    """
    # a transform whose replay checks the whole batch for NaN / inf in the pass that reads
    # it (``checks_finite``, the illumination transforms) is not given a checked batch
    checked = not t.checks_finite
    batch, clips, T = _as_clips(leaf, name, check_finite=checked)
    x4 = batch.data
    if T == 1:
        if checked:          # the ops called on x4 need not read it again for NaN / inf
            y, params = run_checked(x4, lambda: t.run_batch(x4, generator, seed, params))
        else:
            y, params = t.run_batch(x4, generator, seed, params)
        return batch.restore(y), params
    frames = torch.arange(clips).repeat_interleave(T)          # frame -> its clip
    if params is None:
        params = t.draw(torch.Size((clips, *x4.shape[1:])), _rng(t, clips, generator, seed))
    else:
        if generator is not None or seed is not None:
            bad_value(name, "generator/seed", "omitted when `params` are replayed", (generator, seed))
        params = t.check_params(params, clips)
    return batch.restore(t.replay(x4, params.subset(frames))), params


def _rng(t, B: int, generator, seed) -> Rng:
    return Rng(B, generator, seed, t.type_name)


def _run_all_images(t, leaves: list, pos: list[int], generator, seed, params):
    name = t.type_name
    out = list(leaves)
    for k, i in enumerate(pos):
        out[i], params = run_images(t, leaves[i], generator if k == 0 else None,
                                    seed if k == 0 else None, params, name)
    return out, params


def _has_geometric(t) -> bool:
    return any(getattr(m, "kind", None) == "geometric" for m in t.modules())


def run_lone_target(t, x: Any, generator, seed, params, spec: "TargetSpec | None" = None):
    """A lone ``Mask`` / ``BoundingBoxes`` / ``KeyPoints``: untouched by photometric
    transforms, moved by geometric ones (as torchvision does).

    Parameters
    ----------
    t : Transform
        The transform being called.
    x : object
        The lone target.
    generator, seed :
        As for the transform's call (only one of them; ``None`` for the global generator).
    params : Params or None
        Parameters to replay instead of drawing new ones.
    spec : TargetSpec, optional
        How plain boxes / keypoints are read (not used by tv_tensors).

    Returns
    -------
    tuple
        ``(out, params)``: a photometric transform returns ``x`` itself and parameters drawn
        for an empty batch; a geometric one a moved copy (boxes use their ``canvas_size``, a
        mask its last two dims as the image size) and parameters for one sample.

    Raises
    ------
    ValueError
        A tv_tensor kind a geometric transform cannot move.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> m = torch.zeros(1, 4, 4)
    >>> out, params = run_lone_target(A.RandomGradient(), m, None, 0, None)
    >>> out is m, params.batch_size
    (True, 0)
    """
    name = t.type_name
    if not (t.kind == "geometric" or _has_geometric(t)):
        if params is None:
            params = t.draw(torch.Size((0, 1, 1, 1)), _rng(t, 0, generator, seed))
        return x, params
    role = _role(x, None)
    if role == "boxes":
        size = tuple(int(s) for s in x.canvas_size)
    elif role == "keypoints" and hasattr(x, "canvas_size"):
        size = tuple(int(s) for s in x.canvas_size)
    elif role == "mask" and x.ndim >= 2:
        size = (int(x.shape[-2]), int(x.shape[-1]))
    else:
        _unsupported(name, [(None, x)])
    shape = torch.Size((1, 1, *size))
    if params is None:
        params = t.draw(shape, _rng(t, 1, generator, seed))
    else:
        if generator is not None or seed is not None:
            bad_value(name, "generator/seed", "omitted when `params` are replayed", (generator, seed))
        params = t.check_params(params, 1)
    spec = spec or TargetSpec(name, drop=False)
    out, _ = _move_leaf(role, x, None, geometric_steps(t, params, name), size, spec, name, False)
    return out, params


def _move_leaf(role: str, v: Any, key: Any, steps, size, spec: "TargetSpec", name: str,
               channels_last: bool):
    if role == "boxes":
        return move_boxes(v, steps, size, spec, name)
    if role == "keypoints":
        return move_keypoints(v, steps, size, spec, name)
    if isinstance(v, (list, tuple)) and not isinstance(v, np.ndarray):   # a list of masks
        return type(v)(move_mask(m, steps, size, name, True) for m in v), None
    return move_mask(v, steps, size, name, channels_last), None


def _geometric(t) -> bool:
    return t.kind == "geometric" or _has_geometric(t)


def run_structure(t, x: Any, generator, seed, params, spec: "TargetSpec | None" = None):
    """Transform the images of a tuple / list / dict and move its targets with them.

    Parameters
    ----------
    t : Transform
        The transform being called.
    x : tuple, list or dict
        The structure (e.g. ``(img, target)`` or ``{"image": ..., "boxes": ...}``).
    generator, seed :
        As for the transform's call (only one of them; ``None`` for the global generator).
    params : Params or None
        Parameters to replay instead of drawing new ones.
    spec : TargetSpec, optional
        The format of boxes given without a torchvision type (default absolute ``xyxy``).

    Returns
    -------
    tuple
        ``(out, params)``: a new structure with the images transformed by one draw of
        parameters (the same for every image, as torchvision v2 does). Photometric
        transforms pass every other leaf through. Geometric ones also move the targets with
        the image: ``tv_tensors.BoundingBoxes`` (their format and canvas size) and tables
        under a ``boxes`` / ``bboxes`` key (absolute ``xyxy``), ``tv_tensors.KeyPoints`` and
        tables under ``keypoints`` (``x, y`` first, other columns kept), ``tv_tensors.Mask``
        and arrays under ``mask`` / ``masks`` (nearest neighbour). Boxes are clipped to the
        image and kept even when they become empty (degenerate, as in torchvision; remove
        them with torchvision's ``SanitizeBoundingBoxes``).

    Raises
    ------
    ValueError
        No image in the structure; for a geometric transform, a leaf it cannot move (a
        tensor of >= 2 dims under an unknown key, another tv_tensor kind), a mask of another
        size, or a batch of images with different draws.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> (img, label), _ = run_structure(A.RandomGradient(alpha=0.5), (torch.zeros(3, 8, 8), 7), None, 0, None)
    >>> bool(img.abs().sum() > 0), label
    (True, 7)
    >>> out, _ = run_structure(A.RandomShear(sx=0.5), {"image": torch.zeros(3, 8, 8),
    ...                        "boxes": [[2, 2, 4, 4]]}, None, 0, None)
    >>> out["boxes"]
    [[1.0, 2.0, 4.0, 4.0]]
    """
    name = t.type_name
    leaves: list[tuple[str, Any, Any]] = []

    def collect(role, v, key):
        leaves.append((role, v, key))
        return v

    _walk(x, None, collect)
    values = [v for _, v, _ in leaves]
    pos = _image_positions_roles(leaves)
    if not pos:
        bad_value(name, "x", "a structure holding at least one image (tv_tensors.Image / Video, "
                  "a tensor, a numpy array or a PIL image)", [type(v).__name__ for v in values])
    geometric = _geometric(t)
    movable = [i for i, (role, _, _) in enumerate(leaves)
               if i not in pos and role in ("boxes", "keypoints", "mask")]
    if geometric:
        _unsupported(name, [(k, v) for i, (role, v, k) in enumerate(leaves)
                            if i not in pos and role in ("plain", "other", "image")])
    out, params = _run_all_images(t, values, pos, generator, seed, params)
    if geometric and movable:
        spec = spec or TargetSpec(name, drop=False)
        spec.drop = False
        size = _hw(values[pos[0]], name)
        steps = geometric_steps(t, params, name)
        for i in movable:
            role, v, key = leaves[i]
            out[i], _ = _move_leaf(role, v, key, steps, size, spec, name, False)
    it = iter(out)
    return _walk(x, None, lambda role, v, key: next(it)), params


def _image_positions_roles(leaves: list) -> list[int]:
    tv = [i for i, (role, v, _) in enumerate(leaves) if role == "image"]
    if tv:
        return tv
    return [i for i, (role, _, _) in enumerate(leaves) if role == "plain"][:1]


def run_targets(t, targets: dict, generator, seed, params, spec: "TargetSpec | None" = None):
    """albumentations style: ``image=`` is transformed, and geometric transforms move
    ``mask=``, ``masks=``, ``bboxes=`` and ``keypoints=`` with it.

    Parameters
    ----------
    t : Transform
        The transform being called.
    targets : dict
        The keyword inputs; must hold ``image``.
    generator, seed :
        As for the transform's call (only one of them; ``None`` for the global generator).
    params : Params or None
        Parameters to replay instead of drawing new ones.
    spec : TargetSpec, optional
        ``bbox_params`` / ``keypoint_params`` of the call (default: ``pascal_voc`` boxes,
        ``xy`` keypoints, invisible keypoints removed).

    Returns
    -------
    tuple
        ``(dict of the same keys, params)``. Photometric transforms return every target as
        given. Geometric ones move ``bboxes`` (the enclosing box of the moved corners,
        clipped to the image; extra columns such as labels kept), ``keypoints`` (pixel
        coordinates, extra columns kept), ``mask`` (``(H, W)`` or ``(H, W, C)``) and
        ``masks`` (a list, or an ``(N, H, W)`` array) by nearest neighbour. As
        albumentations does, boxes left with no area inside the image (or under
        ``min_visibility`` / ``min_area``) and keypoints outside it are dropped, together
        with the entries of their ``label_fields``.

    Raises
    ------
    ValueError
        For a geometric transform: another array target (``image2=``, ``depth=``...) it
        cannot move, a mask of another size, bad box rows.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelgrad import augment as A
    >>> m = np.ones((8, 8), np.uint8)
    >>> out, _ = run_targets(A.RandomGradient(), {"image": np.zeros((8, 8, 3), np.uint8), "mask": m}, None, 0, None)
    >>> sorted(out), out["mask"] is m
    (['image', 'mask'], True)
    >>> out, _ = run_targets(A.RandomShear(sx=0.5), {"image": np.zeros((8, 8, 3), np.uint8),
    ...                      "bboxes": [[2, 2, 4, 4, "cat"]]}, None, 0, None)
    >>> out["bboxes"]
    [[1.0, 2.0, 4.0, 4.0, 'cat']]
    """
    name = t.type_name
    keys = list(targets)
    leaves = [targets[k] for k in keys]
    out, params = _run_all_images(t, leaves, [keys.index("image")], generator, seed, params)
    result = dict(zip(keys, out))
    if not _geometric(t):
        return result, params
    spec = spec or TargetSpec(name)
    labels = set(spec.bbox_labels) | set(spec.keypoint_labels)
    roles = {k: _key_role(k) for k in keys if k != "image"}
    bad = [(k, targets[k]) for k, r in roles.items()
           if r is None and k not in labels and _role(targets[k], None) in ("plain", "other", "image")]
    _unsupported(name, bad)
    size = _hw(targets["image"], name)
    steps = geometric_steps(t, params, name)
    for k, r in roles.items():
        if r is None:
            continue
        new, keep = _move_leaf(r, targets[k], k, steps, size, spec, name, k.lower() == "mask")
        result[k] = new
        if keep is not None:
            for lab in (spec.bbox_labels if r == "boxes" else spec.keypoint_labels if r == "keypoints" else []):
                if lab in targets:
                    result[lab] = _filter(targets[lab], keep, name, lab)
    return result, params


# ------------------------------------------------------------------------- geometric targets
#: dict keys whose values are targets a geometric transform moves (lower-case)
BOX_KEYS = frozenset({"boxes", "bboxes", "bbox", "box"})
KEYPOINT_KEYS = frozenset({"keypoints", "keypoint"})
MASK_KEYS = frozenset({"mask", "masks"})

#: box formats: name -> (layout, normalised); torchvision's names and albumentations' names
BOX_FORMATS = {"xyxy": ("xyxy", False), "xywh": ("xywh", False), "cxcywh": ("cxcywh", False),
               "pascal_voc": ("xyxy", False), "coco": ("xywh", False),
               "yolo": ("cxcywh", True), "albumentations": ("xyxy", True)}

_TV_ROLES = {"Image": "image", "Video": "image", "BoundingBoxes": "boxes", "Mask": "mask",
             "KeyPoints": "keypoints"}


def _key_role(key: Any) -> str | None:
    if not isinstance(key, str):
        return None
    k = key.lower()
    return ("boxes" if k in BOX_KEYS else "keypoints" if k in KEYPOINT_KEYS
            else "mask" if k in MASK_KEYS else None)


def _is_row(v: Any) -> bool:
    if isinstance(v, (tuple, list)):
        return all(not isinstance(u, (tuple, list, dict)) for u in v)
    return isinstance(v, (torch.Tensor, np.ndarray)) and v.ndim == 1


def _table_like(v: Any) -> bool:
    """An array, a tensor, or a list of rows (numbers, or rows of numbers and labels)."""
    if isinstance(v, (torch.Tensor, np.ndarray)):
        return True
    return isinstance(v, (tuple, list)) and all(_is_row(u) for u in v)


def _role(v: Any, key: Any) -> str:
    """What a leaf is: image / boxes / keypoints / mask / plain (an unnamed array of >= 2
    dims: the image if no tv image is there) / other (a tv_tensor of another kind) / pass."""
    kind = _tv_kind(v)
    if kind is not None:
        return _TV_ROLES.get(kind, "other")
    kr = _key_role(key)
    if kr is not None:
        return kr
    if _is_pil(v):
        return "plain"
    if isinstance(v, (torch.Tensor, np.ndarray)):
        return "plain" if v.ndim >= 2 else "pass"
    return "pass"


def _walk(obj: Any, key: Any, fn):
    """Rebuild ``obj`` with ``fn(role, leaf, key)`` applied to each leaf, in a fixed order.

    Dict keys name the leaves below them: a table (array, tensor or list of rows) under
    ``boxes`` / ``bboxes`` is one leaf of boxes, under ``keypoints`` one of keypoints, and
    under ``mask`` / ``masks`` a mask (a list of masks gives one leaf per mask)."""
    if _tv_kind(obj) is not None:
        return fn(_role(obj, key), obj, key)
    if isinstance(obj, dict):
        return type(obj)((k, _walk(v, k, fn)) for k, v in obj.items()) if type(obj) in (dict,) \
            else _rebuild_dict(obj, {k: _walk(v, k, fn) for k, v in obj.items()})
    kr = _key_role(key)
    if kr in ("boxes", "keypoints") and _table_like(obj):
        return fn(kr, obj, key)
    if isinstance(obj, (tuple, list)):
        items = [_walk(v, key if kr == "mask" else None, fn) for v in obj]
        if isinstance(obj, tuple) and hasattr(obj, "_fields"):
            return type(obj)(*items)
        return type(obj)(items) if type(obj) in (tuple, list) else items
    return fn(_role(obj, key), obj, key)


def _rebuild_dict(obj: dict, new: dict) -> dict:
    try:
        out = type(obj)()
        out.update(new)
        return out
    except TypeError:
        return new


def _unsupported(name: str, found: list[tuple[Any, Any]]) -> None:
    """The one error for targets a geometric transform cannot move (any container)."""
    if not found:
        return
    desc = ", ".join((f"{k}=" if isinstance(k, str) else "") +
                     (f"tv_tensors.{_tv_kind(v)}" if _tv_kind(v) else _describe(v))
                     for k, v in found)
    raise ValueError(
        f"{name}: argument `x` must be images with targets this geometric transform can move "
        f"(boxes, keypoints and masks: tv_tensors.BoundingBoxes / KeyPoints / Mask, or the keys "
        f"{sorted(BOX_KEYS | KEYPOINT_KEYS | MASK_KEYS)}; and labels), got {desc}: a target it "
        f"cannot move would be misaligned with the image")


def _hw(img: Any, name: str) -> tuple[int, int]:
    shape = to_batch(img, name, allow_empty=True, check_finite=False).data.shape
    return int(shape[-2]), int(shape[-1])


def geometric_steps(t, params, name: str) -> list[tuple[Any, dict[str, torch.Tensor]]]:
    """The geometric leaf transforms that touched the (single) sample of ``params``, in order.

    Parameters
    ----------
    t : Transform
        The transform (leaf or container) that was called.
    params : Params
        Its parameters for the image the targets belong to. With several samples their draws
        must be identical (one set of targets follows one draw).
    name : str
        The transform's name, for the error message.

    Returns
    -------
    list of (Transform, dict)
        Each applied geometric leaf with its values for the sample (tensors ``(...)``).

    Raises
    ------
    ValueError
        Several samples with different draws, or a container this function cannot follow.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> t = A.Compose([A.RandomGaussianBlur(), A.RandomShear(sx=0.25)])
    >>> _, params = t(torch.rand(1, 3, 8, 8), seed=0, return_params=True)
    >>> [(type(s).__name__, float(v["sx"])) for s, v in geometric_steps(t, params, "doc")]
    [('RandomShear', 0.25)]
    """
    from .containers import Compose, OneOf          # containers import this module's users

    B = params.batch_size
    if B == 0:
        return []
    if B > 1:
        per = params.per_sample()
        if any(s != per[0] for s in per[1:]):
            bad_value(name, "x", "one image (or clip) per set of boxes / keypoints / masks, or a "
                      "batch whose samples all got the same draw", f"a batch of {B} images with "
                      "different draws")
    steps: list[tuple[Any, dict[str, torch.Tensor]]] = []

    def visit(tr, p) -> None:
        if not bool(p.applied[0]):
            return
        if isinstance(tr, OneOf):
            k = int(p.values["chosen"][0])
            visit(tr.transforms[k], p.children[k])
        elif isinstance(tr, Compose):
            for c, cp in zip(tr.transforms, p.children):
                visit(c, cp)
        elif getattr(tr, "kind", None) == "geometric":
            steps.append((tr, {k: v[0] for k, v in p.values.items()}))
        elif _has_geometric(tr):
            bad_value(name, "x", "a pipeline of Compose / OneOf / RandomApply and leaf transforms "
                      "to move targets through", type(tr).__name__)

    visit(t, params)
    return steps


# -- boxes ----------------------------------------------------------------------------------
def box_format(fmt: Any, name: str) -> str:
    """A box format (torchvision's ``BoundingBoxFormat`` or name, or albumentations' name),
    lower-case.

    Parameters
    ----------
    fmt : str or torchvision BoundingBoxFormat
        ``XYXY``, ``XYWH``, ``CXCYWH`` (any case) or ``pascal_voc``, ``coco``, ``yolo``,
        ``albumentations``.
    name : str
        The caller, named in the error.

    Returns
    -------
    str
        The key of :data:`BOX_FORMATS`.

    Raises
    ------
    ValueError
        For any other format (rotated boxes included).

    Examples
    --------
    >>> box_format("XYWH", "doc"), box_format("pascal_voc", "doc")
    ('xywh', 'pascal_voc')
    """
    raw = getattr(fmt, "name", fmt)
    if isinstance(raw, str) and raw.lower() in BOX_FORMATS:
        return raw.lower()
    bad_value(name, "bbox format", f"one of {sorted(BOX_FORMATS)} (rotated boxes are not "
              "supported)", fmt)


def boxes_to_xyxy(b: torch.Tensor, fmt: str, size: tuple[int, int]) -> torch.Tensor:
    """``(N, 4)`` boxes in ``fmt`` to absolute ``xyxy`` float64.

    Parameters
    ----------
    b : tensor ``(N, 4)``
        Boxes in ``fmt``.
    fmt : str
        A key of :data:`BOX_FORMATS` (normalised formats are scaled by the image size).
    size : tuple of int
        The image's ``(H, W)``.

    Returns
    -------
    tensor ``(N, 4)``
        float64 ``(x0, y0, x1, y1)`` in pixels, continuous coordinates.

    Examples
    --------
    >>> import torch
    >>> boxes_to_xyxy(torch.tensor([[0.5, 0.5, 0.25, 0.5]]), "yolo", (100, 200))
    tensor([[ 75.,  25., 125.,  75.]], dtype=torch.float64)
    """
    layout, norm = BOX_FORMATS[fmt]
    b = b.to(torch.float64)
    H, W = size
    if norm:
        b = b * torch.tensor([W, H, W, H], dtype=torch.float64)
    if layout == "xywh":
        b = torch.cat([b[:, :2], b[:, :2] + b[:, 2:]], 1)
    elif layout == "cxcywh":
        b = torch.cat([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)
    return b


def xyxy_to_boxes(b: torch.Tensor, fmt: str, size: tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`boxes_to_xyxy`.

    Parameters
    ----------
    b : tensor ``(N, 4)``
        float64 absolute ``xyxy`` boxes.
    fmt : str
        The format to write (a key of :data:`BOX_FORMATS`).
    size : tuple of int
        The image's ``(H, W)``.

    Returns
    -------
    tensor ``(N, 4)``
        float64 boxes in ``fmt``.

    Examples
    --------
    >>> import torch
    >>> xyxy_to_boxes(torch.tensor([[80.0, 30.0, 120.0, 70.0]], dtype=torch.float64), "coco", (100, 200))
    tensor([[80., 30., 40., 40.]], dtype=torch.float64)
    """
    layout, norm = BOX_FORMATS[fmt]
    H, W = size
    if layout == "xywh":
        b = torch.cat([b[:, :2], b[:, 2:] - b[:, :2]], 1)
    elif layout == "cxcywh":
        b = torch.cat([(b[:, :2] + b[:, 2:]) / 2, b[:, 2:] - b[:, :2]], 1)
    if norm:
        b = b / torch.tensor([W, H, W, H], dtype=torch.float64)
    return b


def enclosing_boxes_xyxy(b: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """The enclosing boxes of the four corners of ``xyxy`` boxes mapped by an affine
    ``matrix`` (not clipped).

    Parameters
    ----------
    b : tensor ``(N, 4)``
        float64 ``xyxy`` boxes (any units the matrix expects).
    matrix : tensor ``(3, 3)``
        The point map.

    Returns
    -------
    tensor ``(N, 4)``
        float64 ``xyxy`` boxes.

    Examples
    --------
    >>> import torch
    >>> m = torch.tensor([[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    >>> enclosing_boxes_xyxy(torch.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=torch.float64), m)
    tensor([[0., 0., 3., 2.]], dtype=torch.float64)
    """
    x0, y0, x1, y1 = b.unbind(1)
    corners = torch.stack([torch.stack([x0, y0], 1), torch.stack([x1, y0], 1),
                           torch.stack([x0, y1], 1), torch.stack([x1, y1], 1)], 1)   # (N, 4, 2)
    moved = corners @ matrix[:2, :2].T + matrix[:2, 2]
    return torch.cat([moved.min(1).values, moved.max(1).values], 1)


def shear_boxes_xyxy(b: torch.Tensor, matrix: torch.Tensor, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Absolute ``xyxy`` boxes through an affine ``matrix``: the enclosing box of the four
    mapped corners, clipped to ``size``; also the fraction of each box's area left inside.

    Parameters
    ----------
    b : tensor ``(N, 4)``
        float64 absolute ``xyxy`` boxes.
    matrix : tensor ``(3, 3)``
        The point map (e.g. :func:`pixelgrad.functional.geometry.shear_matrix`).
    size : tuple of int
        The image's ``(H, W)``: boxes are clipped to ``[0, W] x [0, H]``.

    Returns
    -------
    (tensor ``(N, 4)``, tensor ``(N,)``)
        The moved, clipped boxes and the visible fraction of each moved box's area (1 for a
        degenerate box still inside, else 0).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.functional.geometry import shear_matrix
    >>> b = torch.tensor([[2.0, 2.0, 4.0, 4.0]], dtype=torch.float64)
    >>> shear_boxes_xyxy(b, shear_matrix(0.5, 0.0, (8, 8)), (8, 8))
    (tensor([[1., 2., 4., 4.]], dtype=torch.float64), tensor([1.], dtype=torch.float64))
    """
    H, W = size
    full = enclosing_boxes_xyxy(b, matrix)
    lim = torch.tensor([W, H, W, H], dtype=torch.float64)
    clipped = torch.minimum(full.clamp(min=0.0), lim)
    area = (full[:, 2] - full[:, 0]) * (full[:, 3] - full[:, 1])
    kept = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    visible = torch.where(area > 0, kept / area.clamp(min=1e-300), (kept > 0).to(torch.float64))
    return clipped, visible


def _rows(v: Any, ncoord: int, name: str, what: str):
    """A boxes / keypoints leaf -> ``(coords (N, ncoord) float64, extra, rebuild)``."""
    if isinstance(v, (torch.Tensor, np.ndarray)):
        t = torch.as_tensor(v) if isinstance(v, np.ndarray) else v.as_subclass(torch.Tensor)
        if t.ndim == 0 or (t.numel() and t.shape[-1] < ncoord):
            bad_value(name, what, f"rows of at least {ncoord} numbers", v)
        shape = t.shape
        flat = t.reshape(-1, shape[-1]) if t.numel() else t.reshape(0, max(ncoord, shape[-1] if t.ndim else 0))
        coords = flat[:, :ncoord].detach().to("cpu", torch.float64)

        def rebuild(new: torch.Tensor, keep: torch.Tensor | None) -> Any:
            out = flat.clone()
            out[:, :ncoord] = new.to(out.device, out.dtype) if out.is_floating_point() \
                else new.round().to(out.device, out.dtype)
            if keep is not None:
                out = out[keep.to(out.device)]
                res = out
            else:
                res = out.reshape(shape)
            if isinstance(v, np.ndarray):
                return res.numpy()
            if _tv_kind(v) is not None:
                from torchvision import tv_tensors
                return tv_tensors.wrap(res, like=v)
            return res
        return coords, rebuild
    rows = list(v)
    for r in rows:
        if len(r) < ncoord:
            bad_value(name, what, f"rows of at least {ncoord} numbers", v)
    try:
        coords = torch.tensor([[float(c) for c in list(r)[:ncoord]] for r in rows],
                              dtype=torch.float64).reshape(len(rows), ncoord)
    except (TypeError, ValueError):
        bad_value(name, what, f"rows whose first {ncoord} entries are numbers", v)

    def rebuild_rows(new: torch.Tensor, keep: torch.Tensor | None) -> Any:
        out = []
        for i, r in enumerate(rows):
            if keep is not None and not bool(keep[i]):
                continue
            vals = [float(c) for c in new[i].tolist()] + list(r)[ncoord:]
            out.append(type(r)(vals) if isinstance(r, (tuple, list)) and type(r) in (tuple, list)
                       else np.asarray(vals, dtype=np.asarray(r).dtype) if isinstance(r, np.ndarray)
                       else vals)
        return type(v)(out) if type(v) in (tuple, list) else out
    return coords, rebuild_rows


class TargetSpec:
    """How boxes / keypoints given without a torchvision type are read and what is dropped.

    Parameters
    ----------
    name : str
        The transform's name, for error messages.
    bbox_params : dict or albumentations ``BboxParams``, optional
        ``format`` (default ``"pascal_voc"``, absolute ``xyxy``; also ``coco``, ``yolo``,
        ``albumentations`` and torchvision's ``XYXY``, ``XYWH``, ``CXCYWH``), ``label_fields``
        (keys of lists filtered with the boxes), ``min_visibility`` and ``min_area``.
    keypoint_params : dict or albumentations ``KeypointParams``, optional
        ``format`` (``"xy"`` only), ``label_fields``, ``remove_invisible`` (default True).
    drop : bool
        Whether boxes / keypoints that leave the image are dropped (albumentations) or kept
        (torchvision: clipped, possibly degenerate boxes).

    Examples
    --------
    >>> TargetSpec("doc", {"format": "coco", "label_fields": ["labels"]}).bbox_format
    'coco'
    """

    def __init__(self, name: str, bbox_params: Any = None, keypoint_params: Any = None,
                 drop: bool = True):
        def get(obj: Any, key: str, default: Any) -> Any:
            if obj is None:
                return default
            if isinstance(obj, dict):
                return obj.get(key, default)
            return getattr(obj, key, default)

        self.bbox_format = box_format(get(bbox_params, "format", "pascal_voc"), name)
        self.bbox_labels = list(get(bbox_params, "label_fields", None) or [])
        self.min_visibility = float(get(bbox_params, "min_visibility", 0.0) or 0.0)
        self.min_area = float(get(bbox_params, "min_area", 0.0) or 0.0)
        kfmt = get(keypoint_params, "format", "xy")
        if kfmt not in ("xy",):
            bad_value(name, "keypoint_params", "format 'xy' (keypoints with angles or scales are "
                      "not supported)", kfmt)
        self.keypoint_labels = list(get(keypoint_params, "label_fields", None) or [])
        self.remove_invisible = bool(get(keypoint_params, "remove_invisible", True))
        self.drop = drop


def move_boxes(v: Any, steps, size: tuple[int, int], spec: TargetSpec, name: str):
    """Move one boxes leaf through ``steps``.

    Parameters
    ----------
    v : BoundingBoxes, tensor, array or list of rows
        The boxes (extra columns after the four coordinates are carried unchanged).
    steps : list of (Transform, dict)
        The geometric steps and their drawn values (:func:`geometric_steps`).
    size : tuple of int
        The image's ``(H, W)``.
    spec : TargetSpec
        The albumentations-style box format and filters (ignored for ``BoundingBoxes``,
        which carry their own format and keep degenerate boxes, as torchvision does).
    name : str
        The caller, named in errors.

    Returns
    -------
    (same container as ``v``, tensor of bool or None)
        The moved boxes and, when boxes may be dropped, the mask of the rows kept.

    Examples
    --------
    >>> import pixelgrad.augment as A
    >>> t = A.RandomShear(sx=(0.5, 0.5), sy=(0.0, 0.0), p=1.0)
    >>> values = {"sx": torch.tensor([0.5]), "sy": torch.tensor([0.0])}
    >>> out, keep = move_boxes([[2.0, 2.0, 4.0, 4.0]], [(t, values)], (8, 8),
    ...                        TargetSpec("doc"), "doc")
    >>> out, keep                       # albumentations style: empty boxes would be dropped
    ([[1.0, 2.0, 4.0, 4.0]], tensor([True]))
    """
    if _tv_kind(v) == "BoundingBoxes":
        fmt = box_format(v.format, name)
        canvas = tuple(int(s) for s in v.canvas_size)
        if canvas != tuple(size):
            bad_value(name, "x", f"BoundingBoxes whose canvas_size is the image's {tuple(size)}", canvas)
        drop = False
    else:
        fmt, drop = spec.bbox_format, spec.drop
    coords, rebuild = _rows(v, 4, name, "boxes")
    b = boxes_to_xyxy(coords, fmt, size)
    visible = torch.ones(b.shape[0], dtype=torch.float64)
    for tr, values in steps:
        b, vis = shear_boxes_xyxy(b, tr.point_matrix(values, size), size)
        visible = visible * vis
    keep = None
    if drop:
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        keep = (w > 0) & (h > 0) & (w * h >= spec.min_area) & (visible >= spec.min_visibility)
    return rebuild(xyxy_to_boxes(b, fmt, size), keep), keep


def move_keypoints(v: Any, steps, size: tuple[int, int], spec: TargetSpec, name: str):
    """Move one keypoints leaf through ``steps``; returns ``(new leaf, kept rows or None)``.

    torchvision ``KeyPoints`` are in continuous coordinates (pixel corner at 0); other
    keypoints are albumentations' ``xy``: pixel indices, ``(j, i)`` the centre of pixel
    ``(i, j)``.

    Parameters
    ----------
    v : KeyPoints, tensor, array or list of rows
        ``(x, y)`` rows; extra columns are carried unchanged.
    steps : list of (Transform, dict)
        The geometric steps and their drawn values.
    size : tuple of int
        The image's ``(H, W)``.
    spec : TargetSpec
        Whether keypoints leaving the image are dropped (albumentations style).
    name : str
        The caller, named in errors.

    Returns
    -------
    (same container as ``v``, tensor of bool or None)
        The moved keypoints and, when some may be dropped, the mask of the rows kept.

    Examples
    --------
    >>> import pixelgrad.augment as A
    >>> t = A.RandomShear(sx=(0.5, 0.5), sy=(0.0, 0.0), p=1.0)
    >>> values = {"sx": torch.tensor([0.5]), "sy": torch.tensor([0.0])}
    >>> move_keypoints([[3.5, 5.5]], [(t, values)], (8, 8), TargetSpec("doc"), "doc")[0]
    [[4.5, 5.5]]
    """
    tv = _tv_kind(v) == "KeyPoints"
    coords, rebuild = _rows(v, 2, name, "keypoints")
    off = 0.0 if tv else 0.5
    p = coords + off
    for tr, values in steps:
        m = tr.point_matrix(values, size)
        p = p @ m[:2, :2].T + m[:2, 2]
    p = p - off
    keep = None
    if not tv and spec.drop and spec.remove_invisible:
        H, W = size
        keep = (p[:, 0] >= 0) & (p[:, 0] < W) & (p[:, 1] >= 0) & (p[:, 1] < H)
    return rebuild(p, keep), keep


def move_mask(v: Any, steps, size: tuple[int, int], name: str, channels_last: bool) -> Any:
    """Warp one mask through ``steps`` with nearest-neighbour sampling (values kept).

    Parameters
    ----------
    v : Mask, tensor or numpy array
        ``(..., H, W)`` (numpy: ``(H, W)`` or ``(H, W, C)`` with ``channels_last``), any
        dtype: class ids are never blended.
    steps : list of (Transform, dict)
        The geometric steps and their drawn values.
    size : tuple of int
        The image's ``(H, W)``.
    name : str
        The caller, named in errors.
    channels_last : bool
        A 3-D numpy mask is ``(H, W, C)``.

    Returns
    -------
    same container as ``v``
        The warped mask, same shape and dtype.

    Examples
    --------
    >>> import numpy as np, pixelgrad.augment as A
    >>> t = A.RandomShear(sx=(0.5, 0.5), sy=(0.0, 0.0), p=1.0)
    >>> m = np.zeros((4, 4), np.uint8); m[2, 1] = 7
    >>> out = move_mask(m, [(t, {"sx": torch.tensor([0.5]), "sy": torch.tensor([0.0])})],
    ...                 (4, 4), "doc", True)
    >>> out.dtype, sorted(np.unique(out).tolist())
    (dtype('uint8'), [0, 7])
    """
    H, W = size
    if isinstance(v, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(v))
        last = channels_last and v.ndim == 3 and v.shape[:2] == (H, W)
        if last:
            t = t.permute(2, 0, 1)
    elif isinstance(v, torch.Tensor):
        t, last = v.as_subclass(torch.Tensor), False
    elif _is_pil(v):
        _unsupported(name, [("mask", v)])
        raise AssertionError
    else:
        bad_value(name, "mask", "a tensor or a numpy array", v)
    if t.ndim < 2 or tuple(t.shape[-2:]) != (H, W):
        bad_value(name, "mask", f"an array whose (height, width) is the image's {(H, W)}"
                  + (" (numpy masks: (H, W) or (H, W, C))" if isinstance(v, np.ndarray) else ""), v)
    for tr, values in steps:
        t = tr.warp_mask(t, values)
    if isinstance(v, np.ndarray):
        return np.ascontiguousarray((t.permute(1, 2, 0) if last else t).numpy())
    if _tv_kind(v) is not None:
        return t.as_subclass(type(v))
    return t


def _filter(labels: Any, keep: torch.Tensor, name: str, key: str) -> Any:
    if not isinstance(labels, (list, tuple, np.ndarray, torch.Tensor)) or len(labels) != len(keep):
        bad_value(name, key, f"a list of {len(keep)} labels, one per box / keypoint", labels)
    if isinstance(labels, np.ndarray):
        return labels[keep.numpy()]
    if isinstance(labels, torch.Tensor):
        return labels[keep.to(labels.device)]
    out = [u for u, k in zip(labels, keep.tolist()) if k]
    return type(labels)(out) if type(labels) in (tuple, list) else out
