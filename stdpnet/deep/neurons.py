"""Spiking neurons for the Torch path: one layer type that is a ReLU in an ANN
and an integrate-and-fire (IF) or leaky (LIF) neuron in an SNN.

Membrane update at each timestep t (reset by subtraction):

    u[t] = leak * u[t-1] + I[t]
    s[t] = H(u[t] / threshold - 1)
    u[t] = u[t] - threshold * s[t]

A spike leaves the layer as ``threshold * s[t]``: carrying the threshold keeps
every layer on the ANN's scale, so a converted network needs no weight
rescaling and residual sums add like quantities. On hardware the factor folds
into the next layer's weights, so each spike still costs plain accumulates.

The Heaviside step has no useful derivative; training replaces it with a
surrogate, chosen per layer:

* ``stdb`` (Rathi et al., ICLR 2020): ds/dv = alpha * exp(-beta * dt), dt the
  number of timesteps since the neuron last spiked (0 when it spikes now).
* ``linear`` (DIET-SNN, IIR-SNN): ds/dv = gamma * max(0, 1 - |v|), a triangle
  around the threshold; v = u / threshold - 1, so the threshold gets gradients.
"""
from __future__ import annotations

import torch
from torch import nn

MODES = ("analog", "spiking")
SURROGATES = ("stdb", "linear")


class STDBSpike(torch.autograd.Function):
    """Heaviside step whose gradient is alpha * exp(-beta * dt)."""

    @staticmethod
    def forward(ctx, v, dt, alpha: float, beta: float):
        ctx.save_for_backward(dt)
        ctx.alpha, ctx.beta = alpha, beta
        return (v >= 0).to(v.dtype)

    @staticmethod
    def backward(ctx, grad_spike):
        (dt,) = ctx.saved_tensors
        surrogate = ctx.alpha * torch.exp(-ctx.beta * dt)
        return grad_spike * surrogate, None, None, None


class LinearSpike(torch.autograd.Function):
    """Heaviside step whose gradient is gamma * max(0, 1 - |v|)."""

    @staticmethod
    def forward(ctx, v, gamma: float):
        ctx.save_for_backward(v)
        ctx.gamma = gamma
        return (v >= 0).to(v.dtype)

    @staticmethod
    def backward(ctx, grad_spike):
        (v,) = ctx.saved_tensors
        surrogate = ctx.gamma * torch.clamp(1.0 - v.abs(), min=0.0)
        return grad_spike * surrogate, None


class NeuronLayer(nn.Module):
    """ReLU in ``analog`` mode; IF/LIF neuron with visible state in ``spiking`` mode.

    Parameters (one scalar per layer, as in DIET-SNN): ``threshold`` and
    ``leak`` (1.0 = IF). State, reset before each input by ``reset_state``:
    ``membrane``, ``last_spike`` and, while ``recording``, ``spike_count``.
    While ``keeping``, every output's spikes (0/1, time last) are appended
    to ``kept`` (see ``layer_spikes``).
    """

    def __init__(self, threshold: float = 1.0, leak: float = 1.0):
        super().__init__()
        self.threshold = nn.Parameter(torch.tensor(float(threshold)), requires_grad=False)
        self.leak = nn.Parameter(torch.tensor(float(leak)), requires_grad=False)
        self.mode = "analog"
        self.surrogate = "stdb"
        self.alpha, self.beta, self.gamma = 0.3, 0.01, 0.3
        self.recording = False
        self.keeping, self.kept = False, []
        self.reset_state()

    def extra_repr(self) -> str:
        return (f"mode={self.mode}, threshold={self.threshold.item():.4g}, "
                f"leak={self.leak.item():.4g}, surrogate={self.surrogate}")

    def reset_state(self) -> None:
        self.membrane = None
        self.last_spike = None
        self.step = 0
        self.spike_count = 0.0
        self.neuron_steps = 0  # neurons x timesteps seen while recording

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        if self.mode == "analog":
            return torch.relu(current)
        if self.membrane is None:
            self.membrane = torch.zeros_like(current)
            # As if every neuron fired just before the input: silent neurons
            # still pass some gradient at the start (dt grows from 1).
            self.last_spike = torch.full_like(current, -1.0)
        membrane = self.leak * self.membrane + current
        v = membrane / self.threshold - 1.0
        if self.surrogate == "stdb":
            fired = (v >= 0).detach()
            last = torch.where(fired, torch.full_like(v, float(self.step)), self.last_spike)
            spike = STDBSpike.apply(v, self.step - last, self.alpha, self.beta)
            self.last_spike = last
        else:
            spike = LinearSpike.apply(v, self.gamma)
        # Reset by subtraction, detached as a whole: gradients flow through the
        # integration only (DIET-SNN's reference holds only the spike, so its
        # threshold also learns through the reset; docs/deep.md).
        self.membrane = membrane - (self.threshold * spike).detach()
        self.step += 1
        if self.recording:
            self.spike_count += float(spike.detach().sum())
            self.neuron_steps += spike.numel()
        if self.keeping:
            self.kept.append((spike.detach() > 0).unsqueeze(-1))
        return self.threshold * spike


