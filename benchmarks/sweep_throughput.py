"""Sweep tasks per hour with 1 and with N Dask workers, side by side in one run.

The same grid (a small MNIST network, one cell per seed) runs into a fresh
folder once per worker count; the compiled binaries are built first, so the
figures are the tasks' own time plus Dask's overhead:

    python benchmarks/sweep_throughput.py --tasks 6 --workers 1 2

Prints tasks per hour for each worker count and the ratio to one worker.
``--ceiling`` also runs the same tasks without Dask, in as many plain
processes each pinned to its own core (no scheduler, no data transfer): the
most that this machine's cores give side by side, for the Dask figure to be
read against.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from stdpnet.experiments.sweep import run_sweep, run_task, tasks
from stdpnet.spec import load_spec

REPO = Path(__file__).resolve().parents[1]


def _run_pinned(core: int | None, jobs: list):
    if core is not None:
        os.sched_setaffinity(0, {core})
    for spec, run_dir in jobs:
        run_task(spec, run_dir, ("validation",))


def pinned_processes(todo: list, out: Path, n: int) -> float:
    """Seconds to run ``todo`` split round-robin over ``n`` fresh processes,
    process k pinned to the k-th usable core."""
    cores = sorted(os.sched_getaffinity(0))
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_run_pinned,
                             args=(cores[k % len(cores)] if n > 1 else None,
                                   [(t.spec, str(out / t.digest)) for t in todo[k::n]]))
             for k in range(n)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"a pinned process exited with {p.exitcode}")
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=REPO / "networks" / "mnist_quick.toml")
    parser.add_argument("--tasks", type=int, default=6, help="tasks (seeds) per sweep")
    parser.add_argument("--examples", type=int, default=1000, help="training examples per task")
    parser.add_argument("--validation", type=int, default=2000, help="validation examples per task")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ceiling", action="store_true",
                        help="also run the tasks in plain pinned processes, without Dask")
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
        if args.ceiling:
            todo = tasks(spec, {}, seeds)
            for n in args.workers:
                seconds = pinned_processes(todo, Path(tmp) / f"p{n}", n)
                report[f"processes_{n}"] = {"seconds": round(seconds, 1),
                                            "tasks_per_hour": round(3600 * args.tasks / seconds, 1)}
    for kind in ("workers", "processes"):
        if f"{kind}_{args.workers[0]}" in report:
            base = report[f"{kind}_{args.workers[0]}"]["tasks_per_hour"]
            for n in args.workers:
                entry = report[f"{kind}_{n}"]
                entry["ratio"] = round(entry["tasks_per_hour"] / base, 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
