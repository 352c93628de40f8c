"""Train one spec with two revisions of stdpnet and compare the trained
weights and thresholds bit for bit (and the test accuracy, with --evaluate).

Each revision is checked out into a temporary git worktree and run by this
interpreter with its own compile cache, so a refactoring can be shown to
change no spike:

    python benchmarks/bit_identity.py networks/mnist_quick.toml --base HEAD~1 --evaluate

Pin it for stable timings: taskset -c 0 python benchmarks/bit_identity.py ...
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def run_revision(revision: str, spec: Path, workdir: Path, evaluate: bool) -> Path:
    """Train (and evaluate) ``spec`` with ``revision``; returns its run folder."""
    tree = workdir / f"tree-{revision.replace('/', '_')}"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision],
                   check=True, capture_output=True)
    run = workdir / f"run-{revision.replace('/', '_')}"
    env = {**os.environ, "PYTHONPATH": str(tree), "STDPNET_CACHE": str(workdir / f"cache-{tree.name}"),
           "STDPNET_DATASETS": os.environ.get("STDPNET_DATASETS", str(REPO / "datasets"))}
    cli = [sys.executable, "-c", "from stdpnet.cli import main; main()"]
    try:
        subprocess.run(cli + ["train", str(spec.resolve()), "--out", str(run), "--quiet"],
                       check=True, env=env, cwd=tree)
        if evaluate:
            subprocess.run(cli + ["evaluate", str(run), "--quiet"], check=True, env=env, cwd=tree)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                       capture_output=True)
    return run


def _test_accuracy(metrics: dict) -> float:
    evaluated = metrics["evaluate"]
    return evaluated["test"]["accuracy"] if "test" in evaluated else evaluated["accuracy"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--base", default="HEAD~1", help="the revision to compare with")
    parser.add_argument("--head", default="HEAD", help="the revision under test")
    parser.add_argument("--evaluate", action="store_true", help="also compare the test accuracy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {rev: run_revision(rev, args.spec, Path(tmp), args.evaluate) for rev in (args.base, args.head)}
        saved = {rev: np.load(run / "weights.npz") for rev, run in runs.items()}
        same = {key: bool(np.array_equal(saved[args.base][key], saved[args.head][key])) for key in ("w", "theta")}
        report = {"spec": str(args.spec), "base": args.base, "head": args.head, "bit_identical": same}
        if args.evaluate:
            report["accuracy"] = {rev: _test_accuracy(json.loads((run / "metrics.json").read_text()))
                                  for rev, run in runs.items()}
    print(json.dumps(report, indent=2))
    sys.exit(0 if all(same.values()) else 1)


if __name__ == "__main__":
    main()
