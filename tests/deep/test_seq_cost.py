"""Operation counts of the sequence models against hand counts."""
import pytest
import torch

from stdpnet.deep.cost import AC_PJ, MAC_PJ
from stdpnet.deep.seq.cost import count_ops
from stdpnet.deep.seq.models import LiteSNN, RNNBaseline, SpikingRNN, TemporalCNN

torch.set_num_threads(1)

F_IN, T, C1, C2, K, CLASSES = 2, 5, 3, 4, 2, 2


def tiny_lite(threshold):
    torch.manual_seed(0)
    model = LiteSNN(F_IN, CLASSES, channels=[C1, C2], kernel=K, causal=True,
                    neuron=dict(threshold=threshold))
    return model


def by_name(cost):
    return {r["name"]: (r["op"], r["ops_per_sequence"]) for r in cost["layers"]}


def test_silent_lite_costs_only_its_analog_layers():
    cost = count_ops(tiny_lite(1e6), torch.rand(3, T, F_IN))
    ops = by_name(cost)
    pairs = T * (T + 1) // 2                       # causal query-key pairs
    assert ops["convs.0"] == ("mac", T * C1 * F_IN * K)
    assert ops["convs.1"] == ("ac", 0) and ops["attention.q"] == ("ac", 0)
    assert ops["attention.scores"] == ("mac", 2 * pairs * C2)
    assert ops["attention.out"] == ("mac", T * C2 * C2)
    assert ops["head"] == ("mac", T * C2 * CLASSES)
    assert cost["macs_per_sequence"] == 60 + 120 + 80 + 40 and cost["acs_per_sequence"] == 0
    assert cost["spikes_per_sequence"] == 0


@pytest.mark.parametrize("positions", ["none", "sinusoidal"])
def test_a_last_step_readout_computes_and_costs_the_last_step_only(positions):
    torch.manual_seed(0)
    model = LiteSNN(F_IN, CLASSES, channels=[C1, C2], kernel=K, readout="last", positions=positions,
                    neuron=dict(threshold=1e-3))
    every = LiteSNN(F_IN, CLASSES, channels=[C1, C2], kernel=K, readout="mean", positions=positions,
                    neuron=dict(threshold=1e-3))
    every.load_state_dict(model.state_dict())
    model.eval(), every.eval()
    x = torch.rand(3, T, F_IN)
    with torch.no_grad():   # the same scores as the last step of the per-step outputs
        torch.testing.assert_close(model(x), every.step_outputs(x)[:, -1])
    ops = by_name(count_ops(model, x))
    assert ops["head"] == ("mac", C2 * CLASSES) and ops["attention.out"] == ("mac", C2 * C2)
    assert ops["attention.scores"] == ("mac", 2 * T * C2)   # the last query meets every key
    if positions == "sinusoidal":
        assert ops["attention.positions"] == ("ac", (1 + T) * C2)
    with pytest.raises(ValueError, match="readout"):
        LiteSNN(F_IN, CLASSES, readout="first")


