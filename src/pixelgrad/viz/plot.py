"""Line plots of solver histories (matplotlib, Agg backend), written atomically."""
from __future__ import annotations

import io
import os
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from ..io import atomic_write


def plot_history(path: str | os.PathLike, history, stages: Optional[Dict[str, Tuple[int, int]]] = None, *,
                 title: str = "energy per iteration", psnr: Optional[Sequence[float]] = None,
                 log: bool = True) -> None:
    """Plot ``history`` (``(T,)`` or ``(T, B)``: one line per image) against the iteration,
    one colour per stage ``{name: (start, stop)}``; optionally PSNR (dB) on a second axis.
    Writes a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    h = np.asarray(history.cpu() if hasattr(history, "cpu") else history, dtype=np.float64)
    if h.ndim == 1:
        h = h[:, None]
    fig = Figure(figsize=(6.4, 3.6), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    stages = stages or {"": (0, len(h))}
    labelled = False
    for name, (a, b) in stages.items():
        seg = h[max(a, 0):min(b, len(h))]
        if len(seg) == 0:
            continue                   # nothing recorded: no line, hence no legend entry
        it = np.arange(max(a, 0), max(a, 0) + len(seg))
        # a one-iteration stage (e.g. a final energy) is a lone point: draw it with a marker,
        # otherwise its legend entry would have no visible curve
        style = {"marker": "o"} if len(seg) == 1 else {}
        for j in range(seg.shape[1]):
            ax.plot(it, seg[:, j], label=name if j == 0 and name else None, **style)
        labelled = labelled or bool(name)
    if log and np.all(h[np.isfinite(h)] > 0) and h.size:
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("objective")
    ax.set_title(title)
    if labelled:
        ax.legend(loc="upper right", fontsize=8)
    if psnr is not None and len(psnr):
        ax2 = ax.twinx()
        ax2.plot(np.arange(len(psnr)), np.asarray(psnr, dtype=np.float64), color="k", linestyle="--", label="PSNR")
        ax2.set_ylabel("PSNR (dB)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write(path, buf.getvalue())
