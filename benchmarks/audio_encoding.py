"""Audio-only accuracy of the STDP ensemble for each audio feature and encoding.

Trains ``networks/fsdd_audio.toml`` (N = 100, one pass over the FSDD
training recordings, labels from the same recordings) once per (feature,
encoding) and scores it on the validation recordings (repetitions 5-9 of
the training side; the test recordings are never read), then prints a
markdown table to choose from. Run:

    taskset -c 1 python benchmarks/audio_encoding.py [--spec networks/fsdd_audio.toml]
        [--cases mfcc:on_off:1.5 mfcc:map logmel:on_off:1.5 cochlea:on_off:1.5 ...]
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from stdpnet import runs
from stdpnet.experiments import ensemble as training
from stdpnet.spec import load_spec

DEFAULT_CASES = ["mfcc:map", "mfcc:on_off:1.0", "mfcc:on_off:1.5", "mfcc:on_off:2.0",
                 "mfcc:on_off:3.0", "logmel:on_off:1.5", "cochlea:on_off:1.5"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="networks/fsdd_audio.toml")
    parser.add_argument("--cases", nargs="+", default=DEFAULT_CASES,
                        help="feature:encoding[:z] (encoding on_off or map)")
    args = parser.parse_args()
    rows = []
    for case in args.cases:
        feature, encoding, *z = case.split(":")
        spec = load_spec(args.spec)
        spec.data.audio_feature, spec.data.audio_encoding = feature, encoding
        if z:
            spec.data.audio_on_off_z = float(z[0])
        spec.validate()
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = runs.create(Path(tmp) / "run", spec)
            training.train(spec, run_dir, quiet=True)
            result = training.evaluate(run_dir, quiet=True, split="validation")
        rows.append((feature, encoding, z[0] if z else "-", result["accuracy"]))
        print(json.dumps({"case": case, "accuracy": result["accuracy"]}), flush=True)
    print(f"\n{spec.excitatory.n_neurons} neurons, {spec.data.epochs} pass(es), seed {spec.seed}\n")
    print("| feature | encoding | z | validation accuracy |\n|---|---|---|---|")
    for feature, encoding, z, acc in rows:
        print(f"| {feature} | {encoding} | {z} | {100 * acc:.1f}% |")


if __name__ == "__main__":
    main()
