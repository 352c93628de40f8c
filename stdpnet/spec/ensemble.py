"""The spec of one ensemble: typed sections loaded from TOML and validated at the edge.

Every key carries its unit in its name (``tau_ms``, ``v_rest_mV``), so a spec
reads without guessing. Unknown keys, wrong types and out-of-range values are
errors that name the key, e.g. ``excitatory.tau_ms: must be > 0, got -1``.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .grid import MAX_SEED
from .toml import dump_toml, read_toml

RULES = ("power_law", "diehl_cook_triplet", "pair_additive")
TORCHVISION_DATASETS = ("FashionMNIST", "KMNIST", "CIFAR10")   # torchvision:NAME (docs/data.md)
SPOKEN_DIGITS = ("fsdd", "synth_digits", "ti46")   # the audio datasets: one word, a digit, per recording
DATASETS = ("mnist", "synthetic", "caltech101", "fsdd", "synth_digits", "ti46", "idx", "npz", "folder",
            *(f"torchvision:{name}" for name in TORCHVISION_DATASETS))
NEEDS_ROOT = {"idx": "the folder of IDX files", "npz": "the .npz file",
              "folder": "the class-per-subfolder folder"}
AUDIO_FEATURES = ("mfcc", "logmel", "cochlea")
AUDIO_SPLITS = ("index", "speaker")
STANDARDISE = ("training", "speaker")   # data.audio_standardise
CRITERIA = ("weight", "correlation")
PRECISIONS = {"double": "float64", "single": "float32"}
REST_MODES = ("reset", "simulate")
CONDUCTANCE_READS = ("step_start", "step_mean")
QUANTISERS = ("uniform", "fitted")
PRUNE_SCHEDULES = ("linear", "constant")
NORMALISE_TO = ("retained", "full")


def positive(x):
    return x > 0


def non_negative(x):
    return x >= 0


def _check(section: str, key: str, value: Any, ok, what: str) -> None:
    if not ok(value):
        raise ConfigError(f"{section}.{key}: {what}, got {value!r}")


RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


def check_run(name: str, seed: int, device: str) -> None:
    """A run's name becomes the folder runs/<name>: one plain path component;
    its seed must fit the network's 32-bit integers; its device is a Brian2 one."""
    _check("spec", "name", name, lambda v: bool(RUN_NAME.match(v)) and ".." not in v,
           "must be a plain folder name (letters, digits, '.', '_', '+', '-'; no path separators, "
           "no '..', at most 128 characters)")
    _check("spec", "seed", seed, lambda v: 0 <= v <= MAX_SEED, f"must be in 0 .. {MAX_SEED}")
    _check("spec", "device", device, lambda v: v in ("runtime", "standalone"),
           "must be 'runtime' or 'standalone'")


