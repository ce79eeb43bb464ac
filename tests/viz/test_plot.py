"""pixelgrad.viz.plot."""
from __future__ import annotations

import pytest
import torch


def test_energy_plot_has_no_legend_entry_without_a_curve(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from pixelgrad.viz.plot import plot_history

    figs = []
    real = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (figs.append(self), real(self, *a, **k))[1])
    history = torch.rand(12, 2) + 0.1
    plot_history(tmp_path / "energy.png", history, {"biharmonic": (0, 11), "empty": (11, 11),
                                                    "eed": (11, 12), "beyond": (12, 15)})
    ax = figs[0].axes[0]
    legend = ax.get_legend()
    names = [t.get_text() for t in legend.get_texts()]
    assert names == ["biharmonic", "eed"]
    for line in legend.get_lines():
        assert line.get_marker() not in ("None", "", None) or line.get_linestyle() not in ("None", "")
    for line in ax.get_lines():
        if line.get_label() in names:
            assert len(line.get_xdata()) >= 2 or line.get_marker() not in ("None", "", None)
    plot_history(tmp_path / "plain.png", history)               # no stage names: no legend
    assert figs[1].axes[0].get_legend() is None
