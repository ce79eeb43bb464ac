"""Fixtures of the Ray tests: one local 2-CPU Ray per test module."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def local_ray():
    import ray.data

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