@dataclass
class Data:
    dataset: str = "mnist"
    # 0 = all there are; a count past the data's size is an error
    train_examples: int = 0        # first K of the (shuffled) training part
    assign_examples: int = 0       # labelled training examples that assign neuron labels
    test_examples: int = 0
    # validation: carved from the training side, never trained or labelled on
    # (mnist: the last K training examples; synthetic: K more examples)
    validation_examples: int = 10_000
    shuffle: bool = True           # shuffle the training order with the run's seed
    root: str = ""                 # dataset folder, or npz file ("" = $STDPNET_DATASETS or ./datasets)
    # folder, caltech101: class subset ([] = every subfolder; for caltech101
    # Faces_easy, Motorbikes, airplanes), split; with torchvision:CIFAR10 also
    # image size and ON/OFF preprocessing (docs/data.md)
    classes: list = field(default_factory=list)
    image_size: int = 28           # square side in pixels after resizing
    preprocess: str = "on_off"     # on_off (2*size^2 inputs) | dog | gray
    dog_sigma_center: float = 1.0
    dog_sigma_surround: float = 2.0
    train_per_class: int = 200     # seeded per-class split; the rest (capped) is test
    test_per_class: int = 200
    validation_per_class: int = 20  # of each class's training images (seeded), for validation (+ npz)
    test_fraction: float = 0.2     # npz without x_test/y_test: the last share of each class is test
    # fsdd / synth_digits / ti46 (spoken digits): features and split
    audio_feature: str = "mfcc"    # mfcc | logmel | cochlea (stdpnet.data.features)
    audio_bands: int = 20          # features per frame; n_input = bands * frames
    audio_frames: int = 20
    audio_deltas: bool = False     # also each band's slope in time (2 * bands values per frame)
    audio_trim_db: float = 0.0     # > 0: drop the silence around the word (frames this far below the loudest)
    audio_split: str = "index"     # index: repetitions 0-4 are test (FSDD's split) | speaker (ti46: speaker only)
    test_speakers: list = field(default_factory=list)  # speaker split ([] = the last speaker)
    # validation recordings, from the training side: repetitions (index split)
    # or speakers (speaker split; [] = the last training speaker)
    validation_indices: list = field(default_factory=lambda: [5, 6, 7, 8, 9])
    validation_speakers: list = field(default_factory=list)
    # speaker split, no validation_speakers named: "last" training speaker, or
    # "next", the speaker after the test speaker (alphabetical, cyclic), so
    # that leave-one-speaker-out validates on every speaker once
    validation_pick: str = "last"
    audio_encoding: str = "on_off"  # on_off (2 inputs per feature) | map (the [0, 1] map as is)
    audio_on_off_z: float = 1.5    # on_off: standard deviations at which an input saturates
    # on_off: each feature standardised with the "training" set's mean and sd, or
    # with each "speaker"'s own over all of that speaker's recordings (speaker-level
    # mean/variance normalisation; a test speaker's come from its unlabelled recordings)
    audio_standardise: str = "training"
    # training recordings also added played at these speeds (pitch and formants
    # scale with them, like another vocal tract); validation and test as recorded
    audio_perturb: list = field(default_factory=list)
    # more training voices: every recording of this folder (FSDD layout; "synth_digits"
    # = `stdpnet data synth-digits`'s folder) joins the training part, never validation or test
    audio_extra_root: str = ""
    epochs: int = 1                # passes over the training examples (small audio sets)
    # scale every image so its inputs sum to the training part's mean sum: each
    # drives the same total input rate, whatever its ink (values may pass 255)
    equal_totals: bool = False
    # train on the validation part too: the final run of a setting chosen on
    # validation (sweep --test), which then has no validation figure
    refit: bool = False

    @property
    def filtered(self) -> bool:
        """Whether the network's inputs are difference-of-Gaussians maps of the
        pictures rather than the pictures (folder, caltech101, CIFAR-10 unless
        ``preprocess = "gray"``)."""
        return self.preprocess != "gray" and self.dataset in ("folder", "caltech101", "torchvision:CIFAR10")

    def counts(self, n_train: int, n_test: int) -> tuple[int, int, int]:
        """(training, labelling, test) examples used, for data with ``n_train``
        training and ``n_test`` test examples; asking for more is an error."""
        train = self.train_examples or n_train
        assign = self.assign_examples or train
        test = self.test_examples or n_test
        for key, asked, have, part in (("train_examples", train, n_train, "training part"),
                                       ("assign_examples", assign, train, "examples trained on"),
                                       ("test_examples", test, n_test, "test part")):
            if asked > have:
                raise ConfigError(f"data.{key}: {asked}, but the {part} of {self.dataset} has {have}")
        return train, assign, test

    def validate(self, s="data"):
        _check(s, "dataset", self.dataset, lambda v: v in DATASETS, f"must be one of {DATASETS}")
        if self.dataset in NEEDS_ROOT:
            _check(s, "root", self.root, lambda v: bool(v.strip()),
                   f"dataset {self.dataset!r} needs {NEEDS_ROOT[self.dataset]}")
        for key in ("train_per_class", "test_per_class", "epochs"):
            _check(s, key, getattr(self, key), positive, "must be > 0")
        _check(s, "image_size", self.image_size, lambda v: v >= 4, "must be >= 4 (pixels a side)")
        for key in ("audio_bands", "audio_frames"):     # a map needs two of each (data/features.py)
            _check(s, key, getattr(self, key), lambda v: v >= 2, "must be >= 2")
        for key in ("train_examples", "assign_examples", "test_examples", "validation_examples",
                    "validation_per_class"):
            _check(s, key, getattr(self, key), non_negative, "must be >= 0")
        _check(s, "assign_examples", self.assign_examples,
               lambda v: not self.train_examples or v <= self.train_examples,
               f"must be at most data.train_examples ({self.train_examples}): labels come from "
               "examples trained on")
        _check(s, "validation_indices", self.validation_indices,
               lambda v: all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in v),
               "must list recording indices (integers >= 0)")
        _check(s, "validation_speakers", self.validation_speakers,
               lambda v: all(isinstance(x, str) for x in v), "must list speaker names")
        _check(s, "classes", self.classes,
               lambda v: not v or (len(v) >= 2 and all(isinstance(c, str) for c in v)
                                   and len(set(v)) == len(v)),
               "must be [] (every class folder) or list at least two distinct class folder names")
        _check(s, "test_fraction", self.test_fraction, lambda v: 0 < v < 1, "must be in (0, 1)")
        _check(s, "preprocess", self.preprocess, lambda v: v in ("on_off", "dog", "gray"),
               "must be 'on_off', 'dog' or 'gray'")
        _check(s, "dog_sigma_surround", self.dog_sigma_surround,
               lambda v: v > self.dog_sigma_center > 0, "must be > dog_sigma_center > 0")
        _check(s, "audio_feature", self.audio_feature, lambda v: v in AUDIO_FEATURES,
               f"must be one of {AUDIO_FEATURES}")
        _check(s, "audio_split", self.audio_split, lambda v: v in AUDIO_SPLITS,
               f"must be one of {AUDIO_SPLITS}")
        _check(s, "audio_split", self.audio_split, lambda v: v == "speaker" or self.dataset != "ti46",
               "must be 'speaker' for ti46 (its recordings are not numbered as FSDD's repetitions)")
        _check(s, "audio_encoding", self.audio_encoding, lambda v: v in ("on_off", "map"),
               "must be 'on_off' or 'map'")
        _check(s, "audio_on_off_z", self.audio_on_off_z, positive, "must be > 0")
        _check(s, "audio_standardise", self.audio_standardise, lambda v: v in STANDARDISE,
               f"must be one of {STANDARDISE}")
        _check(s, "audio_standardise", self.audio_standardise,
               lambda v: v == "training" or self.audio_encoding == "on_off",
               "'speaker' standardises the ON/OFF code: it needs audio_encoding = 'on_off'")
        _check(s, "audio_standardise", self.audio_standardise,
               lambda v: v == "training" or self.audio_split == "speaker",
               "'speaker' needs audio_split = 'speaker': with the index split a speaker's statistics "
               "would pool its training and test recordings")
        _check(s, "audio_trim_db", self.audio_trim_db, non_negative, "must be >= 0 (0 keeps every frame)")
        _check(s, "validation_pick", self.validation_pick, lambda v: v in ("last", "next"),
               "must be 'last' or 'next'")
        _check(s, "test_speakers", self.test_speakers,
               lambda v: all(isinstance(x, str) for x in v), "must list speaker names")
        for key in ("test_speakers", "validation_speakers"):   # else every voice is in every part
            _check(s, key, getattr(self, key), lambda v: not v or self.audio_split == "speaker",
                   "names speakers, which only the speaker split holds out: set "
                   "data.audio_split = 'speaker' (the index split holds out repetitions)")
        _check(s, "audio_perturb", self.audio_perturb,
               lambda v: all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0.5 <= x <= 2
                             and x != 1 for x in v),
               "must list speed factors in [0.5, 2] other than 1, e.g. [0.9, 1.1]")
        _check(s, "audio_extra_root", self.audio_extra_root,
               lambda v: isinstance(v, str) and (not v or self.dataset in SPOKEN_DIGITS),
               "must be a folder of spoken digits, and only adds to the spoken-digit datasets "
               f"({', '.join(SPOKEN_DIGITS)})")
        _check(s, "equal_totals", self.equal_totals,
               lambda v: not v or self.dataset not in SPOKEN_DIGITS,
               "scales images; spoken digits are standardised by audio_standardise instead")


