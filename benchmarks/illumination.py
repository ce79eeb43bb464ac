"""Benchmark: random gradient illumination, pixelgrad vs kornia (and the seed's numpy code).

Reference case: a 32x3x224x224 float32 batch on the CPU, every sample augmented (p=1),
against ``x.clone()`` (one pass reading x and writing a new batch: the memory floor). The
target (RandomGradient <= 1.5x copy) is measured with the two calls interleaved, so drift in
a shared machine's load hits both alike, in this thread's CPU time (``time.thread_time``)
and in wall time; ``--pieces`` also times the parts of the CPU path. Also: one 512x512x3
uint8 image, and on CUDA (when present) a 256x3x224x224 batch with the device-to-device copy
roofline. Prints median times and ratios.

CPU path: with ``numba`` installed (the ``numba`` / ``dev`` extras) the mixer is one fused
loop (:mod:`pixelgrad.backends.cpu_fused`); ``--no-numba`` measures the torch block path
instead. The first line says which one ran.

    .venv/bin/python benchmarks/illumination.py [--repeat 20] [--threads N] [--pieces] [--no-numba]
        [--default-malloc]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import pixelgrad as pg


def timeit(f, repeat: int, sync=None, clock=time.perf_counter) -> float:
    for _ in range(3):
        f()
    ts = []
    for _ in range(repeat):
        if sync:
            sync()
        t0 = clock()
        f()
        if sync:
            sync()
        ts.append(clock() - t0)
    return statistics.median(ts) * 1e3


def interleaved(fs: dict, repeat: int) -> dict:
    """``{name: (median thread-CPU ms, median wall ms)}``, the calls of ``fs`` taken in turn
    ``repeat`` times (after three warm-up rounds)."""
    for _ in range(3):
        for f in fs.values():
            f()
    cpu: dict = {k: [] for k in fs}
    wall: dict = {k: [] for k in fs}
    for _ in range(repeat):
        for k, f in fs.items():
            w0, c0 = time.perf_counter(), time.thread_time()
            f()
            cpu[k].append(time.thread_time() - c0)
            wall[k].append(time.perf_counter() - w0)
    return {k: (statistics.median(cpu[k]) * 1e3, statistics.median(wall[k]) * 1e3) for k in fs}


def pieces(x: torch.Tensor, repeat: int) -> None:
    """Where the CPU time of the reference case goes: the fixed per-call cost (the same call
    on a 32x3x2x2 batch), then the torch backend's block mixer alone
    (pixelgrad.backends.field_torch._mix_cpu; numba is its own backend now) with and without
    its clamp and its per-block input check."""
    from pixelgrad.backends import field_torch as il

    B, C, H, W = x.shape
    g = torch.Generator().manual_seed(1)
    alpha = torch.rand(B, generator=g, dtype=torch.float64) * 0.1 + 0.05
    a = torch.rand(B, generator=g, dtype=torch.float64) * 2 - 1
    b = torch.rand(B, generator=g, dtype=torch.float64) * 2 - 1
    u = torch.linspace(0, 1, W, dtype=torch.float64).float()
    v = torch.linspace(0, 1, H, dtype=torch.float64).float()
    row = ((alpha * a).float()[:, None] * u)[:, None, None, :]
    col = ((alpha * b).float()[:, None] * v)[:, None, :, None]
    field = (row, col)
    tiny = torch.rand(B, C, 2, 2)
    t = pg.augment.RandomGradient(p=1.0)
    gen = torch.Generator().manual_seed(0)
    res = interleaved({
        "x.clone()": lambda: x.clone(),
        "RandomGradient (all of it)": lambda: t(x, generator=gen),
        "  fixed cost: RandomGradient on 32x3x2x2": lambda: t(tiny, generator=gen),
        "  fixed cost: linear_gradient on 32x3x2x2": lambda: pg.linear_gradient(tiny, a, b, alpha),
        "  mixer: field + blend": lambda: il._mix_cpu(x, field, alpha, "blend", False),
        "  mixer: field + blend + clamp": lambda: il._mix_cpu(x, field, alpha, "blend", True, (0.0, 1.0)),
        "  mixer: field + blend + check": lambda: il._mix_cpu(x, field, alpha, "blend", False, check=lambda t: None),
        "  mixer: field + blend + check + clamp": lambda: il._mix_cpu(x, field, alpha, "blend", True),
        "  torch.aminmax(x) (one read pass)": lambda: torch.aminmax(x),
    }, repeat)
    w = max(map(len, res))
    copy_cpu = res["x.clone()"][0]
    print(f"\nwhere the time goes (32x3x224x224 f32, interleaved, medians of {repeat}):")
    print(f"{'what':<{w}}  {'CPU ms':>7} {'wall ms':>8} {'CPU / copy':>10}")
    for k, (c, wl) in res.items():
        print(f"{k:<{w}}  {c:>7.2f} {wl:>8.2f} {c / copy_cpu:>9.2f}x")


def seed_numpy(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The seed's code (make_random_gradient + per-channel convex blend), one HWC image."""
    H, W = img.shape[:2]
    u, v = np.meshgrid(np.linspace(0, 1, W), np.linspace(0, 1, H))
    grad = u * rng.uniform(-1, 1) + v * rng.uniform(-1, 1)
    alpha = rng.uniform(0.05, 0.15)
    out = img.copy()
    for i in range(img.shape[2]):
        out[:, :, i] = (1 - alpha) * out[:, :, i] + alpha * grad
    return out


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory for reuse (``mallopt``), for the copy and pixelgrad alike.

    By default a freed 19 MB batch may go back to the OS (trimmed, or mmapped) and the next
    allocation page-faults it in again: one call in several then costs 3-7x more, whichever
    function it is, which swamps the comparison on this VM. Steady-state training loops reuse
    their memory; so does this benchmark with this setting (``--default-malloc`` to see the
    other regime). Returns whether the setting was applied (glibc only)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--pieces", action="store_true", help="also time the parts of the CPU path")
    ap.add_argument("--no-numba", action="store_true", help="the torch block path, not the fused loop")
    ap.add_argument("--default-malloc", action="store_true",
                    help="leave glibc's malloc as it is (see keep_freed_memory)")
    args = ap.parse_args()
    kept = False if args.default_malloc else keep_freed_memory()
    if args.threads:
        torch.set_num_threads(args.threads)
    from pixelgrad.backends import cpu_fused

    if args.no_numba:
        cpu_fused.available = lambda: False     # type: ignore[assignment]
    path = "numba fused loop" if cpu_fused.available() else "torch blocks (no numba, or --no-numba)"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; CPU mixer: {path}; "
          f"malloc keeps freed memory: {kept}")
    rows = []

    x = torch.rand(32, 3, 224, 224)
    g = torch.Generator().manual_seed(0)
    ours = pg.augment.RandomGradient(p=1.0)
    t_ours = timeit(lambda: ours(x, generator=g), args.repeat)
    t_fn = timeit(lambda: pg.linear_gradient(x, torch.rand(32) * 2 - 1, torch.rand(32) * 2 - 1, 0.1),
                  args.repeat)
    t_add = timeit(lambda: pg.augment.RandomGradient(mode="add")(x, generator=g), args.repeat)
    t_copy = timeit(lambda: x.clone(), args.repeat)
    rows += [("RandomGradient (blend, p=1)", "32x3x224x224 f32 cpu", t_ours),
             ("RandomGradient (add, p=1)", "32x3x224x224 f32 cpu", t_add),
             ("linear_gradient (functional)", "32x3x224x224 f32 cpu", t_fn),
             ("x.clone() (memory floor)", "32x3x224x224 f32 cpu", t_copy)]
    try:
        from kornia.augmentation import RandomLinearIllumination

        kaug = RandomLinearIllumination(p=1.0)
        t_k = timeit(lambda: kaug(x), args.repeat)
        rows.append(("kornia RandomLinearIllumination (p=1)", "32x3x224x224 f32 cpu", t_k))
    except ImportError:
        t_k = None
    xs = x.permute(0, 2, 3, 1).double().numpy()
    rng = np.random.default_rng(0)
    t_np = timeit(lambda: [seed_numpy(im, rng) for im in xs], max(3, args.repeat // 4))
    rows.append(("seed numpy code (float64, loop)", "32x224x224x3 f64 cpu", t_np))

    img = (torch.rand(512, 512, 3) * 255).to(torch.uint8).numpy()
    t_u8 = timeit(lambda: ours(img, generator=g), args.repeat)
    rows.append(("RandomGradient numpy uint8 HWC", "512x512x3 u8", t_u8))

    if torch.cuda.is_available():
        xg = torch.rand(256, 3, 224, 224, device="cuda")
        sync = torch.cuda.synchronize
        rows.append(("RandomGradient (blend) cuda", "256x3x224x224 f32", timeit(lambda: ours(xg, generator=g), args.repeat, sync)))
        rows.append(("copy roofline cuda", "256x3x224x224 f32", timeit(lambda: xg.clone(), args.repeat, sync)))
        try:
            kaug_g = RandomLinearIllumination(p=1.0)
            rows.append(("kornia RandomLinearIllumination cuda", "256x3x224x224 f32",
                         timeit(lambda: kaug_g(xg), args.repeat, sync)))
        except NameError:
            pass

    # the CPU target: RandomGradient <= 1.5x a plain copy of the batch. Measured two
    # ways, both in wall and in this thread's CPU time (less sensitive to other processes):
    # back to back (each call repeated: x may stay partly in the last-level cache) and
    # interleaved (ours, copy, ours, ...: drift hits both alike, but the copy's new batch
    # pushes x out of the cache before each of our calls)
    tgt = interleaved({"ours": lambda: ours(x, generator=g), "copy": lambda: x.clone()}, args.repeat)
    (t_ours_cpu, t_ours_wall), (t_copy_cpu, t_copy_wall) = tgt["ours"], tgt["copy"]
    ratio_wall, ratio_cpu = t_ours_wall / t_copy_wall, t_ours_cpu / t_copy_cpu
    b2b_cpu = (timeit(lambda: ours(x, generator=g), args.repeat, clock=time.thread_time)
               / timeit(lambda: x.clone(), args.repeat, clock=time.thread_time))
    b2b_wall = t_ours / t_copy
    rows += [("RandomGradient (blend), interleaved, thread CPU", "32x3x224x224 f32 cpu", t_ours_cpu),
             ("x.clone(), interleaved, thread CPU", "32x3x224x224 f32 cpu", t_copy_cpu),
             ("RandomGradient (blend), interleaved, wall", "32x3x224x224 f32 cpu", t_ours_wall),
             ("x.clone(), interleaved, wall", "32x3x224x224 f32 cpu", t_copy_wall)]

    w = max(len(r[0]) for r in rows)
    print(f"{'what':<{w}}  {'input':<22} {'median ms':>10}")
    for name, shape, t in rows:
        print(f"{name:<{w}}  {shape:<22} {t:>10.2f}")
    worst = max(ratio_wall, ratio_cpu, b2b_cpu, b2b_wall)
    print(f"\nRandomGradient / copy (CPU, 32x3x224x224 f32, {torch.get_num_threads()} thread(s), "
          f"medians of {args.repeat}): back to back {b2b_cpu:.2f}x thread CPU time, "
          f"{b2b_wall:.2f}x wall; interleaved {ratio_cpu:.2f}x thread CPU time, "
          f"{ratio_wall:.2f}x wall (target <= 1.5x) {'OK' if worst <= 1.5 else 'MISSED'}")
    if t_k is not None:
        print(f"\nspeed-up vs kornia RandomLinearIllumination (CPU, 32x3x224x224): {t_k / t_ours:.2f}x "
              f"(target >= 2x) {'OK' if t_k / t_ours >= 2 else 'MISSED'}")
    if args.pieces:
        pieces(x, args.repeat)


if __name__ == "__main__":
    main()
