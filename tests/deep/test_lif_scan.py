"""The whole-sequence LIF (``lif_scan``) is the stepped neuron, gradients included."""
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from stdpnet.deep.lif_scan import lif_scan
from stdpnet.deep.neurons import NeuronLayer, configure_neurons


def _layer(dtype):
    layer = NeuronLayer(threshold=0.7, leak=0.9)
    layer.mode = "spiking"
    configure_neurons(layer, surrogate="linear", gamma=0.3, train_threshold=True, train_leak=True)
    return layer.to(dtype)


def test_scan_gives_the_stepped_neurons_outputs_gradients_and_spike_counts():
    torch.manual_seed(0)
    current = torch.randn(3, 5, 40, dtype=torch.float64) * 0.8 + 0.3
    weight = torch.randn(3, 5, 40, dtype=torch.float64)
    stepped, scanned = _layer(torch.float64), _layer(torch.float64)
    stepped.reset_state()
    stepped.recording = True
    a = current.clone().requires_grad_()
    out_a = torch.stack([stepped(a[..., t]) for t in range(40)], -1)
    scanned.recording = True
    b = current.clone().requires_grad_()
    scanned.reset_state()
    scanned.recording = True
    out_b = lif_scan(scanned, b)
    (out_a * weight).sum().backward()
    (out_b * weight).sum().backward()
    assert 0 < float((out_a > 0).float().mean()) < 1   # some neurons spike, not all
    assert torch.equal(out_a, out_b)
    assert torch.allclose(a.grad, b.grad, atol=1e-12)
    assert torch.allclose(stepped.leak.grad, scanned.leak.grad, atol=1e-10)
    assert torch.allclose(stepped.threshold.grad, scanned.threshold.grad, atol=1e-10)
    assert stepped.leak.grad.abs() > 0 and stepped.threshold.grad.abs() > 0
    assert scanned.spike_count == stepped.spike_count > 0
    assert scanned.neuron_steps == stepped.neuron_steps == current.numel()


def test_scan_refuses_layers_it_does_not_implement():
    layer = _layer(torch.float32)
    layer.surrogate = "stdb"
    with pytest.raises(ValueError, match="linear surrogate"):
        lif_scan(layer, torch.zeros(2, 3, 4))


def test_triton_kernels_give_the_torch_loops_results():
    """The GPU kernels, run by Triton's CPU interpreter, against the Torch loops."""
    pytest.importorskip("triton")
    script = textwrap.dedent("""
        import torch
        from stdpnet.deep import lif_scan as ls
        torch.manual_seed(0)
        steps, n = 30, 300          # two programs, the second one partly masked
        current = torch.randn(steps, n) * 0.8 + 0.3
        grad = torch.randn(steps, n)
        leak, thr = torch.tensor(0.9), torch.tensor(0.7)
        assert ls._use_triton(current)
        u, out = torch.empty_like(current), torch.empty_like(current)
        ls._forward_kernel[ls._grid(n)](current, u, out, leak, thr, n, steps, BLOCK=ls.BLOCK)
        u_ref, out_ref = ls._forward_torch(current, leak, thr)
        gi, dl, dt = torch.empty_like(current), torch.empty(n), torch.empty(n)
        ls._backward_kernel[ls._grid(n)](grad, u, gi, dl, dt, leak, thr, 0.3, n, steps,
                                         BLOCK=ls.BLOCK)
        gi_ref, dl_ref, dt_ref = ls._backward_torch(grad, u_ref, leak, thr, 0.3)
        assert 0 < float(out.mean()) < 0.7
        for a, b in ((u, u_ref), (out, out_ref), (gi, gi_ref), (dl, dl_ref), (dt, dt_ref)):
            assert torch.allclose(a, b, atol=1e-5), float((a - b).abs().max())
        print("ok")
    """)
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_the_sequence_path_runs_where_brian2_is_not_installed():
    """A GPU host has Torch but no Brian2: the sequence commands and the
    results registry must not import it."""
    script = textwrap.dedent("""
        import sys
        sys.modules["brian2"] = None      # import brian2 now raises ImportError
        from stdpnet import results
        from stdpnet.deep import cli
        from stdpnet.deep.seq import pipeline
        from stdpnet.spec.grid import parse_seeds
        assert parse_seeds("0-2") == [0, 1, 2]
        assert "torch" in results.machine() and "brian2" not in results.machine()
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