@dataclass
class Input:
    pixel_divisor: float = 8.0     # rate = pixel / divisor * intensity (Hz), pixel in 0..255
    intensity: float = 2.0         # starting intensity (max rate 63.75 Hz)
    intensity_step: float = 1.0    # added when the network answered too little
    max_intensity: float = 32.0    # give up re-presenting above this
    min_spikes: int = 5            # excitatory spikes an example must evoke

    def validate(self, s="input"):
        for key in ("pixel_divisor", "intensity", "intensity_step", "max_intensity"):
            _check(s, key, getattr(self, key), positive, "must be > 0")
        _check(s, "min_spikes", self.min_spikes, non_negative, "must be >= 0")
        _check(s, "max_intensity", self.max_intensity, lambda v: v >= self.intensity,
               "must be >= input.intensity")


@dataclass
class Excitatory:
    n_neurons: int = 400
    tau_ms: float = 100.0
    v_rest_mV: float = -65.0
    v_reset_mV: float = -65.0
    v_thresh_mV: float = -52.0
    refractory_ms: float = 5.0
    e_exc_mV: float = 0.0
    e_inh_mV: float = -100.0
    tau_ge_ms: float = 1.0
    tau_gi_ms: float = 2.0
    theta_plus_mV: float = 0.05
    tau_theta_ms: float = 1e7
    theta_init_mV: float = 20.0
    theta_offset_mV: float = 20.0

    def validate(self, s="excitatory"):
        _check(s, "n_neurons", self.n_neurons, positive, "must be > 0")
        for key in ("tau_ms", "tau_ge_ms", "tau_gi_ms", "tau_theta_ms"):
            _check(s, key, getattr(self, key), positive, "must be > 0")
        for key in ("refractory_ms", "theta_plus_mV", "theta_init_mV"):
            _check(s, key, getattr(self, key), non_negative, "must be >= 0")
        _check(s, "v_thresh_mV", self.v_thresh_mV, lambda v: v > self.v_reset_mV,
               "must be above v_reset_mV")


