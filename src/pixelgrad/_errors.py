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
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def bad_value(fn: str, arg: str, expected: str, given: Any) -> NoReturn:
    """Raise ``ValueError('fn: argument `arg` must be EXPECTED, got GIVEN')``."""
    raise ValueError(f"{fn}: argument `{arg}` must be {expected}, got {_describe(given)}")


def bad_type(fn: str, arg: str, expected: str, given: Any) -> NoReturn:
    """Raise ``TypeError`` with the same layout as :func:`bad_value`."""
    raise TypeError(f"{fn}: argument `{arg}` must be {expected}, got {_describe(given)}")
