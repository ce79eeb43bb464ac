"""Parsing of scalar / pair / per-sample parameters into float64 CPU tensors."""
from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import torch

from .._errors import bad_type, bad_value


def per_sample(value: Any, B: int, fn: str, arg: str, *, pair: bool = False,
               low: float | None = None, low_open: bool = False,
               high: float | None = None) -> torch.Tensor:
    """Return ``value`` as a float64 CPU tensor ``(B,)`` (or ``(B, 2)`` when ``pair``).

    Parameters
    ----------
    value : number, pair, tensor or numpy array
        A number; for ``pair`` also a tuple/list ``(y, x)`` of numbers or 0-d tensors; a real
        tensor / array of shape ``()``, ``(1,)``, ``(B,)`` or, for pairs, ``(1, 2)`` /
        ``(B, 2)``. Bools, complex, strings and meta tensors are refused.
    B : int
        Batch size (product of the leading dims of the image batch).
    fn, arg : str
        Function and argument names used in error messages.
    pair : bool, default False
        Parse a ``(y, x)`` pair per sample (result ``(B, 2)``).
    low : float, optional
        Lower bound, inclusive unless ``low_open``.
    low_open : bool, default False
        Require values strictly greater than ``low``.
    high : float, optional
        Inclusive upper bound.

    Returns
    -------
    torch.Tensor
        Contiguous float64 CPU tensor ``(B,)`` or ``(B, 2)``. A tensor that requires grad
        (with grad mode on) stays in the autograd graph (a differentiable float64 CPU copy);
        see :func:`tracks_grad`. The caller's tensor is never modified.

    Raises
    ------
    TypeError
        If ``value`` is not a number, pair or real tensor / array.
    ValueError
        If the shape does not fit ``B``, a value is NaN or infinite, or out of bounds (the
        bounds are checked even when ``B == 0``).

    Examples
    --------
    >>> import torch
    >>> per_sample(1.5, 3, "f", "sigma")
    tensor([1.5000, 1.5000, 1.5000], dtype=torch.float64)
    >>> per_sample((1, 2), 2, "f", "sigma", pair=True)
    tensor([[1., 2.],
            [1., 2.]], dtype=torch.float64)
    >>> per_sample(torch.tensor([0.5, 2.0]), 2, "f", "sigma", low=0.0, low_open=True)
    tensor([0.5000, 2.0000], dtype=torch.float64)
    >>> per_sample(-1.0, 2, "f", "sigma", low=0.0)
    Traceback (most recent call last):
    ...
    ValueError: f: argument `sigma` must be >= 0.0, got float -1.0
    """
    if not pair and (type(value) is float or type(value) is int):
        # a plain number: checked with Python floats (the tensor checks cost tens of us)
        v = _as_float(value, value, fn, arg)
        if math.isfinite(v) and (low is None or (v > low if low_open else v >= low)) and (
                high is None or v <= high):
            return torch.full((B,), v, dtype=torch.float64)
    if isinstance(value, (bool, np.bool_)):
        bad_type(fn, arg, "a number or a tensor", value)
    full = (B, 2) if pair else (B,)
    if (isinstance(value, torch.Tensor) and value.dtype in (torch.float64, torch.int64)
            and value.device.type == "cpu" and value.layout == torch.strided and not value.requires_grad
            and value.shape in ((full, (1, 2)) if pair else (full, (1,), ()))):
        # the common case (drawn parameters replayed by a transform, float64 or int64): checked
        # with numpy (one value: a Python float), a few microseconds where torch's per-op
        # dispatch costs tens; int64 converted to float64 as the general path does
        t = value if value.dtype == torch.float64 else torch.from_numpy(value.numpy().astype(np.float64))
        if t.numel() == 1:
            v = t.item()
            if not (math.isfinite(v) and (low is None or (v > low if low_open else v >= low))
                    and (high is None or v <= high)):
                _check_values(t.numpy(), value, fn, arg, low, low_open, high)     # raises
        else:
            _check_values(t.numpy(), value, fn, arg, low, low_open, high)
        return t if t.shape == full and t.is_contiguous() else t.expand(full).contiguous()
    if isinstance(value, Real):
        t = torch.tensor(_as_float(value, value, fn, arg), dtype=torch.float64)
    elif isinstance(value, (tuple, list)) and pair and len(value) == 2 and all(
            _is_scalar(v) for v in value):
        if any(_tracks(v) for v in value):
            t = torch.stack([torch.as_tensor(v).to("cpu", torch.float64).reshape(()) for v in value])
        else:
            t = torch.tensor([_as_float(v, value, fn, arg) for v in value], dtype=torch.float64)
    elif isinstance(value, (torch.Tensor, np.ndarray)):
        t = _real_tensor(value, fn, arg)
    else:
        bad_type(fn, arg, "a number, a (y, x) pair or a tensor" if pair else
                 "a number or a tensor", value)
    chk = t.detach()                 # checked as given (an empty batch still refuses a bad value)
    if pair:
        if t.ndim == 0:
            t = t.expand(B, 2)
        elif t.ndim == 1 and t.shape[0] == 2 and isinstance(value, (tuple, list)):
            t = t[None].expand(B, 2)          # a (y, x) pair of numbers; tensors are per sample
        elif t.ndim == 1 and t.shape[0] in (1, B):
            t = t[:, None].expand(B, 2)
        elif t.ndim == 2 and t.shape[1] == 2 and t.shape[0] in (1, B):
            t = t.expand(B, 2)
        else:
            bad_value(fn, arg, f"a number, a pair, or a tensor of shape ({B},) or ({B}, 2) "
                      f"for a batch of {B}", value)
    else:
        if t.ndim == 0:
            t = t.expand(B)
        elif t.ndim == 1 and t.shape[0] in (1, B):
            t = t.expand(B)
        else:
            bad_value(fn, arg, f"a number or a tensor of shape ({B},) for a batch of {B}", value)
    _check_values(chk.numpy(), value, fn, arg, low, low_open, high)
    return t.contiguous()


