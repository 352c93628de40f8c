"""Two unimodal ensembles joined by STDP-trained cross-modal synapses
(Rathi & Roy, "STDP based unsupervised multimodal learning with cross-modal
processing in spiking neural networks").

    image input -> image excitatory <-> image inhibitory
                        |   ^
     image_to_audio     v   |   audio_to_image      (excitatory, STDP)
                        |   ^
    audio input -> audio excitatory <-> audio inhibitory

Each ensemble is the engine's own (``stdpnet.ensemble``) with its own lateral
inhibition; both share one presentation schedule, so an image and a
recording of the same digit are shown together and re-shown louder together.
Cross-modal synapses only ever add excitatory conductance (w >= 0) to the
other layer; they never reach the inhibitory neurons, so they cannot reduce
the other ensemble's activity directly.

Cross-modal STDP is the power law of the input synapses with a presynaptic
trace x_src kept per synapse (event-driven):

    on a presynaptic spike:   ge_post += gain * w ;  x_src += 1
    on a postsynaptic spike:  dw = cross_plastic * eta (x_src - x_tar)(w_max - w)^mu

``cross_plastic`` (the schedule's ``cross_learning``) is 1 only in the joint training phase and only for slots
where both modalities are shown (``paired``): a neuron's partners in the
other modality gain weight if they fired just before it, the others lose.

Training schedule (``run_multimodal``): first each ensemble learns alone
(unimodal phases, the ordinary ``train`` of each spec); then, with both
ensembles frozen (weights and thresholds), a joint phase in which only the
cross-modal weights learn from paired examples. Frozen ensembles make the
cross-modal weights learn a fixed map between two fixed sets of neuron
labels, the cross-modal drive cannot bend the receptive fields of an
ensemble toward the other modality's errors, and the unimodal phases reuse
the ordinary (checkpointed, resumable) training runs.
"""
from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass

import numpy as np
from brian2 import Synapses, TimedArray, ms, second

from . import readout
from .config import MultimodalSpec, Readout
from .errors import DataError
from .ensemble import STIMULUS_DT, Ensemble, _link, build_ensemble, build_schedule, slot_duration
from .simulation import TEST, Simulator, _variable, build_key, run_parameters

MODALITIES = ("image", "audio")
CROSS_NAMES = ("image_to_audio", "audio_to_image")
CROSS_PARAMETERS = ("eta", "x_tar", "mu", "w_max", "gain")


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


def cross_synapses(source, target, slot, tau_pre, name: str, learning: bool = True) -> Synapses:
    """All-to-all excitatory synapses between two excitatory layers, power-law
    STDP. ``learning=False`` leaves out the trace and the STDP code (frozen
    weights: the same spikes, without an exp and a pow per synapse of every
    spiking neuron)."""
    params = "".join(f"{k} : 1 (shared, constant)\n" for k in CROSS_PARAMETERS)
    if not learning:
        syn = Synapses(source, target, "w : 1\n" + params, on_pre="ge_post += gain * w", name=name)
        syn.connect()
        return syn
    syn = Synapses(
        source, target, """
        w : 1
        dx_src/dt = -x_src / tau_cross : 1 (event-driven)
        """ + params,
        on_pre="ge_post += gain * w\nx_src += 1",
        on_post="w = clip(w + cross_plastic_post * eta * (x_src - x_tar)"
                " * clip(w_max - w, 0, w_max)**mu, 0, w_max)",
        namespace={"tau_cross": tau_pre}, name=name)
    syn.connect()  # synapse k joins source k // n_target to target k % n_target
    # the rest period is replaced by a reset of the decaying state: traces too
    syn.run_regularly("x_src = 0", dt=slot, when="start", order=2, name=f"{name}_rest")
    return syn


