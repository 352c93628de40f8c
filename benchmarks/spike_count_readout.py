"""How much of an ensemble's loss against a linear classifier of its inputs
lies in the representation and how much in the unsupervised readout.

For every task of a finished sweep (validation only; one run per seed, or per
seed and fold for ``--folds speaker``), a multinomial logistic regression
(scikit-learn) is fitted to the spike counts of the labelling examples
(``assign_counts`` in the run's ``readout.npz``: the training examples that
label the neurons) and scored on the validation counts. Its regularisation
is chosen on the validation split (``C_GRID``), as
``benchmarks/speaker_baseline.py`` chooses the inputs' classifier's, so the
two validation figures compare like with like:

- linear classifier on the inputs (``speaker_baseline.py``) - the ceiling a
  label-fitted linear readout reaches on the features;
- linear classifier on the spike counts (this script) - what the 400
  learned templates keep of it;
- the vote and the likelihood readout (the sweep) - what the unsupervised
  labelling makes of the counts.

    python benchmarks/spike_count_readout.py runs/select_fsdd_extra_voices \\
        --spec networks/fsdd_audio_400_inh8.toml [--record fsdd_inh8_extra_voices_counts]

No simulation; the test split is never read. Each seed's figure is its mean
over the folds; cells are the sweep's swept settings (``sweep.csv``).
Needs scikit-learn (pip install scikit-learn).
"""
from __future__ import annotations

import argparse
import csv
import shlex
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from stdpnet import results, runs

C_GRID = (0.0001, 0.001, 0.01, 0.1, 1.0, 10.0)
NOT_SETTINGS = ("seed", "task", "data.test_speakers")


def linear_on_counts(readout: dict) -> float:
    """Validation accuracy of a logistic regression fitted to the labelling
    examples' spike counts (each count divided by the largest of them), the
    best over ``C_GRID``."""
    train, y = readout["assign_counts"].astype(np.float64), readout["assign_labels"]
    scale = max(1.0, float(train.max()))
    val, val_y = readout["validation_counts"] / scale, readout["validation_labels"]
    return max(LogisticRegression(C=c, max_iter=3000).fit(train / scale, y).score(val, val_y)
               for c in C_GRID)


def sweep_rows(sweep: Path) -> list[dict]:
    path = sweep / "sweep.csv"
    if not path.exists():
        sys.exit(f"{path}: not found; give the folder of a finished `stdpnet sweep`")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "validation_accuracy" not in rows[0]:
        sys.exit(f"{path}: no validation scores")
    return rows


def sweep_arguments(description: str, plot: bool = False) -> tuple[argparse.Namespace, dict | None]:
    """The command line of a benchmark that reads a finished sweep: its
    folder, the spec it ran, an optional record name (and with ``plot`` an
    optional picture); and the record's provenance (None without ``--record``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("sweep", type=Path, help="a finished sweep's folder (sweep.csv, tasks/)")
    parser.add_argument("--spec", required=True, help="the spec the sweep ran (for the record's provenance)")
    parser.add_argument("--record", metavar="NAME", help="write each cell's figures to results/NAME.*")
    if plot:
        parser.add_argument("--plot", type=Path, metavar="PNG", help="draw the figures of every cell")
    args = parser.parse_args()
    return args, results.provenance(args.spec, "python " + shlex.join(sys.argv)) if args.record else None


def kept_tasks(sweep: Path):
    """For every task of a finished sweep, one at a time (a large network's
    counts take hundreds of MB): its sweep.csv row, its cell (the swept
    settings as text), its folder and its readout.npz, which must hold
    validation counts."""
    rows = sweep_rows(sweep)
    settings = [k for k in rows[0] if k not in NOT_SETTINGS and not k.startswith(("validation_", "test_"))]
    for r in rows:
        task = sweep / "tasks" / r["task"]
        readout = runs.load_npz(task / runs.READOUT)
        if "validation_counts" not in readout:
            sys.exit(f"{task}: no validation counts")
        yield r, ",".join(f"{k}={r[k]}" for k in settings), task, readout


def print_and_record(cells: dict, figures: dict, record: str | None, source: dict | None,
                     default_title: str) -> None:
    """Print a table of ``cells`` ({cell: {seed: {figure: value}}}), mean ±
    sd over the seeds of every figure of ``figures`` ({name: (unit, metric)}),
    as the results registry shows them, and with ``record`` write each
    cell's figures to the registry as ``RECORD.[CELL_]validation_NAME``."""
    title = results.title_of(record, default_title) if record else default_title
    print("\n| cell | " + " | ".join(name.replace("_", " ") for name in figures) + " |\n"
          "|---|" + "---|" * len(figures))
    for cell, per_seed in cells.items():
        entries = [results.figure(f"{record}.{cell + '_' if cell else ''}validation_{name}", title,
                                  f"{metric}{', ' + cell if cell else ''}", "validation", unit,
                                  {s: per_seed[s][name] for s in sorted(per_seed)}, source or {})
                   for name, (unit, metric) in figures.items()]
        print(f"| {cell or '(spec)'} | " + " | ".join(results.mean_sd(e) for e in entries) + " |")
        if record:
            for entry in entries:
                print(f"wrote {results.write(entry)}")


def main():
    args, source = sweep_arguments(__doc__.splitlines()[0])
    # {cell: {seed: {figure: [one value per fold]}}}
    cells: dict = {}
    for r, cell, _, readout in kept_tasks(args.sweep):
        per_seed = cells.setdefault(cell, {}).setdefault(int(r["seed"]), {})
        for figure, value in (("vote", float(r["validation_accuracy"])),
                              ("likelihood", float(r["validation_accuracy_likelihood"])),
                              ("linear_counts", linear_on_counts(readout))):
            per_seed.setdefault(figure, []).append(value)
        print(f"{cell} seed {r['seed']} {r.get('data.test_speakers', '')}: linear on counts "
              f"{100 * per_seed['linear_counts'][-1]:.1f}%", flush=True)
    print("\n| cell | vote | likelihood | linear classifier on the spike counts |\n|---|---|---|---|")
    for cell, per_seed in cells.items():
        shown = []
        for figure in ("vote", "likelihood", "linear_counts"):
            v = 100 * np.array([np.mean(per_seed[s][figure]) for s in sorted(per_seed)])
            shown.append(f"{v.mean():.2f}% ± {v.std(ddof=1) if len(v) > 1 else 0:.2f}")
        print(f"| {cell or '(spec)'} | " + " | ".join(shown) + " |")
        if args.record:
            folds = len(next(iter(per_seed.values()))["linear_counts"])
            title = results.title_of(args.record, "Logistic regression on an ensemble's spike counts")
            entry = results.figure(
                f"{args.record}.{cell + '_' if cell else ''}validation_accuracy_linear_counts", title,
                f"accuracy, logistic regression on the labelling examples' spike counts, "
                f"mean over {folds} folds{', ' + cell if cell else ''}", "validation", "%",
                {s: float(np.mean(per_seed[s]["linear_counts"])) for s in sorted(per_seed)}, source)
            print(f"wrote {results.write(entry)}")


if __name__ == "__main__":
    main()
