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


# ----------------------------------------------------------------------------- issue 22.4
@pytest.mark.parametrize("text,needle", [
    ("type: RandomGaussianBlur\nsigma: [999999, 1.0e+6]\nanisotropic: true\nangle: [0.1, 0.5]\n",
     "argument `sigma` must be small enough for a rotated kernel"),
    ("type: RandomGaussianBlur\nsigma: [1, 2]\nkernel_size: 99999\nanisotropic: true\nangle: [0.1, 0.5]\n",
     "argument `kernel_size` must be small enough for a rotated kernel"),
    ("type: Compose\ntransforms:\n  - type: OneOf\n    transforms:\n      - type: RandomGaussianBlur\n"
     "        sigma: [0.5, 3000]\n        anisotropic: true\n        angle: 0.3\n",
     "argument `sigma` must be small enough"),
])
def test_ranges_that_fail_on_images_are_refused_at_load(tmp_path, text, needle, capsys):
    """Issue 22.4: these loaded, then every (or some random) image failed at call time."""
    cfg = tmp_path / "p.yaml"
    cfg.write_text(text)
    with pytest.raises(ValueError, match=needle):
        A.load(cfg)
    write_image(tmp_path / "in" / "a.png", np.zeros((4, 4), np.uint8))
    assert main(["augment", str(tmp_path / "in"), str(tmp_path / "out"), "-c", str(cfg), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(cfg) in err[0] and needle in err[0]


@pytest.mark.parametrize("d", [
    {"type": "RandomGaussianBlur", "sigma": [999999, 1e6], "angle": [0.1, 0.5]},       # isotropic
    {"type": "RandomGaussianBlur", "sigma": [999999, 1e6], "anisotropic": True},        # separable
    {"type": "RandomGaussianBlur", "sigma": [999999, 1e6], "anisotropic": True, "angle": 1.5707963267948966},
    {"type": "RandomGaussianBlur", "sigma": [1e6, 1e6], "anisotropic": True, "angle": [0.1, 0.5]},
    {"type": "RandomGaussianBlur", "sigma": [1, 2], "kernel_size": 99999, "angle": [0.1, 0.5]},
    {"type": "RandomGaussianBlur", "sigma": [0.5, 2], "anisotropic": True, "angle": [0.1, 0.5]},
])
def test_ranges_at_their_limits_that_run_still_load(d):
    """The load-time check refuses only what the op refuses: these draw no rotated kernel
    over the limit, and run."""
    t = A.from_dict(d)
    assert A.from_dict(t.to_dict()).to_dict() == t.to_dict()
    assert t(torch.rand(2, 1, 9, 9), seed=0).shape == (2, 1, 9, 9)


def test_every_registered_transform_runs_at_the_extremes_its_config_accepts():
    """The class of issue 22.4: a range that loads must be callable at its extreme draws.
    Every numeric range of every registered leaf transform is set to the low bound, the
    high bound and both of PARAM_BOUNDS (or the default +-1e6) in turn, with the blur's
    anisotropic / rotated variants; whatever from_dict accepts must run on a small image."""
    from pixelgrad.augment._config import _CONTAINERS, _DEFAULT_BOUND, PARAM_BOUNDS, REGISTRY

    x = torch.rand(3, 2, 9, 11)
    ran = 0
    for name, cls in sorted(REGISTRY.items()):
        if name in _CONTAINERS:
            continue
        base = cls().to_dict()
        variants = [{}]
        if name == "RandomGaussianBlur":
            variants += [{"anisotropic": True}, {"anisotropic": True, "angle": [0.1, 0.5]}]
        for key, v in base.items():
            if not (isinstance(v, list) and len(v) == 2 and all(isinstance(u, (int, float)) for u in v)):
                continue
            lo, hi = PARAM_BOUNDS.get(key, (-_DEFAULT_BOUND, _DEFAULT_BOUND))
            for rng_ in ([lo, lo], [hi, hi], [lo, hi], [hi * (1 - 1e-6), hi]):
                for extra in variants:
                    try:
                        t = A.from_dict({**base, key: rng_, **extra})
                    except (ValueError, TypeError):
                        continue                       # refused at load: fine
                    y = t(x, seed=1)
                    assert y.shape == x.shape, (name, key, rng_, extra)
                    ran += 1
    assert ran > 50


@pytest.mark.parametrize("name,text,needle", [
    ("dup.yaml", "type: RandomGaussianBlur\nsigma: [0.5, 1.0]\np: 0.5\nsigma: [5, 9]\n",
     "'sigma' twice (.*dup.yaml, line 4; first at line 2)"),
    ("nested.yaml", "type: Compose\ntransforms:\n  - type: RandomShear\n    sx: 0.1\n    sx: 0.2\n",
     "'sx' twice (.*nested.yaml, line 5; first at line 4)"),
    ("dup.json", '{"type": "RandomGaussianBlur", "p": 0.5, "p": 1.0}', "'p' twice (.*dup.json)"),
    ("top.json", '{"type": "Compose", "transforms": [], "type": "RandomShear"}', "'type' twice"),
])
def test_duplicate_keys_are_refused_naming_key_and_line(tmp_path, name, text, needle, capsys):
    """Issue 22.4: YAML and JSON parsers keep the last of two equal keys, silently."""
    cfg = tmp_path / name
    cfg.write_text(text)
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        A.load(cfg)
    write_image(tmp_path / "in" / "a.png", np.zeros((4, 4), np.uint8))
    assert main(["augment", str(tmp_path / "in"), str(tmp_path / "out"), "-c", str(cfg), "-q"]) == 2
    assert "twice" in capsys.readouterr().err


def test_yaml_merge_keys_may_still_be_overridden(tmp_path):
    cfg = tmp_path / "merge.yaml"
    cfg.write_text("base: &b {type: RandomShear, sx: 0.1}\n"
                   "type: Compose\ntransforms:\n  - <<: *b\n    sx: 0.2\n")
    with pytest.raises(TypeError, match="Compose"):       # 'base' is no Compose argument
        A.load(cfg)
    cfg.write_text("type: Compose\ntransforms:\n  - &b {type: RandomShear, sx: 0.1}\n"
                   "  - <<: *b\n    sx: 0.2\n")
    assert A.load(cfg)[1].sx == (0.2, 0.2)
