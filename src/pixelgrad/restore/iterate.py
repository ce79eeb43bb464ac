"""The one iteration loop of the package: every iterative solver is a *step* run by :func:`run`.

A step is an object with

* ``x`` -- the current iterate ``(B, C, H, W)`` (the start before the first call),
* ``advance(k) -> objective`` -- iteration ``k`` (from 0): update ``x``, return the objective
  ``(B,)`` to record for it,
* optionally ``converged(k) -> bool`` -- the step's own convergence test (e.g. a CG residual).

:func:`run` owns everything else, the same for every solver: the iteration cap, the shared
relative-change rule (stop once every image has ``||x_k - x_{k-1}|| <= tol ||x_k||``), the
deadline (a :func:`time.perf_counter` value: iterations after the first stop once it has
passed), the callback ``callback(k, objective (B,), x)`` and the history, a float64 CPU tensor
``(iterations run, B)``. A leaf module: imports nothing of restore but :mod:`.linalg`.
"""
from __future__ import annotations

import time
from typing import Any, Callable, List, Optional, Tuple

import torch

from .linalg import batched_norm

__all__ = ["Callback", "past", "run", "stack_history", "relative_change_below"]

#: ``callback(iteration, objective (B,), x)`` after every iteration.
Callback = Optional[Callable[[int, torch.Tensor, torch.Tensor], None]]


def past(deadline: Optional[float]) -> bool:
    """Whether a deadline has passed.

    Parameters
    ----------
    deadline : float or None
        A :func:`time.perf_counter` value, or ``None`` for no limit.

    Returns
    -------
    bool
        True once ``deadline`` has passed.

    Examples
    --------
    >>> import time
    >>> past(None), past(time.perf_counter() - 1.0), past(time.perf_counter() + 60.0)
    (False, True, False)
    """
    return deadline is not None and time.perf_counter() > deadline


def stack_history(hist: List[torch.Tensor], bsz: int) -> torch.Tensor:
    """Recorded objectives -> the float64 CPU history ``(len(hist), bsz)``.

    Parameters
    ----------
    hist : list of torch.Tensor
        One ``(B,)`` tensor per iteration.
    bsz : int
        ``B`` (the width of an empty history).

    Returns
    -------
    torch.Tensor
        ``(len(hist), bsz)`` float64 on the CPU.

    Examples
    --------
    >>> import torch
    >>> stack_history([torch.ones(2), torch.zeros(2)], 2).shape, stack_history([], 3).shape
    (torch.Size([2, 2]), torch.Size([0, 3]))
    """
    if not hist:
        return torch.zeros((0, bsz), dtype=torch.float64)
    return torch.stack(hist).to("cpu", torch.float64)


def relative_change_below(x: torch.Tensor, x_old: torch.Tensor, tol: float) -> bool:
    r"""The shared stopping rule: every image moved by at most ``tol`` relative to its norm.

    Parameters
    ----------
    x, x_old : torch.Tensor
        The new and the previous iterate ``(B, ...)``.
    tol : float
        Relative tolerance; 0 never stops.

    Returns
    -------
    bool
        :math:`\|x - x_{old}\| \le tol\, \|x\|` for every image (and ``tol > 0``).

    Examples
    --------
    >>> import torch
    >>> relative_change_below(torch.ones(1, 4), torch.ones(1, 4) * 0.999, 1e-2)
    True
    """
    return tol > 0 and bool((batched_norm(x - x_old) <= tol * batched_norm(x).clamp_min(1e-30)).all())


def run(step: Any, iterations: int, *, tol: float = 0.0, deadline: Optional[float] = None,
        callback: Callback = None, record: bool = True,
        last_on_deadline: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
    """Run ``step`` for at most ``iterations`` iterations.

    Parameters
    ----------
    step : object
        A step (module docstring): ``x``, ``advance(k)``, optionally ``converged(k)``.
    iterations : int
        Most iterations (>= 0).
    tol : float
        The relative-change rule (0: off).
    deadline : float, optional
        A :func:`time.perf_counter` value; iterations after the first stop once it has passed.
    callback : callable, optional
        ``callback(k, objective (B,), x)`` after every iteration.
    record : bool
        Keep the history (an empty one otherwise).
    last_on_deadline : bool
        Once the deadline has passed (tested before every iteration, the first included),
        skip to iteration ``iterations - 1`` (the last of a continuation schedule), run it and
        stop, instead of stopping.

    Returns
    -------
    tuple
        ``(x, history)``: the last iterate and the float64 CPU tensor
        ``(iterations run, B)`` of the objectives.

    Examples
    --------
    >>> import torch
    >>> class Halve:
    ...     def __init__(self): self.x = torch.ones(1, 1, 2, 2)
    ...     def advance(self, k):
    ...         self.x = self.x / 2
    ...         return self.x.sum((1, 2, 3))
    >>> x, hist = run(Halve(), 3)
    >>> hist[:, 0].tolist()
    [2.0, 1.0, 0.5]
    """
    converged = getattr(step, "converged", None)
    hist: List[torch.Tensor] = []
    k = 0
    jumped = False
    while k < iterations:
        if last_on_deadline and not jumped and k < iterations - 1 and past(deadline):
            k, jumped = iterations - 1, True      # skip to the last iteration of the schedule
        elif k and not jumped and past(deadline):
            break
        x_old = step.x
        f = step.advance(k)
        x = step.x
        done = relative_change_below(x, x_old, tol) or (converged is not None and converged(k))
        if record:
            hist.append(f)
        if callback is not None:
            callback(k, f, x)
        if done:
            break
        k += 1
    return step.x, stack_history(hist, step.x.shape[0])
