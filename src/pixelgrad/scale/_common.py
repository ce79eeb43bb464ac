"""Pieces shared by the Ray entry points: importing Ray, starting it, turning a pipeline into
something that travels to workers."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def import_ray():
    """``ray`` and ``ray.data``, or a ValueError telling how to install them."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ValueError("pixelgrad.scale: Ray Data is required: pip install 'pixelgrad[ray]' "
                         f"(import failed: {exc})") from None
    return ray


def ensure_ray(address: str | None) -> bool:
    """Connect to ``address`` (``None``: start a local Ray) unless Ray is already running;
    returns True when this call started the connection (so the caller shuts it down)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": False}
    if address is None:
        kwargs["include_dashboard"] = False
    ray.init(address=address, **kwargs)
    return True


def pipeline_spec(pipeline: Any) -> dict:
    """A plain-dict spec (``to_dict``) of a transform, a dict, or a .yaml/.json path."""
    from .. import augment

    if isinstance(pipeline, dict):
        augment.from_dict(pipeline)  # validate on the driver, before any worker starts
        return pipeline
    if isinstance(pipeline, (str, os.PathLike)):
        return augment.load(Path(pipeline)).to_dict()
    to_dict = getattr(pipeline, "to_dict", None)
    if to_dict is None:
        raise TypeError("pixelgrad.scale: argument `pipeline` must be a pixelgrad.augment transform, "
                        f"its dict or a .yaml/.json path, got {type(pipeline).__name__}")
    return to_dict()


def worker_pool(ray, device: str, concurrency: int | None) -> tuple[Any, dict[str, float]]:
    """``(compute strategy, per-worker resources)``: one actor per GPU for CUDA devices, else
    one single-threaded actor per CPU of the cluster."""
    gpu = str(device).startswith("cuda")
    if concurrency is None:
        if ray.is_initialized():
            res = ray.cluster_resources()
            concurrency = max(1, int(res.get("GPU" if gpu else "CPU", 1)))
        else:  # Ray Data will start a local Ray on this machine
            concurrency = 1 if gpu else max(1, os.cpu_count() or 1)
    strategy = ray.data.ActorPoolStrategy(min_size=1, max_size=int(concurrency))
    return strategy, ({"num_gpus": 1} if gpu else {"num_cpus": 1})


def single_threaded_actor(device: str) -> None:
    """In an actor that holds one CPU (``num_cpus=1``), run torch and OpenCV ops on one thread
    (Ray sets ``OMP_NUM_THREADS=1``, OpenCV would still start a thread per core)."""
    import torch

    if torch.device(device).type == "cpu":
        import cv2

        torch.set_num_threads(1)
        cv2.setNumThreads(1)
