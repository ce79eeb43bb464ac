"""Saving and loading pipelines (augment._config): round trip, errors, bounds, YAML limits."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import pixelgrad.augment as A
from pixelgrad.cli.main import main
from pixelgrad.io.images import write_image
from tests._hostile import run_limited
from tests.augment._pipeline import full_pipeline


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_save_load_roundtrip(tmp_path, suffix):
    aug = full_pipeline()
    path = A.save(aug, tmp_path / f"aug{suffix}")
    loaded = A.load(path)
    assert loaded.to_dict() == aug.to_dict()
    x = torch.rand(6, 3, 16, 16)
    assert torch.equal(loaded(x, seed=11), aug(x, seed=11))
    d = json.loads(json.dumps(aug.to_dict()))
    assert d["type"] == "Compose" and d["transforms"][0] == {
        "type": "RandomGradient", "p": 0.7, "a": [-1.0, 1.0], "b": [-1.0, 1.0], "alpha": [0.05, 0.15],
        "mode": "blend", "offset": [0.0, 0.0], "angle": [-np.pi, np.pi], "strength": None,
        "colored": False, "clamp": True}
    assert A.from_dict({"type": "RandomGaussianBlur", "p": 0.5, "sigma": [0.1, 2.0]}).p == 0.5


def test_config_errors(tmp_path):
    with pytest.raises(ValueError, match="from_dict"):
        A.from_dict({"type": "NoSuchThing"})
    with pytest.raises(TypeError, match="RandomGradient"):
        A.from_dict({"type": "RandomGradient", "sigma": 1.0})
    with pytest.raises(ValueError, match="path"):
        A.save(A.RandomGradient(), tmp_path / "aug.txt")
    with pytest.raises(ValueError, match="alpha"):
        A.RandomGradient(alpha=(0.5, 2.0))
    with pytest.raises(ValueError, match="low <= high"):
        A.RandomGaussianBlur(sigma=(2.0, 1.0))
    with pytest.raises(ValueError, match="`p`"):
        A.RandomGradient(p=1.5)
    with pytest.raises(TypeError, match="transforms"):
        A.Compose([torch.nn.Identity()])


def test_save_writes_only_non_defaults_and_load_reads_both_forms(tmp_path):
    import json

    t = A.Compose([A.RandomGradient(p=0.5), A.RandomGaussianBlur(sigma=(0.5, 1.5)),
                   A.OneOf([A.RandomShear(), A.RandomBoxBlur(size=(3, 5))], p=0.3),
                   A.RandomApply([A.RandomMotionBlur()])])
    path = A.save(t, tmp_path / "a.json")
    d = json.loads(path.read_text())
    assert d["transforms"][0] == {"type": "RandomGradient", "p": 0.5}
    assert d["transforms"][1] == {"type": "RandomGaussianBlur", "sigma": [0.5, 1.5]}
    assert d["transforms"][2] == {"type": "OneOf", "p": 0.3, "transforms": [
        {"type": "RandomShear"}, {"type": "RandomBoxBlur", "size": [3.0, 5.0]}]}
    assert d["transforms"][3] == {"type": "RandomApply", "transforms": [{"type": "RandomMotionBlur"}]}
    assert A.load(path).to_dict() == t.to_dict()
    full = tmp_path / "full.json"
    full.write_text(json.dumps(t.to_dict()))                    # the full form still loads
    assert A.load(full).to_dict() == t.to_dict()
    y = A.save(t, tmp_path / "a.yaml").read_text()
    assert len(y.splitlines()) < 20 and A.load(tmp_path / "a.yaml").to_dict() == t.to_dict()


# ----------------------------------------------------------------------------- config load
@pytest.mark.parametrize("text,needle", [
    ("type: RandomGaussianBlur\nsigma: [0.1, 1.0e+300]\n", "sigma"),
    ("type: RandomGaussianBlur\nsigma: .nan\n", "sigma"),
    ("type: RandomMotionBlur\nlength: [3, 1.0e+5]\n", "length"),
    ("type: Compose\ntransforms:\n  - type: RandomShear\n    sx: [-1.0e+12, 0.1]\n", "transforms[0].sx"),
    ("type: RandomGaussianBlur\np: 7\n", "p"),
])
def test_absurd_parameters_are_refused_at_config_load(tmp_path, text, needle, capsys):
    cfg = tmp_path / "p.yaml"
    cfg.write_text(text)
    with pytest.raises(ValueError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        A.load(cfg)
    write_image(tmp_path / "in" / "a.png", np.zeros((4, 4), np.uint8))
    assert main(["augment", str(tmp_path / "in"), str(tmp_path / "out"), "-c", str(cfg), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(cfg) in err[0]


def test_yaml_alias_bomb_and_deep_nesting_are_refused_in_bounded_memory(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi"):
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    assert len(bomb) < 500
    (tmp_path / "bomb.yaml").write_text(bomb)
    (tmp_path / "deep.yaml").write_text("[" * 3000 + "]" * 3000)
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    res = run_limited(f"""
        from pixelgrad import augment as A
        for name in ("bomb.yaml", "deep.yaml", "deep.json"):
            try:
                A.load({str(tmp_path)!r} + "/" + name)
            except ValueError as exc:
                assert len(str(exc)) < 400, len(str(exc))
                print(name, "REFUSED", exc)
    """, budget_mb=256, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("REFUSED") == 3, res.stdout
