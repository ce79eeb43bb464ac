"""Random illumination transforms: thin wrappers that draw parameters and call
:mod:`pixelgrad.functional.illumination`. Angles are in radians; positions and sizes in
unit-square units (fractions of the height / width)."""
from __future__ import annotations

import math
from typing import Any, Optional

import torch

from .. import functional as F
from ..functional.illumination import MODES, reported_as
from .._errors import check_choice
from .._interop import require_finite
from ..types import Range
from ._base import Params, Transform, parse_range
from ._rng import Integers, Rng, Uniform


def _alpha_range(alpha: Range, mode: str, name: str) -> tuple[float, float]:
    if mode == "blend":
        return parse_range(alpha, name, "alpha", low=0.0, high=1.0)
    return parse_range(alpha, name, "alpha")


class _Field(Transform):
    """Base of the illumination transforms: one check of the input for NaN / inf.

    Their functional ops check a float image in the pass that reads it (its min and max,
    needed by the own-range clamp anyway), so the call does not check the whole batch once
    more first (``checks_finite``): :meth:`replay` checks the samples it passes through and
    lets the op report the rest under the transform's name.
    """

    checks_finite = True

    def replay(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        with reported_as(self.type_name):
            if all(params.applied.tolist()):
                return self.apply_params(x, **params.values)
            require_finite(x, self.type_name)          # samples passed through are checked here
            return super().replay(x, params)


class RandomGradient(_Field):
    r"""Random linear illumination ramp mixed into every channel (the seed's distribution by default).

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    a, b : float or (low, high)
        Ranges of the slopes along the width and the height (used when ``strength`` is None).
    alpha : float or (low, high)
        Range of the mixing weight (within [0, 1] for ``mode="blend"``).
    mode : str
        How the ramp is mixed in (see :data:`pixelgrad.functional.illumination.MODES`).
    offset : float or (low, high)
        Range of the ramp's value at its start.
    angle : float or (low, high)
        Range of the ramp direction in radians (used with ``strength``).
    strength : float or (low, high), optional
        When given, draw ``angle`` and ``strength`` instead of ``a, b``: the ramp then spans
        exactly ``[offset, offset + strength]``.
    colored : bool
        Draw the slopes (or angle and strength) per channel: a coloured ramp.
    clamp : bool
        Clip the result to the image's valid range.

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair.
    ValueError
        ``p`` outside [0, 1], an unknown ``mode``, a range with low > high or out of bounds.

    Notes
    -----
    Per sample (drawn in this order: gate, ``a, b`` or ``angle, strength``, ``alpha``,
    ``offset``) :func:`pixelgrad.linear_gradient` is applied; with the defaults, with
    :math:`u, v` running from 0 to 1 across the width and the height,

    .. math:: y_c = (1 - \alpha)\, x_c + \alpha\, (a u + b v), \qquad a, b \sim U(-1, 1),\ \alpha \sim U(0.05, 0.15)

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> t = A.RandomGradient()
    >>> x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> y, params = t(x, seed=0, return_params=True)
    >>> y.shape, sorted(params.values)
    (torch.Size([4, 3, 16, 16]), ['a', 'alpha', 'b', 'offset'])
    >>> bool(torch.equal(t(x, params=params), y))
    True
    """

    def __init__(self, p: float = 1.0, a: Range = (-1.0, 1.0), b: Range = (-1.0, 1.0),
                 alpha: Range = (0.05, 0.15), mode: str = "blend", *, offset: Range = 0.0,
                 angle: Range = (-math.pi, math.pi), strength: Optional[Range] = None, colored: bool = False,
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
        names = ("a", "b") if self.strength is None else ("angle", "strength")
        first, second, alpha, offset = rng.draws(Uniform(*getattr(self, names[0]), *size),
                                                 Uniform(*getattr(self, names[1]), *size),
                                                 Uniform(*self.alpha), Uniform(*self.offset))
        return {names[0]: first, names[1]: second, "alpha": alpha, "offset": offset}

    def apply_params(self, x, **v):
        return F.linear_gradient(x, alpha=v.pop("alpha"), mode=self.mode, clamp=self.clamp, **v)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, a=self.a, b=self.b, alpha=self.alpha, mode=self.mode, offset=self.offset,
                    angle=self.angle, strength=self.strength, colored=self.colored, clamp=self.clamp)


class RandomCornerGradient(_Field):
    """Diagonal ramp peaking at a random corner (the ``RandomLinearCornerIllumination`` family of kornia).

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    alpha : float or (low, high)
        Range of the mixing weight.
    strength : float or (low, high)
        Range of the ramp's height.
    mode : str
        How the field is mixed in (see :data:`pixelgrad.functional.illumination.MODES`).
    offset : float or (low, high)
        Range of the ramp's value at the opposite corner.
    clamp : bool
        Clip the result to the image's valid range.

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair.
    ValueError
        ``p`` outside [0, 1], an unknown ``mode``, a bad range.

    Notes
    -----
    Per sample ``corner`` uniform in {0, 1, 2, 3}, ``strength``, ``alpha`` and ``offset``
    uniform in their ranges, then :func:`pixelgrad.corner_gradient`.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> y, params = A.RandomCornerGradient()(torch.rand(2, 3, 8, 8), seed=1, return_params=True)
    >>> y.shape, params.values["corner"].shape
    (torch.Size([2, 3, 8, 8]), torch.Size([2]))
    """

    def __init__(self, p: float = 1.0, alpha: Range = (0.05, 0.15), strength: Range = (-1.0, 1.0),
                 mode: str = "blend", *, offset: Range = 0.0, clamp: bool = True):
        super().__init__(p)
        n = type(self).__name__
        self.mode = check_choice(mode, MODES, n, "mode")
        self.alpha = _alpha_range(alpha, self.mode, n)
        self.strength = parse_range(strength, n, "strength")
        self.offset = parse_range(offset, n, "offset")
        self.clamp = bool(clamp)

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        corner, strength, alpha, offset = rng.draws(Integers(4), Uniform(*self.strength),
                                                    Uniform(*self.alpha), Uniform(*self.offset))
        return {"corner": corner, "strength": strength, "alpha": alpha, "offset": offset}

    def apply_params(self, x, **v):
        return F.corner_gradient(x, v["corner"], v["alpha"], strength=v["strength"], offset=v["offset"],
                                 mode=self.mode, clamp=self.clamp)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, alpha=self.alpha, strength=self.strength, mode=self.mode,
                    offset=self.offset, clamp=self.clamp)


