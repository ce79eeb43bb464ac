"""The output folder's safety rules (io.outdir) through `pixelgrad augment`: symlinks in and
out of OUT, the OUT lock and concurrent runs, resuming a different job, read-only OUT."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import pixelgrad.augment as A
from pixelgrad.cli.main import main
from pixelgrad.io.images import write_image
from pixelgrad.io.manifest import MANIFEST_NAME, read_manifest
from pixelgrad.io.outdir import JOB_NAME, LOCK_NAME, out_lock
from tests._hostile import _cfg, _img, _one_error_line, _snapshot


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


# ----------------------------------------------------------------------------- issue 22
@pytest.mark.parametrize("what", ["record_null", "record_list", "record_folder", "record_fifo",
                                  "lock_fifo", "lock_folder"])
def test_job_record_and_lock_that_are_not_plain_files_are_refused_by_name(tmp_path, rng, capsys, what):
    """A record `null` / `[]` was taken for a missing one (a --resume --seed 9 then mixed seeds
    into a seed-0 job); a FIFO or folder there gave a traceback or hung."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_image(src / "a.png", _img(rng))
    args = ["augment", str(src), str(out), "-c", str(_cfg(tmp_path)), "-q"]
    assert main(args) == 0
    (out / JOB_NAME).unlink()
    target = out / (JOB_NAME if what.startswith("record") else LOCK_NAME)
    kind = what.split("_")[1]
    if kind == "null":
        target.write_text("null")
    elif kind == "list":
        target.write_text("[]")
    elif kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    assert main(args + ["--resume", "--seed", "9"]) == 2
    _one_error_line(capsys, str(target))
    assert (target.is_dir() if kind == "folder" else True)