@dataclass
class Inhibitory:
    tau_ms: float = 10.0
    v_rest_mV: float = -60.0
    v_reset_mV: float = -45.0
    v_thresh_mV: float = -40.0
    refractory_ms: float = 2.0
    e_exc_mV: float = 0.0
    e_inh_mV: float = -85.0
    tau_ge_ms: float = 1.0
    tau_gi_ms: float = 2.0

    def validate(self, s="inhibitory"):
        for key in ("tau_ms", "tau_ge_ms", "tau_gi_ms"):
            _check(s, key, getattr(self, key), positive, "must be > 0")
        _check(s, "refractory_ms", self.refractory_ms, non_negative, "must be >= 0")
        _check(s, "v_thresh_mV", self.v_thresh_mV, lambda v: v > self.v_reset_mV,
               "must be above v_reset_mV")


@dataclass
class Connections:
    w_init_scale: float = 0.3      # input weights (U[0,1) + 0.01) * scale
    delay_max_ms: float = 10.0     # input->excitatory delays U[0, delay_max)
    weight_sum_per_input: float = 78.0 / 784  # column sum = this * n_inputs (78 for MNIST)
    exc_to_inh: float = 10.4
    inh_to_exc: float = 17.0

    def validate(self, s="connections"):
        for key in ("w_init_scale", "weight_sum_per_input"):
            _check(s, key, getattr(self, key), positive, "must be > 0")
        for key in ("delay_max_ms", "exc_to_inh", "inh_to_exc"):
            _check(s, key, getattr(self, key), non_negative, "must be >= 0")