class _Spot(_Field):
    """Shared draw of ``center (B, 2)``, a size ``(B, 2)`` (isotropic unless ``anisotropic``),
    ``strength``, ``alpha``, ``offset``; subclasses name the size and the functional op."""

    size_name = "radius"

    def __init__(self, p: float, alpha: Range, center: Range, size: Range, strength: Range,
                 offset: Range, mode: str, anisotropic: bool, clamp: bool):
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
        center, size, strength, alpha, offset = rng.draws(
            Uniform(*self.center, 2), Uniform(*self.size, *((2,) if self.anisotropic else ())),
            Uniform(*self.strength), Uniform(*self.alpha), Uniform(*self.offset))
        return {"center": center, self.size_name: size, "strength": strength, "alpha": alpha,
                "offset": offset}

    def config(self) -> dict[str, Any]:
        return {"p": self.p, "alpha": self.alpha, "center": self.center, self.size_name: self.size,
                "strength": self.strength, "offset": self.offset, "mode": self.mode,
                "anisotropic": self.anisotropic, "clamp": self.clamp}


class RandomRadialGradient(_Spot):
    """Random vignette / light cone (:func:`pixelgrad.radial_gradient`).

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    alpha : float or (low, high)
        Range of the mixing weight.
    center : float or (low, high)
        Range of each coordinate ``(cy, cx)`` of the centre, in unit-square units.
    radius : float or (low, high)
        Range of the radius (> 0; drawn per axis when ``anisotropic``).
    strength, offset : float or (low, high)
        Ranges of the field's height and base value.
    mode : str
        How the field is mixed in (see :data:`pixelgrad.functional.illumination.MODES`).
    anisotropic : bool
        Draw one radius per axis.
    clamp : bool
        Clip the result to the image's valid range.

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair.
    ValueError
        ``p`` outside [0, 1], an unknown ``mode``, a bad range (e.g. ``radius <= 0``).

    Notes
    -----
    The defaults make a multiplicative vignette darkening the outside of the cone by 20-60 %.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> x = torch.ones(2, 1, 32, 32)
    >>> y = A.RandomRadialGradient()(x, seed=0)
    >>> bool(y[:, :, 16, 16].min() > y[:, :, 0, 0].max())       # darker corners
    True
    """

    size_name = "radius"

    def __init__(self, p: float = 1.0, alpha: Range = (0.2, 0.6), center: Range = (0.3, 0.7),
                 radius: Range = (0.5, 1.0), *, strength: Range = 1.0, offset: Range = -1.0,
                 mode: str = "multiply", anisotropic: bool = False, clamp: bool = True):
        super().__init__(p, alpha, center, radius, strength, offset, mode, anisotropic, clamp)

    def apply_params(self, x, **v):
        return F.radial_gradient(x, v["alpha"], center=v["center"], radius=v["radius"],
                                 strength=v["strength"], offset=v["offset"], mode=self.mode, clamp=self.clamp)


class RandomGaussianSpot(_Spot):
    """Random Gaussian light or shadow spot (the ``RandomGaussianIllumination`` family of kornia).

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    alpha : float or (low, high)
        Range of the mixing weight.
    center : float or (low, high)
        Range of each coordinate ``(cy, cx)`` of the centre, in unit-square units.
    sigma : float or (low, high)
        Range of the spot's standard deviation (> 0; per axis when ``anisotropic``).
    strength : float or (low, high)
        Range of the spot's height (negative darkens).
    offset : float or (low, high)
        Range of the field's base value.
    mode : str
        How the field is mixed in (see :data:`pixelgrad.functional.illumination.MODES`).
    anisotropic : bool
        Draw one sigma per axis.
    clamp : bool
        Clip the result to the image's valid range.

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair.
    ValueError
        ``p`` outside [0, 1], an unknown ``mode``, a bad range (e.g. ``sigma <= 0``).

    Notes
    -----
    Per sample: ``center`` (2 numbers), ``sigma``, ``strength``, ``alpha``, ``offset`` uniform in
    their ranges, then :func:`pixelgrad.gaussian_spot`.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> t = A.RandomGaussianSpot(strength=1.0, alpha=0.2)
    >>> y = t(torch.zeros(1, 1, 16, 16), seed=0)
    >>> bool(y.max() > 0), bool(y.min() >= 0)
    (True, True)
    """

    size_name = "sigma"

    def __init__(self, p: float = 1.0, alpha: Range = (0.05, 0.2), center: Range = (0.0, 1.0),
                 sigma: Range = (0.1, 0.5), *, strength: Range = (-1.0, 1.0), offset: Range = 0.0,
                 mode: str = "add", anisotropic: bool = False, clamp: bool = True):
        super().__init__(p, alpha, center, sigma, strength, offset, mode, anisotropic, clamp)

    def apply_params(self, x, **v):
        return F.gaussian_spot(x, v["alpha"], center=v["center"], sigma=v["sigma"],
                               strength=v["strength"], offset=v["offset"], mode=self.mode, clamp=self.clamp)
