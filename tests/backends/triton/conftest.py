"""Triton backend tests run through Triton's CPU interpreter.

``TRITON_INTERPRET=1`` must be set before any ``@triton.jit`` kernel is defined, so it is set
here, at collection time (conftest files load before any test runs). Only
``pixelgrad.backends.triton`` reads it; every other test keeps the default backends (CPU
tensors never reach Triton unless ``backend='triton'`` is passed).
"""
from __future__ import annotations

import os

import pytest

os.environ["TRITON_INTERPRET"] = "1"


@pytest.fixture
def tr():
    """The Triton backend with poisoned outputs: every output buffer is filled with NaN
    (floats) or 0xAB (uint8) before the launch, so unwritten elements fail the checks."""
    pytest.importorskip("triton", reason="the triton package is an optional dependency")
    from pixelgrad.backends import triton as backend
    from pixelgrad.backends.triton import _common

    old = _common.POISON_OUTPUTS
    _common.POISON_OUTPUTS = True
    yield backend
    _common.POISON_OUTPUTS = old
