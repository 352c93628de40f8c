"""The cost of an inference of an STDP network, pruned and quantised or not.

Accounting distinguishes **counts** (synapses kept, bits per weight, input
spikes, synaptic operations, neuron updates: exact tallies of what the
simulated network did over the scored examples) from **models** (energy in
pJ and area in um^2: counts times documented, configurable constants in
``[compression]``; see docs/compression.md).
"""
from __future__ import annotations

import math

import numpy as np

from ..spec import Compression, Spec
from .compression import MASK

COUNTERS = ("input.fired", "excitatory.fired", "inhibitory.fired")   # spike counters zeroed before scoring


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
