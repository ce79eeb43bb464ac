"""The import graph of ``pixelgrad.restore`` is acyclic, function-local imports included.

Every module of the package is read with :mod:`ast` (imports inside functions and classes
too); each import of another restore module is an edge; a cycle fails the test, naming it.
The leaves (modules importing no other restore module) are pinned too, so a leaf that starts
importing the solvers is seen. Next to ``test_import_layers.py``, which checks the layers of
the whole package with the same reading.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pixelgrad" / "restore"
NAME = "pixelgrad.restore"

#: Modules that import nothing else of restore (the bottom of the stack).
LEAVES = {"checks", "constraints", "dct", "differences", "diffusion", "linalg", "metrics", "noise",
          "operators", "pull_push", "regions", "result"}


def restore_imports(path: Path, modules: Set[str]) -> Set[str]:
    """The restore modules (short names) that ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(), str(path))
    found: Set[str] = set()
    is_init = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(NAME + "."):
                    found.add(a.name.split(".")[2])
                elif a.name == NAME:                    # the package itself: its __init__
                    found.add("__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1 or (node.level == 0 and (node.module or "").startswith(NAME)):
                mod = node.module or ""
                if node.level == 0:
                    mod = mod[len(NAME) + 1:] if mod != NAME else ""
                if mod:
                    found.add(mod.split(".")[0])
                elif node.level == 0:                   # "from pixelgrad.restore import x"
                    found.add("__init__")
                else:                                   # "from . import a, b"
                    found.update(a.name for a in node.names if a.name in modules)
            elif node.level == 2 and is_init is False and (node.module or "").startswith("restore"):
                found.add((node.module or "").split(".")[1])
    return {m for m in found if m in modules or m == "__init__"}


def graph(package: Path = PACKAGE) -> Dict[str, Set[str]]:
    """``{module: imported restore modules}`` for every module but the package ``__init__``
    (which re-exports everything and is imported by none)."""
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    return {m: restore_imports(package / f"{m}.py", modules) - {m, "__init__"} for m in sorted(modules)}


def find_cycle(g: Dict[str, Set[str]]) -> Optional[List[str]]:
    """A cycle of ``g`` as a list ``[a, b, ..., a]``, or ``None`` (depth-first search)."""
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(n: str) -> Optional[List[str]]:
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"priors": {"solvers"}, "solvers": {"priors"}}) == ["priors", "solvers", "priors"]


def test_the_reader_sees_function_local_imports(tmp_path):
    """A cycle hidden in a function body (as ``priors -> solvers -> priors`` once was) counts."""
    (tmp_path / "priors.py").write_text("def prox():\n    from .solvers import cg_solve\n")
    (tmp_path / "solvers.py").write_text("from . import priors\nimport pixelgrad.restore.linalg\n")
    (tmp_path / "linalg.py").write_text("import torch\n")
    g = graph(tmp_path)
    assert g == {"linalg": set(), "priors": {"solvers"}, "solvers": {"priors", "linalg"}}
    assert find_cycle(g) == ["priors", "solvers", "priors"]


def test_restore_import_graph_is_acyclic():
    g = graph()
    assert find_cycle(g) is None, f"import cycle in pixelgrad.restore: {' -> '.join(find_cycle(g) or [])}"


def test_leaf_modules_import_nothing_of_restore():
    g = graph()
    for leaf in sorted(LEAVES):
        if leaf in g:
            assert not g[leaf], f"leaf module {leaf} imports {sorted(g[leaf])}"
    assert {"differences", "linalg", "dct", "diffusion", "checks"} <= set(g)


def test_no_module_imports_the_package_itself():
    """``pixelgrad.restore`` (its ``__init__``) imports every module, so a module importing the
    package, even inside a function, closes a cycle the graph above would not show."""
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    offenders = sorted(m for m in modules if "__init__" in restore_imports(PACKAGE / f"{m}.py", modules))
    assert not offenders, f"these import pixelgrad.restore itself: {offenders}"
