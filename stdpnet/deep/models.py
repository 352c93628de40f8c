"""VGG- and ResNet-style networks whose activations are ``NeuronLayer``s.

The same module is the ANN (neurons in ``analog`` mode: ReLU) and, once its
neurons switch to ``spiking``, the SNN run for T timesteps by
``SpikingNetwork``. Layers suit conversion: ReLU, average pooling, no biases
(batch norm is optional and is folded into the convolutions before
conversion), and a last linear layer without a neuron whose outputs,
averaged over the timesteps, are the class scores.
"""
from __future__ import annotations

import torch
from torch import nn

from .neurons import NeuronLayer, reset_states, set_mode

# "A" is a 2x2 average pool; a number is a 3x3 convolution with that many channels.
VGG_PRESETS = {
    "vgg5": ([64, "A", 128, 128, "A"], [1024, 1024]),
    "vgg9": ([64, 64, "A", 128, 128, "A", 256, 256, 256, "A"], [1024, 1024]),
    "vgg11": ([64, "A", 128, "A", 256, 256, "A", 512, 512, "A", 512, 512, "A"], [4096, 4096]),
    "vgg16": ([64, 64, "A", 128, 128, "A", 256, 256, 256, "A", 512, 512, 512, "A",
               512, 512, 512, "A"], [4096, 4096]),
}
# (channels of the stem, channels per stage, residual blocks per stage)
RESNET_PRESETS = {
    "resnet8": (16, [16, 32, 64], 1),
    "resnet20": (16, [16, 32, 64], 3),
    "resnet18": (64, [64, 128, 256, 512], 2),
}


class Normalize(nn.Module):
    """Per-channel (x - mean) / std inside the model, so attacks and Poisson
    encoding work on pixels in [0, 1]."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class TimestepDropout(nn.Module):
    """Dropout whose mask is drawn once per input and kept for all timesteps
    (a fresh mask per timestep would add noise the ANN never saw)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p
        self.hold = False
        self.mask = None

    def new_mask(self):
        self.mask = None

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        if self.mask is None or self.mask.shape != x.shape:
            keep = torch.rand_like(x) >= self.p
            self.mask = keep.to(x.dtype) / (1 - self.p)
        mask = self.mask
        if not self.hold:
            self.mask = None
        return x * mask


def _conv_block(c_in, c_out, batch_norm, stride=1):
    layers = [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    return layers


class VGG(nn.Module):
    def __init__(self, features, classifier, in_channels, image_size, num_classes,
                 batch_norm=False, dropout=0.0, mean=None, std=None):
        super().__init__()
        mean = mean or [0.0] * in_channels
        std = std or [1.0] * in_channels
        self.normalize = Normalize(mean, std)
        layers, c, size = [], in_channels, image_size
        for v in features:
            if v == "A":
                layers.append(nn.AvgPool2d(2))
                size //= 2
            else:
                layers += _conv_block(c, int(v), batch_norm)
                layers.append(NeuronLayer())
                c = int(v)
        self.features = nn.Sequential(*layers)
        head, width = [nn.Flatten()], c * size * size
        for h in classifier:
            head += [nn.Linear(width, int(h), bias=False), NeuronLayer(), TimestepDropout(dropout)]
            width = int(h)
        head.append(nn.Linear(width, num_classes, bias=False))
        self.classifier = nn.Sequential(*head)
        _init_weights(self)

    def forward(self, x):
        return self.classifier(self.features(self.normalize(x)))


class ResidualBlock(nn.Module):
    """conv-neuron-conv, plus the shortcut, into one neuron: the shortcut's
    spikes and the main path's current meet in the second neuron's membrane."""

    def __init__(self, c_in, c_out, stride, batch_norm):
        super().__init__()
        self.main = nn.Sequential(*_conv_block(c_in, c_out, batch_norm, stride), NeuronLayer(),
                                  *_conv_block(c_out, c_out, batch_norm))
        if stride != 1 or c_in != c_out:
            short = [nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)]
            if batch_norm:
                short.append(nn.BatchNorm2d(c_out))
            self.shortcut = nn.Sequential(*short)
        else:
            self.shortcut = nn.Identity()
        self.out = NeuronLayer()

    def forward(self, x):
        return self.out(self.main(x) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, stem, stages, blocks, in_channels, image_size, num_classes,
                 batch_norm=False, dropout=0.0, mean=None, std=None):
        super().__init__()
        self.normalize = Normalize(mean or [0.0] * in_channels, std or [1.0] * in_channels)
        layers = [*_conv_block(in_channels, stem, batch_norm), NeuronLayer()]
        c = stem
        for i, width in enumerate(stages):
            for j in range(blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append(ResidualBlock(c, width, stride, batch_norm))
                c = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        TimestepDropout(dropout),
                                        nn.Linear(c, num_classes, bias=False))
        _init_weights(self)

    def forward(self, x):
        return self.classifier(self.features(self.normalize(x)))


