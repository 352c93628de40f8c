"""Pruning a trained network after the fact, without retraining: the
reference the training-time pruning of stdpnet.compression is measured
against. Copies a finished dense run, prunes each neuron's lowest weights to
the given sparsity, quantises to L levels, then labels and tests it
(``stdpnet evaluate``); prints accuracy, op reduction and presentations.

Usage: python benchmarks/prune_after_training.py runs/mnist_400 --sparsity 0.9 --levels 8
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from stdpnet import compression, runs, training
from stdpnet.config import dump_spec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path, help="a finished dense run folder")
    ap.add_argument("--sparsity", type=float, nargs="+", default=[0.9])
    ap.add_argument("--levels", type=int, default=8, help="0 = full precision")
    args = ap.parse_args()
    print("| sparsity | levels | accuracy | op reduction (same input) | test presentations |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for sparsity in args.sparsity:
            run = Path(tmp) / f"p{sparsity}"
            shutil.copytree(args.run, run)
            spec = runs.open_run(run)
            spec.compression.enabled = True
            spec.compression.levels = args.levels
            state = training.trained_state(run)
            compression.compress(state, spec, sparsity, quantise_now=True)
            counts = runs.load_npz(run / runs.CHECKPOINT)["counts"]
            runs.save_npz(run / runs.CHECKPOINT, counts=counts,
                          **{f"state.{k}": v for k, v in state.items()})
            (run / runs.SPEC).write_text(dump_spec(spec))
            result = training.evaluate(run, quiet=True)
            c = result["compression"]["counts"]
            print(f"| {sparsity} | {args.levels or 'fp'} | {result['accuracy']:.2%} | "
                  f"{c['synaptic_op_reduction']:.2f}x | {c['test_presentations']} |", flush=True)


if __name__ == "__main__":
    main()
