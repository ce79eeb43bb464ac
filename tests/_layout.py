"""The package's module list, read from the source tree (nothing is imported, so modules
that need an optional dependency are listed too)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def all_modules() -> list[str]:
    """Every module of the package, as dotted names (packages by their own name)."""
    names = []
    for p in sorted((SRC / "pixelgrad").rglob("*.py")):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def public_modules() -> list[str]:
    """Modules none of whose name parts starts with ``_`` (``__main__`` excluded)."""
    return [m for m in all_modules() if not any(part.startswith("_") for part in m.split("."))]
