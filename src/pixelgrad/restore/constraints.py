r"""Constraints of the solvers: the set :math:`C` every iterate is projected onto.

* :class:`Box` -- :math:`lo \le x \le hi`.
* :class:`FixedPixels` -- the known pixels keep their values (inpainting), the others in an
  optional box.

With :math:`m` the 0/1 indicator of the known pixels, the projection onto the second is

.. math:: P(z) = m \odot x_0 + (1 - m) \odot \mathrm{clip}_{[lo, hi]}(z)

Every constraint has ``project(z)`` and ``fix(z)`` (the fixed pixels alone; neither writes
into ``z``) and ``free``, the 0/1 float mask of the pixels that may move (``None``: all).
A leaf module: imports nothing of restore.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch

__all__ = ["Constraint", "Box", "FixedPixels"]


class Constraint:
    """Base class: no constraint (``project`` is the identity, every pixel free).

    Attributes
    ----------
    free : torch.Tensor or None
        0/1 float mask of the pixels that may move; ``None``: all of them.

    Examples
    --------
    >>> import torch
    >>> z = torch.rand(1, 1, 2, 2)
    >>> Constraint().project(z) is z, Constraint().free is None, Constraint().fix(z) is z
    (True, True, True)
    """

    free: Optional[torch.Tensor] = None

    def project(self, z: torch.Tensor) -> torch.Tensor:
        """The projection of ``z`` onto the constraint set."""
        return z

    def fix(self, z: torch.Tensor) -> torch.Tensor:
        """``z`` with the fixed pixels set to their values (no box: for momentum points)."""
        return z

    def restrict(self, g: torch.Tensor) -> torch.Tensor:
        """``g`` with the entries of the fixed pixels set to 0 (a direction that keeps them)."""
        return g if self.free is None else g * self.free


class Box(Constraint):
    """The box :math:`lo \\le x \\le hi`.

    Parameters
    ----------
    bounds : pair of float
        ``(lo, hi)``, checked by the caller.

    Examples
    --------
    >>> import torch
    >>> Box((0.0, 1.0)).project(torch.tensor([-1.0, 0.5, 2.0])).tolist()
    [0.0, 0.5, 1.0]
    """

    def __init__(self, bounds: Tuple[float, float]) -> None:
        self.bounds = (float(bounds[0]), float(bounds[1]))

    def project(self, z: torch.Tensor) -> torch.Tensor:
        return z.clamp(*self.bounds)


class FixedPixels(Constraint):
    r"""The known pixels keep the values of ``values``; the others lie in ``bounds``.

    Parameters
    ----------
    known : torch.Tensor
        Bool mask broadcastable to the images, True where a pixel is fixed.
    values : torch.Tensor
        ``(B, C, H, W)``: the values of the fixed pixels (the rest is ignored).
    bounds : pair of float or None
        Box of the free pixels.

    Examples
    --------
    >>> import torch
    >>> known = torch.tensor([[[[True, False]]]])
    >>> c = FixedPixels(known, torch.tensor([[[[0.3, 0.0]]]]), (0.0, 1.0))
    >>> c.project(torch.tensor([[[[9.0, 9.0]]]])).tolist(), c.free.tolist()
    ([[[[0.30000001192092896, 1.0]]]], [[[[0.0, 1.0]]]])
    """

    def __init__(self, known: torch.Tensor, values: torch.Tensor,
                 bounds: Optional[Tuple[float, float]] = (0.0, 1.0)) -> None:
        self.known = known
        self.values = values
        self.bounds = None if bounds is None else (float(bounds[0]), float(bounds[1]))
        self.free = (~known).to(values.dtype)
        # the fixed values with 0 elsewhere (a NaN at a free pixel must not leak), and 0/1
        # weights of the shape of the images: for finite z, torch.lerp(fixed, z, free) is
        # exactly the value or z, several times faster on CPU than torch.where with a bool mask
        self._fixed = torch.where(known, values, torch.zeros((), dtype=values.dtype, device=values.device))
        self._weight = self.free.expand_as(self._fixed)

    def project(self, z: torch.Tensor) -> torch.Tensor:
        return self.fix(z if self.bounds is None else z.clamp(*self.bounds))

    def fix(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape != self._fixed.shape or z.dtype != self._fixed.dtype:
            return torch.where(self.known, self.values, z)
        return torch.lerp(self._fixed, z, self._weight)
