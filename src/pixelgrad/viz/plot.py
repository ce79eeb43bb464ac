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
    """Plot a solver's objective per iteration, one colour per stage, and write it as a PNG.

    Parameters
    ----------
    path : str or os.PathLike
        The PNG file to write (atomically: a temporary file, then a rename).
    history : array-like or torch.Tensor
        The objective per iteration, ``(T,)`` or ``(T, B)`` (one line per image).
    stages : dict of str to (int, int), optional
        ``{name: (start, stop)}``: iterations ``start .. stop - 1`` are drawn in their own
        colour and labelled ``name`` in the legend. A stage with no recorded iteration is left
        out; a stage of one iteration is drawn as a marker. ``None`` (default): one unlabelled
        line over the whole history.
    title : str
        The plot's title.
    psnr : sequence of float, optional
        PSNR (dB) per iteration, drawn dashed against a second y axis.
    log : bool
        Use a logarithmic y axis when every finite value of ``history`` is positive.

    Examples
    --------
    The plotting call is skipped under ``--doctest-modules``: importing matplotlib and
    rendering take about 1.5-3 s on a 2-core CPU, more than a doctest may take.

    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from pixelgrad.viz.plot import plot_history
    >>> with tempfile.TemporaryDirectory() as d:  # doctest: +SKIP
    ...     path = pathlib.Path(d) / "history.png"
    ...     plot_history(path, np.array([4.0, 2.0, 1.0, 0.5]), {"coarse": (0, 2), "fine": (2, 4)},
    ...                  psnr=[20.0, 22.0, 23.0, 24.0])
    ...     path.read_bytes()[:4]
    b'\\x89PNG'
    """
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
