"""Error helpers: one message layout for every bad argument.

Every message names the function, the argument, what was expected and what was given::

    gaussian_blur: argument `border` must be one of 'reflect', ..., got str 'mirror'

so a user can fix the call without reading the source. Functions validate their inputs at
the public boundary (:mod:`pixelgrad.functional`, :mod:`pixelgrad.augment`, the CLI) with
these helpers; the backends below trust what they are given.
"""
from __future__ import annotations

from typing import Any, Collection, NoReturn


def _describe(value: Any) -> str:
    """A short description of ``value`` for an error message.

    Tensors and arrays are described by shape and dtype (never by their contents); other
    values by type and ``repr``, cut at 80 characters.

    Examples
    --------
    >>> import numpy as np
    >>> _describe(np.zeros((2, 3), np.uint8))
    'ndarray of shape (2, 3) and dtype uint8'
    >>> _describe("mirror")
    "str 'mirror'"
    """
    try:
        import torch

        if isinstance(value, torch.Tensor):
            return f"tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    except ImportError:  # pragma: no cover
        pass
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    except ImportError:  # pragma: no cover
        pass
    text = _short_repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def _short_repr(value: Any) -> str:
    """``repr`` bounded *before* it is built (a huge or deeply nested value, e.g. an expanded
    YAML alias bomb, is never rendered whole)."""
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother = 3, 60, 60
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = r.maxfrozenset = r.maxdeque = r.maxarray = 6
    try:
        return r.repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        return f"<{type(value).__name__}>"


def bad_value(fn: str, arg: str, expected: str, given: Any) -> NoReturn:
    """Raise a ``ValueError`` naming the function, the argument and what was expected.

    Parameters
    ----------
    fn : str
        Name of the public function (or transform) that rejects the value.
    arg : str
        Name of the argument, as the caller spelled it.
    expected : str
        What would have been accepted, phrased to follow "must be".
    given : Any
        The rejected value (described by :func:`_describe`, never printed in full).

    Raises
    ------
    ValueError
        Always: ``"fn: argument `arg` must be EXPECTED, got GIVEN"``.

    Examples
    --------
    >>> bad_value("box_blur", "size", "odd integers >= 1", 4)
    Traceback (most recent call last):
    ...
    ValueError: box_blur: argument `size` must be odd integers >= 1, got int 4
    """
    raise ValueError(f"{fn}: argument `{arg}` must be {expected}, got {_describe(given)}")


def bad_type(fn: str, arg: str, expected: str, given: Any) -> NoReturn:
    """Raise a ``TypeError`` with the same layout as :func:`bad_value`.

    Parameters
    ----------
    fn : str
        Name of the public function that rejects the value.
    arg : str
        Name of the argument.
    expected : str
        The accepted types, phrased to follow "must be".
    given : Any
        The rejected value.

    Raises
    ------
    TypeError
        Always: ``"fn: argument `arg` must be EXPECTED, got GIVEN"``.

    Examples
    --------
    >>> bad_type("linear_gradient", "clamp", "True or False", "yes")
    Traceback (most recent call last):
    ...
    TypeError: linear_gradient: argument `clamp` must be True or False, got str 'yes'
    """
    raise TypeError(f"{fn}: argument `{arg}` must be {expected}, got {_describe(given)}")


def check_choice(value: Any, choices: Collection[str], fn: str, arg: str) -> str:
    """Return ``value`` if it is one of the strings ``choices``, else raise ``ValueError``.

    The one check for every "one of these names" argument (``border``, ``method``,
    ``backend``, ``mode``, ...), so all of them answer a typo with the same message listing
    the valid names.

    Parameters
    ----------
    value : Any
        The argument as given by the caller.
    choices : collection of str
        The accepted names, in the order the message should list them.
    fn : str
        Name of the public function (or transform) that checks the argument.
    arg : str
        Name of the argument.

    Returns
    -------
    str
        ``value`` itself.

    Raises
    ------
    ValueError
        If ``value`` is not a ``str`` or not in ``choices``; the message lists ``choices``.

    Examples
    --------
    >>> check_choice("reflect", ("reflect", "constant"), "gaussian_blur", "border")
    'reflect'
    >>> check_choice("mirror", ("reflect", "constant"), "gaussian_blur", "border")
    Traceback (most recent call last):
    ...
    ValueError: gaussian_blur: argument `border` must be one of 'reflect', 'constant', got str 'mirror'
    """
    if not isinstance(value, str) or value not in choices:
        bad_value(fn, arg, "one of " + ", ".join(repr(c) for c in choices), value)
    return value
