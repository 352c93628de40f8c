"""Two unimodal ensembles joined by STDP-trained cross-modal synapses
(Rathi & Roy, "STDP based unsupervised multimodal learning with cross-modal
processing in spiking neural networks").

    image input -> image excitatory <-> image inhibitory
                        |   ^
     image_to_audio     v   |   audio_to_image      (excitatory, STDP)
                        |   ^
    audio input -> audio excitatory <-> audio inhibitory

Each ensemble is the engine's own (``stdpnet.model.ensemble``) with its own lateral
inhibition; both share one presentation schedule, so an image and a
recording of the same digit are shown together and re-shown louder together.
Cross-modal synapses only ever add excitatory conductance (w >= 0) to the
other layer; they never reach the inhibitory neurons, so they cannot reduce
the other ensemble's activity directly.

Cross-modal STDP is the power law of the input synapses with a presynaptic
trace x_src kept per synapse (event-driven):

    on a presynaptic spike:   ge_post += gain * w ;  x_src += 1
                              (gain * recall_gain * w where the slot does not show
                               the receiving ensemble's own modality: recall)
    on a postsynaptic spike:  dw = cross_plastic * eta (x_src - x_tar)(w_max - w)^mu

``cross_plastic`` (the schedule's ``cross_learning``) is 1 only in the joint training phase and only for slots
where both modalities are shown (``image_shown * audio_shown``): a neuron's partners in the
other modality gain weight if they fired just before it, the others lose.

Training schedule (``[cross] schedule``, ``stdpnet.experiments.audiovisual``):

- ``staged``: first each ensemble learns alone (unimodal phases, the
  ordinary ``train`` of each spec); then, with both ensembles frozen
  (weights and thresholds), a joint phase in which only the cross-modal
  weights learn from paired examples. Frozen ensembles make the cross-modal
  weights learn a fixed map between two fixed sets of neuron labels, and the
  cross-modal drive cannot bend the receptive fields of an ensemble toward
  the other modality's errors.
- ``joint`` (the paper's): one phase on paired examples in which both
  ensembles (input STDP, normalisation, adaptive thresholds) and the
  cross-modal synapses learn together from the start. Each ensemble learns
  only in slots that show its own modality (``image_learning``,
  ``audio_learning``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Synapses, TimedArray, ms, second

from ..spec import MultimodalSpec
from .ensemble import Ensemble, build_ensemble
from .schedule import STIMULUS_DT, build_schedule, link, slot_duration

MODALITIES = ("image", "audio")
CROSS_NAMES = ("image_to_audio", "audio_to_image")
CROSS_PARAMETERS = ("eta", "x_tar", "mu", "w_max", "gain", "recall_gain")
# A cross-modal spike into an ensemble whose own modality the slot does not
# show (recall) counts recall_gain times; with its own input shown, once.
CROSS_ON_PRE = "ge_post += gain * w * (1 + (recall_gain - 1) * (1 - own_shown_post))"


# --------------------------------------------------------------------- network
@dataclass
class Multimodal:
    image: Ensemble
    audio: Ensemble
    image_to_audio: Synapses
    audio_to_image: Synapses
    shown: dict            # modality -> TimedArray: 1 where the slot's example shows it

    @property
    def objects(self) -> list:
        return list(dict.fromkeys(self.image.objects + self.audio.objects
                                  + [self.image_to_audio, self.audio_to_image]))

    @property
    def groups(self) -> dict:
        return {obj.name: obj for obj in self.objects}

    @property
    def active(self) -> TimedArray:
        return self.image.active

    @property
    def slot_log(self):
        return self.image.slot_log

    @property
    def counted(self) -> list:
        return [(self.image.exc_spikes, 0),
                (self.audio.exc_spikes, self.image.spec.excitatory.n_neurons)]

    @property
    def stimuli(self) -> list:
        return [(self.image.pixels, 0), (self.audio.pixels, self.image.n_input)]

    @property
    def carried(self) -> dict:
        return {**self.image.carried, **self.audio.carried,
                self.image_to_audio: ("w",), self.audio_to_image: ("w",)}


# Optional bound on each neuron's incoming cross-modal weights ([cross]
# w_sum_max > 0), run at the start of every slot in which the cross-modal
# synapses learn, after the weights learned in the slot before (orders 2-5
# of the slot start, as the input weights' normalisation):
#     order 2  target   cross_wsum = 0
#     order 3  synapses cross_wsum_post += w
#     order 4  target   cross_norm = min(1, w_sum_max / cross_wsum)   (1 where not learning)
#     order 5  synapses w *= cross_norm_post
# A synapse grows only at the expense of the target's other partners once the
# bound is reached: the weights stay specific and the cross-modal drive
# bounded, so the ensembles cannot drive each other up to w_max everywhere.
CROSS_BOUND_TARGET = "cross_wsum : 1\ncross_norm : 1\n"
CROSS_BOUND_NORM = ("cross_norm = cross_plastic * clip(w_sum_max / (cross_wsum + 1e-12), 0, 1)"
                    " + (1 - cross_plastic)")


def cross_synapses(source, target, slot, tau_pre, name: str, learning: bool = True,
                   bounded: bool = False) -> Synapses:
    """All-to-all excitatory synapses between two excitatory layers, power-law
    STDP. ``learning=False`` leaves out the trace and the STDP code (frozen
    weights: the same spikes, without an exp and a pow per synapse of every
    spiking neuron). ``bounded``: the sum of each target neuron's incoming
    weights is held at or below ``w_sum_max`` (``CROSS_BOUND_NORM``)."""
    params = "".join(f"{k} : 1 (shared, constant)\n" for k in CROSS_PARAMETERS)
    if not learning:
        syn = Synapses(source, target, "w : 1\n" + params, on_pre=CROSS_ON_PRE, name=name)
        syn.connect()
        return syn
    syn = Synapses(
        source, target, """
        w : 1
        dx_src/dt = -x_src / tau_cross : 1 (event-driven)
        """ + params,
        on_pre=CROSS_ON_PRE + "\nx_src += 1",
        on_post="w = clip(w + cross_plastic_post * eta * (x_src - x_tar)"
                " * clip(w_max - w, 0, w_max)**mu, 0, w_max)",
        namespace={"tau_cross": tau_pre}, name=name)
    syn.connect()  # synapse k joins source k // n_target to target k % n_target
    # the trace restarts at every slot, whatever the ensembles' rest_mode (a simulated
    # 150 ms rest would leave e^-7.5 of it with tau_pre = 20 ms)
    syn.run_regularly("x_src = 0", dt=slot, when="start", order=2, name=f"{name}_rest")
    if bounded:
        syn.run_regularly("cross_wsum_post += w", dt=slot, when="start", order=3, name=f"{name}_sum")
        syn.run_regularly("w *= cross_norm_post", dt=slot, when="start", order=5, name=f"{name}_bound")
    return syn


def ensembles_learn(m: MultimodalSpec, learning: bool) -> bool:
    """Whether the ensembles of this network learn: only in the learning
    network of the ``joint`` schedule (``staged`` trains them beforehand)."""
    return learning and m.cross.schedule == "joint"


def build_multimodal(m: MultimodalSpec, rules: dict, n_image: int, n_audio: int, slots: int,
                     learning: bool = True) -> Multimodal:
    """Both ensembles and the cross-modal synapses; ``rules``: each
    ensemble's STDP rule by modality; ``learning=False``: the test network,
    in which nothing learns. The ensembles are frozen (their test networks)
    unless the ``joint`` schedule trains them here (``ensembles_learn``)."""
    slot = slot_duration(m.image) * second
    shown = {name: TimedArray(np.zeros(slots), dt=STIMULUS_DT, name=f"{name}_shown")
             for name in MODALITIES}
    now = "(example * stimulus_dt)"
    plastic = ensembles_learn(m, learning)
    bounded = learning and m.cross.w_sum_max > 0
    # an example is answered when every modality shown evoked min_spikes in its
    # own ensemble; an ensemble learns (joint schedule) in slots showing its modality
    schedule = build_schedule(
        m.image, slots,
        extra_model="count_image : integer\ncount_audio : integer\ncross_learning : 1\n"
                    + "".join(f"{k}_learning : 1\n{k}_now : 1\n" for k in MODALITIES),
        extra_code=f"cross_learning = mode * active{now} * image_shown{now} * audio_shown{now}\n"
                   + "".join(f"{k}_now = {k}_shown{now}\n" for k in MODALITIES) +
                   "count_image = 0\ncount_audio = 0\n"
                   + "".join(f"{k}_learning = " + (f"mode * active{now} * {k}_shown{now}\n" if plastic
                                                   else "0\n") for k in MODALITIES),
        answered=" and ".join(f"(count_{k} >= min_spikes or {k}_shown{now} < 0.5)" for k in MODALITIES),
        namespace={f"{k}_shown": v for k, v in shown.items()})
    ensembles = {}
    for name, spec, n_input in (("image", m.image, n_image), ("audio", m.audio, n_audio)):
        ens = build_ensemble(spec, rules[name], n_input, slots, prefix=f"{name}_", learning=plastic,
                             schedule=schedule, learning_var=f"{name}_learning", count=f"count_{name}",
                             excitatory_extra="cross_learning : 1 (linked)\ncross_plastic : 1\n"
                                              "own_now : 1 (linked)\nown_shown : 1\n"
                                              + (CROSS_BOUND_TARGET if bounded else ""))
        n = spec.excitatory.n_neurons
        ens.excitatory.cross_learning = link(schedule[0], "cross_learning", n)
        ens.excitatory.own_now = link(schedule[0], f"{name}_now", n)
        # synapses cannot read a linked variable of their target: copy them once per slot
        ens.excitatory.run_regularly("cross_plastic = cross_learning\nown_shown = own_now"
                                     + ("\ncross_wsum = 0" if bounded else ""),
                                     dt=slot, when="start", order=2, name=f"{name}_cross_gate")
        if bounded:
            ens.excitatory.run_regularly(CROSS_BOUND_NORM, dt=slot, when="start", order=4,
                                         name=f"{name}_cross_norm")
            ens.excitatory.namespace["w_sum_max"] = m.cross.w_sum_max
        ensembles[name] = ens
    tau = m.cross.tau_pre_ms * ms
    i, a = ensembles["image"], ensembles["audio"]
    return Multimodal(i, a, cross_synapses(i.excitatory, a.excitatory, slot, tau, "image_to_audio", learning,
                                           bounded),
                      cross_synapses(a.excitatory, i.excitatory, slot, tau, "audio_to_image", learning,
                                     bounded),
                      shown)
