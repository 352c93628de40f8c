"""Spike counts and an operations/energy estimate for ANNs and SNNs.

An ANN layer costs one multiply-accumulate (MAC) per synapse per image. In an
SNN only non-zero inputs cost anything, and a spike costs an accumulate (AC)
per synapse it feeds: the layer's MACs times the density of non-zero inputs,
summed over timesteps. With direct (analog) input the first layer still
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
    modes = [layer.mode for layer in neuron_layers(net)]
    for layer in neuron_layers(net):
        layer.mode = "analog"
    try:
        with torch.no_grad():
            param = next(net.parameters())
            net(torch.zeros((1, *image_shape), device=param.device, dtype=param.dtype))
    finally:
        for h in hooks:
            h.remove()
        for layer, mode in zip(neuron_layers(net), modes):
            layer.mode = mode
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


@torch.no_grad()
def snn_cost(snn, images: torch.Tensor, batch_size: int = 500) -> dict:
    """Spike counts per neuron layer and ACs/MACs per image, measured on ``images``."""
    net = snn.net
    macs = macs_per_image(net, tuple(images.shape[1:]))
    layers = weight_layers(net)
    first = layers[0][0]
    nonzero = {name: 0.0 for name, _ in layers}  # summed density x batch over steps

    hooks = []
    for name, layer in layers:
        if name == first:
            continue

        def pre_hook(module, inputs, name=name):
            x = inputs[0]
            nonzero[name] += float((x != 0).sum()) / x[0].numel()
        hooks.append(layer.register_forward_pre_hook(pre_hook))

    def on_step(x):  # the first layer sees the encoder's output (before Normalize)
        nonzero[first] += float((x != 0).sum()) / x[0].numel()

    try:
        spikes, steps, n = count_spikes(neuron_layers(net),
                                        lambda x: snn(x, recording=True, on_step=on_step), images, batch_size)
    finally:
        for h in hooks:
            h.remove()
        for layer in neuron_layers(net):
            layer.recording = False

    T = snn.timesteps
    rows, acs, mac_ops = [], 0.0, 0.0
    for name, _ in layers:
        density = nonzero[name] / (n * T)  # mean fraction of non-zero inputs per step
        if name == first and snn.encoding == "direct":
            ops, kind = macs[name] * T, "mac"
            mac_ops += ops
        else:
            ops, kind = macs[name] * density * T, "ac"
            acs += ops
        rows.append({"name": name, "macs": macs[name], "input_density": density,
                     "ops_per_image": ops, "op": kind})
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
        "macs_per_image": mac_ops,
        "energy_uj_per_image": energy,
        "ann_macs_per_image": ann_macs,
        "ann_energy_uj_per_image": ann_energy,
        "ann_to_snn_energy_ratio": ann_energy / energy if energy else float("inf"),
        "constants_pj": {"mac": MAC_PJ, "ac": AC_PJ},
    }
