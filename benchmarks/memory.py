"""Peak memory of each op, as a multiple of the decoded image (the budget in docs/scale.md).

Each measurement runs in a fresh interpreter: imports, an ``H x W`` RGB uint8 image (numpy,
as ``pixelgrad augment`` decodes it) and its ``(1, 3, H, W)`` tensor are made first, the
resident set size is read (``/proc/self/status`` VmRSS), the op runs once, and the peak
(``VmHWM``, reset through ``/proc/self/clear_refs`` after the setup; ``ru_maxrss`` where that
is not allowed, which then also counts the setup's own peak) minus that baseline is
reported, divided by the decoded size ``H * W * 3`` bytes. ``cli`` is the whole per-image path of the local engine: decode a PNG from disk,
``apply_pipeline`` (uint8 in, uint8 out) and encode, with the example pipeline at p = 1;
``cli: <transform>`` is that path with one transform alone at p = 1.

    python benchmarks/memory.py [--size 2048] [--ops gaussian,box,...]

Single-threaded (``OMP_NUM_THREADS=1``, as the engine runs ops). Peak RSS includes allocator
slack, so the numbers are upper bounds of what an op needs; they vary a little between runs.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap

OPS = {
    "gaussian_blur sigma=2": "pg.gaussian_blur(x, sigma=2.0)",
    "gaussian_blur sigma=20": "pg.gaussian_blur(x, sigma=20.0)",
    "gaussian_blur sigma=(2,8) angle=0.5": "pg.gaussian_blur(x, sigma=(2.0, 8.0), angle=0.5)",
    "box_blur size=15": "pg.box_blur(x, size=15)",
    "motion_blur length=15": "pg.motion_blur(x, length=15.0, angle=0.4)",
    "shear sx=0.2": "pg.shear(x, 0.2, 0.0)",
    "linear_gradient": "pg.linear_gradient(x, a=0.5, b=-0.3, alpha=0.1)",
    "corner_gradient": "pg.corner_gradient(x, 0, 0.1)",
    "radial_gradient": "pg.radial_gradient(x, alpha=0.3)",
    "gaussian_spot": "pg.gaussian_spot(x, alpha=0.2)",
    "cli (decode + example pipeline + encode)": "CLI",
    # the CLI path (decode, apply_pipeline, encode) with one transform at p = 1
    "cli: nothing applied (p = 0)": "CLI:{'type': 'RandomGradient', 'p': 0.0}",
    "cli: RandomGaussianBlur sigma=20": "CLI:{'type': 'RandomGaussianBlur', 'sigma': 20.0}",
    "cli: RandomShear sx=0.2": "CLI:{'type': 'RandomShear', 'sx': 0.2}",
    "cli: RandomMotionBlur length=15": "CLI:{'type': 'RandomMotionBlur', 'length': 15.0}",
    "cli: RandomGradient": "CLI:{'type': 'RandomGradient'}",
    "cli: RandomCornerGradient": "CLI:{'type': 'RandomCornerGradient'}",
    "cli: RandomRadialGradient": "CLI:{'type': 'RandomRadialGradient'}",
    "cli: RandomGaussianSpot": "CLI:{'type': 'RandomGaussianSpot'}",
}

_CHILD = """
import os, resource, sys, numpy as np, torch, cv2
torch.set_num_threads(1); cv2.setNumThreads(1)
import pixelgrad as pg
from pixelgrad.io.batch_apply import apply_pipeline
from pixelgrad.io.images import encode_image, read_image, write_image
import pixelgrad.augment as A
H = W = {size}
rng = np.random.default_rng(0)
img = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
x = torch.from_numpy(np.ascontiguousarray(np.moveaxis(img, -1, 0)))[None]
op = {op!r}
if op.startswith("CLI"):
    path = "/tmp/pixelgrad_mem_{pid}.png"
    write_image(path, img)
    if op == "CLI":
        pipe = A.load(os.path.join(os.path.dirname(pg.__file__), "data", "example_pipeline.yaml"))
    else:
        pipe = A.from_dict(eval(op[4:]))
    for t in pipe.modules():
        if hasattr(t, "p") and isinstance(getattr(t, "p"), float):
            t.p = 1.0
    del img
def rss():
    with open("/proc/self/status") as fh:
        return int(fh.read().split("VmRSS:")[1].split()[0]) * 1024
def hwm():
    with open("/proc/self/status") as fh:
        return int(fh.read().split("VmHWM:")[1].split()[0]) * 1024
try:                       # reset the peak so that the setup above (writing the PNG) is not counted
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    reset = True
except OSError:
    reset = False
base = rss()
peak0 = hwm() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if op.startswith("CLI"):
    im = read_image(path)
    out = apply_pipeline(pipe, [im], [1])[0]
    assert not isinstance(out, BaseException), out
    data = encode_image(out[0], ".png")
    os.unlink(path)
else:
    y = eval(op)
peak = hwm() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(peak - base)
"""


def measure(op: str, size: int) -> float:
    code = _CHILD.format(size=size, op=op, pid=os.getpid())
    env = dict(os.environ, OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         env=env, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    return int(res.stdout.strip().splitlines()[-1]) / (size * size * 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--ops", default="", help="comma-separated substrings: measure only the "
                    "ops whose name contains one of them")
    args = ap.parse_args()
    wanted = [w for w in args.ops.split(",") if w]
    rows = {}
    print(f"peak extra memory / decoded size, {args.size}x{args.size} RGB uint8 "
          f"({args.size * args.size * 3 / 2**20:.0f} MiB decoded), OMP_NUM_THREADS=1")
    for name, op in OPS.items():
        if wanted and not any(w in name for w in wanted):
            continue
        rows[name] = measure(op, args.size)
        print(f"  {name:45s} {rows[name]:6.1f} x")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"size": args.size, "ratio": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
