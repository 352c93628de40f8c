"""Sweep tasks per hour with 1 and with N Dask workers, side by side in one run.

The same grid (a small MNIST network, one cell per seed) runs into a fresh
folder once per worker count; the compiled binaries are built first, so the
figures are the tasks' own time plus Dask's overhead:

    python benchmarks/sweep_throughput.py --tasks 6 --workers 1 2

Prints tasks per hour for each worker count and the ratio to one worker.
``--ceiling`` also runs the same tasks without Dask, in as many plain
processes each pinned to its own core (no scheduler, no data transfer): the
most that this machine's cores give side by side, for the Dask figure to be
read against. Each measurement also times a LocalCluster's start and close
with no task (``cluster_N``): a fixed cost of every sweep, which weighs more
the shorter the sweep. ``--repeats R`` measures everything R times, interleaved;
``--record NAME`` writes every ratio and rate, one value per repeat, to
``results/NAME.*``:

    python benchmarks/sweep_throughput.py --tasks 4 --examples 8000 --validation 5000 \
        --workers 1 2 --ceiling --repeats 3 --record sweep_throughput
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shlex
import tempfile
import time
from pathlib import Path

from stdpnet.engine.cores import usable_cores
from stdpnet.experiments.sweep import connect, run_sweep, run_task, tasks
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
    cores = usable_cores()
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


def cluster_seconds(n: int) -> float:
    """Seconds to start and close a LocalCluster of ``n`` workers with no task:
    the fixed cost that every sweep pays once, whatever its size."""
    t0 = time.perf_counter()
    client, cluster = connect(n, None)
    client.close()
    cluster.close()
    return time.perf_counter() - t0


def measure(spec, seeds: list, workers: list, ceiling: bool, tmp: Path) -> dict:
    """One measurement: seconds, tasks per hour and the ratio to the first
    worker count, for each worker count (Dask) and, with ``ceiling``, each
    number of plain pinned processes; and the seconds each cluster takes to
    start and close (``cluster_N``)."""
    report = {}
    for n in workers:
        report[f"cluster_{n}"] = {"seconds": cluster_seconds(n)}
        t0 = time.perf_counter()
        result = run_sweep(spec, {}, seeds, tmp / f"w{n}", workers=n, log=lambda *_: None, quiet=True)
        seconds = time.perf_counter() - t0
        if result["failed"]:
            raise RuntimeError(f"sweep tasks failed: {result['failed']}")
        report[f"workers_{n}"] = {"seconds": seconds}
    if ceiling:
        todo = tasks(spec, {}, seeds)
        for n in workers:
            report[f"processes_{n}"] = {"seconds": pinned_processes(todo, tmp / f"p{n}", n)}
    for key, entry in report.items():
        if key.startswith("cluster"):
            continue
        base = report[f"{key.split('_')[0]}_{workers[0]}"]
        entry["tasks_per_hour"] = 3600 * len(seeds) / entry["seconds"]
        entry["ratio"] = base["seconds"] / entry["seconds"]
    return report


def record(name: str, reports: list[dict], args, command: str):
    """Registry entries (results/NAME.*), one value per repeat."""
    from stdpnet import results

    spec = Path(args.spec).resolve()
    shown = spec.relative_to(REPO).as_posix() if spec.is_relative_to(REPO) else str(spec)
    source = {**results.provenance(spec, command), "spec": shown}
    title = (f"Sweep throughput on Dask: {args.tasks} tasks of {args.examples:,} training examples, "
             "1 and more workers, and plain pinned processes (values per repeat)")
    for key in reports[0]:
        kind, n = key.split("_")
        if kind == "cluster":
            results.write(results.figure(f"{name}.{key}_seconds", title,
                                         f"LocalCluster of {n} worker(s): seconds to start and close",
                                         "speed", "s", {k: r[key]["seconds"] for k, r in enumerate(reports)},
                                         source))
            continue
        who = f"{n} Dask worker(s)" if kind == "workers" else f"{n} plain pinned process(es)"
        columns = [("tasks_per_hour", "", "tasks per hour")]
        if int(n) != args.workers[0]:
            columns.append(("ratio", "x", f"tasks per hour over {args.workers[0]}"))
        for column, unit, metric in columns:
            results.write(results.figure(f"{name}.{key}_{column}", title, f"{who}: {metric}", "speed",
                                         unit, {k: r[key][column] for k, r in enumerate(reports)}, source))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=REPO / "networks" / "mnist_quick.toml")
    parser.add_argument("--tasks", type=int, default=6, help="tasks (seeds) per sweep")
    parser.add_argument("--examples", type=int, default=1000, help="training examples per task")
    parser.add_argument("--validation", type=int, default=2000, help="validation examples per task")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ceiling", action="store_true",
                        help="also run the tasks in plain pinned processes, without Dask")
    parser.add_argument("--repeats", type=int, default=1, help="measure everything this many times")
    parser.add_argument("--record", metavar="NAME", help="write every figure to results/NAME.*")
    args = parser.parse_args()
    spec = load_spec(args.spec)
    spec.data.train_examples = args.examples
    spec.data.assign_examples = min(spec.data.assign_examples, args.examples)
    spec.data.validation_examples = args.validation
    seeds = list(range(args.tasks))
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        warm = tasks(spec, {}, [1000])[0]   # compiles both binaries once, outside the timing
        run_task(warm.spec, str(Path(tmp) / "warm"), ("validation",))
        for repeat in range(args.repeats):
            reports.append(measure(spec, seeds, args.workers, args.ceiling, Path(tmp) / f"r{repeat}"))
            print(json.dumps({"repeat": repeat, **{k: {c: round(x, 2) for c, x in v.items()}
                                                    for k, v in reports[-1].items()}}), flush=True)
    if args.record:
        import sys
        from stdpnet.results import results_root
        record(args.record, reports, args, "python " + shlex.join(sys.argv))
        print(f"wrote {results_root()}/{args.record}.*")


if __name__ == "__main__":
    main()
