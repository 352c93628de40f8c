"""The likelihood readout and its calibration.

The class-mean responses of the labelled examples (``vote.class_rates``)
also give a likelihood readout: treating each neuron's count as Poisson with
its class-mean rate, the log-likelihood of class c is
sum_n [count_n log(rate_cn) - rate_cn] (``log_likelihoods``); it weighs every
neuron by how much its count tells apart the classes instead of giving it one
label. ``reliability`` weighs an ensemble's log-likelihoods example by
example, with parameters fitted on held-out labelled examples
(``fit_reliability``); the rules that combine two ensembles
(``stdpnet.readout.combine``) build on these.
"""
from __future__ import annotations

import numpy as np

RATE_FLOOR = 1e-3  # spikes per presentation assumed for a neuron never seen firing for a class


def log_likelihoods(counts: np.ndarray, rates: np.ndarray, floor: float = RATE_FLOOR) -> np.ndarray:
    """(examples, classes) Poisson log-likelihood of the counts under each class's
    mean rates (rates below ``floor`` are raised to it; the log(count!) term,
    the same for every class, is left out). A class without any rate (none of
    its examples labelled, or none evoking a spike) has no model: -inf, never
    chosen (floored, it would explain a silent example best)."""
    rates = np.asarray(rates, dtype=np.float64)
    lam = np.maximum(rates, floor)
    out = np.asarray(counts, dtype=np.float64) @ np.log(lam).T - lam.sum(axis=1)
    empty = ~(rates > 0).any(axis=1)
    if not empty.all():   # (a network silent for every class keeps its floored scores)
        out[:, empty] = -np.inf
    return out


def evidence_per_spike(counts: np.ndarray, rates: np.ndarray,
                       log_lik: np.ndarray | None = None) -> np.ndarray:
    """(examples,) how much better the best class explains the counts than a
    class-blind model does (every neuron at its mean rate over the classes):
    the log-likelihood difference per spike (for a silent example, the mean
    class's total rate less the lowest; every caller lets a silent ensemble
    abstain). Counts
    that no class explains better than the class-blind model (e.g. a
    recording drowned in noise) score about 0 or below. ``log_lik``: the
    counts' ``log_likelihoods`` under ``rates``, if already computed."""
    rates = np.asarray(rates, dtype=np.float64)
    best = (log_likelihoods(counts, rates) if log_lik is None else log_lik).max(axis=1)
    blind = log_likelihoods(counts, rates.mean(axis=0, keepdims=True))[:, 0]
    return (best - blind) / np.maximum(np.asarray(counts).sum(axis=1), 1)


def fit_temperature(log_lik: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T that makes softmax(log_lik / T) best calibrated: the
    one that minimises the mean negative log-probability of the true labels
    (temperature scaling, Guo et al. 2017). ``log_lik`` (examples, classes)
    should come from rates fitted on other examples, or T comes out too small;
    examples whose class has no rates there (-inf) are left out."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    log_lik, labels = np.asarray(log_lik, dtype=np.float64), np.asarray(labels)
    keep = _predictable(labels, [log_lik])
    log_lik, labels = log_lik[keep], labels[keep]
    if len(labels) == 0:
        raise ValueError("fit_temperature: no examples whose class has rates")
    rows = np.arange(len(labels))

    def loss(log_t):
        return -log_softmax(log_lik / np.exp(log_t), axis=1)[rows, labels].mean()

    return float(np.exp(minimize_scalar(loss, bounds=(-5.0, 10.0), method="bounded").x))


def _predictable(labels: np.ndarray, log_liks: list) -> np.ndarray:
    """Mask of the examples whose true class every one of ``log_liks`` can
    name (a class without rates in the fitting examples is -inf there: no
    temperature or weight predicts it, and one such example would make the
    loss infinite for every parameter)."""
    rows = np.arange(len(labels))
    return np.logical_and.reduce([np.isfinite(ll[rows, labels]) for ll in log_liks])


RELIABILITY_FEATURES = ("offset", "evidence", "log_spikes")  # the columns of reliability_features


def reliability_features(counts: np.ndarray, rates: np.ndarray,
                         log_lik: np.ndarray | None = None) -> np.ndarray:
    """(examples, 3) what the calibrated rule weighs an ensemble's vote by:
    1 (an offset), ``evidence_per_spike`` and log(1 + the ensemble's spike count)."""
    spikes = np.asarray(counts).sum(axis=1)
    return np.stack([np.ones(len(spikes)), evidence_per_spike(counts, rates, log_lik), np.log1p(spikes)],
                    axis=1)


def reliability(features: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Weight of an ensemble's log-likelihoods on each example:
    softplus(features @ params), with ``reliability_features``. A temperature
    that depends on the example: with only the offset, 1/T = softplus(offset)
    (plain temperature scaling)."""
    return np.logaddexp(0.0, np.asarray(features, dtype=np.float64) @ np.asarray(params, dtype=np.float64))


def weighted_log_likelihoods(counts: np.ndarray, rates: np.ndarray, params: np.ndarray) -> np.ndarray:
    """(examples, classes) the ensemble's ``log_likelihoods``, each example's
    row weighed by its ``reliability`` under ``params``; rows of 0 where the
    ensemble is silent (it abstains)."""
    log_lik = log_likelihoods(counts, rates)
    weight = reliability(reliability_features(counts, rates, log_lik), params)
    return np.where(np.asarray(counts).sum(axis=1, keepdims=True) > 0, weight[:, None] * log_lik, 0.0)


def fit_reliability(log_liks: list, features: list, labels: np.ndarray) -> np.ndarray:
    """(ensembles, features): the ``reliability`` parameters of each ensemble
    that make softmax(sum over ensembles of reliability * log-likelihoods)
    best predict the labels (the mean negative log-probability of the true
    label is minimised). ``log_liks``: per ensemble, (examples, classes)
    log-likelihoods from class rates fitted on other examples, rows of 0
    where the ensemble abstains; ``features``: per ensemble, (examples, k)
    ``reliability_features``. Starts from each ensemble's own
    ``fit_temperature`` as the offset, the other parameters 0. Examples
    whose class some ensemble has no rates for are left out of the fit."""
    from scipy.optimize import minimize
    from scipy.special import log_softmax

    labels = np.asarray(labels)
    log_liks = [np.asarray(x, dtype=np.float64) for x in log_liks]
    features = [np.asarray(f, dtype=np.float64) for f in features]
    keep = _predictable(labels, log_liks)
    log_liks, features, labels = [x[keep] for x in log_liks], [f[keep] for f in features], labels[keep]
    if len(labels) == 0:
        raise ValueError("fit_reliability: no examples whose class has rates")
    rows, k = np.arange(len(labels)), features[0].shape[1]

    def loss(params):
        total = sum(reliability(f, p)[:, None] * ll
                    for ll, f, p in zip(log_liks, features, params.reshape(-1, k)))
        return -log_softmax(total, axis=1)[rows, labels].mean()

    start = np.zeros((len(log_liks), k))
    for m, ll in enumerate(log_liks):
        heard = np.abs(ll).sum(axis=1) > 0
        inverse_t = 1.0 / fit_temperature(ll[heard], labels[heard]) if heard.any() else 1.0
        start[m, 0] = np.log(np.expm1(inverse_t))
    return minimize(loss, start.ravel(), method="L-BFGS-B").x.reshape(-1, k)
