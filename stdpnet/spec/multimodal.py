"""The spec of the audio-visual network: two ensemble specs joined by
cross-modal synapses ([cross]), how images and recordings are paired
([pairs]) and how the two ensembles' votes are combined ([readout])."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import ConfigError
from .ensemble import SPOKEN_DIGITS, Spec, _build, _check, check_run, load_spec, non_negative, positive
from .toml import dump_toml, read_toml


@dataclass
class Cross:
    """Cross-modal synapses between the two excitatory layers (both directions).

    Excitatory only: a spike adds ``gain * w`` (w in [0, w_max]) to the other
    layer's excitatory conductance. Power-law STDP as for the input synapses,
    with a presynaptic trace per synapse:  on a postsynaptic spike
    dw = eta (x_pre - x_tar)(w_max - w)^mu, only while both modalities are shown.

    ``schedule``: ``staged`` trains each ensemble alone first, then only the
    cross-modal weights on pairs with both ensembles frozen; ``joint`` (the
    paper's) trains the ensembles and the cross-modal synapses together on
    the pairs from the start.
    """
    eta: float = 0.05
    x_tar: float = 0.01
    mu: float = 0.9
    w_max: float = 1.0
    w_init: float = 0.0
    gain: float = 4.0              # conductance of a w = 1 cross-modal synapse
    tau_pre_ms: float = 20.0
    # > 0: while learning, each neuron's incoming cross-modal weights are
    # scaled down at every slot start to sum to at most this; 0: unbounded
    w_sum_max: float = 0.0
    schedule: str = "staged"
    # recall: a cross-modal spike into an ensemble whose own modality is not
    # shown in the slot counts this many times (1: as when it is shown)
    recall_gain: float = 1.0

    SCHEDULES = ("staged", "joint")

    def validate(self, s="cross"):
        for key in ("w_max", "mu", "tau_pre_ms", "recall_gain"):
            _check(s, key, getattr(self, key), positive, "must be > 0")
        for key in ("eta", "x_tar", "gain", "w_sum_max"):
            _check(s, key, getattr(self, key), non_negative, "must be >= 0")
        _check(s, "w_init", self.w_init, lambda v: 0 <= v <= self.w_max, "must be in [0, w_max]")
        _check(s, "schedule", self.schedule, lambda v: v in self.SCHEDULES,
               f"must be one of {', '.join(self.SCHEDULES)}")


@dataclass
class Pairs:
    """How images and recordings of the same digit are paired (seeded, random within a class)."""
    train_pairs: int = 6000        # joint phase: cross-modal learning
    assign_pairs: int = 2000       # labelled pairs that assign neuron labels (both modalities)
    test_pairs: int = 1000         # each test recording is paired with test images of its digit

    def validate(self, s="pairs"):
        for key in ("train_pairs", "assign_pairs", "test_pairs"):
            _check(s, key, getattr(self, key), positive, "must be > 0")


@dataclass
class Readout:
    """How the two ensembles' spike counts decide the class when both
    modalities are shown (``readout.combine.combined_vote``):

    ``normalised`` (default): each ensemble's Diehl & Cook votes (mean count
    of the neurons labelled with a class) are scaled to sum to 1 per example
    and added, so both have an equal say. ``summed``: the votes are added as
    they are. ``likelihood``: each neuron's count is read as Poisson with the
    class-mean rate it showed on the labelling pairs and the two ensembles'
    log-likelihoods are added (over-confident when one modality is
    corrupted). ``calibrated``: those log-likelihoods weighed, example by
    example, by a function of how much better each ensemble's best class
    explains its counts than a class-blind model does, fitted on held-out
    labelling pairs shown clean and with one modality corrupted
    (``readout.combine.calibrate``), with one tilt factor on the audio
    ensemble's weights chosen so that, on the labelling pairs, it stays at or
    above ``min_clean_accuracy`` on clean pairs and at or above the clean
    ensemble alone where the other modality is heavily corrupted
    (``readout.combine.choose_tilt``). Every run reports all four. On the
    validation pairs of the audio-visual networks the calibrated rule is no
    better than the normalised one, clean or under any noise, beyond the
    seed spread, so the simpler rule is the default (docs/multimodal.md,
    "Combining the two ensembles").
    """
    vote: str = "normalised"
    # the calibrated rule's tilt (readout.combine.choose_tilt) trades clean
    # accuracy for robustness down to this accuracy on the labelling pairs
    min_clean_accuracy: float = 0.98

    VOTES = ("normalised", "summed", "likelihood", "calibrated")

    def validate(self, s="readout"):
        _check(s, "vote", self.vote, lambda v: v in self.VOTES, f"must be one of {', '.join(self.VOTES)}")
        _check(s, "min_clean_accuracy", self.min_clean_accuracy, lambda v: 0 <= v <= 1, "must be in [0, 1]")


@dataclass
class MultimodalSpec:
    """Two unimodal ensembles (their own specs) joined by cross-modal synapses."""
    name: str = "audiovisual"
    seed: int = 0
    device: str = "standalone"
    image_spec: str = ""           # path of the image ensemble's spec (relative to this file)
    audio_spec: str = ""
    cross: Cross = field(default_factory=Cross)
    pairs: Pairs = field(default_factory=Pairs)
    readout: Readout = field(default_factory=Readout)
    image: Spec | None = None      # the loaded sub-specs (not TOML keys)
    audio: Spec | None = None

    SECTIONS = ("cross", "pairs", "readout")

    def validate(self) -> "MultimodalSpec":
        check_run(self.name, self.seed, self.device)
        for name in self.SECTIONS:
            getattr(self, name).validate(name)
        if self.image is not None and self.audio is not None:
            # one shared schedule: the slot and the re-presentation rule must agree
            for section in ("schedule", "input"):
                a, b = getattr(self.image, section), getattr(self.audio, section)
                for f in fields(a):
                    if f.name != "checkpoint_every" and getattr(a, f.name) != getattr(b, f.name):
                        raise ConfigError(f"{section}.{f.name}: the image ({getattr(a, f.name)!r}) and "
                                          f"audio ({getattr(b, f.name)!r}) specs must agree")
            if self.image.connections.delay_max_ms != self.audio.connections.delay_max_ms:
                raise ConfigError("connections.delay_max_ms: the image and audio specs must agree "
                                  "(it sets the slot length)")
        spoken = SPOKEN_DIGITS
        if self.image is not None and self.image.data.dataset in spoken:
            raise ConfigError(f"image_spec: data.dataset {self.image.data.dataset!r} is spoken digits; "
                              "the image ensemble needs images")
        if self.audio is not None and self.audio.data.dataset not in spoken + ("synthetic",):
            raise ConfigError(f"audio_spec: data.dataset {self.audio.data.dataset!r}: the audio ensemble "
                              f"needs spoken digits ({', '.join(SPOKEN_DIGITS)})")
        for name in ("image", "audio"):
            ens = getattr(self, name)
            if ens is not None and ens.schedule.test_dt_ms:
                raise ConfigError(f"{name} spec: schedule.test_dt_ms: an audio-visual network runs "
                                  "every stage at schedule.dt_ms; leave test_dt_ms at 0")
            if ens is not None and ens.compression.enabled and self.cross.schedule == "joint":
                raise ConfigError(f"{name} spec: compression.enabled: the joint schedule trains the "
                                  "ensembles on the pairs, where nothing prunes or quantises them; use "
                                  "[cross] schedule = \"staged\" or switch compression off")
            if ens is not None and ens.data.refit:
                raise ConfigError(f"{name} spec: data.refit: an audio-visual network keeps its "
                                  "validation pairs apart; refit is for single-ensemble specs")
            if ens is not None and ens.data.filtered:
                raise ConfigError(f"{name} spec: data.preprocess = {ens.data.preprocess!r}: the noise of an "
                                  "audio-visual network (robustness curves, the calibrated rule) is added to "
                                  "its inputs, which would be the filtered maps, not the picture; use "
                                  "preprocess = \"gray\"")
            if ens is not None and ens.data.equal_totals:
                raise ConfigError(f"{name} spec: data.equal_totals: the noise of an audio-visual "
                                  "network is added to images in 0..255; equal_totals is for "
                                  "single-ensemble specs")
        return self


def load_multimodal_spec(path: str | Path) -> MultimodalSpec:
    """A multimodal spec: top-level name/seed/device, ``image_spec`` and
    ``audio_spec`` (paths relative to this file), [cross], [pairs] and [readout]."""
    path = Path(path)
    table = read_toml(path)
    known = {f.name for f in fields(MultimodalSpec)} - {"image", "audio"}
    try:
        if not {"image_spec", "audio_spec"} & set(table) and set(table) & set(Spec.SECTIONS):
            raise ConfigError("one ensemble's spec (it has no image_spec and audio_spec): train it "
                              "with `stdpnet train` or `stdpnet run`; `stdpnet multimodal` takes a "
                              "spec naming the image and the audio ensembles' specs")
        if "name" not in table:
            raise ConfigError("name: missing (the run's name; its folder is runs/<name>)")
        spec = _build(MultimodalSpec, {k: v for k, v in table.items() if k in known}, "")
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigError(f"{unknown[0]}: unknown key (known: {', '.join(sorted(known))})")
        for part in ("image", "audio"):
            ref = getattr(spec, f"{part}_spec")
            if not ref:
                raise ConfigError(f"{part}_spec: missing (path of the {part} ensemble's spec)")
            try:
                setattr(spec, part, load_spec(path.parent / ref))
            except ConfigError as exc:
                raise ConfigError(f"{part}_spec: {exc}") from exc
        return spec.validate()
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def is_multimodal(path: str | Path) -> bool:
    """Whether a spec file (or a run folder's spec.toml) describes a multimodal network."""
    try:
        return "image_spec" in read_toml(path)
    except ConfigError:
        return False


def dump_multimodal_spec(spec: MultimodalSpec, image_spec: str, audio_spec: str) -> str:
    """TOML text of a multimodal spec whose ensembles' specs are the files
    ``image_spec`` and ``audio_spec`` (relative to it)."""
    d = {"name": spec.name, "seed": spec.seed, "device": spec.device,
         "image_spec": image_spec, "audio_spec": audio_spec}
    d.update({section: dataclasses.asdict(getattr(spec, section)) for section in MultimodalSpec.SECTIONS})
    return dump_toml(d)
