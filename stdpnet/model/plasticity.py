"""STDP rules for the input->excitatory synapses, as Brian2 code strings.

Each rule is written in the paper's notation. Traces live on the neurons, not
on the synapses, so a spike costs one trace update instead of one per
outgoing synapse:

* the presynaptic trace ``x`` of an input neuron is kept event-driven: it is
  stored at its last jump (``x`` at time ``t_x``) and decayed on demand, so
  synapse code reads it as ``x_pre * exp((t_x_pre - t) / tau_pre)``
  (``X_PRE`` below); input neurons need no per-step update at all;
* postsynaptic traces are ordinary decaying variables of the excitatory
  neurons (``..._post`` in synapse code), present only if a rule uses them.

``plastic_post`` is 1 while learning and 0 in test mode, which freezes the
weights. All rules clip w to [0, w_max].

power_law (Diehl & Cook 2015; Rathi, Panda & Roy), the default:
    post spike:  dw = eta_post * (x_pre - x_tar) * (w_max - w)**mu
    pre spike:   dw = -eta_pre * x_post * w**mu         (optional, eta_pre > 0)
    x_pre, x_post jump by 1 at each spike and decay with tau_pre / tau_post;
    inputs that rarely fire before the neuron (x_pre < x_tar) lose weight.

diehl_cook_triplet (the reference code of Diehl & Cook):
    pre spike:   w -= nu_pre * post1                    (post1: tau 20 ms)
    post spike:  w += nu_post * x_pre * post2_before    (x_pre: tau 20 ms, post2: 40 ms)
    traces are set to 1 at each spike (nearest-spike interaction).

pair_additive (classic pair-based additive STDP):
    post spike:  dw = +a_plus * x_pre ;  pre spike:  dw = -a_minus * x_post

Brian2 reserves the _pre/_post suffixes, so in code eta_post is ``eta``,
eta_pre ``eta_dep``, nu_pre ``nu_ltd`` and nu_post ``nu_ltp``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import ms

from ..spec import Plasticity

# spec keys (section [plasticity]) whose names Brian2 reserves, and their names in code
CODE_NAMES = {"eta_post": "eta", "eta_pre": "eta_dep", "nu_pre": "nu_ltd", "nu_post": "nu_ltp"}

PRE_TRACE = "x : 1\nt_x : second"                 # value at the last jump, and its time
X_PRE = "x_pre * exp((t_x_pre - t) / tau_pre)"    # the presynaptic trace now


def _pre_jump(update: str) -> str:
    return f"x = {update}\nt_x = t"


ADD_ONE = _pre_jump("x * exp((t_x - t) / tau_pre) + 1")
SET_ONE = _pre_jump("1")


@dataclass(frozen=True)
class StdpRule:
    name: str
    pre_spike: str             # statements added to the input group's reset
    post_traces: str           # equations added to the excitatory group
    post_spike: str            # statements added to the excitatory reset
    on_pre: str                # synapse statements at a presynaptic spike (after ge_post += w)
    on_post: str               # synapse statements at a postsynaptic spike
    trace_names_post: tuple    # excitatory variables zeroed when decaying state is reset
    namespace: dict = field(default_factory=dict)   # time constants (compiled in)
    parameters: dict = field(default_factory=dict)  # learning rates, targets, w_max
    pre_traces: str = PRE_TRACE
    trace_names_pre: tuple = ("x",)

    def is_run_time(self, spec_key: str) -> bool:
        """Whether the [plasticity] key ``spec_key`` is one of this rule's
        run-time parameters (set at every run, not compiled in)."""
        return CODE_NAMES.get(spec_key, spec_key) in self.parameters

    @property
    def synapse_model(self) -> str:
        """Rates and targets are shared synapse variables, set at every run, so
        changing them needs no recompilation of the standalone binary."""
        return "w : 1\n" + "".join(f"{k} : 1 (shared, constant)\n" for k in self.parameters)


def _clip(update: str) -> str:
    return f"w = clip({update}, 0, w_max)"


def stdp_rule(p: Plasticity) -> StdpRule:
    if p.rule == "power_law":
        depression = p.eta_pre > 0
        return StdpRule(
            name=p.rule,
            pre_spike=ADD_ONE,
            post_traces="dx/dt = -x / tau_post : 1" if depression else "",
            post_spike="x += 1" if depression else "",
            on_pre=_clip("w - plastic_post * eta_dep * x_post * w**mu") if depression else "",
            on_post=_clip(f"w + plastic_post * eta * ({X_PRE} - x_tar) * clip(w_max - w, 0, w_max)**mu"),
            trace_names_post=("x",) if depression else (),
            namespace=dict(tau_pre=p.tau_pre_ms * ms, tau_post=p.tau_post_ms * ms),
            parameters=dict(eta=p.eta_post, eta_dep=p.eta_pre, x_tar=p.x_tar, mu=p.mu,
                            w_max=p.w_max),
        )
    if p.rule == "diehl_cook_triplet":
        return StdpRule(
            name=p.rule,
            pre_spike=SET_ONE,
            post_traces="dpost1/dt = -post1 / tau_post1 : 1\ndpost2/dt = -post2 / tau_post2 : 1",
            # the reset runs after the synapses, so on_post sees post2 before the spike
            post_spike="post1 = 1\npost2 = 1",
            on_pre=_clip("w - plastic_post * nu_ltd * post1_post"),
            on_post=_clip(f"w + plastic_post * nu_ltp * {X_PRE} * post2_post"),
            trace_names_post=("post1", "post2"),
            namespace=dict(tau_pre=p.tau_pre_ms * ms, tau_post1=p.tau_post_ms * ms,
                           tau_post2=p.tau_post2_ms * ms),
            parameters=dict(nu_ltd=p.nu_pre, nu_ltp=p.nu_post, w_max=p.w_max),
        )
    if p.rule == "pair_additive":
        return StdpRule(
            name=p.rule,
            pre_spike=ADD_ONE,
            post_traces="dx/dt = -x / tau_post : 1",
            post_spike="x += 1",
            on_pre=_clip("w - plastic_post * a_minus * x_post"),
            on_post=_clip(f"w + plastic_post * a_plus * {X_PRE}"),
            trace_names_post=("x",),
            namespace=dict(tau_pre=p.tau_pre_ms * ms, tau_post=p.tau_post_ms * ms),
            parameters=dict(a_plus=p.a_plus, a_minus=p.a_minus, w_max=p.w_max),
        )
    raise ValueError(f"plasticity.rule: unknown rule {p.rule!r}")
