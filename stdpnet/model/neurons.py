"""Neuron models of the Diehl & Cook (2015) ensemble as Brian2 equations.

Conductances ``ge``/``gi`` are dimensionless (in units of the leak
conductance), so ``ge * (E_exc - v)`` is a voltage like in the paper:

    tau dv/dt = (v_rest - v) + ge (E_exc - v) + gi (E_inh - v)

Excitatory neurons carry an adaptive threshold ``theta`` that grows by
``theta_plus`` at each spike and decays with ``tau_theta`` (10^7 ms, so the
decay is applied exactly once per presentation slot instead of every step);
both are gated by ``plastic`` (1 while learning, 0 in test mode), so theta is
frozen at test time. ``n_spikes`` counts the neuron's spikes in the current
slot for the presentation schedule.
The Poisson input layer draws exponential inter-spike intervals from a
counter-based random stream (``counter_uniform``). Each presentation has its
own stream, keyed by the seed, the input neuron, the example's position in
the sequence shown and the attempt (re-presentation) number, so the spikes of
a presentation do not depend on what was shown before it: a run is
reproducible from its seed on both Brian2 devices, across checkpoints, and
when a test set is split across processes.
"""
from __future__ import annotations

from brian2 import Hz, implementation, check_units, mV, ms, second

from ..spec import Excitatory, Inhibitory

EXCITATORY = """
dv/dt = ((v_rest - v) + ge * (E_exc - v) + gi * (E_inh - v)) / tau_m : volt (unless refractory)
dge/dt = -ge / tau_ge : 1
dgi/dt = -gi / tau_gi : 1
theta : volt
plastic : 1
n_spikes : integer
"""
EXCITATORY_THRESHOLD = "v > v_thresh - theta_offset + theta"
EXCITATORY_RESET = "v = v_reset\ntheta += plastic * theta_plus\nn_spikes += 1"
THETA_DECAY = "theta *= exp(-plastic * theta_decay_time / tau_theta)"   # once per slot

INHIBITORY = """
dv/dt = ((v_rest - v) + ge * (E_exc - v) + gi * (E_inh - v)) / tau_m : volt (unless refractory)
dge/dt = -ge / tau_ge : 1
dgi/dt = -gi / tau_gi : 1
"""
INHIBITORY_THRESHOLD = "v > v_thresh"
INHIBITORY_RESET = "v = v_reset"

# Poisson input: one exponential interval per spike instead of one random
# number per neuron and time step (most pixels are silent). Spike times are
# kept in time steps after the slot start: integer arithmetic on the clock,
# so a presentation's spikes are the same wherever in a run it falls.
POISSON_INPUT = """
rate : Hz
next_spike : 1                  # in time steps after the slot start
slot_start : integer (shared)   # time step of the slot start
stream : integer                # random stream of this neuron and presentation
draws : integer                 # numbers drawn from it so far
seed : integer (shared)
"""
POISSON_INTERVAL = "-log(counter_uniform(seed, stream, draws)) / (rate * dt + 1e-12)"
POISSON_THRESHOLD = ("t_in_timesteps - slot_start < presentation_steps"
                     " and t_in_timesteps - slot_start >= next_spike")
POISSON_RESET = f"next_spike += {POISSON_INTERVAL}\ndraws += 1"


def poisson_start(rate: str, position: str, attempt: str) -> str:
    """Statements run at the slot start: the example's ``rate``, the stream of
    the presentation (``position`` = the example's index in the whole sequence
    shown, ``attempt`` = 0 for its first presentation) and its first spike.
    At most one spike per step: an attempt draws at most presentation_steps + 1
    numbers, so no two presentations share a number."""
    return f"""slot_start = t_in_timesteps
rate = {rate}
stream = N * ({position}) + i
draws = ({attempt}) * (presentation_steps + 1)
next_spike = {POISSON_INTERVAL}
draws += 1"""


def excitatory_namespace(p: Excitatory) -> dict:
    return dict(v_rest=p.v_rest_mV * mV, v_reset=p.v_reset_mV * mV, v_thresh=p.v_thresh_mV * mV,
                E_exc=p.e_exc_mV * mV, E_inh=p.e_inh_mV * mV, tau_m=p.tau_ms * ms,
                tau_ge=p.tau_ge_ms * ms, tau_gi=p.tau_gi_ms * ms, tau_theta=p.tau_theta_ms * ms,
                theta_plus=p.theta_plus_mV * mV, theta_offset=p.theta_offset_mV * mV)


def inhibitory_namespace(p: Inhibitory) -> dict:
    return dict(v_rest=p.v_rest_mV * mV, v_reset=p.v_reset_mV * mV, v_thresh=p.v_thresh_mV * mV,
                E_exc=p.e_exc_mV * mV, E_inh=p.e_inh_mV * mV, tau_m=p.tau_ms * ms,
                tau_ge=p.tau_ge_ms * ms, tau_gi=p.tau_gi_ms * ms)


# splitmix64 finaliser over (seed, neuron, draw): uniform in (0, 1), the same
# double on the C++ and Cython targets.
_CPP_UNIFORM = """
static inline double counter_uniform(const int32_t seed, const int32_t i, const int32_t k)
{
    uint64_t z = (uint64_t)(uint32_t)seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= (((uint64_t)(uint32_t)i) << 32) | (uint64_t)(uint32_t)k;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
"""
_CYTHON_UNIFORM = """
cdef double counter_uniform(int seed, int i, int k):
    cdef unsigned long long z = (<unsigned long long>(<unsigned int>seed)) * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    z ^= ((<unsigned long long>(<unsigned int>i)) << 32) | (<unsigned long long>(<unsigned int>k))
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    z ^= z >> 31
    return ((<double>(z >> 11)) + 0.5) * (1.0 / 9007199254740992.0)
"""


def _python_uniform(seed, i, k):
    import numpy as np

    m = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        s = np.asarray(seed, dtype=np.int64).astype(np.uint32).astype(np.uint64)
        z = s * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        ii = np.asarray(i, dtype=np.int64).astype(np.uint32).astype(np.uint64)
        kk = np.asarray(k, dtype=np.int64).astype(np.uint32).astype(np.uint64)
        z = z ^ ((ii << np.uint64(32)) | kk)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = (z ^ (z >> np.uint64(31))) & m
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


@implementation("cpp", _CPP_UNIFORM)
@implementation("cython", _CYTHON_UNIFORM)
@check_units(seed=1, i=1, k=1, result=1)
def counter_uniform(seed, i, k):
    return _python_uniform(seed, i, k)


counter_uniform.stateless = True  # depends on its arguments only: safe to vectorise
POISSON_NAMESPACE = {"counter_uniform": counter_uniform, "Hz": Hz, "second": second}
