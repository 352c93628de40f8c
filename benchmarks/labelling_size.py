"""How the validation accuracy of trained, evaluated runs depends on the
number of labelled digits that assign the neurons' labels (one run per seed):

    python benchmarks/labelling_size.py runs/measure_mnist_6400/tasks/* \\
        --sizes 1000 2500 5000 10000 [--record mnist_6400_labelling]

No simulation: each run's ``readout.npz`` holds the spike counts of its
labelling digits and of the validation split (written by ``stdpnet evaluate
RUN --split validation``). For every size K, K labelling digits are drawn at
random (``--draws`` times, each draw from its own seeded generator), labels
are assigned from their counts, and the validation counts are read by the
vote and by the likelihood readout; the figure of a seed is the mean over its
draws. If the accuracy has stopped growing well below the full labelling
set, more labelling digits would not help. The test split is never read.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np

from stdpnet import results, runs
from stdpnet.errors import StdpnetError
from stdpnet.readout import likelihood, vote


def accuracies(readout: dict, size: int, draws: int, n_classes: int) -> tuple[float, float]:
    """(vote, likelihood) validation accuracy with ``size`` labelling digits,
    each the mean over ``draws`` random subsets."""
    counts, labels = readout["assign_counts"], readout["assign_labels"]
    scored, truth = readout["validation_counts"], readout["validation_labels"]
    if size > len(labels):
        raise ValueError(f"--sizes: {size} is more than the {len(labels)} labelling digits of the run")
    out = []
    for draw in range(draws if size < len(labels) else 1):
        pick = np.random.default_rng(draw).permutation(len(labels))[:size]
        rates = vote.class_rates(counts[pick], labels[pick], n_classes)
        out.append((vote.accuracy(truth, vote.predict(scored, vote.labels_from_rates(rates), n_classes)),
                    vote.accuracy(truth, likelihood.log_likelihoods(scored, rates).argmax(axis=1))))
    return tuple(np.mean(out, axis=0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="evaluated run folders, one per seed")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2500, 5000, 10000])
    parser.add_argument("--draws", type=int, default=5, help="random subsets per size (default 5)")
    parser.add_argument("--record", metavar="NAME", help="write every figure to results/NAME.*")
    args = parser.parse_args()
    try:   # said now, not after the scoring
        spec_file = results.shipped_spec(runs.open_run(args.runs[0]).name) if args.record else None
    except StdpnetError as exc:
        sys.exit(f"error: {exc}")
    by_seed = {}
    for run_dir in args.runs:
        path = run_dir / runs.READOUT
        readout = runs.load_npz(path) if path.exists() else {}
        if "validation_counts" not in readout:
            sys.exit(f"{path}: no validation counts; run `stdpnet evaluate {run_dir} --split validation` first")
        spec = runs.open_run(run_dir)
        if spec.seed in by_seed:
            sys.exit(f"{run_dir}: a second run of seed {spec.seed}; give one run per seed")
        n_classes = int(max(readout["assign_labels"].max(), readout["validation_labels"].max())) + 1
        try:
            by_seed[spec.seed] = {k: accuracies(readout, k, args.draws, n_classes) for k in args.sizes}
        except ValueError as exc:
            sys.exit(f"{run_dir}: {exc}")
    print("| labelling digits | vote (mean ± sd) | likelihood (mean ± sd) |\n|---|---|---|")
    for k in args.sizes:
        v = 100 * np.array([by_seed[s][k] for s in sorted(by_seed)])
        sd = v.std(axis=0, ddof=1) if len(v) > 1 else np.zeros(2)
        print(f"| {k} | {v[:, 0].mean():.2f}% ± {sd[0]:.2f} | {v[:, 1].mean():.2f}% ± {sd[1]:.2f} |")
    if args.record:
        source = results.provenance(spec_file, "python " + shlex.join(sys.argv))
        title = results.title_of(args.record, args.record)
        for k in args.sizes:
            for column, readout_name in ((0, "vote"), (1, "likelihood")):
                results.write(results.figure(
                    f"{args.record}.validation_accuracy_{readout_name}_assign{k}", title,
                    f"accuracy ({readout_name}), labels from {k} digits", "validation", "%",
                    {s: by_seed[s][k][column] for s in sorted(by_seed)}, source))
        print(f"wrote {results.results_root()}/{args.record}.*")


if __name__ == "__main__":
    main()
