"""Shared timing helper for the benchmark scripts (median of repeated runs, warm-up first)."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def bench(fn: Callable[[], object], *, repeat: int = 7, min_time: float = 0.05, warmup: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` rounds of >= ``min_time`` seconds."""
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    inner = max(1, int(min_time / max(once, 1e-9)))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"
