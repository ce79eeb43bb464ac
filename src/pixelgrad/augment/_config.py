"""Pipelines as data: ``to_dict`` / ``from_dict`` and ``.yaml`` / ``.yml`` / ``.json`` files.

Loading is bounded, whatever the file holds (:func:`load`, :func:`check_spec`):

- files larger than :data:`MAX_CONFIG_BYTES` are refused unread;
- YAML is parsed with the safe loader (no ``!!python`` tags) after a pass over its event stream
  that refuses nesting deeper than :data:`MAX_DEPTH` and documents whose *expanded* size
  (aliases counted as many times as they are used: a "billion laughs" file) exceeds
  :data:`MAX_NODES` values, before anything is built;
- JSON nesting beyond the interpreter's recursion limit is reported as a ``ValueError``;
- every number must be finite and within :data:`PARAM_BOUNDS` for its key (or
  ``|x| <= 1e6``), strings at most 1000 characters, lists at most 1000 items; errors name
  the path of the value (``transforms[2].sigma``) and never render a whole huge value;
- a mapping that repeats a key is refused (YAML and JSON parsers keep the last value
  silently), naming the key and, in YAML, its lines;
- every transform built is asked whether its ranges' extreme draws are values its op
  accepts (:meth:`~pixelgrad.augment._base.Transform.check_limits`), so a pipeline that
  would fail on images is refused at load.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._errors import bad_type, bad_value
from ._base import Transform

#: largest pipeline file read (bytes)
MAX_CONFIG_BYTES = 1 << 20
#: deepest nesting of lists / mappings in a pipeline file
MAX_DEPTH = 64
#: most values (scalars + containers) in a file once its aliases are expanded
MAX_NODES = 100_000
#: longest string and list in a pipeline spec
MAX_STRING = 1000
MAX_LIST = 1000
#: ``key: (low, high)`` bounds of numbers in a spec (inclusive); other numbers: |x| <= 1e6.
#: sigma and size are cheap at any value (kernels are folded, in closed form); a motion
#: line costs O(length).
PARAM_BOUNDS: dict[str, tuple[float, float]] = {
    "p": (0.0, 1.0),
    "sigma": (0.0, 1e6),
    "size": (0.0, 1e6),
    "length": (0.0, 1e4),
    "truncate": (0.0, 100.0),
}
_DEFAULT_BOUND = 1e6

#: type name -> class; filled by ``pixelgrad.augment`` (and :func:`register` for plugins)
REGISTRY: dict[str, type] = {}
_CONTAINERS = ("Compose", "RandomApply", "OneOf")


def register(cls: type) -> type:
    """Make a :class:`~pixelgrad.augment._base.Transform` subclass loadable by :func:`from_dict`.

    Parameters
    ----------
    cls : type
        A ``Transform`` subclass; registered under its class name.

    Returns
    -------
    type
        ``cls`` itself, so it can be used as a class decorator.

    Raises
    ------
    TypeError
        ``cls`` is not a ``Transform`` subclass.

    Examples
    --------
    >>> from pixelgrad import augment as A
    >>> @register
    ... class Brighter(A.RandomGradient):
    ...     pass
    >>> type(from_dict({"type": "Brighter", "p": 0.5})).__name__
    'Brighter'
    >>> _ = REGISTRY.pop("Brighter")
    """
    if not (isinstance(cls, type) and issubclass(cls, Transform)):
        bad_type("register", "cls", "a pixelgrad.augment.Transform subclass", cls)
    REGISTRY[cls.__name__] = cls
    return cls


def _tuples(v: Any) -> Any:
    return tuple(_tuples(u) for u in v) if isinstance(v, list) else v


def from_dict(d: dict[str, Any]) -> Transform:
    """Build a transform from its dict form; inverse of ``Transform.to_dict()``.

    Parameters
    ----------
    d : dict
        ``{"type": <registered name>, **arguments}``; containers hold
        ``"transforms": [ ... ]``. Lists become tuples for the constructors.

    Returns
    -------
    Transform
        The transform.

    Raises
    ------
    TypeError
        ``d`` not a dict, or arguments the constructor does not take.
    ValueError
        An unknown ``type`` or a container without a ``transforms`` list (and the
        constructors' own checks), or ranges whose extreme draws the op refuses
        (:meth:`~pixelgrad.augment._base.Transform.check_limits`, called on every transform
        built).

    Examples
    --------
    >>> t = from_dict({"type": "RandomApply", "p": 0.3,
    ...                "transforms": [{"type": "RandomGradient", "alpha": [0.1, 0.2]}]})
    >>> t.p, t[0].alpha
    (0.3, (0.1, 0.2))
    """
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
        built = REGISTRY[name](**kwargs)
    except TypeError as exc:
        raise TypeError(f"from_dict: bad arguments for {name} ({_short(str(exc), 200)}); given "
                        f"keys {_short(str(sorted(kwargs)), 200)}") from None
    built.check_limits()            # ranges whose extreme draws the op would refuse
    return built


def _format(path: Path, fn: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    bad_value(fn, "path", "a .yaml, .yml or .json file", str(path))


def compact_dict(d: dict[str, Any]) -> dict[str, Any]:
    """A ``to_dict()`` without the arguments equal to their defaults.

    Parameters
    ----------
    d : dict
        A transform's ``to_dict()``.

    Returns
    -------
    dict
        For a leaf, only the values that differ from a default-constructed transform of its
        type; for containers, ``p`` / ``weights`` dropped at their defaults and the children
        compacted. :func:`from_dict` of the result builds the same transform.

    Examples
    --------
    >>> from pixelgrad import augment as A
    >>> compact_dict(A.Compose([A.RandomGradient(p=0.5)]).to_dict())
    {'type': 'Compose', 'transforms': [{'type': 'RandomGradient', 'p': 0.5}]}
    """
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
    r"""Write a transform's configuration to a .yaml / .yml / .json file, atomically.

    Parameters
    ----------
    transform : Transform
        The transform (or container) to save.
    path : str or os.PathLike
        Destination; the suffix chooses the format.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        ``transform`` is not a pixelgrad transform.
    ValueError
        A suffix other than .yaml, .yml or .json.

    Notes
    -----
    Only the arguments that differ from their defaults are written (:func:`compact_dict`);
    :func:`load` reads both this and the full ``to_dict()`` form.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pixelgrad import augment as A
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> p = save(A.Compose([A.RandomGradient(p=0.5)]), folder / "aug.json")
    >>> print(p.read_text().replace("\n", "").replace(" ", ""))
    {"type":"Compose","transforms":[{"type":"RandomGradient","p":0.5}]}
    >>> load(p).to_dict() == A.Compose([A.RandomGradient(p=0.5)]).to_dict()
    True
    """
    from .._atomic import atomic_write

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


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_spec(d: Any, fn: str = "load") -> None:
    """Check the bounds of a pipeline spec before anything is built.

    Parameters
    ----------
    d : object
        The parsed spec (dicts, lists, strings, numbers).
    fn : str
        Function name used in the error messages.

    Raises
    ------
    ValueError
        Naming the offending path (``transforms[2].sigma``) when ``d`` nests deeper than
        :data:`MAX_DEPTH`, holds more than :data:`MAX_NODES` values, a string or list too
        long, or a number that is not finite or outside its :data:`PARAM_BOUNDS`. Iterative:
        never a ``RecursionError``.

    Examples
    --------
    >>> check_spec({"type": "RandomGradient", "p": 0.5})
    >>> check_spec({"type": "Compose", "transforms": [{"type": "RandomGradient", "p": 2.0}]})
    Traceback (most recent call last):
    ...
    ValueError: load: transforms[0].p must be a finite number in [0, 1], got 2.0
    """
    import math

    count = 0
    stack: list[tuple[Any, str, int, str]] = [(d, "", 0, "")]
    while stack:
        v, where, depth, key = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ValueError(f"{fn}: the pipeline must hold at most {MAX_NODES:,} values, got more")
        if depth > MAX_DEPTH:
            raise ValueError(f"{fn}: the pipeline must nest at most {MAX_DEPTH} levels, got "
                             f"deeper at {_short(where or '<top>')}")
        if isinstance(v, dict):
            for k, u in v.items():
                if not isinstance(k, str):
                    raise ValueError(f"{fn}: keys must be strings, got {_short(repr(k))} at "
                                     f"{_short(where or '<top>')}")
                if len(k) > MAX_STRING:
                    raise ValueError(f"{fn}: key at {_short(where or '<top>')} must be at most "
                                     f"{MAX_STRING} characters, got {len(k)}")
                stack.append((u, f"{where}.{k}" if where else k, depth + 1, k))
        elif isinstance(v, (list, tuple)):
            if len(v) > MAX_LIST:
                raise ValueError(f"{fn}: list {_short(where or '<top>')} must have at most "
                                 f"{MAX_LIST} items, got {len(v)}")
            for i, u in enumerate(v):
                stack.append((u, f"{where}[{i}]", depth + 1, key))
        elif isinstance(v, str):
            if len(v) > MAX_STRING:
                raise ValueError(f"{fn}: {_short(where)} must be a string of at most {MAX_STRING} "
                                 f"characters, got {len(v)}")
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, (int, float)):
            x = float(v) if not isinstance(v, int) or abs(v) < 1e300 else math.inf
            lo, hi = PARAM_BOUNDS.get(key, (-_DEFAULT_BOUND, _DEFAULT_BOUND))
            if not math.isfinite(x) or not lo <= x <= hi:
                raise ValueError(f"{fn}: {_short(where)} must be a finite number in [{lo:g}, "
                                 f"{hi:g}], got {_short(repr(v))}")
        else:
            raise ValueError(f"{fn}: {_short(where)} must be a number, string, list or mapping, "
                             f"got {type(v).__name__}")


def _check_yaml_events(text: str, fn: str) -> None:
    """One pass over the YAML event stream (iterative, nothing built): nesting depth and the
    expanded size of every anchored node, so an alias bomb is refused in O(file size)."""
    import yaml

    anchors: dict[str, int] = {}
    stack: list[list[Any]] = []                 # [anchor, expanded size so far]
    total = 0

    def add(n: int) -> None:
        nonlocal total
        if stack:
            stack[-1][1] += n
            size = stack[-1][1]
        else:
            total += n
            size = total
        if size > MAX_NODES:
            raise ValueError(f"{fn}: the pipeline must hold at most {MAX_NODES:,} values once "
                             f"its aliases are expanded, got more (alias bomb?)")

    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append([ev.anchor, 1])
            if len(stack) > MAX_DEPTH:
                raise ValueError(f"{fn}: the pipeline must nest at most {MAX_DEPTH} levels, got "
                                 f"deeper (line {ev.start_mark.line + 1})")
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, n = stack.pop()
            if anchor is not None:
                anchors[anchor] = n
            add(n)
        elif isinstance(ev, yaml.ScalarEvent):
            if ev.anchor is not None:
                anchors[ev.anchor] = 1
            add(1)
        elif isinstance(ev, yaml.AliasEvent):
            add(anchors.get(ev.anchor, 1))


def _duplicate_key(key: str, where: str) -> ValueError:
    return ValueError(f"load: keys of a mapping must be unique, got {_short(repr(key))} twice "
                      f"({where}); a repeated key would silently override the first value")


def _yaml_unique(text: str, path: Path) -> Any:
    """``yaml.safe_load(text)``, refusing a mapping that repeats a key (PyYAML keeps the last
    value silently). ``<<`` merge keys may still be overridden, as YAML specifies."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                        continue
                    key = self.construct_object(key_node)
                    line = key_node.start_mark.line + 1
                    if key in seen:
                        raise _duplicate_key(key, f"{path}, line {line}; first at line {seen[key]}")
                    seen[key] = line
            return super().construct_mapping(node, deep=deep)

    loader = UniqueKeyLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _json_unique(path: Path):
    """An ``object_pairs_hook`` for ``json.loads`` refusing an object that repeats a key."""
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise _duplicate_key(k, str(path))
            out[k] = v
        return out
    return hook


def load(path: str | os.PathLike) -> Transform:
    r"""Read a transform saved by :func:`save` (or written by hand) from .yaml / .yml / .json.

    Parameters
    ----------
    path : str or os.PathLike
        The pipeline file; the suffix chooses the parser.

    Returns
    -------
    Transform
        The transform built by :func:`from_dict`.

    Raises
    ------
    ValueError
        A wrong suffix, a file larger than :data:`MAX_CONFIG_BYTES`, nesting deeper than
        :data:`MAX_DEPTH`, an alias bomb, out-of-bounds parameters (see :func:`check_spec`),
        a mapping that repeats a key (named, with its line in YAML), ranges whose extreme
        draws the op refuses (see :func:`from_dict`).
    yaml.YAMLError
        Malformed YAML or a tag the safe loader refuses (e.g. ``!!python/object``).
    OSError
        The file cannot be read.

    Notes
    -----
    Bounded whatever the file holds (see the module docstring): YAML is checked on its event
    stream (depth, expanded size) before it is parsed with the safe loader.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "aug.yaml"
    >>> _ = p.write_text("type: RandomGradient\np: 0.25\n")
    >>> load(p).p
    0.25
    """
    path = Path(path)
    fmt = _format(path, "load")
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ValueError(f"load: argument `path` must be a pipeline file of at most "
                         f"{MAX_CONFIG_BYTES:,} bytes, got {size:,} bytes ({path})")
    text = path.read_text(encoding="utf-8")
    if fmt == "json":
        try:
            d = json.loads(text, object_pairs_hook=_json_unique(path))
        except RecursionError:
            raise ValueError(f"load: the pipeline must nest at most {MAX_DEPTH} levels, got a "
                             f"deeper JSON document ({path})") from None
    else:
        import yaml

        _check_yaml_events(text, "load")
        d = _yaml_unique(text, path)
    check_spec(d, "load")
    return from_dict(d)
