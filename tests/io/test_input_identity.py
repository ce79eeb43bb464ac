"""Data loss, round 3 (issue 22): outputs never replace inputs reached through a second path
(bind mount, hard link, a mask folder given as OUT), and the stale-temp cleanup deletes only
the temporary files the tool recorded. The data-loss cases run the real CLI in subprocesses."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pixelgrad.io.atomic import TEMP_JOURNAL, atomic_write
from pixelgrad.io.identity import ProtectedInputs, file_id, lies_in
from pixelgrad.io.images import write_image
from pixelgrad.io.outdir import JOB_NAME, remove_stale_temps
from tests._hostile import _cfg, _img, _snapshot


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "pixelgrad", *args], capture_output=True,
                          text=True, timeout=300, env=env)


@contextlib.contextmanager
def _second_path(target: Path, alias: Path):
    """``alias`` reaches folder ``target`` without being a symlink: a bind mount where this
    process may make one; else the test is run with ``os.path.realpath`` unable to see the
    alias (the case a bind mount creates) by a symlink plus the identity checks only."""
    alias.mkdir()
    if subprocess.run(["mount", "--bind", str(target), str(alias)], capture_output=True).returncode:
        alias.rmdir()
        pytest.skip("no bind mount here: covered by test_a_hard_linked_input_is_an_input")
    try:
        yield alias
    finally:
        subprocess.run(["umount", str(alias)], capture_output=True)


def test_bind_mounted_in_as_out_is_refused_for_augment_and_restore(tmp_path, rng):
    src = tmp_path / "in"
    write_image(src / "a.png", _img(rng, 16, 16))
    write_image(src / "sub" / "b.png", _img(rng, 16, 16))
    before = _snapshot(src)
    with _second_path(src, tmp_path / "alias") as alias:
        assert os.path.realpath(alias) != os.path.realpath(src)      # what defeated the check
        r = _cli("augment", str(src), str(alias), "-c", str(_cfg(tmp_path)), "-q")
        assert r.returncode == 2 and "another path" in r.stderr, r.stderr
        r = _cli("restore", str(src), "-o", str(alias), "--corrupt", "0.5", "--no-progress")
        assert r.returncode == 2 and "another path" in r.stderr, r.stderr
        # OUT inside IN through the alias, and a bind-mounted input folder below OUT
        r = _cli("augment", str(src), str(alias / "new"), "-c", str(_cfg(tmp_path)), "-q")
        assert r.returncode == 2 and "inside IN" in r.stderr, r.stderr
    out = tmp_path / "out"
    out.mkdir()
    with _second_path(src / "sub", out / "sub"):     # an input folder mounted below OUT
        r = _cli("augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q")
        assert r.returncode == 2 and "is the input file" in r.stderr, r.stderr
        # new names (copies) there would not replace a file, but still land inside IN
        r = _cli("augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q", "--copies", "2")
        assert r.returncode == 2 and "inside IN" in r.stderr, r.stderr
    assert _snapshot(src) == before


def test_a_hard_linked_input_is_an_input(tmp_path, rng):
    """A second path to an input file that realpath cannot see: a hard link in OUT."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_image(src / "a.png", _img(rng, 16, 16))
    out.mkdir()
    os.link(src / "a.png", out / "a.png")
    before = _snapshot(src)
    r = _cli("augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q")
    assert r.returncode == 2 and "is the input file" in r.stderr, r.stderr
    r = _cli("restore", str(src), "-o", str(out), "--corrupt", "0.5", "--no-progress")
    assert r.returncode == 2 and "is the input file" in r.stderr, r.stderr
    assert _snapshot(src) == before
    guard = ProtectedInputs([src], [src / "a.png"])
    assert guard.is_input_file(out / "a.png") and not guard.is_input_file(out / "b.png")


def test_restore_into_the_mask_folder_is_refused(tmp_path, rng):
    src, masks = tmp_path / "in", tmp_path / "masks"
    for rel in ("a.png", "s/b.png"):
        write_image(src / rel, _img(rng, 16, 16))
        write_image(masks / rel, (_img(rng, 16, 16, 0) > 128).astype("uint8") * 255)
    before = _snapshot(masks)
    for out in (masks, masks / "s", tmp_path):          # equal to, inside, holding the masks
        r = _cli("restore", str(src), "-o", str(out), "--mask-dir", str(masks), "--no-progress")
        assert r.returncode == 2 and "--mask-dir" in r.stderr, (out, r.stderr)
        assert _snapshot(masks) == before
    r = _cli("restore", str(src), "-o", str(tmp_path / "out"), "--mask-dir", str(masks),
             "--no-progress")
    assert r.returncode == 0, r.stderr
    assert _snapshot(masks) == before and (tmp_path / "out" / "s" / "b.png").is_file()


