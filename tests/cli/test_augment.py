"""`pixelgrad augment` end to end: pixels against scipy, formats and bit depths, reproducibility,
failures, resume after an interruption, usage errors."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage

import pixelgrad.augment as A
from pixelgrad.cli.main import main
from pixelgrad.io.dataset import collect_inputs, output_seed, plan_outputs
from pixelgrad.io.images import read_image, write_image
from pixelgrad.io.jobs import run_local
from pixelgrad.io.manifest import read_manifest
from tests._hostile import _cfg, _img, _make_out_file, _one_error_line

RNG = np.random.default_rng(1234)


def _smooth(shape, dtype) -> np.ndarray:
    """Random but smooth-ish content (so JPEG/blur differences stay small)."""
    hi = 255 if dtype == np.uint8 else 65535
    base = RNG.uniform(0, 1, shape)
    base = ndimage.uniform_filter(base, size=(3, 3) + (1,) * (len(shape) - 2))
    return np.round(base * hi).astype(dtype)


def _write_cfg(path: Path, transform) -> Path:
    A.save(transform, path)
    return path


def _files(root: Path) -> dict[str, bytes]:
    """Every file of an output tree but the job record (hidden bookkeeping, tested apart)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".pixelgrad-job.json"}


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A tree with every format, bit depth and channel layout we support, two sizes."""
    root = tmp_path / "in"
    specs = {"rgb.png": ((20, 24, 3), np.uint8), "gray16.png": ((20, 24), np.uint16),
             "sub/rgb16.tiff": ((20, 24, 3), np.uint16), "sub/rgba.png": ((20, 24, 4), np.uint8),
             "sub/deep/gray.bmp": ((13, 17), np.uint8), "photo.jpg": ((13, 17, 3), np.uint8),
             "sub/w.webp": ((20, 24, 3), np.uint8), "gray8.png": ((20, 24), np.uint8)}
    for rel, (shape, dtype) in specs.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        write_image(root / rel, _smooth(shape, dtype))
    return root


def test_blur_pipeline_matches_scipy_for_every_format_and_depth(tmp_path: Path, mixed: Path, capsys):
    cfg = _write_cfg(tmp_path / "blur.yaml", A.Compose([A.RandomGaussianBlur(p=1.0, sigma=(0.6, 1.6))]))
    out = tmp_path / "out"
    code = main(["augment", str(mixed), str(out), "--config", str(cfg), "--seed", "3", "-q",
                 "--workers", "2", "--batch-size", "3"])
    assert code == 0
    assert "done 8, skipped 0, failed 0 of 8 outputs" in capsys.readouterr().out
    manifest = read_manifest(out / "manifest.jsonl")
    assert set(manifest) == {p.relative_to(mixed).as_posix() for p in mixed.rglob("*") if p.is_file()}
    lossless = 0
    for rel, rec in manifest.items():
        src, dst = read_image(mixed / rel), read_image(out / rel)
        assert (out / rel).suffix == (mixed / rel).suffix
        assert dst.dtype == src.dtype and dst.shape == src.shape, rel
        assert rec["input"] == rel and rec["seed"] == output_seed(3, rel, 0)
        sigma = rec["params"]["transforms"][0]["sigma"]
        assert 0.6 <= sigma <= 1.6
        hi = 255.0 if src.dtype == np.uint8 else 65535.0
        color = src if src.ndim == 2 else src[..., :3]
        sig = (sigma, sigma) + (0,) * (color.ndim - 2)
        # pixelgrad's "reflect" border is scipy's "mirror" (dcb|abcd|cba); truncate 4 as scipy
        ref = ndimage.gaussian_filter(color.astype(np.float64) / hi, sig, mode="mirror", truncate=4.0) * hi
        got = (dst if dst.ndim == 2 else dst[..., :3]).astype(np.float64)
        err = np.abs(got - ref)
        if rel.endswith((".jpg", ".webp")):  # lossy formats: only a loose check
            assert err.mean() < 0.03 * hi, rel
            continue
        lossless += 1
        # rounding + float32 computing (pixelgrad.gaussian_blur is within ~1e-5 of float64)
        assert err.max() <= 0.5 + 2e-5 * hi, (rel, err.max())
        assert np.abs(got - color).max() > 0  # something happened
        if rel.endswith("rgba.png"):
            np.testing.assert_array_equal(dst[..., 3], src[..., 3])  # alpha untouched
    assert lossless == 6
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]  # no temporary files left


def _example() -> A.Transform:
    return A.load(Path(A.__file__).parents[1] / "data" / "example_pipeline.yaml")


def test_same_seed_is_byte_identical_whatever_workers_batching_or_input_kind(tmp_path: Path, mixed: Path):
    cfg = _write_cfg(tmp_path / "ex.json", _example())
    runs = {}
    for name, extra, src in [("a", ["--workers", "1", "--batch-size", "1"], mixed),
                             ("b", ["--workers", "3", "--batch-size", "5"], mixed),
                             ("c", ["--workers", "2", "--batch-size", "64"], None)]:
        if src is None:  # the same files through a list file, listed in reverse order
            lst = tmp_path / "list.txt"
            lst.write_text("\n".join(str(p) for p in sorted(mixed.rglob("*.*"), reverse=True)))
            src = lst
        out = tmp_path / name
        assert main(["augment", str(src), str(out), "-c", str(cfg), "--copies", "2", "--seed", "9",
                     "-q", *extra]) == 0
        runs[name] = _files(out)
    manifests = {k: v.pop("manifest.jsonl") for k, v in runs.items()}
    assert len(runs["a"]) == 16 and runs["a"] == runs["b"] == runs["c"]
    recs = [sorted(manifests[k].decode().splitlines()) for k in "abc"]
    assert recs[0] == recs[1] == recs[2]
    # another seed changes the outputs
    assert main(["augment", str(mixed), str(tmp_path / "d"), "-c", str(cfg), "--copies", "2",
                 "--seed", "10", "-q"]) == 0
    other = _files(tmp_path / "d")
    assert sum(other[k] != v for k, v in runs["a"].items()) >= 8


def test_manifest_params_replay_to_the_written_outputs(tmp_path: Path, mixed: Path):
    pipe = A.Compose([A.RandomGradient(p=0.7), A.RandomBoxBlur(p=0.7, size=(3, 5)),
                      A.RandomShear(p=0.7, sx=(-0.2, 0.2))])
    cfg = _write_cfg(tmp_path / "p.yaml", pipe)
    out = tmp_path / "out"
    assert main(["augment", str(mixed), str(out), "-c", str(cfg), "--copies", "3", "-q"]) == 0
    applied = 0
    for rel, rec in read_manifest(out / "manifest.jsonl").items():
        if not rel.endswith(".png"):
            continue
        src = read_image(mixed / rec["input"])
        x = torch.from_numpy(src if src.ndim == 3 else src[..., None]).permute(2, 0, 1)[None]
        x = x[:, :3] if x.shape[1] == 4 else x
        if x.dtype == torch.uint16:
            x = x.float() / 65535
        params = A.Params.from_per_sample([rec["params"]])
        y = pipe(x, params=params)[0]
        if y.dtype.is_floating_point:
            y = (y.clamp(0, 1) * 65535).round().to(torch.int64)
        y = y.permute(1, 2, 0).numpy()
        dst = read_image(out / rel)
        dst = dst[..., None] if dst.ndim == 2 else dst[..., :3]
        diff = np.abs(dst.astype(np.int64) - y.astype(np.int64))
        if src.dtype == np.uint8:
            assert diff.max() == 0, rel
        else:
            # 16-bit: the run batched the 3 copies, the replay runs one image; box blur with
            # per-sample sizes differs by 1 float32 ulp between the two, which can move a
            # rounding by one 16-bit level (reported: functional box/motion blur batch invariance)
            assert diff.max() <= 1 and (diff > 0).mean() < 0.01, rel
        applied += sum(t["applied"] for t in rec["params"]["transforms"])
    assert applied > 10


def test_corrupt_and_unwritable_images_are_reported_and_skipped(tmp_path: Path, mixed: Path, capsys):
    (mixed / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not a png")
    (mixed / "empty.jpg").write_bytes(b"")
    out = tmp_path / "out"
    (out / "rgb.png").mkdir(parents=True)  # an output path we cannot write to
    cfg = _write_cfg(tmp_path / "b.yaml", A.RandomGaussianBlur(sigma=1.0))
    code = main(["augment", str(mixed), str(out), "-c", str(cfg), "-q"])
    io = capsys.readouterr()
    assert code == 1
    assert "failed 3 of 10" in io.out
    assert str(mixed / "broken.png") in io.err and "cannot decode" in io.err
    assert str(mixed / "empty.jpg") in io.err
    assert "cannot write" in io.err and str(out / "rgb.png") in io.err
    written = set(read_manifest(out / "manifest.jsonl"))
    assert written == {"gray16.png", "gray8.png", "photo.jpg", "sub/rgb16.tiff", "sub/rgba.png",
                       "sub/deep/gray.bmp", "sub/w.webp"}
    assert all((out / r).is_file() for r in written)
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]


class _Interrupting:
    """The real pipeline, interrupted (Ctrl-C) on the batch holding any of ``seeds`` (chunks
    run in parallel threads: picking the batch by seed, not by call count, keeps it exact)."""

    def __init__(self, pipe, seeds) -> None:
        self.pipe, self.seeds = pipe, set(seeds)

    def __call__(self, *a, generator=None, **k):
        if any(g.initial_seed() in self.seeds for g in generator):
            raise KeyboardInterrupt
        return self.pipe(*a, generator=generator, **k)


def test_interrupted_run_resumes_to_the_same_result(tmp_path: Path, mixed: Path, capsys):
    pipe = _example()
    cfg = _write_cfg(tmp_path / "ex.yaml", pipe)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    root, files = collect_inputs(mixed)
    items = plan_outputs(root, files, out, copies=3, seed=1)
    with pytest.raises(KeyboardInterrupt):  # on the third chunk of 4: two chunks are done
        run_local(items, _Interrupting(pipe, [it.seed for it in items[8:12]]), out, workers=2,
                  batch_size=4, progress=False)
    partial = read_manifest(out / "manifest.jsonl")
    assert sorted(partial) == sorted(it.out_rel for it in items[:8])
    # simulate a crash mid-line and a lost output: both must be redone
    with open(out / "manifest.jsonl", "a") as fh:
        fh.write('{"output": "rgb_2.pn')
    lost = sorted(partial)[0]
    (out / lost).unlink()
    assert main(["augment", str(mixed), str(out), "-c", str(cfg), "--copies", "3", "--seed", "1",
                 "--resume", "-q"]) == 0
    assert f"skipped {len(partial) - 1}," in capsys.readouterr().out
    assert main(["augment", str(mixed), str(fresh), "-c", str(cfg), "--copies", "3", "--seed", "1",
                 "-q"]) == 0
    a, b = _files(out), _files(fresh)
    ma, mb = read_manifest(out / "manifest.jsonl"), read_manifest(fresh / "manifest.jsonl")
    a.pop("manifest.jsonl"), b.pop("manifest.jsonl")
    assert a == b and len(a) == len(items)
    assert ma == mb
    # resuming a finished run does nothing
    assert main(["augment", str(mixed), str(out), "-c", str(cfg), "--copies", "3", "--seed", "1",
                 "--resume", "-q"]) == 0
    assert f"done 0, skipped {len(items)}, failed 0" in capsys.readouterr().out


def test_out_inside_in_needs_overwrite(tmp_path: Path, mixed: Path, capsys):
    cfg = _write_cfg(tmp_path / "b.yaml", A.RandomGaussianBlur(sigma=1.0))
    before = _files(mixed)
    for out in (mixed, mixed / "aug"):
        assert main(["augment", str(mixed), str(out), "-c", str(cfg), "-q"]) == 2
        assert "--overwrite" in capsys.readouterr().err
    assert _files(mixed) == before  # nothing touched
    assert main(["augment", str(mixed), str(mixed), "-c", str(cfg), "-q", "--overwrite"]) == 0
    after = _files(mixed)
    assert set(after) == set(before) | {"manifest.jsonl"}
    assert sum(after[k] != before[k] for k in before) == len(before)


@pytest.mark.parametrize("argv, needle", [
    (["IN", "OUT"], "--config"),
    (["IN", "OUT", "-c", "missing.yaml"], "existing .yaml/.json"),
    (["IN", "OUT", "-c", "CFG", "--copies", "0"], "--copies"),
    (["IN", "OUT", "-c", "CFG", "--workers", "0"], "--workers"),
    (["IN", "OUT", "-c", "CFG", "--device", "tpu9"], "--device"),
    (["IN", "OUT", "-c", "CFG", "--address", "auto"], "--engine ray"),
    (["nowhere", "OUT", "-c", "CFG"], "existing folder"),
    (["IN", "OUT", "-c", "BAD"], "valid pipeline"),
    (["IN"], "OUT"),
])
def test_bad_usage_exits_2(tmp_path: Path, mixed: Path, capsys, argv, needle):
    cfg = _write_cfg(tmp_path / "c.yaml", A.RandomGaussianBlur(sigma=1.0))
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: NoSuchTransform\n")
    subst = {"IN": str(mixed), "OUT": str(tmp_path / "out"), "CFG": str(cfg), "BAD": str(bad),
             "missing.yaml": str(tmp_path / "missing.yaml"), "nowhere": str(tmp_path / "nowhere")}
    assert main(["augment", *[subst.get(a, a) for a in argv], "-q"]) == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unavailable_cuda_device_is_bad_usage(tmp_path: Path, mixed: Path, capsys):
    cfg = _write_cfg(tmp_path / "c.yaml", A.RandomGaussianBlur(sigma=1.0))
    if torch.cuda.is_available():
        a, b = tmp_path / "cpu", tmp_path / "gpu"
        assert main(["augment", str(mixed), str(a), "-c", str(cfg), "-q"]) == 0
        assert main(["augment", str(mixed), str(b), "-c", str(cfg), "-q", "--device", "cuda"]) == 0
        assert read_manifest(a / "manifest.jsonl") == read_manifest(b / "manifest.jsonl")
    else:
        assert main(["augment", str(mixed), str(tmp_path / "o"), "-c", str(cfg), "--device", "cuda"]) == 2
        assert "no CUDA device" in capsys.readouterr().err


@pytest.mark.parametrize("device", ["meta", "xla", "cuda:99", "mps"])
def test_devices_the_pipeline_cannot_run_on_are_bad_usage(tmp_path: Path, mixed: Path, capsys, device):
    """Issue 22.4: `--device meta` was accepted, then every image failed."""
    if device == "mps" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        pytest.skip("this machine has an MPS device")
    if device == "cuda:99" and torch.cuda.device_count() > 99:
        pytest.skip("this machine has 100 CUDA devices")
    cfg = _write_cfg(tmp_path / "c.yaml", A.RandomGaussianBlur(sigma=1.0))
    assert main(["augment", str(mixed), str(tmp_path / "o"), "-c", str(cfg), "--device", device]) == 2
    line = _one_error_line(capsys, "--device", repr(device))
    assert "available" in line or "runs on" in line
    assert not (tmp_path / "o").exists()


def test_example_config_is_commented_and_loads(tmp_path: Path, capsys):
    assert main(["augment", "--example-config"]) == 0
    text = capsys.readouterr().out
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 5
    path = tmp_path / "ex.yaml"
    path.write_text(text)
    t = A.load(path)
    names = json.dumps(t.to_dict())
    for name in ("RandomGradient", "OneOf", "RandomGaussianBlur", "RandomMotionBlur", "RandomShear"):
        assert name in names
    assert A.from_dict(t.to_dict()).to_dict() == t.to_dict()


# ----------------------------------------------------------------------------- small things
def test_corrupt_file_message_printed_once_even_with_quiet(tmp_path, capsys):
    from PIL import Image

    from pixelgrad.cli.main import main

    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.zeros((8, 9, 3), np.uint8)).save(src / "ok.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot a png")
    cfg = tmp_path / "p.yaml"
    A.save(A.RandomGaussianBlur(sigma=1.0), cfg)
    for quiet in (["-q"], []):
        out = tmp_path / ("out" + "".join(quiet))
        code = main(["augment", str(src), str(out), "-c", str(cfg), "--workers", "1", *quiet])
        err = capsys.readouterr().err
        assert code == 1
        assert err.count(f"failed: {src / 'broken.png'}:") == 1, err


def test_float_tiff_keeps_its_range_through_an_illumination_pipeline(tmp_path, rng):
    img = rng.uniform(-498, 498, (24, 20, 3)).astype(np.float32)
    write_image(tmp_path / "in" / "f.tif", img)
    cfg = tmp_path / "p.yaml"
    A.save(A.Compose([A.RandomGradient(p=1.0, alpha=(0.05, 0.1)), A.RandomGaussianBlur(p=1.0, sigma=0.7)]), cfg)
    assert main(["augment", str(tmp_path / "in"), str(tmp_path / "out"), "-c", str(cfg), "-q"]) == 0
    out = read_image(tmp_path / "out" / "f.tif")
    assert out.dtype == np.float32 and out.shape == img.shape
    assert out.min() < -250 and out.max() > 250


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
