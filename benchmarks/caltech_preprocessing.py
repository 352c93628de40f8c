"""Which Caltech-101 preprocessing separates a spec's classes best with a
*simple* readout, judged on validation images only? A sanity proxy, not the
spiking network's accuracy: nearest class centroid and multinomial logistic
regression on the [0, 1] vectors.

For every seed the spec's split is made as the network makes it (its
classes, ``train_per_class``, ``test_per_class``, that seed); only the
training side is read: ``--validation-per-class`` images of each class
(drawn from each class's own stream) are scored, the rest fit. No test
image is scored.
Run: ``python benchmarks/caltech_preprocessing.py --spec networks/caltech_3class.toml
--seeds 0-2 [--record caltech_preprocessing]``.
"""
from __future__ import annotations

import argparse
import shlex
import sys

import numpy as np
import torch

from stdpnet import results
from stdpnet.data.caltech import load_caltech
from stdpnet.data.dataset import per_class_mask
from stdpnet.data.image_sets import CALTECH_CLASSES, folder_root
from stdpnet.errors import StdpnetError
from stdpnet.spec import load_spec
from stdpnet.spec.grid import parse_seeds

from audio_features import logistic  # same readout as the audio benchmark

# (preprocess, size, DoG sigmas, fit): the shipped defaults first
SETTINGS = [("on_off", 28, (1.0, 2.0), "pad"), ("on_off", 28, (1.0, 2.0), "stretch"),
            ("on_off", 28, (1.0, 2.0), "crop"), ("on_off", 28, (0.7, 1.4), "pad"),
            ("on_off", 28, (1.0, 3.0), "pad"), ("on_off", 32, (1.0, 2.0), "pad"),
            ("dog", 28, (1.0, 2.0), "pad"), ("gray", 28, (1.0, 2.0), "pad")]
READOUTS = {"centroid": "nearest class centroid", "logistic": "logistic regression"}


def nearest_centroid(train_x, train_y, test_x, test_y):
    classes = np.unique(train_y)
    centroids = np.stack([train_x[train_y == c].mean(axis=0) for c in classes])
    d = ((test_x[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    return float((classes[d.argmin(axis=1)] == test_y).mean())


def validation_scores(spec, setting, seed: int, per_class: int) -> dict:
    """Both readouts' validation accuracy of one preprocessing ``setting`` for one seed."""
    mode, size, sigmas, fit = setting
    d = spec.data
    c = load_caltech(folder_root(d), list(d.classes) or list(CALTECH_CLASSES), size=size, n_train_per_class=d.train_per_class,
                     n_test_per_class=d.test_per_class, preprocess=mode, sigmas=sigmas, fit=fit, seed=seed)
    held = per_class_mask(c["train_y"], per_class, seed, c["class_names"], c["root"])
    x, y = c["train_x"], c["train_y"]
    xy = (x[~held], y[~held], x[held], y[held])
    return {"centroid": nearest_centroid(*xy), "logistic": logistic(*xy)}


def name_of(setting) -> str:
    mode, size, (center, surround), fit = setting
    return f"{mode}_{size}_dog{center:g}-{surround:g}_{fit}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="a caltech101 spec (its classes and split)")
    parser.add_argument("--seeds", default="0-2", help="split seeds, e.g. 0-2")
    parser.add_argument("--validation-per-class", type=int, default=100,
                        help="training images of each class scored, not fitted (default 100)")
    parser.add_argument("--record", metavar="NAME", help="write each setting's figures to results/NAME.*")
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        spec = load_spec(args.spec)
        seeds = parse_seeds(args.seeds)
        if spec.data.dataset != "caltech101":
            raise StdpnetError(f"{args.spec}: data.dataset is {spec.data.dataset!r}, not 'caltech101'")
        source = results.provenance(args.spec, "python " + shlex.join(sys.argv)) if args.record else None
        scores = {name_of(s): {seed: validation_scores(spec, s, seed, args.validation_per_class)
                               for seed in seeds} for s in SETTINGS}
    except StdpnetError as exc:
        sys.exit(f"error: {exc}")
    title = results.title_of(args.record, "Caltech preprocessing, simple readouts") if args.record else ""
    print("| preprocessing | " + " | ".join(READOUTS.values()) + " |\n|---|---|---|")
    for setting, per_seed in scores.items():
        entries = [results.figure(f"{args.record}.{setting}_validation_accuracy_{readout}", title,
                                  f"accuracy, {label} on the pixels, {setting}", "validation", "%",
                                  {s: per_seed[s][readout] for s in seeds}, source or {})
                   for readout, label in READOUTS.items()]
        print(f"| {setting} | " + " | ".join(results.mean_sd(e) for e in entries) + " |", flush=True)
        if args.record:
            for entry in entries:
                print(f"wrote {results.write(entry)}")


if __name__ == "__main__":
    main()
