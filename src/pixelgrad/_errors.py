"""Error helpers: every message names the function, the argument, what was expected
and what was given (see DESIGN.md, Conventions)."""
from __future__ import annotations

from typing import Any, NoReturn


def _describe(value: Any) -> str:
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
    """Raise ``ValueError('fn: argument `arg` must be EXPECTED, got GIVEN')``."""
    raise ValueError(f"{fn}: argument `{arg}` must be {expected}, got {_describe(given)}")


def bad_type(fn: str, arg: str, expected: str, given: Any) -> NoReturn:
    """Raise ``TypeError`` with the same layout as :func:`bad_value`."""
    raise TypeError(f"{fn}: argument `{arg}` must be {expected}, got {_describe(given)}")