def _init_weights(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")


def build_model(model_cfg: dict, data_info: dict) -> nn.Module:
    """The network described by a spec's ``[model]`` table for a dataset whose
    shape is ``data_info`` (channels, image_size, num_classes, mean, std)."""
    width = model_cfg["width"]

    def scale(n):
        return n if n == "A" else max(1, round(int(n) * width))

    common = dict(in_channels=data_info["channels"], image_size=data_info["image_size"],
                  num_classes=data_info["num_classes"], batch_norm=model_cfg["batch_norm"],
                  dropout=model_cfg["dropout"], mean=data_info["mean"], std=data_info["std"])
    arch = model_cfg["arch"]
    if arch.startswith("vgg"):
        if arch == "vgg":
            features, classifier = model_cfg["features"], model_cfg["classifier"]
        else:
            features, classifier = VGG_PRESETS[arch]
        return VGG([scale(v) for v in features], [scale(h) for h in classifier], **common)
    if arch == "resnet":
        stem, stages, blocks = model_cfg["stem"], model_cfg["stages"], model_cfg["blocks"]
    else:
        stem, stages, blocks = RESNET_PRESETS[arch]
    return ResNet(scale(stem), [scale(s) for s in stages], blocks, **common)


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """Fold every BatchNorm2d into the convolution before it (eval statistics),
    leaving a bias on that convolution and an Identity in place of the BN."""
    for parent in model.modules():
        names = list(parent._modules)
        for prev_name, name in zip(names, names[1:]):
            conv, bn = parent._modules[prev_name], parent._modules[name]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
                bias = bn.bias.detach() - bn.running_mean * scale
                if conv.bias is not None:
                    bias = bias + conv.bias.detach() * scale
                conv.weight.data.mul_(scale.view(-1, 1, 1, 1))
                conv.bias = nn.Parameter(bias)
                parent._modules[name] = nn.Identity()
    return model


def encode(images: torch.Tensor, encoding: str) -> torch.Tensor:
    """One timestep of input. ``direct``: the analog pixels. ``poisson``: a
    Bernoulli spike per pixel with probability equal to its intensity; its
    gradient is passed straight through so attacks can craft through it."""
    if encoding == "direct":
        return images
    spikes = (torch.rand_like(images) < images).to(images.dtype)
    return spikes + images - images.detach()


ENCODINGS = ("direct", "poisson")


class SpikingNetwork(nn.Module):
    """A network with spiking neurons run for ``timesteps`` steps; the output is
    the last layer's membrane averaged over time (no neuron there)."""

    def __init__(self, net: nn.Module, timesteps: int, encoding: str = "direct"):
        super().__init__()
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
        self.net = net
        self.timesteps = int(timesteps)
        self.encoding = encoding
        set_mode(net, "spiking")

    def forward(self, images, checkpoints=(), recording=False, on_step=None):
        """Mean output over ``timesteps``; with ``checkpoints`` (timestep counts)
        also returns {T: mean output over the first T steps}."""
        reset_states(self.net, recording)
        total, partial = 0.0, {}
        for t in range(1, self.timesteps + 1):
            x = encode(images, self.encoding)
            if on_step is not None:
                on_step(x)
            total = total + self.net(x)
            if t in checkpoints:
                partial[t] = (total / t).detach()
        out = total / self.timesteps
        return (out, partial) if checkpoints else out
