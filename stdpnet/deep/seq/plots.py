"""Plots over several sequence runs, coloured by model kind: accuracy against
cost (parameters, operations per sequence), one point per run; validation
accuracy after every epoch, one line per run."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..plots import _save  # noqa: E402

COLORS = {"lite": "C0", "srnn": "C1", "lstm": "C2", "gru": "C3", "tcn": "C4"}


def accuracy_vs_cost(path, rows: list[dict], split: str = "test", title: str = "") -> None:
    """``rows``: dicts with model, params, ops_per_sequence and <split>_accuracy."""
    key = f"{split}_accuracy"
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, x_key, label in ((axes[0], "params", "parameters"),
                             (axes[1], "ops_per_sequence", "operations per sequence (MAC + AC)")):
        seen = set()
        for r in rows:
            if r.get(key) is None:
                continue
            ax.scatter(r[x_key], r[key], color=COLORS.get(r["model"], "gray"), s=40,
                       label=None if r["model"] in seen else r["model"])
            ax.annotate(r["run"], (r[x_key], r[key]), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
            seen.add(r["model"])
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"{split} accuracy (%)")
    axes[1].legend(fontsize=8)
    fig.suptitle(title or f"{split} accuracy against cost", fontsize=10)
    _save(fig, path)


def accuracy_by_setting(path, rows: list[dict], key: str,
                        splits: tuple = ("validation", "test")) -> None:
    """Mean accuracy ± sd over seeds against the value of one varied spec
    key (``rows``: ``pipeline.cell_summary`` or ``recorded_cells``), a line
    per model kind, record (``row["record"]``, where rows of several are
    drawn) and setting of the other keys; validation solid, test dashed
    where scored."""
    def series(r):
        others = ", ".join(f"{k.rpartition('.')[2]}={v}" for k, v in r["settings"].items() if k != key)
        return ", ".join(filter(None, [r.get("record", ""), others]))

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    lines = sorted({(r["model"], series(r)) for r in rows})
    markers = "osD^vP*X"
    for model, label in lines:
        mine = sorted((r for r in rows if (r["model"], series(r)) == (model, label)),
                      key=lambda r: r["settings"][key])
        x = [r["settings"][key] for r in mine]
        same_model = [ln for ln in lines if ln[0] == model]
        marker = markers[same_model.index((model, label)) % len(markers)]
        for split, style in (("validation", "-"), ("test", "--")):
            if split not in splits:
                continue
            pts = [(xi, r[f"{split}_mean"], r[f"{split}_sd"] or 0.0)
                   for xi, r in zip(x, mine) if r[f"{split}_mean"] is not None]
            if pts:
                xs, ys, es = zip(*pts)
                ax.errorbar(xs, ys, yerr=es, fmt=style + marker, capsize=3,
                            color=COLORS.get(model, "gray"),
                            label=f"{model}{f' ({label})' if label else ''}, {split}")
    values = sorted({r["settings"][key] for r in rows})
    if values[0] > 0:
        ax.set_xscale("log")
        ax.minorticks_off()
    ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.set_xlabel(key.rpartition(".")[2])
    ax.set_ylabel("accuracy (%), mean ± sd over seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    _save(fig, path)


def learning_curves(path, curves: list[tuple[str, str, list[float]]]) -> None:
    """Validation accuracy after every epoch; ``curves``: (run, model, accuracies)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    seen = set()
    for run, model, accuracy in curves:
        ax.plot(range(1, len(accuracy) + 1), accuracy, "-", color=COLORS.get(model, "gray"),
                alpha=0.8, label=None if model in seen else model)
        seen.add(model)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)
