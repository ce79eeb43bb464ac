"""The registry is the only way a functional op reaches a backend: no module of
``pixelgrad.functional`` imports a backend module other than ``backends.registry``."""
from __future__ import annotations

import ast
from pathlib import Path

FUNCTIONAL = Path(__file__).resolve().parents[2] / "src" / "pixelgrad" / "functional"
ALLOWED = {"pixelgrad.backends.registry"}
ENGINES = ("cv2", "numba", "triton")


def _direct_backend_imports(path: Path) -> list[str]:
    """``pixelgrad.backends.*`` modules (other than the registry) and compute engines
    (OpenCV, numba, Triton) imported by ``path``, function-local imports included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = "pixelgrad." + ("functional." if node.level == 1 else "") + base
            names = [base] + [f"{base}.{a.name}".rstrip(".") for a in node.names]
        else:
            continue
        for n in names:
            if n.startswith(ENGINES) or (n.startswith("pixelgrad.backends") and n not in ALLOWED
                                         and not any(n.startswith(a + ".") for a in ALLOWED)
                                         and n != "pixelgrad.backends"):
                found.append(f"{path.name}:{node.lineno}: {n}")
    return sorted(set(found))


def test_functional_reaches_backends_only_through_the_registry():
    bad = [hit for p in sorted(FUNCTIONAL.glob("*.py")) for hit in _direct_backend_imports(p)]
    assert bad == [], "functional/ must reach backends through backends.registry only:\n" + "\n".join(bad)


def test_the_checker_sees_a_direct_import(tmp_path):
    p = tmp_path / "op.py"
    p.write_text("from ..backends import opencv_backend\nimport cv2\n"
                 "def f():\n    from ..backends.registry import lookup\n")
    hits = _direct_backend_imports(p)
    assert any("opencv_backend" in h for h in hits) and any("cv2" in h for h in hits)
    assert not any("registry" in h for h in hits)
