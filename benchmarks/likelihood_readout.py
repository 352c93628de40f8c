"""Why the likelihood readout can fall below the vote: the Poisson model's
total-rate term.

The likelihood readout (``stdpnet.readout.likelihood``) scores class c by
sum_n [count_n log(rate_cn) - rate_cn]. Its second term, the class's mean
spike total, makes the total number of spikes evidence for a class. Where
the classes' mean totals differ widely (Fashion-MNIST: a coat drives the
network far harder than a sandal), an example whose total is off its class's
mean is pulled to another class however its spikes are spread. The same
model given each example's total (a multinomial over the neurons:
sum_n count_n log(rate_cn / sum_m rate_cm)) reads only how the spikes are
spread.

For every task of a finished sweep (validation only, no simulation; the
counts in each run's ``readout.npz``), this prints and records:

- the vote and the Poisson likelihood readout, as the sweep scored them;
- the multinomial readout (``multinomial``), the same class rates given
  each example's total;
- the ratio of the largest to the smallest class-mean spike total of the
  labelling examples (``class_total_ratio``), and the mean spike total of
  a validation example (``spikes_per_example``);
- where the totals come from: the distinct neurons that fire for a
  validation example (``active_per_example``), the ratio of the largest to
  the smallest class mean of that number over the labelling examples
  (``class_active_ratio``), and which class labels the most neurons
  (``most_labelled_class``) and its share of them (``largest_label_share``);
- what the neurons learned: the share of the neurons whose weight field is
  nearest (cosine) the mean training input of the most labelled class
  (``fields_nearest_most_labelled``); reads the run's ``weights.npz`` and
  its training inputs;
- what each class brings: the mean input total (the ink of an image) of the
  most labelled class's training examples over that of all of them
  (``most_labelled_input_total``), and the largest over the smallest
  class-mean input total (``class_input_ratio``).

    python benchmarks/likelihood_readout.py runs/select_fashion_400 \\
        --spec networks/fashion_400.toml [--record fashion_400_likelihood]

Cells are the sweep's swept settings (``sweep.csv``); no figure is computed
on the test split.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from stdpnet import results, runs
from stdpnet.data.load import load_dataset
from stdpnet.readout import likelihood, vote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spike_count_readout import kept_tasks, print_and_record, sweep_arguments  # noqa: E402


def multinomial_log_likelihoods(counts: np.ndarray, rates: np.ndarray,
                                floor: float = likelihood.RATE_FLOOR) -> np.ndarray:
    """(examples, classes) log-likelihood of how each example's spikes are
    spread over the neurons, given its total: each class's rates (raised to
    ``floor``, as ``likelihood.log_likelihoods`` raises them) normalised to
    the probability that a spike comes from each neuron."""
    lam = np.maximum(np.asarray(rates, dtype=np.float64), floor)
    return np.asarray(counts, dtype=np.float64) @ np.log(lam / lam.sum(axis=1, keepdims=True)).T


def readouts(readout: dict, n_classes: int) -> dict:
    """Validation figures of one run from its labelling and validation counts."""
    rates = vote.class_rates(readout["assign_counts"], readout["assign_labels"], n_classes)
    counts, labels = readout["validation_counts"], readout["validation_labels"]
    totals = rates.sum(axis=1)
    active = vote.class_rates(np.asarray(readout["assign_counts"]) > 0, readout["assign_labels"],
                              n_classes).sum(axis=1)
    assignments = vote.labels_from_rates(rates)
    labelled = vote.neurons_per_class(assignments, n_classes)
    return {
        "vote": vote.accuracy(labels, vote.predict(counts, assignments, n_classes)),
        "likelihood": vote.accuracy(labels, likelihood.log_likelihoods(counts, rates).argmax(axis=1)),
        "multinomial": vote.accuracy(labels, multinomial_log_likelihoods(counts, rates).argmax(axis=1)),
        "class_total_ratio": float(totals.max() / max(totals.min(), likelihood.RATE_FLOOR)),
        "spikes_per_example": float(np.asarray(counts).sum(axis=1).mean()),
        "active_per_example": float((np.asarray(counts) > 0).sum(axis=1).mean()),
        "class_active_ratio": float(active.max() / max(active.min(), likelihood.RATE_FLOOR)),
        "most_labelled_class": int(labelled.argmax()),
        "largest_label_share": float(labelled.max() / len(rates[0])),
    }


def nearest_class_means(weights: np.ndarray, inputs: np.ndarray, labels: np.ndarray,
                        n_classes: int) -> np.ndarray:
    """(neurons,) the class whose mean input each neuron's weight field
    ((inputs, neurons)) is nearest to, by cosine."""
    means = np.stack([np.asarray(inputs, dtype=np.float64)[labels == c].mean(axis=0) for c in range(n_classes)])
    fields = np.asarray(weights, dtype=np.float64)
    cosine = (means / np.linalg.norm(means, axis=1, keepdims=True)) @ (fields / np.linalg.norm(fields, axis=0))
    return cosine.argmax(axis=0)


def class_input_totals(inputs: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(classes,) each class's mean input total over the mean total of all
    the examples: how much more input an example of the class brings."""
    totals = np.asarray(inputs, dtype=np.float64).sum(axis=1)
    return np.array([totals[labels == c].mean() for c in range(n_classes)]) / totals.mean()


