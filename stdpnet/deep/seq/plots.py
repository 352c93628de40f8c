"""Accuracy against cost (parameters, operations per sequence) over several
sequence runs, one point per run, coloured by model kind."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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