def _as_float(v: Any, value: Any, fn: str, arg: str) -> float:
    """``float(v)``; an int beyond float range is refused by name (``value``: the caller's
    argument, for the message), not a bare ``OverflowError``."""
    try:
        return float(v)
    except OverflowError:
        bad_value(fn, arg, "finite (no NaN or inf)", value)


_SHARED_DTYPES = (torch.float64, torch.float32, torch.int64, torch.int32)


def shared_value(value: Any, *, pair: bool = False, low: float | None = None,
                 low_open: bool = False, high: float | None = None) -> tuple[float, ...] | None:
    """The value every sample shares, as Python floats, when it is one valid number.

    The fast lane of one image per call: a plain number (or, for ``pair``, a ``(y, x)``
    pair of plain numbers), or a float64 / float32 / int64 / int32 CPU tensor of shape ``()`` / ``(1,)`` (``(1, 2)``
    for ``pair``) that is not part of an autograd graph, within the bounds of
    :func:`per_sample`. Anything else (per-sample values, tensors in a graph, invalid
    values) gives None, and the caller parses it with :func:`per_sample`, which gives the
    same values as tensors or raises the usual error.

    Parameters
    ----------
    value : Any
        The argument as given.
    pair : bool, default False
        Parse a ``(y, x)`` pair (a single number serves both).
    low, low_open, high
        Bounds, as for :func:`per_sample`.

    Returns
    -------
    tuple of float or None
        ``(v,)``, or ``(vy, vx)`` for ``pair``; None when the value is not one shared valid
        number (or pair).

    Examples
    --------
    >>> import torch
    >>> shared_value(1.5, pair=True), shared_value(torch.tensor([2.0], dtype=torch.float64))
    ((1.5, 1.5), (2.0,))
    >>> shared_value(-1.0, low=0.0) is None, shared_value(torch.tensor([1.0, 2.0])) is None
    (True, True)
    """
    if type(value) is float or (type(value) is int and abs(value) < 1 << 1000):
        vals: tuple[float, ...] = (float(value),)
    elif isinstance(value, torch.Tensor):
        if (value.dtype not in _SHARED_DTYPES or value.device.type != "cpu" or value.requires_grad
                or value.layout != torch.strided or value.numel() != (2 if pair and value.ndim == 2 else 1)
                or value.ndim > (2 if pair else 1) or (value.ndim == 2 and value.shape[0] != 1)):
            return None
        vals = (float(value.item()),) if value.numel() == 1 else tuple(float(v) for v in value.reshape(-1).tolist())
    elif isinstance(value, (bool, np.bool_)):
        return None
    elif isinstance(value, (float, np.floating, np.integer)):
        vals = (float(value),)
    elif pair and isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (float, np.floating, np.integer)) or (type(v) is int and abs(v) < 1 << 1000)
            for v in value):
        vals = (float(value[0]), float(value[1]))
    else:
        return None
    for v in vals:
        if not math.isfinite(v) or (low is not None and not (v > low if low_open else v >= low)) or \
                (high is not None and not v <= high):
            return None
    if pair and len(vals) == 1:
        vals = vals * 2
    return vals


