"""Plots, tables and raw numbers of the robustness experiment.

Files written into the output folder (each through a temporary file and a rename):

* ``robustness_results.json``: configuration and every run's accuracies (the raw numbers);
* ``robustness_table.md``: mean accuracy (± standard deviation over seeds) on clean images
  and averaged over the severities of each shift group, then per shift;
* ``robustness_<group>.png``: accuracy vs severity per shift, one line per condition, error
  bars = standard deviation over seeds (severity 0 = clean images).
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from statistics import mean, stdev
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BEGIN = "<!-- robustness-table:begin (written by experiments/robustness.py) -->"
END = "<!-- robustness-table:end -->"


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)           # mkstemp makes 0600; these are ordinary output files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    def w(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")
    _atomic(path, w)


def write_text(path: Path, text: str) -> None:
    def w(tmp):
        with open(tmp, "w") as f:
            f.write(text)
    _atomic(path, w)


# ----------------------------------------------------------------------------- statistics
def _sd(xs: list[float]) -> float:
    return stdev(xs) if len(xs) > 1 else float("nan")


def _runs(results, cond):
    return [r for r in results["runs"] if r["condition"] == cond]


def group_score(run: dict, results: dict, group: str | None) -> float:
    """Mean accuracy of one run over every severity of the shifts in ``group`` (all if None)."""
    vals = [a for name, accs in run["shifted"].items()
            if group is None or results["shifts"][name]["group"] == group for a in accs]
    return mean(vals)


def summary(results: dict) -> dict[str, dict[str, tuple[float, float]]]:
    """``{condition: {column: (mean over seeds, sd over seeds)}}`` for the table columns."""
    groups = sorted({s["group"] for s in results["shifts"].values()},
                    key=["illumination", "blur", "held-out"].index)
    out = {}
    for cond in results["conditions"]:
        runs = _runs(results, cond)
        if not runs:
            continue
        cols = {"clean": [r["clean"] for r in runs]}
        for g in groups:
            cols[g] = [group_score(r, results, g) for r in runs]
        cols["all shifts"] = [group_score(r, results, None) for r in runs]
        for name in results["shifts"]:
            cols[name] = [mean(r["shifted"][name]) for r in runs]
        out[cond] = {k: (mean(v), _sd(v)) for k, v in cols.items()}
    return out


def paired_differences(results: dict, baseline: str = "none") -> dict[str, dict[str, tuple[float, float]]]:
    """Per condition, ``(mean, sd)`` over seeds of (condition - ``baseline``) for the summary
    columns, pairing runs of the same seed (same initialisation and batch order)."""
    runs = {(r["condition"], r["seed"]): r for r in results["runs"]}
    groups = [g for g in ("illumination", "blur", "held-out")
              if any(s["group"] == g for s in results["shifts"].values())]
    out = {}
    for cond in results["conditions"]:
        if cond == baseline:
            continue
        seeds = [s for (c, s) in runs if c == cond and (baseline, s) in runs]
        if not seeds:
            continue
        cols: dict[str, list[float]] = {k: [] for k in ("clean", *groups, "all shifts")}
        for s in seeds:
            a, b = runs[(cond, s)], runs[(baseline, s)]
            cols["clean"].append(a["clean"] - b["clean"])
            for g in groups:
                cols[g].append(group_score(a, results, g) - group_score(b, results, g))
            cols["all shifts"].append(group_score(a, results, None) - group_score(b, results, None))
        out[cond] = {k: (mean(v), _sd(v)) for k, v in cols.items()}
    return out


def _fmt_diff(m: float, s: float) -> str:
    return f"{100 * m:+.1f}" if math.isnan(s) else f"{100 * m:+.1f} ± {100 * s:.1f}"


def _fmt(m: float, s: float) -> str:
    return f"{100 * m:.1f}" if math.isnan(s) else f"{100 * m:.1f} ± {100 * s:.1f}"


def table_markdown(results: dict) -> str:
    S = summary(results)
    cfg = results["config"]
    n_seeds = len({r["seed"] for r in results["runs"]})
    groups = [g for g in ("illumination", "blur", "held-out")
              if any(s["group"] == g for s in results["shifts"].values())]
    lines = [f"Accuracy in % on {cfg['n_test']} test images, mean ± standard deviation over "
             f"{n_seeds} seed{'s' if n_seeds > 1 else ''} (configuration `{cfg['mode']}`: "
             f"{cfg['n_train']} training images, {cfg['epochs']} epochs). A shift column is the "
             f"mean over its {cfg['severities']} severities and over the shifts of the group.", ""]
    head = ["condition", "clean", *[f"{g} shifts" for g in groups], "all shifts"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cond, cols in S.items():
        cells = [f"`{cond}`", _fmt(*cols["clean"]), *[_fmt(*cols[g]) for g in groups],
                 _fmt(*cols["all shifts"])]
        lines.append("| " + " | ".join(cells) + " |")
    D = paired_differences(results)
    if D:
        lines += ["", "Difference to `none` in points, paired by seed (a seed fixes the initialisation "
                  "and the batch order), mean ± sd over seeds:", ""]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for cond, cols in D.items():
            cells = [f"`{cond}`", *[_fmt_diff(*cols[k]) for k in ("clean", *groups, "all shifts")]]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Per shift (mean over severities and seeds, %):", ""]
    names = list(results["shifts"])
    lines += ["| condition | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for cond, cols in S.items():
        lines.append(f"| `{cond}` | " + " | ".join(f"{100 * cols[n][0]:.1f}" for n in names) + " |")
    lines += ["", "Conditions:", ""]
    for cond, info in results["conditions"].items():
        lines.append(f"- `{cond}`: {info['label']}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- plots
def plot_group(results: dict, group: str, path: Path) -> None:
    names = [n for n, s in results["shifts"].items() if s["group"] == group]
    conds = [c for c in results["conditions"] if _runs(results, c)]
    cols = 2 if len(names) in (2, 4) else min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False)
    cmap = plt.get_cmap("tab10")
    markers = "os^vD<>pX*"
    for ax, name in zip(axes.flat, names):
        sev = results["shifts"][name]["severities"]
        xs = list(range(len(sev) + 1))
        for k, cond in enumerate(conds):
            runs = _runs(results, cond)
            per_level = [[r["clean"] for r in runs]] + [[r["shifted"][name][i] for r in runs]
                                                         for i in range(len(sev))]
            m = [100 * mean(v) for v in per_level]
            s = [0.0 if len(v) < 2 else 100 * stdev(v) for v in per_level]
            off = (k - (len(conds) - 1) / 2) * 0.03
            ax.errorbar([x + off for x in xs], m, yerr=s, label=cond, color=cmap(k % 10),
                        marker=markers[k % len(markers)], ms=4, lw=1.2, capsize=2)
        ax.set_xticks(xs, ["clean", *[f"{v:g}" for v in sev]])
        ax.set_title(name)
        ax.set_xlabel(results["shifts"][name]["label"], fontsize=8)
        ax.set_ylabel("accuracy (%)")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8,
               bbox_to_anchor=(0.5, 0.0))
    n_seeds = len(results["config"]["seeds"])
    fig.suptitle(f"{group} shifts: accuracy vs severity (mean ± sd over {n_seeds} seed"
                 f"{'s' if n_seeds > 1 else ''}, {results['config']['mode']} configuration)")
    fig.tight_layout(rect=(0, 0.04 + 0.03 * math.ceil(len(labels) / 4), 1, 0.97))
    _atomic(path, lambda tmp: fig.savefig(tmp, dpi=80, format="png"))
    plt.close(fig)


def plot_examples(images, labels, classes, shift_rows, path: Path) -> None:
    """A grid: the first row ``images`` (float ``(n, 3, H, W)``) with their class names, then
    one row per ``(name, shifted images)`` of ``shift_rows``."""
    n = images.shape[0]
    rows = 1 + len(shift_rows)
    fig, axes = plt.subplots(rows, n, figsize=(1.3 * n, 1.35 * rows), squeeze=False)
    for r, (name, imgs) in enumerate([("clean", images), *shift_rows]):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(imgs[c].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(classes[int(labels[c])], fontsize=8)
            if c == 0:
                ax.set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    fig.tight_layout(pad=0.2)
    _atomic(path, lambda tmp: fig.savefig(tmp, dpi=80, format="png"))
    plt.close(fig)


def write_all(results: dict, out: Path, examples: tuple | None = None) -> list[Path]:
    """Write the JSON, the table and the plots (and, given ``examples = (images, labels,
    classes, shift_rows)``, the example grid ``robustness_examples.png``)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "robustness_results.json", out / "robustness_table.md"]
    if examples is not None:
        paths.append(out / "robustness_examples.png")
        plot_examples(*examples, paths[-1])
    write_json(paths[0], results)
    write_text(paths[1], table_markdown(results))
    for g in ("illumination", "blur", "held-out"):
        if any(s["group"] == g for s in results["shifts"].values()):
            p = out / f"robustness_{g.replace('-', '')}.png"
            plot_group(results, g, p)
            paths.append(p)
    return paths


def update_doc(doc: Path, results: dict, out: Path) -> bool:
    """Replace the generated table between the markers of ``doc``; False when there are none."""
    if not doc.exists():
        return False
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    write_text(doc, head + BEGIN + "\n" + table_markdown(results) + END + tail)
    return True
