"""Per-image speed: one image per call, one thread, as in a DataLoader worker.

Every pixelgrad transform against the peers that have the same operation (albumentations,
kornia, torchvision.transforms.v2 when importable), on the input each library takes natively
and on pixelgrad's other inputs:

* ``hwc-u8``: a ``(H, W, 3)`` uint8 numpy array (albumentations' native input);
* ``chw-u8``: a ``(3, H, W)`` uint8 tensor (torchvision's);
* ``chw-f32``: a ``(3, H, W)`` float32 tensor in [0, 1] (kornia's).

Sizes 224x224 and 512x512 (``--sizes``). Each cell is the median over ``--rounds`` rounds of
the mean time of ``--calls`` calls on a fresh random-parameter draw each call (a random
natural-looking image: smoothed noise plus edges, fixed seed). The table prints microseconds
per image and, per row, pixelgrad's best input over the fastest peer (> 1: pixelgrad faster).

The *overhead* table times the same transforms on an 8x8 image, where the kernel costs
nothing: what is left is the per-call bookkeeping (validation, parameter draw, dispatch).

    python benchmarks/per_image.py [--sizes 224 512] [--calls 200] [--rounds 7] [--only blur]

Ranges are matched where the libraries allow it; where they cannot be matched (kornia's
Gaussian blur needs a fixed kernel size; albumentations' illumination draws an intensity
instead of a ramp), the row says what each library runs.
"""
from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from typing import Any, Callable, Optional

import numpy as np
import torch

import pixelgrad as pg
from pixelgrad import augment as PA

INPUTS = ("hwc-u8", "chw-u8", "chw-f32")


