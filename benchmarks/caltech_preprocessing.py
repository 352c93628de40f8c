"""Which Caltech-101 preprocessing separates the 5-class subset best with a
*simple* readout? A sanity proxy, not the spiking network's accuracy: nearest
class centroid and multinomial logistic regression on the [0, 1] vectors,
100 training images per class (seed 0), all other images for testing.
Run: ``python benchmarks/caltech_preprocessing.py [--root DIR]``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from stdpnet.data.caltech import load_caltech

from audio_features import logistic  # same readout as the audio benchmark


def nearest_centroid(train_x, train_y, test_x, test_y):
    classes = np.unique(train_y)
    centroids = np.stack([train_x[train_y == c].mean(axis=0) for c in classes])
    d = ((test_x[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    return float((classes[d.argmin(axis=1)] == test_y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1].parent
                                              / "shared" / "datasets" / "caltech101_subset"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = [("on_off", 28, (1.0, 2.0), "pad"), ("on_off", 28, (1.0, 2.0), "stretch"),
                ("on_off", 28, (1.0, 2.0), "crop"), ("on_off", 28, (0.7, 1.4), "pad"),
                ("on_off", 28, (1.0, 3.0), "pad"), ("on_off", 32, (1.0, 2.0), "pad"),
                ("dog", 28, (1.0, 2.0), "pad"), ("gray", 28, (1.0, 2.0), "pad")]
    print("| preprocess | size | DoG sigmas | fit | inputs | nearest centroid | logistic regression |")
    print("|---|---|---|---|---|---|---|")
    for mode, size, sigmas, fit in settings:
        d = load_caltech(args.root, size=size, n_train_per_class=100, preprocess=mode,
                         sigmas=sigmas, fit=fit, seed=0)
        xy = (d["train_x"], d["train_y"], d["test_x"], d["test_y"])
        print(f"| {mode} | {size}x{size} | {sigmas} | {fit} | {d['train_x'].shape[1]} "
              f"| {nearest_centroid(*xy):.3f} | {logistic(*xy):.3f} |", flush=True)


if __name__ == "__main__":
    main()
