"""Parameter parsing of the functional ops (functional._params): accepted forms, clear errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pixelgrad as pg


@pytest.mark.parametrize("value, exc, match", [
    (torch.tensor([True, True]), TypeError, r"`sigma` must be a real-valued .*torch.bool"),
    (torch.tensor([1 + 0j, 2 + 0j]), TypeError, r"`sigma` must be a real-valued .*complex"),
    (np.array(["a", "b"]), TypeError, r"`sigma` must be a real-valued .*array"),
    (np.array([1.0, None]), TypeError, r"`sigma` must be a real-valued .*object"),
    (torch.ones(2, device="meta"), ValueError, r"`sigma` must be a tensor with values"),
])
def test_bad_parameter_tensors_give_clear_errors(value, exc, match):
    """Bugs: bool / complex tensors were silently taken as 1.0 / their real part; string,
    object and meta inputs raised torch errors that named no function or argument."""
    with pytest.raises(exc, match=r"gaussian_blur: .*" + match):
        pg.gaussian_blur(torch.rand(2, 1, 5, 5), value)


def test_pairs_of_0d_tensors_and_numpy_scalars_are_accepted(rng):
    x = torch.from_numpy(rng.random((2, 1, 9, 10)))
    ref = pg.gaussian_blur(x, (0.8, 2.0))
    for sigma in ((torch.tensor(0.8), torch.tensor(2.0)), (np.float32(0.8), np.float64(2.0)),
                  [np.array(0.8), 2.0], torch.tensor([0.8, 2.0])[None]):
        torch.testing.assert_close(pg.gaussian_blur(x, sigma), ref, atol=1e-7, rtol=0)
    # big-endian parameter arrays are read correctly, not refused
    torch.testing.assert_close(pg.gaussian_blur(x, np.array([0.8, 0.8], dtype=">f8")),
                               pg.gaussian_blur(x, 0.8), atol=0, rtol=0)
