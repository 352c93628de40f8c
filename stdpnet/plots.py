"""Pictures of what a network learned: receptive fields, rasters, thresholds,
confusion, accuracy over training. Each function writes one PNG."""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path: Path) -> Path:
    """Write ``fig`` to ``path`` through a temporary file (a stopped save
    leaves no half picture), in the format its suffix names."""
    from .runs import atomic_write

    path = Path(path)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:] or "png", dpi=110))
    plt.close(fig)
    return path


GAP = -1.0   # the value of the lines between tiles: below every weight, drawn light grey


def weight_grid(w: np.ndarray, shape: tuple, n_rows: int | None = None,
                pruned: np.ndarray | None = None, time_major: bool = False) -> np.ndarray:
    """Tile each neuron's input weights (n_input, n_neurons) as an image, the
    tiles parted by one-pixel lines of ``GAP``. Pruned synapses (mask False)
    become NaN so they can be drawn distinctly. With ``time_major`` (an audio
    map, ``shape`` = (frames, bands)) each tile is drawn as a spectrogram:
    time left to right, the lowest band at the bottom."""
    n_input, n = w.shape
    h, wd = shape[::-1] if time_major else shape
    n_rows = n_rows or int(np.ceil(np.sqrt(n)))
    n_cols = int(np.ceil(n / n_rows))
    grid = np.full((n_rows * (h + 1) - 1, n_cols * (wd + 1) - 1), GAP)
    values = w.astype(float).copy()
    if pruned is not None:
        values[~pruned] = np.nan
    for k in range(n):
        r, c = divmod(k, n_cols)
        tile = values[:, k].reshape(shape)
        grid[r * (h + 1):r * (h + 1) + h, c * (wd + 1):c * (wd + 1) + wd] = \
            tile.T[::-1] if time_major else tile
    return grid


def plot_receptive_fields(w, shape, path, title="input weights", mask=None, time_major: bool = False):
    """Each excitatory neuron's input weights as a tile of the input's shape,
    tiles parted by light grey lines, pruned synapses in blue; audio maps
    (``time_major``) drawn as spectrograms, time left to right."""
    grid = weight_grid(w, shape, pruned=mask, time_major=time_major)
    aspect = grid.shape[1] / grid.shape[0]
    fig, ax = plt.subplots(figsize=(8 * min(1.0, aspect) + 1.2, 8 * min(1.0, 1 / aspect)))
    cmap = plt.get_cmap("hot_r").with_extremes(bad="#3b6fb6", under="0.8")  # pruned: blue; gaps: grey
    im = ax.imshow(grid, cmap=cmap, interpolation="nearest", vmin=0, vmax=max(float(np.nanmax(w)), 1e-9))
    ax.set_title(title + (" (blue: pruned)" if mask is not None else "")
                 + ("\neach tile: time left to right, bands upward" if time_major else ""))
    ax.axis("off")
    fig.colorbar(im, ax=ax, fraction=0.046, label="weight")
    return _save(fig, path)


def plot_raster(raster: dict, path, slot: float):
    """raster: {'input': (i, t), 'excitatory': (i, t), 'inhibitory': (i, t), 'labels': [...]}"""
    groups = ["input", "excitatory", "inhibitory"]
    fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True,
                             gridspec_kw=dict(height_ratios=[2, 1, 1]))
    for ax, g in zip(axes, groups):
        i, t = raster[g]
        ax.plot(np.asarray(t) * 1000, i, "|", ms=2, color="k" if g == "input" else
                ("tab:red" if g == "excitatory" else "tab:blue"))
        ax.set_ylabel(f"{g}\nneuron")
        for k in range(1, len(raster["labels"]) + 1):
            ax.axvline(k * slot * 1000, color="0.7", lw=0.8)
    for k, label in enumerate(raster["labels"]):
        axes[0].text((k + 0.5) * slot * 1000, 1.02, label, transform=axes[0].get_xaxis_transform(),
                     ha="center", fontsize=8)
    axes[-1].set_xlabel("time (ms)")
    return _save(fig, path)


def plot_theta(theta_mV, path):
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(theta_mV, bins=40, color="tab:purple")
    ax.set_xlabel("adaptive threshold theta (mV)")
    ax.set_ylabel("excitatory neurons")
    return _save(fig, path)


