"""Does gradient illumination (and blur) augmentation make a classifier robust? Measure it.

Trains a small CNN on procedural 64x64 shape images (:mod:`robustness_data`) under several
augmentation conditions (:data:`CONDITIONS`, pixelgrad pipelines), several seeds each, and
tests every model on clean images and on test-time shifts at increasing severity
(:mod:`robustness_shifts`), including shift types no training condition used. Writes
accuracy-vs-severity plots, a table and the raw numbers (:mod:`robustness_report`).

Usage::

    python experiments/robustness.py                 # full run: docs/img + docs/robustness.md
    python experiments/robustness.py --quick         # 1 seed, fewer epochs, ./robustness-out
    python experiments/robustness.py --out DIR --seeds 0 1 2 --jobs 2

Everything is on the CPU, one thread per training run (``--jobs`` runs in parallel). A run is
deterministic given its seed: the data splits come from ``--data-seed``, the model init, batch
order and augmentation draws from the run seed.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pixelgrad.augment as A  # noqa: E402
import robustness_data as data  # noqa: E402
import robustness_report as report  # noqa: E402
import robustness_shifts as shifts  # noqa: E402
from pixelgrad.augment._rng import derive_seed  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- conditions
class BrightnessContrast(A.Transform):
    """The control: a spatially *constant* photometric change. Per sample ``gain ~ U(gain)``,
    ``contrast ~ U(contrast)``; ``y = clamp(m' + contrast * (gain * x - m'))`` with ``m'`` the
    mean of ``gain * x`` over the image (torchvision's ColorJitter brightness + contrast)."""

    def __init__(self, p: float = 1.0, gain=(0.6, 1.4), contrast=(0.6, 1.4)):
        super().__init__(p)
        self.gain, self.contrast = tuple(gain), tuple(contrast)

    def sample(self, shape, rng):
        return {"gain": rng.uniform(*self.gain), "contrast": rng.uniform(*self.contrast)}

    def apply_params(self, x, **v):
        b = v["gain"].to(x.dtype)[:, None, None, None]
        c = v["contrast"].to(x.dtype)[:, None, None, None]
        y = x * b
        m = y.mean(dim=(1, 2, 3), keepdim=True)
        return (m + c * (y - m)).clamp(0, 1)

    def config(self):
        return {"p": self.p, "gain": list(self.gain), "contrast": list(self.contrast)}


def _illumination_family() -> A.Transform:
    return A.OneOf([A.RandomGradient(strength=(0.5, 1.0), alpha=(0.1, 0.5)),
                    A.RandomCornerGradient(alpha=(0.1, 0.5)),
                    A.RandomRadialGradient(),
                    A.RandomGaussianSpot(alpha=(0.1, 0.5))], p=0.8)


def _blur_family() -> A.Transform:
    return A.OneOf([A.RandomGaussianBlur(sigma=(0.3, 2.5)),
                    A.RandomBoxBlur(size=(3, 5)),
                    A.RandomMotionBlur(length=(3.0, 11.0))], p=0.8)


@dataclasses.dataclass(frozen=True)
class Condition:
    name: str
    label: str
    build: Callable[[], A.Transform | None]
    where: str = "batch"     # "batch": on the training batch; "workers": per sample in DataLoader workers


CONDITIONS = (
    Condition("none", "no augmentation", lambda: None),
    Condition("gradient", "RandomGradient() (the seed's)", lambda: A.RandomGradient()),
    Condition("gradient_workers", "RandomGradient(), per sample in 2 DataLoader workers",
              lambda: A.RandomGradient(), where="workers"),
    Condition("gradient_strong", "RandomGradient(strength=(0.5, 1), alpha=(0.1, 0.5))",
              lambda: A.RandomGradient(strength=(0.5, 1.0), alpha=(0.1, 0.5))),
    Condition("illumination", "illumination family (OneOf, p=0.8)", _illumination_family),
    Condition("blur", "blur family (OneOf, p=0.8)", _blur_family),
    Condition("illumination_blur", "illumination family + blur family",
              lambda: A.Compose([_illumination_family(), _blur_family()])),
    Condition("brightness_contrast", "control: global brightness/contrast jitter",
              lambda: BrightnessContrast()),
)


# ----------------------------------------------------------------------------- configuration
@dataclasses.dataclass
class Config:
    n_train: int = 3000
    n_test: int = 600
    epochs: int = 8
    batch_size: int = 64
    lr: float = 3e-3
    seeds: tuple = (0, 1, 2)
    data_seed: int = 0
    shift_seed: int = 1234
    width: int = 32
    conditions: tuple = tuple(c.name for c in CONDITIONS)
    severities: int = 4          # how many severity levels of each shift (1..4)
    mode: str = "full"

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


def quick_config() -> Config:
    return Config(n_train=1500, n_test=200, epochs=4, seeds=(0,), mode="quick")


def reduced_config() -> Config:
    """All conditions and seeds with fewer images and epochs (about half the full run's CPU
    time), for a machine too busy to run the full configuration in time."""
    return Config(n_train=2000, n_test=400, epochs=6, mode="reduced")


def tiny_config() -> Config:
    """For the smoke test only: seconds, not meaningful numbers."""
    return Config(n_train=96, n_test=48, epochs=1, batch_size=32, seeds=(0,), width=8, severities=2,
                  mode="tiny")


# ----------------------------------------------------------------------------- model
def make_model(width: int, n_classes: int) -> nn.Module:
    """A small CNN: conv 5x5 stride 2 (64 -> 32), conv, max-pool (-> 16), conv, max-pool
    (-> 8), conv, global max-pool, linear; batch norm and ReLU after every conv."""
    w = width

    def block(cin, cout, k=3, stride=1):
        return [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(*block(3, w // 2, 5, 2), *block(w // 2, w), nn.MaxPool2d(2),
                         *block(w, 2 * w), nn.MaxPool2d(2), *block(2 * w, 2 * w),
                         nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(2 * w, n_classes))


def _normalise(x: torch.Tensor) -> torch.Tensor:
    return (x - 0.5) / 0.25


# ----------------------------------------------------------------------------- training
class _AugmentedImages(torch.utils.data.Dataset):
    """Per-sample augmentation in DataLoader workers, reproducible and new every epoch:
    image ``i`` in epoch ``e`` draws from ``derive_seed(seed, i, e)`` (:class:`EpochSeeds`)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: A.Transform, seed: int):
        self.images, self.labels, self.t = images, labels, transform
        self.seeds = A.EpochSeeds(seed)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].float() / 255
        return self.t(x, generator=self.seeds.generators([i])), self.labels[i]


def _batches_on_batch(train, cfg: Config, seed: int, epoch: int, transform):
    x_all, y_all = train
    g = torch.Generator().manual_seed(derive_seed(seed, 2 * epoch))
    order = torch.randperm(len(y_all), generator=g)
    aug_gen = torch.Generator().manual_seed(derive_seed(seed, 2 * epoch + 1))
    for s in range(0, len(order) - cfg.batch_size + 1, cfg.batch_size):     # drop the last partial
        idx = order[s:s + cfg.batch_size]
        x = x_all[idx].float() / 255
        if transform is not None:
            x = transform(x, generator=aug_gen)
        yield x, y_all[idx]


def train_one(cond: Condition, seed: int, cfg: Config, train, test) -> dict[str, Any]:
    """Train one model, evaluate it clean and under every shift; returns the run record."""
    torch.set_num_threads(1)
    torch.manual_seed(derive_seed(seed, 10**6))
    model = make_model(cfg.width, len(data.CLASSES))
    transform = cond.build()
    steps = cfg.epochs * (len(train[1]) // cfg.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(steps, 1))
    loader = ds = None
    if cond.where == "workers":
        ds = _AugmentedImages(*train, transform, seed)
        loader = torch.utils.data.DataLoader(
            ds, batch_size=cfg.batch_size, shuffle=True, drop_last=True, num_workers=2,
            persistent_workers=True, generator=torch.Generator().manual_seed(derive_seed(seed, -1)))
    t0, c0 = time.perf_counter(), time.process_time()
    model.train()
    for epoch in range(cfg.epochs):
        if ds is not None:
            ds.seeds.set_epoch(epoch)                  # before iterating: workers read it
            batches = loader
        else:
            batches = _batches_on_batch(train, cfg, seed, epoch, transform)
        for x, y in batches:
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(_normalise(x)), y)
            loss.backward()
            opt.step()
            sched.step()
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    del loader
    t0, c0 = time.perf_counter(), time.process_time()
    result = evaluate(model, test, cfg)
    # CPU seconds of this (single-threaded) process: the wall time on an idle core; the
    # DataLoader workers' CPU time (condition gradient_workers) is not included
    return {"condition": cond.name, "seed": seed, "train_seconds": round(train_s, 2),
            "train_cpu_seconds": round(train_cpu, 2), "eval_seconds": round(time.perf_counter() - t0, 2),
            "eval_cpu_seconds": round(time.process_time() - c0, 2), "final_loss": float(loss.detach()),
            **result}


@torch.no_grad()
def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    correct = 0
    for s in range(0, len(y), 64):          # small batches: twice as fast as 400 on one thread
        correct += int((model(_normalise(x[s:s + 64])).argmax(1) == y[s:s + 64]).sum())
    return correct / max(len(y), 1)


def evaluate(model: nn.Module, test, cfg: Config) -> dict[str, Any]:
    model.eval()
    x = test[0].float() / 255
    y = test[1]
    out = {"clean": _accuracy(model, x, y), "shifted": {}}
    for sh in shifts.SHIFTS:
        out["shifted"][sh.name] = [_accuracy(model, shifts.apply_shift(sh, x, lvl, cfg.shift_seed), y)
                                   for lvl in range(cfg.severities)]
    return out


# ----------------------------------------------------------------------------- orchestration
_SHARED: dict[str, Any] = {}


def _job(args):
    cond_name, seed, cfg = args
    cond = next(c for c in CONDITIONS if c.name == cond_name)
    return train_one(cond, seed, cfg, _SHARED["train"], _SHARED["test"])


def run(cfg: Config, jobs: int, out: Path, log=print) -> dict[str, Any]:
    t0 = time.perf_counter()
    train, test = data.make_data(cfg.n_train, cfg.n_test, cfg.data_seed)
    log(f"data: {cfg.n_train} train / {cfg.n_test} test images, {len(data.CLASSES)} classes "
        f"({time.perf_counter() - t0:.1f} s)")
    _SHARED.update(train=train, test=test)
    todo = [(c, s, cfg) for s in cfg.seeds for c in cfg.conditions]
    results = {"config": cfg.as_json(), "torch": torch.__version__, "jobs": jobs,
               "conditions": {c.name: {"label": c.label, "where": c.where,
                                       "pipeline": None if c.build() is None else c.build().to_dict()}
                              for c in CONDITIONS if c.name in cfg.conditions},
               "shifts": {s.name: {"group": s.group, "label": s.label,
                                   "severities": list(s.severities[:cfg.severities])} for s in shifts.SHIFTS},
               "classes": list(data.CLASSES), "runs": []}
    out.mkdir(parents=True, exist_ok=True)
    partial = out / "robustness_results.partial.json"

    def record(r):
        results["runs"].append(r)
        log(f"  {r['condition']:<20} seed {r['seed']}: clean {r['clean']:.3f}  "
            f"train {r['train_seconds']:.0f} s ({r['train_cpu_seconds']:.0f} s CPU)  "
            f"eval {r['eval_seconds']:.0f} s ({r['eval_cpu_seconds']:.0f} s CPU)  "
            f"[{len(results['runs'])}/{len(todo)}, {time.perf_counter() - t0:.0f} s]")
        report.write_json(partial, results)

    if jobs <= 1:
        for j in todo:
            record(_job(j))
    else:
        import multiprocessing as mp
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as ex:
            for r in ex.map(_job, todo):
                record(r)
    results["runs"].sort(key=lambda r: (cfg.conditions.index(r["condition"]), r["seed"]))
    results["wall_seconds"] = round(time.perf_counter() - t0, 1)
    report.write_all(results, out, examples(test, cfg))
    partial.unlink(missing_ok=True)
    return results


def examples(test, cfg: Config, n: int = 8):
    """The first test image of each class, clean and under every shift at its highest severity."""
    x, y = test
    first = [int((y == k).nonzero()[0]) for k in range(len(data.CLASSES)) if bool((y == k).any())][:n]
    imgs = x[first].float() / 255
    top = cfg.severities - 1
    rows = [(f"{sh.name}\n{sh.severities[top]:g}", shifts.apply_shift(sh, imgs, top, cfg.shift_seed))
            for sh in shifts.SHIFTS]
    return imgs, y[first], data.CLASSES, rows


def merge(paths: list[Path], out: Path, log=print) -> dict[str, Any]:
    """Combine the runs of several result files (final or ``.partial.json``) of one
    configuration, e.g. seeds run as separate invocations, and write the outputs.

    The configurations must agree on everything but ``seeds``, ``conditions`` and ``mode``. A
    (condition, seed) run present twice must have the same accuracies (runs are deterministic
    on one machine), else ValueError.
    """
    parts = [json.loads(Path(p).read_text()) for p in paths]
    free = {"seeds", "conditions", "mode"}
    base = {k: v for k, v in parts[0]["config"].items() if k not in free}
    runs: dict[tuple, dict] = {}
    for path, part in zip(paths, parts):
        cfg = {k: v for k, v in part["config"].items() if k not in free}
        if cfg != base:
            raise ValueError(f"--merge: {path} has another configuration: {cfg} != {base}")
        for r in part["runs"]:
            key = (r["condition"], r["seed"])
            if key in runs and (runs[key]["clean"], runs[key]["shifted"]) != (r["clean"], r["shifted"]):
                raise ValueError(f"--merge: run {key} differs between files")
            runs.setdefault(key, r)
    order = [c.name for c in CONDITIONS]
    cfg = Config(**{**base, "seeds": tuple(sorted({s for _, s in runs})),
                    "conditions": tuple(c for c in order if any(k[0] == c for k in runs))})
    cfg.mode = "custom"
    for preset in (Config(), reduced_config()):
        if {**dataclasses.asdict(cfg), "mode": preset.mode} == dataclasses.asdict(preset):
            cfg.mode = preset.mode
    results = {**parts[0], "config": cfg.as_json(), "merged_from": [str(p) for p in paths],
               "runs": sorted(runs.values(), key=lambda r: (order.index(r["condition"]), r["seed"]))}
    results["conditions"] = {c: v for p in parts for c, v in p["conditions"].items()}
    results["conditions"] = {c: results["conditions"][c] for c in cfg.conditions}
    results.pop("wall_seconds", None)
    missing = [(c, s) for c in cfg.conditions for s in cfg.seeds if (c, s) not in runs]
    if missing:
        raise ValueError(f"--merge: missing runs (condition, seed): {missing}")
    test = data.make_split(cfg.n_test, cfg.data_seed, "test")
    report.write_all(results, out, examples(test, cfg))
    log(f"merged {len(runs)} runs from {len(paths)} files ({cfg.mode} configuration)")
    return results


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="1 seed, 1500 training images, 4 epochs (under 2 min)")
    p.add_argument("--reduced", action="store_true",
                   help="all conditions and seeds, 2000 training images, 6 epochs, 400 test "
                        "images (about half the full CPU time)")
    p.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)   # smoke test only
    p.add_argument("--out", type=Path, default=None,
                   help="folder for plots, table and raw results (default: docs/img and "
                        "docs/robustness.md; otherwise ./robustness-out)")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="run seeds (default 0 1 2)")
    p.add_argument("--data-seed", type=int, default=None, help="seed of the train/test images (default 0)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--n-train", type=int, default=None)
    p.add_argument("--n-test", type=int, default=None)
    p.add_argument("--conditions", nargs="+", default=None, choices=[c.name for c in CONDITIONS])
    p.add_argument("--merge", type=Path, nargs="+", default=None, metavar="JSON",
                   help="instead of training: combine result files of one configuration "
                        "(e.g. seeds run separately) and write the outputs")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                   help="training runs in parallel (one thread each)")
    return p.parse_args(argv)


def _into_doc(results: dict[str, Any], out: Path) -> None:
    """Put the table into docs/robustness.md; the separate table file is then redundant (and
    docs/img must hold no Markdown page outside the site's navigation)."""
    if report.update_doc(REPO / "docs" / "robustness.md", results, out):
        (out / "robustness_table.md").unlink(missing_ok=True)


def main(argv=None) -> dict[str, Any]:
    a = parse_args(argv)
    cfg = (tiny_config() if a.tiny else quick_config() if a.quick else reduced_config() if a.reduced
           else Config())
    for field, value in (("seeds", a.seeds), ("data_seed", a.data_seed), ("epochs", a.epochs),
                         ("n_train", a.n_train), ("n_test", a.n_test), ("conditions", a.conditions)):
        if value is not None:
            setattr(cfg, field, tuple(value) if isinstance(value, list) else value)
            if cfg.mode == "full":
                cfg.mode = "custom"
    torch.set_num_threads(1)
    if a.merge:
        out = a.out if a.out is not None else REPO / "docs" / "img"
        results = merge(a.merge, out)
        docs = a.out is None and results["config"]["mode"] in ("full", "reduced")
        if docs:
            _into_doc(results, out)
        print(f"wrote {out}")
        return results
    docs = a.out is None and cfg.mode == "full"
    out = a.out if a.out is not None else (REPO / "docs" / "img" if docs else Path("robustness-out"))
    results = run(cfg, a.jobs, out)
    if docs:
        _into_doc(results, out)
    print(f"wrote {out} ({results['wall_seconds']:.0f} s)")
    return results


if __name__ == "__main__":
    main()
