"""Inputs and parameters (float64, requiring grad) for the gradient checks of the functional ops."""
from __future__ import annotations

import torch


# ----------------------------------------------------------------------------- differentiable
def _x(rng, shape=(2, 2, 7, 8)):
    return torch.from_numpy(rng.random(shape))


def _p(*values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)