def _names_of(class_names, n: int) -> list[str]:
    """``class_names`` where there is one per class, else the label numbers."""
    if class_names is not None and len(class_names) == n:
        return list(class_names)
    return [str(k) for k in range(n)]


def _class_ticks(ax, names: list[str]) -> None:
    """The class names along the x axis, slanted where they are words."""
    long = max(len(name) for name in names) > 2
    ax.set_xticks(range(len(names)), names, rotation=45 if long else 0, ha="right" if long else "center")


def plot_confusion(conf, path, class_names=None, split: str = "", likelihood: float | None = None):
    """The confusion matrix of the vote readout, rows true and columns
    predicted classes, labelled with ``class_names`` (default: the label
    numbers); the title names the ``split`` scored and, where given, the
    likelihood readout's accuracy on the same counts."""
    conf = np.asarray(conf)
    n = len(conf)
    names = _names_of(class_names, n)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    im = ax.imshow(conf, cmap="Blues")
    for r in range(n):
        for c in range(n):
            ax.text(c, r, conf[r, c], ha="center", va="center", fontsize=7,
                    color="white" if conf[r, c] > conf.max() / 2 else "black")
    _class_ticks(ax, names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    acc = np.trace(conf) / max(conf.sum(), 1)
    other = f"; likelihood readout {likelihood:.1%}" if likelihood is not None else ""
    ax.set_title(f"{split + ' split, ' if split else ''}vote readout: {acc:.1%} of {int(conf.sum()):,}{other}",
                 fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _save(fig, path)


def plot_labelling(neurons_per_class, path, spikes_per_class=None, class_names=None):
    """How the labelling shares the neurons out: the neurons labelled with
    each class and, where given, the mean spikes a labelling example of each
    class evokes (a class that takes many neurons and many spikes dominates)."""
    names = _names_of(class_names, len(neurons_per_class))
    panels = [("neurons labelled", neurons_per_class, "tab:blue")]
    if spikes_per_class is not None:
        panels.append(("excitatory spikes per labelling example", spikes_per_class, "tab:orange"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (label, values, colour) in zip(axes[0], panels):
        ax.bar(range(len(names)), values, color=colour)
        _class_ticks(ax, names)
        if label == "neurons labelled":
            ax.yaxis.get_major_locator().set_params(integer=True)   # whole neurons
        ax.set_ylabel(label)
        ax.set_xlabel("class")
    axes[0][0].set_title(f"labelling ({sum(neurons_per_class)} neurons labelled)")
    return _save(fig, path)


def plot_accuracy_history(history, path, window: int = 2000):
    """The running accuracy after each chunk of training: the chunk's
    examples classified with neuron labels assigned from the ``window``
    training examples before it (a chunk needs that many before it)."""
    history = np.asarray(history, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(history):
        ax.plot(history[:, 0], 100 * history[:, 1], "o-", ms=3)
    ax.set_xlabel("training examples")
    ax.set_ylabel(f"running accuracy (%): each chunk, labels\nfrom the {window:,} examples before it",
                  fontsize=9)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_learning_curve(curves: dict[str, list[dict]], path, split: str, title: str = ""):
    """Accuracy after every epoch, one line per label: points of {"epoch", "accuracy"}."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for label, points in curves.items():
        ax.plot([p["epoch"] for p in points], [100 * p["accuracy"] for p in points], "o-", label=label)
    ax.set_xticks(sorted({p["epoch"] for points in curves.values() for p in points}))
    ax.set_xlabel("epochs of training")
    ax.set_ylabel(f"{split} accuracy (%)")
    ax.set_title("\n".join(textwrap.wrap(title, 50)), fontsize=10)
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    return _save(fig, path)


def plot_weight_histogram(before, after, path, levels=None, quantised_in_training: bool = False):
    """Live input weights before and after the final quantisation (with
    ``quantised_in_training`` the weights before it were already quantised
    at every pruning step, and learned on from there)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, max(float(np.max(before)), float(np.max(after)), 1e-9), 80)
    ax.hist(before, bins=bins, alpha=0.6, color="tab:gray",
            label="before the final quantisation" + (" (also quantised at each pruning step)"
                                                     if quantised_in_training else ""))
    ax.hist(after, bins=bins, alpha=0.6, color="tab:red", label="after quantisation")
    for level in levels if levels is not None else []:
        ax.axvline(level, color="tab:red", lw=0.6, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("weight of a live input synapse")
    ax.set_ylabel("synapses")
    shown = f"{len(levels)} levels, " if levels is not None else ""
    ax.set_title(f"live input weights ({shown}{len(after):,} live synapses)", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_sweep_summary(summary: list[dict], key: str, path):
    """Validation accuracy (mean ± sd over seeds) against the first swept key,
    one line per value of the other swept keys."""
    others = [k for k in summary[0]
              if k not in (key, "n", "seeds") and not k.startswith(("validation_", "test_"))]
    fig, ax = plt.subplots(figsize=(6, 4.2))
    groups: dict = {}
    for e in summary:
        groups.setdefault(tuple(e[k] for k in others), []).append(e)
    numeric = all(isinstance(e[key], (int, float)) and not isinstance(e[key], bool) for e in summary)
    for values, members in groups.items():
        members = sorted(members, key=lambda e: e[key]) if numeric else members
        x = [e[key] for e in members] if numeric else list(range(len(members)))
        mean = [100 * e["validation_accuracy"][0] for e in members]
        sd = [100 * e["validation_accuracy"][1] if e["n"] > 1 else 0.0 for e in members]
        label = ", ".join(f"{k}={v}" for k, v in zip(others, values)) or None
        ax.errorbar(x, mean, yerr=sd, fmt="o-", capsize=3, label=label)
        if not numeric:
            ax.set_xticks(x, [str(e[key]) for e in members])
    ax.set_xlabel(key)
    ax.set_ylabel("validation accuracy (%), mean ± sd over seeds")
    ax.grid(alpha=0.3)
    if len(groups) > 1:
        ax.legend(fontsize=8)
    return _save(fig, path)


def plot_folds(series: list[dict], folds: list[str], path, names: list[str] | None = None):
    """Accuracy per held-out fold as grouped bars (mean ± sd over seeds), one
    bar per series: {"label", "per_fold": {fold: mean}, "per_fold_sd": {fold: sd}};
    ``names``: the folds as shown."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 + 0.55 * len(folds) * max(1, len(series))), 4.6))
    width = 0.8 / max(1, len(series))
    x = np.arange(len(folds))
    for i, s in enumerate(series):
        mean = [100 * s["per_fold"][f] for f in folds]
        sd = [100 * np.nan_to_num(s["per_fold_sd"][f]) for f in folds]
        ax.bar(x + (i - (len(series) - 1) / 2) * width, mean, width, yerr=sd, capsize=3, label=s["label"])
    ax.set_xticks(x, names or folds)
    ax.set_xlabel("fold, named by its test speaker (its validation bar scores another, training-side "
                  "speaker)", fontsize=9)
    ax.set_ylabel("accuracy (%), mean ± sd over seeds")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=min(2, len(series)))
    return _save(fig, path)


def plot_preprocessing(stages: list[dict], path, titles=None):
    """Caltech preprocessing: rows of original, grey, DoG, ON, OFF per image."""
    keys = ["original", "gray", "dog", "on", "off"]
    fig, axes = plt.subplots(len(stages), len(keys), figsize=(2.2 * len(keys), 2.2 * len(stages)),
                             squeeze=False)
    for r, st in enumerate(stages):
        for c, key in enumerate(keys):
            ax = axes[r, c]
            img = st[key]
            if key == "dog":
                lim = float(np.abs(img).max()) or 1.0
                ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
            else:
                ax.imshow(img, cmap=None if key == "original" else "gray")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(key)
        if titles:
            axes[r, 0].set_ylabel(titles[r])
    return _save(fig, path)


# ------------------------------------------------------------------ multimodal
def plot_multimodal_raster(raster: dict, path, slot: float, labels):
    """Input and excitatory spikes of the image (left) and audio (right) ensembles."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 6), sharex=True,
                             gridspec_kw=dict(height_ratios=[2, 1]))
    for col, modality in enumerate(("image", "audio")):
        for row, layer in enumerate(("input", "excitatory")):
            ax = axes[row, col]
            i, t = raster[f"{modality}_{layer}"]
            ax.plot(np.asarray(t) * 1000, i, "|", ms=2, color="k" if layer == "input" else "tab:red")
            ax.set_ylabel(f"{modality} {layer}\nneuron")
            for k in range(1, len(labels) + 1):
                ax.axvline(k * slot * 1000, color="0.7", lw=0.8)
        for k, label in enumerate(labels):
            axes[0, col].text((k + 0.5) * slot * 1000, 1.02, label, ha="center", fontsize=8,
                              transform=axes[0, col].get_xaxis_transform())
        axes[1, col].set_xlabel("time (ms)")
    return _save(fig, path)


def plot_cross_weights(w: np.ndarray, source_labels, target_labels, path, title: str):
    """Cross-modal weights (source neurons x target neurons), both sorted by neuron label:
    learned associations of the same digit lie in the diagonal blocks."""
    rows, cols = np.argsort(source_labels, kind="stable"), np.argsort(target_labels, kind="stable")
    fig, ax = plt.subplots(figsize=(6.5, 6))
    im = ax.imshow(w[np.ix_(rows, cols)], cmap="hot_r", interpolation="nearest", vmin=0, aspect="auto")
    for labels, line, ticks in ((np.sort(source_labels), ax.axhline, ax.set_yticks),
                                (np.sort(target_labels), ax.axvline, ax.set_xticks)):
        for k in np.flatnonzero(np.diff(labels)) + 0.5:
            line(k, color="tab:blue", lw=0.5)
        values, first, size = np.unique(labels, return_index=True, return_counts=True)
        ticks(first + size / 2 - 0.5, ["silent" if v < 0 else str(v) for v in values], fontsize=8)
    src, dst = title.split("_to_")
    ax.set_ylabel(f"{src} neurons, by label")
    ax.set_xlabel(f"{dst} neurons, by label")
    ax.set_title(f"{src} -> {dst} weights")
    fig.colorbar(im, ax=ax, fraction=0.046, label="weight")
    return _save(fig, path)


def class_label_rates(counts: np.ndarray, classes: np.ndarray, neuron_labels: np.ndarray,
                      n_classes: int) -> np.ndarray:
    """(true class, neuron label) -> mean spikes per presentation of one
    neuron with that label, over the examples of that class (NaN where no
    neuron has the label)."""
    out = np.full((n_classes, n_classes), np.nan)
    for c in range(n_classes):
        shown = counts[classes == c]
        for label in range(n_classes):
            cols = neuron_labels == label
            if len(shown) and cols.any():
                out[c, label] = shown[:, cols].mean()
    return out


SILENT_GREY = (0.6, 0.6, 0.6, 1.0)


def plot_recall(panels: list[dict], path, slot: float):
    """Cross-modal recall, one row per direction: the silent ensemble's spikes
    while only the other modality is shown (neurons sorted by label), and its
    class-wise mean rate (true class x neuron label; recall is the diagonal).
    ``panels``: dicts with ``title``, ``spikes`` (i, t), ``neuron_labels``,
    ``slot_labels`` (one text per slot) and ``rates`` (``class_label_rates``)."""
    fig, axes = plt.subplots(len(panels), 2, figsize=(13, 3.6 * len(panels)), squeeze=False,
                             gridspec_kw=dict(width_ratios=[2.2, 1]))
    for row, panel in zip(axes, panels):
        i, t = panel["spikes"]
        labels = np.asarray(panel["neuron_labels"])
        rank = np.empty(len(labels), dtype=int)
        rank[np.argsort(labels, kind="stable")] = np.arange(len(labels))
        i = np.asarray(i, dtype=int)
        colours = plt.get_cmap("tab10")(np.maximum(labels[i], 0) % 10)
        colours[labels[i] < 0] = SILENT_GREY          # neurons silent while labelled: no class colour
        row[0].scatter(np.asarray(t) * 1000, rank[i], c=colours, marker="|", s=30)
        for k in np.flatnonzero(np.diff(np.sort(labels))) + 0.5:
            row[0].axhline(k, color="0.85", lw=0.5)
        for k, text in enumerate(panel["slot_labels"]):
            row[0].axvline((k + 1) * slot * 1000, color="0.6", lw=0.8)
            row[0].text((k + 0.5) * slot * 1000, 1.02, text, ha="center", fontsize=8,
                        transform=row[0].get_xaxis_transform())
        row[0].set_xlim(0, len(panel["slot_labels"]) * slot * 1000)
        row[0].set_ylim(-0.5, len(labels) - 0.5)
        row[0].set_ylabel(f"{panel['title']}\nneuron (sorted by label)")
        row[0].set_xlabel("time (ms)")
        rates = np.asarray(panel["rates"], dtype=float)
        top = np.nanmax(rates) if np.isfinite(rates).any() else 0.0
        im = row[1].imshow(rates, cmap="hot_r", vmin=0, vmax=max(top, 0.1), interpolation="nearest")
        row[1].set_xlabel("neuron label")
        row[1].set_ylabel("digit shown")
        row[1].set_title("spikes per neuron and presentation", fontsize=9)
        fig.colorbar(im, ax=row[1], fraction=0.046)
    return _save(fig, path)


def plot_robustness(rows: list[dict], noises: list, path, split: str = "test", vote: str = ""):
    """Accuracy on ``split`` against noise level for each readout mode (both
    modalities combined by the run's ``vote`` rule)."""
    modality, kind, levels = noises[0]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    both = f"image + audio ({vote} vote)" if vote else "image + audio"
    for key, label, style in (("acc_image", "image only", "s--"), ("acc_audio", "audio only", "^--"),
                              ("acc_both", both, "o-")):
        ax.plot(range(len(rows)), [100 * r[key] for r in rows], style, label=label)
    ticks = [" / ".join(f"{r[f'{m}_{k}']:g}" for m, k, _ in noises) for r in rows]
    ax.set_xticks(range(len(rows)), ticks)
    unit = {"gaussian": "sigma", "salt_pepper": "fraction", "occlusion": "area",
            "white": "SNR dB", "babble": "SNR dB"}
    ax.set_xlabel(" / ".join(f"{m} {k} ({unit[k]})" for m, k, _ in noises))
    ax.set_ylabel(f"{split} accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_audio_examples(examples: list[dict], path, titles=None):
    """Spoken digits to spikes: waveform, spectrogram, feature map, ON/OFF input, input raster."""
    keys = ["waveform", "spectrogram", "map", "input", "raster"]
    fig, axes = plt.subplots(len(examples), len(keys), figsize=(3.0 * len(keys), 2.4 * len(examples)),
                             squeeze=False)
    for r, ex in enumerate(examples):
        a = axes[r]
        a[0].plot(ex["time_s"], ex["waveform"], lw=0.5)
        a[0].set_xlabel("s")
        a[1].imshow(ex["spectrogram_db"], origin="lower", aspect="auto", cmap="magma",
                    extent=[0, ex["time_s"][-1], 0, ex["freq_hz"][-1] / 1000])
        a[1].set_ylabel("kHz")
        a[2].imshow(ex["map"].T, origin="lower", aspect="auto", cmap="viridis")
        a[2].set_xlabel("frame")
        a[2].set_ylabel("band / coefficient")
        a[3].imshow(ex["input"].T, origin="lower", aspect="auto", cmap="gray_r")
        a[3].set_xlabel("frame (ON | OFF)" if ex["input"].shape[0] > ex["map"].shape[0] else "frame")
        i, t = ex["raster"]
        a[4].plot(np.asarray(t) * 1000, i, "|", ms=1.5, color="k")
        a[4].set_xlabel("ms")
        for c, key in enumerate(keys):
            if r == 0:
                a[c].set_title(key)
        if titles:
            a[0].set_ylabel(titles[r])
    return _save(fig, path)


def plot_class_drive(panels: list[dict], path, class_names=None):
    """Which class takes the neurons: per panel (``title``; ``drive``: each
    class's matched drive and ``share``: its share of the labels, one row
    per seed each), every class as a point at the means over the seeds,
    with the share's sd."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.0), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        share = 100 * np.asarray(panel["share"], dtype=float)
        drive = np.asarray(panel["drive"], dtype=float).mean(axis=0)
        ax.errorbar(drive, share.mean(axis=0), yerr=share.std(axis=0, ddof=1) if len(share) > 1 else None,
                    fmt="o", ms=4, capsize=2)
        for c, (x, y) in enumerate(zip(drive, share.mean(axis=0))):
            ax.annotate(class_names[c] if class_names else str(c), (x, y), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("matched drive (over the classes' mean)")
        ax.set_ylabel("share of the neurons' labels (%)")
        ax.set_title("\n".join(textwrap.wrap(panel["title"].replace(",", ", "), 48)), fontsize=8)
    return _save(fig, path)