def image(size: int, kind: str) -> Any:
    """A natural-looking test image (smooth noise plus a few edges), in the ``kind`` layout."""
    rng = np.random.default_rng(0)
    base = rng.random((size // 8 + 2, size // 8 + 2, 3))
    import cv2

    im = cv2.resize(base, (size, size), interpolation=cv2.INTER_CUBIC)
    im[size // 3: size // 2, :, 0] += 0.4
    im[:, size // 4: size // 3, 1] -= 0.3
    im = np.clip(im, 0, 1)
    u8 = np.round(im * 255).astype(np.uint8)
    if kind == "hwc-u8":
        return np.ascontiguousarray(u8)
    t = torch.from_numpy(u8).permute(2, 0, 1).contiguous()
    return t if kind == "chw-u8" else t.float().div_(255)


def per_call(fn: Callable[[Any], Any], x: Any, calls: int, rounds: int) -> float:
    """Median over ``rounds`` of the mean seconds of ``calls`` calls of ``fn(x)``."""
    for _ in range(max(3, calls // 10)):
        fn(x)
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn(x)
        samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples)


# ----------------------------------------------------------------------------- the cases
# Each case: name, note, pixelgrad transform, {peer: (native input, callable)}
def _albu(t):
    return lambda x: t(image=x)["image"]


def _kornia(t):
    return lambda x: t(x)


def cases() -> list[tuple[str, str, Any, dict[str, tuple[str, Callable[[Any], Any]]]]]:
    out = []
    peers: dict[str, dict[str, Any]] = {}
    try:
        import albumentations as AL
        peers["albumentations"] = {
            "gauss": _albu(AL.GaussianBlur(blur_limit=0, sigma_limit=(0.1, 2.0), p=1.0)),
            "gauss2": _albu(AL.GaussianBlur(blur_limit=(5, 5), sigma_limit=(2.0, 2.0), p=1.0)),
            "box": _albu(AL.Blur(blur_limit=(5, 5), p=1.0)),
            "motion": _albu(AL.MotionBlur(blur_limit=(3, 15), p=1.0)),
            "linear": _albu(AL.Illumination(mode="linear", p=1.0)),
            "corner": _albu(AL.Illumination(mode="corner", p=1.0)),
            "gaussian": _albu(AL.Illumination(mode="gaussian", p=1.0)),
            "shear": _albu(AL.Affine(shear={"x": (-10, 10), "y": (0, 0)}, p=1.0)),
        }
    except ImportError:
        pass
    try:
        import kornia.augmentation as K
        peers["kornia"] = {
            "gauss": _kornia(K.RandomGaussianBlur(kernel_size=(9, 9), sigma=(0.1, 2.0), p=1.0, keepdim=True)),
            "gauss2": _kornia(K.RandomGaussianBlur(kernel_size=(5, 5), sigma=(2.0, 2.0), p=1.0, keepdim=True)),
            "box": _kornia(K.RandomBoxBlur(kernel_size=(5, 5), p=1.0, keepdim=True)),
            "motion": _kornia(K.RandomMotionBlur(kernel_size=(3, 15), angle=(-180.0, 180.0), direction=0.0,
                                                 p=1.0, keepdim=True)),
            "linear": _kornia(K.RandomLinearIllumination(p=1.0, keepdim=True)),
            "corner": _kornia(K.RandomLinearCornerIllumination(p=1.0, keepdim=True)),
            "gaussian": _kornia(K.RandomGaussianIllumination(p=1.0, keepdim=True)),
            "shear": _kornia(K.RandomAffine(degrees=0.0, shear=(-10.0, 10.0, 0.0, 0.0), p=1.0, keepdim=True)),
        }
    except ImportError:
        pass
    try:
        from torchvision.transforms import v2 as TV
        peers["torchvision"] = {
            "gauss": TV.GaussianBlur(kernel_size=9, sigma=(0.1, 2.0)),
            "gauss2": TV.GaussianBlur(kernel_size=5, sigma=(2.0, 2.0)),
            "shear": TV.RandomAffine(degrees=0.0, shear=(-10.0, 10.0, 0.0, 0.0)),
        }
    except ImportError:
        pass
    native = {"albumentations": "hwc-u8", "kornia": "chw-f32", "torchvision": "chw-u8"}
    shear = math.tan(math.radians(10))
    table = [
        ("gauss", "Gaussian blur, sigma ~ U(0.1, 2) (kornia, torchvision: 9x9 kernel)",
         PA.RandomGaussianBlur(sigma=(0.1, 2.0))),
        ("gauss2", "Gaussian blur, sigma 2, 5x5", PA.RandomGaussianBlur(sigma=(2.0, 2.0), kernel_size=5)),
        ("gauss_fixed", "Gaussian blur, sigma ~ U(0.1, 2), exact=False (uint8: OpenCV's fixed point)",
         PA.RandomGaussianBlur(sigma=(0.1, 2.0), exact=False)),
        ("box", "box blur 5x5", PA.RandomBoxBlur(size=(5, 5))),
        ("motion", "motion blur, length 3-15", PA.RandomMotionBlur(length=(3.0, 15.0))),
        ("linear", "planar illumination (seed 000's ramp)", PA.RandomGradient()),
        ("corner", "corner illumination", PA.RandomCornerGradient()),
        ("gaussian", "Gaussian spot illumination", PA.RandomGaussianSpot()),
        ("shear", "shear in x, +-10 degrees", PA.RandomShear(sx=(-shear, shear))),
        ("shear_fast", "shear in x, +-10 degrees, exact=False (cv2.warpAffine)",
         PA.RandomShear(sx=(-shear, shear), exact=False)),
    ]
    same_peer = {"gauss_fixed": "gauss", "shear_fast": "shear"}
    for key, note, ours in table:
        pk = same_peer.get(key, key)
        theirs = {lib: (native[lib], ops[pk]) for lib, ops in peers.items() if pk in ops}
        out.append((key, note, ours, theirs))
    return out


def run(sizes: list[int], calls: int, rounds: int, only: Optional[list[str]]) -> None:
    torch.set_num_threads(1)
    import cv2

    cv2.setNumThreads(1)
    print(f"# per-image benchmark ({platform.machine()}, torch {torch.__version__}, one thread, "
          f"median of {rounds} rounds x {calls} calls)\n")
    all_cases = [c for c in cases() if not only or c[0] in only]
    peers = sorted({lib for c in all_cases for lib in c[3]})
    for size in [*sizes, 8]:
        title = "per-call overhead (8x8 image)" if size == 8 else f"{size}x{size}"
        print(f"## {title}, microseconds per image\n")
        head = ["transform", *[f"pixelgrad {k}" for k in INPUTS], *peers, "pixelgrad / fastest peer"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        imgs = {k: image(size, k) for k in INPUTS}
        for key, note, ours, theirs in all_cases:
            mine = {k: per_call(ours, imgs[k], calls, rounds) for k in INPUTS}
            other = {}
            for lib, (kind, fn) in theirs.items():
                try:
                    other[lib] = per_call(fn, imgs[kind], calls, rounds)
                except Exception as exc:          # a peer that cannot run this input
                    print(f"<!-- {lib} {key}: {type(exc).__name__}: {exc} -->")
            best_peer = min(other.values()) if other else float("nan")
            ratio = best_peer / min(mine.values())
            cells = [note, *[f"{mine[k] * 1e6:.0f}" for k in INPUTS],
                     *[f"{other[lib] * 1e6:.0f} ({theirs[lib][0]})" if lib in other else "-" for lib in peers],
                     f"{ratio:.2f}x"]
            print("| " + " | ".join(cells) + " |", flush=True)
        print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[224, 512])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", nargs="+", default=None,
                    help="case keys: gauss gauss2 box motion linear corner gaussian shear")
    a = ap.parse_args()
    run(a.sizes, a.calls, a.rounds, a.only)


if __name__ == "__main__":
    main()
