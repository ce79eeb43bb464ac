"""Apply an augmentation pipeline to a list of decoded images, one seed per image.

Images are numpy ``(H, W)`` or ``(H, W, C)`` arrays, uint8 or uint16 (as returned by
:func:`pixelgrad.io.read_image`). Images of equal shape and dtype are stacked into one
``(B, C, H, W)`` tensor and sent to ``device`` together; each sample gets its own
``torch.Generator`` seeded with its seed, so (by the contract of ``pixelgrad.augment``) its
result does not depend on which other images share its batch.

Bit depth: uint8 is passed to the pipeline as uint8 (which computes in float32 and rounds +
saturates back); uint16 is mapped to float32 ``x / 65535``, augmented, and mapped back with
``round(clip(y, 0, 1) * 65535)``. An alpha channel (RGBA or gray+alpha) is not augmented: it is
split off before and put back after (so geometric transforms do not move it; see docs/scale.md).
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import cv2
import numpy as np
import torch

__all__ = ["apply_pipeline", "group_by_shape", "to_chw", "from_chw"]

_U16_MAX = 65535.0


def _color_channels(img: np.ndarray) -> int:
    """Number of leading channels the pipeline sees (alpha excluded)."""
    if img.ndim == 2:
        return 1
    c = img.shape[2]
    return c - 1 if c in (2, 4) else c


#: dtypes that OpenCV splits / merges (SIMD (de)interleaving, ~20x faster than a numpy
#: transpose copy: 0.01 vs 0.28 ms for 256x256x3 uint8)
_CV_DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


def _same_buffer(a: np.ndarray, b: np.ndarray) -> bool:
    return a.__array_interface__["data"][0] == b.__array_interface__["data"][0]


def _hwc_into_chw(img: np.ndarray, dst: np.ndarray) -> None:
    """Copy the first ``dst.shape[0]`` channels of ``img`` ``(H, W, C)`` into ``dst`` ``(c, H, W)``."""
    c, C = dst.shape[0], img.shape[2]
    if img.dtype.type in _CV_DTYPES and C <= 4 and img.flags.c_contiguous and dst.flags.c_contiguous:
        mv = [dst[i] for i in range(c)] + [np.empty(img.shape[:2], img.dtype) for _ in range(C - c)]
        got = cv2.split(img, mv)
        for i in range(c):
            if not _same_buffer(got[i], dst[i]):      # OpenCV chose to allocate: copy back
                dst[i] = got[i]
        return
    dst[...] = np.moveaxis(img[..., :c], -1, 0)


def to_chw(images: Sequence[np.ndarray]) -> torch.Tensor:
    """Stack equal-shape ``(H, W[, C])`` arrays (color channels only) into ``(B, C, H, W)``.

    Parameters
    ----------
    images : sequence of numpy.ndarray
        Non-empty sequence of arrays of one shape ``(H, W)`` or ``(H, W, C)`` and one dtype.
        An alpha channel (``C`` = 2 or 4) is left out.

    Returns
    -------
    torch.Tensor
        ``(B, C', H, W)`` with ``C'`` the color channels (1 for gray). uint8 stays uint8;
        uint16 becomes float32 in [0, 1] (``x / 65535``); float arrays keep their dtype.

    Examples
    --------
    >>> import numpy as np
    >>> x = to_chw([np.zeros((4, 5, 4), np.uint8)])        # RGBA: alpha left out
    >>> x.shape, x.dtype
    (torch.Size([1, 3, 4, 5]), torch.uint8)
    >>> to_chw([np.full((1, 2), 65535, np.uint16)])
    tensor([[[[1., 1.]]]])
    """
    first = images[0]
    c = _color_channels(first)
    H, W = first.shape[:2]
    arr = np.empty((len(images), c, H, W), dtype=first.dtype)
    for b, img in enumerate(images):
        if img.ndim == 2:
            arr[b, 0] = img
        else:
            _hwc_into_chw(img, arr[b])
    x = torch.from_numpy(arr)
    if x.dtype == torch.uint16:
        x = x.to(torch.float32) / _U16_MAX
    return x


def from_chw(y: torch.Tensor, like: np.ndarray) -> np.ndarray:
    """One sample ``(C, H, W)`` back to ``like``'s layout and dtype, alpha taken from ``like``.

    Parameters
    ----------
    y : torch.Tensor
        ``(C', H, W)`` result of the pipeline for one image (any device; detached here).
    like : numpy.ndarray
        The original ``(H, W[, C])`` image: gives the layout, the dtype and the alpha channel.

    Returns
    -------
    numpy.ndarray
        C-contiguous array of ``like``'s shape and dtype. uint16 from float:
        ``round(clip(y, 0, 1) * 65535)``; uint8 from float: ``round(clip(y, 0, 1) * 255)``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> like = np.full((2, 2, 4), 7, np.uint8)
    >>> out = from_chw(torch.ones(3, 2, 2), like)      # float 1.0 -> 255; alpha kept
    >>> out.shape, out.dtype, out[0, 0].tolist()
    ((2, 2, 4), dtype('uint8'), [255, 255, 255, 7])
    """
    y = y.detach().cpu()
    if like.dtype == np.uint16 and y.dtype.is_floating_point:
        arr = np.rint(np.clip(y.to(torch.float64).numpy(), 0.0, 1.0) * _U16_MAX).astype(np.uint16)
    elif like.dtype == np.uint8 and y.dtype.is_floating_point:
        arr = np.rint(np.clip(y.to(torch.float64).numpy(), 0.0, 1.0) * 255.0).astype(np.uint8)
    else:
        arr = y.numpy().astype(like.dtype, copy=False)
    if like.ndim == 2:
        return np.array(arr[0], order="C")
    c = _color_channels(like)
    planes = [arr[i] for i in range(c)]
    if c < like.shape[2]:
        planes += [like[..., i] for i in range(c, like.shape[2])]
    if arr.dtype.type in _CV_DTYPES and 2 <= len(planes) <= 4:
        return cv2.merge([np.ascontiguousarray(p) for p in planes])
    return np.ascontiguousarray(np.stack(planes, axis=-1))


def group_by_shape(images: Sequence[np.ndarray]) -> list[list[int]]:
    """Indices of ``images`` grouped by (shape, dtype), groups in order of first appearance.

    Parameters
    ----------
    images : sequence of numpy.ndarray
        The images.

    Returns
    -------
    list of list of int
        One list of indices per distinct ``(shape, dtype)``; every index appears once.

    Examples
    --------
    >>> import numpy as np
    >>> group_by_shape([np.zeros((4, 5, 3), np.uint8), np.zeros((2, 2), np.uint16),
    ...                 np.zeros((4, 5, 3), np.uint8)])
    [[0, 2], [1]]
    """
    groups: dict[tuple, list[int]] = {}
    for i, img in enumerate(images):
        groups.setdefault((img.shape, img.dtype.str), []).append(i)
    return list(groups.values())


#: A group whose images have at least this many pixels (``H * W``) is augmented
#: ``CHUNK_CHANNELS`` channels at a time when :func:`channel_separable` allows it.
CHUNK_MIN_PIXELS = 1 << 20
#: channels per pass in that case (1: the op's float buffers cover one plane, not three)
CHUNK_CHANNELS = 1


def channel_separable(pipeline: Any, x: torch.Tensor) -> bool:
    """Whether augmenting ``x`` ``(B, C, H, W)`` channel by channel, with parameters drawn
    once for the whole image, gives the same bits as one call.

    True when ``pipeline`` is a :class:`pixelgrad.augment.Transform` made only of the
    built-in blurs, shear, illumination transforms without ``colored`` ramps, and containers:
    each of them applies the same parameters to every channel on its own, and none draws
    anything that depends on the channel count. A float batch also needs no clamped
    illumination op, because those clamp a float image outside [0, 1] to the range of the
    whole sample (all channels together; an earlier blur may round a value just above 1).
    """
    from ..augment import (Compose, OneOf, RandomApply, RandomBoxBlur, RandomCameraShake,
                           RandomCornerGradient, RandomGaussianBlur, RandomGaussianSpot,
                           RandomGradient, RandomMotionBlur, RandomRadialGradient, RandomShear,
                           Transform)

    containers = (Compose, OneOf, RandomApply)
    blurs = (RandomGaussianBlur, RandomBoxBlur, RandomMotionBlur, RandomCameraShake, RandomShear)
    light = (RandomGradient, RandomCornerGradient, RandomGaussianSpot, RandomRadialGradient)
    if not isinstance(pipeline, Transform):
        return False
    for t in pipeline.modules():
        kind = type(t)
        if kind in containers or kind in blurs or kind is torch.nn.ModuleList:
            continue
        if kind not in light or getattr(t, "colored", False):
            return False
        if x.dtype.is_floating_point and t.clamp:
            return False
    return True


def _run(pipeline: Callable, x: torch.Tensor, seeds: Sequence[int]) -> tuple[torch.Tensor, list[dict]]:
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    B, C, H, W = x.shape
    if C > CHUNK_CHANNELS and H * W >= CHUNK_MIN_PIXELS and channel_separable(pipeline, x):
        # one draw for the whole image (exactly what the pipeline's own call draws), replayed
        # on each channel chunk: the ops' float buffers then hold a chunk, not the image
        from ..augment import Rng, Transform
        from ..functional import _dispatch

        assert isinstance(pipeline, Transform)            # channel_separable checked it
        params = pipeline.draw(x.shape, Rng(B, gens, None, pipeline.type_name))
        y: Optional[torch.Tensor] = None
        with _dispatch.backend_scope("auto"):        # as the pipeline's own call does
            for c0 in range(0, C, CHUNK_CHANNELS):
                part = pipeline.replay(x[:, c0:c0 + CHUNK_CHANNELS].contiguous(), params)
                if y is None:
                    y = torch.empty((B, C, H, W), dtype=part.dtype, device=part.device)
                y[:, c0:c0 + CHUNK_CHANNELS] = part
                del part
    else:
        y, params = pipeline(x, generator=gens, return_params=True)
    per = params.per_sample() if params is not None else [{} for _ in seeds]
    assert y is not None                                  # C >= 1 on the chunked path
    return y, list(per)


def apply_pipeline(pipeline: Callable, images: Sequence[np.ndarray], seeds: Sequence[int], *,
                   device: str | torch.device = "cpu") -> list[tuple[np.ndarray, dict[str, Any]] | BaseException]:
    """Augment ``images[i]`` with seed ``seeds[i]``, batching images of equal shape.

    Parameters
    ----------
    pipeline : callable
        A :class:`pixelgrad.augment.Transform` (called with ``generator=`` a list of
        per-sample generators and ``return_params=True``).
    images : sequence of numpy.ndarray
        ``(H, W[, C])`` uint8 / uint16 (or float) images.
    seeds : sequence of int
        One seed per image; image ``i``'s result depends only on ``images[i]`` and
        ``seeds[i]``, never on its batch-mates.
    device : str or torch.device, default "cpu"
        Where the pipeline runs.

    Returns
    -------
    list of (numpy.ndarray, dict) or BaseException
        Per image, ``(output, params)`` (output with the input's shape and dtype, params
        JSON-serializable), or the exception that made it fail. A group that fails as a
        whole is retried image by image, so one bad image does not take its batch-mates down.

    Raises
    ------
    ValueError
        If ``images`` and ``seeds`` differ in length.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelgrad import augment
    >>> imgs = [np.zeros((8, 8, 3), np.uint8), np.zeros((5, 6), np.uint16)]
    >>> res = apply_pipeline(augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0), imgs, [0, 1])
    >>> [(out.shape, out.dtype.name, params["type"]) for out, params in res]
    [((8, 8, 3), 'uint8', 'RandomGaussianBlur'), ((5, 6), 'uint16', 'RandomGaussianBlur')]
    """
    if len(images) != len(seeds):
        raise ValueError(f"apply_pipeline: arguments `images` and `seeds` must have the same "
                         f"length, got {len(images)} and {len(seeds)}")
    out: list[Any] = [None] * len(images)
    for idx in group_by_shape(images):
        chunks = [idx]
        try:
            x = to_chw([images[i] for i in idx]).to(device)
            y, per = _run(pipeline, x, [seeds[i] for i in idx])
            del x                                     # peak memory: the input is done with
            y = y.detach().cpu()                      # one transfer for the group
            for j, i in enumerate(idx):
                out[i] = (from_chw(y[j], images[i]), per[j])
            continue
        except Exception:  # noqa: BLE001 - isolate the culprit below
            if len(idx) == 1:
                chunks = [idx]
            else:
                chunks = [[i] for i in idx]
        for chunk in chunks:
            i = chunk[0]
            try:
                x = to_chw([images[i]]).to(device)
                y, per = _run(pipeline, x, [seeds[i]])
                out[i] = (from_chw(y[0], images[i]), per[0])
            except Exception as exc:  # noqa: BLE001 - reported per image by the caller
                out[i] = exc
    return out
