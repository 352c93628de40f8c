"""Does replacing the 150 ms rest by an exact reset of the decaying state
change what the network learns? Trains the same spec, seed and examples both
ways and reports validation accuracy and ms per example.

Usage: python benchmarks/rest_vs_reset.py [SPEC] [--examples K] [--seeds 0 1]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from stdpnet import runs
from stdpnet.experiments import ensemble as training
from stdpnet.spec import load_spec
from stdpnet.data.load import load_dataset


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec", nargs="?", default="networks/mnist_quick.toml")
    ap.add_argument("--examples", type=int, default=3000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = ap.parse_args()
    print("| rest_mode | seed | validation accuracy | train ms/example |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for mode in ("reset", "simulate"):
                spec = load_spec(args.spec)
                spec.seed = seed
                spec.schedule.rest_mode = mode
                spec.data.train_examples = args.examples
                spec = spec.validate()
                data = load_dataset(spec.data, seed)
                run = runs.create(Path(tmp) / f"{mode}{seed}", spec)
                training.train(spec, run, quiet=True, data=data)
                result = training.evaluate(run, quiet=True, data=data, split="validation")
                ms = runs.load_json(run / runs.METRICS)["train"]["ms_per_example"]
                print(f"| {mode} | {seed} | {result['accuracy']:.4f} | {ms:.2f} |", flush=True)


if __name__ == "__main__":
    main()
