"""The local engine's machinery: layout conversions against numpy, the crash-safe writer's call
order, thread settings inside and after a run, and the blockwise illumination mixer against the
batched (autograd) path."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import pixelgrad.augment as A
import pixelgrad.io.atomic as atomic
from pixelgrad.functional import illumination as I
from pixelgrad.io.batch_apply import from_chw, to_chw
from pixelgrad.io.dataset import collect_inputs, plan_outputs
from pixelgrad.io.images import write_image
from pixelgrad.io.jobs import run_local, single_threaded_ops

RNG = np.random.default_rng(77)


def _image(shape, dtype) -> np.ndarray:
    if np.dtype(dtype).kind == "f":
        return RNG.random(shape).astype(dtype)
    return RNG.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.int8])
@pytest.mark.parametrize("shape", [(7, 9), (7, 9, 1), (7, 9, 2), (7, 9, 3), (7, 9, 4), (5, 6, 5)])
def test_to_chw_and_from_chw_match_numpy_transposes(dtype, shape):
    imgs = [_image(shape, dtype) for _ in range(3)]
    imgs[1] = np.asfortranarray(imgs[1])                       # a non-contiguous input too
    color = 1 if len(shape) == 2 else (shape[2] - 1 if shape[2] in (2, 4) else shape[2])
    ref = np.stack([(im[..., None] if im.ndim == 2 else im)[..., :color] for im in imgs])
    ref = np.moveaxis(ref, -1, 1)
    x = to_chw(imgs)
    if dtype == np.uint16:
        np.testing.assert_array_equal(x.numpy(), (ref.astype(np.float32) / np.float32(65535)))
    else:
        assert x.dtype == torch.from_numpy(ref).dtype
        np.testing.assert_array_equal(x.numpy(), ref)
    for j, im in enumerate(imgs):
        for y in (x[j], x.contiguous(memory_format=torch.channels_last)[j]):
            back = from_chw(y, im)
            assert back.shape == im.shape and back.dtype == im.dtype and back.flags.c_contiguous
            np.testing.assert_array_equal(back, im)               # exact round trip, alpha kept


def test_from_chw_rounds_floats_and_keeps_alpha():
    like = _image((4, 5, 4), np.uint8)
    y = torch.tensor(RNG.uniform(-0.2, 1.2, (3, 4, 5)), dtype=torch.float32)
    got = from_chw(y, like)
    ref = np.rint(np.clip(y.double().numpy(), 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(got[..., :3], np.moveaxis(ref, 0, -1))
    np.testing.assert_array_equal(got[..., 3], like[..., 3])


def test_atomic_write_fsyncs_before_rename_and_cleans_up(tmp_path: Path, monkeypatch):
    calls: list[tuple[str, object]] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(("fsync", fd)), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b, **kw: (calls.append(("replace", b)),
                                                           real_replace(a, b, **kw))[1])
    target = tmp_path / "d" / "x.png"
    atomic.atomic_write(target, b"payload")
    assert [c[0] for c in calls] == ["fsync", "replace"] and calls[1][1] == target.name
    assert target.read_bytes() == b"payload"
    assert target.stat().st_mode & 0o777 == atomic.FILE_MODE
    assert [p.name for p in target.parent.iterdir()] == ["x.png"]

    def boom(a, b, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic.atomic_write(tmp_path / "d" / "y.png", b"other")
    assert [p.name for p in target.parent.iterdir()] == ["x.png"]   # no temp file left


class _Spy:
    """The real pipeline, recording the torch / OpenCV thread counts it runs under."""

    def __init__(self, pipe) -> None:
        self.pipe, self.seen = pipe, set()

    def __call__(self, *a, **k):
        self.seen.add((torch.get_num_threads(), cv2.getNumThreads()))
        return self.pipe(*a, **k)


def test_cpu_ops_run_single_threaded_inside_and_settings_come_back(tmp_path: Path):
    src = tmp_path / "in"
    for i in range(6):
        write_image(src / f"{i}.png", _image((10, 12, 3), np.uint8))
    root, files = collect_inputs(src)
    items = plan_outputs(root, files, tmp_path / "out", seed=3)
    before = (torch.get_num_threads(), cv2.getNumThreads())
    spy = _Spy(A.Compose([A.RandomGradient(), A.RandomGaussianBlur(sigma=(0.5, 1.0))]))
    summary = run_local(items, spy, tmp_path / "out", workers=2, batch_size=2, progress=False)
    assert summary.done == 6 and not summary.failed
    assert spy.seen == {(1, 1)}
    assert (torch.get_num_threads(), cv2.getNumThreads()) == before
    with single_threaded_ops("meta"):                 # other devices: settings untouched
        assert (torch.get_num_threads(), cv2.getNumThreads()) == before


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float16])
@pytest.mark.parametrize("mode", ["blend", "add", "multiply"])
def test_blockwise_cpu_mixer_equals_the_batched_path_bit_for_bit(monkeypatch, dtype, mode):
    B, C, H, W = 7, 3, 11, 13
    g = torch.Generator().manual_seed(5)
    x = torch.rand(B, C, H, W, generator=g)
    x = (x * 255).round().to(dtype) if dtype == torch.uint8 else x.to(dtype)
    cdt = torch.float32
    field = (torch.rand(B, 1, H, W, generator=g) - 0.5).to(cdt) * 0.4
    alpha = torch.rand(B, dtype=torch.float64, generator=g) * 0.5
    # a field that requires grad takes the batched, out-of-place (autograd) path
    ref = I._mix(x, field.clone().requires_grad_(True), alpha, mode, True).detach()
    for block in (1, H * W * C * 2, 1 << 18):        # one sample, two samples, whole batch
        monkeypatch.setattr(I, "_BLOCK_ELEMS", block)
        for xin in (x, x.contiguous(memory_format=torch.channels_last)):
            got = I._mix(xin, field, alpha, mode, True)
            assert got.dtype == x.dtype
            assert torch.equal(got, ref), (block, xin.is_contiguous())
            if xin is not x:
                assert got.is_contiguous(memory_format=torch.channels_last)
