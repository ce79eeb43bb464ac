"""Random blur transforms on small batches: ``method="auto"`` (which resolves to ``direct`` up
to ``SMALL_SIDE`` pixels a side) vs the functional ops' per-sample choice and fixed methods.

The case of issue 12: a float32 batch 64x3x64x64 with a per-sample sigma ~ U(0.1, 2.0); also
other sizes and sigma ranges, and box / motion blur. Prints a markdown table of median
milliseconds per call (one thread) and the ratio to ``direct``. Timings on a shared machine
are noisy: repeat, and compare ratios rather than absolute numbers.

Run: python benchmarks/augment_blur.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import bench, fmt_ms  # noqa: E402

import pixelgrad as pg  # noqa: E402
from pixelgrad.augment.blur import SMALL_SIDE  # noqa: E402


def gaussian_cases(quick: bool):
    sides = (64,) if quick else (32, 64, 128, 256)
    ranges = ((0.1, 2.0),) if quick else ((0.1, 2.0), (0.5, 5.0), (2.0, 10.0))
    for n in sides:
        B = max(4, 64 * 64 * 64 // (n * n))
        for lo, hi in ranges:
            yield f"gaussian {B}x3x{n}x{n} sigma U{lo, hi}", torch.rand(B, 3, n, n), \
                lambda x, m, lo=lo, hi=hi: pg.gaussian_blur(
                    x, lo + (hi - lo) * torch.rand(x.shape[0], dtype=torch.float64,
                                                   generator=torch.Generator().manual_seed(0)), method=m)


def other_cases(quick: bool):
    g = torch.Generator().manual_seed(0)
    sides = (64,) if quick else (64, 128)
    for n in sides:
        x = torch.rand(64, 3, n, n)
        size = 3 + 2 * torch.randint(0, 3, (64,), generator=g)
        length = 3 + 12 * torch.rand(64, dtype=torch.float64, generator=g)
        angle = torch.pi * (2 * torch.rand(64, dtype=torch.float64, generator=g) - 1)
        yield f"box 64x3x{n}x{n} size 3-7", x, lambda x, m, s=size: pg.box_blur(x, s, method=m)
        yield f"motion 64x3x{n}x{n} length U(3, 15)", x, \
            lambda x, m, L=length, a=angle: pg.motion_blur(x, L, a, method=m)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    print(f"SMALL_SIDE = {SMALL_SIDE}; median ms per call, 1 thread\n")
    print("| case | functional auto | direct | auto / direct (range over rounds) | transform auto resolves to |")
    print("|---|---|---|---|---|")
    rounds = 3 if a.quick else 7
    for name, x, fn in [*gaussian_cases(a.quick), *other_cases(a.quick)]:
        # interleave the two methods round by round, so that a load spike on a shared machine
        # hits both; report medians and the median of the per-round ratios
        t_auto, t_direct, ratio = [], [], []
        for _ in range(rounds):
            ta = bench(lambda: fn(x, "auto"), repeat=3)
            td = bench(lambda: fn(x, "direct"), repeat=3)
            t_auto.append(ta)
            t_direct.append(td)
            ratio.append(ta / td)
        resolved = pg.augment.blur.resolve_method("auto", x.shape)
        print(f"| {name} | {fmt_ms(statistics.median(t_auto))} | {fmt_ms(statistics.median(t_direct))} | "
              f"{statistics.median(ratio):.2f} ({min(ratio):.2f}-{max(ratio):.2f}) | {resolved} |")

if __name__ == "__main__":
    main()
