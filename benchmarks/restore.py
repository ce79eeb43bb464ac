"""Inpainting benchmark: pixelgrad.restore against the standard tools, in one run.

Images: the bundled sample (pixelgrad.io.sample_image(), converted to gray) and
scikit-image's ``camera``, both 512x512 float in [0, 1]; salt-and-pepper corruption of 50, 80,
90 and 95 % of the pixels (pixelgrad.restore.salt_and_pepper, seed 0, the tutorial's model).

Anchors: skimage.restoration.inpaint_biharmonic, cv2.inpaint TELEA and NS (radius 3, on the
uint8 image), scipy.interpolate.griddata linear and cubic (pixels outside the convex hull of
the known ones filled by nearest), and the tutorial's own loop as written (the ``autograd``
package, 500 iterations of a Python loop over rows; about 0.75 s per iteration at 512x512,
so by default it is timed over ``--autograd-iters`` iterations and its 500-iteration time
extrapolated linearly -- its result equals pixelgrad's ``method="tutorial"`` to 1e-4, which
is checked end to end at the tutorial's own size 128x128, 90 % missing, 500 iterations).

pixelgrad timings are the median of ``--repeat`` runs (after one warm-up); anchors run once.
Prints a markdown table and a summary of the targets. Usage:

    python benchmarks/restore.py [--fractions 0.5 0.8 0.9 0.95] [--repeat 3] [--device cpu]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import cv2
import numpy as np
import torch

import pixelgrad as pg
from pixelgrad.io import sample_image


def images() -> dict:
    from skimage import data

    astro = cv2.cvtColor(sample_image(), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    cam = data.camera().astype(np.float32) / 255.0
    return {"sample (astronaut)": astro, "camera": cam}


def corrupt(img: np.ndarray, frac: float):
    bad, known = pg.restore.salt_and_pepper(img, frac, torch.Generator().manual_seed(0))
    return bad, known


def timed(fn, repeat: int = 1, warmup: bool = False):
    if warmup:
        fn()
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def anchor_skimage(bad, known):
    from skimage.restoration import inpaint_biharmonic
    return inpaint_biharmonic(bad.astype(np.float64), ~known).astype(np.float32)


def anchor_cv2(bad, known, flag):
    u8 = np.clip(np.round(bad * 255), 0, 255).astype(np.uint8)
    out = cv2.inpaint(u8, (~known).astype(np.uint8), 3, flag)
    return out.astype(np.float32) / 255.0


def anchor_griddata(bad, known, method):
    from scipy.interpolate import griddata
    h, w = bad.shape
    yy, xx = np.nonzero(known)
    gy, gx = np.mgrid[:h, :w]
    out = griddata((yy, xx), bad[known], (gy, gx), method=method)
    holes = ~np.isfinite(out)
    if holes.any():
        out[holes] = griddata((yy, xx), bad[known], (gy[holes], gx[holes]), method="nearest")
    out = np.clip(out, 0, 1).astype(np.float32)
    out[known] = bad[known]
    return out


def err_func_autograd():
    import autograd.numpy as anp

    def err_func(x):
        score = 0
        for row in x:
            score += anp.linalg.norm(anp.diff(row)) + anp.linalg.norm(anp.diff(row[0:row.size:2])) + anp.linalg.norm(anp.diff(row[1:row.size:2]))
        for row in x.T:
            score += anp.linalg.norm(anp.diff(row)) + anp.linalg.norm(anp.diff(row[0:row.size:2])) + anp.linalg.norm(anp.diff(row[1:row.size:2]))
        return score
    return err_func


def tutorial_loop(normalized: np.ndarray, I: np.ndarray, iterations: int) -> np.ndarray:
    """The tutorial's loop, as written (autograd)."""
    from autograd import grad
    grad_error = grad(err_func_autograd())
    for w in range(iterations):
        L = max(1.5 / (w + 1), 0.015)
        g = grad_error(normalized)
        g[I] = 0
        normalized = normalized - L * g
        normalized[normalized < 0] = 0
        normalized[normalized > 1] = 1
    return normalized


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.5, 0.8, 0.9, 0.95])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--autograd-iters", type=int, default=20,
                    help="iterations of the autograd loop timed at 512x512 (500 = run it in full)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--skip-slow", action="store_true", help="skip skimage biharmonic and the autograd loop")
    args = ap.parse_args()
    try:
        import autograd  # noqa: F401
        have_autograd = True
    except ImportError:
        have_autograd = False
        print("note: `autograd` not installed (pip install autograd): the tutorial's loop is skipped")
    dev = torch.device(args.device)
    print(f"# pixelgrad.restore benchmark ({platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, device {dev})\n")
    rows, summary = [], []
    t_all = time.perf_counter()
    for name, img in images().items():
        for frac in args.fractions:
            bad, known = corrupt(img, frac)
            res = {}
            tb = torch.from_numpy(bad).to(dev)[None, None]
            tk = torch.from_numpy(known).to(dev)[None, None]
            for method in ("auto", "dct", "biharmonic", "tv", "tutorial"):
                def run(m=method):
                    r = pg.restore.inpaint(tb, tk, m)
                    if dev.type == "cuda":
                        torch.cuda.synchronize()
                    return r
                r, sec = timed(run, args.repeat if method in ("auto", "dct", "biharmonic") else 1, warmup=True)
                res[f"pixelgrad {method}"] = (r.image[0, 0].cpu().numpy(), sec)
            if not args.skip_slow:
                res["skimage biharmonic"] = timed(lambda: anchor_skimage(bad, known))
            res["cv2 TELEA r=3"] = timed(lambda: anchor_cv2(bad, known, cv2.INPAINT_TELEA))
            res["cv2 NS r=3"] = timed(lambda: anchor_cv2(bad, known, cv2.INPAINT_NS))
            res["griddata linear"] = timed(lambda: anchor_griddata(bad, known, "linear"))
            res["griddata cubic"] = timed(lambda: anchor_griddata(bad, known, "cubic"))
            if have_autograd and not args.skip_slow and (frac == 0.9 or args.autograd_iters >= 500):
                n_it = args.autograd_iters
                _, sec = timed(lambda: tutorial_loop(bad.copy(), known, n_it))
                est = sec * 500 / n_it
                tag = "tutorial loop (autograd)" + ("" if n_it >= 500 else f", time est. from {n_it} it")
                res[tag] = (res["pixelgrad tutorial"][0], est)
                summary.append(f"- {name} {frac:.0%}: tutorial loop (autograd) {est:.1f} s for 500 it"
                               f"{'' if n_it >= 500 else ' (extrapolated)'}; pixelgrad tutorial "
                               f"{res['pixelgrad tutorial'][1]:.3f} s: **{est / res['pixelgrad tutorial'][1]:.0f}x** faster")
            for method, (out, sec) in res.items():
                p = pg.restore.psnr(out, img)
                s = pg.restore.ssim(out, img)
                pu = pg.restore.psnr(out, img, mask=~known)
                rows.append((name, frac, method, p, pu, s, sec))
            anchors = {k: v for k, v in res.items() if not k.startswith("pixelgrad")}
            best = max(anchors, key=lambda k: pg.restore.psnr(anchors[k][0], img))
            margin = pg.restore.psnr(res["pixelgrad auto"][0], img) - pg.restore.psnr(anchors[best][0], img)
            summary.append(f"- {name} {frac:.0%}: auto - best anchor ({best}) = **{margin:+.2f} dB**; "
                           f"auto {res['pixelgrad auto'][1]:.2f} s")
            print(f"[{name} {frac:.0%} done, {time.perf_counter() - t_all:.0f} s]", flush=True)
    print("\n| image | missing | method | PSNR dB | PSNR unknown dB | SSIM | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, frac, method, p, pu, s, sec in rows:
        print(f"| {name} | {frac:.0%} | {method} | {p:.2f} | {pu:.2f} | {s:.4f} | {sec:.3f} |")
    print("\n## Targets\n" + "\n".join(summary))
    if have_autograd and not args.skip_slow:
        # end-to-end equivalence at the tutorial's own size (its image is downsampled by 4)
        img = next(iter(images().values()))[::4, ::4].copy()
        bad, known = corrupt(img, 0.9)
        ref, t_ref = timed(lambda: tutorial_loop(bad.copy(), known, 500))
        ours, t_ours = timed(lambda: pg.restore.inpaint(bad, known, "tutorial").image, 3, warmup=True)
        print(f"- tutorial size 128x128, 90%, 500 it: autograd loop {t_ref:.1f} s, pixelgrad tutorial "
              f"{t_ours:.3f} s (**{t_ref / t_ours:.0f}x**), max |difference| = {np.abs(ours - ref).max():.2e}")
    if torch.cuda.is_available():
        x = torch.rand(16, 1, 512, 512, device="cuda")
        bad, known = pg.restore.salt_and_pepper(x, 0.9, torch.Generator().manual_seed(0))
        pg.restore.inpaint(bad, known, "auto")
        torch.cuda.synchronize()
        t = time.perf_counter()
        pg.restore.inpaint(bad, known, "auto")
        torch.cuda.synchronize()
        print(f"- GPU batch 16x512x512, auto: {time.perf_counter() - t:.3f} s")
    print(f"\ntotal benchmark time {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
