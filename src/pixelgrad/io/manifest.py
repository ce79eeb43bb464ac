"""``manifest.jsonl``: one JSON line per finished output, appended as soon as it is written.

Each line: ``{"output": out_rel, "input": rel, "copy": k, "seed": s, "params": {...}}``.
A run with ``--resume`` treats an output as done only if its file exists *and* it has a
manifest line, so a crash between writing an image and recording it just redoes that image
(deterministically, with the same seed). A truncated last line (crash mid-write) is ignored.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.jsonl"

__all__ = ["MANIFEST_NAME", "ManifestWriter", "read_manifest"]


def read_manifest(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Records of ``path`` keyed by their ``output``; missing file -> ``{}``; lines that are not
    complete JSON objects with an ``output`` key are skipped (the last one wins on duplicates)."""
    path = Path(path)
    records: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return records
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("output"), str):
                records[rec["output"]] = rec
    return records


class ManifestWriter:
    """Append-only, thread-safe JSONL writer; every record is flushed when written.

    ``append=False`` starts a new file; ``append=True`` keeps previous records and first
    terminates a truncated last line.
    """

    def __init__(self, path: str | os.PathLike, *, append: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        needs_newline = False
        if append and self.path.is_file() and self.path.stat().st_size:
            with open(self.path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                needs_newline = fh.read(1) != b"\n"
        self._fh = open(self.path, "a" if append else "w", encoding="utf-8")
        if needs_newline:
            self._fh.write("\n")
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` (JSON-serializable, with an ``output`` key) as one line."""
        line = json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False)
        with self._lock:
            self._fh.write(line + "\n")
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()

    def __enter__(self) -> "ManifestWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
