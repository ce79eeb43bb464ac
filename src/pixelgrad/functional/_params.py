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

    Accepted: a number; for ``pair`` also a tuple/list ``(y, x)``; a tensor / array of shape
    ``()``, ``(1,)``, ``(B,)`` or, for pairs, ``(1, 2)`` / ``(B, 2)``.
    ``low``/``high`` are inclusive bounds (``low_open``: strictly greater than ``low``).
    A tensor that requires grad (with grad mode on) stays in the autograd graph (float64 CPU
    copy); see :func:`tracks_grad`.
    """
    if isinstance(value, (bool, np.bool_)):
        bad_type(fn, arg, "a number or a tensor", value)
    if isinstance(value, Real):
        t = torch.tensor(float(value), dtype=torch.float64)
    elif isinstance(value, (tuple, list)) and pair and len(value) == 2 and all(
            _is_scalar(v) for v in value):
        if any(_tracks(v) for v in value):
            t = torch.stack([torch.as_tensor(v).to("cpu", torch.float64).reshape(()) for v in value])
        else:
            t = torch.tensor([float(v) for v in value], dtype=torch.float64)
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
    if not bool(torch.isfinite(chk).all()):
        bad_value(fn, arg, "finite (no NaN or inf)", value)
    if low is not None:
        if low_open and not bool((chk > low).all()):
            bad_value(fn, arg, f"> {low}", value)
        if not low_open and not bool((chk >= low).all()):
            bad_value(fn, arg, f">= {low}", value)
    if high is not None and not bool((chk <= high).all()):
        bad_value(fn, arg, f"<= {high}", value)
    return t.contiguous()


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
    """True when any of ``ts`` (parsed parameters, or None) is part of an autograd graph:
    the op must then run a differentiable torch path (never OpenCV / Triton, never a
    ``float()`` of the value)."""
    return any(_tracks(t) for t in ts if t is not None)


def positive_number(value: Any, fn: str, arg: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        bad_value(fn, arg, "a finite number > 0", value)
    return float(value)


def is_uniform(t: torch.Tensor) -> bool:
    """True when every sample has the same parameters."""
    return bool((t == t[:1]).all())
