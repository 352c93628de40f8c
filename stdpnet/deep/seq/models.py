"""Sequence models; each maps (batch, steps, features) to class scores.

* ``LiteSNN`` ("lite"): causal temporal convolutions (with batch norm, which
  folds into the convolution at inference), each followed by a LIF
  layer stepped through time (``neurons.NeuronLayer`` in spiking mode: leak
  and threshold trained as in DIET-SNN, linear surrogate), then softmax
  attention over the spike trains (optionally causal and/or limited to the
  last ``window`` steps), added to the spikes, and a linear readout at every
  step; the class scores are the mean over steps or the last step's. With
  ``stride`` s > 1 each convolution advances s steps, so the layers above it
  (LIF neurons, attention) run on a sequence s times shorter, each of its
  steps summing the last ``kernel`` steps below. With ``substeps`` k > 1 the
  LIF neurons take k steps per sequence step on the same current and pass on
  their spike count (0 .. k): a finer code at k times the neuron steps.
* ``TemporalCNN`` ("tcn"): the same convolutions with ReLU, no attention.
* ``SpikingRNN`` ("srnn"): LIF layers with recurrent weights, read out from
  the last step only: gradients reach early steps only through the
  membranes and recurrent spikes.
* ``RNNBaseline`` ("lstm", "gru"): ``torch.nn.LSTM`` / ``GRU`` layers, read
  out from the last step.

Spiking models map each weight layer fed by spikes to the LIF layer sending
them (``spike_sources``), so the cost counter charges those layers
accumulates instead of multiply-accumulates, one per spike: the sender's
threshold (a spike's amplitude) turns what the layer receives into counts.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..lif_scan import lif_scan
from ..neurons import NeuronLayer, configure_neurons

KINDS = ("lite", "srnn", "lstm", "gru", "tcn")
SPIKING = ("lite", "srnn")
POSITIONS = ("none", "sinusoidal")


def run_lif(layer: NeuronLayer, current: torch.Tensor, substeps: int = 1) -> torch.Tensor:
    """Run ``layer`` over ``current`` (batch, channels, steps) from rest, the
    whole sequence in one autograd node (``lif_scan``). With ``substeps`` k >
    1 each step's current is held for k neuron steps and the step's output is
    its spike count (0 .. k)."""
    if substeps == 1:
        return lif_scan(layer, current)
    b, c, t = current.shape
    spikes = lif_scan(layer, current.repeat_interleave(substeps, dim=-1))
    return spikes.view(b, c, t, substeps).sum(-1)


def _lif_layers(widths, neuron: dict) -> nn.ModuleList:
    layers = nn.ModuleList(NeuronLayer(neuron["threshold"], neuron["leak"]) for _ in widths)
    for layer in layers:
        layer.mode = "spiking"
    configure_neurons(layers, surrogate="linear", gamma=neuron["gamma"],
                      train_threshold=neuron["train_threshold"], train_leak=neuron["train_leak"])
    return layers


def attention_mask(steps: int, causal: bool, window: int, device=None) -> torch.Tensor:
    """(steps, steps) bool, True where query step i may attend to key step j."""
    i = torch.arange(steps, device=device)[:, None]
    j = torch.arange(steps, device=device)[None, :]
    allowed = torch.ones(steps, steps, dtype=torch.bool, device=device)
    if causal:
        allowed &= j <= i
    if window:
        allowed &= (i - j < window) if causal else ((i - j).abs() < window)
    return allowed


def sinusoidal_positions(steps: int, dim: int, device=None) -> torch.Tensor:
    """(steps, dim) position code of "Attention is all you need": channel 2i
    is sin(t / 10000^(2i/dim)), channel 2i+1 the cosine; no parameters."""
    t = torch.arange(steps, device=device, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32)
                     * (-math.log(10000.0) / dim))
    code = torch.zeros(steps, dim, device=device)
    code[:, 0::2] = torch.sin(t * rate)
    code[:, 1::2] = torch.cos(t * rate)[:, :dim // 2]
    return code


class SpikeAttention(nn.Module):
    """Softmax attention over a sequence (batch, steps, dim), ``heads`` heads.

    With ``positions="sinusoidal"`` each step's position code is added to its
    query and key (not to its value), so the weights can depend on where a
    step is, not only on what it holds. Keeps the last attention weights
    (batch, heads, steps, steps) in ``weights``; while ``recording``, adds
    the score and weighted-sum MACs of each sequence to ``macs``, the
    position additions to ``acs``, and the sequences to ``sequences``."""

    def __init__(self, dim: int, heads: int = 1, causal: bool = True, window: int = 0,
                 positions: str = "none"):
        super().__init__()
        if positions not in POSITIONS:
            raise ValueError(f"positions must be one of {POSITIONS}, got {positions!r}")
        self.heads, self.causal, self.window, self.positions = heads, causal, window, positions
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim, bias=False)
        self.out = nn.Linear(dim, dim)
        self.weights = None
        self.recording, self.macs, self.acs, self.sequences = False, 0, 0, 0

    def forward(self, s: torch.Tensor, last: bool = False) -> torch.Tensor:
        """The attention's output at every step, (b, t, dim); ``last``: the
        last step's query only, (b, 1, dim), all that a last-step readout uses."""
        b, t, dim = s.shape
        h = self.heads
        n_q = 1 if last else t

        def split(z):
            return z.view(b, z.shape[1], h, dim // h).transpose(1, 2)   # (b, h, steps, d)

        q, k, v = self.q(s[:, -n_q:]), self.k(s), self.v(s)
        if self.positions == "sinusoidal":
            code = sinusoidal_positions(t, dim, s.device)
            q, k = q + code[-n_q:], k + code
        q, k, v = split(q), split(k), split(v)
        allowed = attention_mask(t, self.causal, self.window, s.device)[-n_q:]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dim // h)
        weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
        self.weights = weights.detach()
        if self.recording:   # q.k per allowed pair and weight x value per pair, every head
            self.macs += 2 * int(allowed.sum()) * dim * b
            self.acs += (n_q + t) * dim * b if self.positions == "sinusoidal" else 0
            self.sequences += b
        return self.out((weights @ v).transpose(1, 2).reshape(b, n_q, dim))


class LiteSNN(nn.Module):
    """LITE-SNN; with ``spiking=False`` the temporal CNN baseline (ReLU)."""

    def __init__(self, n_in: int, n_classes: int, channels=(64, 64), kernel: int = 3,
                 attention: bool = True, causal: bool = True, window: int = 0, heads: int = 1,
                 readout: str = "mean", dropout: float = 0.0, spiking: bool = True,
                 batch_norm: bool = True, neuron: dict | None = None, positions: str = "none",
                 stride: int = 1, substeps: int = 1):
        super().__init__()
        if readout not in ("mean", "last"):
            raise ValueError(f"readout must be 'mean' or 'last', got {readout!r}")
        if not 1 <= stride <= kernel:
            raise ValueError(f"stride must lie in 1..kernel ({kernel}) so no step is skipped, "
                             f"got {stride}")
        neuron = {**dict(threshold=1.0, leak=1.0, gamma=0.3, train_threshold=True,
                         train_leak=True), **(neuron or {})}
        self.kernel, self.stride, self.readout, self.spiking = kernel, stride, readout, spiking
        self.substeps = substeps
        widths = [n_in, *channels]
        self.convs = nn.ModuleList(nn.Conv1d(a, c, kernel, stride)
                                   for a, c in zip(widths, widths[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(c) if batch_norm else nn.Identity()
                                   for c in channels)
        self.neurons = _lif_layers(channels, neuron) if spiking else None
        self.attention = (SpikeAttention(channels[-1], heads, causal, window, positions)
                          if attention else None)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(channels[-1], n_classes)
        self.spike_sources = {}   # weight layer fed by spikes -> the LIF layer sending them
        if spiking:   # the readout sees spikes only where no attention is added to them
            self.spike_sources = {f"convs.{i}": self.neurons[i - 1]
                                  for i in range(1, len(channels))}
            self.spike_sources.update({name: self.neurons[-1] for name in (
                ("attention.q", "attention.k", "attention.v") if attention else ("head",))})

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Spikes (counts with ``substeps`` > 1; ReLU activations for the TCN)
        of the last layer, (batch, steps, channels)."""
        h = x.float().transpose(1, 2)
        for i, conv in enumerate(self.convs):
            current = self.norms[i](conv(F.pad(h, (self.causal_padding(h.shape[-1]), 0))))
            h = (run_lif(self.neurons[i], current, self.substeps) if self.spiking
                 else torch.relu(current))
        return h.transpose(1, 2)

    def causal_padding(self, steps: int) -> int:
        """Zero steps put before a sequence of ``steps`` so that output step j
        sees input steps up to and including j·stride + r only, the last
        output ending on the last input (r = (steps - 1) mod stride): no
        output sees the future and no input is dropped. kernel − 1 at stride 1."""
        n_out = -(-steps // self.stride)
        return (n_out - 1) * self.stride + self.kernel - steps

    def step_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores at every step, (batch, steps, classes)."""
        s = self.features(x)
        if self.attention is not None:
            s = s + self.attention(s)
        return self.head(self.drop(s))

    def forward(self, x):
        if self.readout == "mean":
            return self.step_outputs(x).mean(1)
        # the last step's scores: its attention query and the readout computed
        # once, not at every step (what the cost counts is what is computed)
        s = self.features(x)
        last = s[:, -1]
        if self.attention is not None:
            last = last + self.attention(s, last=True)[:, 0]
        return self.head(self.drop(last))


class TemporalCNN(LiteSNN):
    def __init__(self, n_in, n_classes, channels=(64, 64), kernel=3, readout="mean",
                 dropout=0.0, batch_norm=True, stride=1):
        super().__init__(n_in, n_classes, channels, kernel, attention=False, readout=readout,
                         dropout=dropout, spiking=False, batch_norm=batch_norm, stride=stride)


class SpikingRNN(nn.Module):
    """LIF layers with recurrent weights; class scores from the last step's spikes."""

    def __init__(self, n_in: int, n_classes: int, hidden=(128,), dropout: float = 0.0,
                 neuron: dict | None = None):
        super().__init__()
        neuron = {**dict(threshold=1.0, leak=1.0, gamma=0.3, train_threshold=True,
                         train_leak=True), **(neuron or {})}
        widths = [n_in, *hidden]
        self.inputs = nn.ModuleList(nn.Linear(a, c) for a, c in zip(widths, widths[1:]))
        self.recurrent = nn.ModuleList(nn.Linear(c, c, bias=False) for c in hidden)
        self.neurons = _lif_layers(hidden, neuron)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden[-1], n_classes)
        self.spike_sources = {**{f"inputs.{i}": self.neurons[i - 1] for i in range(1, len(hidden))},
                              **{f"recurrent.{i}": lif for i, lif in enumerate(self.neurons)},
                              "head": self.neurons[-1]}

    def forward(self, x):
        x = x.float()
        b, steps, _ = x.shape
        first = self.inputs[0](x)    # the analog input, all steps at once
        for layer in self.neurons:
            layer.reset_state()
        state = [first.new_zeros(b, layer.out_features) for layer in self.inputs]
        for t in range(steps):
            below = None
            for i, lif in enumerate(self.neurons):
                current = (first[:, t] if i == 0 else self.inputs[i](below)) + self.recurrent[i](state[i])
                state[i] = below = lif(current)
        return self.head(self.drop(state[-1]))


class RNNBaseline(nn.Module):
    """Stacked ``nn.LSTM`` or ``nn.GRU`` layers; class scores from the last step."""

    def __init__(self, cell: str, n_in: int, n_classes: int, hidden=(128,), dropout: float = 0.0):
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        widths = [n_in, *hidden]
        self.layers = nn.ModuleList(rnn(a, c, batch_first=True) for a, c in zip(widths, widths[1:]))
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden[-1], n_classes)

    def forward(self, x):
        h = x.float()
        for layer in self.layers:
            h, _ = layer(h)
        return self.head(self.drop(h[:, -1]))


def n_parameters(model: nn.Module) -> int:
    """Trained parameters (weights, biases, and the LIF leaks and thresholds where trained)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _build(kind: str, m: dict, n_in: int, n_classes: int, widths=None) -> nn.Module:
    neuron = {k: m[k] for k in ("threshold", "leak", "gamma", "train_threshold", "train_leak")}
    if kind in ("lite", "tcn"):
        channels = widths or m["channels"]
        if kind == "tcn":
            return TemporalCNN(n_in, n_classes, channels, m["kernel"], m["readout"], m["dropout"],
                               m["batch_norm"], m["stride"])
        return LiteSNN(n_in, n_classes, channels, m["kernel"], m["attention"], m["causal"],
                       m["attention_window"], m["heads"], m["readout"], m["dropout"],
                       batch_norm=m["batch_norm"], neuron=neuron, positions=m["positions"],
                       stride=m["stride"], substeps=m["substeps"])
    hidden = widths or m["hidden"]
    if kind == "srnn":
        return SpikingRNN(n_in, n_classes, hidden, m["dropout"], neuron)
    return RNNBaseline(kind, n_in, n_classes, hidden, m["dropout"])


def matched_widths(kind: str, m: dict, n_in: int, n_classes: int, target: int) -> list[int]:
    """The spec's widths for ``kind`` scaled by one factor: the smallest whose
    parameter count is at least ``target``, so a baseline is never smaller
    than the model it is compared with."""
    base = m["channels"] if kind == "tcn" else m["hidden"]

    def widths(f):
        return [max(1, round(w * f)) for w in base]

    def count(f):
        return n_parameters(_build(kind, m, n_in, n_classes, widths(f)))

    with torch.random.fork_rng(devices=[]):   # sizing draws no numbers from the seed
        lo, hi = 1e-3, 1.0
        while count(hi) < target and hi < 1e4:
            hi *= 2
        for _ in range(30):     # count(lo) < target <= count(hi)
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if count(mid) < target else (lo, mid)
    return widths(hi)


def build_seq_model(kind: str, m: dict, n_in: int, n_classes: int) -> tuple[nn.Module, dict]:
    """The model of ``kind`` for the spec's [model] table, and how it was sized."""
    if kind not in KINDS:
        raise ValueError(f"model kind must be one of {KINDS}, got {kind!r}")
    if kind == "lite" or not m["match_parameters"]:
        model = _build(kind, m, n_in, n_classes)
        return model, {"matched_to": None}
    target = n_parameters(_build("lite", m, n_in, n_classes))
    widths = matched_widths(kind, m, n_in, n_classes, target)
    return _build(kind, m, n_in, n_classes, widths), {"matched_to": target, "widths": widths}
