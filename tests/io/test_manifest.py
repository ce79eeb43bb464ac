"""The manifest (io.manifest): whole after reruns, a full disk while writing it is a clean exit 2."""
from __future__ import annotations

import errno
import os
import stat

from pixelgrad.cli.main import main
from pixelgrad.io.images import write_image
from pixelgrad.io.atomic import TEMP_JOURNAL
from pixelgrad.io.manifest import MANIFEST_NAME, read_manifest
from tests._hostile import _cfg, _img, _one_error_line, _snapshot


def test_rerun_keeps_one_manifest_line_per_output_and_removes_only_journaled_temps(tmp_path, rng):
    src, out = tmp_path / "in", tmp_path / "out"
    for rel in ["a.png", "s/b.png"]:
        write_image(src / rel, _img(rng))
    cfg = _cfg(tmp_path)
    args = ["augment", str(src), str(out), "-c", str(cfg), "-q"]
    assert main(args) == 0
    first = _snapshot(out)
    assert not (out / TEMP_JOURNAL).exists()          # a finished run leaves no journal
    # what a kill -9 mid-write leaves: hidden temporary files, recorded in the journal
    stale = [out / ".a.1a2b3c4d.pgtmp.png", out / "s" / ".b.deadbeef.pgtmp.png"]
    for p in stale:
        p.write_bytes(b"half an image")
    (out / TEMP_JOURNAL).write_bytes(b".a.1a2b3c4d.pgtmp.png\0s/.b.deadbeef.pgtmp.png\0")
    (out / "s" / "user-notes.tmp.txt").write_text("not ours")      # never removed
    theirs = out / "s" / ".c.0a0b0c0d.pgtmp.png"                    # named like ours, not ours
    theirs.write_bytes(b"the user's")
    assert main(args + ["--resume"]) == 0
    assert not any(p.exists() for p in stale)
    assert (out / "s" / "user-notes.tmp.txt").exists() and theirs.read_bytes() == b"the user's"
    # a rerun without --resume redoes every output: still one line per output
    for _ in range(2):
        assert main(args) == 0
    recs = read_manifest(out / MANIFEST_NAME)
    assert set(recs) == {"a.png", "s/b.png"}
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    assert len(lines) == 2
    assert {k: v for k, v in _snapshot(out).items() if k.endswith(".png") and "pgtmp" not in k} == \
        {k: v for k, v in first.items() if k.endswith(".png")}


def test_disk_full_while_writing_the_manifest_is_exit_2_naming_it(tmp_path, rng, capsys, monkeypatch):
    src, out = tmp_path / "in", tmp_path / "out"
    write_image(src / "a.png", _img(rng))
    out.mkdir()
    try:   # the manifest is the kernel's /dev/full: every write fails with ENOSPC
        os.mknod(out / MANIFEST_NAME, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (PermissionError, OSError):
        from pixelgrad.io import manifest as M

        real_init = M.ManifestWriter.__init__

        class Full:
            def write(self, text):
                raise OSError(errno.ENOSPC, "No space left on device")

            def flush(self):
                pass

            closed = False

            def fileno(self):
                return 0

            def close(self):
                self.closed = True

        def init(self, *a, **k):
            real_init(self, *a, **k)
            self._fh.close()
            self._fh = Full()

        monkeypatch.setattr(M.ManifestWriter, "__init__", init)
        monkeypatch.setattr(os, "fsync", lambda fd: None)
    assert main(["augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q"]) == 2
    _one_error_line(capsys, str(out / MANIFEST_NAME), "space")
