"""Throughput of `pixelgrad augment` on a folder: local engine vs Ray engine vs a plain
albumentations loop, all including PNG decoding and encoding.

    .venv/bin/python benchmarks/cli.py [--n 2000] [--size 256] [--workers 2] [--batch-size 16]
                                       [--skip-ray] [--workdir DIR]

Data: ``--n`` synthetic ``size x size`` RGB uint8 PNGs (smooth random fields plus noise, so PNG
compression is neither trivial nor worst-case), written once to ``--workdir``.
Pipelines (three transforms, all applied, p = 1), ``--pipeline``:
  illum (default, DESIGN.md's example)
    pixelgrad:      RandomGradient -> RandomGaussianBlur(sigma 0.5..2) -> RandomMotionBlur(length 3..9)
    albumentations: Lambda(the seed's numpy random gradient) -> GaussianBlur -> MotionBlur(3..9)
  blur
    pixelgrad:      RandomGaussianBlur(sigma 0.5..2) -> RandomBoxBlur(size 3..7) -> RandomGaussianBlur(sigma 0.3..0.8)
    albumentations: GaussianBlur(sigma_limit 0.5..2) -> Blur(blur_limit 3..7) -> GaussianBlur(0.3..0.8)
  shear
    pixelgrad:      RandomGaussianBlur(sigma 0.5..2) -> RandomMotionBlur(length 3..9) -> RandomShear(sx +-0.27)
    albumentations: GaussianBlur(sigma_limit 0.5..2) -> MotionBlur(blur_limit 3..9) -> Affine(shear x +-15 deg)
The albumentations loop is what a user writes: for each file, cv2.imread -> Compose -> cv2.imwrite.
pixelgrad runs in-process through the CLI entry point (`pixelgrad augment ... -q`); Ray is
timed twice: the whole command (starting a 2-CPU local Ray included) and the job alone on an
already started Ray. Prints a table of images/s and the ratio to albumentations.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def make_data(root: Path, n: int, size: int) -> Path:
    src = root / f"in_{n}_{size}"
    if src.is_dir() and len(list(src.rglob("*.png"))) == n:
        return src
    shutil.rmtree(src, ignore_errors=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        small = rng.uniform(0, 255, (size // 16, size // 16, 3)).astype(np.float32)
        img = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
        img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
        d = src / f"d{i // 500:02d}"
        d.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(d / f"img{i:05d}.png"), img)
    return src


def pixelgrad_config(path: Path, kind: str) -> Path:
    import pixelgrad.augment as A

    if kind == "illum":
        pipe = A.Compose([A.RandomGradient(p=1.0),
                          A.RandomGaussianBlur(p=1.0, sigma=(0.5, 2.0)),
                          A.RandomMotionBlur(p=1.0, length=(3.0, 9.0))])
    elif kind == "blur":
        pipe = A.Compose([A.RandomGaussianBlur(p=1.0, sigma=(0.5, 2.0)),
                          A.RandomBoxBlur(p=1.0, size=(3, 7)),
                          A.RandomGaussianBlur(p=1.0, sigma=(0.3, 0.8))])
    else:
        pipe = A.Compose([A.RandomGaussianBlur(p=1.0, sigma=(0.5, 2.0)),
                          A.RandomMotionBlur(p=1.0, length=(3.0, 9.0)),
                          A.RandomShear(p=1.0, sx=(-0.27, 0.27))])
    A.save(pipe, path)
    return path


def seed_gradient(image: np.ndarray, **_) -> np.ndarray:
    """The seed's augmentation, as a user writes it for albumentations (numpy, per image)."""
    h, w = image.shape[:2]
    x, y = np.meshgrid(np.linspace(0, 1, w), np.linspace(0, 1, h))
    grad = x * np.random.uniform(-1, 1) + y * np.random.uniform(-1, 1)
    alpha = np.random.uniform(0.05, 0.15)
    out = (1 - alpha) * image.astype(np.float32) + (alpha * 255.0 * grad)[..., None].astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def run_albumentations(src: Path, out: Path, kind: str) -> float:
    import albumentations as alb

    if kind == "illum":
        tf = alb.Compose([alb.Lambda(image=seed_gradient, p=1.0),
                          alb.GaussianBlur(sigma_limit=(0.5, 2.0), blur_limit=0, p=1.0),
                          alb.MotionBlur(blur_limit=(3, 9), p=1.0)])
    elif kind == "blur":
        tf = alb.Compose([alb.GaussianBlur(sigma_limit=(0.5, 2.0), blur_limit=0, p=1.0),
                          alb.Blur(blur_limit=(3, 7), p=1.0),
                          alb.GaussianBlur(sigma_limit=(0.3, 0.8), blur_limit=0, p=1.0)])
    else:
        tf = alb.Compose([alb.GaussianBlur(sigma_limit=(0.5, 2.0), blur_limit=0, p=1.0),
                          alb.MotionBlur(blur_limit=(3, 9), p=1.0),
                          alb.Affine(shear={"x": (-15, 15), "y": (0, 0)}, p=1.0)])
    files = sorted(src.rglob("*.png"))
    t0 = time.perf_counter()
    for f in files:
        img = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
        y = tf(image=img)["image"]
        dst = out / f.relative_to(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(dst), y)
    return time.perf_counter() - t0


