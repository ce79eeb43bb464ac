"""pixelgrad.kernels.gaussian: the public kernels are copies of the cached ones."""
from __future__ import annotations

import numpy as np
import torch

import pixelgrad as pg


def test_editing_a_public_kernel_cannot_change_later_blurs(rng):
    """Bug: the filters read the very cached tensor the public kernel functions hand out,
    so a user normalising it for display (``k /= k.max()``) silently changed every later
    blur with that sigma / size."""
    from pixelgrad.kernels import box_kernel1d, gaussian_kernel1d, gaussian_kernel2d

    x = torch.from_numpy(rng.random((1, 1, 12, 13)))
    img = x[0, 0].numpy()
    ref = [pg.gaussian_blur(x, 2.0), pg.gaussian_blur(x, (1.0, 2.5), angle=0.4), pg.box_blur(x, 5),
           pg.gaussian_blur(img, 1.5)]
    public = [gaussian_kernel1d(2.0), gaussian_kernel2d(1.0, 2.5, 0.4), box_kernel1d(5), gaussian_kernel1d(1.5)]
    saved = [k.clone() for k in public]
    try:
        for k in public:
            k.mul_(7.0)                                 # the user's edit of "their" kernel
        assert torch.equal(pg.gaussian_blur(x, 2.0), ref[0])
        assert torch.equal(pg.gaussian_blur(x, (1.0, 2.5), angle=0.4), ref[1])
        assert torch.equal(pg.box_blur(x, 5), ref[2])
        np.testing.assert_array_equal(pg.gaussian_blur(img, 1.5), ref[3])   # numpy fast path
    finally:
        for k, v in zip(public, saved):                 # the public cache is shared by the session
            k.copy_(v)