_LOADED: dict = {}   # {(repr of a data section, seed): Dataset}, the last one loaded


def dataset_of(task: Path):
    """The dataset of a task's spec (its seed carves the validation part of
    some kinds), loaded once for tasks that share it."""
    spec = runs.open_run(task)
    key = (repr(spec.data), spec.seed)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_dataset(spec.data, spec.seed)
    return _LOADED[key]


FIGURES = {   # name: (unit, metric)
    "vote": ("%", "accuracy (vote) of the kept counts"),
    "likelihood": ("%", "accuracy, Poisson likelihood readout of the kept counts"),
    "multinomial": ("%", "accuracy, likelihood readout given each example's spike total (multinomial)"),
    "class_total_ratio": ("x", "largest over smallest class-mean spike total of the labelling examples"),
    "spikes_per_example": ("", "excitatory spikes per validation example"),
    "active_per_example": ("", "distinct excitatory neurons firing per validation example"),
    "class_active_ratio": ("x", "largest over smallest class mean of the distinct neurons firing per "
                                "labelling example"),
    "most_labelled_class": (results.CLASS, "the class that labels the most neurons (its index)"),
    "largest_label_share": ("%", "share of the neurons labelled with the most common class"),
    "fields_nearest_most_labelled": ("%", "share of the neurons whose weight field is nearest (cosine) the "
                                          "mean training input of the most labelled class"),
    "most_labelled_input_total": ("x", "mean input total of the most labelled class's training examples "
                                       "over that of all of them"),
    "class_input_ratio": ("x", "largest over smallest class-mean input total of the training examples"),
}


def main():
    args, source = sweep_arguments(__doc__.splitlines()[0])
    cells: dict = {}   # {cell: {seed: {figure: value}}}
    for r, cell, task, readout in kept_tasks(args.sweep):
        n_classes = int(max(readout["assign_labels"].max(), readout["validation_labels"].max())) + 1
        figures = readouts(readout, n_classes)
        part = dataset_of(task)
        inputs, labels = part.train_x, part.train_y
        nearest = nearest_class_means(runs.load_npz(task / runs.WEIGHTS)["w"], inputs, labels, n_classes)
        figures["fields_nearest_most_labelled"] = float(np.mean(nearest == figures["most_labelled_class"]))
        ink = class_input_totals(inputs, labels, n_classes)
        figures["most_labelled_input_total"] = float(ink[figures["most_labelled_class"]])
        figures["class_input_ratio"] = float(ink.max() / ink.min())
        for name in ("vote", "likelihood"):   # as the sweep scored them, or the counts are not its
            if abs(figures[name] - float(r[f"validation_accuracy{'' if name == 'vote' else '_likelihood'}"])) > 1e-4:
                sys.exit(f"{task}: the {name} readout of the kept counts differs from sweep.csv's")
        cells.setdefault(cell, {})[int(r["seed"])] = figures
    print_and_record(cells, FIGURES, args.record, source,
                     "The likelihood readout given each example's spike total")


if __name__ == "__main__":
    main()