@dataclass
class Plasticity:
    rule: str = "power_law"
    w_max: float = 1.0
    # power_law: on post spike dw = eta_post (x_pre - x_tar)(w_max - w)^mu,
    # on pre spike (optional) dw = -eta_pre x_post w^mu
    eta_post: float = 0.003        # a third and three times it at N=6400: docs/model.md, "Learning rate"
    eta_pre: float = 0.0
    x_tar: float = 0.1
    mu: float = 0.9
    tau_pre_ms: float = 20.0
    tau_post_ms: float = 20.0
    # diehl_cook_triplet: pre w -= nu_pre*post1 ; post w += nu_post*pre*post2(before)
    nu_pre: float = 1e-4
    nu_post: float = 1e-2
    tau_post2_ms: float = 40.0
    # pair_additive: dw = +a_plus x_pre at post, -a_minus x_post at pre
    a_plus: float = 0.01
    a_minus: float = 0.0105

    def validate(self, s="plasticity"):
        _check(s, "rule", self.rule, lambda v: v in RULES, f"unknown rule; choose one of {RULES}")
        for key in ("w_max", "tau_pre_ms", "tau_post_ms", "tau_post2_ms", "mu"):
            _check(s, key, getattr(self, key), positive, "must be > 0")
        for key in ("eta_post", "eta_pre", "x_tar", "nu_pre", "nu_post", "a_plus", "a_minus"):
            _check(s, key, getattr(self, key), non_negative, "must be >= 0")


@dataclass
class Schedule:
    dt_ms: float = 0.5
    presentation_ms: float = 350.0
    rest_ms: float = 150.0
    # "reset": replace the rest by an exact reset of all decaying state (faster);
    # "simulate": simulate the rest period with the input off.
    rest_mode: str = "reset"
    # reset mode only: the adaptive threshold also decays over the rest it skips
    # (presentation + rest, as "simulate" decays it); false: over the slot alone
    theta_rest_decay: bool = False
    checkpoint_every: int = 1000   # presentations per compiled chunk / checkpoint
    # time step of the test network (labelling, validation, test); 0: dt_ms.
    # A larger one alters the spikes: check the validation accuracy (docs/speed.md)
    test_dt_ms: float = 0.0
    # floating point of the simulated state: "double" (float64) or "single"
    # (float32: twice the numbers per vector instruction; alters the spikes)
    precision: str = "double"
    # the conductance the membrane step reads: "step_start" (its value where the
    # step starts: 1.27x the model's charge per excitatory event at dt 0.5 ms)
    # or "step_mean" (its mean over the step: the model's charge; docs/model.md)
    v_reads_conductance: str = "step_start"

    def dt_for(self, learning: bool) -> float:
        """The time step (ms) of the learning network or of the test network."""
        return self.dt_ms if learning or not self.test_dt_ms else self.test_dt_ms

    def slot_seconds(self, delay_max_ms: float, learning: bool = True) -> float:
        """Seconds per presentation slot (presentation + rest, or + delay
        settling) in whole steps of the learning or the test network."""
        dt = self.dt_for(learning)
        tail = self.rest_ms if self.rest_mode == "simulate" else delay_max_ms
        return int(round((self.presentation_ms + tail) / dt)) * dt * 1e-3

    def theta_decay_seconds(self, delay_max_ms: float) -> float:
        """Seconds the adaptive threshold decays per slot: the learning
        network's slot, or with ``theta_rest_decay`` in reset mode the
        presentation and the rest the reset stands in for."""
        if self.theta_rest_decay and self.rest_mode == "reset":
            dt = self.dt_ms
            return int(round((self.presentation_ms + max(self.rest_ms, delay_max_ms)) / dt)) * dt * 1e-3
        return self.slot_seconds(delay_max_ms)

    def validate(self, s="schedule"):
        for key in ("dt_ms", "presentation_ms", "checkpoint_every"):
            _check(s, key, getattr(self, key), positive, "must be > 0")
        _check(s, "test_dt_ms", self.test_dt_ms, non_negative, "must be >= 0 (0: dt_ms)")
        for learning in (True, False):    # a presentation of no whole step shows nothing
            dt = self.dt_for(learning)
            _check(s, "presentation_ms", self.presentation_ms, lambda v: round(v / dt) >= 1,
                   f"must be at least one time step ({dt:g} ms)")
        _check(s, "rest_ms", self.rest_ms, non_negative, "must be >= 0")
        _check(s, "rest_mode", self.rest_mode, lambda v: v in REST_MODES,
               "must be 'reset' or 'simulate'")
        _check(s, "theta_rest_decay", self.theta_rest_decay, lambda v: not v or self.rest_mode == "reset",
               "applies to rest_mode 'reset' only (a simulated rest decays theta itself)")
        _check(s, "precision", self.precision, lambda v: v in PRECISIONS,
               "must be 'double' or 'single'")
        _check(s, "v_reads_conductance", self.v_reads_conductance, lambda v: v in CONDUCTANCE_READS,
               "must be 'step_start' or 'step_mean'")


