"""ANN -> SNN conversion by threshold balancing.

Each neuron layer's threshold becomes a high percentile (or the maximum) of
its positive pre-activations over training images. Because a spike carries
its layer's threshold (see neurons.py), an IF neuron with reset by
subtraction then fires at a rate whose average output approaches the ANN's
ReLU output, clipped at the threshold; the weights stay as trained.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from .models import SpikingNetwork, fold_batch_norm
from .neurons import configure_neurons, neuron_layers, set_mode

MAX_SAMPLES_PER_LAYER = 2_000_000


@torch.no_grad()
def balance_thresholds(net: nn.Module, images: torch.Tensor, percentile: float = 99.99,
                       batch_size: int = 256, seed: int = 0) -> list[float]:
    """Per-layer thresholds from the ANN's pre-activations on ``images``."""
    layers = neuron_layers(net)
    values = [[] for _ in layers]
    kept = [0] * len(layers)
    maxima = [0.0] * len(layers)
    generator = torch.Generator().manual_seed(seed)
    per_batch = max(1, MAX_SAMPLES_PER_LAYER * batch_size // max(1, len(images)))

    def make_hook(i):
        def hook(module, inputs):
            x = inputs[0].detach().flatten()
            x = x[x > 0].float().cpu()
            if x.numel() == 0:
                return
            maxima[i] = max(maxima[i], float(x.max()))
            if x.numel() > per_batch:  # an unbiased subsample keeps memory bounded
                x = x[torch.randperm(x.numel(), generator=generator)[:per_batch]]
            values[i].append(x)
            kept[i] += x.numel()
        return hook

    was_training = net.training
    net.eval()
    set_mode(net, "analog")
    hooks = [layer.register_forward_pre_hook(make_hook(i)) for i, layer in enumerate(layers)]
    try:
        for i in range(0, len(images), batch_size):
            net(images[i:i + batch_size])
    finally:
        for h in hooks:
            h.remove()
        net.train(was_training)
    thresholds = []
    for i, layer in enumerate(layers):
        if not values[i]:
            thresholds.append(1.0)  # a layer that never activates: any threshold will do
            continue
        if percentile >= 100:
            thresholds.append(maxima[i])
        else:
            thresholds.append(float(np.percentile(torch.cat(values[i]).numpy(), percentile)))
    return thresholds


def convert(ann: nn.Module, images: torch.Tensor, percentile: float = 99.99,
            timesteps: int = 100, encoding: str = "direct", threshold_scale: float = 1.0,
            batch_size: int = 256) -> SpikingNetwork:
    """A spiking copy of ``ann`` (batch norm folded, IF neurons, balanced thresholds)."""
    net = fold_batch_norm(copy.deepcopy(ann))
    thresholds = balance_thresholds(net, images, percentile, batch_size)
    for layer, th in zip(neuron_layers(net), thresholds):
        layer.threshold.data.fill_(th * threshold_scale)
    configure_neurons(net, leak=1.0, surrogate="stdb")
    return SpikingNetwork(net, timesteps, encoding)