@torch.no_grad()
def layer_spikes(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """The spikes of every neuron layer of ``model`` (in eval mode) while it
    reads ``x``: per layer a bool tensor (batch, neurons..., neuron steps)."""
    layers = neuron_layers(model)
    was_training = model.training
    model.eval()
    for layer in layers:
        layer.keeping, layer.kept = True, []
    try:
        model(x)
        return [torch.cat(layer.kept, dim=-1) for layer in layers]
    finally:
        for layer in layers:
            layer.keeping, layer.kept = False, []
        model.train(was_training)


def neuron_layers(model: nn.Module) -> list[NeuronLayer]:
    return [m for m in model.modules() if isinstance(m, NeuronLayer)]


def count_spikes(layers: list[NeuronLayer], forward, inputs, batch_size: int) -> tuple[list, list, int]:
    """Run ``forward`` over ``inputs`` in batches (each forward starts its
    layers from rest, and records their spikes); (spikes, neuron-steps)
    summed per layer of ``layers``, and the number of inputs run."""
    spikes, steps, n = [0.0] * len(layers), [0] * len(layers), 0
    for i in range(0, len(inputs), batch_size):
        x = inputs[i:i + batch_size]
        forward(x)
        for j, layer in enumerate(layers):
            spikes[j] += layer.spike_count
            steps[j] += layer.neuron_steps
        n += len(x)
    return spikes, steps, n


def set_mode(model: nn.Module, mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    for layer in neuron_layers(model):
        layer.mode = mode
        layer.reset_state()
    for m in model.modules():
        if hasattr(m, "new_mask"):  # dropout: one mask per input while spiking
            m.hold = mode == "spiking"
            m.new_mask()


def configure_neurons(model: nn.Module, *, surrogate: str | None = None,
                      leak: float | None = None, train_threshold: bool | None = None,
                      train_leak: bool | None = None, alpha: float | None = None,
                      beta: float | None = None, gamma: float | None = None) -> None:
    """Set the same neuron options on every layer; None leaves an option as is."""
    if surrogate is not None and surrogate not in SURROGATES:
        raise ValueError(f"surrogate must be one of {SURROGATES}, got {surrogate!r}")
    for layer in neuron_layers(model):
        if surrogate is not None:
            layer.surrogate = surrogate
        if leak is not None:
            layer.leak.data.fill_(float(leak))
        if train_threshold is not None:
            layer.threshold.requires_grad_(train_threshold)
        if train_leak is not None:
            layer.leak.requires_grad_(train_leak)
        for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
            if value is not None:
                setattr(layer, name, float(value))


def reset_states(model: nn.Module, recording: bool = False) -> None:
    for layer in neuron_layers(model):
        layer.reset_state()
        layer.recording = recording
    for m in model.modules():
        if hasattr(m, "new_mask"):
            m.new_mask()


def clamp_neuron_parameters(model: nn.Module) -> None:
    """Keep trained leaks in [0, 1] and thresholds positive (after each step)."""
    with torch.no_grad():
        for layer in neuron_layers(model):
            layer.leak.clamp_(0.0, 1.0)
            layer.threshold.clamp_(min=1e-3)
