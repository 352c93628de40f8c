"""Spike counts and an operations/energy estimate for ANNs and SNNs.

An ANN layer costs one multiply-accumulate (MAC) per synapse per image. In an
SNN only spikes cost anything, and a spike costs an accumulate (AC) per
synapse it feeds: the layer's MACs times the density of non-zero inputs,
summed over timesteps. A spike that reaches a layer through an average pool
still feeds every synapse of its pooled position, so a pooled layer is
charged the spikes that entered the pool times that fan-out (the layer's
MACs per input position), not its non-zero pooled values. The papers'
convention (DIET-SNN: the previous layer's spike rate times the layer's
MACs) counts each pooled spike once per pooled synapse, the pool area fewer;
it is reported beside. With direct (analog) input the first layer still
multiplies: T times its MACs.

Energy per operation, 45 nm CMOS, 32-bit floating point (Horowitz, ISSCC
2014, the constants DIET-SNN and IIR-SNN use): MAC 4.6 pJ, AC 0.9 pJ.
Memory traffic and neuron updates are not counted.
"""
from __future__ import annotations

import torch
from torch import nn

from .neurons import count_spikes, neuron_layers

MAC_PJ = 4.6
AC_PJ = 0.9


def weight_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def macs_per_image(net: nn.Module, image_shape) -> dict[str, int]:
    """MACs of each conv/linear layer for one image (one analog forward pass)."""
    counts, hooks = {}, []
    for name, layer in weight_layers(net):
        def hook(module, inputs, output, name=name):
            if isinstance(module, nn.Conv2d):
                fan_in = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            else:
                fan_in = module.in_features
            counts[name] = int(output[0].numel() * fan_in)
        hooks.append(layer.register_forward_hook(hook))
    modes, training = [layer.mode for layer in neuron_layers(net)], net.training
    for layer in neuron_layers(net):
        layer.mode = "analog"
    net.eval()   # a zero image must not move batch-norm statistics
    try:
        with torch.no_grad():
            param = next(net.parameters())
            net(torch.zeros((1, *image_shape), device=param.device, dtype=param.dtype))
    finally:
        for h in hooks:
            h.remove()
        for layer, mode in zip(neuron_layers(net), modes):
            layer.mode = mode
        net.train(training)
    return counts


def ann_cost(net: nn.Module, image_shape) -> dict:
    macs = macs_per_image(net, image_shape)
    total = sum(macs.values())
    return {
        "layers": [{"name": n, "macs": m} for n, m in macs.items()],
        "macs_per_image": total,
        "energy_uj_per_image": total * MAC_PJ * 1e-6,
        "constants_pj": {"mac": MAC_PJ, "ac": AC_PJ},
    }


POOLS = (nn.AvgPool2d, nn.AdaptiveAvgPool2d)


@torch.no_grad()
def snn_cost(snn, images: torch.Tensor, batch_size: int = 500) -> dict:
    """Spike counts per neuron layer and ACs/MACs per image, measured on ``images``."""
    net = snn.net
    macs = macs_per_image(net, tuple(images.shape[1:]))
    layers = weight_layers(net)
    first = layers[0][0]
    # per weight layer: spikes that reach it (summed over images and steps), the
    # elements they come from (its input, or a pool's input) and its own input's
    events = {name: 0.0 for name, _ in layers}
    source_size, input_size = {}, {}
    pooled = {}   # the spikes entering the last pool, until a weight layer takes them

    def take(name, x):
        came = pooled.pop("spikes", None)
        count, size = came if came is not None else (float((x != 0).sum()), x[0].numel())
        events[name] += count
        source_size[name], input_size[name] = size, x[0].numel()

    hooks, spiking = [], set(neuron_layers(net))
    for name, layer in layers:
        if name != first:
            hooks.append(layer.register_forward_pre_hook(lambda m, inputs, name=name: take(name, inputs[0])))
    def pool(module, inputs):   # the first pool after spiking sees the spikes
        if "spikes" not in pooled:
            pooled["spikes"] = float((inputs[0] != 0).sum()), inputs[0][0].numel()

    for module in net.modules():
        if isinstance(module, POOLS):
            hooks.append(module.register_forward_pre_hook(pool))
        elif module in spiking:   # new spikes: what an earlier pool saw is spent
            hooks.append(module.register_forward_pre_hook(lambda m, inputs: pooled.clear()))

    def on_step(x):  # the first layer sees the encoder's output (before Normalize)
        pooled.clear()
        take(first, x)

    training = snn.training
    snn.eval()   # counted as the network is scored: no dropout
    try:
        spikes, steps, n = count_spikes(neuron_layers(net),
                                        lambda x: snn(x, recording=True, on_step=on_step), images, batch_size)
    finally:
        snn.train(training)
        for h in hooks:
            h.remove()
        for layer in neuron_layers(net):
            layer.recording = False

    T = snn.timesteps
    rows, acs, acs_rate, mac_ops = [], 0.0, 0.0, 0.0
    for name, _ in layers:
        density = events[name] / (n * T * source_size[name])   # spikes per source element and step
        if name == first and snn.encoding == "direct":
            ops = rate_ops = macs[name] * T
            kind = "mac"
            mac_ops += ops
        else:
            ops = macs[name] * events[name] / (n * input_size[name])   # spikes x fan-out
            rate_ops = macs[name] * density * T
            kind = "ac"
            acs += ops
            acs_rate += rate_ops
        rows.append({"name": name, "macs": macs[name], "input_density": density,
                     "pooled": source_size[name] != input_size[name],
                     "ops_per_image": ops, "ops_per_image_rate_convention": rate_ops, "op": kind})
    names = [n_ for n_, m in net.named_modules() if m in set(neuron_layers(net))]
    neurons = [{"name": name, "spikes_per_image": s / n, "rate": (s / st if st else 0.0)}
               for name, s, st in zip(names, spikes, steps)]
    ann_macs = sum(macs.values())
    energy = (mac_ops * MAC_PJ + acs * AC_PJ) * 1e-6
    ann_energy = ann_macs * MAC_PJ * 1e-6
    return {
        "timesteps": T,
        "encoding": snn.encoding,
        "images": n,
        "layers": rows,
        "neurons": neurons,
        "spikes_per_image": sum(s["spikes_per_image"] for s in neurons),
        "acs_per_image": acs,
        "acs_per_image_rate_convention": acs_rate,
        "macs_per_image": mac_ops,
        "energy_uj_per_image": energy,
        "ann_macs_per_image": ann_macs,
        "ann_energy_uj_per_image": ann_energy,
        "ann_to_snn_energy_ratio": ann_energy / energy if energy else float("inf"),
        "constants_pj": {"mac": MAC_PJ, "ac": AC_PJ},
    }
