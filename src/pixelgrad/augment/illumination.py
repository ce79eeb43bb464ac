"""Random illumination transforms: thin wrappers that draw parameters and call
:mod:`pixelgrad.functional.illumination`. Angles are in radians; positions and sizes in
unit-square units (fractions of the height / width)."""
from __future__ import annotations

import math
from typing import Any

import torch

from .. import functional as F
from ..functional.illumination import MODES
from .._errors import check_choice
from ._base import Transform, parse_range
from ._rng import Rng


def _alpha_range(alpha: Any, mode: str, name: str) -> tuple[float, float]:
    if mode == "blend":
        return parse_range(alpha, name, "alpha", low=0.0, high=1.0)
    return parse_range(alpha, name, "alpha")


class RandomGradient(Transform):
    """The seed's random gradient: mix a random linear ramp into every channel.

    Per sample: ``a ~ U(a)``, ``b ~ U(b)``, ``alpha ~ U(alpha)``, ``offset ~ U(offset)``, then
    :func:`pixelgrad.linear_gradient` ``(x, a, b, alpha, offset=offset, mode=mode)``, i.e. with
    the defaults ``y_c = (1 - alpha) x_c + alpha (a u + b v)`` exactly as
    ``make_random_gradient`` + the convex blend of the seed (``u, v`` = linspace(0, 1) across
    the width / height).

    With ``strength`` given, draws ``angle ~ U(angle)`` (radians) and ``strength ~ U(strength)``
    instead of ``a, b``: the ramp then spans exactly ``[offset, offset + strength]`` (a controlled
    range; the seed's ``a u + b v`` spans ``[min(0,a)+min(0,b), max(0,a)+max(0,b)]``).
    ``colored=True`` draws the slopes (or angle and strength) per channel: a colored ramp.
    Parameters drawn, in order: gate, then ``a, b`` (or ``angle, strength``), ``alpha``, ``offset``.
    """

    def __init__(self, p: float = 1.0, a: Any = (-1.0, 1.0), b: Any = (-1.0, 1.0),
                 alpha: Any = (0.05, 0.15), mode: str = "blend", *, offset: Any = 0.0,
                 angle: Any = (-math.pi, math.pi), strength: Any = None, colored: bool = False,
                 clamp: bool = True):
        super().__init__(p)
        n = type(self).__name__
        self.mode = check_choice(mode, MODES, n, "mode")
        self.a = parse_range(a, n, "a")
        self.b = parse_range(b, n, "b")
        self.alpha = _alpha_range(alpha, self.mode, n)
        self.offset = parse_range(offset, n, "offset")
        self.angle = parse_range(angle, n, "angle")
        self.strength = None if strength is None else parse_range(strength, n, "strength")
        self.colored = bool(colored)
        self.clamp = bool(clamp)

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        size = (shape[1],) if self.colored else ()
        if self.strength is None:
            d = {"a": rng.uniform(*self.a, *size), "b": rng.uniform(*self.b, *size)}
        else:
            d = {"angle": rng.uniform(*self.angle, *size), "strength": rng.uniform(*self.strength, *size)}
        d["alpha"] = rng.uniform(*self.alpha)
        d["offset"] = rng.uniform(*self.offset)
        return d

    def apply(self, x, **v):
        return F.linear_gradient(x, alpha=v.pop("alpha"), mode=self.mode, clamp=self.clamp, **v)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, a=self.a, b=self.b, alpha=self.alpha, mode=self.mode, offset=self.offset,
                    angle=self.angle, strength=self.strength, colored=self.colored, clamp=self.clamp)


class RandomCornerGradient(Transform):
    """A diagonal ramp peaking at a random corner (kornia's ``RandomLinearCornerIllumination``
    family): per sample ``corner ~ {0, 1, 2, 3}`` uniformly, ``strength``, ``alpha``, ``offset``
    uniform in their ranges; :func:`pixelgrad.corner_gradient`."""

    def __init__(self, p: float = 1.0, alpha: Any = (0.05, 0.15), strength: Any = (-1.0, 1.0),
                 mode: str = "blend", *, offset: Any = 0.0, clamp: bool = True):
        super().__init__(p)
        n = type(self).__name__
        self.mode = check_choice(mode, MODES, n, "mode")
        self.alpha = _alpha_range(alpha, self.mode, n)
        self.strength = parse_range(strength, n, "strength")
        self.offset = parse_range(offset, n, "offset")
        self.clamp = bool(clamp)

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        return {"corner": rng.integers(4), "strength": rng.uniform(*self.strength),
                "alpha": rng.uniform(*self.alpha), "offset": rng.uniform(*self.offset)}

    def apply(self, x, **v):
        return F.corner_gradient(x, v["corner"], v["alpha"], strength=v["strength"], offset=v["offset"],
                                 mode=self.mode, clamp=self.clamp)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, alpha=self.alpha, strength=self.strength, mode=self.mode,
                    offset=self.offset, clamp=self.clamp)