def test_saturated_lite_accumulates_once_per_spike_and_synapse():
    model = tiny_lite(1e-3)
    with torch.no_grad():   # every neuron fires at every step
        for conv in model.convs:
            conv.weight.zero_()
            conv.bias.fill_(1.0)
    cost = count_ops(model, torch.rand(3, T, F_IN))
    ops = by_name(cost)
    # convs.1: step t sees min(t + 1, K) spiking input steps of C1 channels
    assert ops["convs.1"] == ("ac", C2 * C1 * (T * K - K * (K - 1) // 2))
    for p in "qkv":
        assert ops[f"attention.{p}"] == ("ac", T * C2 * C2)
    assert cost["acs_per_sequence"] == 108 + 3 * 80
    assert cost["spikes_per_sequence"] == T * (C1 + C2)
    assert [n["rate"] for n in cost["neurons"]] == [1.0, 1.0]
    assert cost["energy_uj_per_sequence"] == pytest.approx(
        (cost["macs_per_sequence"] * MAC_PJ + 348 * AC_PJ) * 1e-6)
    assert cost["params"] == sum(p.numel() for p in model.parameters())   # leaks, thresholds too


def test_spiking_rnn_counts_recurrent_spikes_and_a_last_step_readout():
    torch.manual_seed(0)
    model = SpikingRNN(F_IN, CLASSES, hidden=[C1], neuron=dict(threshold=1e-3))
    with torch.no_grad():
        model.inputs[0].weight.zero_()
        model.inputs[0].bias.fill_(1.0)
    ops = by_name(count_ops(model, torch.rand(4, T, F_IN)))
    assert ops["inputs.0"] == ("mac", T * C1 * F_IN)
    assert ops["recurrent.0"] == ("ac", (T - 1) * C1 * C1)   # no spikes before step 0
    assert ops["head"] == ("ac", C1 * CLASSES)


@pytest.mark.parametrize("cell,gates", [("lstm", 4), ("gru", 3)])
def test_lstm_and_gru_cost_their_gates(cell, gates):
    model = RNNBaseline(cell, F_IN, CLASSES, hidden=[C1, C2])
    cost = count_ops(model, torch.rand(2, T, F_IN))
    expected = T * gates * (C1 * (F_IN + C1) + C2 * (C1 + C2)) + C2 * CLASSES
    assert cost["macs_per_sequence"] == expected and cost["acs_per_sequence"] == 0
    assert cost["energy_uj_per_sequence"] == pytest.approx(expected * MAC_PJ * 1e-6)


def test_temporal_cnn_is_all_macs():
    cost = count_ops(TemporalCNN(F_IN, CLASSES, channels=[C1, C2], kernel=K), torch.rand(2, T, F_IN))
    assert cost["macs_per_sequence"] == T * (C1 * F_IN * K + C2 * C1 * K + C2 * CLASSES)
    assert not cost["spiking"] and cost["neurons"] == []


def test_event_counts_into_a_spiking_model_are_accumulates():
    model = tiny_lite(1e6)
    x = torch.zeros(1, T, F_IN, dtype=torch.uint8)
    x[0, 2, 1] = 3                                # three events, each feeds K steps x C1
    ops = by_name(count_ops(model, x, event_input=True))
    assert ops["convs.0"] == ("ac", 3 * K * C1)


def test_the_position_code_costs_one_addition_per_query_and_key_value():
    model = tiny_lite(1e6)
    model.attention.positions = "sinusoidal"
    cost = count_ops(model, torch.rand(3, T, F_IN))
    assert by_name(cost)["attention.positions"] == ("ac", 2 * T * C2)
    assert cost["acs_per_sequence"] == 2 * T * C2          # silent: nothing else accumulates


def test_substeps_pass_spike_counts_and_charge_an_accumulate_per_spike():
    model = tiny_lite(1e-3)
    model.substeps = 3
    with torch.no_grad():   # every neuron fires at every one of its 3 substeps
        for conv in model.convs:
            conv.weight.zero_()
            conv.bias.fill_(1.0)
    counts = model.eval().features(torch.rand(2, T, F_IN)) / model.neurons[-1].threshold
    assert counts.shape == (2, T, C2) and bool((counts.round() == 3).all())
    cost = count_ops(model, torch.rand(3, T, F_IN))
    ops = by_name(cost)
    assert ops["convs.1"] == ("ac", 3 * C2 * C1 * (T * K - K * (K - 1) // 2))
    assert all(ops[f"attention.{p}"] == ("ac", 3 * T * C2 * C2) for p in "qkv")
    assert cost["acs_per_sequence"] == 3 * (108 + 3 * 80)
    assert cost["spikes_per_sequence"] == 3 * T * (C1 + C2)
    assert [n["rate"] for n in cost["neurons"]] == [1.0, 1.0]
    assert cost["params"] == count_ops(tiny_lite(1e-3), torch.rand(1, T, F_IN))["params"]


def test_a_strided_temporal_cnn_costs_its_shorter_outputs():
    """Stride 2 on 5 steps: 3 outputs in the first layer, 2 in the second."""
    model = TemporalCNN(F_IN, CLASSES, channels=[C1, C2], kernel=K, stride=2)
    cost = count_ops(model, torch.rand(2, T, F_IN))
    assert cost["macs_per_sequence"] == 3 * C1 * F_IN * K + 2 * (C2 * C1 * K + C2 * CLASSES)