def _check_values(v: np.ndarray, value: Any, fn: str, arg: str, low: float | None, low_open: bool,
                  high: float | None) -> None:
    """Refuse NaN / inf and values outside the bounds of :func:`per_sample` (``v``: the
    float64 values as given; ``value``: the caller's argument, for the message). One min and
    one max serve every check: NaN propagates into them, inf shows as one of them."""
    if not v.size:
        return
    mn, mx = float(v.min()), float(v.max())
    if not (math.isfinite(mn) and math.isfinite(mx)):
        bad_value(fn, arg, "finite (no NaN or inf)", value)
    if low is not None and not (mn > low if low_open else mn >= low):
        bad_value(fn, arg, f"> {low}" if low_open else f">= {low}", value)
    if high is not None and not mx <= high:
        bad_value(fn, arg, f"<= {high}", value)


def _is_scalar(v: Any) -> bool:
    """A real number, or a 0-d real tensor / array (e.g. a drawn ``torch.rand(())``)."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, Real):
        return True
    if isinstance(v, torch.Tensor):
        return v.ndim == 0 and v.device.type != "meta" and not v.is_complex() and v.dtype != torch.bool
    if isinstance(v, np.ndarray):
        return v.ndim == 0 and v.dtype.kind in "iuf"
    return False


def _real_tensor(value: Any, fn: str, arg: str) -> torch.Tensor:
    """A real-valued tensor / array as float64 CPU (detached unless it requires grad); bool, complex, strings,
    objects and meta tensors are refused with the usual message."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            bad_type(fn, arg, "a real-valued (integer or float) array", value)
        value = np.ascontiguousarray(value.astype(value.dtype.newbyteorder("="), copy=False))
        return torch.from_numpy(value).to(torch.float64)
    if value.dtype == torch.bool or value.is_complex():
        bad_type(fn, arg, "a real-valued (integer or float) tensor", value)
    if value.device.type == "meta":
        bad_value(fn, arg, "a tensor with values (not on the meta device)", value)
    if value.layout != torch.strided:
        value = value.to_dense()
    if _tracks(value):
        return value.to("cpu", torch.float64)      # differentiable copy
    return value.detach().to("cpu", torch.float64)


def _tracks(v: Any) -> bool:
    return isinstance(v, torch.Tensor) and v.requires_grad and torch.is_grad_enabled()


def tracks_grad(*ts: Any) -> bool:
    """Whether any parameter is part of an autograd graph.

    Parameters
    ----------
    *ts : torch.Tensor or None
        Parsed parameters (e.g. from :func:`per_sample`); None entries are ignored.

    Returns
    -------
    bool
        True when one of ``ts`` requires grad and grad mode is on: the op must then run a
        differentiable torch path (never OpenCV / Triton, never a ``float()`` of the value).

    Examples
    --------
    >>> import torch
    >>> s = torch.tensor([1.0], requires_grad=True)
    >>> tracks_grad(None, torch.tensor([1.0])), tracks_grad(s)
    (False, True)
    >>> with torch.no_grad():
    ...     tracks_grad(s)
    False
    """
    return any(_tracks(t) for t in ts if t is not None)


def positive_number(value: Any, fn: str, arg: str) -> float:
    """Check a plain finite number ``> 0`` and return it as a float.

    Parameters
    ----------
    value : Any
        The value to check (bools and tensors are refused).
    fn, arg : str
        Function and argument names used in the error message.

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    ValueError
        If ``value`` is not a finite real number ``> 0``.

    Examples
    --------
    >>> positive_number(4, "gaussian_blur", "truncate")
    4.0
    >>> positive_number(0, "gaussian_blur", "truncate")
    Traceback (most recent call last):
    ...
    ValueError: gaussian_blur: argument `truncate` must be a finite number > 0, got int 0
    """
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        bad_value(fn, arg, "a finite number > 0", value)
    return float(value)


def is_uniform(t: torch.Tensor) -> bool:
    """Whether every sample has the same parameters.

    Parameters
    ----------
    t : torch.Tensor
        Per-sample parameters ``(B, ...)``.

    Returns
    -------
    bool
        True when every row equals the first (also for ``B <= 1``).

    Examples
    --------
    >>> import torch
    >>> is_uniform(torch.tensor([2.0, 2.0])), is_uniform(torch.tensor([[1.0, 2.0], [1.0, 3.0]]))
    (True, False)
    """
    if t.shape[0] <= 1:            # one image per call: nothing to compare (no torch op)
        return True
    return bool((t == t[:1]).all())
