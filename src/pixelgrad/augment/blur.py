"""Random blur and shear transforms: thin wrappers over :mod:`pixelgrad.functional.blur` and
:mod:`pixelgrad.functional.geometry`. Angles in radians; sizes in pixels."""
from __future__ import annotations

from typing import Any

import torch

from .. import functional as F
from ..borders import BORDERS
from .._errors import check_choice
from ._base import Transform, parse_range
from ._rng import Rng


class RandomGaussianBlur(Transform):
    """Gaussian blur with per-sample ``sigma ~ U(sigma)`` (pixels); ``anisotropic=True`` draws
    ``(sigma_y, sigma_x)`` independently; ``angle=(lo, hi)`` also draws a rotation (radians)
    of the anisotropic kernel. One batched :func:`pixelgrad.gaussian_blur` call."""

    def __init__(self, p: float = 1.0, sigma: Any = (0.1, 2.0), *, anisotropic: bool = False,
                 angle: Any = None, truncate: float = 4.0, border: str = "reflect"):
        super().__init__(p)
        n = type(self).__name__
        self.sigma = parse_range(sigma, n, "sigma", low=0.0, low_open=True)
        self.anisotropic = bool(anisotropic)
        self.angle = None if angle is None else parse_range(angle, n, "angle")
        self.truncate = parse_range(truncate, n, "truncate", low=0.0, low_open=True)[0]
        self.border = check_choice(border, BORDERS, n, "border")

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        d = {"sigma": rng.uniform(*self.sigma, 2) if self.anisotropic else rng.uniform(*self.sigma)}
        if self.angle is not None:
            d["angle"] = rng.uniform(*self.angle)
        return d

    def apply(self, x, **v):
        return F.gaussian_blur(x, v["sigma"], angle=v.get("angle"), truncate=self.truncate, border=self.border)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, sigma=self.sigma, anisotropic=self.anisotropic, angle=self.angle,
                    truncate=self.truncate, border=self.border)


class RandomBoxBlur(Transform):
    """Box blur with a per-sample odd window size drawn uniformly among the odd integers in
    ``size`` (per axis if ``anisotropic``)."""

    def __init__(self, p: float = 1.0, size: Any = (3, 7), *, anisotropic: bool = False,
                 border: str = "reflect"):
        super().__init__(p)
        n = type(self).__name__
        lo, hi = parse_range(size, n, "size", low=1.0)
        odd = [k for k in range(int(lo), int(hi) + 1) if k % 2 == 1 and lo <= k <= hi]
        if not odd:
            from .._errors import bad_value

            bad_value(n, "size", "a range containing an odd integer", size)
        self.size = (lo, hi)
        self._odd = odd
        self.anisotropic = bool(anisotropic)
        self.border = check_choice(border, BORDERS, n, "border")

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        choices = torch.tensor(self._odd, dtype=torch.int64)
        k = rng.integers(len(self._odd), 2) if self.anisotropic else rng.integers(len(self._odd))
        return {"size": choices[k]}

    def apply(self, x, **v):
        return F.box_blur(x, v["size"], border=self.border)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, size=self.size, anisotropic=self.anisotropic, border=self.border)


class RandomMotionBlur(Transform):
    """Motion blur with per-sample ``length ~ U(length)`` pixels, ``angle ~ U(angle)`` radians
    and ``direction ~ U(direction)`` in [-1, 1]; one batched :func:`pixelgrad.motion_blur` call."""

    def __init__(self, p: float = 1.0, length: Any = (3.0, 15.0), angle: Any = (-3.141592653589793, 3.141592653589793),
                 *, direction: Any = 0.0, border: str = "reflect"):
        super().__init__(p)
        n = type(self).__name__
        self.length = parse_range(length, n, "length", low=1.0)
        self.angle = parse_range(angle, n, "angle")
        self.direction = parse_range(direction, n, "direction", low=-1.0, high=1.0)
        self.border = check_choice(border, BORDERS, n, "border")

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        return {"length": rng.uniform(*self.length), "angle": rng.uniform(*self.angle),
                "direction": rng.uniform(*self.direction)}

    def apply(self, x, **v):
        return F.motion_blur(x, v["length"], v["angle"], direction=v["direction"], border=self.border)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, length=self.length, angle=self.angle, direction=self.direction,
                    border=self.border)


class RandomShear(Transform):
    """Shear about the centre with per-sample ``sx ~ U(sx)``, ``sy ~ U(sy)``
    (:func:`pixelgrad.shear`). Geometric: refuses boxes / masks in structured inputs."""

    kind = "geometric"

    def __init__(self, p: float = 1.0, sx: Any = (-0.3, 0.3), sy: Any = 0.0, *, border: str = "constant"):
        super().__init__(p)
        n = type(self).__name__
        self.sx = parse_range(sx, n, "sx", low=-0.9, high=0.9)
        self.sy = parse_range(sy, n, "sy", low=-0.9, high=0.9)
        self.border = check_choice(border, BORDERS, n, "border")

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        return {"sx": rng.uniform(*self.sx), "sy": rng.uniform(*self.sy)}

    def apply(self, x, **v):
        return F.shear(x, v["sx"], v["sy"], border=self.border)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, sx=self.sx, sy=self.sy, border=self.border)
