"""Where random numbers come from: one CPU ``torch.Generator`` for the batch, or one per sample.

Every random draw of :mod:`pixelgrad.augment` goes through :class:`Rng`, on the CPU, in
float64, so the same seed gives the same parameters whatever the image's device or dtype.

* One generator: each draw takes a ``(B, *size)`` block from it (fast; the numbers a sample
  gets depend on its position in the batch).
* A list of ``B`` generators: sample ``i`` draws only from generator ``i``, in a fixed order
  that does not depend on the other samples, so results do not depend on how images are
  grouped into batches or spread over workers. :func:`sample_generators` derives such a list
  from a run seed and the images' global indices.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import torch

from .._errors import bad_type, bad_value


def derive_seed(seed: int, index: int) -> int:
    """A 63-bit seed for item ``index`` of a run seeded with ``seed``.

    ``numpy.random.SeedSequence([seed, index])`` hashes the pair (so nearby seeds / indices
    give unrelated streams); its first two 32-bit words make the seed.
    """
    w = np.random.SeedSequence([int(seed) & (2**64 - 1), int(index) & (2**64 - 1)]).generate_state(2)
    return ((int(w[0]) << 32) | int(w[1])) & (2**63 - 1)


def sample_generators(seed: int, indices: Iterable[int]) -> list[torch.Generator]:
    """One CPU generator per item, seeded with :func:`derive_seed` ``(seed, index)``.

    Pass the list as ``generator=`` to a transform: item ``index`` then gets the same
    parameters whatever the batch it is in, the batch size or the number of workers.
    """
    return [torch.Generator().manual_seed(derive_seed(seed, i)) for i in indices]


def _check_cpu(g: Any, fn: str) -> torch.Generator:
    if not isinstance(g, torch.Generator):
        bad_type(fn, "generator", "a torch.Generator, a list of them, or None", g)
    if g.device.type != "cpu":
        bad_value(fn, "generator", "a CPU torch.Generator (parameters are always drawn on the "
                  "CPU so that CPU and GPU give the same result)", g.device)
    return g


class Rng:
    """Draws per-sample random numbers for a batch of ``B`` samples (see the module docstring).

    ``generator``: ``None`` (torch's global CPU generator, which ``torch.manual_seed`` and the
    DataLoader's per-worker seeding control), a CPU ``torch.Generator``, or a sequence of ``B``
    of them. ``seed``: an int, shorthand for ``torch.Generator().manual_seed(seed)``.
    """

    def __init__(self, B: int, generator: Any = None, seed: Any = None, fn: str = "augment"):
        self.B = B
        self.gens: Sequence[torch.Generator] | None = None
        if seed is not None:
            if generator is not None:
                bad_value(fn, "seed", "omitted when `generator` is given", seed)
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
                bad_type(fn, "seed", "an int", seed)
            self.gen = torch.Generator().manual_seed(int(seed))
        elif generator is None:
            self.gen = torch.default_generator
        elif isinstance(generator, (list, tuple)):
            if len(generator) != B:
                bad_value(fn, "generator", f"a list of {B} generators (one per sample)",
                          f"a list of {len(generator)}")
            self.gens = [_check_cpu(g, fn) for g in generator]
            self.gen = None
        else:
            self.gen = _check_cpu(generator, fn)

    def rand(self, *size: int) -> torch.Tensor:
        """Uniform [0, 1) float64, shape ``(B, *size)``."""
        if self.gens is None:
            return torch.rand((self.B, *size), generator=self.gen, dtype=torch.float64)
        if self.B == 0:
            return torch.empty((0, *size), dtype=torch.float64)
        return torch.stack([torch.rand(size, generator=g, dtype=torch.float64) for g in self.gens])

    def uniform(self, low: float, high: float, *size: int) -> torch.Tensor:
        """Uniform in [low, high] (exactly ``low`` when ``low == high``), ``(B, *size)``."""
        return low + (high - low) * self.rand(*size)

    def integers(self, n: int, *size: int) -> torch.Tensor:
        """Uniform integers in ``0 .. n - 1`` (int64), ``(B, *size)``."""
        return (self.rand(*size) * n).floor().clamp_(max=n - 1).long()

    def bernoulli(self, p: float) -> torch.Tensor:
        """``(B,)`` bool, True with probability ``p``."""
        return self.rand() < p
