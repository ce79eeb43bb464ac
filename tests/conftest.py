"""Shared fixtures. Every test draws fresh random inputs from a seeded generator so a
failure can be replayed (the seed is printed by pytest in the test id / fixture)."""
from __future__ import annotations

import os
import zlib

import numpy as np
import pytest

# Keep the test suite deterministic in speed on the 2-core CI machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Triton decides between compiling and interpreting when a kernel is defined, so the
# interpreter (tests/backends/triton) must be on before anything imports the Triton backend;
# `make test` collects `--doctest-modules src` first, which imports it. Only
# pixelgrad.backends.triton reads this; the ahead-of-time compile test unsets it in its
# subprocesses.
os.environ["TRITON_INTERPRET"] = "1"


# Fresh inputs per run: PIXELGRAD_TEST_SEED (default: a new one each session, printed in the
# header) is mixed with the test id, so any failure replays with the printed seed.
SESSION_SEED = int(os.environ.get("PIXELGRAD_TEST_SEED", np.random.SeedSequence().entropy % 2**31))


def pytest_report_header(config):
    return f"pixelgrad random inputs: PIXELGRAD_TEST_SEED={SESSION_SEED}"


@pytest.fixture
def rng(request) -> np.random.Generator:
    return np.random.default_rng([SESSION_SEED, zlib.crc32(request.node.nodeid.encode())])
