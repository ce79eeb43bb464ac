"""Named types of pixelgrad's numeric arguments, for editors and static type checkers.

The public functions take numbers in a few recurring shapes: one real number for the whole
batch, one value per sample, a ``(y, x)`` pair for an anisotropic value, a ``(low, high)``
range for a random transform. This module names each shape once; the signatures of
:mod:`pixelgrad.functional`, the constructors of :mod:`pixelgrad.augment` and the front ends of
:mod:`pixelgrad.restore` are written with these names, so mypy / pyright and editors check a
call and show what an argument takes.

The aliases say what the functions really accept, no more:

| alias | accepted values |
|---|---|
| `Scalar` | a real number: `int`, `float`, a numpy integer or floating scalar (`np.float32(0.5)`, `np.int64(3)`) |
| `PerSample` | a real tensor or numpy array with one value per sample: shape `(B,)` (`()` / `(1,)` broadcast), `(B, 2)` for a pair, `(B, C)` per channel where the docstring says so |
| `Pair` | a `(y, x)` tuple of two numbers (or 0-d tensors, e.g. differentiable ones) for an anisotropic value |
| `Value` | a `Scalar` or a `PerSample`: `angle`, `length`, `alpha`, `a`, `b`, ... |
| `PairValue` | a `Scalar`, a `Pair` or a `PerSample` `(B,)` / `(B, 2)`: `sigma`, box `size`, `center` |
| `Range` | a `Scalar` `v` (the range `(v, v)`) or a `(low, high)` tuple a transform draws uniformly from |
| `IntPair` | an `int` (or numpy integer) for both axes, or a `(y, x)` pair of them |
| `KernelSize` | an `IntPair` of odd kernel sides: `k` or `(kh, kw)` |
| `Corner` | a corner name (`"top-left"`, ...), its index 0..3, or one index per sample |
| `Motion` | `(length, angle)` or `(length, angle, direction)`, each a `Value` |
| `Kernel` | a point-spread function `(Kh, Kw)` or `(B, Kh, Kw)`: tensor, numpy array or nested lists |
| `NoiseLevel` | a noise standard deviation: a `Scalar`, or a tensor with one per image `(B,)` |

Named by meaning, for the signatures: :data:`Sigma` (= :data:`PairValue`), :data:`Angle`,
:data:`Length`, :data:`Alpha` (= :data:`Value`).

What a type cannot say is still checked when the function runs (with a ``ValueError`` /
``TypeError`` naming the argument): the shape of a tensor, bounds (``sigma > 0``), that a bool
is not a number (``bool`` is a subclass of ``int`` for type checkers). Lists are accepted
where a tuple is written (``[y, x]``, ``[low, high]``), but only tuples are typed: a tuple
has a length the checker can verify.

Examples
--------
Annotate your own helpers with the library's names:

>>> import torch, pixelgrad as pg
>>> from pixelgrad.types import PairValue, Range
>>> def soften(x: torch.Tensor, sigma: PairValue = (1.0, 2.0)) -> torch.Tensor:
...     y = pg.gaussian_blur(x, sigma)
...     assert isinstance(y, torch.Tensor)      # the caller's container comes back
...     return y
>>> soften(torch.rand(2, 3, 16, 16)).shape
torch.Size([2, 3, 16, 16])
>>> soften(torch.rand(2, 3, 16, 16), torch.tensor([0.5, 3.0])).shape    # per sample
torch.Size([2, 3, 16, 16])
>>> def blur_range(lo: float) -> Range:
...     return (lo, 2 * lo)
>>> pg.augment.RandomGaussianBlur(sigma=blur_range(0.5)).sigma
(0.5, 1.0)

The aliases are ordinary ``typing`` unions, usable at run time too:

>>> import typing, numpy as np
>>> from pixelgrad.types import Scalar
>>> [isinstance(v, tuple(typing.get_origin(t) or t for t in typing.get_args(Scalar)))
...  for v in (3, 0.5, np.float32(0.5), np.int64(2), "0.5")]
[True, True, True, True, False]
"""
from __future__ import annotations

from typing import Any, Literal, Sequence, Tuple, TypeAlias, Union

import numpy as np
import numpy.typing as npt
import torch


__all__ = ["Scalar", "PerSample", "Pair", "Value", "PairValue", "Range", "IntPair", "KernelSize", "Corner",
           "Motion", "Kernel", "NoiseLevel", "Sigma", "Angle", "Length", "Alpha"]

#: A real number: ``int``, ``float`` or a numpy integer / floating scalar (``np.float32``,
#: ``np.int64``, ...). Bools are refused when the function runs.
Scalar: TypeAlias = Union[int, float, np.integer[Any], np.floating[Any]]

#: One value per sample: a real tensor or numpy array of shape ``(B,)`` (``()`` and ``(1,)``
#: broadcast), ``(B, 2)`` for a pair, ``(B, C)`` per channel where documented. A tensor that
#: requires grad makes the result differentiable with respect to it (torch path).
PerSample: TypeAlias = Union[torch.Tensor, npt.NDArray[Any]]

#: A ``(y, x)`` pair for an anisotropic value: two numbers, or 0-d tensors (e.g. ones that
#: require grad).
Pair: TypeAlias = Tuple[Union[Scalar, torch.Tensor], Union[Scalar, torch.Tensor]]

#: A number or one value per sample.
Value: TypeAlias = Union[Scalar, PerSample]

#: A number (both axes), a :data:`Pair` ``(y, x)``, or per sample ``(B,)`` / ``(B, 2)``.
PairValue: TypeAlias = Union[Scalar, Pair, PerSample]

#: A transform's range: a number ``v`` (always ``v``) or ``(low, high)`` to draw uniformly from.
Range: TypeAlias = Union[Scalar, Tuple[Scalar, Scalar]]

_Int: TypeAlias = Union[int, np.integer[Any]]

#: An integer for both axes, or a ``(y, x)`` pair of them (e.g. a kernel radius ``(ry, rx)``).
IntPair: TypeAlias = Union[_Int, Tuple[_Int, _Int]]

#: An odd kernel side ``>= 1`` for both axes, or ``(kh, kw)``: an :data:`IntPair`.
KernelSize: TypeAlias = IntPair

#: A corner by name, by index (0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left), or one
#: index per sample ``(B,)``.
Corner: TypeAlias = Union[Literal["top-left", "top-right", "bottom-right", "bottom-left"], Scalar, PerSample]

#: ``(length, angle)`` or ``(length, angle, direction)`` of :func:`pixelgrad.motion_blur`.
Motion: TypeAlias = Union[Tuple[Value, Value], Tuple[Value, Value, Value]]

#: A point-spread function: ``(Kh, Kw)`` shared, or ``(B, Kh, Kw)`` one per image (a tensor, a
#: numpy array or nested sequences of numbers, as :func:`torch.as_tensor` reads them).
Kernel: TypeAlias = Union[torch.Tensor, npt.NDArray[Any], Sequence[Sequence[float]]]

#: A noise standard deviation in [0, 1] units: a number, or a tensor with one per image ``(B,)``.
NoiseLevel: TypeAlias = Union[Scalar, torch.Tensor]

#: A standard deviation in pixels (or unit-square units): a :data:`PairValue`.
Sigma: TypeAlias = PairValue
#: An angle in radians: a :data:`Value`.
Angle: TypeAlias = Value
#: A length in pixels: a :data:`Value`.
Length: TypeAlias = Value
#: A mixing weight: a number, ``(B,)`` or per channel ``(B, C)``, a :data:`Value`.
Alpha: TypeAlias = Value
