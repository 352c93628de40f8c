"""Which class takes the most neurons: the drive a class gives the neurons
tuned to it.

Normalisation keeps the total of every neuron's input weights fixed, so a
neuron whose field is a class's mean input (scaled to that total) receives,
from an example x of the class, the current x . m_c / sum(m_c). A class
whose examples put their input on the pixels its typical example uses
(small, consistent shapes: the digit 1, a trouser) drives such a neuron
harder than a class whose input spreads or moves (a sandal's thin straps),
whatever the examples' totals. This is the class's *matched drive*, a
property of the data alone; the benchmark sets it against how many neurons
each class labels in a trained network.

For every task of a finished sweep (validation and training parts only, no
simulation; the labelling counts in each run's ``readout.npz``), this prints
and records:

- ``drive_share_correlation``: the rank correlation (Spearman) over the
  classes between their matched drive and their share of the labels;
- ``most_driven_class``: the class of the largest matched drive, and
  ``most_driven_share``: its share of the labels;
- ``most_labelled_class``: the class that labels the most neurons,
  ``most_labelled_drive``: its matched drive over the classes' mean, and
  ``most_labelled_drive_rank``: where that drive ranks (1: the largest).

With ``--plot PNG`` it draws every class at its drive and its share of the
labels, one panel per cell.

    python benchmarks/matched_drive.py runs/measure_mnist_1600_equal_totals \\
        --spec networks/mnist_1600.toml [--record mnist_1600_equal_totals_drive] [--plot PNG]

The inputs are the training part as the network is given it (after
``data.equal_totals``, where the spec sets it); no figure is computed on
the test split.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from stdpnet import results
from stdpnet.plots import plot_class_drive
from stdpnet.readout import vote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from likelihood_readout import dataset_of  # noqa: E402
from spike_count_readout import kept_tasks, print_and_record, sweep_arguments  # noqa: E402


def matched_drive(inputs: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(classes,) the mean input x . m_c / sum(m_c) that an example x of each
    class c gives a neuron whose field is the class's mean input m_c, over
    the mean of the classes' drives."""
    x = np.asarray(inputs, dtype=np.float64)
    drive = np.empty(n_classes)
    for c in range(n_classes):
        examples = x[labels == c]
        field = examples.mean(axis=0)
        drive[c] = (examples @ (field / field.sum())).mean()
    return drive / drive.mean()


def label_shares(readout: dict, n_classes: int) -> np.ndarray:
    """(classes,) the share of the neurons each class labels."""
    rates = vote.class_rates(readout["assign_counts"], readout["assign_labels"], n_classes)
    return vote.neurons_per_class(vote.labels_from_rates(rates), n_classes) / len(rates[0])


def drive_figures(drive: np.ndarray, shares: np.ndarray) -> dict:
    driven, labelled = int(drive.argmax()), int(shares.argmax())
    return {"drive_share_correlation": float(spearmanr(drive, shares).statistic),
            "most_driven_class": driven, "most_driven_share": float(shares[driven]),
            "most_labelled_class": labelled, "most_labelled_drive": float(drive[labelled]),
            "most_labelled_drive_rank": int((drive > drive[labelled]).sum()) + 1}


FIGURES = {   # name: (unit, metric)
    "drive_share_correlation": ("", "rank correlation over the classes of their matched drive and their "
                                    "share of the neurons' labels"),
    "most_driven_class": (results.CLASS, "the class of the largest matched drive (its index)"),
    "most_driven_share": ("%", "share of the neurons labelled with the class of the largest matched drive"),
    "most_labelled_class": (results.CLASS, "the class that labels the most neurons (its index)"),
    "most_labelled_drive": ("x", "matched drive of the most labelled class over the classes' mean"),
    "most_labelled_drive_rank": ("", "rank of the most labelled class's matched drive among the classes' "
                                     "(1: the largest)"),
}


def main():
    args, source = sweep_arguments(__doc__.splitlines()[0], plot=True)
    cells: dict = {}   # {cell: {seed: {figure: value}}}
    panels: dict = {}  # {cell: {"title", "drive", "share": one row per seed each}}
    for r, cell, task, readout in kept_tasks(args.sweep):
        n_classes = int(max(readout["assign_labels"].max(), readout["validation_labels"].max())) + 1
        part = dataset_of(task)
        drive = matched_drive(part.train_x, part.train_y, n_classes)
        shares = label_shares(readout, n_classes)
        cells.setdefault(cell, {})[int(r["seed"])] = drive_figures(drive, shares)
        panel = panels.setdefault(cell, {"title": cell or args.spec, "drive": [], "share": []})
        panel["drive"].append(drive)
        panel["share"].append(shares)
    print_and_record(cells, FIGURES, args.record, source,
                     "The matched drive of each class and its share of the labels")
    if args.plot:
        plot_class_drive(list(panels.values()), args.plot, part.class_names)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
