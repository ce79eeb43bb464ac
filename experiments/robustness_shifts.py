"""Test-time distribution shifts, each at increasing severity.

A shift maps a float ``(N, 3, H, W)`` batch in [0, 1] to a shifted batch in [0, 1]. Per-image
random parts (ramp direction, corner, spot position, sign of a brightness change, ...) come
from a generator seeded by the shift's name and severity, so every model is tested on the very
same shifted images.

Groups:

* ``illumination``: smooth light fields (pixelgrad's illumination ops) and global brightness;
* ``blur``: Gaussian and motion blur (pixelgrad's blur ops);
* ``held-out``: shift types that no training condition of the experiment uses (a periodic,
  non-planar shading field, a colour cast, a gamma change, sensor noise); they tell "robust to
  what it saw" from "robust in general".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

import pixelgrad as pg


@dataclass(frozen=True)
class Shift:
    name: str
    group: str
    label: str            # axis label of the severity parameter
    severities: tuple     # increasing; the parameter passed to ``fn``
    fn: Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]


def _u(n: int, lo: float, hi: float, g: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g, dtype=torch.float64)


def _sign(n: int, g: torch.Generator) -> torch.Tensor:
    return torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0).double()


def _ramp_blend(x, alpha, g):
    n = x.shape[0]
    return pg.linear_gradient(x, angle=_u(n, -math.pi, math.pi, g), strength=1.0, alpha=alpha, mode="blend")


def _ramp_multiply(x, alpha, g):
    n = x.shape[0]     # gain 1 - alpha on one side to 1 + alpha on the other
    return pg.linear_gradient(x, angle=_u(n, -math.pi, math.pi, g), strength=2.0, offset=-1.0,
                              alpha=alpha, mode="multiply")


def _corner(x, alpha, g):
    n = x.shape[0]
    corner = torch.floor(4 * torch.rand(n, generator=g, dtype=torch.float64)).clamp(max=3)
    return pg.corner_gradient(x, corner, alpha, strength=_sign(n, g), mode="add")


def _vignette(x, alpha, g):
    n = x.shape[0]
    center = 0.5 + 0.1 * (2 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1)
    return pg.radial_gradient(x, alpha, center=center, radius=0.75, strength=1.0, offset=-1.0,
                              mode="multiply")


def _spot(x, alpha, g):
    n = x.shape[0]
    center = 0.2 + 0.6 * torch.rand(n, 2, generator=g, dtype=torch.float64)
    return pg.gaussian_spot(x, alpha, center=center, sigma=_u(n, 0.15, 0.3, g), strength=_sign(n, g),
                            mode="add")


def _brightness(x, d, g):
    gain = (1.0 + d) ** _sign(x.shape[0], g)          # brighter or darker by the factor 1 + d
    return (x * gain.to(x.dtype)[:, None, None, None]).clamp(0, 1)


def _gaussian_blur(x, sigma, g):
    return pg.gaussian_blur(x, sigma)


def _motion_blur(x, length, g):
    return pg.motion_blur(x, length, _u(x.shape[0], -math.pi, math.pi, g))


def _sine_shading(x, amp, g):
    """Gain ``1 + amp * cos(2 pi * 2 * p + phase)`` along a random direction ``p``: two
    periods of light and shadow across the image (blinds), not a low-order field."""
    n, _, H, W = x.shape
    theta = _u(n, -math.pi, math.pi, g)[:, None, None]
    phase = _u(n, 0, 2 * math.pi, g)[:, None, None]
    yy, xx = torch.meshgrid(torch.linspace(0, 1, H, dtype=torch.float64),
                            torch.linspace(0, 1, W, dtype=torch.float64), indexing="ij")
    p = xx * torch.cos(theta) + yy * torch.sin(theta)
    gain = 1 + amp * torch.cos(2 * math.pi * 2.0 * p + phase)
    return (x * gain[:, None].to(x.dtype)).clamp(0, 1)


def _colour_cast(x, s, g):
    """Per-channel gains ``exp(N(0, s^2))``: a white-balance error."""
    gains = torch.exp(s * torch.randn(x.shape[0], 3, generator=g, dtype=torch.float64))
    return (x * gains.to(x.dtype)[:, :, None, None]).clamp(0, 1)


def _gamma(x, gamma, g):
    """``x ** gamma`` or ``x ** (1 / gamma)`` (random per image): a tone-curve change."""
    e = gamma ** _sign(x.shape[0], g)
    return x.clamp(0, 1) ** e.to(x.dtype)[:, None, None, None]


def _noise(x, sigma, g):
    return (x + sigma * torch.randn(x.shape, generator=g, dtype=x.dtype)).clamp(0, 1)


SHIFTS = (
    Shift("ramp_blend", "illumination", "alpha (ramp 0..1, blend)", (0.15, 0.3, 0.45, 0.6), _ramp_blend),
    Shift("ramp_multiply", "illumination", "alpha (gain 1±alpha)", (0.2, 0.4, 0.6, 0.8), _ramp_multiply),
    Shift("corner", "illumination", "alpha (corner ramp, add)", (0.15, 0.3, 0.45, 0.6), _corner),
    Shift("vignette", "illumination", "alpha (radial, multiply)", (0.2, 0.4, 0.6, 0.8), _vignette),
    Shift("spot", "illumination", "alpha (Gaussian spot, add)", (0.2, 0.4, 0.6, 0.8), _spot),
    Shift("brightness", "illumination", "d (global gain (1+d)^±1)", (0.2, 0.4, 0.7, 1.0), _brightness),
    Shift("gaussian_blur", "blur", "sigma (pixels)", (0.5, 1.0, 2.0, 3.0), _gaussian_blur),
    Shift("motion_blur", "blur", "length (pixels)", (3.0, 7.0, 11.0, 15.0), _motion_blur),
    Shift("sine_shading", "held-out", "amplitude (2-period shading)", (0.2, 0.4, 0.6, 0.8), _sine_shading),
    Shift("colour_cast", "held-out", "s (channel gains exp(N(0,s²)))", (0.1, 0.2, 0.35, 0.5), _colour_cast),
    Shift("gamma", "held-out", "gamma (x^gamma^±1)", (1.4, 1.8, 2.4, 3.0), _gamma),
    Shift("noise", "held-out", "sigma (additive Gaussian)", (0.03, 0.06, 0.1, 0.15), _noise),
)
GROUPS = ("illumination", "blur", "held-out")


def shift_seed(seed: int, name: str, level: int) -> int:
    w = np.random.SeedSequence([seed, level, *map(ord, name)]).generate_state(2)
    return ((int(w[0]) << 32) | int(w[1])) & (2**63 - 1)


def apply_shift(shift: Shift, x: torch.Tensor, level: int, seed: int) -> torch.Tensor:
    """``shift`` at severity index ``level`` on ``x`` (float, [0, 1]), with the shift's own
    fixed random stream: the same images for every model."""
    g = torch.Generator().manual_seed(shift_seed(seed, shift.name, level))
    # blur output can leave [0, 1] by float rounding (~1e-7): clamp like a camera would
    return shift.fn(x, shift.severities[level], g).clamp(0, 1)
