"""One unimodal ensemble: Poisson input -> excitatory (STDP) <-> inhibitory.

The whole presentation schedule lives inside the network, so a compiled
(cpp_standalone) binary runs thousands of examples with no Python in between.
The one-neuron ``schedule`` group (``stdpnet.model.schedule``) decides, at the
start of every presentation slot, whether the last example was answered or
must be shown again with a higher intensity; the other groups then load the
example's rates, reset their decaying state and normalise the input weights,
all by ``run_regularly`` operations ordered within the slot's first step:

    order 0  counter    schedule.count = sum of the excitatory n_spikes
    order 1  schedule   accept or repeat; learning = mode * active(example)
    order 2  input      rates of the example, its random streams, first spikes
             neurons    reset decaying state (rest_mode = "reset"), theta decay
    order 3  synapses   column sums of the input weights   (learning network
    order 4  excitatory normalisation factor                 only, see below)
    order 5  synapses   w *= factor

All of them share one clock; nothing of the schedule runs in the time steps
between slot starts.

A network is built for learning or for testing (``build_ensemble(...,
learning=False)``, one compiled binary each). The test network has the same
neurons, schedule and spikes, but frozen input weights: it leaves out the
normalisation (orders 3-5), the STDP code of the input synapses and the
presynaptic trace updates, which in test mode would take a quarter of the run
time to change nothing, and adds ``w_live = w * mask`` (set once per run) to
the excitatory conductance, one array read per synaptic event instead of two.
The presynaptic traces are not updated in a test run. (Nothing changes, as
long as the weights lie in [0, w_max]: the STDP code clips the weight of
every synapse of a spiking neuron even when its update is 0, so a weight
that normalisation has pushed above w_max is clipped by a learning network
in test mode, and left as it is by the test network.)

Compression (stdpnet.model.compression): every input synapse has a ``mask`` (1 live,
0 pruned). A pruned synapse adds no current, its STDP updates are multiplied
by 0, normalisation sums and scales only live weights, so its weight never
changes; the column sum it keeps is a per-neuron variable, ``weight_target``
(the full sum until pruning lowers it). ``corr`` accumulates the
presynaptic trace at each postsynaptic spike while learning (only with the
correlation criterion); ``fired`` counts each neuron's spikes
(synaptic-operation accounting). All three are carried state, set and read by
Python between chunks, so pruning needs no recompilation. A learning network
whose spec has compression disabled leaves the mask out of its code (it
would multiply by 1 on every synaptic event and weight update: about 7% of
the training time at N = 400) and refuses a state with pruned synapses.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import (Clock, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, TimedArray, mV,
                    ms, second)

from ..spec import Spec
from . import neurons
from .integration import linearly_implicit_euler, step_mean_linearly_implicit_euler
from .plasticity import X_PRE, StdpRule
from .schedule import SCHEDULE_CARRIED, STIMULUS_DT, build_schedule, link, slot_duration

# All-to-all synapses without delays are declared so (``mark_dense``); the
# standalone device then runs their events and per-slot operations with dense
# loops (``stdpnet.engine.kernels``), with the same results.
DENSE_ATTRIBUTE = "_stdpnet_dense"


def mark_dense(synapses) -> None:
    """Declare ``synapses`` connected all-to-all (``connect()``) with no delays."""
    setattr(synapses, DENSE_ATTRIBUTE, True)


DELAY_STREAM = 7919    # random stream of the synaptic delays (inside the compiled network)

@dataclass
class Ensemble:
    spec: Spec
    n_input: int
    slots: int
    rule: StdpRule
    schedule: NeuronGroup
    input: NeuronGroup
    excitatory: NeuronGroup
    inhibitory: NeuronGroup
    input_exc: Synapses
    exc_inh: Synapses
    inh_exc: Synapses
    spike_counter: Synapses
    exc_spikes: SpikeMonitor
    slot_log: StateMonitor
    pixels: TimedArray
    active: TimedArray

    @property
    def objects(self):
        return [self.schedule, self.input, self.excitatory, self.inhibitory, self.input_exc,
                self.exc_inh, self.inh_exc, self.spike_counter, self.exc_spikes, self.slot_log]

    @property
    def groups(self) -> dict:
        """Brian2 objects by name: the first part of a state key ``name.variable``."""
        return {obj.name: obj for obj in self.objects}

    @property
    def counted(self) -> list:
        """(spike monitor, first column) of the excitatory spike counts of a slot."""
        return [(self.exc_spikes, 0)]

    @property
    def stimuli(self) -> list:
        """(TimedArray, first column of the chunk's input rows) it is loaded from."""
        return [(self.pixels, 0)]

    # variables that carry a run's state from one chunk to the next
    @property
    def carried(self) -> dict:
        exc_state = (("v", "ge", "gi", "theta", "weight_target", "lastspike", "not_refractory")
                     + self.rule.trace_names_post)
        return {
            self.input: ("seed", "t_x", "fired") + self.rule.trace_names_pre,
            self.excitatory: exc_state + ("fired",),
            self.inhibitory: ("v", "ge", "gi", "lastspike", "not_refractory", "fired"),
            self.input_exc: ("w", "mask", "corr"),
            self.schedule: SCHEDULE_CARRIED,
        }


def build_ensemble(spec: Spec, rule: StdpRule, n_input: int, slots: int, prefix: str = "",
                   learning: bool = True, schedule: tuple | None = None,
                   learning_var: str = "learning", excitatory_extra: str = "",
                   count: str = "count") -> Ensemble:
    """Brian2 objects of one ensemble; ``slots`` presentations per run() of length slots*slot;
    ``rule``: the ensemble's STDP rule (``plasticity.stdp_rule(spec.plasticity)``).

    ``learning=False`` builds the test-mode network: the same dynamics and
    spikes, but with the input weights frozen it leaves out the STDP and
    normalisation code (in a learning network run in test mode, that code runs
    and changes nothing).

    Several ensembles can share one ``schedule`` (from :func:`build_schedule`);
    ``learning_var`` names the schedule variable that gates their plasticity,
    ``count`` the one that gathers their spikes, and ``excitatory_extra`` adds
    equations to the excitatory group."""
    exc_p, inh_p, inp_p = spec.excitatory, spec.inhibitory, spec.input
    n = exc_p.n_neurons
    slot = slot_duration(spec) * second
    reset_mode = spec.schedule.rest_mode == "reset"
    # one clock for all slot-start operations (fewer clocks for the network loop to scan)
    slot_clock = Clock(dt=slot, name=f"{prefix}slot_clock")
    every = dict(clock=slot_clock, when="start")

    pixels = TimedArray(np.zeros((slots, n_input)), dt=STIMULUS_DT, name=f"{prefix}pixels")
    schedule, active, slot_log = schedule or build_schedule(spec, slots, prefix, clock=slot_clock)

    ns_in = {**neurons.POISSON_NAMESPACE, **rule.namespace, "pixels": pixels,
             "stimulus_dt": STIMULUS_DT, "pixel_divisor": inp_p.pixel_divisor,
             "presentation_steps": int(round(spec.schedule.presentation_ms
                                             / spec.schedule.dt_for(learning))),
             "intensity_start": inp_p.intensity, "intensity_step": inp_p.intensity_step}
    input_group = NeuronGroup(
        n_input, neurons.POISSON_INPUT + rule.pre_traces + """
        example : integer (linked)
        first_example : integer (linked)
        intensity : 1 (linked)
        fired : integer
        """,
        threshold=neurons.POISSON_THRESHOLD,
        # (the presynaptic trace serves STDP only: the test network leaves it as it is)
        reset=neurons.POISSON_RESET + ("\n" + rule.pre_spike if learning else "") + "\nfired += 1",
        method="exact", namespace=ns_in, name=f"{prefix}input")
    input_group.example = link(schedule, "example", n_input)
    input_group.first_example = link(schedule, "first_example", n_input)
    input_group.intensity = link(schedule, "intensity", n_input)
    # (a zeroed trace is also stamped with the slot start: it reads 0 either way,
    # but exp((t_x - t) / tau_pre) of a pixel silent for a whole chunk
    # underflows, and libm's underflow path is slow)
    zero_pre = "".join(f"\n{x} = 0" for x in rule.trace_names_pre) if reset_mode else ""
    if zero_pre and "t_x" in rule.pre_traces:
        zero_pre += "\nt_x = t"
    input_group.run_regularly(
        neurons.poisson_start(rate="pixels(example * stimulus_dt, i) / pixel_divisor * intensity * Hz",
                              position="first_example + example",
                              attempt="int((intensity - intensity_start) / intensity_step + 0.5)")
        + zero_pre,
        order=2, name=f"{prefix}input_load", **every)

    weight_sum = spec.connections.weight_sum_per_input * n_input
    method = {"step_start": linearly_implicit_euler,
              "step_mean": step_mean_linearly_implicit_euler}[spec.schedule.v_reads_conductance]
    ns_exc = {**neurons.excitatory_namespace(exc_p), **rule.namespace, "weight_sum": weight_sum,
              "theta_decay_time": spec.schedule.theta_decay_seconds(spec.connections.delay_max_ms) * second}
    excitatory = NeuronGroup(
        n, neurons.EXCITATORY + rule.post_traces + ("""
        wsum : 1
        norm : 1""" if learning else "") + """
        weight_target : 1
        learning : 1 (linked)
        fired : integer
        """ + excitatory_extra,
        threshold=neurons.EXCITATORY_THRESHOLD,
        reset=neurons.EXCITATORY_RESET + "\n" + rule.post_spike + "\nfired += 1",
        refractory=exc_p.refractory_ms * ms, method=method, namespace=ns_exc,
        name=f"{prefix}excitatory")
    excitatory.learning = link(schedule, learning_var, n)
    excitatory.v = exc_p.v_rest_mV * mV
    excitatory.theta = exc_p.theta_init_mV * mV
    excitatory.weight_target = weight_sum  # the column sum normalisation keeps (see compression)
    excitatory.run_regularly("plastic = learning\n" + ("wsum = 0\n" if learning else "")
                             + "n_spikes = 0\n" + neurons.THETA_DECAY
                             + _rest_reset(reset_mode, rule.trace_names_post),
                             order=2, name=f"{prefix}excitatory_rest", **every)
    if learning:
        excitatory.run_regularly("norm = plastic * weight_target / (wsum + 1e-12) + (1 - plastic)",
                                 order=4, name=f"{prefix}excitatory_norm", **every)

    inhibitory = NeuronGroup(
        n, neurons.INHIBITORY + "\nfired : integer", threshold=neurons.INHIBITORY_THRESHOLD,
        reset=neurons.INHIBITORY_RESET + "\nfired += 1", refractory=inh_p.refractory_ms * ms, method=method,
        namespace=neurons.inhibitory_namespace(inh_p), name=f"{prefix}inhibitory")
    inhibitory.v = inh_p.v_rest_mV * mV
    inhibitory.run_regularly(_rest_reset(reset_mode, ()).strip() or "v = v", order=2,
                             name=f"{prefix}inhibitory_rest", **every)

    masked = spec.compression.enabled  # a dense network leaves the mask (all 1) out of its code
    if learning and masked:
        correlation = spec.compression.criterion == "correlation"
        code = dict(on_pre="ge_post += w * mask\n" + _masked(rule.on_pre),
                    on_post=_masked(rule.on_post)
                    + (f"\ncorr += plastic_post * mask * {X_PRE}" if correlation else ""))
    elif learning:
        code = dict(on_pre="ge_post += w\n" + rule.on_pre, on_post=rule.on_post)
    else:  # the same sum, reading one array instead of two per synaptic event
        code = dict(on_pre="ge_post += w_live")
    input_exc = Synapses(
        input_group, excitatory,
        rule.synapse_model + "mask : 1\ncorr : 1\n" + ("" if learning else "w_live : 1\n"),
        **code,
        namespace={**rule.namespace, **neurons.POISSON_NAMESPACE,
                   "delay_max": spec.connections.delay_max_ms * ms, "DELAY_STREAM": DELAY_STREAM},
        name=f"{prefix}input_exc")
    input_exc.connect()  # synapse k joins input k // n to neuron k % n
    input_exc.mask = 1
    # a fixed pseudo-random delay pattern U[0, delay_max), the same on every device and run
    if spec.connections.delay_max_ms > 0:
        input_exc.delay = "counter_uniform(DELAY_STREAM, i, j) * delay_max"
    else:  # all-to-all without delays: dense loops on the standalone device
        mark_dense(input_exc)
    if learning:
        input_exc.run_regularly("wsum_post += w * mask" if masked else "wsum_post += w", order=3,
                                name=f"{prefix}input_exc_sum", **every)
        input_exc.run_regularly("w *= mask * norm_post + (1 - mask)" if masked else "w *= norm_post",
                                order=5, name=f"{prefix}input_exc_norm", **every)
    else:  # frozen weights: the live ones once, at the start of the run
        input_exc.run_regularly("w_live = w * mask", dt=slots * slot, when="start",
                                name=f"{prefix}input_exc_live")

    # lateral inhibition: each excitatory neuron excites its own inhibitory
    # partner, which inhibits every other excitatory neuron (winner-take-all)
    # their strengths are shared variables: set at run time, no recompilation
    exc_inh = Synapses(excitatory, inhibitory, "w_ei : 1 (shared, constant)",
                       on_pre="ge_post += w_ei", name=f"{prefix}exc_inh")
    exc_inh.connect(j="i")
    inh_exc = Synapses(inhibitory, excitatory, "w_ie : 1 (shared, constant)",
                       on_pre="gi_post += w_ie", name=f"{prefix}inh_exc")
    inh_exc.connect(condition="i != j")

    # gathers the slot's spike count once per slot (no per-step work)
    spike_counter = Synapses(excitatory, schedule, name=f"{prefix}spike_counter")
    spike_counter.connect()
    spike_counter.run_regularly(f"{count}_post += n_spikes_pre", order=0,
                                name=f"{prefix}spike_counter_sum", **every)
    exc_spikes = SpikeMonitor(excitatory, record=True, name=f"{prefix}exc_spikes")

    return Ensemble(spec, n_input, slots, rule, schedule, input_group, excitatory, inhibitory,
                    input_exc, exc_inh, inh_exc, spike_counter, exc_spikes, slot_log, pixels,
                    active)


def _masked(code: str) -> str:
    """A rule's synapse statements with every weight change gated by the mask:
    all rules scale their updates by ``plastic_post`` (0 in test mode)."""
    if code and "plastic_post" not in code:
        raise ValueError(f"STDP code does not use plastic_post, cannot mask it: {code!r}")
    return code.replace("plastic_post", "(plastic_post * mask)")


def _rest_reset(reset_mode: bool, traces) -> str:
    """Statements that replace the rest period by the state it decays to."""
    if not reset_mode:
        return ""
    lines = ["v = v_rest", "ge = 0", "gi = 0", "lastspike = -1e4*second",
             "not_refractory = True"] + [f"{x} = 0" for x in traces]
    return "\n" + "\n".join(lines)
