"""Which audio feature separates spoken digits best with a *simple* readout?

A sanity proxy for choosing the audio ensemble's input, not the network's
accuracy: nearest class centroid, nearest of 10 k-means prototypes per class
(closest in spirit to STDP neurons, each of which learns one template) and
multinomial logistic regression on the [0, 1] feature vectors, scored on
validation recordings only (a choice is made on them): repetitions 5-9 of
the index split's training side, and the last training speaker of the
speaker split whose test speaker is theo. No test recording is read.
The seeds draw the k-means prototypes (the other two readouts are
deterministic). Run:

    python benchmarks/audio_features.py --seeds 0-2 --record audio_features
"""
from __future__ import annotations

import argparse
import itertools
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from stdpnet import results
from stdpnet.data.audio import build_dataset, split_recordings
from stdpnet.data.fsdd import list_fsdd
from stdpnet.errors import StdpnetError
from stdpnet.spec.grid import parse_seeds

READOUTS = {"centroid": "nearest centroid", "prototypes": "nearest of 10 prototypes/class",
            "logistic": "logistic regression"}
SPLITS = {"index": "index (validation: repetitions 5-9)", "speaker": "speaker (validation: last training speaker)"}
SPEC = "networks/fsdd_audio.toml"    # the audio ensemble whose input the features are


def nearest_centroid(train_x, train_y, score_x, score_y):
    centroids = np.stack([train_x[train_y == c].mean(axis=0) for c in range(10)])
    d = ((score_x[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    return float((d.argmin(axis=1) == score_y).mean())


def nearest_prototype(train_x, train_y, score_x, score_y, per_class=10, iters=30, seed=0):
    rng = np.random.default_rng(seed)
    prototypes, labels = [], []
    for c in range(10):
        x = train_x[train_y == c]
        centres = x[rng.choice(len(x), per_class, replace=False)].copy()
        for _ in range(iters):
            nearest = ((x[:, None] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
            for j in range(per_class):
                if np.any(nearest == j):
                    centres[j] = x[nearest == j].mean(axis=0)
        prototypes.append(centres)
        labels += [c] * per_class
    d = ((score_x[:, None] - np.concatenate(prototypes)[None]) ** 2).sum(axis=2)
    return float((np.array(labels)[d.argmin(axis=1)] == score_y).mean())


def logistic(train_x, train_y, score_x, score_y, l2=1e-3, steps=300):
    torch.manual_seed(0)
    x, y = torch.from_numpy(train_x), torch.from_numpy(train_y)
    mean, std = x.mean(0), x.std(0) + 1e-6
    x = (x - mean) / std
    model = torch.nn.Linear(x.shape[1], 10)
    opt = torch.optim.LBFGS(model.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y) + l2 * model.weight.pow(2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    with torch.no_grad():
        pred = model((torch.from_numpy(score_x) - mean) / std).argmax(1).numpy()
    return float((pred == score_y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1].parent
                                              / "shared" / "datasets" / "fsdd" / "recordings"))
    parser.add_argument("--quick", action="store_true", help="only the 20x20 maps")
    parser.add_argument("--seeds", default="0", help="k-means seeds, e.g. 0-2 (default 0)")
    parser.add_argument("--record", metavar="NAME", help="write every cell's figures to results/NAME.*")
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        seeds = parse_seeds(args.seeds)
        source = results.provenance(SPEC, "python " + shlex.join(sys.argv)) if args.record else None
        if args.record:
            results.check_name(args.record)
        recs = list_fsdd(args.root)
    except StdpnetError as exc:
        sys.exit(f"error: {exc}")
    index_training, _ = split_recordings(recs, "index")   # repetitions 0-4 are the test set
    heard, _ = split_recordings(recs, "speaker", test_speakers=["theo"])   # theo is the test voice
    splits = {"index": split_recordings(index_training, "index", range(5, 10)),
              "speaker": split_recordings(heard, "speaker")}
    sizes = [(20, 20)] if args.quick else [(20, 20), (13, 20), (28, 28)]
    title = results.title_of(args.record, "Audio features, simple readouts") if args.record else ""
    print("| feature | bands x frames | time | split (validation accuracy) | "
          + " | ".join(READOUTS.values()) + " |\n|---|---|---|---|---|---|---|")
    entries = []
    for kind, (bands, frames), mode in itertools.product(("logmel", "mfcc", "cochlea"), sizes, ("stretch", "pad")):
        if mode == "pad" and (bands, frames) != (20, 20):
            continue
        n_frames = frames if mode == "stretch" else 100
        for split, (train, validation) in splits.items():
            t = time.time()
            # (build_dataset's second part, under its test_* keys, is the validation part here)
            d = build_dataset(train, validation, Path(args.root), kind, bands, n_frames, time_mode=mode)
            fitted = (d["train_x"], d["train_y"], d["test_x"], d["test_y"])
            fixed = {"centroid": nearest_centroid(*fitted), "logistic": logistic(*fitted)}
            per_seed = {s: {**fixed, "prototypes": nearest_prototype(*fitted, seed=s)} for s in seeds}
            cell = f"{kind}_{bands}x{n_frames}_{mode}_{split}"
            # the deterministic readouts are one measurement whatever the seed: n = 1
            row = [results.figure(f"{args.record or 'audio_features'}.{cell}_validation_accuracy_{readout}",
                                  title, f"accuracy, {label}, {kind} {bands} x {n_frames} ({mode}), {split} split",
                                  "validation", "%", {s: per_seed[s][readout]
                                                      for s in (seeds if readout == "prototypes" else seeds[:1])},
                                  source or {})
                   for readout, label in READOUTS.items()]
            entries += row
            print(f"| {kind} | {bands} x {n_frames} | {mode} | {SPLITS[split]} | "
                  + " | ".join(results.mean_sd(e) for e in row) + f" | <!-- {time.time() - t:.1f}s -->", flush=True)
    if args.record:
        for entry in entries:
            print(f"wrote {results.write(entry)}")


if __name__ == "__main__":
    main()
