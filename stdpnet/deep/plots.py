"""PNG plots of a deep run: accuracy vs timesteps, spike rate per layer, a
spike raster of one input, accuracy vs attack strength. Written atomically
like every run file."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .runs import _atomic  # noqa: E402


def _save(fig, path: Path) -> None:
    _atomic(Path(path), lambda tmp: fig.savefig(tmp, format="png", dpi=120,
                                                bbox_inches="tight"))
    plt.close(fig)


def accuracy_vs_timesteps(path, curves: dict[str, dict], ann_accuracy: float | None = None,
                          title: str = "") -> None:
    """``curves``: label -> {T: accuracy %}; the ANN as a dashed line."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, points in curves.items():
        ts = sorted(int(t) for t in points)
        ax.plot(ts, [points[t] if t in points else points[str(t)] for t in ts], "o-", label=label)
    if ann_accuracy is not None:
        ax.axhline(ann_accuracy, ls="--", color="gray", label=f"ANN {ann_accuracy:.2f}%")
    all_t = [int(t) for points in curves.values() for t in points]
    if all_t and max(all_t) / max(1, min(all_t)) > 16:
        ax.set_xscale("log", base=2)
    else:
        ax.set_xticks(sorted(set(all_t)))
    ax.set_xlabel("timesteps T")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title or "accuracy vs timesteps")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)


def spike_rates(path, neurons: list[dict], title: str = "") -> None:
    """Bar per neuron layer: mean spikes per neuron per timestep."""
    fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(neurons) + 2), 3.6))
    ax.bar(range(len(neurons)), [n["rate"] for n in neurons], color="tab:blue")
    ax.set_xticks(range(len(neurons)))
    ax.set_xticklabels([n["name"] for n in neurons], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("spikes / neuron / timestep")
    ax.set_title(title or "spike rate per layer")
    ax.grid(alpha=0.3, axis="y")
    _save(fig, path)


def spike_raster(path, layers: list[tuple], title: str = "") -> None:
    """One panel per neuron layer: a black cell where a neuron (row) spiked
    at a neuron step (column); ``layers``: (name, bool array neurons x steps)."""
    heights = [min(max(len(spikes), 8), 64) for _, spikes in layers]
    fig, axes = plt.subplots(len(layers), 1, figsize=(7, 1.2 + 0.04 * sum(heights) + 0.4 * len(layers)),
                             sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, (name, spikes) in zip(axes[:, 0], layers):
        ax.imshow(spikes, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_ylabel(f"{name}\nneuron", fontsize=8)
        ax.text(1.0, 1.0, f"{int(spikes.sum())} spikes", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=7)
    axes[-1, 0].set_xlabel("neuron step")
    axes[0, 0].set_title(title or "spikes", fontsize=9, loc="left")
    _save(fig, path)


def accuracy_vs_attack(path, table: dict) -> None:
    """One panel per attack (FGSM, PGD); white-box solid, black-box dashed."""
    eps = [0.0] + list(table["eps"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, kind in zip(axes, ("fgsm", "pgd")):
        for i, row in enumerate(table["rows"]):
            color = f"C{i}"
            for mode, style in (("white_box", "-"), ("black_box", "--")):
                acc = [row["clean"]] + [row[mode][kind][str(e)] for e in table["eps"]]
                ax.plot(eps, acc, style, marker="o", color=color,
                        label=f"{row['name']} ({mode.replace('_', '-')})")
        ax.set_title(f"{kind.upper()}, black-box source: {table['source']}", fontsize=9)
        ax.set_xlabel("ε (L∞, pixels in [0, 1])")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy (%)")
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    _save(fig, path)
