"""The presentation schedule, run inside the network.

A one-neuron ``schedule`` group decides, at the start of every presentation
slot, whether the example just shown was answered (by default: it evoked at
least ``input.min_spikes`` excitatory spikes) or must be shown again with the
input intensity raised by ``input.intensity_step`` (up to
``input.max_intensity``). Its state is defined once, here
(``SCHEDULE_VARIABLES``, ``schedule_start``).

A chunk of ``slots`` presentation slots is one Brian2 ``run()``; the
examples of the chunk are the rows of a ``TimedArray`` indexed by
``example`` (the stimulus "time" axis is the example index,
``STIMULUS_DT`` per row), and ``active`` marks the real rows against the
padding of a last, short chunk.
"""
from __future__ import annotations

import numpy as np
from brian2 import Clock, NeuronGroup, StateMonitor, TimedArray, linked_var, ms, second

from ..spec import Spec

STIMULUS_DT = 1 * ms  # the "time" axis of the stimulus table is the example index
TRAIN, TEST = 1.0, 0.0  # values of the schedule's ``mode``: learning, or frozen weights and theta

# The schedule's variables and their Brian2 types.
SCHEDULE_VARIABLES = {
    "example": "integer",        # chunk-relative index of the example shown
    "first_example": "integer",  # position of the chunk's first example in the whole sequence
    "intensity": "1",            # input intensity of this presentation
    "count": "integer",          # excitatory spikes of the slot (gathered at the next slot start)
    "started": "integer",        # 0 until the chunk's first slot start
    "accepted": "integer",       # the example just shown was answered (or shown loudest)
    "learning": "1",             # mode * active(example): the ensembles learn in this slot
    "mode": "1 (shared)",        # TRAIN or TEST, for the whole chunk
}
# What carries a sequence's schedule from one chunk to the next (``accepted``
# and ``learning`` are recomputed at every slot start).
SCHEDULE_CARRIED = ("example", "first_example", "intensity", "count", "started", "mode")


def schedule_start(intensity: float, mode: float, first_example: int = 0) -> dict:
    """The schedule's carried state at the start of a chunk: the chunk's first
    example (its position ``first_example`` in the whole sequence) shown at
    ``intensity``, in ``mode``."""
    return {"schedule.example": np.zeros(1, np.int32),
            "schedule.first_example": np.array([first_example], np.int32),
            "schedule.intensity": np.array([float(intensity)]),
            "schedule.count": np.zeros(1, np.int32),
            "schedule.started": np.zeros(1, np.int32),
            "schedule.mode": np.array([float(mode)])}


def slot_duration(spec: Spec, learning: bool = True) -> float:
    """Seconds per presentation slot (presentation + rest, or + delay settling)
    in whole time steps of the learning or the test network."""
    return spec.schedule.slot_seconds(spec.connections.delay_max_ms, learning)


def link(group, name: str, size: int):
    """A linked variable of ``size`` neurons that all read ``group.name`` of neuron 0."""
    return linked_var(group, name, index=np.zeros(size, dtype=int))


def build_schedule(spec: Spec, slots: int, prefix: str = "", extra_model: str = "",
                   extra_code: str = "", namespace: dict | None = None,
                   answered: str = "count >= min_spikes", clock: Clock | None = None):
    """The one-neuron group that runs the presentation schedule; returns
    (group, active TimedArray, slot_log monitor).
    ``extra_model``/``extra_code`` add variables and statements decided once per
    slot (the multimodal network's cross-modal learning gate); ``answered`` is the
    condition under which the example just shown counts as answered."""
    inp_p = spec.input
    clock = clock or Clock(dt=slot_duration(spec) * second, name=f"{prefix}schedule_clock")
    every = dict(clock=clock, when="start")
    active = TimedArray(np.zeros(slots), dt=STIMULUS_DT, name=f"{prefix}active")
    model = "".join(f"{name} : {kind}\n" for name, kind in SCHEDULE_VARIABLES.items())
    schedule = NeuronGroup(1, model + extra_model, name=f"{prefix}schedule",
        namespace=dict(min_spikes=inp_p.min_spikes, max_intensity=inp_p.max_intensity,
                       intensity_start=inp_p.intensity, intensity_step=inp_p.intensity_step,
                       active=active, stimulus_dt=STIMULUS_DT, **(namespace or {})))
    schedule.run_regularly("""
        accepted = int((ANSWERED) or intensity >= max_intensity)
        example += started * accepted
        intensity = started * (accepted * intensity_start + (1 - accepted) * (intensity + intensity_step)) + (1 - started) * intensity
        started = 1
        count = 0
        learning = mode * active(example * stimulus_dt)
        """.replace("ANSWERED", answered) + extra_code, order=1, name=f"{prefix}schedule_decide",
        **every)
    slot_log = StateMonitor(schedule, ["example", "intensity", "learning"], record=0,
                            order=1, name=f"{prefix}slot_log", **every)
    return schedule, active, slot_log
