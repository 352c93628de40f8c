"""Rules that combine the votes of two ensembles (image and audio) into one class.

Every function takes spike counts of pairs as one array, the image
ensemble's neurons first (``n_image_neurons`` columns), then the audio
ensemble's. Class rates (``vote.class_rates``) come from labelled pairs;
everything fitted here (the calibrated rule's reliability and tilt) is fitted
on labelled pairs by two-fold cross-validation and never sees a test pair.
"""
from __future__ import annotations

import numpy as np

from ..spec import Readout
from . import likelihood, vote

VOTES = Readout.VOTES
# the tilts choose_tilt tries: the audio ensemble's weights times 1/4 .. 4
TILTS = 2.0 ** (np.arange(-16, 17) / 8)
HEAVY = 0.5   # severity from which a corrupted pair counts as heavily corrupted


def _parts(n_image_neurons: int) -> tuple:
    return slice(0, n_image_neurons), slice(n_image_neurons, None)


def combined_vote(image_counts, image_rates, audio_counts, audio_rates, rule="calibrated",
                  reliability=None, tilt: float = 1.0):
    """The class both ensembles vote for, from each ensemble's spike counts and
    its neurons' class-mean responses (``vote.class_rates`` of the labelling
    pairs; a neuron's label is its best class):

    - ``normalised``: each ensemble's class scores (mean count of the neurons
      labelled with a class) are scaled to sum to 1 per example and added, so
      both have an equal say;
    - ``summed``: the class scores are added as they are;
    - ``likelihood``: the two ensembles' Poisson log-likelihoods
      (``likelihood.log_likelihoods``) are added;
    - ``calibrated``: as ``likelihood``, each ensemble's log-likelihoods
      weighed, example by example, by ``likelihood.reliability`` of its
      evidence (how much better its best class explains the counts than a
      class-blind model does) and its spike count, the audio ensemble's
      weights then multiplied by ``tilt``. ``reliability``: the parameters
      of the image and of the audio ensemble (rows), from ``calibrate``;
      ``tilt``: from ``choose_tilt``.

    An ensemble that fires no spike in an example abstains under every rule."""
    if rule not in VOTES:
        raise ValueError(f"vote: unknown rule {rule!r} ({', '.join(VOTES)})")
    if rule == "calibrated" and reliability is None:
        raise ValueError("vote 'calibrated' needs the fitted reliability (combine.calibrate)")
    if rule == "calibrated":
        return (likelihood.weighted_log_likelihoods(image_counts, image_rates, reliability[0])
                + tilt * likelihood.weighted_log_likelihoods(audio_counts, audio_rates, reliability[1])
                ).argmax(axis=1)
    n_classes = len(image_rates)
    total = np.zeros((len(image_counts), n_classes))
    for counts, rates in ((image_counts, image_rates), (audio_counts, audio_rates)):
        if rule == "likelihood":
            s = likelihood.log_likelihoods(counts, rates)
        else:
            s = vote.class_scores(counts, vote.labels_from_rates(rates), n_classes)
            if rule == "normalised":
                s = s / np.maximum(s.sum(axis=1, keepdims=True), 1e-12)
        total += np.where(np.asarray(counts).sum(axis=1, keepdims=True) > 0, s, 0.0)
    return total.argmax(axis=1)


