"""STDP-based pruning, weight quantisation, and the cost of an inference.

The method (Rathi, Panda & Roy): at regular intervals during STDP training the
least critical input->excitatory synapses are pruned for good and the
remaining weights are quantised to the few conductance levels a crossbar
offers; STDP keeps learning between intervals and the final network is pruned
and quantised. The network itself only knows a per-synapse ``mask`` (see
stdpnet.model.ensemble); everything here is plain numpy on the carried state,
applied between compiled chunks.

Accounting distinguishes **counts** (synapses kept, bits per weight, input
spikes, synaptic operations, neuron updates: exact tallies of what the
simulated network did over the test set) from **models** (energy in pJ and
area in um^2: counts times documented, configurable constants in
``[compression]``; see docs/compression.md).
"""
from __future__ import annotations

import math

import numpy as np

from ..spec import Compression, Spec

W, MASK, CORR = "input_exc.w", "input_exc.mask", "input_exc.corr"
TARGET = "excitatory.weight_target"  # column sum the normalisation keeps
COUNTERS = ("input.fired", "excitatory.fired", "inhibitory.fired")


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


# ---------------------------------------------------------------- accounting
def levels_in_use(cfg: Compression) -> int:
    """The weight levels of the trained network: 0 (full precision) unless
    compression is on and quantises."""
    return cfg.levels if cfg.enabled else 0


def bits_per_weight(cfg: Compression) -> int:
    levels = levels_in_use(cfg)
    return int(math.ceil(math.log2(levels))) if levels else cfg.reference_bits


def synaptic_ops(input_spikes: np.ndarray, mask: np.ndarray) -> int:
    """Each presynaptic spike times its live outgoing synapses (input->excitatory)."""
    mask = np.asarray(mask).reshape(len(input_spikes), -1)
    live_out = (mask > 0).sum(axis=1)
    return int(np.dot(np.asarray(input_spikes, np.int64), live_out.astype(np.int64)))


def op_energy_pJ(cfg: Compression, bits: int, full_precision: bool) -> float:
    """One synaptic operation: read a ``bits``-bit weight, accumulate it."""
    add = cfg.e_add_fp32_pJ if full_precision else cfg.e_add_int32_pJ * bits / 32
    return add + bits * cfg.e_read_per_bit_pJ


def accounting(spec: Spec, state: dict, n_examples: int, presentations: int,
               steps_per_presentation: int) -> dict:
    """Counts over one test pass (counters zeroed before it) and the energy and
    area models, against the dense full-precision network driven by the same
    input spikes. Per-inference figures are totals / ``n_examples`` and include
    the re-presentations of examples that evoked too few spikes."""
    cfg, n = spec.compression, spec.excitatory.n_neurons
    input_spikes = np.asarray(state["input.fired"], np.int64)
    n_input = len(input_spikes)
    mask = np.asarray(state.get(MASK, np.ones(n_input * n))).reshape(n_input, n)
    kept = int((mask > 0).sum())
    total = n_input * n
    bits = bits_per_weight(cfg)
    ops = synaptic_ops(input_spikes, mask)
    dense_ops = int(input_spikes.sum()) * n
    exc = int(np.sum(state["excitatory.fired"]))
    inh = int(np.sum(state["inhibitory.fired"]))
    lateral = exc + inh * (n - 1)   # exc->own inh partner; inh->every other exc
    updates = 2 * n * steps_per_presentation * presentations  # clock-driven exc + inh
    per = 1.0 / max(n_examples, 1)

    e_ref_op = op_energy_pJ(cfg, cfg.reference_bits, True)
    e_op = op_energy_pJ(cfg, bits, levels_in_use(cfg) == 0)
    fixed = lateral * e_ref_op + updates * cfg.e_neuron_update_pJ
    energy = ops * e_op + fixed
    energy_dense = dense_ops * e_ref_op + fixed
    area = kept * (bits + cfg.index_bits) * cfg.cell_area_um2
    area_dense = total * cfg.reference_bits * cfg.cell_area_um2
    return {
        "counts": {
            "synapses_total": total, "synapses_kept": kept, "sparsity": 1 - kept / total,
            "levels": levels_in_use(cfg) or None, "bits_per_weight": bits,
            "examples": int(n_examples), "presentations": int(presentations),
            "input_spikes_per_inference": input_spikes.sum() * per,
            "synaptic_ops_per_inference": ops * per,
            "dense_synaptic_ops_per_inference": dense_ops * per,
            "synaptic_op_reduction": dense_ops / max(ops, 1),
            "lateral_ops_per_inference": lateral * per,
            "excitatory_spikes_per_inference": exc * per,
            "neuron_updates_per_inference": updates * per,
        },
        "model": {
            "energy_pJ_per_inference": energy * per,
            "dense_energy_pJ_per_inference": energy_dense * per,
            "energy_improvement": energy_dense / max(energy, 1e-30),
            "synaptic_energy_improvement": dense_ops * e_ref_op / max(ops * e_op, 1e-30),
            "area_um2": area, "dense_area_um2": area_dense,
            "area_improvement": area_dense / max(area, 1e-30),
            "constants": {k: getattr(cfg, k) for k in (
                "e_add_fp32_pJ", "e_add_int32_pJ", "e_read_per_bit_pJ", "e_neuron_update_pJ",
                "reference_bits", "cell_area_um2", "index_bits")},
        },
    }


def zero_counters(state: dict) -> dict:
    state = dict(state)
    for key in COUNTERS:
        if key in state:
            state[key] = np.zeros_like(state[key])
    return state
