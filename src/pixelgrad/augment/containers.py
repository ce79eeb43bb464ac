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
    """Apply ``transforms`` one after the other (no gate of its own)."""

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
    """With probability ``p`` per sample, apply all of ``transforms`` in order; else none."""

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
    """With probability ``p`` per sample, apply one of ``transforms``, option ``k`` chosen with
    probability ``weights[k] / sum(weights)`` (uniform by default). Drawn per sample: gate,
    choice (one uniform number, inverted through the cumulative weights), then every option's
    parameters."""

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
