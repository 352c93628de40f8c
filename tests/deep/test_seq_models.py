"""LITE-SNN and the sequence baselines: memory in the LIF membranes,
attention weights and causality, parameter matching."""
import copy

import pytest
import torch

from stdpnet.deep.neurons import clamp_neuron_parameters, configure_neurons
from stdpnet.deep.seq.config import DEFAULTS
from stdpnet.deep.seq.models import (KINDS, LiteSNN, attention_mask, build_seq_model,
                                     n_parameters)

torch.set_num_threads(1)


def model_spec(**overrides):
    m = copy.deepcopy(DEFAULTS["model"])
    m.update(overrides)
    return m


def delayed_recall(n, steps=11, seed=0):
    """A bit (+1 / -1) shown at step 0 on input 0; a cue at the last step on input 1."""
    g = torch.Generator().manual_seed(seed)
    bit = torch.randint(0, 2, (n,), generator=g)
    x = torch.zeros(n, steps, 2)
    x[:, 0, 0] = 2.0 * bit - 1.0
    x[:, -1, 1] = 1.0
    return x, bit


def recall_accuracy(memory: bool, seed=0, updates=120):
    """LITE-SNN whose attention and convolutions see only the last 2-3 steps:
    the bit 10 steps back can reach the answer only through the membranes."""
    torch.manual_seed(seed)
    model, _ = build_seq_model("lite", model_spec(channels=[8], kernel=3, attention_window=2,
                                                  readout="last"), 2, 2)
    if not memory:   # leak 0: the membrane starts from zero at every step
        configure_neurons(model, leak=0.0, train_leak=False)
    x, y = delayed_recall(512, seed=1)
    x_test, y_test = delayed_recall(512, seed=2)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.02)
    for i in range(updates):
        idx = torch.arange(i * 64, i * 64 + 64) % 512
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        clamp_neuron_parameters(model)
    with torch.no_grad():
        return (model(x_test).argmax(1) == y_test).float().mean().item()


def test_the_lif_membrane_carries_a_bit_across_ten_steps():
    assert recall_accuracy(memory=True) > 0.95
    assert recall_accuracy(memory=False) < 0.6     # chance: the bit is gone


def test_attention_weights_sum_to_one_and_respect_the_mask():
    torch.manual_seed(0)
    model = LiteSNN(3, 4, channels=[8], heads=2, causal=True, window=3,
                    neuron=dict(threshold=0.05))
    model(torch.rand(5, 9, 3))
    w = model.attention.weights
    assert w.shape == (5, 2, 9, 9)
    assert torch.allclose(w.sum(-1), torch.ones(5, 2, 9))
    allowed = attention_mask(9, causal=True, window=3)
    assert (w[..., ~allowed] == 0).all()
    assert allowed.sum(1).tolist() == [1, 2, 3, 3, 3, 3, 3, 3, 3]
    assert attention_mask(4, causal=False, window=0).all()


@pytest.mark.parametrize("causal", [True, False])
def test_a_causal_model_ignores_later_inputs(causal):
    torch.manual_seed(0)
    model = LiteSNN(3, 4, channels=[16], causal=causal, neuron=dict(threshold=0.05)).eval()
    x = torch.rand(4, 10, 3)
    later = x.clone()
    later[:, 6:] = torch.rand(4, 4, 3) * 3
    with torch.no_grad():
        a, b = model.step_outputs(x), model.step_outputs(later)
    assert not torch.equal(a[:, 6:], b[:, 6:])
    assert torch.equal(a[:, :6], b[:, :6]) == causal


def test_every_kind_maps_sequences_to_scores_and_the_baselines_match_lite_in_size():
    m = model_spec(channels=[16, 16], hidden=[32])
    target = n_parameters(build_seq_model("lite", m, 7, 5)[0])
    x = torch.rand(3, 6, 7)
    for kind in KINDS:
        model, sizing = build_seq_model(kind, m, 7, 5)
        assert model(x).shape == (3, 5), kind
        if kind != "lite":
            assert sizing["matched_to"] == target
            # The smallest width at or above LITE-SNN's count: one unit narrower is below it.
            assert n_parameters(model) >= target, kind
            narrower = build_seq_model(kind, {**m, "match_parameters": False,
                                              "hidden": [w - 1 for w in sizing["widths"]],
                                              "channels": [w - 1 for w in sizing["widths"]]}, 7, 5)[0]
            assert n_parameters(narrower) < target, kind
    fixed, sizing = build_seq_model("lstm", model_spec(hidden=[32], match_parameters=False), 7, 5)
    assert sizing["matched_to"] is None and fixed.layers[0].hidden_size == 32


