import pytest

torch = pytest.importorskip("torch")

from stdpnet.deep.convert import convert  # noqa: E402
from stdpnet.deep.cost import AC_PJ, MAC_PJ, ann_cost, snn_cost  # noqa: E402

from .conftest import synthetic, tiny_model  # noqa: E402


def test_ann_macs_match_hand_count():
    # conv 1->4 3x3 on 8x8, pool, conv 4->8 3x3 on 4x4, fc 8*16->16, fc 16->4
    expected = 8 * 8 * 4 * 9 + 4 * 4 * 8 * 4 * 9 + 128 * 16 + 16 * 4
    cost = ann_cost(tiny_model(), (1, 8, 8))
    assert cost["macs_per_image"] == expected
    assert cost["energy_uj_per_image"] == pytest.approx(expected * MAC_PJ * 1e-6)


def test_snn_cost_counts_spikes_and_accumulates(trained_ann, data):
    snn = convert(trained_ann, data[0], timesteps=6)
    x = synthetic(40, seed=7)[0]
    cost = snn_cost(snn, x, batch_size=16)
    assert cost["images"] == 40 and cost["timesteps"] == 6
    first = cost["layers"][0]
    assert first["op"] == "mac" and first["ops_per_image"] == first["macs"] * 6
    rest = cost["layers"][1:]
    assert all(r["op"] == "ac" and 0 <= r["input_density"] <= 1 for r in rest)
    # independent spike count of the first neuron layer via a hook
    counted = []
    layer = snn.net.features[1]
    hook = layer.register_forward_hook(lambda m, i, o: counted.append(float((o != 0).sum())))
    with torch.no_grad():
        for i in range(0, 40, 16):
            snn(x[i:i + 16])
    hook.remove()
    assert cost["neurons"][0]["spikes_per_image"] == pytest.approx(sum(counted) / 40)
    # the conv after the 2x2 pool: each of those spikes feeds its pooled position's
    # synapses (MACs / 4x4x4 inputs); the papers' rate convention counts 4 times fewer
    pooled = rest[0]
    assert pooled["pooled"] and not any(r["pooled"] for r in rest[1:])
    assert pooled["ops_per_image"] == pytest.approx(pooled["macs"] / 64 * sum(counted) / 40)
    assert pooled["ops_per_image_rate_convention"] == pytest.approx(pooled["ops_per_image"] / 4)
    assert pooled["input_density"] == pytest.approx(sum(counted) / (40 * 6 * 256))
    assert cost["acs_per_image"] == pytest.approx(sum(r["ops_per_image"] for r in rest))
    expected = (first["ops_per_image"] * MAC_PJ + sum(r["ops_per_image"] for r in rest) * AC_PJ)
    assert cost["energy_uj_per_image"] == pytest.approx(expected * 1e-6)


def test_poisson_input_makes_the_first_layer_accumulate(trained_ann, data):
    snn = convert(trained_ann, data[0], timesteps=4, encoding="poisson")
    torch.manual_seed(0)
    cost = snn_cost(snn, synthetic(32, seed=8)[0])
    first = cost["layers"][0]
    assert first["op"] == "ac" and 0 < first["input_density"] < 1


def test_cost_is_counted_as_the_network_is_scored_whatever_its_mode(data):
    """A network left in training mode is counted without dropout (as it is
    scored), and left in the mode it was in."""
    from .conftest import tiny_model

    snn = convert(tiny_model(dropout=0.5), data[0], timesteps=4)
    x = synthetic(24, seed=9)[0]
    scored = snn_cost(snn.eval(), x)
    snn.train()
    assert snn_cost(snn, x)["acs_per_image"] == scored["acs_per_image"] and snn.training
