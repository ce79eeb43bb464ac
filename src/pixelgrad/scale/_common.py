"""Pieces shared by the Ray entry points: importing Ray, starting it, turning a pipeline into
something that travels to workers."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator


def import_ray():
    """Import ``ray`` and ``ray.data``.

    Returns
    -------
    module
        The ``ray`` module (with ``ray.data`` imported).

    Raises
    ------
    ValueError
        If Ray Data is not installed, telling how to install it (``pixelgrad[ray]``).

    Examples
    --------
    >>> import_ray().__name__
    'ray'
    """
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ValueError("pixelgrad.scale: Ray Data is required: pip install 'pixelgrad[ray]' "
                         f"(import failed: {exc})") from None
    return ray


@contextlib.contextmanager
def quiet_ray() -> Iterator[None]:
    """Context manager keeping Ray's own logs off the terminal while a job runs.

    Ray prints INFO lines from its Python loggers, a progress log from Ray Data when stderr is
    not a terminal, and lines from its native core worker (e.g. an ``E ... core_worker.cc``
    line about actor restarts on every Ray Data actor pool) straight to file descriptor 2.
    Inside this context the ``ray`` loggers are at ERROR, Ray Data's progress bars are off,
    and descriptor 2 points to ``os.devnull`` while ``sys.stderr`` (so every message and
    progress bar of pixelgrad itself) writes to the original stderr.

    Returns
    -------
    contextlib.AbstractContextManager of None

    Examples
    --------
    >>> import sys
    >>> with quiet_ray():
    ...     print("still shown", file=sys.stderr)      # doctest: +SKIP
    """
    import logging
    import sys

    loggers = [logging.getLogger(n) for n in ("ray", "ray.data")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    ctx, bars = None, True
    try:
        import ray.data

        ctx = ray.data.DataContext.get_current()
        bars = ctx.enable_progress_bars
        ctx.enable_progress_bars = False
    except (ImportError, AttributeError):  # pragma: no cover - no or an older Ray Data
        ctx = None
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    old_stderr = sys.stderr
    try:
        os.dup2(devnull, 2)
        sys.stderr = open(saved, "w", closefd=False, encoding=getattr(old_stderr, "encoding", None)
                          or "utf-8", errors="backslashreplace", buffering=1)
        yield
    finally:
        try:
            sys.stderr.flush()
        finally:
            sys.stderr = old_stderr
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)
            if ctx is not None:
                ctx.enable_progress_bars = bars


def ensure_ray(address: str | None, *, verbose: bool = True) -> bool:
    """Connect to Ray at ``address`` unless Ray is already running in this process.

    Parameters
    ----------
    address : str or None
        None: start a local Ray (no dashboard); ``"auto"``: the cluster this machine belongs
        to; ``"ray://host:10001"``: Ray Client.
    verbose : bool, default True
        False starts Ray with its log level at ERROR (see also :func:`quiet_ray`).

    Returns
    -------
    bool
        True when this call started the connection (the caller then shuts it down).

    Raises
    ------
    ValueError
        If Ray Data is not installed.

    Examples
    --------
    Starting Ray takes seconds, so the example is not run here (tests/scale runs it):

    >>> started = ensure_ray(None)                # doctest: +SKIP
    >>> ensure_ray(None)                          # already running  # doctest: +SKIP
    False
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": False}
    if not verbose:
        kwargs["logging_level"] = "ERROR"
    if address is None:
        kwargs["include_dashboard"] = False
    ray.init(address=address, **kwargs)
    return True


def pipeline_spec(pipeline: Any) -> dict:
    """A plain-dict spec of a pipeline, to send to the workers.

    Parameters
    ----------
    pipeline : Any
        A :class:`pixelgrad.augment.Transform` (its ``to_dict()``), a spec dict (validated
        here, on the driver, before any worker starts) or a ``.yaml`` / ``.json`` path.

    Returns
    -------
    dict
        The spec.

    Raises
    ------
    TypeError
        If ``pipeline`` is none of these.
    ValueError
        If the spec or file is not a valid pipeline.

    Examples
    --------
    >>> from pixelgrad import augment
    >>> spec = pipeline_spec(augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0))
    >>> spec["type"], spec["sigma"], pipeline_spec(spec) is spec
    ('RandomGaussianBlur', [0.5, 1.0], True)
    """
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
    """The actor pool of a Ray Data job.

    Parameters
    ----------
    ray : module
        The ``ray`` module (:func:`import_ray`).
    device : str
        ``"cuda..."``: one actor per GPU; otherwise one single-threaded actor per CPU.
    concurrency : int or None
        Maximum number of actors; None: the GPUs / CPUs of the running cluster (or of this
        machine when Ray is not started yet).

    Returns
    -------
    (ray.data.ActorPoolStrategy, dict)
        The compute strategy (1 to ``concurrency`` actors) and the per-actor resources
        (``{"num_gpus": 1}`` or ``{"num_cpus": 1}``).

    Examples
    --------
    >>> strategy, resources = worker_pool(import_ray(), "cpu", 3)
    >>> resources
    {'num_cpus': 1}
    """
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
    """Run torch and OpenCV ops on one thread in an actor that holds one CPU.

    Ray sets ``OMP_NUM_THREADS=1`` for a ``num_cpus=1`` actor, but OpenCV would still start a
    thread per core. Process-wide and not undone: meant for the actor's own process.

    Parameters
    ----------
    device : str
        The actor's device; nothing is changed for non-CPU devices.

    Examples
    --------
    >>> single_threaded_actor("cuda")             # no effect off the CPU
    """
    import torch

    if torch.device(device).type == "cpu":
        import cv2

        torch.set_num_threads(1)
        cv2.setNumThreads(1)
