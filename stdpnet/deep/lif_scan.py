"""A LIF layer run over a whole sequence at once, with a hand-written backward
pass: the same neuron as ``neurons.NeuronLayer`` in spiking mode with the
linear surrogate, but one autograd node per sequence instead of several per
step.

Forward, per neuron (reset by subtraction, reset term detached):

    u[t] = leak * r[t-1] + I[t]          r[-1] = 0
    v[t] = u[t] / threshold - 1
    s[t] = H(v[t]),  out[t] = threshold * s[t]
    r[t] = u[t] - threshold * s[t]

Backward (g[t] = dL/dout[t], sigma[t] = gamma * max(0, 1 - |v[t]|)):

    dL/du[t] = leak * dL/du[t+1] + g[t] * sigma[t]     = dL/dI[t]
    dL/dleak = sum_t dL/du[t] * r[t-1]
    dL/dthreshold = sum_t g[t] * (s[t] - sigma[t] * u[t] / threshold)

On a CUDA device each neuron's time loop runs inside one Triton kernel
(forward and backward), so a 784-step sequence costs two kernel launches
instead of thousands; elsewhere the loop runs in plain Torch over time.
"""
from __future__ import annotations

import os

import torch

try:   # Triton ships with CUDA builds of Torch; without it the Torch loop runs
    import triton
    import triton.language as tl
except ImportError:   # pragma: no cover - depends on the Torch build
    triton = None

BLOCK = 256   # neurons per Triton program


def _forward_torch(current, leak, threshold):
    """(steps, neurons) currents -> membranes u[t] and outputs, both (steps, neurons)."""
    u = torch.empty_like(current)
    out = torch.empty_like(current)
    r = torch.zeros_like(current[0])
    for t in range(current.shape[0]):
        u[t] = leak * r + current[t]
        spike = (u[t] / threshold - 1.0 >= 0).to(current.dtype)
        out[t] = threshold * spike
        r = u[t] - out[t]
    return u, out


def _backward_torch(grad, u, leak, threshold, gamma):
    """dL/dI (steps, neurons) and per-neuron dL/dleak, dL/dthreshold."""
    grad_i = torch.empty_like(u)
    d_leak = torch.zeros_like(u[0])
    d_thr = torch.zeros_like(u[0])
    carry = torch.zeros_like(u[0])
    spikes = (u / threshold - 1.0 >= 0).to(u.dtype)
    after_reset = u - threshold * spikes          # r[t]
    for t in range(u.shape[0] - 1, -1, -1):
        v = u[t] / threshold - 1.0
        sigma = gamma * torch.clamp(1.0 - v.abs(), min=0.0)
        carry = leak * carry + grad[t] * sigma
        grad_i[t] = carry
        if t > 0:
            d_leak += carry * after_reset[t - 1]
        d_thr += grad[t] * (spikes[t] - sigma * u[t] / threshold)
    return grad_i, d_leak, d_thr


if triton is not None:
    @triton.jit
    def _forward_kernel(I, U, OUT, LEAK, THR, n, steps, BLOCK: tl.constexpr):
        lanes = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = lanes < n
        leak = tl.load(LEAK)
        thr = tl.load(THR)
        r = tl.zeros([BLOCK], dtype=tl.float32)
        for t in range(steps):
            u = leak * r + tl.load(I + t * n + lanes, mask=mask, other=0.0)
            spike = tl.where(u / thr - 1.0 >= 0, 1.0, 0.0)
            tl.store(U + t * n + lanes, u, mask=mask)
            tl.store(OUT + t * n + lanes, thr * spike, mask=mask)
            r = u - thr * spike

    @triton.jit
    def _backward_kernel(G, U, GI, DLEAK, DTHR, LEAK, THR, gamma, n, steps,
                         BLOCK: tl.constexpr):
        lanes = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = lanes < n
        leak = tl.load(LEAK)
        thr = tl.load(THR)
        carry = tl.zeros([BLOCK], dtype=tl.float32)
        d_leak = tl.zeros([BLOCK], dtype=tl.float32)
        d_thr = tl.zeros([BLOCK], dtype=tl.float32)
        u = tl.load(U + (steps - 1) * n + lanes, mask=mask, other=0.0)
        for k in range(steps):
            t = steps - 1 - k
            g = tl.load(G + t * n + lanes, mask=mask, other=0.0)
            v = u / thr - 1.0
            spike = tl.where(v >= 0, 1.0, 0.0)
            sigma = gamma * tl.maximum(1.0 - tl.abs(v), 0.0)
            carry = leak * carry + g * sigma
            tl.store(GI + t * n + lanes, carry, mask=mask)
            d_thr += g * (spike - sigma * u / thr)
            # u[-1] read as 0 gives r[-1] = 0 (no spike at v = -1)
            before = tl.load(U + (t - 1) * n + lanes, mask=mask & (t > 0), other=0.0)
            d_leak += carry * (before - thr * tl.where(before / thr - 1.0 >= 0, 1.0, 0.0))
            u = before
        tl.store(DLEAK + lanes, d_leak, mask=mask)
        tl.store(DTHR + lanes, d_thr, mask=mask)


