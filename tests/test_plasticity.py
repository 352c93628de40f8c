"""A scripted pre/post spike pair changes one weight by exactly the rule's amount."""
import math

import pytest
from brian2 import NeuronGroup, Network, Synapses, defaultclock, ms, prefs, set_device, start_scope

from stdpnet.spec import Plasticity
from stdpnet.model.plasticity import stdp_rule

DT = 0.5  # ms


def run_pair(p: Plasticity, t_pre: float, t_post: float, w0: float, t_post2: float = -1000.0) -> float:
    """One input and one output neuron that spike at the given times (ms);
    ``t_post2``: a second output spike."""
    set_device("runtime")  # whatever device an earlier test left active
    start_scope()
    prefs.codegen.target = "numpy"
    defaultclock.dt = DT * ms
    rule = stdp_rule(p)
    pre = NeuronGroup(1, rule.pre_traces + "\nt_spike : second", threshold="abs(t - t_spike) < 0.25*ms",
                      reset=rule.pre_spike, method="exact", namespace=dict(rule.namespace))
    post = NeuronGroup(1, rule.post_traces + "\nt_spike : second\nt_spike2 : second\nge : 1\nplastic : 1",
                       threshold="abs(t - t_spike) < 0.25*ms or abs(t - t_spike2) < 0.25*ms",
                       reset=rule.post_spike,
                       method="exact", namespace=dict(rule.namespace))
    pre.t_spike, post.t_spike, post.t_spike2, post.plastic = t_pre * ms, t_post * ms, t_post2 * ms, 1
    syn = Synapses(pre, post, rule.synapse_model, on_pre="ge_post += w\n" + rule.on_pre,
                   on_post=rule.on_post, namespace=dict(rule.namespace))
    syn.connect()
    for key, value in rule.parameters.items():
        setattr(syn, key, value)
    syn.w = w0
    Network(pre, post, syn).run(40 * ms)
    return float(syn.w[0])


def decay(delta_ms, tau_ms):
    return math.exp(-delta_ms / tau_ms)


def test_power_law_potentiation_matches_equation():
    p = Plasticity(rule="power_law", eta_post=0.01, x_tar=0.4, mu=0.2, w_max=1.0, tau_pre_ms=20)
    w0 = 0.3
    x_pre = decay(5.0, 20.0)           # pre at 10 ms, post at 15 ms
    expected = w0 + 0.01 * (x_pre - 0.4) * (1.0 - w0) ** 0.2
    assert run_pair(p, 10, 15, w0) == pytest.approx(expected, abs=1e-12)


def test_power_law_depresses_uncorrelated_input():
    p = Plasticity(rule="power_law", eta_post=0.01, x_tar=0.4, mu=0.2)
    w0 = 0.3
    x_pre = decay(30.0, 20.0)          # pre long before post: trace below target
    expected = w0 + 0.01 * (x_pre - 0.4) * (1.0 - w0) ** 0.2
    got = run_pair(p, 5, 35, w0)
    assert got < w0
    assert got == pytest.approx(expected, abs=1e-12)


def test_power_law_presynaptic_depression():
    p = Plasticity(rule="power_law", eta_post=0.0, eta_pre=0.02, mu=0.5, tau_post_ms=20)
    w0 = 0.5
    expected = w0 - 0.02 * decay(4.0, 20.0) * w0 ** 0.5   # post at 10, pre at 14
    assert run_pair(p, 14, 10, w0) == pytest.approx(expected, abs=1e-12)


def test_diehl_cook_triplet_pre_then_post():
    p = Plasticity(rule="diehl_cook_triplet", nu_pre=1e-4, nu_post=1e-2)
    w0 = 0.2
    # post2 is 0 before the first post spike, so a first pairing does not potentiate;
    # two post spikes 10 ms apart: the second sees post2 = exp(-10/40)
    # -> check the single-pair case here: no change but the pre-spike depression (post1 = 0).
    assert run_pair(p, 10, 15, w0) == pytest.approx(w0, abs=1e-15)


def test_diehl_cook_triplet_potentiation_matches_its_equation():
    """post at 10, pre at 15, post at 25: the pre spike depresses by
    nu_pre * post1 (post1 set to 1 at 10); the second post spike potentiates by
    nu_post * x_pre * post2 as it was before that spike (x_pre set to 1 at 15,
    post2 set to 1 at 10, tau 40 ms)."""
    p = Plasticity(rule="diehl_cook_triplet", nu_pre=1e-4, nu_post=1e-2, tau_pre_ms=20,
                   tau_post_ms=20, tau_post2_ms=40)
    w0 = 0.2
    expected = w0 - 1e-4 * decay(5.0, 20.0) + 1e-2 * decay(10.0, 20.0) * decay(15.0, 40.0)
    assert run_pair(p, 15, 10, w0, t_post2=25) == pytest.approx(expected, abs=1e-12)
    # without the earlier post spike there is no post2 to potentiate with
    assert run_pair(p, 15, 25, w0) == pytest.approx(w0, abs=1e-15)


def test_diehl_cook_triplet_post_then_pre_depresses():
    p = Plasticity(rule="diehl_cook_triplet", nu_pre=1e-4, nu_post=1e-2, tau_post_ms=20)
    w0 = 0.2
    expected = w0 - 1e-4 * decay(6.0, 20.0)             # post at 10, pre at 16: w -= nu_pre*post1
    assert run_pair(p, 16, 10, w0) == pytest.approx(expected, abs=1e-12)


def test_pair_additive_both_directions():
    p = Plasticity(rule="pair_additive", a_plus=0.01, a_minus=0.0105, tau_pre_ms=20, tau_post_ms=20)
    w0 = 0.5
    assert run_pair(p, 10, 18, w0) == pytest.approx(w0 + 0.01 * decay(8, 20), abs=1e-12)
    assert run_pair(p, 18, 10, w0) == pytest.approx(w0 - 0.0105 * decay(8, 20), abs=1e-12)


def test_weights_stay_within_bounds():
    p = Plasticity(rule="pair_additive", a_plus=5.0, a_minus=5.0, w_max=1.0)
    assert run_pair(p, 10, 11, 0.9) == 1.0
    assert run_pair(p, 11, 10, 0.1) == 0.0


def test_every_rule_gates_its_updates_by_the_learning_flag():
    """Test mode freezes weights through plastic_post (behaviour: test_ensemble)."""
    for name in ("power_law", "diehl_cook_triplet", "pair_additive"):
        r = stdp_rule(Plasticity(rule=name, eta_pre=0.1))
        assert "plastic_post" in r.on_post and "plastic_post" in r.on_pre
