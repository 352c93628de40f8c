"""The validation accuracy after every epoch of finished runs of several
epochs (one run per seed, e.g. the tasks of a sweep; or, for a
leave-one-speaker-out sweep, one run per seed and fold, each seed's figure
then being the mean over its folds):

    python benchmarks/learning_curve.py runs/measure_mnist_6400/tasks/* \\
        [--record mnist_6400] [--plot docs/images/mnist_6400_curve.png]
    python benchmarks/learning_curve.py --from-record mnist_6400_3_seeds \\
        --plot docs/images/mnist_6400_curve.png

Each run is scored by ``stdpnet curve`` (its epoch states labelled anew and
scored on the validation split; epochs scored before are read back, not
scored again). Prints one row per epoch, mean ± sd over the runs, of the
vote or (``--readout likelihood``) of the likelihood readout; with
``--record NAME`` writes ``NAME.validation_accuracy[_likelihood]_epoch<K>``
(one value per seed) to the results registry; with ``--plot`` draws every
seed's curve. ``--from-record NAME`` reads the curve of an earlier
``--record NAME`` (or of a ``stdpnet pool-seeds`` record joining several)
from the registry instead of scoring runs, so a curve whose seeds ran on
different machines can be drawn where none of its runs are.
The test split is never read.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np

from stdpnet import results, runs
from stdpnet.errors import StdpnetError
from stdpnet.experiments import ensemble


def curves(run_dirs: list[Path], jobs: int | None,
           readout: str = "accuracy") -> tuple[dict[int, dict[int, float]], int]:
    """({seed: {epoch: validation accuracy}}, folds) of the vote (``readout``
    "accuracy") or the likelihood readout ("accuracy_likelihood"): runs of one seed must be
    folds (other test speakers), and every seed must have the same folds;
    a seed's accuracy is then the mean over its folds."""
    by_seed: dict = {}
    for run_dir in run_dirs:
        spec = runs.open_run(run_dir)
        fold = tuple(spec.data.test_speakers) if spec.data.audio_split == "speaker" else ()
        if fold in by_seed.setdefault(spec.seed, {}):
            sys.exit(f"{run_dir}: a second run of seed {spec.seed}"
                     + (f" holding out {list(fold)}" if fold else "") + "; give one run per seed (and fold)")
        points = ensemble.learning_curve(run_dir, jobs=jobs, quiet=True,
                                         log=lambda line, d=run_dir: print(f"{d.name}: {line}", flush=True))
        by_seed[spec.seed][fold] = {p["epoch"]: p[readout] for p in points}
    folds = {tuple(sorted(f)) for f in by_seed.values()}
    if len(folds) > 1:
        sys.exit("the seeds have different folds: " + "; ".join(
            f"seed {seed}: {sorted(f)}" for seed, f in sorted(by_seed.items())))
    out = {}
    for seed, per_fold in by_seed.items():
        epochs = set.intersection(*(set(p) for p in per_fold.values()))
        out[seed] = {e: float(np.mean([p[e] for p in per_fold.values()])) for e in sorted(epochs)}
    return out, len(next(iter(folds)))


def recorded_curves(name: str, readout: str = "vote", root: Path | None = None) -> dict[int, dict[int, float]]:
    """{seed: {epoch: validation accuracy}} of the registry entries
    ``NAME.validation_accuracy[_likelihood]_epoch<K>`` that ``--record NAME``
    (or ``stdpnet pool-seeds``) wrote."""
    stem = f"{name}.validation_accuracy" + ("_likelihood" if readout == "likelihood" else "") + "_epoch"
    out: dict = {}
    for entry in results.load_all(root):
        tail = entry["name"][len(stem):] if entry["name"].startswith(stem) else ""
        if tail.isdigit():
            for seed, value in entry["values"].items():
                out.setdefault(int(seed), {})[int(tail)] = float(value)
    if not out:
        raise SystemExit(f"{results.results_root() if root is None else root}: no entries {stem}<K> "
                         f"(write them with --record {name})")
    return {seed: dict(sorted(points.items())) for seed, points in sorted(out.items())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="*", help="finished run folders, one per seed")
    parser.add_argument("--from-record", metavar="NAME",
                        help="read the curve recorded as NAME from results/ instead of scoring runs")
    parser.add_argument("--jobs", type=int, help="processes per scoring pass (default: one per usable core)")
    parser.add_argument("--record", metavar="NAME", help="write every epoch's figure to results/NAME.*")
    parser.add_argument("--plot", type=Path, help="a PNG of every seed's curve")
    parser.add_argument("--readout", choices=("vote", "likelihood"), default="vote",
                        help="the readout whose accuracy is shown and recorded (default: vote)")
    args = parser.parse_args()
    if bool(args.runs) == bool(args.from_record):
        parser.error("give either run folders or --from-record NAME")
    if args.from_record and args.record:
        parser.error("--record writes a curve scored from runs; --from-record reads one already written")
    try:   # said now, not after hours of scoring
        spec_file = results.shipped_spec(runs.open_run(args.runs[0]).name) if args.record else None
    except StdpnetError as exc:
        sys.exit(f"error: {exc}")
    if args.from_record:
        by_seed = recorded_curves(args.from_record, args.readout)
        spec_path = args.from_record
    else:
        key = "accuracy" if args.readout == "vote" else "accuracy_likelihood"
        by_seed, n_folds = curves(args.runs, args.jobs, key)
        spec_path = runs.open_run(args.runs[0]).name
    epochs = sorted({e for points in by_seed.values() for e in points})
    print(f"| epochs | validation accuracy, {args.readout} (mean ± sd) | per seed |\n|---|---|---|")
    for epoch in epochs:
        values = {s: p[epoch] for s, p in by_seed.items() if epoch in p}
        v = 100 * np.array(list(values.values()))
        sd = f" ± {v.std(ddof=1):.2f}" if len(v) > 1 else ""
        print(f"| {epoch} | {v.mean():.2f}%{sd} | "
              + ", ".join(f"{s}: {100 * a:.2f}%" for s, a in sorted(values.items())) + " |")
    if args.plot:
        from stdpnet.plots import plot_learning_curve
        plot_learning_curve({f"seed {seed}": [{"epoch": e, "accuracy": a} for e, a in sorted(points.items())]
                             for seed, points in sorted(by_seed.items())},
                            args.plot, "validation", f"{spec_path}: validation accuracy ({args.readout}) by epoch")
        print(f"wrote {args.plot}")
    if args.record:
        source = results.provenance(spec_file, "python " + shlex.join(sys.argv))
        title = results.title_of(args.record, args.record)
        for epoch in epochs:
            values = {s: p[epoch] for s, p in by_seed.items() if epoch in p}
            name = "validation_accuracy" + ("_likelihood" if args.readout == "likelihood" else "")
            results.write(results.figure(f"{args.record}.{name}_epoch{epoch}", title,
                                         f"accuracy ({args.readout}) after {epoch} epoch(s) of training"
                                         + (f", mean over {n_folds} folds" if n_folds > 1 else ""),
                                         "validation", "%", values, source))
        print(f"wrote {results.results_root()}/{args.record}.{name}_epoch*")


if __name__ == "__main__":
    main()
