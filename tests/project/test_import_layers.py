"""Import-layer contract: no module of the package imports a module of a higher layer.

Layers, bottom to top (a module may import its own layer and the ones below it)::

    0  core        _errors, _dtypes, _interop, _atomic, _threads, borders, kernels, types
    1  backends    torch_backend, opencv_backend, triton (compute engines; trust their inputs)
    2  functional  the public ops: validation, kernel building, dispatch to a backend
    3  augment     random transforms over the functional ops;  restore (solvers over them)
    4  io          files and datasets
    5  scale       distributed runs;  viz (demos, plots);  cli (the command line)

Every ``import`` / ``from ... import`` in every source file is read with :mod:`ast`
(function-local imports included), resolved to its ``pixelgrad`` module and checked. The
package root (``pixelgrad/__init__.py``, which re-exports the public API) and
``pixelgrad.__version__`` are outside the layers; importing the root itself counts as
importing the top layer. :data:`KNOWN` lists the violations still
to remove (a ratchet: the test also fails when one disappears, so the list only shrinks).
"""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pixelgrad"

LAYERS = {
    "_errors": 0, "_dtypes": 0, "_interop": 0, "_atomic": 0, "_threads": 0, "borders": 0, "kernels": 0,
    "types": 0,
    "backends": 1,
    "functional": 2,
    "augment": 3, "restore": 3,
    "io": 4,
    "scale": 5, "viz": 5, "cli": 5, "__main__": 5,
}

TOP = max(LAYERS.values())

#: (importer package, imported package): known upward imports still to remove.
KNOWN: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute ``pixelgrad`` module names imported by ``path`` (with line numbers)."""
    tree = ast.parse(path.read_text(), str(path))
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("pixelgrad")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("pixelgrad"):
                continue
            if target == "pixelgrad" or target == package and not node.module:
                # "from . import x" / "from .. import x": each name is a submodule or attribute
                out += [(f"{target}.{a.name}", node.lineno) for a in node.names]
            else:
                out.append((target, node.lineno))
    return out


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return TOP          # the package root imports every layer
    if parts[1] == "__version__":
        return None
    return LAYERS.get(parts[1])


def violations() -> set[tuple[str, str, int]]:
    found = set()
    for path in sorted(SRC.rglob("*.py")):
        mod = _module_name(path)
        src_layer = _layer(mod)
        if src_layer is None:
            continue
        for target, line in _imports(path):
            dst_layer = _layer(target)
            if dst_layer is not None and dst_layer > src_layer:
                found.add((mod, ".".join(target.split(".")[:2]), line))
    return found


def test_every_top_level_module_has_a_layer():
    names = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}
    assert names - {"__init__"} <= set(LAYERS), sorted(names - {"__init__"} - set(LAYERS))


def test_no_module_imports_a_higher_layer():
    found = violations()
    new = sorted(v for v in found if v[:2] not in KNOWN)
    assert not new, "upward imports (module, imported package, line):\n" + "\n".join(map(str, new))
    gone = KNOWN - {v[:2] for v in found}
    assert not gone, f"fixed: remove from KNOWN: {sorted(gone)}"


def test_the_checker_sees_upward_imports(tmp_path):
    """The checker can fail: a backend importing the functional layer is reported."""
    global SRC
    fake = tmp_path / "pixelgrad"
    (fake / "backends").mkdir(parents=True)
    (fake / "functional").mkdir()
    for d in (fake, fake / "backends", fake / "functional"):
        (d / "__init__.py").write_text("")
    (fake / "backends" / "bad.py").write_text(
        "def f():\n    from ..functional import _params\n    import pixelgrad.functional.blur\n")
    (fake / "functional" / "ok.py").write_text("from ..backends import bad\n")
    old, SRC = SRC, fake
    try:
        found = violations()
    finally:
        SRC = old
    assert found == {("pixelgrad.backends.bad", "pixelgrad.functional", 2),
                     ("pixelgrad.backends.bad", "pixelgrad.functional", 3)}