class _Spot(Transform):
    """Shared draw of ``center (B, 2)``, a size ``(B, 2)`` (isotropic unless ``anisotropic``),
    ``strength``, ``alpha``, ``offset``; subclasses name the size and the functional op."""

    size_name = "radius"

    def __init__(self, p, alpha, center, size, strength, offset, mode, anisotropic, clamp):
        super().__init__(p)
        n = type(self).__name__
        self.mode = check_choice(mode, MODES, n, "mode")
        self.alpha = _alpha_range(alpha, self.mode, n)
        self.center = parse_range(center, n, "center")
        self.size = parse_range(size, n, self.size_name, low=0.0, low_open=True)
        self.strength = parse_range(strength, n, "strength")
        self.offset = parse_range(offset, n, "offset")
        self.anisotropic = bool(anisotropic)
        self.clamp = bool(clamp)

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        center = rng.uniform(*self.center, 2)
        size = rng.uniform(*self.size, 2) if self.anisotropic else rng.uniform(*self.size)
        return {"center": center, self.size_name: size, "strength": rng.uniform(*self.strength),
                "alpha": rng.uniform(*self.alpha), "offset": rng.uniform(*self.offset)}

    def config(self) -> dict[str, Any]:
        return {"p": self.p, "alpha": self.alpha, "center": self.center, self.size_name: self.size,
                "strength": self.strength, "offset": self.offset, "mode": self.mode,
                "anisotropic": self.anisotropic, "clamp": self.clamp}


class RandomRadialGradient(_Spot):
    """Random vignette / light cone: :func:`pixelgrad.radial_gradient` with per-sample
    ``center ~ U(center)^2`` (cy, cx), ``radius ~ U(radius)`` (per axis if ``anisotropic``),
    ``strength``, ``alpha``, ``offset``. Defaults: a multiplicative vignette darkening the
    outside of the cone by 20-60%."""

    size_name = "radius"

    def __init__(self, p: float = 1.0, alpha: Any = (0.2, 0.6), center: Any = (0.3, 0.7),
                 radius: Any = (0.5, 1.0), *, strength: Any = 1.0, offset: Any = -1.0,
                 mode: str = "multiply", anisotropic: bool = False, clamp: bool = True):
        super().__init__(p, alpha, center, radius, strength, offset, mode, anisotropic, clamp)

    def apply(self, x, **v):
        return F.radial_gradient(x, v["alpha"], center=v["center"], radius=v["radius"],
                                 strength=v["strength"], offset=v["offset"], mode=self.mode, clamp=self.clamp)


class RandomGaussianSpot(_Spot):
    """Random Gaussian light / shadow spot (kornia's ``RandomGaussianIllumination`` family):
    :func:`pixelgrad.gaussian_spot` with per-sample ``center``, ``sigma`` (per axis if
    ``anisotropic``), ``strength`` (negative darkens), ``alpha``, ``offset``."""

    size_name = "sigma"

    def __init__(self, p: float = 1.0, alpha: Any = (0.05, 0.2), center: Any = (0.0, 1.0),
                 sigma: Any = (0.1, 0.5), *, strength: Any = (-1.0, 1.0), offset: Any = 0.0,
                 mode: str = "add", anisotropic: bool = False, clamp: bool = True):
        super().__init__(p, alpha, center, sigma, strength, offset, mode, anisotropic, clamp)

    def apply(self, x, **v):
        return F.gaussian_spot(x, v["alpha"], center=v["center"], sigma=v["sigma"],
                               strength=v["strength"], offset=v["offset"], mode=self.mode, clamp=self.clamp)
