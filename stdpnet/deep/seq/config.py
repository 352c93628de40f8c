"""Sequence specs (``networks/deep_seq_*.toml``), checked at the edge.

Every table and key has a default below; a spec names only what it changes.
An unknown key, a wrong type or an out-of-range value is a ``ConfigError``
naming the file and the dotted key.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import ConfigError
from ...spec.toml import read_toml
from ..config import check_common, overlay

MODELS = ("lite", "srnn", "lstm", "gru", "tcn")
TASKS = ("mnist_rows", "mnist_pixels", "fsdd", "nmnist", "synthetic_event_mnist")
MNIST_TASKS = ("mnist_rows", "mnist_pixels")

DEFAULTS: dict = {
    "name": "seq",
    "seed": 0,
    "model_kind": "lite",         # lite | srnn | lstm | gru | tcn (--model overrides)
    "data": {
        "task": "mnist_rows",     # mnist_rows | mnist_pixels | fsdd | nmnist | synthetic_event_mnist
        "root": "",               # "" = $STDPNET_DATASETS or ./datasets (FSDD: also ../shared)
        "permute": False,         # mnist_pixels: one fixed random pixel order
        "pixel_steps": 784,       # mnist_pixels: sequence length (784 / pixel_steps pixels per step)
        "augment": False,         # MNIST tasks: each training digit shifted by up to 2 px
        "permutation_seed": 0,
        "validation_examples": 5000,  # the last K training sequences (fsdd: validation_speakers)
        "train_limit": 0,         # 0 = the whole split
        "test_limit": 0,
        "batch_size": 64,
        "eval_batch_size": 500,
    },
    "fsdd": {
        "test_speakers": ["theo"],
        "validation_speakers": ["nicolas"],
        "feature": "logmel",      # logmel | mfcc | cochlea
        "frames": 40,             # sequence steps (each utterance stretched to this)
        "bands": 20,              # features per step
        "trim_db": 0.0,           # > 0: drop the silence around the word (frames this far below the loudest)
        "perturb": [],            # training recordings also added played at these speeds (e.g. [0.9, 1.1])
        "extra_root": "",         # every recording of this folder (FSDD layout; "synth_digits": the
                                  # folder of `stdpnet data synth-digits`) joins training only
        "standardise": "none",    # none (features in [0, 1]) | speaker: each speaker's own mean and sd
    },
    "events": {
        "steps": 10,              # time bins per stream
        "pool": 2,                # sum-pool the pixel grid by this factor
        "threshold": 0.25,        # synthetic: log-intensity change per event
        "motion_px": 1.5,         # synthetic: saccade amplitude in pixels
    },
    "model": {
        "channels": [64, 64],     # lite / tcn: widths of the temporal convolutions
        "kernel": 3,              # lite / tcn: temporal kernel (causal)
        "stride": 1,              # lite / tcn: steps each convolution advances (1..kernel)
        "substeps": 1,            # lite: neuron steps per sequence step (spike counts 0..substeps)
        "batch_norm": True,       # lite / tcn: batch norm after each convolution
        "hidden": [128],          # srnn / lstm / gru: hidden widths (one per layer)
        "match_parameters": True,  # srnn / lstm / gru / tcn: width scaled to LITE-SNN's parameter count
        "attention": True,        # lite
        "causal": True,           # lite: step t attends to steps <= t only
        "attention_window": 0,    # lite: attend to the last K steps only (0 = all)
        "heads": 1,
        "positions": "none",      # lite: "sinusoidal" adds each step's position code to its query and key
        "readout": "mean",        # lite / tcn: mean of the per-step outputs, or the last step's
        "leak": 1.0,              # initial leak of every LIF layer
        "threshold": 1.0,         # initial threshold
        "gamma": 0.3,             # height of the linear surrogate
        "train_leak": True,
        "train_threshold": True,
        "dropout": 0.0,
    },
    "train": {
        "epochs": 3,
        "lr": 1e-3,
        "optimizer": "adam",      # adam | sgd
        "weight_decay": 0.0,
        "schedule": "cosine",     # cosine | step | none
        "grad_clip": 1.0,         # max gradient norm (0 = none)
    },
}

CHOICES = {
    "model_kind": MODELS,
    "data.task": TASKS,
    "fsdd.feature": ("logmel", "mfcc", "cochlea"),
    "fsdd.standardise": ("none", "speaker"),
    "model.readout": ("mean", "last"),
    "model.positions": ("none", "sinusoidal"),
    "train.optimizer": ("adam", "sgd"),
    "train.schedule": ("cosine", "step", "none"),
}
POSITIVE = {"data.batch_size", "data.eval_batch_size", "fsdd.frames", "fsdd.bands",
            "events.steps", "events.pool", "events.threshold", "model.kernel", "model.stride",
            "model.substeps", "model.heads",
            "model.threshold", "model.gamma", "train.epochs", "train.lr", "data.pixel_steps"}
NON_NEGATIVE = {"data.validation_examples", "data.train_limit", "data.test_limit",
                "events.motion_px", "model.attention_window", "train.weight_decay",
                "train.grad_clip", "data.permutation_seed", "fsdd.trim_db"}
UNIT_INTERVAL = {"model.leak"}


def _get(cfg, dotted):
    table, _, key = dotted.partition(".")
    return cfg[table][key] if key else cfg[table]


def merge(spec: dict, where: str = "spec") -> dict:
    """Defaults overlaid with ``spec``, type- and range-checked."""
    cfg = overlay(DEFAULTS, spec, where)
    validate(cfg, where)
    return cfg


def validate(cfg: dict, where: str) -> None:
    check_common(cfg, where)
    for dotted, options in CHOICES.items():
        if _get(cfg, dotted) not in options:
            raise ConfigError(f"{where}: {dotted} must be one of {', '.join(options)}, "
                              f"got {_get(cfg, dotted)!r}")
    for dotted in POSITIVE:
        if not _get(cfg, dotted) > 0:
            raise ConfigError(f"{where}: {dotted} must be > 0, got {_get(cfg, dotted)!r}")
    for dotted in NON_NEGATIVE:
        if _get(cfg, dotted) < 0:
            raise ConfigError(f"{where}: {dotted} must be >= 0, got {_get(cfg, dotted)!r}")
    for dotted in UNIT_INTERVAL:
        if not 0 <= _get(cfg, dotted) <= 1:
            raise ConfigError(f"{where}: {dotted} must be in [0, 1], got {_get(cfg, dotted)!r}")
    for dotted in ("fsdd.frames", "fsdd.bands"):   # a spectrogram of one frame or band is no sequence
        if _get(cfg, dotted) < 2:
            raise ConfigError(f"{where}: {dotted} must be >= 2, got {_get(cfg, dotted)!r}")
    if not 0 <= _get(cfg, "model.dropout") < 1:   # 1 drops every unit: nothing learns
        raise ConfigError(f"{where}: model.dropout must be in [0, 1), got {_get(cfg, 'model.dropout')!r}")
    for dotted in ("model.channels", "model.hidden"):
        v = _get(cfg, dotted)
        if not v or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in v):
            raise ConfigError(f"{where}: {dotted} must be a non-empty list of positive "
                              f"integers, got {v!r}")
    for dotted in ("fsdd.test_speakers", "fsdd.validation_speakers"):
        v = _get(cfg, dotted)
        if not v or not all(isinstance(s, str) and s for s in v):
            raise ConfigError(f"{where}: {dotted} must be a non-empty list of speaker names, "
                              f"got {v!r}")
    v = cfg["fsdd"]["perturb"]
    if not isinstance(v, list) or not all(isinstance(f, (int, float)) and not isinstance(f, bool)
                                          and 0 < f != 1 for f in v):
        raise ConfigError(f"{where}: fsdd.perturb must list speed factors > 0 other than 1 "
                          f"(e.g. [0.9, 1.1]), got {v!r}")
    if cfg["fsdd"]["extra_root"] and cfg["data"]["task"] != "fsdd":
        raise ConfigError(f"{where}: fsdd.extra_root adds training voices to the fsdd task, "
                          f"not to {cfg['data']['task']!r}")
    if set(cfg["fsdd"]["test_speakers"]) & set(cfg["fsdd"]["validation_speakers"]):
        raise ConfigError(f"{where}: fsdd.test_speakers and fsdd.validation_speakers overlap")
    if cfg["data"]["augment"] and cfg["data"]["task"] not in MNIST_TASKS:
        raise ConfigError(f"{where}: data.augment shifts MNIST digits; it applies to "
                          f"{' and '.join(MNIST_TASKS)}, not to {cfg['data']['task']!r}")
    pixel_keys = {"data.permute": False, "data.permutation_seed": 0, "data.pixel_steps": 784}
    for dotted, default in pixel_keys.items():
        if dotted == "data.permutation_seed" and cfg["data"]["task"] == "synthetic_event_mnist":
            continue   # (there it seeds the digits' motions)
        if cfg["data"]["task"] != "mnist_pixels" and _get(cfg, dotted) != default:
            raise ConfigError(f"{where}: {dotted} orders or cuts MNIST's pixels; it applies to "
                              f"mnist_pixels, not to {cfg['data']['task']!r} (where it would be ignored)")
    if 784 % cfg["data"]["pixel_steps"]:
        raise ConfigError(f"{where}: data.pixel_steps must divide 784 (e.g. 28, 112, 392, 784), "
                          f"got {cfg['data']['pixel_steps']!r}")
    if cfg["model"]["stride"] > cfg["model"]["kernel"]:
        raise ConfigError(f"{where}: model.stride ({cfg['model']['stride']}) must not exceed "
                          f"model.kernel ({cfg['model']['kernel']}): a convolution would skip steps")
    if cfg["model"]["channels"][-1] % cfg["model"]["heads"]:
        raise ConfigError(f"{where}: model.heads ({cfg['model']['heads']}) must divide the last "
                          f"of model.channels ({cfg['model']['channels'][-1]})")


def load_spec(path: str | Path) -> dict:
    return merge(read_toml(path), str(path))
