"""The crash-safe writer (io.atomic): call order, file mode, nothing left behind on failure."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import pixelgrad.io.atomic as atomic


def test_atomic_write_fsyncs_before_rename_and_cleans_up(tmp_path: Path, monkeypatch):
    calls: list[tuple[str, object]] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(("fsync", fd)), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b, **kw: (calls.append(("replace", b)),
                                                           real_replace(a, b, **kw))[1])
    target = tmp_path / "d" / "x.png"
    atomic.atomic_write(target, b"payload")
    assert [c[0] for c in calls] == ["fsync", "replace"] and calls[1][1] == target.name
    assert target.read_bytes() == b"payload"
    assert target.stat().st_mode & 0o777 == atomic.FILE_MODE
    assert [p.name for p in target.parent.iterdir()] == ["x.png"]

    def boom(a, b, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic.atomic_write(tmp_path / "d" / "y.png", b"other")
    assert [p.name for p in target.parent.iterdir()] == ["x.png"]   # no temp file left


def test_atomic_write_mode_and_failure_leaves_nothing(tmp_path):
    import os
    import stat

    import pytest

    from pixelgrad.io import atomic_path, atomic_write

    target = tmp_path / "a.bin"
    atomic_write(target, b"hello")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    assert target.read_bytes() == b"hello" and mode & 0o044     # readable by others, not 0600
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"hello"                     # the old file survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]
