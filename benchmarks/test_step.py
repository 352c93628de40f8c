"""Validation accuracy and test-mode speed of trained networks when the test
network steps more coarsely (``schedule.test_dt_ms``) than it learned.

The networks are the tasks of ``stdpnet sweep SPEC --seeds ... [--set ...]``
(trained here, or reused from ``--out`` when that sweep already ran them).
Each one is copied with its trained weights and thresholds, ``test_dt_ms``
is set, and the copy is labelled and scored on the validation split (never
the test split), one after another in this process:

    taskset -c 0 python benchmarks/test_step.py networks/mnist_400.toml --seeds 0-4 \\
        --out runs/measure_mnist_400 --test-dt 0,1.0 --record mnist_400_test_step

Prints per step: the vote accuracy of each seed, mean ± sd, the paired
difference to the first step given, and ms per scored example.
"""
from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from stdpnet import results, runs
from stdpnet.experiments import ensemble
from stdpnet.experiments.sweep import run_sweep
from stdpnet.spec import dump_spec, load_spec
from stdpnet.spec.grid import parse_seeds, parse_sets


def score(run_dir: Path, test_dt: float, work: Path) -> dict:
    """Label and score a copy of ``run_dir`` on validation with this test step."""
    spec = load_spec(run_dir / runs.SPEC)
    spec.schedule.test_dt_ms = test_dt
    spec.validate()
    copy = work / f"{run_dir.name}-{test_dt:g}"
    copy.mkdir(parents=True)
    for name in (runs.WEIGHTS, runs.CHECKPOINT):
        shutil.copy(run_dir / name, copy / name)
    (copy / runs.SPEC).write_text(dump_spec(spec))
    out = ensemble.evaluate(copy, quiet=True, jobs=1, split="validation")
    return {"seed": spec.seed, "test_dt_ms": spec.schedule.dt_for(False), "accuracy": out["accuracy"],
            "ms_per_example": out["ms_per_example"]}


def trained_runs(args) -> list[Path]:
    """The run folders of SPEC's sweep tasks, one per seed, trained if missing."""
    spec = load_spec(args.spec)
    sets = parse_sets(args.set)
    several = [k for k, v in sets.items() if len(v) != 1]
    if several:
        raise SystemExit(f"--set {several[0]}: give one value (the networks of one setting)")
    out = args.out or Path("runs") / f"sweep_{spec.name}"
    result = run_sweep(spec, sets, parse_seeds(args.seeds), out, workers=args.workers, quiet=True)
    if result["failed"]:
        raise SystemExit(f"{len(result['failed'])} tasks failed; see {out / 'errors'}")
    return [out / "tasks" / t.digest for t in result["tasks"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="network spec (TOML)")
    parser.add_argument("--seeds", default="0-2", help="seeds, e.g. 0-4 (default 0-2)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting of the networks, as stdpnet sweep --set (one value; repeatable)")
    parser.add_argument("--out", type=Path, help="the sweep folder (default runs/sweep_<spec name>)")
    parser.add_argument("--workers", type=int, help="training processes (default: one per core)")
    parser.add_argument("--test-dt", default="0,1.0",
                        help="comma-separated test steps in ms (0: the run's own dt_ms)")
    parser.add_argument("--record", metavar="NAME",
                        help="write the figures to results/NAME.* (validation split)")
    args = parser.parse_args()
    steps = [float(v) for v in args.test_dt.split(",")]
    own = float(parse_sets(args.set).get("schedule.dt_ms", [load_spec(args.spec).schedule.dt_ms])[0])
    effective = [dt or own for dt in steps]              # 0: the run's own step
    if len(set(effective)) != len(effective):
        sys.exit(f"--test-dt {args.test_dt}: steps {effective} (0 is the run's own {own:g} ms) name one "
                 "step twice; give each once")
    if args.record:
        results.check_name(args.record)
    source = results.provenance(args.spec, "python " + shlex.join(sys.argv))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in trained_runs(args):
            for dt in steps:
                rows.append(score(run, dt, Path(tmp)))
                print(rows[-1], flush=True)
    by_step: dict = {}
    for r in rows:
        by_step.setdefault(r["test_dt_ms"], []).append(r)
    first = next(iter(by_step.values()))
    print("| test dt (ms) | accuracy (validation) | paired difference | ms per example |")
    print("|---|---|---|---|")
    for dt, group in by_step.items():
        acc = np.array([100 * r["accuracy"] for r in group])
        diff = acc - np.array([100 * r["accuracy"] for r in first])
        ms = np.array([r["ms_per_example"] for r in group])
        print(f"| {dt:g} | {acc.mean():.2f} ± {acc.std(ddof=1):.2f} | {diff.mean():+.2f} ± "
              f"{diff.std(ddof=1):.2f} | {ms.mean():.2f} |")
        if args.record:
            title = results.title_of(args.record, f"{args.record}: labelling and scoring with the test "
                                     "network stepped more coarsely than it learned")
            for column, unit, metric, value in (
                    ("validation_accuracy", "%", "accuracy (vote)", lambda r: r["accuracy"]),
                    ("validation_ms_per_example", "ms", "labelling and scoring time per example",
                     lambda r: r["ms_per_example"])):
                entry = results.figure(f"{args.record}.{column}_test_dt{dt:g}", title,
                                       f"{metric}, test network at {dt:g} ms", "validation", unit,
                                       {r["seed"]: value(r) for r in group}, source)
                print("wrote", results.write(entry))


if __name__ == "__main__":
    main()
