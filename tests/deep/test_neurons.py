import math

import pytest

torch = pytest.importorskip("torch")

from stdpnet.deep.neurons import LinearSpike, NeuronLayer, STDBSpike  # noqa: E402


def test_stdb_surrogate_gradient_is_alpha_exp_minus_beta_dt():
    torch.manual_seed(0)
    v = torch.randn(50, requires_grad=True)
    dt = torch.randint(0, 40, (50,)).float()
    alpha, beta = 0.3, 0.05
    spikes = STDBSpike.apply(v, dt, alpha, beta)
    upstream = torch.randn(50)
    spikes.backward(upstream)
    assert torch.equal(spikes, (v >= 0).float())
    expected = upstream * alpha * torch.exp(-beta * dt)
    assert torch.allclose(v.grad, expected, rtol=1e-6, atol=1e-8)


def test_neuron_layer_uses_time_since_last_spike():
    """Spike at t=0, silence at t=1, 2: at t=2 the surrogate is alpha*exp(-2 beta)."""
    layer = NeuronLayer(threshold=1.0)
    layer.mode = "spiking"
    layer.alpha, layer.beta = 0.5, 0.2
    currents = [torch.tensor([1.5], requires_grad=True), torch.tensor([0.0], requires_grad=True),
                torch.tensor([-0.2], requires_grad=True)]
    outputs = [layer(c) for c in currents]
    assert [o.item() for o in outputs] == [1.0, 0.0, 0.0]
    outputs[2].backward()
    # d(threshold * s)/dI = threshold * surrogate * (1 / threshold)
    assert currents[2].grad.item() == pytest.approx(0.5 * math.exp(-0.2 * 2))


def test_linear_surrogate_is_triangle():
    v = torch.tensor([-2.0, -0.5, 0.0, 0.25, 1.5], requires_grad=True)
    LinearSpike.apply(v, 0.3).sum().backward()
    expected = 0.3 * torch.clamp(1 - v.detach().abs(), min=0)
    assert torch.allclose(v.grad, expected)


def test_integrate_and_fire_resets_by_subtraction():
    layer = NeuronLayer(threshold=1.0)
    layer.mode = "spiking"
    out = [float(layer(torch.tensor([0.3]))) for _ in range(10)]
    assert sum(out) == 3.0  # 10 * 0.3 = 3 thresholds crossed, nothing lost at reset
    assert layer.membrane.item() == pytest.approx(0.0, abs=1e-6)


def test_leak_decays_the_membrane():
    layer = NeuronLayer(threshold=10.0, leak=0.5)
    layer.mode = "spiking"
    layer(torch.tensor([1.0]))
    layer(torch.tensor([0.0]))
    assert layer.membrane.item() == pytest.approx(0.5)


def test_analog_mode_is_relu():
    layer = NeuronLayer(threshold=3.0)
    x = torch.tensor([-1.0, 0.5, 7.0])
    assert torch.equal(layer(x), torch.relu(x))
