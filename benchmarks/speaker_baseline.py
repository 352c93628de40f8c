"""A linear classifier on the STDP network's own inputs, leave one speaker out.

For every fold of ``stdpnet sweep SPEC --folds speaker`` (each speaker of
the recordings held out as the test speaker once, the last remaining
speaker validating), a multinomial logistic regression (scikit-learn) is
fitted on exactly the inputs the network learns from (features, encoding
and speed-perturbed copies of SPEC's [data]) and scored on the fold's
validation and test speakers. Its regularisation is chosen per fold on the
validation speaker. The network's loss against a linear readout of the
same features is then the difference of the two mean-over-folds figures.
With --refit (implied by a spec with ``data.refit``), the model scored on
test is fitted again, with the chosen regularisation, on the training and
validation speakers together, as the refitted network is trained.

    python benchmarks/speaker_baseline.py [--spec networks/fsdd_audio_400_speakers.toml]
        [--set data.audio_feature=logmel ...] [--model logistic|centroid]
        [--record fsdd_speakers_linear] [--validation-only | --refit]

--set KEY=VALUE changes one setting of SPEC, as ``stdpnet sweep --set`` does
with one value, so an input can be compared on validation before a network
is trained on it.

--model centroid scores the nearest class centroid instead (each class is
its mean input vector; nothing to choose): a prototype-like readout, closer
to what STDP neurons do (each matches its input against one learned
template) than a linear classifier with fitted weights. The two can rank
inputs differently.

With --record, the mean over the folds of the validation and test accuracy
goes to the results registry (one value: the fit is deterministic).

Needs scikit-learn (pip install scikit-learn).
"""
from __future__ import annotations

import argparse
import shlex
import sys

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestCentroid

from stdpnet import results
from stdpnet.data.load import load_dataset
from stdpnet.errors import ConfigError
from stdpnet.experiments.folds import FOLD_KEY, speaker_folds
from stdpnet.experiments.sweep import tasks
from stdpnet.spec import load_spec
from stdpnet.spec.grid import parse_sets

C_GRID = (0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 1.0)


def classifiers(model: str) -> list[tuple]:
    """(setting, unfitted classifier) candidates of ``model``: the logistic
    regression at every C of ``C_GRID``, or the nearest class centroid (no
    setting: each class is its mean input, the template a prototype-like
    readout, such as STDP neurons, matches against)."""
    if model == "centroid":
        return [(None, NearestCentroid())]
    return [(c, LogisticRegression(C=c, max_iter=2000)) for c in C_GRID]


def fold_scores(spec, speaker: str, test: bool = True, refit: bool = False, model: str = "logistic") -> dict:
    spec.data.test_speakers = [speaker]
    spec.data.refit = False         # C is chosen with the validation speaker held out
    d = load_dataset(spec.validate().data, spec.seed)
    scale = lambda x: np.asarray(x, dtype=np.float64) / 255.0   # noqa: E731  (inputs are 0..255)
    best = None
    for c, classifier in classifiers(model):
        classifier.fit(scale(d.train_x), d.train_y)
        val = classifier.score(scale(d.val_x), d.val_y)
        if best is None or val > best[0]:
            best = (val, c, classifier)
    val, c, classifier = best
    scores = {"speaker": speaker, "C": c, "validation": val}
    if test:
        if refit:   # the inputs as the refitted network sees them (ON/OFF statistics of all its voices)
            spec.data.refit = True
            d = load_dataset(spec.validate().data, spec.seed)
            classifier = clone(classifier).fit(scale(d.train_x), d.train_y)
        scores["test"] = classifier.score(scale(d.test_x), d.test_y)
    return scores


def with_settings(spec, texts: list[str]):
    """SPEC with each ``KEY=VALUE`` of ``texts`` set (one value per key)."""
    sets = parse_sets(texts)
    several = [k for k, v in sets.items() if len(v) != 1]
    if several:
        raise ConfigError(f"--set {several[0]}: give one value (the baseline scores one input)")
    return tasks(spec, sets, [spec.seed])[0].spec if sets else spec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", default="networks/fsdd_audio_400_speakers.toml")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help="one setting of SPEC changed (repeatable), e.g. data.audio_feature=logmel")
    ap.add_argument("--model", choices=("logistic", "centroid"), default="logistic",
                    help="logistic regression (C chosen on validation) or nearest class centroid")
    ap.add_argument("--record", metavar="NAME", help="write the means over folds to results/NAME.*")
    ap.add_argument("--validation-only", action="store_true",
                    help="score the validation speakers only (choosing an input); the test speakers are not scored")
    ap.add_argument("--refit", action="store_true",
                    help="fit the test model on the training and validation speakers (C chosen on validation)")
    args = ap.parse_args()
    source = results.provenance(args.spec, "python " + shlex.join(sys.argv)) if args.record else None
    try:
        spec, grid = speaker_folds(with_settings(load_spec(args.spec), args.sets))
    except ConfigError as exc:
        ap.error(str(exc))
    refit = args.refit or spec.data.refit
    if refit and args.validation_only:
        ap.error("--refit (or the spec's data.refit) fits the model scored on test; "
                 "--validation-only reads no test speaker")
    rows = [fold_scores(spec, speakers[0], not args.validation_only, refit, args.model)
            for speakers in grid[FOLD_KEY]]
    splits = ("validation",) + (() if args.validation_only else ("test",))
    print("| held out | C (chosen on validation) | " + " | ".join(splits) + " |")
    print("|---|---|" + "---|" * len(splits))
    for r in rows:
        chosen = "-" if r["C"] is None else r["C"]
        print(f"| {r['speaker']} | {chosen} | " + " | ".join(f"{100 * r[s]:.2f}%" for s in splits) + " |")
    print("| **mean over folds** | | "
          + " | ".join(f"{100 * np.mean([r[s] for r in rows]):.2f}%" for s in splits) + " |")
    if args.record:
        title = results.title_of(args.record, "Spoken digits (FSDD), leave one speaker out: "
                                 "logistic regression on the network's inputs")
        for split in splits:
            entry = results.figure(f"{args.record}.{split}_accuracy", title,
                                   ("nearest class centroid: " if args.model == "centroid" else "")
                                   + f"accuracy, mean over {len(rows)} folds (deterministic fit"
                                   + ("; test: refitted on training + validation speakers)" if refit else ")"),
                                   split, "%",
                                   {0: float(np.mean([r[split] for r in rows]))}, source)
            print(f"wrote {results.write(entry)}")


if __name__ == "__main__":
    main()
