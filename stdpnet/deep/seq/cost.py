"""Parameters, operations and energy per sequence for the sequence models.

* ANN baselines (LSTM, GRU, temporal CNN) and every weight layer of a
  spiking model that receives analog values (the input, the attention's
  output projection, the readout) cost multiply-accumulates (MACs): one per
  weight use, zeros included. An LSTM layer costs 4 H (I + H) MACs per step,
  a GRU layer 3 H (I + H) (gate non-linearities and element-wise products
  are not counted).
* A weight layer fed by spikes (``model.spike_sources``) costs one accumulate
  (AC) per synapse a spike reaches: counted exactly, as the layer applied to
  its input spike counts (a spike leaves a LIF layer as its threshold; k
  spikes of one step, with ``substeps`` k, are k ACs) with all weights 1. Event streams
  fed to a spiking model's first layer are counted the same way, one AC per
  event per synapse.
* Attention scores and the weighted sum of values are products of analog
  numbers: 2 x (allowed query-key pairs) x dim MACs per sequence; adding
  the position code to queries and keys, (queries + steps) x dim ACs
  (additions). A last-step readout computes one query and one readout.

Energy per operation as in ``deep/cost.py`` (45 nm, 32-bit float, Horowitz
2014): MAC 4.6 pJ, AC 0.9 pJ; memory traffic and neuron updates are not
counted.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..cost import AC_PJ, MAC_PJ
from ..neurons import count_spikes, neuron_layers
from .models import SpikeAttention, n_parameters

GATES = {nn.LSTM: 4, nn.GRU: 3}


def _synapses_reached(module: nn.Module, x: torch.Tensor) -> float:
    """Σ over outputs of the input values reaching them through weights of 1:
    the ACs of this call when ``x`` holds 0/1 spikes or event counts."""
    ones = torch.ones_like(module.weight)
    if isinstance(module, nn.Conv1d):
        return float(F.conv1d(x, ones, None, module.stride, module.padding, module.dilation,
                              module.groups).sum())
    return float(F.linear(x, ones).sum())


@torch.no_grad()
def count_ops(model: nn.Module, sequences: torch.Tensor, batch_size: int = 500,
              event_input: bool = False) -> dict:
    """Operations, spikes and energy per sequence of ``model``, measured on
    ``sequences`` (N, steps, features). ``event_input``: the sequences are
    event counts (a spiking model's first layer then accumulates)."""
    spiking = bool(neuron_layers(model))
    sources = getattr(model, "spike_sources", {})   # layer fed by spikes -> their LIF layer
    spike_fed = set(sources)
    first = next(n for n, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv1d)))
    if spiking and event_input:
        spike_fed.add(first)
    ops: dict[str, list] = {}   # name -> [kind, total]
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Linear, nn.Conv1d)):
            def hook(mod, inputs, output, name=name):
                x = inputs[0]
                if name in spike_fed:
                    if event_input and name == first:
                        pattern = x.float()                                 # event counts
                    else:
                        pattern = (x / sources[name].threshold).round()     # spike counts
                    ops.setdefault(name, ["ac", 0.0])[1] += _synapses_reached(mod, pattern)
                else:
                    fan_in = (mod.in_channels // mod.groups * mod.kernel_size[0]
                              if isinstance(mod, nn.Conv1d) else mod.in_features)
                    ops.setdefault(name, ["mac", 0.0])[1] += float(output.numel() * fan_in)
            hooks.append(module.register_forward_hook(hook))
        elif type(module) in GATES:
            def rnn_hook(mod, inputs, output, name=name):
                b, steps, _ = inputs[0].shape
                macs = GATES[type(mod)] * mod.hidden_size * (mod.input_size + mod.hidden_size)
                ops.setdefault(name, ["mac", 0.0])[1] += float(b * steps * macs)
            hooks.append(module.register_forward_hook(rnn_hook))
    attention = [m for m in model.modules() if isinstance(m, SpikeAttention)]
    for a in attention:
        a.recording, a.macs, a.acs, a.sequences = True, 0, 0, 0
    lifs = neuron_layers(model)
    for layer in lifs:
        layer.recording = True
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        spikes, steps, n = count_spikes(lifs, lambda x: model(x.to(device)), sequences, batch_size)
    finally:
        for h in hooks:
            h.remove()
        for layer in lifs:
            layer.recording = False
        for a in attention:
            a.recording = False
        model.train(was_training)
    n = max(1, n)
    rows = [{"name": name, "op": kind, "ops_per_sequence": total / n}
            for name, (kind, total) in ops.items()]
    for a_name, a in ((nm, m) for nm, m in model.named_modules() if isinstance(m, SpikeAttention)):
        rows.append({"name": f"{a_name}.scores", "op": "mac", "ops_per_sequence": a.macs / n})
        if a.acs:
            rows.append({"name": f"{a_name}.positions", "op": "ac", "ops_per_sequence": a.acs / n})
    macs = sum(r["ops_per_sequence"] for r in rows if r["op"] == "mac")
    acs = sum(r["ops_per_sequence"] for r in rows if r["op"] == "ac")
    names = {id(m): nm for nm, m in model.named_modules()}
    neurons = [{"name": names[id(layer)], "spikes_per_sequence": s / n,
                "rate": s / st if st else 0.0} for layer, s, st in zip(lifs, spikes, steps)]
    return {
        "params": n_parameters(model),
        "sequences": n,
        "spiking": spiking,
        "layers": rows,
        "neurons": neurons,
        "spikes_per_sequence": sum(r["spikes_per_sequence"] for r in neurons),
        "macs_per_sequence": macs,
        "acs_per_sequence": acs,
        "ops_per_sequence": macs + acs,
        "energy_uj_per_sequence": (macs * MAC_PJ + acs * AC_PJ) * 1e-6,
        "constants_pj": {"mac": MAC_PJ, "ac": AC_PJ},
    }