def build_multimodal(m: MultimodalSpec, n_image: int, n_audio: int, slots: int,
                     learning: bool = True) -> Multimodal:
    """Both frozen ensembles and the cross-modal synapses; ``learning=False``:
    the test network, whose cross-modal synapses cannot learn."""
    slot = slot_duration(m.image) * second
    shown = {name: TimedArray(np.zeros(slots), dt=STIMULUS_DT, name=f"{name}_shown")
             for name in MODALITIES}
    now = "(example * stimulus_dt)"
    # an example is answered when every modality shown evoked min_spikes in its
    # own ensemble; ensemble_learning is never set: 0, the ensembles are frozen
    schedule = build_schedule(
        m.image, slots,
        extra_model="count_image : integer\ncount_audio : integer\n"
                    "cross_learning : 1\nensemble_learning : 1\n",
        extra_code=f"cross_learning = mode * active{now} * image_shown{now} * audio_shown{now}\n"
                   "count_image = 0\ncount_audio = 0\n",
        answered=" and ".join(f"(count_{k} >= min_spikes or {k}_shown{now} < 0.5)" for k in MODALITIES),
        namespace={f"{k}_shown": v for k, v in shown.items()})
    ensembles = {}
    for name, spec, n_input in (("image", m.image, n_image), ("audio", m.audio, n_audio)):
        # frozen ensembles: the test network of each (no input STDP, no normalisation)
        ens = build_ensemble(spec, n_input, slots, prefix=f"{name}_", learning=False,
                             schedule=schedule, learning_var="ensemble_learning", count=f"count_{name}",
                             excitatory_extra="cross_learning : 1 (linked)\ncross_plastic : 1\n")
        ens.excitatory.cross_learning = _link(schedule[0], "cross_learning",
                                              spec.excitatory.n_neurons)
        # synapses cannot read a linked variable of their target: copy it once per slot
        ens.excitatory.run_regularly("cross_plastic = cross_learning", dt=slot, when="start",
                                     order=2, name=f"{name}_cross_gate")
        ensembles[name] = ens
    tau = m.cross.tau_pre_ms * ms
    i, a = ensembles["image"], ensembles["audio"]
    return Multimodal(i, a, cross_synapses(i.excitatory, a.excitatory, slot, tau, "image_to_audio", learning),
                      cross_synapses(a.excitatory, i.excitatory, slot, tau, "audio_to_image", learning),
                      shown)


class MultimodalSimulator(Simulator):
    """Runs chunks of paired presentations: each input row is an image row
    followed by an audio row (zeros for an absent modality); spike counts are
    the image neurons followed by the audio neurons."""

    def __init__(self, mspec: MultimodalSpec, n_image: int, n_audio: int,
                 device: str | None = None, slots: int | None = None):
        self.mspec, self.n_image, self.n_audio = mspec, n_image, n_audio
        super().__init__(mspec.image, n_image + n_audio, device=device or mspec.device,
                         slots=slots or mspec.image.schedule.checkpoint_every, modes=(TEST,))
        self.n_image_neurons = mspec.image.excitatory.n_neurons
        self.n_neurons = self.n_image_neurons + mspec.audio.excitatory.n_neurons

    def _model(self, learning: bool):
        return build_multimodal(self.mspec, self.n_image, self.n_audio, self.slots, learning)

    def _key(self, learning: bool) -> str:
        m = self.mspec
        blob = json.dumps([build_key(m.image, self.n_image, self.slots, False),
                           build_key(m.audio, self.n_audio, self.slots, False),
                           m.cross.tau_pre_ms, learning, inspect.getsource(build_multimodal),
                           inspect.getsource(cross_synapses)])
        return "mm-" + hashlib.sha256(blob.encode()).hexdigest()[:16]

    def shown(self, pixels: np.ndarray) -> dict:
        """modality -> (rows,) bool: which rows show it (an absent modality is all zeros)."""
        return {"image": np.abs(pixels[:, :self.n_image]).sum(axis=1) > 0,
                "audio": np.abs(pixels[:, self.n_image:]).sum(axis=1) > 0}

    def _stimuli(self, model, pixels, active) -> dict:
        args = super()._stimuli(model, pixels, active)
        for name, shown in self.shown(pixels).items():
            args[model.shown[name]] = shown.astype(np.float64)
        return args

    def answered(self, counts: np.ndarray, row: np.ndarray) -> bool:
        """Every modality shown in ``row`` evoked min_spikes in its own ensemble."""
        n_i, k = self.n_image_neurons, self.spec.input.min_spikes
        shown = self.shown(row[None])
        return bool((counts[:n_i].sum() >= k or not shown["image"][0])
                    and (counts[n_i:].sum() >= k or not shown["audio"][0]))

    def joint_state(self, image_state: dict, audio_state: dict) -> dict:
        """The trained ensembles' states under their prefixes, fresh cross-modal weights."""
        state = {}
        for prefix, part in (("image_", image_state), ("audio_", audio_state)):
            for key, value in part.items():
                state[key if key.startswith("schedule.") else prefix + key] = value
        # different Poisson streams for the two input layers
        state["image_input.seed"] = np.array([self.mspec.seed], np.int32)
        state["audio_input.seed"] = np.array([self.mspec.seed + 1], np.int32)
        n_i, n_a = self.n_image_neurons, self.n_neurons - self.n_image_neurons
        state["image_to_audio.w"] = np.full(n_i * n_a, self.mspec.cross.w_init)
        state["audio_to_image.w"] = np.full(n_i * n_a, self.mspec.cross.w_init)
        return state

    def parameters(self) -> dict:
        params = {}
        for prefix, spec in (("image_", self.mspec.image), ("audio_", self.mspec.audio)):
            for key, value in run_parameters(spec).items():
                params[prefix + key] = value
        for name in CROSS_NAMES:
            for key in CROSS_PARAMETERS:
                params[f"{name}.{key}"] = np.array([getattr(self.mspec.cross, key)], np.float64)
        return params

    def raster(self, pixels: np.ndarray, state: dict) -> dict:
        """Spikes of both ensembles' input and excitatory layers (runtime, test mode)."""
        from brian2 import SpikeMonitor

        state = self._raster_state(state)
        model, net = self._fresh("runtime", False)
        for timed_array, values in self._stimuli(model, pixels, np.ones(len(pixels))).items():
            timed_array.values[:] = values
        for key, value in state.items():
            _variable(model, key).set_value(np.asarray(value))
        monitors = {f"{m}_input": SpikeMonitor(getattr(model, m).input) for m in MODALITIES}
        net.add(*monitors.values())
        net.run(self.slots * self.slot * second, namespace={})
        out = {name: (np.asarray(mon.i), np.asarray(mon.t_)) for name, mon in monitors.items()}
        for m in MODALITIES:
            mon = getattr(model, m).exc_spikes
            out[f"{m}_excitatory"] = (np.asarray(mon.i), np.asarray(mon.t_))
        out["example"] = np.asarray(model.slot_log.example[0], dtype=np.int64)
        return out


