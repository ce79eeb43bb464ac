"""Smoke test of experiments/robustness.py: a tiny configuration runs end to end into a tmp
folder and writes well-formed outputs. It never asserts which condition wins (that is the
experiment's result, not a requirement)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

EXP = Path(__file__).resolve().parents[2] / "experiments"
sys.path.insert(0, str(EXP))

import robustness  # noqa: E402
import robustness_data  # noqa: E402
import robustness_report  # noqa: E402
import robustness_shifts  # noqa: E402


def test_procedural_data_is_fixed_by_seed_and_balanced():
    x, y = robustness_data.make_split(40, 3, "train")
    assert x.shape == (40, 3, 64, 64) and x.dtype == torch.uint8 and y.dtype == torch.int64
    assert torch.bincount(y, minlength=8).tolist() == [5] * 8
    x2, y2 = robustness_data.make_split(40, 3, "train")
    assert torch.equal(x, x2) and torch.equal(y, y2)
    xt, _ = robustness_data.make_split(40, 3, "test")
    assert not torch.equal(xt, x)
    assert len({img.float().std().item() for img in x}) == 40       # all images differ


def test_shifts_keep_range_shape_and_grow_with_severity():
    x = robustness_data.make_split(16, 0, "test")[0].float() / 255
    for sh in robustness_shifts.SHIFTS:
        dist = []
        for lvl in range(len(sh.severities)):
            z = robustness_shifts.apply_shift(sh, x, lvl, 7)
            assert z.shape == x.shape and float(z.min()) >= 0 and float(z.max()) <= 1, sh.name
            assert torch.equal(z, robustness_shifts.apply_shift(sh, x, lvl, 7)), sh.name
            dist.append(float((z - x).abs().mean()))
        assert dist[0] > 0 and dist[-1] > dist[0], (sh.name, dist)


def test_tiny_run_writes_well_formed_outputs(tmp_path):
    out = tmp_path / "out"
    results = robustness.main(["--tiny", "--out", str(out), "--jobs", "1"])
    names = {p.name for p in out.iterdir()}
    assert {"robustness_results.json", "robustness_table.md", "robustness_illumination.png",
            "robustness_blur.png", "robustness_heldout.png", "robustness_examples.png"} <= names
    assert not any(n.startswith(".") or "partial" in n for n in names)      # no temp files left
    saved = json.loads((out / "robustness_results.json").read_text())
    assert saved == json.loads(json.dumps(results))
    conds = [c.name for c in robustness.CONDITIONS]
    assert sorted(r["condition"] for r in saved["runs"]) == sorted(conds)
    groups = {s["group"] for s in saved["shifts"].values()}
    assert groups == {"illumination", "blur", "held-out"}
    for r in saved["runs"]:
        assert 0 <= r["clean"] <= 1
        assert set(r["shifted"]) == set(saved["shifts"])
        for accs in r["shifted"].values():
            assert len(accs) == saved["config"]["severities"] and all(0 <= a <= 1 for a in accs)
    table = (out / "robustness_table.md").read_text()
    rows = [ln for ln in table.splitlines() if ln.startswith("| `")]
    assert len(rows) == 3 * len(conds) - 1       # summary, differences to `none`, per shift
    assert all(ln.count("|") == rows[0].count("|") for ln in rows[:len(conds)])
    for g in ("illumination", "blur", "heldout", "examples"):
        with Image.open(out / f"robustness_{g}.png") as im:
            assert im.format == "PNG" and im.size[0] > 300 and im.size[1] > 200
            assert np.asarray(im.convert("L")).std() > 5      # not a blank canvas


def test_report_statistics_and_doc_update(tmp_path):
    res = {"config": {"seeds": [0, 1], "n_test": 10, "n_train": 20, "epochs": 1, "severities": 1,
                      "mode": "test"},
           "conditions": {"a": {"label": "A"}, "b": {"label": "B"}},
           "shifts": {"s1": {"group": "blur", "label": "x", "severities": [1]},
                      "s2": {"group": "held-out", "label": "y", "severities": [2]}},
           "runs": [{"condition": "a", "seed": 0, "clean": 0.5, "shifted": {"s1": [0.2], "s2": [0.4]}},
                    {"condition": "a", "seed": 1, "clean": 0.7, "shifted": {"s1": [0.4], "s2": [0.6]}},
                    {"condition": "b", "seed": 0, "clean": 1.0, "shifted": {"s1": [1.0], "s2": [0.0]}},
                    {"condition": "b", "seed": 1, "clean": 1.0, "shifted": {"s1": [1.0], "s2": [0.0]}}]}
    S = robustness_report.summary(res)
    assert S["a"]["clean"] == pytest.approx((0.6, 0.1414213), rel=1e-5)
    assert S["a"]["all shifts"][0] == pytest.approx(0.4) and S["b"]["held-out"] == (0.0, 0.0)
    doc = tmp_path / "doc.md"
    doc.write_text(f"intro\n{robustness_report.BEGIN}\nold\n{robustness_report.END}\nafter\n")
    assert robustness_report.update_doc(doc, res, tmp_path)
    text = doc.read_text()
    assert text.startswith("intro\n") and text.endswith("after\n") and "old" not in text
    assert "| `a` | 60.0 ± 14.1 |" in text
    D = robustness_report.paired_differences(res, baseline="a")
    assert D["b"]["clean"] == pytest.approx((0.4, 0.1414213), rel=1e-5)    # 1.0-0.5, 1.0-0.7
    assert "b" in D and "a" not in D
    assert not robustness_report.update_doc(tmp_path / "missing.md", res, tmp_path)


def test_runs_are_deterministic_and_merge(tmp_path):
    a = robustness.main(["--tiny", "--out", str(tmp_path / "a"), "--jobs", "1",
                         "--conditions", "none", "gradient", "--seeds", "0", "1"])
    b = robustness.main(["--tiny", "--out", str(tmp_path / "b"), "--jobs", "1",
                         "--conditions", "gradient", "--seeds", "1"])
    again = [r for r in a["runs"] if (r["condition"], r["seed"]) == ("gradient", 1)][0]
    assert (b["runs"][0]["clean"], b["runs"][0]["shifted"]) == (again["clean"], again["shifted"])
    m = robustness.main(["--merge", str(tmp_path / "b" / "robustness_results.json"),
                         str(tmp_path / "a" / "robustness_results.json"), "--out", str(tmp_path / "m")])
    assert m["config"]["seeds"] == [0, 1] or m["config"]["seeds"] == (0, 1)
    assert [(r["condition"], r["seed"]) for r in m["runs"]] == [("none", 0), ("none", 1),
                                                                ("gradient", 0), ("gradient", 1)]
    assert (tmp_path / "m" / "robustness_table.md").read_text().count("| `") == 5
    bad = json.loads((tmp_path / "b" / "robustness_results.json").read_text())
    bad["runs"][0]["clean"] = -1.0
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="differs"):
        robustness.main(["--merge", str(tmp_path / "bad.json"),
                         str(tmp_path / "a" / "robustness_results.json"), "--out", str(tmp_path / "m2")])