def _use_triton(x: torch.Tensor) -> bool:
    """CUDA float32 tensors; any float32 tensor under Triton's CPU interpreter
    (TRITON_INTERPRET=1, how the tests check the kernels without a GPU)."""
    on_device = x.is_cuda or os.environ.get("TRITON_INTERPRET") == "1"
    return triton is not None and on_device and x.dtype == torch.float32


def _grid(n):
    return (triton.cdiv(n, BLOCK),)


class LIFScan(torch.autograd.Function):
    """(steps, neurons) currents -> (steps, neurons) outputs ``threshold * s``."""

    @staticmethod
    def forward(ctx, current, leak, threshold, gamma: float):
        current = current.contiguous()
        if _use_triton(current):
            steps, n = current.shape
            u, out = torch.empty_like(current), torch.empty_like(current)
            _forward_kernel[_grid(n)](current, u, out, leak.detach(), threshold.detach(),
                                      n, steps, BLOCK=BLOCK)
        else:
            u, out = _forward_torch(current, leak.detach(), threshold.detach())
        ctx.save_for_backward(u, leak, threshold)
        ctx.gamma = gamma
        return out

    @staticmethod
    def backward(ctx, grad):
        u, leak, threshold = ctx.saved_tensors
        grad = grad.contiguous()
        if _use_triton(u):
            steps, n = u.shape
            grad_i = torch.empty_like(u)
            d_leak, d_thr = u.new_empty(n), u.new_empty(n)
            _backward_kernel[_grid(n)](grad, u, grad_i, d_leak, d_thr, leak.detach(),
                                       threshold.detach(), ctx.gamma, n, steps, BLOCK=BLOCK)
        else:
            grad_i, d_leak, d_thr = _backward_torch(grad, u, leak.detach(), threshold.detach(),
                                                    ctx.gamma)
        return (grad_i, d_leak.sum().reshape(leak.shape), d_thr.sum().reshape(threshold.shape),
                None)


def lif_scan(layer, current: torch.Tensor) -> torch.Tensor:
    """Run spiking ``layer`` (linear surrogate) over ``current`` (..., steps)
    from rest; the outputs, same shape. Adds to the layer's spike count while
    it is recording, and keeps its spikes while it is keeping, as stepping
    it would."""
    if layer.mode != "spiking" or layer.surrogate != "linear":
        raise ValueError("lif_scan runs spiking layers with the linear surrogate only, "
                         f"got mode={layer.mode!r}, surrogate={layer.surrogate!r}")
    layer.reset_state()
    steps = current.shape[-1]
    flat = current.movedim(-1, 0).reshape(steps, -1)
    out = LIFScan.apply(flat, layer.leak, layer.threshold, layer.gamma)
    if layer.recording:
        layer.spike_count += float((out.detach() > 0).sum())
        layer.neuron_steps += out.numel()
    out = out.reshape(steps, *current.shape[:-1]).movedim(0, -1)
    if layer.keeping:
        layer.kept.append(out.detach() > 0)
    return out
