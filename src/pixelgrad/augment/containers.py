"""Composition: ``Compose`` (in order), ``RandomApply`` (a gated Compose), ``OneOf`` (one
option per sample). Each sample consumes the same random numbers whatever the other samples
do: every child draws its parameters for the whole batch, gates only select what is applied."""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from .._errors import bad_type, bad_value
from . import _fusion
from ._base import Transform, parse_p
from ._params import Params
from ._rng import Rng


def _modules(transforms: Any, name: str) -> nn.ModuleList:
    if not isinstance(transforms, (list, tuple)) or not transforms:
        bad_type(name, "transforms", "a non-empty list of pixelgrad transforms", transforms)
    for t in transforms:
        if not isinstance(t, Transform):
            bad_type(name, "transforms", "pixelgrad.augment transforms only", t)
    return nn.ModuleList(transforms)


def _sequence(children, params: list[Params], x: torch.Tensor) -> torch.Tensor:
    # in order; a blur directly followed by an illumination transform may run fused
    return _fusion.sequence(children, params, x)


class Compose(Transform):
    """Apply ``transforms`` one after the other (no gate of its own).

    Parameters
    ----------
    transforms : sequence of Transform
        A non-empty list of pixelgrad transforms.

    Raises
    ------
    TypeError
        ``transforms`` empty, not a list or holding something else than pixelgrad transforms.

    Notes
    -----
    Every child draws its parameters for the whole batch, so each sample consumes the same
    random numbers whatever the other samples do. With ``backend="triton"`` a blur directly
    followed by an illumination transform may run as one fused kernel.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> aug = A.Compose([A.RandomGradient(), A.RandomGaussianSpot()])
    >>> y, params = aug(torch.rand(2, 3, 16, 16), seed=0, return_params=True)
    >>> len(aug), y.shape, [c.type for c in params.children]
    (2, torch.Size([2, 3, 16, 16]), ['RandomGradient', 'RandomGaussianSpot'])
    """

    def __init__(self, transforms: Sequence[Transform]):
        super().__init__(1.0)
        self.transforms = _modules(transforms, type(self).__name__)

    def draw(self, shape, rng: Rng) -> Params:
        return Params(self.type_name, torch.ones(rng.B, dtype=torch.bool), {},
                      [t.draw(shape, rng) for t in self.transforms])

    def replay(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return _sequence(self.transforms, params.children, x)

    def config(self) -> dict[str, Any]:
        return {"transforms": [t.to_dict() for t in self.transforms]}

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, **self.config()}

    def __len__(self) -> int:
        return len(self.transforms)

    def __getitem__(self, i: int) -> Transform:
        return self.transforms[i]


class RandomApply(Compose):
    """With probability ``p`` per sample, apply all of ``transforms`` in order; else none.

    Parameters
    ----------
    transforms : sequence of Transform
        A non-empty list of pixelgrad transforms.
    p : float
        Probability per sample, in [0, 1].

    Raises
    ------
    TypeError
        Bad ``transforms``.
    ValueError
        ``p`` outside [0, 1].

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> x = torch.rand(8, 1, 8, 8)
    >>> y = A.RandomApply([A.RandomGradient(alpha=0.5)], p=0.0)(x, seed=0)
    >>> bool(torch.equal(y, x))
    True
    """

    def __init__(self, transforms: Sequence[Transform], p: float = 0.5):
        super().__init__(transforms)
        self.p = parse_p(p, type(self).__name__)

    def draw(self, shape, rng: Rng) -> Params:
        applied = rng.bernoulli(self.p)
        return Params(self.type_name, applied, {}, [t.draw(shape, rng) for t in self.transforms])

    def replay(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        applied = params.applied
        if not bool(applied.any()):
            return x
        if bool(applied.all()):
            return _sequence(self.transforms, params.children, x)
        idx = applied.nonzero().flatten()
        out = x.clone()
        d = idx.to(x.device)
        out[d] = _sequence(self.transforms, [c.subset(idx) for c in params.children], x[d])
        return out

    def config(self) -> dict[str, Any]:
        return {"transforms": [t.to_dict() for t in self.transforms], "p": self.p}


class OneOf(Compose):
    r"""With probability ``p`` per sample, apply one of ``transforms``.

    Parameters
    ----------
    transforms : sequence of Transform
        A non-empty list of pixelgrad transforms (the options).
    p : float
        Probability per sample of applying one option, in [0, 1].
    weights : sequence of float, optional
        Non-negative weights with a positive sum, one per option (uniform by default).

    Raises
    ------
    TypeError
        Bad ``transforms`` or non-numeric ``weights``.
    ValueError
        ``p`` outside [0, 1], or ``weights`` of the wrong length, negative or summing to 0.

    Notes
    -----
    Option :math:`k` is chosen with probability :math:`w_k / \sum_j w_j`. Drawn per sample:
    the gate, the choice (one uniform number inverted through the cumulative weights), then
    every option's parameters.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> aug = A.OneOf([A.RandomGradient(), A.RandomGaussianSpot()], weights=[1.0, 0.0])
    >>> _, params = aug(torch.rand(4, 3, 8, 8), seed=0, return_params=True)
    >>> params.values["chosen"].tolist()
    [0, 0, 0, 0]
    """

    def __init__(self, transforms: Sequence[Transform], p: float = 1.0,
                 weights: Sequence[float] | None = None):
        super().__init__(transforms)
        n = type(self).__name__
        self.p = parse_p(p, n)
        if weights is None:
            w = [1.0] * len(self.transforms)
        else:
            try:
                w = [float(v) for v in weights]
            except (TypeError, ValueError):
                bad_type(n, "weights", "a list of numbers", weights)
            if len(w) != len(self.transforms) or min(w) < 0 or sum(w) <= 0:
                bad_value(n, "weights", f"{len(self.transforms)} non-negative numbers with a positive sum",
                          weights)
        self.weights = w
        self._cum = torch.tensor(w, dtype=torch.float64).cumsum(0) / sum(w)

    def draw(self, shape, rng: Rng) -> Params:
        applied = rng.bernoulli(self.p)
        u = rng.rand()
        chosen = torch.searchsorted(self._cum, u, right=True).clamp_(max=len(self.weights) - 1)
        return Params(self.type_name, applied, {"chosen": chosen},
                      [t.draw(shape, rng) for t in self.transforms])

    def replay(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        applied, chosen = params.applied, params.values["chosen"]
        if not bool(applied.any()):
            return x
        out = None
        for k, (t, p) in enumerate(zip(self.transforms, params.children)):
            sel = applied & (chosen == k)
            if not bool(sel.any()):
                continue
            if bool(sel.all()):
                return t.replay(x, p)
            out = x.clone() if out is None else out
            idx = sel.nonzero().flatten()
            d = idx.to(x.device)
            out[d] = t.replay(x[d], p.subset(idx))
        return x if out is None else out

    def config(self) -> dict[str, Any]:
        return {"transforms": [t.to_dict() for t in self.transforms], "p": self.p, "weights": self.weights}
