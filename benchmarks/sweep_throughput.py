"""Sweep tasks per hour with 1 and with N Dask workers, side by side in one run.

The same grid (a small MNIST network, one cell per seed) runs into a fresh
folder once per worker count; the compiled binaries are built first, so the
figures are the tasks' own time plus Dask's overhead:

    python benchmarks/sweep_throughput.py --tasks 6 --workers 1 2

Prints tasks per hour for each worker count and the ratio to one worker.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from stdpnet.experiments.sweep import run_sweep, run_task, tasks
from stdpnet.spec import load_spec

REPO = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=REPO / "networks" / "mnist_quick.toml")
    parser.add_argument("--tasks", type=int, default=6, help="tasks (seeds) per sweep")
    parser.add_argument("--examples", type=int, default=1000, help="training examples per task")
    parser.add_argument("--validation", type=int, default=2000, help="validation examples per task")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    spec = load_spec(args.spec)
    spec.data.train_examples = args.examples
    spec.data.assign_examples = min(spec.data.assign_examples, args.examples)
    spec.data.validation_examples = args.validation
    seeds = list(range(args.tasks))
    report = {"spec": str(args.spec), "tasks": args.tasks, "examples": args.examples}
    with tempfile.TemporaryDirectory() as tmp:
        warm = tasks(spec, {}, [1000])[0]   # compiles both binaries once, outside the timing
        run_task(warm.spec, str(Path(tmp) / "warm"), ("validation",))
        for n in args.workers:
            t0 = time.perf_counter()
            result = run_sweep(spec, {}, seeds, Path(tmp) / f"w{n}", workers=n, log=lambda *_: None,
                               quiet=True)
            seconds = time.perf_counter() - t0
            assert not result["failed"], result["failed"]
            report[f"workers_{n}"] = {"seconds": round(seconds, 1),
                                      "tasks_per_hour": round(3600 * args.tasks / seconds, 1)}
    base = report[f"workers_{args.workers[0]}"]["tasks_per_hour"]
    for n in args.workers:
        report[f"workers_{n}"]["ratio"] = round(report[f"workers_{n}"]["tasks_per_hour"] / base, 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
