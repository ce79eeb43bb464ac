"""Dataset plumbing of `pixelgrad augment`: walking, lists, output planning, safety rules,
seeds and the manifest. No pixels involved."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from pixelgrad.io.dataset import (JobError, collect_inputs, output_relpath, output_seed,
                                  plan_outputs)
from pixelgrad.io.images import write_image
from pixelgrad.io.manifest import ManifestWriter, read_manifest


def _img(path: Path, shape=(6, 5, 3), dtype=np.uint8) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, np.zeros(shape, dtype))
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    for rel in ["b.png", "a.jpg", "sub/c.tiff", "sub/deeper/d.webp", "sub/e.BMP", ".hidden/x.png",
                "sub/.y.png"]:
        _img(root / rel)
    (root / "notes.txt").write_text("not an image")
    (root / "sub" / "data.npy").write_bytes(b"\0")
    return root


def test_walk_is_recursive_sorted_and_skips_hidden_and_non_images(tree: Path):
    root, files = collect_inputs(tree)
    assert root == tree.resolve()
    rels = [f.relative_to(root).as_posix() for f in files]
    assert rels == ["a.jpg", "b.png", "sub/c.tiff", "sub/deeper/d.webp", "sub/e.BMP"]


def test_list_file_relative_absolute_comments_and_root(tmp_path: Path, tree: Path):
    lst = tmp_path / "list.txt"
    lst.write_text(f"# my images\n\nin/sub/c.tiff\n{tree / 'sub/deeper/d.webp'}\n  in/sub/c.tiff  \n")
    root, files = collect_inputs(lst)
    assert root == (tree / "sub").resolve()  # deepest folder holding all listed files
    assert [f.relative_to(root).as_posix() for f in files] == ["c.tiff", "deeper/d.webp"]


@pytest.mark.parametrize("content, needle", [("in/missing.png\n", "line 1"),
                                             ("in/notes.txt\n", "must name an image"),
                                             ("# nothing\n", "at least one image")])
def test_bad_list_files_are_usage_errors(tmp_path: Path, tree: Path, content: str, needle: str):
    lst = tmp_path / "list.txt"
    lst.write_text(content)
    with pytest.raises(JobError, match=needle):
        collect_inputs(lst)


def test_missing_or_empty_inputs_are_usage_errors(tmp_path: Path):
    with pytest.raises(JobError, match="existing folder"):
        collect_inputs(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(JobError, match="holding images"):
        collect_inputs(tmp_path / "empty")
    with pytest.raises(JobError, match="folder or a text file"):
        collect_inputs(_img(tmp_path / "one.png"))


def test_seed_derivation_matches_its_formula_and_separates_everything():
    ref = int.from_bytes(hashlib.blake2b(b"7\0sub/a.png\x003", digest_size=8).digest(), "little") >> 1
    assert output_seed(7, "sub/a.png", 3) == ref
    seeds = {output_seed(s, r, k) for s in (0, 1) for r in ("a.png", "b.png", "x/a.png") for k in range(3)}
    assert len(seeds) == 18
    assert all(0 <= s < 2**63 for s in seeds)


def test_old_name_derive_seed_is_a_deprecated_alias_of_output_seed():
    from pixelgrad.io import dataset

    with pytest.warns(DeprecationWarning, match="output_seed"):
        assert dataset.derive_seed(7, "sub/a.png", 3) == output_seed(7, "sub/a.png", 3)
    assert "derive_seed" not in dataset.__all__


def test_plan_mirrors_tree_copies_and_seeds(tmp_path: Path, tree: Path):
    root, files = collect_inputs(tree)
    items = plan_outputs(root, files, tmp_path / "out", copies=2, seed=5)
    assert [it.out_rel for it in items[:4]] == ["a_0.jpg", "a_1.jpg", "b_0.png", "b_1.png"]
    assert items[4].dst == (tmp_path / "out" / "sub" / "c_0.tiff").absolute()
    assert all(it.seed == output_seed(5, it.rel, it.copy) for it in items)
    assert output_relpath("x/y.png", 0, 1) == "x/y.png"
    # planning with one copy keeps names; order of inputs does not change any seed
    one = plan_outputs(root, files[::-1], tmp_path / "out")
    assert {it.out_rel: it.seed for it in one} == {it.rel: output_seed(0, it.rel, 0) for it in one}


def test_copy_names_never_collide_and_copies_must_be_positive(tmp_path: Path):
    root = tmp_path / "in"
    for rel in ["a.png", "a_1.png", "a_1_0.png", "a.jpg"]:
        _img(root / rel)
    _, files = collect_inputs(root)
    outs = [it.out_rel for it in plan_outputs(root, files, tmp_path / "out", copies=3)]
    assert len(set(outs)) == len(outs) == 12
    with pytest.raises(JobError, match="copies"):
        plan_outputs(root, files, tmp_path / "out", copies=0)


@pytest.mark.parametrize("where", ["same", "inside", "deep"])
def test_out_equal_or_inside_in_is_refused_unless_overwrite(tree: Path, where: str):
    out = {"same": tree, "inside": tree / "aug", "deep": tree / "sub" / "aug"}[where]
    root, files = collect_inputs(tree)
    with pytest.raises(JobError, match="--overwrite"):
        plan_outputs(root, files, out)
    assert len(plan_outputs(root, files, out, overwrite=True)) == len(files)


def test_list_output_onto_an_input_is_refused(tmp_path: Path):
    a = _img(tmp_path / "data" / "a.png")
    lst = tmp_path / "list.txt"
    lst.write_text(f"{a}\n")
    root, files = collect_inputs(lst)
    # OUT is the parent of the root: the mirrored output is data/a.png's sibling, fine
    assert plan_outputs(root, files, tmp_path)[0].dst == tmp_path / "a.png"
    with pytest.raises(JobError):
        plan_outputs(root, files, tmp_path / "data")


def test_manifest_append_skips_truncated_lines(tmp_path: Path):
    path = tmp_path / "m.jsonl"
    with ManifestWriter(path) as m:
        m.write({"output": "a.png", "params": {"s": 1.5}})
        m.write({"output": "b.png", "params": {}})
    with open(path, "a") as fh:  # a crash in the middle of a line
        fh.write('{"output": "c.pn')
    assert set(read_manifest(path)) == {"a.png", "b.png"}
    with ManifestWriter(path, append=True) as m:
        m.write({"output": "c.png", "params": {}})
    recs = read_manifest(path)
    assert set(recs) == {"a.png", "b.png", "c.png"} and recs["a.png"]["params"] == {"s": 1.5}
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["output"] == "c.png"
    with pytest.raises(ValueError):  # NaN is not JSON
        ManifestWriter(tmp_path / "n.jsonl").write({"output": "x", "v": float("nan")})
