"""Hostile inputs against the CLI, data-loss classes first (issue 14): every test builds its
hostile input on the fly and checks that no input byte is lost and the failure is clean.

Classes: symlinks in and out of OUT, restore overwriting its own input, concurrent runs (the
OUT lock), resume of a different job, reruns and stale temporary files, clean one-line
failures (exit 2 naming the path), file names that are not UTF-8, file lists spanning two
trees.
"""
from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pixelgrad.augment as A
from pixelgrad.cli.main import main
from pixelgrad.io.images import read_image, write_image
from pixelgrad.io.manifest import MANIFEST_NAME, read_manifest
from pixelgrad.io.outdir import JOB_NAME, LOCK_NAME, out_lock


def _img(rng, h=12, w=10, c=3) -> np.ndarray:
    return rng.integers(0, 256, (h, w, c) if c else (h, w), dtype=np.uint8)


def _cfg(tmp_path: Path, name: str = "p.yaml", transform=None) -> Path:
    path = tmp_path / name
    A.save(transform or A.Compose([A.RandomGaussianBlur(p=1.0, sigma=(0.5, 1.5))]), path)
    return path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def _one_error_line(capsys, *needles: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    lines = [ln for ln in err if "error:" in ln]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


# ----------------------------------------------------------------------------- symlinks
def test_symlinked_out_is_compared_resolved_and_inputs_survive(tmp_path, rng, capsys):
    base = tmp_path / "base"
    write_image(base / "in" / "a.png", _img(rng))
    write_image(base / "in" / "in" / "a.png", _img(rng))  # output in/a.png of OUT=base is IN/a.png
    (tmp_path / "link").symlink_to(base, target_is_directory=True)
    before = _snapshot(base / "in")
    rc = main(["augment", str(base / "in"), str(tmp_path / "link"), "-c", str(_cfg(tmp_path)), "-q"])
    assert rc == 2
    _one_error_line(capsys, "input file")
    assert _snapshot(base / "in") == before
    # a symlink to IN itself as OUT
    (tmp_path / "link2").symlink_to(base / "in", target_is_directory=True)
    assert main(["augment", str(base / "in"), str(tmp_path / "link2"), "-c", str(_cfg(tmp_path)), "-q"]) == 2
    assert _snapshot(base / "in") == before


def test_writes_never_go_through_a_symlink_under_out(tmp_path, rng, capsys):
    src, out, victim = tmp_path / "in", tmp_path / "out", tmp_path / "victim"
    write_image(src / "a.png", _img(rng))
    write_image(src / "sub" / "b.png", _img(rng))
    write_image(victim / "b.png", _img(rng))
    (victim / "precious.txt").write_text("keep me")
    out.mkdir()
    (out / "sub").symlink_to(victim, target_is_directory=True)   # symlinked subfolder in OUT
    before = _snapshot(victim)
    rc = main(["augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q"])
    assert rc == 1                                              # sub/b.png refused, a.png written
    assert "symlink" in capsys.readouterr().err
    assert _snapshot(victim) == before
    assert (out / "a.png").is_file()
    assert set(read_manifest(out / MANIFEST_NAME)) == {"a.png"}

    # a symlinked manifest is refused, never truncated through
    out2 = tmp_path / "out2"
    out2.mkdir()
    (out2 / MANIFEST_NAME).symlink_to(victim / "precious.txt")
    assert main(["augment", str(src), str(out2), "-c", str(_cfg(tmp_path)), "-q"]) == 2
    _one_error_line(capsys, "manifest", "symlink")
    assert (victim / "precious.txt").read_text() == "keep me"
    assert _snapshot(victim) == before


def test_an_input_that_is_a_symlink_is_not_replaced(tmp_path, rng, capsys):
    """An input reached through a symlinked file is protected under both of its names."""
    real = tmp_path / "real"
    write_image(real / "a.png", _img(rng))
    lst = tmp_path / "list.txt"
    lst.write_text(str(real / "a.png") + "\n")
    link_out = tmp_path / "o"
    link_out.mkdir()
    (link_out / "a.png").symlink_to(real / "a.png")   # OUT/a.png is the input, through a link
    before = (real / "a.png").read_bytes()
    rc = main(["augment", str(lst), str(link_out), "-c", str(_cfg(tmp_path)), "-q"])
    # the atomic rename replaces the link itself, never its target
    assert rc == 0 and (real / "a.png").read_bytes() == before
    assert not (link_out / "a.png").is_symlink()


# ----------------------------------------------------------------------------- restore
@pytest.mark.parametrize("flag", ["-o", "--save-corrupted"])
def test_restore_refuses_to_overwrite_its_own_input(tmp_path, rng, capsys, flag):
    src = tmp_path / "photo.png"
    write_image(src, _img(rng, 16, 16))
    before = src.read_bytes()
    other = str(tmp_path / "r.png")
    args = ["restore", str(src), "--corrupt", "0.3", "--no-progress", "--method", "harmonic"]
    args += ["-o", str(src)] if flag == "-o" else ["-o", other, "--save-corrupted", str(src)]
    assert main(args) == 2
    _one_error_line(capsys, str(src), "--overwrite")
    assert src.read_bytes() == before
    assert main(args + ["--overwrite"]) == 0                   # asked for: allowed
    assert src.read_bytes() != before


# ----------------------------------------------------------------------------- lock
def test_second_run_into_a_locked_out_is_refused_and_a_stale_lock_reclaimed(tmp_path, rng, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    write_image(src / "a.png", _img(rng))
    cfg = _cfg(tmp_path)
    out.mkdir()
    with out_lock(out):                                  # another run holds OUT
        assert main(["augment", str(src), str(out), "-c", str(cfg), "-q"]) == 2
        line = _one_error_line(capsys, "in use", str(os.getpid()))
        assert LOCK_NAME in line
    assert not (out / "a.png").exists() and not (out / MANIFEST_NAME).exists()
    # a lock file left by a dead process: reclaimed
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LOCK_NAME).write_text(f"{dead.pid} somehost\n")
    assert main(["augment", str(src), str(out), "-c", str(cfg), "-q"]) == 0
    assert (out / "a.png").is_file() and not (out / LOCK_NAME).exists()


def test_concurrent_processes_never_share_an_out(tmp_path, rng):
    """Two real processes started together: one runs, the other is refused (exit 2); the
    manifest holds exactly one clean record per output."""
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(6):
        write_image(src / f"{i}.png", _img(rng, 32, 32))
    cfg = _cfg(tmp_path)
    out.mkdir()
    code = ("import sys; from pixelgrad.cli.main import main; "
            f"sys.exit(main(['augment', {str(src)!r}, {str(out)!r}, '-c', {str(cfg)!r}, '-q', "
            "'--workers', '1', '--resume']))")
    with out_lock(out):   # hold OUT while both start, so their attempts overlap for sure
        procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(rc == 2 and "in use" in err for rc, err in results), results
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    codes = sorted(p.wait(timeout=120) for p in procs)
    assert codes in ([0, 0], [0, 2])                 # sequential by chance, or one refused
    text = (out / MANIFEST_NAME).read_bytes()
    assert b"\x00" not in text
    lines = [json.loads(ln) for ln in text.decode().splitlines()]
    assert sorted({ln["output"] for ln in lines}) == sorted(f"{i}.png" for i in range(6))


# ----------------------------------------------------------------------------- job record
def test_resume_or_rerun_of_a_different_job_is_refused(tmp_path, rng, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        write_image(src / f"{i}.png", _img(rng))
    cfg = _cfg(tmp_path)
    base = ["augment", str(src), str(out), "-c", str(cfg), "-q"]
    assert main(base + ["--seed", "1", "--copies", "2"]) == 0
    rec = json.loads((out / JOB_NAME).read_text())
    assert rec["seed"] == 1 and rec["copies"] == 2 and len(rec["config_sha256"]) == 64 and rec["version"]
    before = _snapshot(out)
    cfg2 = _cfg(tmp_path, "q.yaml", A.Compose([A.RandomGaussianBlur(p=1.0, sigma=(2.0, 3.0))]))
    for extra, what in [(["--seed", "2", "--copies", "2", "--resume"], "seed"),
                        (["--seed", "1", "--copies", "3", "--resume"], "copies"),
                        (["--seed", "2", "--copies", "2"], "seed")]:
        assert main(base + extra) == 2
        _one_error_line(capsys, "different job", what)
    assert main(["augment", str(src), str(out), "-c", str(cfg2), "-q", "--seed", "1", "--copies", "2",
                 "--resume"]) == 2
    _one_error_line(capsys, "config_sha256")
    assert _snapshot(out) == before                  # nothing touched
    assert main(base + ["--seed", "1", "--copies", "2", "--resume"]) == 0
    assert "skipped 6" in capsys.readouterr().out


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


# ----------------------------------------------------------------------------- clean failures
def _make_out_file(tmp_path):
    p = tmp_path / "out_is_a_file"
    p.write_text("x")
    return p


@pytest.mark.parametrize("case", ["malformed_yaml", "python_tag", "out_is_file", "copies_huge",
                                  "config_too_deep"])
def test_augment_usage_errors_are_one_line_exit_2(tmp_path, rng, capsys, case):
    src = tmp_path / "in"
    write_image(src / "a.png", _img(rng))
    cfg = _cfg(tmp_path)
    out = tmp_path / "out"
    extra: list[str] = []
    needle = None
    if case == "malformed_yaml":
        cfg = tmp_path / "bad.yaml"
        cfg.write_text("type: Compose\ntransforms: [\n  - {type: RandomGaussianBlur\n")
        needle = str(cfg)
    elif case == "python_tag":
        cfg = tmp_path / "evil.yaml"
        marker = tmp_path / "pwned"
        cfg.write_text(f"!!python/object/apply:os.system ['touch {marker}']\n")
        needle = str(cfg)
    elif case == "out_is_file":
        out = _make_out_file(tmp_path)
        needle = str(out)
    elif case == "copies_huge":
        extra = ["--copies", "1000000000"]
        needle = "--copies"
    elif case == "config_too_deep":
        cfg = tmp_path / "deep.yaml"
        cfg.write_text("[" * 3000 + "]" * 3000)
        needle = str(cfg)
    assert main(["augment", str(src), str(out), "-c", str(cfg), "-q", *extra]) == 2
    _one_error_line(capsys, needle)
    assert not (tmp_path / "pwned").exists()


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


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_is_exit_2(tmp_path, rng, capsys):
    src, out = tmp_path / "in", tmp_path / "ro"
    write_image(src / "a.png", _img(rng))
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main(["augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q"]) == 2
        _one_error_line(capsys, str(out))
    finally:
        out.chmod(0o755)


@pytest.mark.parametrize("case", ["bad_suffix", "out_is_dir", "dir_to_itself"])
def test_restore_usage_errors_are_checked_before_computing(tmp_path, rng, capsys, case):
    src = tmp_path / "in"
    write_image(src / "a.png", _img(rng, 16, 16))
    before = _snapshot(src)
    if case == "bad_suffix":
        args = [str(src / "a.png"), "-o", str(tmp_path / "out.xyz")]
        needle = "out.xyz"
    elif case == "out_is_dir":
        (tmp_path / "d").mkdir()
        args = [str(src / "a.png"), "-o", str(tmp_path / "d")]
        needle = str(tmp_path / "d")
    else:
        args = [str(src), "-o", str(src)]
        needle = str(src)
    assert main(["restore", *args, "--corrupt", "0.3", "--no-progress"]) == 2
    _one_error_line(capsys, needle)
    assert _snapshot(src) == before
    assert not (tmp_path / "out.xyz").exists()


def test_gallery_refuses_a_folder_as_output_and_fails_when_every_draw_fails(tmp_path, rng, capsys,
                                                                           monkeypatch):
    write_image(tmp_path / "in" / "a.png", _img(rng))
    cfg = _cfg(tmp_path)
    (tmp_path / "g").mkdir()
    assert main(["gallery", str(tmp_path / "in"), "-c", str(cfg), "-o", str(tmp_path / "g")]) == 2
    _one_error_line(capsys, str(tmp_path / "g"))
    from pixelgrad.io import batch_apply

    def broken(*a, **k):
        raise RuntimeError("every draw fails")

    monkeypatch.setattr(batch_apply, "_run", broken)
    out = tmp_path / "g.html"
    assert main(["gallery", str(tmp_path / "in"), "-c", str(cfg), "-o", str(out), "--draws", "2"]) == 1
    assert "every one" in capsys.readouterr().err
    assert not out.exists()


# ----------------------------------------------------------------------------- file names
def test_non_utf8_file_names_are_reported_and_skipped(tmp_path, rng, capsys):
    src = tmp_path / "in"
    write_image(src / "good.png", _img(rng))
    bad = os.fsencode(src) + b"/caf\xe9.png"                      # Latin-1 name
    with open(bad, "wb") as fh:
        fh.write((src / "good.png").read_bytes())
    before = _snapshot(src)
    out = tmp_path / "out"
    rc = main(["augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "caf\\xe9.png" in err and "UTF-8" in err
    assert (out / "good.png").is_file()
    assert _snapshot(src) == before
    # restore (folder mode) and gallery skip it the same way
    rc = main(["restore", str(src), "-o", str(tmp_path / "r"), "--corrupt", "0.3", "--no-progress",
               "--method", "harmonic"])
    assert rc == 1 and (tmp_path / "r" / "good.png").is_file()
    assert "caf\\xe9.png" in capsys.readouterr().err
    assert main(["gallery", str(src), "-c", str(_cfg(tmp_path)), "-o", str(tmp_path / "g.html")]) == 0
    assert "caf\\xe9.png" in capsys.readouterr().err


def test_a_file_list_spanning_two_trees_needs_no_overwrite(tmp_path, rng):
    a, b = tmp_path / "t1" / "x" / "1.png", tmp_path / "t2" / "y" / "2.png"
    write_image(a, _img(rng))
    write_image(b, _img(rng))
    lst = tmp_path / "list.txt"
    lst.write_text(f"{a}\n{b}\n")
    out = tmp_path / "out"                        # inside the folder common to both trees
    before = {p: p.read_bytes() for p in (a, b)}
    assert main(["augment", str(lst), str(out), "-c", str(_cfg(tmp_path)), "-q"]) == 0
    assert (out / "t1" / "x" / "1.png").is_file() and (out / "t2" / "y" / "2.png").is_file()
    assert {p: p.read_bytes() for p in (a, b)} == before
    # input protection still holds for a list: an output that is an input is refused
    lst.write_text(f"{a}\n")
    assert main(["augment", str(lst), str(a.parent), "-c", str(_cfg(tmp_path)), "-q"]) == 2
    assert a.read_bytes() == before[a]
