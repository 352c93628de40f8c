"""Runs chunks of paired presentations of the audio-visual network
(``stdpnet.model.crossmodal``) on a Brian2 device."""
from __future__ import annotations

import hashlib
import inspect
import json

import numpy as np
from brian2 import second

from ..model import crossmodal
from ..model.crossmodal import CROSS_NAMES, CROSS_PARAMETERS, MODALITIES, build_multimodal, ensembles_learn
from ..model.plasticity import stdp_rule
from ..model.schedule import TEST
from ..spec import MultimodalSpec
from ..streams import stream_seed
from .cache import build_key
from .simulator import Simulator, _variable, run_parameters


def rows(image_x: np.ndarray | None, audio_x: np.ndarray | None, n_image: int, n_audio: int,
         n: int) -> np.ndarray:
    """(n, n_image + n_audio) input rows; an absent modality is all zeros (silent)."""
    out = np.zeros((n, n_image + n_audio))
    if image_x is not None:
        out[:, :n_image] = image_x
    if audio_x is not None:
        out[:, n_image:] = audio_x
    return out



class MultimodalSimulator(Simulator):
    """Runs chunks of paired presentations: each input row is an image row
    followed by an audio row (zeros for an absent modality); spike counts are
    the image neurons followed by the audio neurons."""

    def __init__(self, mspec: MultimodalSpec, n_image: int, n_audio: int,
                 device: str | None = None, slots: int | None = None):
        self.mspec, self.n_image, self.n_audio = mspec, n_image, n_audio
        self.rules = {"image": stdp_rule(mspec.image.plasticity), "audio": stdp_rule(mspec.audio.plasticity)}
        super().__init__(mspec.image, n_image + n_audio, device=device or mspec.device,
                         slots=slots or mspec.image.schedule.checkpoint_every, modes=(TEST,))
        self.n_image_neurons = mspec.image.excitatory.n_neurons
        self.n_neurons = self.n_image_neurons + mspec.audio.excitatory.n_neurons

    def _model(self, learning: bool):
        return build_multimodal(self.mspec, self.rules, self.n_image, self.n_audio, self.slots, learning)

    def _key(self, learning: bool) -> str:
        m = self.mspec
        plastic = ensembles_learn(m, learning)
        blob = json.dumps([build_key(m.image, self.rules["image"], self.n_image, self.slots, plastic),
                           build_key(m.audio, self.rules["audio"], self.n_audio, self.slots, plastic),
                           m.cross.tau_pre_ms, m.cross.w_sum_max, learning, plastic,
                           inspect.getsource(crossmodal)])
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

    def initial_state(self) -> dict:
        """Fresh ensembles (each as its spec's ``train`` starts it, from its
        own seed) and fresh cross-modal weights: the ``joint`` schedule's start."""
        fresh = [Simulator(spec, n, device="runtime").initial_state(spec.seed)
                 for spec, n in ((self.mspec.image, self.n_image), (self.mspec.audio, self.n_audio))]
        return self.joint_state(*fresh)

    def joint_state(self, image_state: dict, audio_state: dict) -> dict:
        """The trained ensembles' states under their prefixes, fresh cross-modal weights."""
        state = {}
        for prefix, part in (("image_", image_state), ("audio_", audio_state)):
            for key, value in part.items():
                state[key if key.startswith("schedule.") else prefix + key] = value
        # different Poisson streams for the two input layers
        for modality in MODALITIES:
            state[f"{modality}_input.seed"] = np.array([stream_seed(self.mspec.seed, f"{modality}_input")],
                                                       np.int32)
        n_i, n_a = self.n_image_neurons, self.n_neurons - self.n_image_neurons
        state["image_to_audio.w"] = np.full(n_i * n_a, self.mspec.cross.w_init)
        state["audio_to_image.w"] = np.full(n_i * n_a, self.mspec.cross.w_init)
        return state

    def parameters(self) -> dict:
        params = {}
        for prefix, spec in (("image_", self.mspec.image), ("audio_", self.mspec.audio)):
            for key, value in run_parameters(spec, self.rules[prefix[:-1]]).items():
                params[prefix + key] = value
        for name in CROSS_NAMES:
            for key in CROSS_PARAMETERS:
                params[f"{name}.{key}"] = np.array([getattr(self.mspec.cross, key)], np.float64)
        return params

    def raster(self, pixels: np.ndarray, state: dict) -> dict:
        """Spikes of both ensembles' input and excitatory layers (runtime, test mode)."""
        from brian2 import SpikeMonitor

        state = self._raster_state(state)
        model, net = self._fresh("runtime", False, target="numpy")  # a few examples: no compiling
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