# ---------------------------------------------------------------------- pairs
def pair_indices(audio_labels: np.ndarray, image_labels: np.ndarray, n: int,
                 rng: np.random.Generator, shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (audio, image) index pairs of the same digit: the recordings in a
    seeded order (cycled), each with a random image of its digit."""
    audio_labels, image_labels = np.asarray(audio_labels), np.asarray(image_labels)
    order = np.concatenate([rng.permutation(len(audio_labels)) if shuffle else np.arange(len(audio_labels))
                            for _ in range(-(-n // len(audio_labels)))])[:n]
    by_class = {c: np.flatnonzero(image_labels == c) for c in np.unique(audio_labels)}
    for c, members in by_class.items():
        if len(members) == 0:
            raise DataError(f"no image of class {c} to pair with its recordings")
    images = np.array([rng.choice(by_class[audio_labels[k]]) for k in order])
    return order, images


def rows(image_x: np.ndarray | None, audio_x: np.ndarray | None, n_image: int, n_audio: int,
         n: int) -> np.ndarray:
    """(n, n_image + n_audio) input rows; an absent modality is all zeros (silent)."""
    out = np.zeros((n, n_image + n_audio))
    if image_x is not None:
        out[:, :n_image] = image_x
    if audio_x is not None:
        out[:, n_image:] = audio_x
    return out


def combined_vote(image_counts, image_rates, audio_counts, audio_rates, vote="calibrated",
                  reliability=None, tilt: float = 1.0):
    """The class both ensembles vote for, from each ensemble's spike counts and
    its neurons' class-mean responses (``readout.class_rates`` of the labelling
    pairs; a neuron's label is its best class):

    - ``normalised``: each ensemble's class scores (mean count of the neurons
      labelled with a class) are scaled to sum to 1 per example and added, so
      both have an equal say;
    - ``summed``: the class scores are added as they are;
    - ``likelihood``: the two ensembles' Poisson log-likelihoods
      (``readout.log_likelihoods``) are added;
    - ``calibrated``: as ``likelihood``, each ensemble's log-likelihoods
      weighed, example by example, by ``readout.reliability`` of its
      evidence (``readout.evidence_per_spike``: how much better its best class
      explains the counts than a class-blind model does) and its spike
      count, the audio ensemble's weights then multiplied by ``tilt``.
      ``reliability``: the parameters of the image and of the audio ensemble
      (rows), fitted on held-out labelling pairs, clean and corrupted
      (``audiovisual.calibrate``); ``tilt``: ``audiovisual.choose_tilt``.

    An ensemble that fires no spike in an example abstains under every rule."""
    if vote not in Readout.VOTES:
        raise ValueError(f"vote: unknown rule {vote!r} ({', '.join(Readout.VOTES)})")
    if vote == "calibrated" and reliability is None:
        raise ValueError("vote 'calibrated' needs the fitted reliability (audiovisual.calibrate)")
    if vote == "calibrated":
        return (readout.weighted_log_likelihoods(image_counts, image_rates, reliability[0])
                + tilt * readout.weighted_log_likelihoods(audio_counts, audio_rates, reliability[1])
                ).argmax(axis=1)
    n_classes = len(image_rates)
    total = np.zeros((len(image_counts), n_classes))
    for counts, rates in ((image_counts, image_rates), (audio_counts, audio_rates)):
        if vote == "likelihood":
            s = readout.log_likelihoods(counts, rates)
        else:
            s = readout.class_scores(counts, readout.labels_from_rates(rates), n_classes)
            if vote == "normalised":
                s = s / np.maximum(s.sum(axis=1, keepdims=True), 1e-12)
        total += np.where(np.asarray(counts).sum(axis=1, keepdims=True) > 0, s, 0.0)
    return total.argmax(axis=1)