@dataclass
class Compression:
    """STDP-based pruning and weight quantisation (Rathi, Panda & Roy).

    Every ``interval`` training examples (checked at chunk ends, so the
    effective interval is rounded up to whole chunks) the least critical live
    input synapses of each excitatory neuron are pruned until the pruned
    fraction reaches the schedule's sparsity, and the live weights are
    quantised to ``levels`` values in [0, w_max]. The final network is pruned
    to ``target_sparsity`` and quantised. The energy and area constants are a
    model (see docs/compression.md), not measurements.
    """
    enabled: bool = False
    interval: int = 1000             # training examples between prune/quantise steps
    criterion: str = "weight"        # weight | correlation
    target_sparsity: float = 0.5     # fraction of input synapses pruned at the end
    schedule: str = "linear"         # linear: sparsity grows with training; constant
    start_fraction: float = 0.0      # no pruning before this part of training
    ramp_fraction: float = 0.5       # linear: target reached after this part of training
    levels: int = 0                  # weight levels L (0 = full precision)
    quantisation: str = "uniform"    # uniform levels k*w_max/(L-1) | fitted (1-D k-means)
    quantise_during_training: bool = True
    # the column sum normalisation keeps after a pruning step: "retained" = the
    # sum the live weights had (survivors are not scaled up; at 90% sparsity the
    # full sum would push every live weight to w_max), "full" = the full sum
    normalise_to: str = "retained"
    # energy model, pJ per operation (45 nm, Horowitz ISSCC 2014)
    e_add_fp32_pJ: float = 0.9       # one synaptic accumulate, full precision
    e_add_int32_pJ: float = 0.1      # integer add; scaled by bits/32 for b-bit weights
    e_read_per_bit_pJ: float = 0.156  # weight read (10 pJ per 64-bit SRAM word)
    e_neuron_update_pJ: float = 4.6  # one LIF update (~1 fp32 mult + 1 add)
    reference_bits: int = 32         # bits per weight of the dense full-precision network
    # area model: memory cells of one bit; a synapse of L levels needs ceil(log2 L)
    cell_area_um2: float = 0.1       # per one-bit cell
    index_bits: int = 0              # extra bits per kept synapse for a sparse index

    def validate(self, s="compression"):
        _check(s, "interval", self.interval, positive, "must be > 0")
        _check(s, "criterion", self.criterion, lambda v: v in CRITERIA, f"must be one of {CRITERIA}")
        _check(s, "target_sparsity", self.target_sparsity, lambda v: 0 <= v < 1, "must be in [0, 1)")
        _check(s, "schedule", self.schedule, lambda v: v in PRUNE_SCHEDULES,
               f"must be one of {PRUNE_SCHEDULES}")
        _check(s, "ramp_fraction", self.ramp_fraction, lambda v: 0 < v <= 1, "must be in (0, 1]")
        _check(s, "start_fraction", self.start_fraction, lambda v: 0 <= v < self.ramp_fraction,
               "must be in [0, ramp_fraction)")
        _check(s, "levels", self.levels, lambda v: v == 0 or v >= 2, "must be 0 (off) or >= 2")
        _check(s, "quantisation", self.quantisation, lambda v: v in QUANTISERS,
               f"must be one of {QUANTISERS}")
        _check(s, "normalise_to", self.normalise_to, lambda v: v in NORMALISE_TO,
               f"must be one of {NORMALISE_TO}")
        for key in ("e_add_fp32_pJ", "e_add_int32_pJ", "e_read_per_bit_pJ", "e_neuron_update_pJ",
                    "cell_area_um2", "index_bits"):
            _check(s, key, getattr(self, key), non_negative, "must be >= 0")
        _check(s, "reference_bits", self.reference_bits, positive, "must be > 0")