def test_the_position_code_makes_attention_see_where_a_step_is():
    """Without positions, causal attention over identical steps is uniform:
    it cannot tell step 2 from step 7. The sinusoidal code (on queries and
    keys only) makes the weights depend on position, keeps them summing to
    one and the model causal, and adds no parameters."""
    from stdpnet.deep.seq.models import SpikeAttention, sinusoidal_positions

    code = sinusoidal_positions(6, 5)
    assert code.shape == (6, 5) and torch.equal(code[0], torch.tensor([0., 1., 0., 1., 0.]))
    torch.manual_seed(0)
    plain = SpikeAttention(8, causal=True)
    placed = SpikeAttention(8, causal=True, positions="sinusoidal")
    placed.load_state_dict(plain.state_dict())
    same = torch.ones(1, 10, 8)                       # every step holds the same spikes
    plain(same)
    placed(same)
    allowed = attention_mask(10, causal=True, window=0)
    uniform = allowed / allowed.sum(1, keepdim=True)
    assert torch.allclose(plain.weights[0, 0], uniform)
    assert not torch.allclose(placed.weights[0, 0], uniform, atol=1e-3)
    assert torch.allclose(placed.weights.sum(-1), torch.ones(1, 1, 10))
    assert (placed.weights[0, 0][~allowed] == 0).all()
    m = model_spec(channels=[8])
    assert n_parameters(build_seq_model("lite", {**m, "positions": "sinusoidal"}, 3, 4)[0]) == \
        n_parameters(build_seq_model("lite", m, 3, 4)[0])
    with pytest.raises(ValueError, match="positions"):
        SpikeAttention(8, positions="learned")


@pytest.mark.parametrize("steps,stride", [(12, 2), (13, 3), (7, 3), (9, 1)])
def test_a_strided_convolution_sees_every_step_once_and_never_the_future(steps, stride):
    """Output step j of a strided layer sees input steps up to its own end
    j*stride + r (r = (steps - 1) mod stride) only, the last output ends on
    the last input, and every input reaches some output."""
    torch.manual_seed(0)
    model = LiteSNN(2, 3, channels=[6], kernel=3, stride=stride, spiking=False,
                    attention=False).eval()
    n_out = -(-steps // stride)
    x = torch.rand(1, steps, 2)
    with torch.no_grad():
        base = model.step_outputs(x)
        assert base.shape[1] == n_out
        ends = [j * stride + (steps - 1) % stride for j in range(n_out)]
        assert ends[-1] == steps - 1
        for t in range(steps):
            moved = x.clone()
            moved[0, t] += 5.0
            changed = ((model.step_outputs(moved) - base).abs().sum(-1)[0] > 1e-6).tolist()
            # step t reaches exactly the outputs whose window (end - kernel, end] holds it
            assert changed == [end - 3 < t <= end for end in ends], t


def test_a_stride_beyond_the_kernel_is_refused():
    with pytest.raises(ValueError, match="stride"):
        LiteSNN(2, 3, channels=[4], kernel=3, stride=4)
    from stdpnet.deep.seq.config import merge
    from stdpnet.errors import ConfigError
    with pytest.raises(ConfigError, match="model.stride"):
        merge({"model": {"kernel": 3, "stride": 4}}, "strided.toml")


@pytest.mark.parametrize("kind, overrides", [("lite", {"channels": [6, 5], "substeps": 2}),
                                             ("srnn", {"hidden": [7], "match_parameters": False})])
def test_the_kept_spikes_are_the_counted_ones_neuron_by_neuron_and_step_by_step(kind, overrides):
    from stdpnet.deep.neurons import layer_spikes, neuron_layers
    from stdpnet.deep.seq.cost import count_ops

    torch.manual_seed(0)
    model, _ = build_seq_model(kind, model_spec(threshold=0.3, **overrides), 4, 3)
    x = torch.rand(1, 9, 4) * 2
    spikes = layer_spikes(model, x)
    widths = overrides.get("channels", overrides.get("hidden"))
    steps = 9 * overrides.get("substeps", 1)
    assert [tuple(s.shape) for s in spikes] == [(1, w, steps) for w in widths]
    assert all(s.dtype == torch.bool for s in spikes) and sum(int(s.sum()) for s in spikes) > 0
    counted = count_ops(model, x, batch_size=1)["neurons"]
    assert [int(s.sum()) for s in spikes] == [round(n["spikes_per_sequence"]) for n in counted]
    assert all(not layer.keeping and not layer.kept for layer in neuron_layers(model))
    if kind == "srnn":       # the last step's spikes are what the readout reads
        last = spikes[-1][:, :, -1].float()
        with torch.no_grad():
            expected = model.head(last * model.neurons[-1].threshold)
            assert torch.allclose(model(x), expected, atol=1e-5)


def test_the_temporal_cnn_baseline_ignores_later_inputs_too():
    torch.manual_seed(0)
    model = build_seq_model("tcn", model_spec(channels=[16, 16], match_parameters=False), 3, 4)[0].eval()
    x = torch.rand(4, 10, 3)
    later = x.clone()
    later[:, 6:] = torch.rand(4, 4, 3) * 3
    with torch.no_grad():
        a, b = model.step_outputs(x), model.step_outputs(later)
    assert not torch.equal(a[:, 6:], b[:, 6:]) and torch.equal(a[:, :6], b[:, :6])
