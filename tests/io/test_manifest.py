"""The manifest (io.manifest): whole after reruns, a full disk while writing it is a clean exit 2."""
from __future__ import annotations

import errno
import os
import stat

from pixelgrad.cli.main import main
from pixelgrad.io.images import write_image
from pixelgrad.io.manifest import MANIFEST_NAME, read_manifest
from tests._hostile import _cfg, _img, _one_error_line, _snapshot


def test_rerun_keeps_the_manifest_whole_and_stale_temp_files_are_removed(tmp_path, rng):
    src, out = tmp_path / "in", tmp_path / "out"
    for rel in ["a.png", "s/b.png"]:
        write_image(src / rel, _img(rng))
    cfg = _cfg(tmp_path)
    args = ["augment", str(src), str(out), "-c", str(cfg), "-q"]
    assert main(args) == 0
    first = _snapshot(out)
    # what a kill -9 mid-write leaves: hidden temporary files
    stale = [out / ".a.1a2b3c4d.pgtmp.png", out / "s" / ".b.deadbeef.pgtmp.png"]
    for p in stale:
        p.write_bytes(b"half an image")
    (out / "s" / "user-notes.tmp.txt").write_text("not ours")   # never removed
    assert main(args + ["--resume"]) == 0
    assert not any(p.exists() for p in stale)
    assert (out / "s" / "user-notes.tmp.txt").exists()
    # a rerun without --resume redoes every output and appends: every file keeps a record
    stale[0].write_bytes(b"half")
    assert main(args) == 0
    assert not stale[0].exists()
    recs = read_manifest(out / MANIFEST_NAME)
    assert set(recs) == {"a.png", "s/b.png"}
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    assert len(lines) == 4                           # two runs, appended (the newer line wins)
    assert {k: v for k, v in _snapshot(out).items() if k.endswith(".png")} == \
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
