"""The parameters a transform drew for a batch: replayable, sliceable, JSON-able per sample."""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import torch

from .._errors import bad_type, bad_value


@dataclass
class Params:
    """Parameters drawn by one transform for a batch of ``B`` samples (returned by ``return_params=True``).

    Attributes
    ----------
    type : str
        The transform's type name (``"RandomGradient"``, ``"Compose"``, ...).
    applied : torch.Tensor
        ``(B,)`` bool, whether the transform's own ``p`` gate let each sample through.
    values : dict
        Name -> per-sample tensor ``(B, ...)`` (float64 or int64, CPU).
    children : list of Params
        The parameters of the child transforms of a container, in order.

    Notes
    -----
    ``subset(index)`` slices samples, ``Params.cat(parts)`` concatenates consecutive batches,
    ``per_sample()`` gives one JSON-able dict per sample (``applied`` there is the *effective*
    flag: False for a child its container skipped) and ``Params.from_per_sample`` inverts it.
    Passing ``params=`` to the transform replays them exactly.

    Examples
    --------
    >>> import json, torch
    >>> from pixelgrad import augment as A
    >>> from pixelgrad.augment._params import Params
    >>> t = A.RandomGradient(p=0.5)
    >>> x = torch.rand(3, 1, 8, 8)
    >>> y, params = t(x, seed=0, return_params=True)
    >>> params.batch_size, params.subset(torch.tensor([0, 2])).batch_size
    (3, 2)
    >>> back = Params.from_per_sample(json.loads(json.dumps(params.per_sample())))
    >>> bool(torch.equal(t(x, params=back), y))
    True
    """

    type: str
    applied: torch.Tensor
    values: dict[str, torch.Tensor] = field(default_factory=dict)
    children: list["Params"] = field(default_factory=list)

    @property
    def batch_size(self) -> int:
        return int(self.applied.shape[0])

    def subset(self, index: Any) -> "Params":
        """The parameters of the samples ``index``: int64 ``(k,)`` or bool ``(B,)`` tensor, a list
        or range of ints, or one index (an int, numpy integer, 0-d tensor), which keeps a batch
        of one rather than dropping the batch dimension."""
        if not isinstance(index, bool) and getattr(index, "ndim", 0) == 0 and not isinstance(index, (list, tuple, range)):
            try:
                index = [operator.index(index)]
            except TypeError:
                bad_type("Params.subset", "index", "an int, or a tensor / list of sample indices or a bool mask",
                         index)
        if isinstance(index, (list, tuple, range)):
            index = torch.as_tensor(list(index)) if len(index) else torch.zeros(0, dtype=torch.int64)
        return Params(self.type, self.applied[index], {k: v[index] for k, v in self.values.items()},
                      [c.subset(index) for c in self.children])

    @staticmethod
    def cat(parts: list["Params"]) -> "Params":
        """Concatenate the parameters of consecutive batches (same transform)."""
        if not parts:
            bad_value("Params.cat", "parts", "a non-empty list of Params", parts)
        p0 = parts[0]
        if any(p.type != p0.type or p.values.keys() != p0.values.keys() or
               len(p.children) != len(p0.children) for p in parts):
            bad_value("Params.cat", "parts", "Params of the same transform", [p.type for p in parts])
        return Params(p0.type, torch.cat([p.applied for p in parts]),
                      {k: torch.cat([p.values[k] for p in parts]) for k in p0.values},
                      [Params.cat([p.children[i] for p in parts]) for i in range(len(p0.children))])

    def per_sample(self) -> list[dict[str, Any]]:
        """One JSON-serializable dict per sample: ``{"type", "applied", <values>...}`` and, for
        containers, ``"transforms": [child dicts]``. ``applied`` is the *effective* flag: a child
        of a container that skipped the sample (or an option a ``OneOf`` did not choose) reports
        ``False``. :meth:`from_per_sample` turns the list back into replayable ``Params``."""
        return [self._sample(i, True) for i in range(self.batch_size)]

    def __repr__(self) -> str:
        """Like the per-sample dicts: ``applied`` is the *effective* flag of each sample (False
        for a child its container skipped, or an option a ``OneOf`` did not choose)."""
        return self._repr(torch.ones_like(self.applied, dtype=torch.bool))

    def _repr(self, parent: torch.Tensor) -> str:
        applied = self.applied.bool() & parent
        parts = [f"type={self.type!r}", f"applied={applied.tolist()}"]
        if self.values:
            parts.append("values={" + ", ".join(f"{k!r}: {_short(v)}" for k, v in self.values.items()) + "}")
        if self.children:
            chosen = self.values.get("chosen")
            kids = [c._repr(applied if chosen is None else applied & (chosen == j))
                    for j, c in enumerate(self.children)]
            parts.append("children=[" + ", ".join(kids) + "]")
        return "Params(" + ", ".join(parts) + ")"

    def _sample(self, i: int, parent_applied: bool) -> dict[str, Any]:
        applied = bool(self.applied[i]) and parent_applied
        d: dict[str, Any] = {"type": self.type, "applied": applied}
        for k, v in self.values.items():
            d[k] = v[i].tolist()
        if self.children:
            chosen = int(self.values["chosen"][i]) if "chosen" in self.values else None
            d["transforms"] = [c._sample(i, applied and (chosen is None or chosen == j))
                               for j, c in enumerate(self.children)]
        return d

    @staticmethod
    def from_per_sample(samples: list[dict[str, Any]]) -> "Params":
        """Inverse of :meth:`per_sample` (replaying gives the same output)."""
        if not samples or not all(isinstance(s, dict) and "type" in s for s in samples):
            bad_value("Params.from_per_sample", "samples", "a non-empty list of per-sample dicts", samples)
        s0 = samples[0]
        keys = [k for k in s0 if k not in ("type", "applied", "transforms")]
        values = {}
        for k in keys:
            vals = [s[k] for s in samples]
            dtype = torch.int64 if all(_is_int(v) for v in vals) else torch.float64
            values[k] = torch.tensor(vals, dtype=dtype)
        children = [Params.from_per_sample([s["transforms"][j] for s in samples])
                    for j in range(len(s0.get("transforms", [])))]
        return Params(s0["type"], torch.tensor([bool(s["applied"]) for s in samples]), values, children)


def _short(v: torch.Tensor) -> str:
    """A value tensor in a repr: its numbers (rounded to 4 digits), not the tensor wrapper."""
    if v.is_floating_point():
        v = torch.round(v * 1e4) / 1e4
    return str(v.tolist())


def _is_int(v: Any) -> bool:
    if isinstance(v, list):
        return all(_is_int(u) for u in v)
    return isinstance(v, int) and not isinstance(v, bool)