def run_pixelgrad(src: Path, out: Path, cfg: Path, extra: list[str]) -> float:
    from pixelgrad.cli.main import main

    t0 = time.perf_counter()
    code = main(["augment", str(src), str(out), "-c", str(cfg), "-q", *extra])
    dt = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"pixelgrad augment exited with {code}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--pipeline", choices=("illum", "blur", "shear"), default="illum")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "pixelgrad-bench-cli"))
    args = ap.parse_args()

    import torch

    root = Path(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    src = make_data(root, args.n, args.size)
    print(f"data: {args.n} PNGs {args.size}x{args.size}x3 uint8 in {src} "
          f"(prepared in {time.perf_counter() - t0:.1f} s); {os.cpu_count()} CPUs, "
          f"torch {torch.__version__} threads {torch.get_num_threads()}, cv2 threads {cv2.getNumThreads()}")
    cfg = pixelgrad_config(root / f"pipeline_{args.pipeline}.yaml", args.pipeline)
    print(f"pipeline: {args.pipeline}; load average before: {os.getloadavg()[0]:.1f}")
    rows: list[tuple[str, float]] = []

    def fresh(name: str) -> Path:
        d = root / name
        shutil.rmtree(d, ignore_errors=True)
        return d

    rows.append(("albumentations loop (1 process)", run_albumentations(src, fresh("out_alb"), args.pipeline)))
    local_args = ["--workers", str(args.workers), "--batch-size", str(args.batch_size)]
    rows.append((f"pixelgrad local (workers {args.workers}, batch {args.batch_size})",
                 run_pixelgrad(src, fresh("out_local"), cfg, local_args)))
    if not args.skip_ray:
        import ray
        import ray.data

        rows.append(("pixelgrad --engine ray (incl. Ray start)",
                     run_pixelgrad(src, fresh("out_ray"), cfg, ["--engine", "ray", "--batch-size",
                                                                 str(args.batch_size)])))
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        rows.append(("pixelgrad --engine ray (Ray running)",
                     run_pixelgrad(src, fresh("out_ray2"), cfg, ["--engine", "ray", "--batch-size",
                                                                  str(args.batch_size)])))
        ray.shutdown()
        a = sorted((root / "out_local").rglob("*.png"))
        same = all(p.read_bytes() == (root / "out_ray2" / p.relative_to(root / "out_local")).read_bytes()
                   for p in a)
        print(f"ray outputs byte-identical to local: {same}")

    base = args.n / rows[0][1]
    print(f"\n| engine | seconds | images/s | vs albumentations |\n|---|---:|---:|---:|")
    for name, dt in rows:
        print(f"| {name} | {dt:.2f} | {args.n / dt:.1f} | {args.n / dt / base:.2f}x |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
