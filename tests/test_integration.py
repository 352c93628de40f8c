"""The membrane integrator (stdpnet/model/integration.py): stable under any
inhibitory volley, and the charge a synaptic event carries into v, read at
the step start (the recorded figures) or as the conductance's step mean."""
import math

import pytest
from brian2 import (NeuronGroup, SpikeGeneratorGroup, StateMonitor, Synapses, defaultclock, ms, mV, prefs,
                    run, start_scope)

from stdpnet.engine.cache import build_key
from stdpnet.errors import ConfigError
from stdpnet.model import neurons
from stdpnet.model.integration import linearly_implicit_euler, step_mean_linearly_implicit_euler
from stdpnet.model.plasticity import stdp_rule
from stdpnet.spec import Excitatory

from conftest import tiny_spec

NS = neurons.excitatory_namespace(Excitatory())


def psp_area(method, dt_ms: float, conductance: str, jump: float) -> tuple[float, float, float]:
    """Area (mV ms) of the deviation one synaptic event makes in v, from a
    neuron at rest beside an untouched one; with v's lowest and highest value."""
    prefs.codegen.target = "numpy"
    start_scope()
    defaultclock.dt = dt_ms * ms
    source = SpikeGeneratorGroup(1, [0], [2 * ms])
    group = NeuronGroup(2, neurons.INHIBITORY, method=method, namespace=NS)
    group.v = NS["v_rest"]
    synapse = Synapses(source, group, on_pre=f"{conductance}_post += {jump}")
    synapse.connect(j="0")
    monitor = StateMonitor(group, "v", record=[0, 1])
    run(80 * ms)
    deviation = (monitor.v[0] - monitor.v[1]) / mV
    return float(deviation.sum() * dt_ms), float(monitor.v[0].min() / mV), float(monitor.v[0].max() / mV)


@pytest.mark.parametrize("conductance, jump, tau_ms", [("ge", 0.3, 1.0), ("gi", 1.0, 2.0)])
def test_the_step_mean_carries_the_models_charge_and_the_step_start_more(conductance, jump, tau_ms):
    continuous = psp_area("euler", 0.005, conductance, jump)[0]     # the model, to 0.1%
    start = psp_area(linearly_implicit_euler, 0.5, conductance, jump)[0]
    mean = psp_area(step_mean_linearly_implicit_euler, 0.5, conductance, jump)[0]
    r = 0.5 / tau_ms
    assert mean / continuous == pytest.approx(1.0, abs=0.03)
    # the factor model.md gives for the step start: (dt/tau) / (1 - exp(-dt/tau)), less the
    # implicit step's damping (a few percent)
    assert start / continuous == pytest.approx(r / (1 - math.exp(-r)), abs=0.03)


@pytest.mark.parametrize("method", [linearly_implicit_euler, step_mean_linearly_implicit_euler])
def test_a_volley_of_fifty_inhibitory_spikes_keeps_v_between_the_reversal_potentials(method):
    _, low, high = psp_area(method, 0.5, "gi", 50 * 17.0)
    assert NS["E_inh"] / mV - 1e-6 <= low and high <= NS["v_rest"] / mV + 1e-6
    _, euler_low, _ = psp_area("euler", 0.5, "gi", 50 * 17.0)
    assert euler_low < NS["E_inh"] / mV - 50       # forward Euler overshoots (docs/model.md)


def test_the_conductance_read_is_a_checked_setting_of_the_compiled_network():
    spec = tiny_spec()
    rule = stdp_rule(spec.plasticity)
    start = build_key(spec, rule, 64, 10)
    spec.schedule.v_reads_conductance = "step_mean"
    assert build_key(spec, rule, 64, 10) != start
    spec.schedule.v_reads_conductance = "mean"
    with pytest.raises(ConfigError, match="schedule.v_reads_conductance.*'step_start' or 'step_mean'"):
        spec.validate()