@dataclass
class Spec:
    name: str = "unnamed"
    seed: int = 0
    device: str = "standalone"
    data: Data = field(default_factory=Data)
    input: Input = field(default_factory=Input)
    excitatory: Excitatory = field(default_factory=Excitatory)
    inhibitory: Inhibitory = field(default_factory=Inhibitory)
    connections: Connections = field(default_factory=Connections)
    plasticity: Plasticity = field(default_factory=Plasticity)
    schedule: Schedule = field(default_factory=Schedule)
    compression: Compression = field(default_factory=Compression)

    SECTIONS = ("data", "input", "excitatory", "inhibitory", "connections", "plasticity",
                "schedule", "compression")

    def validate(self) -> "Spec":
        check_run(self.name, self.seed, self.device)
        for name in self.SECTIONS:
            getattr(self, name).validate(name)
        if self.schedule.rest_mode == "simulate":
            _check("schedule", "rest_ms", self.schedule.rest_ms,
                   lambda v: v >= self.connections.delay_max_ms,
                   "must be >= connections.delay_max_ms so no spike is in flight at the next example")
        if self.compression.enabled:    # one step per chunk end: a shorter interval would skip steps
            _check("compression", "interval", self.compression.interval,
                   lambda v: v >= self.schedule.checkpoint_every,
                   f"must be at least schedule.checkpoint_every ({self.schedule.checkpoint_every}): steps "
                   "run at chunk ends, one per chunk")
        if self.schedule.test_dt_ms:
            delays = self.connections.delay_max_ms
            _check("schedule", "test_dt_ms", self.schedule.test_dt_ms,
                   lambda v: abs(self.schedule.slot_seconds(delays, False)
                                 - self.schedule.slot_seconds(delays, True)) < 1e-9,
                   "must divide the slot (presentation plus rest or delays) into whole steps, "
                   "as dt_ms does, so both networks' slots last as long")
        return self

    def inert(self, key: str) -> str | None:
        """Why changing the dotted ``key`` would change nothing in this spec
        (None: it acts), for --set and sweep cells."""
        section, _, name = key.partition(".")
        if section == "compression" and name != "enabled" and not self.compression.enabled:
            return ("compression is off (compression.enabled = false): add --set compression.enabled=true "
                    "(a sweep's --prune and --levels switch it on)")
        return None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes) -> "Spec":
        return dataclasses.replace(self, **changes).validate()


def _build(cls, table: dict, where: str):
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}{key}: unknown key (known: {', '.join(sorted(known))})")
        f = known[key]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{key}: must be a table [{key}]")
            kwargs[key] = _build(type(default), value, f"{key}.")
            continue
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{where}{key}: must be {expected.__name__}, got {value!r}")
        if expected is float and not math.isfinite(value):
            raise ConfigError(f"{where}{key}: must be finite, got {value!r}")
        kwargs[key] = value
    return cls(**kwargs)


def spec_from_dict(table: dict) -> Spec:
    return _build(Spec, table, "").validate()


def load_spec(path: str | Path) -> Spec:
    """A spec file; it must name its run (``name``), every other key has a default."""
    path = Path(path)
    table = read_toml(path)
    try:
        if {"image_spec", "audio_spec"} & set(table):
            raise ConfigError("an audio-visual spec (it names image_spec and audio_spec), not one "
                              "ensemble's: run it with `stdpnet multimodal`")
        if "name" not in table:
            raise ConfigError("name: missing (the run's name; its folder is runs/<name>)")
        return spec_from_dict(table)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def dump_spec(spec: Spec) -> str:
    """TOML text of a spec."""
    return dump_toml(spec.to_dict())
