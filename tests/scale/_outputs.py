"""Helpers shared by the Ray tests."""
from __future__ import annotations

from pathlib import Path


def output_files(root: Path) -> dict[str, bytes]:
    """Every file under an augment OUT folder (relative POSIX path -> bytes), except the
    manifest and the job record, whose contents legitimately differ between engines."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in ("manifest.jsonl", ".pixelgrad-job.json")}
