"""The OpenCV backend's thread pool: fork-safe (DataLoader workers) and deterministic."""
from __future__ import annotations

import multiprocessing as mp
import sys

import numpy as np
import pytest
import torch

import pixelgrad as pg


# ------------------------------------------------------------------ OpenCV pool and fork()
def _fork_child(q, x):
    torch.set_num_threads(1)                 # what torch's DataLoader worker loop does
    q.put(pg.gaussian_blur(x, 1.0, method="direct").numpy())


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method (DataLoader default) is Linux-only")
def test_thread_pool_survives_fork(monkeypatch):
    """Bug: the OpenCV thread pool created in the parent was reused in a forked child
    (torch DataLoader workers), whose copy has no threads: the child hung forever."""
    from pixelgrad.backends import opencv_backend as cvb

    monkeypatch.setattr(cvb, "_threads", lambda: 2)
    x = (torch.rand(8, 3, 24, 24) * 255).round().to(torch.uint8)
    ref = pg.gaussian_blur(x, 1.0, method="direct")   # creates the pool in this process
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_fork_child, args=(q, x))
    p.start()
    try:
        out = q.get(timeout=30)
    except Exception:                        # queue.Empty: the child is stuck
        out = None
    p.join(5)
    if p.is_alive():
        p.kill()
    assert out is not None, "gaussian_blur in a forked child did not finish (thread pool deadlock)"
    np.testing.assert_array_equal(out, ref.numpy())


def test_thread_pool_is_deterministic_across_threads():
    from concurrent.futures import ThreadPoolExecutor

    x = torch.rand(12, 3, 20, 21)
    sig = torch.linspace(0.3, 3.0, 12)
    ref = pg.gaussian_blur(x, sig)
    with ThreadPoolExecutor(4) as ex:
        outs = list(ex.map(lambda _: pg.gaussian_blur(x, sig), range(8)))
    assert all(torch.equal(o, ref) for o in outs)


def test_off_centre_kernel_keeps_its_anchor(rng):
    """A kernel whose non-zero taps all lie away from its centre: cropping it to its support
    once gave a negative anchor, which OpenCV reads as "the centre" (a one-tap shift came back
    as the identity)."""
    from pixelgrad.backends import opencv_backend

    x = torch.from_numpy(rng.random((1, 2, 9, 11)))
    k = np.zeros((5, 5))
    k[0, 0], k[0, 1] = 0.75, 0.25                   # taps at offsets (-2, -2) and (-2, -1)
    y = opencv_backend.filter2d(x, [k], "replicate")
    xp = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="replicate")
    ref = 0.75 * xp[..., 0:9, 0:11] + 0.25 * xp[..., 0:9, 1:12]
    assert torch.allclose(y, ref, atol=1e-12)
