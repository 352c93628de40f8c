"""Pruning a trained network after the fact, without retraining: the
reference the training-time pruning of stdpnet.model.compression is measured
against. Copies a finished dense run, prunes each neuron's lowest weights to
the given sparsity, quantises to L levels, then labels it and scores it on
the validation split (``stdpnet evaluate --split validation``); prints accuracy, op reduction and presentations.

Usage: python benchmarks/prune_after_training.py runs/mnist_400 --sparsity 0.9 --levels 8

On a run that was pruned and quantised during training, ``--before-final``
starts from the weights as they were before the final quantisation
(weights.npz ``w_unquantised``), so other levels can be tried on the same
trained network: e.g. ``--sparsity 0.9 --levels 16 --quantisation fitted``.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from stdpnet import runs
from stdpnet.experiments import ensemble as training
from stdpnet.model import compression
from stdpnet.spec import dump_spec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path, help="a finished run folder (dense, or pruned with --before-final)")
    ap.add_argument("--sparsity", type=float, nargs="+", default=[0.9])
    ap.add_argument("--levels", type=int, default=8, help="0 = full precision")
    ap.add_argument("--quantisation", choices=("uniform", "fitted"), default="uniform")
    ap.add_argument("--before-final", action="store_true",
                    help="start from weights.npz's w_unquantised (a run quantised during training)")
    args = ap.parse_args()
    print("| sparsity | levels | accuracy | likelihood readout | op reduction (same input) "
          "| validation presentations |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for sparsity in args.sparsity:
            run = Path(tmp) / f"p{sparsity}"
            shutil.copytree(args.run, run)
            spec = runs.open_run(run)
            spec.compression.enabled = True
            spec.compression.levels = args.levels
            spec.compression.quantisation = args.quantisation
            state = training.trained_state(run)
            if args.before_final:
                before = runs.load_npz(run / runs.WEIGHTS).get("w_unquantised")
                if before is None:
                    raise SystemExit(f"{run / runs.WEIGHTS}: no 'w_unquantised' (the run was "
                                     "not quantised); drop --before-final")
                state[compression.W] = np.asarray(before, float).ravel()
            compression.compress(state, spec, sparsity, quantise_now=True)
            ckpt = runs.load_checkpoint(run)        # the pruned state, as training would end
            ckpt.state = state
            runs.save_checkpoint(run, ckpt)
            runs.update_npz(run / runs.WEIGHTS, w=state[compression.W], theta=state["excitatory.theta"])
            (run / runs.SPEC).write_text(dump_spec(spec))
            result = training.evaluate(run, quiet=True, split="validation")
            c = result["compression"]["counts"]
            name = f"{args.levels} {args.quantisation}" if args.levels else "fp"
            print(f"| {sparsity} | {name} | {result['accuracy']:.2%} | "
                  f"{result.get('accuracy_likelihood', float('nan')):.2%} | "
                  f"{c['synaptic_op_reduction']:.2f}x | {c['presentations']} |", flush=True)


if __name__ == "__main__":
    main()
