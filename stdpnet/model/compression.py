"""STDP-based pruning and weight quantisation (the cost of an inference:
``stdpnet.model.cost``).

The method (Rathi, Panda & Roy): at regular intervals during STDP training the
least critical input->excitatory synapses are pruned for good and the
remaining weights are quantised to the few conductance levels a crossbar
offers; STDP keeps learning between intervals and the final network is pruned
and quantised. The network itself only knows a per-synapse ``mask`` (see
stdpnet.model.ensemble); everything here is plain numpy on the carried state,
applied between compiled chunks.
"""
from __future__ import annotations


import numpy as np

from ..spec import Compression, Spec

W, MASK, CORR = "input_exc.w", "input_exc.mask", "input_exc.corr"
TARGET = "excitatory.weight_target"  # column sum the normalisation keeps


# ------------------------------------------------------------------- pruning
def sparsity_at(cfg: Compression, position: int, n_train: int) -> float:
    """Pruned fraction the schedule asks for after ``position`` training
    examples: nothing before ``start_fraction`` of training, then the target
    (constant) or a linear ramp that reaches it at ``ramp_fraction``."""
    start = cfg.start_fraction * n_train
    if position < start:
        return 0.0
    if cfg.schedule == "constant":
        return cfg.target_sparsity
    ramp = max(cfg.ramp_fraction * n_train - start, 1)
    return cfg.target_sparsity * min(1.0, (position - start) / ramp)


def prune_mask(score: np.ndarray, mask: np.ndarray, sparsity: float,
               tiebreak: np.ndarray | None = None) -> np.ndarray:
    """New mask (n_input, n_neurons): in every column (one excitatory neuron)
    the lowest-scoring live synapses are pruned until round(sparsity * n_input)
    are pruned. Pruned synapses stay pruned; a column never loses all inputs.

    Pruning per neuron keeps the same number of live inputs on every neuron,
    so the column normalisation (a fixed weight sum) treats them alike."""
    score = np.asarray(score, float)
    mask = np.asarray(mask, float).reshape(score.shape)
    n_input = score.shape[0]
    target = min(int(round(sparsity * n_input)), n_input - 1)
    new = mask.copy()
    tb = np.zeros_like(score) if tiebreak is None else np.asarray(tiebreak, float).reshape(score.shape)
    for k in range(score.shape[1]):
        live = np.flatnonzero(mask[:, k] > 0)
        extra = target - (n_input - len(live))
        if extra <= 0:
            continue
        order = np.lexsort((tb[live, k], score[live, k]))  # by score, then tiebreak
        new[live[order[:extra]], k] = 0.0
    return new


# -------------------------------------------------------------- quantisation
def uniform_levels(n_levels: int, w_max: float) -> np.ndarray:
    """L equally spaced conductances 0, w_max/(L-1), ..., w_max."""
    return np.linspace(0.0, w_max, n_levels)


def fitted_levels(values: np.ndarray, n_levels: int, w_max: float, iterations: int = 50) -> np.ndarray:
    """L levels in [0, w_max] fitted to ``values`` by 1-D k-means (Lloyd-Max),
    started at the quantiles. Values that already take at most L distinct
    numbers are their own levels, which makes fitted quantisation idempotent."""
    v = np.clip(np.asarray(values, float).ravel(), 0.0, w_max)
    distinct = np.unique(v)
    if len(distinct) <= n_levels:
        return distinct
    levels = np.quantile(v, (np.arange(n_levels) + 0.5) / n_levels)
    for _ in range(iterations):
        edges = (levels[1:] + levels[:-1]) / 2
        which = np.searchsorted(edges, v)
        sums = np.bincount(which, v, n_levels)
        counts = np.bincount(which, minlength=n_levels)
        new = np.where(counts > 0, sums / np.maximum(counts, 1), levels)
        new = np.sort(new)
        if np.allclose(new, levels, rtol=0, atol=1e-12):
            break
        levels = new
    return np.clip(levels, 0.0, w_max)


def quantise(w: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Each weight to its nearest level (weights outside the range to the end levels)."""
    levels = np.sort(np.asarray(levels, float))
    w = np.asarray(w, float)
    if len(levels) == 1:
        return np.full_like(w, levels[0])
    edges = (levels[1:] + levels[:-1]) / 2
    return levels[np.searchsorted(edges, w)]


def quantise_weights(w: np.ndarray, mask: np.ndarray, cfg: Compression, w_max: float):
    """Live weights onto the configured levels, pruned weights to 0; (w, levels)."""
    live = np.asarray(mask) > 0
    if cfg.quantisation == "uniform":
        levels = uniform_levels(cfg.levels, w_max)
    else:
        levels = fitted_levels(w[live], cfg.levels, w_max)
    out = np.where(live, quantise(w, levels), 0.0)
    return out, levels


def compress(state: dict, spec: Spec, sparsity: float, quantise_now: bool) -> dict:
    """Prune to ``sparsity`` and (optionally) quantise, in place on a carried
    state; resets the correlation accumulators and (``normalise_to =
    "retained"``) lowers each neuron's normalisation target to the sum of its
    live weights. Returns a summary."""
    cfg, n = spec.compression, spec.excitatory.n_neurons
    w = np.asarray(state[W], float).reshape(-1, n)
    mask = np.asarray(state.get(MASK, np.ones(w.size)), float).reshape(-1, n)
    if cfg.criterion == "correlation" and CORR in state:
        score, tiebreak = np.asarray(state[CORR], float).reshape(-1, n), w
    else:
        score, tiebreak = w, None
    pruned = prune_mask(score, mask, sparsity, tiebreak)
    w = np.where(pruned > 0, w, 0.0)
    if cfg.normalise_to == "retained":  # never scale the survivors up
        # (a checkpoint from before weight_target existed normalised to the full sum)
        full = np.full(n, spec.connections.weight_sum_per_input * w.shape[0])
        target = np.asarray(state.get(TARGET, full), float)
        # only a neuron that lost synapses now: a step that prunes none of a neuron's
        # synapses leaves its target (and its learning) as a dense network's
        lost = (pruned != mask).any(axis=0)
        state[TARGET] = np.where(lost, np.minimum(target, w.sum(axis=0)), target)
    mask = pruned
    levels = None
    if quantise_now and cfg.levels:
        w, levels = quantise_weights(w, mask, cfg, spec.plasticity.w_max)
    state[W] = w.ravel()
    state[MASK] = mask.ravel()
    state[CORR] = np.zeros(w.size)
    return {"sparsity": float(1 - mask.mean()),
            "levels": None if levels is None else [float(x) for x in levels]}


def interval_step(state: dict, spec: Spec, before: int, after: int, n_train: int):
    """Prune/quantise if training crossed an interval boundary between the
    example positions ``before`` and ``after`` (checked at chunk ends, so the
    step happens at the first chunk end at or after each multiple of the
    interval). Returns the summary or None."""
    cfg = spec.compression
    if not cfg.enabled or after // cfg.interval <= before // cfg.interval:
        return None
    return compress(state, spec, sparsity_at(cfg, after, n_train), cfg.quantise_during_training)


def finalise(state: dict, spec: Spec) -> dict:
    """The final network: pruned to the target sparsity and quantised."""
    return compress(state, spec, spec.compression.target_sparsity, True)
