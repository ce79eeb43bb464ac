"""Argument checks shared by the solvers, priors and front ends (a leaf: imports nothing of
restore). Each raises the library's ``ValueError`` naming the function and the argument."""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Tuple

import torch

from .._errors import bad_value

__all__ = ["real_scalar", "check_iterations", "check_tol", "check_bounds", "positive", "MAX_WEIGHT"]

#: Largest weight / parameter of a prior: far above any useful value, far below overflow.
MAX_WEIGHT = 1e6


def real_scalar(value: Any) -> Optional[float]:
    """``value`` as a float when it is one real number, else ``None``.

    Accepts Python ints and floats, every real numpy scalar (``np.float32(0.1)`` as well as
    ``np.float64``) and 0-d numpy arrays or tensors of a real dtype; refuses bools (``True``
    is not a number of seconds or a noise level), complex numbers and everything else.

    Parameters
    ----------
    value : Any
        The argument as given.

    Returns
    -------
    float or None
        ``float(value)`` (possibly NaN or inf: the caller checks the range), or ``None``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> real_scalar(np.float32(0.5)), real_scalar(np.array(2)), real_scalar(torch.tensor(1.5))
    (0.5, 2.0, 1.5)
    >>> real_scalar(True), real_scalar("1"), real_scalar(np.ones(2))
    (None, None, None)
    """
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0 and (
            np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype, np.floating)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.ndim == 0 and value.dtype != torch.bool \
            and not value.is_complex():
        return float(value)
    return None


def check_iterations(fn: str, iterations: Any) -> int:
    """``iterations`` as an int if it is an integer >= 0 (numpy integers too, not a bool), else
    a ``ValueError``.

    Parameters
    ----------
    fn : str
        The calling function, for the message.
    iterations : Any
        The argument as given.

    Returns
    -------
    int
        ``iterations``.

    Examples
    --------
    >>> check_iterations("solve", 3)
    3
    >>> check_iterations("solve", -1)
    Traceback (most recent call last):
    ...
    ValueError: solve: argument `iterations` must be an int >= 0, got int -1
    """
    import numpy as np

    if isinstance(iterations, (bool, np.bool_)) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        bad_value(fn, "iterations", "an int >= 0", iterations)
    return int(iterations)


def check_tol(fn: str, tol: Any) -> float:
    """``tol`` as a float if it is a finite number >= 0, else a ``ValueError``.

    Parameters
    ----------
    fn : str
        The calling function, for the message.
    tol : Any
        The argument as given.

    Returns
    -------
    float
        ``float(tol)``.

    Examples
    --------
    >>> check_tol("solve", 1e-5)
    1e-05
    """
    t = real_scalar(tol)
    if t is None or not t >= 0 or t == float("inf"):
        bad_value(fn, "tol", "a finite number >= 0", tol)
    return float(t)


def check_bounds(fn: str, bounds: Optional[Tuple[float, float]]) -> Optional[Tuple[float, float]]:
    """``bounds`` as a pair of floats ``lo < hi`` (numpy scalars accepted), or ``None``.

    Parameters
    ----------
    fn : str
        The calling function, for the message.
    bounds : pair or None
        The box constraint as given.

    Returns
    -------
    tuple or None
        ``(float(lo), float(hi))``.

    Raises
    ------
    ValueError
        Not a pair of finite numbers with ``lo < hi`` (a NaN bound gave NaN images, ``(1, 0)``
        black ones).

    Examples
    --------
    >>> check_bounds("solve", (0, 1))
    (0.0, 1.0)
    >>> check_bounds("solve", (1, 0))
    Traceback (most recent call last):
    ...
    ValueError: solve: argument `bounds` must be None or a pair (lo, hi) of finite numbers with lo < hi, got tuple (1, 0)
    """
    if bounds is None:
        return None
    pair = tuple(bounds) if isinstance(bounds, (tuple, list)) else ()
    vals = [real_scalar(v) for v in pair]
    if len(vals) != 2 or any(v is None or not math.isfinite(v) for v in vals) or not vals[0] < vals[1]:  # type: ignore[operator]
        bad_value(fn, "bounds", "None or a pair (lo, hi) of finite numbers with lo < hi", bounds)
    return float(vals[0]), float(vals[1])  # type: ignore[arg-type]


def positive(fn: str, arg: str, value: Any, allow_zero: bool = False) -> float:
    """``value`` as a float in ``(0, MAX_WEIGHT]`` (``[0, MAX_WEIGHT]`` with ``allow_zero``).

    Parameters
    ----------
    fn, arg : str
        The function (or class) and the argument, for the message.
    value : Any
        The argument as given.
    allow_zero : bool
        Accept 0.

    Returns
    -------
    float
        ``float(value)``.

    Examples
    --------
    >>> positive("Harmonic", "weight", 0.5), positive("Harmonic", "weight", 0, allow_zero=True)
    (0.5, 0.0)
    """
    f = real_scalar(value)
    ok = f is not None and math.isfinite(f) and (f >= 0 if allow_zero else f > 0) and f <= MAX_WEIGHT
    if not ok:
        bad_value(fn, arg, "a finite number " + ("in [0, " if allow_zero else "in (0, ") + f"{MAX_WEIGHT:g}]", value)
    return float(f)  # type: ignore[arg-type]
