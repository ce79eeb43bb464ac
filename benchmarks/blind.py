"""Blind deblurring benchmark: ``pixelgrad.restore.blind`` against the true-kernel deblur.

Images: scikit-image's camera, astronaut, coins, moon, chelsea, coffee, page and grass
(gray, float in [0, 1]). Blurs: camera-shake PSFs (``pg.kernels.camera_shake``, seeds 0-4,
sizes 11, 15, 21, 27, 31), Gaussian sigma 1.5 / 2.2 / 3 and motion (length, angle) =
(7, 0), (11, 30 deg), (15, -60 deg), (19, 80 deg). Real borders: a larger crop is blurred
by 'valid' convolution and the ``--size`` x ``--size`` centre kept (no circular wrap), then
white Gaussian noise 0.01 (seed 1) is added (not clipped).

Per case: PSNR of the blurry input, of the blind result (``estimate_kernel`` + the current
non-blind ``pg.restore.deblur(y, kernel=k)`` + the safety policy
``blind_deconvolve``: fall back to a milder kernel or the input when :func:`assess` fails)
and of the non-blind deblur with the true kernel; the error ratio
``MSE(blind) / MSE(true-kernel deblur)`` (Levin et al. 2009), success at ratio <= 3, and the
seconds of the kernel estimate (one torch thread). A second table fits the parametric
families (``family="gaussian"`` / ``"motion"``) to the Gaussian and motion cases.

    python benchmarks/blind.py [--quick] [--size 255] [--images camera coins] [--json out.json]

Timings on a shared machine are noisy: the load average is printed with them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import pixelgrad as pg
from pixelgrad.kernels import camera_shake, gaussian_kernel2d, motion_kernel2d
from pixelgrad.restore import blind

ALL = ("camera", "astronaut", "coins", "moon", "chelsea", "coffee", "page", "grass")
QUICK = ("camera", "coins", "page")
NOISE = 0.01


def load(name: str, size: int, margin: int) -> np.ndarray:
    """A gray ``(size + 2 margin)^2`` crop (centre of the image, or the largest that fits)."""
    from skimage import color, data

    im = getattr(data, name)()
    im = color.rgb2gray(im[..., :3]) if im.ndim == 3 else im / 255.0
    n = size + 2 * margin
    h, w = im.shape
    if h < n or w < n:          # small images (page: 191 rows) are upscaled to fit
        s = n / min(h, w)
        im = F.interpolate(torch.from_numpy(im)[None, None], scale_factor=s, mode="bilinear",
                           align_corners=False, antialias=False)[0, 0].numpy()
        h, w = im.shape
    y0, x0 = (h - n) // 2, (w - n) // 2
    return np.ascontiguousarray(im[y0:y0 + n, x0:x0 + n]).astype(np.float64)


def kernels(quick: bool) -> list:
    ks = []
    for seed, size in zip(range(5), (11, 15, 21, 27, 31)):
        ks.append((f"shake{size}/s{seed}", camera_shake(size, seed), None))
    for s in (1.5, 2.2, 3.0):
        ks.append((f"gauss {s}", gaussian_kernel2d(s, s), ("gaussian", {"sigma": s})))
    for length, deg in ((7.0, 0.0), (11.0, 30.0), (15.0, -60.0), (19.0, 80.0)):
        ks.append((f"motion {length:g}/{deg:g}", motion_kernel2d(length, math.radians(deg)),
                   ("motion", {"length": length, "angle": math.radians(deg)})))
    if quick:
        ks = [ks[i] for i in (1, 3, 4, 6, 9, 10)]
    return ks


def blur_valid(big: np.ndarray, k: torch.Tensor, size: int, gen: torch.Generator):
    """``(sharp, blurry)``: the ``size x size`` centre of ``big`` and its blur by 'valid'
    convolution (every blurry pixel sees real image data), plus white noise."""
    x = torch.from_numpy(big)
    r = k.shape[-1] // 2
    m = (big.shape[0] - size) // 2
    y = F.conv2d(x[None, None], k.flip(-1, -2)[None, None])[0, 0]   # convolution, valid
    y = y[m - r:m - r + size, m - r:m - r + size]
    y = y + NOISE * torch.randn(y.shape, generator=gen, dtype=torch.float64)
    return x[m:m + size, m:m + size], y


def psnr(a: torch.Tensor, ref: torch.Tensor) -> float:
    mse = float((a.clamp(0, 1) - ref).square().mean())
    return 10 * math.log10(1.0 / max(mse, 1e-20))


def deconvolve(y: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    return pg.restore.deblur(y.clamp(-0.1, 1.1), kernel=k).image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--size", type=int, default=255)
    ap.add_argument("--images", nargs="*")
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = args.images or (QUICK if args.quick else ALL)
    cases = kernels(args.quick)
    gen = torch.Generator().manual_seed(1)
    rows, prows = [], []
    print(f"# blind deblurring, {args.size}x{args.size} gray, noise {NOISE}, one torch thread; "
          f"load {os.getloadavg()[0]:.2f} at start\n")
    print("| image | blur | PSNR blurry | PSNR blind | PSNR true k | ratio | kernel NCC | conf | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        big = load(name, args.size, 20)
        for kname, k, fam in cases:
            x, y = blur_valid(big, k, args.size, gen)
            y4 = y[None, None]
            t0 = time.perf_counter()
            est = blind.estimate_kernel(y4)
            secs = time.perf_counter() - t0
            xt = deconvolve(y4, k)[0, 0]
            outs, _, a = blind_policy(y4, est)
            xb = outs[0][0, 0]
            raw = psnr(deconvolve(y4, est.kernel[0])[0, 0], x)
            pb, pbl, pt = psnr(y, x), psnr(xb, x), psnr(xt, x)
            ratio = 10 ** ((pt - pbl) / 10)
            ncc = blind._ncc_best_shift(est.kernel[0], k)
            rows.append(dict(image=name, blur=kname, blurry=pb, blind=pbl, true=pt, ratio=ratio, ncc=ncc,
                             raw=raw, conf=float(a.confidence[0]), gain=float(a.sparsity_gain[0]),
                             residual=float(a.residual[0]), seconds=secs))
            print(f"| {name} | {kname} | {pb:.2f} | {pbl:.2f} | {pt:.2f} | {ratio:.2f} | {ncc:.2f} | "
                  f"{float(a.confidence[0]):.2f} | {secs:.1f} |", flush=True)
            if fam is not None:
                t0 = time.perf_counter()
                pe = blind.estimate_kernel(y4, family=fam[0]).params[0]
                psecs = time.perf_counter() - t0
                prows.append((name, kname, fam, pe, psecs))
    n = len(rows)
    succ = sum(r["ratio"] <= 3 for r in rows)
    worst = min(r["blind"] - r["blurry"] for r in rows)
    print(f"\n**Summary** ({n} cases, load {os.getloadavg()[0]:.2f} at end): success (ratio <= 3) "
          f"{succ}/{n} ({100 * succ / n:.1f} %, target >= 90 %); cases more than 0.3 dB below the input "
          f"{sum(r['blind'] - r['blurry'] < -0.3 for r in rows)}; mean PSNR blurry {np.mean([r['blurry'] for r in rows]):.2f}, "
          f"blind {np.mean([r['blind'] for r in rows]):.2f}, true kernel {np.mean([r['true'] for r in rows]):.2f} dB; "
          f"worst blind - blurry {worst:+.2f} dB; median ratio {np.median([r['ratio'] for r in rows]):.2f}; "
          f"seconds per image (estimate) median {np.median([r['seconds'] for r in rows]):.1f}, "
          f"max {max(r['seconds'] for r in rows):.1f}")
    if prows:
        print("\n| image | blur | fitted | sigma err % | length err px | angle err deg | s |")
        print("|---|---|---|---|---|---|---|")
        errs: dict = {"sigma": [], "length": [], "angle": []}
        for name, kname, (fam, truth), pe, psecs in prows:
            if fam == "gaussian":
                e = 100 * (pe["sigma"] - truth["sigma"]) / truth["sigma"]
                errs["sigma"].append(abs(e))
                print(f"| {name} | {kname} | sigma {pe['sigma']:.3f} | {e:+.1f} | | | {psecs:.1f} |")
            else:
                el = pe["length"] - truth["length"]
                d = math.degrees(pe["angle"] - truth["angle"])
                ea = (d + 90) % 180 - 90
                errs["length"].append(abs(el))
                errs["angle"].append(abs(ea))
                print(f"| {name} | {kname} | {pe['length']:.2f} / {math.degrees(pe['angle']):.1f} deg | | "
                      f"{el:+.2f} | {ea:+.2f} | {psecs:.1f} |")
        print(f"\n**Parametric**: sigma error mean {np.mean(errs['sigma'] or [0]):.1f} % (max "
              f"{max(errs['sigma'] or [0]):.1f}, within 10 %: {sum(e <= 10 for e in errs['sigma'])}/"
              f"{len(errs['sigma'])}); length error mean {np.mean(errs['length'] or [0]):.2f} px (within 1 px: "
              f"{sum(e <= 1 for e in errs['length'])}/{len(errs['length'])}); angle error mean "
              f"{np.mean(errs['angle'] or [0]):.2f} deg (within 3: {sum(e <= 3 for e in errs['angle'])}/"
              f"{len(errs['angle'])})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=rows, parametric=[(a, b, c[1], d) for a, b, c, d, _ in prows]), f, indent=1)


def blind_policy(y4: torch.Tensor, est: "blind.KernelEstimate"):
    """:func:`blind.blind_deconvolve` with a precomputed estimate (the estimate is timed alone)."""
    return blind.blind_deconvolve(y4, deconvolve, estimate=est)


if __name__ == "__main__":
    main()
