"""Pipelines as data: ``to_dict`` / ``from_dict`` and ``.yaml`` / ``.yml`` / ``.json`` files."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._errors import bad_type, bad_value
from ._base import Transform

#: type name -> class; filled by ``pixelgrad.augment`` (and :func:`register` for plugins)
REGISTRY: dict[str, type] = {}
_CONTAINERS = ("Compose", "RandomApply", "OneOf")


def register(cls: type) -> type:
    """Make a :class:`Transform` subclass loadable by :func:`from_dict` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Transform)):
        bad_type("register", "cls", "a pixelgrad.augment.Transform subclass", cls)
    REGISTRY[cls.__name__] = cls
    return cls


def _tuples(v: Any) -> Any:
    return tuple(_tuples(u) for u in v) if isinstance(v, list) else v


def from_dict(d: dict[str, Any]) -> Transform:
    """Build a transform from ``{"type": "RandomGaussianBlur", "p": 0.5, "sigma": [0.1, 2.0]}``;
    containers hold ``"transforms": [ ... ]``. Inverse of ``Transform.to_dict()``."""
    if not isinstance(d, dict):
        bad_type("from_dict", "d", "a dict with a 'type' key", d)
    name = d.get("type")
    if name not in REGISTRY:
        bad_value("from_dict", "type", "one of " + ", ".join(sorted(REGISTRY)), name)
    kwargs = {k: v for k, v in d.items() if k != "type"}
    if name in _CONTAINERS:
        ts = kwargs.get("transforms")
        if not isinstance(ts, list):
            bad_value("from_dict", "transforms", f"a list of transform dicts in {name}", ts)
        kwargs["transforms"] = [from_dict(t) for t in ts]
        if "weights" in kwargs and kwargs["weights"] is not None:
            kwargs["weights"] = list(kwargs["weights"])
    else:
        kwargs = {k: _tuples(v) for k, v in kwargs.items()}
    try:
        return REGISTRY[name](**kwargs)
    except TypeError as exc:
        raise TypeError(f"from_dict: bad arguments for {name} ({exc}); given keys "
                        f"{sorted(kwargs)}") from None


def _format(path: Path, fn: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    bad_value(fn, "path", "a .yaml, .yml or .json file", str(path))


def compact_dict(d: dict[str, Any]) -> dict[str, Any]:
    """``d`` (a ``to_dict()``) without the arguments equal to their defaults: for a leaf, the
    values of a default-constructed transform of its type; for containers, ``p`` / ``weights``
    at their defaults, children compacted. :func:`from_dict` of the result builds the same
    transform (the defaults fill the gaps)."""
    name = d.get("type")
    if name in _CONTAINERS:
        out = {k: v for k, v in d.items() if k != "transforms"}
        n = len(d.get("transforms", []))
        if out.get("p") == (0.5 if name == "RandomApply" else 1.0):
            out.pop("p")
        if out.get("weights") in (None, [1.0] * n):
            out.pop("weights", None)
        out["transforms"] = [compact_dict(t) for t in d.get("transforms", [])]
        return out
    try:
        default = REGISTRY[name]().to_dict()
    except Exception:                 # no default construction: keep every argument
        return dict(d)
    return {k: v for k, v in d.items() if k == "type" or k not in default or default[k] != v}


def save(transform: Transform, path: str | os.PathLike) -> Path:
    """Write ``transform``'s configuration to a .yaml / .yml / .json file (atomically),
    with only the arguments that differ from their defaults (:func:`compact_dict`);
    :func:`load` reads both this and the full ``to_dict()`` form."""
    from ..io import atomic_write

    if not isinstance(transform, Transform):
        bad_type("save", "transform", "a pixelgrad.augment transform", transform)
    path = Path(path)
    d = compact_dict(transform.to_dict())
    if _format(path, "save") == "json":
        text = json.dumps(d, indent=2) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(d, sort_keys=False)
    atomic_write(path, text.encode())
    return path


def load(path: str | os.PathLike) -> Transform:
    """Read a transform saved by :func:`save` (or written by hand) from .yaml / .yml / .json."""
    path = Path(path)
    fmt = _format(path, "load")
    text = path.read_text()
    if fmt == "json":
        d = json.loads(text)
    else:
        import yaml

        d = yaml.safe_load(text)
    return from_dict(d)