def two_halves(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random split of n pairs into two halves (True: the first)."""
    return rng.permutation(n) < n // 2


def _held_out_reliability(counts_sets: list, labels: np.ndarray, fit: np.ndarray, score: np.ndarray,
                          n_image_neurons: int, n_classes: int):
    """Per ensemble, the log-likelihoods (0 where it is silent) and
    ``likelihood.reliability_features`` of the ``score`` pairs of every counts
    array, under class rates fitted on the clean (first) array's ``fit`` pairs."""
    log_liks, features = [], []
    for part in _parts(n_image_neurons):
        rates = vote.class_rates(counts_sets[0][fit, part], labels[fit], n_classes)
        c = np.concatenate([counts[score, part] for counts in counts_sets])
        ll = likelihood.log_likelihoods(c, rates)
        features.append(likelihood.reliability_features(c, rates, log_lik=ll))
        log_liks.append(np.where(c.sum(axis=1, keepdims=True) > 0, ll, 0.0))
    return log_liks, features


def calibrate(counts: np.ndarray, labels: np.ndarray, n_image_neurons: int, n_classes: int,
              rng: np.random.Generator, corrupted: np.ndarray | None = None) -> np.ndarray:
    """The ``calibrated`` rule's ``likelihood.reliability`` parameters (rows:
    the image and the audio ensemble), fitted by two-fold cross-validation on
    labelling pairs: each half's log-likelihoods and reliability features
    under class rates fitted on the other half's clean counts, for the clean
    ``counts`` and, where given, the ``corrupted`` counts of the same pairs;
    the parameters that make the combined vote best predict the labels
    (``likelihood.fit_reliability``)."""
    half = two_halves(len(labels), rng)
    sets = [counts] + ([corrupted] if corrupted is not None else [])
    log_liks, features, ys = [[], []], [[], []], []
    for fit, score in ((half, ~half), (~half, half)):
        lls, fs = _held_out_reliability(sets, labels, fit, score, n_image_neurons, n_classes)
        for part in range(2):
            log_liks[part].append(lls[part])
            features[part].append(fs[part])
        ys.append(np.tile(labels[score], len(sets)))
    return likelihood.fit_reliability([np.concatenate(x) for x in log_liks],
                                      [np.concatenate(f) for f in features], np.concatenate(ys))


def heavy_groups(noise: np.ndarray, severity: np.ndarray) -> dict:
    """Noise kind -> mask of its pairs in the harsher half of its range (kinds with any)."""
    groups = {kind: (noise == kind) & (severity >= HEAVY) for kind in np.unique(noise)}
    return {kind: g for kind, g in groups.items() if g.any()}


def clean_modality_vote(corrupted: np.ndarray, noise: np.ndarray, rates: tuple, n_image_neurons: int
                        ) -> np.ndarray:
    """On corrupted pairs, the uncorrupted modality's ensemble alone (its
    Diehl & Cook vote under its class ``rates``, image and audio)."""
    image, audio = _parts(n_image_neurons)
    n_classes = len(rates[0])
    by_image = vote.predict(corrupted[:, image], vote.labels_from_rates(rates[0]), n_classes)
    by_audio = vote.predict(corrupted[:, audio], vote.labels_from_rates(rates[1]), n_classes)
    return np.where(np.char.startswith(noise.astype(str), "audio"), by_image, by_audio)


def choose_tilt(counts: np.ndarray, labels: np.ndarray, n_image_neurons: int, n_classes: int,
                rng: np.random.Generator, reliability: np.ndarray, corrupted: np.ndarray,
                noise: np.ndarray, severity: np.ndarray, min_clean_accuracy: float) -> tuple[float, dict]:
    """The calibrated rule's tilt: the factor on the audio ensemble's weights
    (one of ``TILTS``) that meets the multimodal targets on the labelling
    pairs with the largest margin. Two-fold: class rates from one half, the
    other half's clean and ``corrupted`` counts scored (``reliability`` from
    ``calibrate``). The margins: clean accuracy minus
    ``min_clean_accuracy``; for each noise kind, on its heavily corrupted
    pairs (``noise``, ``severity`` in [0, 1] per pair), the accuracy minus
    that of the uncorrupted modality's ensemble alone. The tilt whose
    smallest margin is largest; of equals, the one nearest 1. Returns it and
    the accuracies behind the choice: ``{"untilted": {"clean": .., "heavy":
    {kind: ..}}, "tilted": {...}, "clean_modality_alone": {kind: ..}}``."""
    half = two_halves(len(labels), rng)
    shares, alone = {}, np.zeros(len(labels), dtype=int)
    for fit, score in ((half, ~half), (~half, half)):
        rates = [vote.class_rates(counts[fit, part], labels[fit], n_classes)
                 for part in _parts(n_image_neurons)]
        for name, c in (("clean", counts), ("corrupted", corrupted)):
            for part, cols in enumerate(_parts(n_image_neurons)):
                out = shares.setdefault((name, part), np.zeros((len(labels), n_classes)))
                out[score] = likelihood.weighted_log_likelihoods(c[score, cols], rates[part], reliability[part])
        alone[score] = clean_modality_vote(corrupted[score], noise[score], rates, n_image_neurons)
    groups = heavy_groups(noise, severity)
    reference = {kind: float(np.mean(alone[g] == labels[g])) for kind, g in groups.items()}

    def scores(tilt) -> dict:
        clean = (shares["clean", 0] + tilt * shares["clean", 1]).argmax(axis=1)
        pred = (shares["corrupted", 0] + tilt * shares["corrupted", 1]).argmax(axis=1)
        return {"clean": float(np.mean(clean == labels)),
                "heavy": {kind: float(np.mean(pred[g] == labels[g])) for kind, g in groups.items()}}

    def smallest_margin(tilt):
        s = scores(tilt)
        return min([s["clean"] - min_clean_accuracy] + [s["heavy"][k] - r for k, r in reference.items()])

    margins = np.array([smallest_margin(t) for t in TILTS])
    best = np.flatnonzero(margins == margins.max())
    tilt = float(TILTS[best[np.argmin(np.abs(np.log(TILTS[best])))]])
    return tilt, {"untilted": scores(1.0), "tilted": scores(tilt), "clean_modality_alone": reference}


def vote_holdout(counts: np.ndarray, labels: np.ndarray, n_image_neurons: int, n_classes: int,
                 rng: np.random.Generator, corrupted: np.ndarray | None = None,
                 noise: np.ndarray | None = None, severity: np.ndarray | None = None,
                 min_clean_accuracy: float = 0.98) -> dict:
    """Each combining rule's accuracy on the labelling pairs by two-fold
    cross-validation (class rates, and the calibrated rule's reliability and
    tilt, from one half, scored on the other, then swapped): a comparison of
    the rules that never looks at the test set. Returns ``{"clean": {rule:
    accuracy}}``; with ``corrupted`` counts of the same pairs also
    ``"corrupted": {rule: accuracy}``; with their ``noise`` and ``severity``
    too, ``"heavy": {kind: {"calibrated": .., "clean_modality_alone": ..}}``:
    per noise kind on its heavily corrupted pairs, the calibrated rule
    against the uncorrupted modality's ensemble alone."""
    half = two_halves(len(labels), rng)
    sets = {"clean": counts} | ({"corrupted": corrupted} if corrupted is not None else {})
    groups = heavy_groups(noise, severity) if noise is not None else {}
    pred = {name: {rule: np.zeros(len(labels), dtype=int) for rule in VOTES} for name in sets}
    alone = np.zeros(len(labels), dtype=int)
    image, audio = _parts(n_image_neurons)
    for fit, score in ((half, ~half), (~half, half)):
        ri = vote.class_rates(counts[fit, image], labels[fit], n_classes)
        ra = vote.class_rates(counts[fit, audio], labels[fit], n_classes)
        reliability = calibrate(counts[fit], labels[fit], n_image_neurons, n_classes, rng,
                                None if corrupted is None else corrupted[fit])
        tilt = 1.0
        if groups:
            tilt, _ = choose_tilt(counts[fit], labels[fit], n_image_neurons, n_classes, rng, reliability,
                                  corrupted[fit], noise[fit], severity[fit], min_clean_accuracy)
        for name, c in sets.items():
            for rule in VOTES:
                pred[name][rule][score] = combined_vote(c[score, image], ri, c[score, audio], ra, rule,
                                                        reliability, tilt)
        if groups:
            alone[score] = clean_modality_vote(corrupted[score], noise[score], (ri, ra), n_image_neurons)
    out = {name: {rule: round(float(np.mean(p == labels)), 4) for rule, p in by_rule.items()}
           for name, by_rule in pred.items()}
    if groups:
        right = pred["corrupted"]["calibrated"] == labels
        out["heavy"] = {kind: {"calibrated": round(float(right[g].mean()), 4),
                               "clean_modality_alone": round(float(np.mean(alone[g] == labels[g])), 4)}
                        for kind, g in groups.items()}
    return out