def _killed_run_left(out: Path, rel: str) -> Path:
    """What a run killed between creating a temp file and renaming it leaves under OUT."""
    p = out / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"half an image")
    with open(out / TEMP_JOURNAL, "ab") as journal:
        journal.write(rel.encode() + b"\0")
    return p


def test_stale_temp_cleanup_deletes_only_files_it_recorded(tmp_path, rng):
    src, out = tmp_path / "in", tmp_path / "out"
    write_image(src / "a.png", _img(rng, 16, 16))
    cfg = str(_cfg(tmp_path))
    assert _cli("augment", str(src), str(out), "-c", cfg, "-q").returncode == 0
    user = {out / ".notes.20240101.tmp.txt": b"mine", out / ".x.a1b2c3d4.pgtmp.png": b"mine too",
            out / "s" / ".y.00000000.pgtmp": b"and this"}
    for p, data in user.items():
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(data)
    ours = _killed_run_left(out, ".a.deadbeef.pgtmp.png")
    r = _cli("augment", str(src), str(out), "-c", cfg, "-q", "--resume")
    assert r.returncode == 0, r.stderr
    assert not ours.exists()
    assert all(p.read_bytes() == data for p, data in user.items())
    # an input tree inside OUT is never walked nor touched, even with --overwrite into it
    inner = out / "inner"
    write_image(inner / "c.png", _img(rng, 16, 16))
    (inner / ".c.a1b2c3d4.pgtmp.png").write_bytes(b"the user's")
    before = _snapshot(inner)
    assert _cli("augment", str(inner), str(out), "-c", cfg, "-q", "--resume").returncode in (0, 2)
    assert _snapshot(inner) == before
    # augment IN IN --overwrite: nothing in IN is deleted
    same = tmp_path / "same"
    write_image(same / "d.png", _img(rng, 16, 16))
    (same / ".d.a1b2c3d4.pgtmp.png").write_bytes(b"the user's")
    (same / ".notes.20240101.tmp.txt").write_bytes(b"the user's")
    r = _cli("augment", str(same), str(same), "-c", cfg, "-q", "--overwrite")
    assert r.returncode == 0, r.stderr
    assert (same / ".d.a1b2c3d4.pgtmp.png").read_bytes() == b"the user's"
    assert (same / ".notes.20240101.tmp.txt").read_bytes() == b"the user's"


def test_journal_entries_cannot_reach_outside_out_nor_non_temp_names(tmp_path):
    out, victim = tmp_path / "out", tmp_path / "victim"
    out.mkdir()
    victim.mkdir()
    (victim / ".v.a1b2c3d4.pgtmp.png").write_bytes(b"keep")
    (out / "link").symlink_to(victim, target_is_directory=True)
    (out / "plain.png").write_bytes(b"keep")
    (out / TEMP_JOURNAL).write_bytes(b"../victim/.v.a1b2c3d4.pgtmp.png\0link/.v.a1b2c3d4.pgtmp.png\0"
                                     b"plain.png\0/etc/passwd\0\0garbage\xff\0")
    assert remove_stale_temps(out) == []
    assert (victim / ".v.a1b2c3d4.pgtmp.png").read_bytes() == b"keep"
    assert (out / "plain.png").read_bytes() == b"keep"
    assert (out / TEMP_JOURNAL).read_bytes() == b""


def test_atomic_write_records_its_temp_before_creating_it(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / TEMP_JOURNAL).write_bytes(b"")
    seen = []
    real_open = os.open

    def spy(path, flags, *a, **k):
        if flags & os.O_EXCL:                        # the temp file: the journal already names it
            seen.append((path, (out / TEMP_JOURNAL).read_bytes()))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", spy)
    atomic_write(out / "s" / "a.png", b"x", root=out)
    (tmp, journal), = seen
    assert journal == f"s/{tmp}".encode() + b"\0"


def test_a_244_character_file_name_is_written(tmp_path, rng):
    """The temporary name (16 more characters) used to exceed NAME_MAX: ENAMETOOLONG."""
    src, out = tmp_path / "in", tmp_path / "out"
    name = "x" * 240 + ".png"
    write_image(src / name, _img(rng, 16, 16))
    r = _cli("augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q")
    assert r.returncode == 0, r.stderr
    assert (out / name).is_file()
    atomic_write(tmp_path / ("é" * 125 + ".png"), b"x")          # 254 bytes in UTF-8


def test_identity_helpers(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "alias").symlink_to(tmp_path / "a", target_is_directory=True)
    assert lies_in(tmp_path / "alias" / "b" / "new.png", tmp_path / "a")
    assert not lies_in(tmp_path, tmp_path / "a")
    assert file_id(tmp_path / "alias") == file_id(tmp_path / "a")
    assert ProtectedInputs([tmp_path / "a"]).tree_holding(tmp_path / "alias" / "b") is not None
    assert JOB_NAME.startswith(".")
