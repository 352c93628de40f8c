"""Deep-path specs: TOML files in networks/deep_*.toml, checked at the edge.

Every table and key has a default below; a spec names only what it changes.
An unknown key, a wrong type or an out-of-range value is a ``ConfigError``
naming the file and the dotted key.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path

from ..errors import ConfigError
from ..spec.ensemble import RUN_NAME
from ..spec.grid import MAX_SEED
from ..spec.toml import read_toml

DEFAULTS: dict = {
    "name": "deep",
    "seed": 0,
    "data": {
        "dataset": "mnist",       # mnist | cifar10 | cifar100
        "root": "",               # "" = $STDPNET_DATASETS or ./datasets
        "augment": False,         # random shifts (MNIST: 2 px) and, CIFAR only, flips
        "validation_images": 5000,  # the last K training images: every choice is made on them
        "train_limit": 0,         # 0 = the whole split
        "test_limit": 0,
        "batch_size": 64,
        "eval_batch_size": 500,
    },
    "model": {
        "arch": "vgg",            # vgg | resnet | vgg5 | vgg9 | vgg11 | vgg16 | resnet8 | resnet20 | resnet18
        "features": [16, "A", 32, 32, "A"],
        "classifier": [128],
        "stem": 16,               # resnet only
        "stages": [16, 32, 64],
        "blocks": 1,
        "width": 1.0,             # multiplies every channel and hidden width
        "batch_norm": False,
        "dropout": 0.0,
    },
    "ann": {
        "epochs": 3,
        "lr": 1e-3,
        "optimizer": "adam",      # adam | sgd
        "momentum": 0.9,
        "weight_decay": 0.0,
        "schedule": "cosine",     # cosine | step | none
    },
    "convert": {
        "percentile": 99.99,      # of the positive pre-activations; 100 = the maximum
        "calibration_samples": 2048,
        "timesteps": [4, 8, 16, 32, 64, 128, 256],
        "encoding": "direct",     # direct | poisson
    },
    "stdb": {
        "timesteps": 5,
        "epochs": 2,
        "lr": 1e-4,
        "alpha": 0.3,
        "beta": 0.01,
        "leak": 1.0,
        "encoding": "direct",
        "threshold_scale": 1.0,   # converted thresholds times this; < 1 wakes a converted net up at low T
    },
    "diet": {
        "timesteps": 5,
        "epochs": 2,
        "lr": 1e-4,
        "gamma": 0.3,
        "leak": 1.0,              # initial leak; trained with the thresholds
        "threshold_scale": 1.0,
    },
    "iir": {
        "start": 5,
        "stop": 1,
        "epochs": 1,              # per stage T-1
        "final_epochs": 0,        # epochs of the last stage (T = stop); 0 = epochs
        "lr": 1e-4,
        "final_lr": 0.0,          # learning rate of the last stage; 0 = lr
        "gamma": 0.3,             # linear-surrogate height in the T-1 stages
    },
    "snn": {
        "optimizer": "adam",
        "weight_decay": 0.0,
        "schedule": "cosine",
        "eval_timesteps": [1, 2, 3, 4, 5],   # extra accuracy-vs-T points after training
    },
    "attack": {
        "eps": [0.05, 0.1, 0.2],
        "pgd_steps": 10,
        "pgd_step_size": 0.0,     # 0 = 2.5 * eps / pgd_steps
        "limit": 500,             # test images attacked
        "source": "",             # run crafting black-box examples ("" = first target)
        "targets": [],            # [{name, run, encoding?, timesteps?, leak?}]
    },
}

CHOICES = {
    "data.dataset": ("mnist", "cifar10", "cifar100"),
    "model.arch": ("vgg", "resnet", "vgg5", "vgg9", "vgg11", "vgg16", "resnet8", "resnet20",
                   "resnet18"),
    "ann.optimizer": ("adam", "sgd"),
    "snn.optimizer": ("adam", "sgd"),
    "ann.schedule": ("cosine", "step", "none"),
    "snn.schedule": ("cosine", "step", "none"),
    "convert.encoding": ("direct", "poisson"),
    "stdb.encoding": ("direct", "poisson"),
}
POSITIVE = {"data.batch_size", "data.eval_batch_size", "ann.epochs", "ann.lr", "model.width",
            "convert.calibration_samples", "stdb.timesteps", "diet.timesteps", "stdb.lr",
            "diet.lr", "iir.lr", "iir.start", "iir.stop", "attack.pgd_steps", "attack.limit",
            "stdb.threshold_scale", "diet.threshold_scale", "model.blocks", "model.stem",
            "stdb.alpha", "diet.gamma", "iir.gamma",   # surrogate heights: 0 or less learns nothing or backwards
            "data.validation_images"}                  # every choice is made on them
NON_NEGATIVE = {"data.train_limit", "data.test_limit", "stdb.epochs", "diet.epochs",
                "iir.epochs", "iir.final_epochs", "iir.final_lr", "ann.weight_decay", "snn.weight_decay", "attack.pgd_step_size",
                "stdb.beta", "ann.momentum"}
UNIT_INTERVAL = {"stdb.leak", "diet.leak"}
TARGET_KEYS = {"name": str, "run": str, "encoding": str, "timesteps": int, "leak": float}


def _check_type(key, value, default, where):
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(f"{where}: {key} must be {type(default).__name__}, got {value!r}")
    return float(value) if isinstance(default, float) else value


def merge(spec: dict, where: str = "spec") -> dict:
    """Defaults overlaid with ``spec``, type- and range-checked."""
    cfg = overlay(DEFAULTS, spec, where)
    validate(cfg, where)
    return cfg


def overlay(defaults: dict, spec: dict, where: str) -> dict:
    """A copy of ``defaults`` (tables one level deep) with ``spec``'s values,
    each of a known key and of its default's type."""
    cfg = copy.deepcopy(defaults)
    for key, value in spec.items():
        if key not in cfg:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(defaults)})")
        if isinstance(cfg[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [{key}] must be a table")
            for sub, v in value.items():
                if sub not in cfg[key]:
                    raise ConfigError(f"{where}: unknown key {key}.{sub} "
                                      f"(known: {', '.join(cfg[key])})")
                cfg[key][sub] = _check_type(f"{key}.{sub}", v, cfg[key][sub], where)
        else:
            cfg[key] = _check_type(key, value, cfg[key], where)
    return cfg


def check_common(cfg: dict, where: str) -> None:
    """What every Torch-path spec needs: a name that is one plain folder name
    (the run goes to runs/<name>-...), a seed in the range of every stdpnet
    spec (0 .. MAX_SEED), and finite numbers only (a NaN rate trains to NaN
    and says nothing)."""
    name = cfg["name"]
    if not RUN_NAME.match(name) or ".." in name:
        raise ConfigError(f"{where}: name {name!r} must be a plain folder name (letters, digits, '.', "
                          "'_', '+', '-'; no path separators, no '..', at most 128 characters)")
    if not 0 <= cfg["seed"] <= MAX_SEED:
        raise ConfigError(f"{where}: seed must be in 0 .. {MAX_SEED}, got {cfg['seed']}")
    for key, value in cfg.items():
        for sub, v in (value.items() if isinstance(value, dict) else [(None, value)]):
            items = v if isinstance(v, list) else [v]
            if any(isinstance(x, float) and not math.isfinite(x) for x in items):
                raise ConfigError(f"{where}: {key}{'.' + sub if sub else ''} must be finite, got {v!r}")


def validate(cfg: dict, where: str) -> None:
    check_common(cfg, where)

    def get(dotted):
        table, key = dotted.split(".")
        return cfg[table][key]

    for dotted, options in CHOICES.items():
        if get(dotted) not in options:
            raise ConfigError(f"{where}: {dotted} must be one of {', '.join(options)}, "
                              f"got {get(dotted)!r}")
    for dotted in POSITIVE:
        if not get(dotted) > 0:
            raise ConfigError(f"{where}: {dotted} must be > 0, got {get(dotted)!r}")
    from .data import INFO
    dataset, held = cfg["data"]["dataset"], cfg["data"]["validation_images"]
    total = INFO[dataset]["train_images"]
    if held >= total:
        raise ConfigError(f"{where}: data.validation_images must be below the {total} training images "
                          f"of {dataset}, got {held}")
    for dotted in NON_NEGATIVE:
        if get(dotted) < 0:
            raise ConfigError(f"{where}: {dotted} must be >= 0, got {get(dotted)!r}")
    for dotted in UNIT_INTERVAL:
        if not 0 <= get(dotted) <= 1:
            raise ConfigError(f"{where}: {dotted} must be in [0, 1], got {get(dotted)!r}")
    if not 0 <= cfg["model"]["dropout"] < 1:   # 1 would drop every unit (and scale by 1/0)
        raise ConfigError(f"{where}: model.dropout must be in [0, 1), got {cfg['model']['dropout']!r}")
    if not 0 < cfg["convert"]["percentile"] <= 100:
        raise ConfigError(f"{where}: convert.percentile must be in (0, 100], "
                          f"got {cfg['convert']['percentile']!r}")
    if cfg["iir"]["stop"] > cfg["iir"]["start"]:
        raise ConfigError(f"{where}: iir.stop ({cfg['iir']['stop']}) must be <= iir.start "
                          f"({cfg['iir']['start']})")
    for dotted in ("convert.timesteps", "snn.eval_timesteps"):
        ts = get(dotted)
        if not ts or not all(isinstance(t, int) and not isinstance(t, bool) and t > 0 for t in ts):
            raise ConfigError(f"{where}: {dotted} must be a non-empty list of positive "
                              f"integers, got {ts!r}")
    eps = cfg["attack"]["eps"]
    if not eps or not all(isinstance(e, (int, float)) and 0 <= e <= 1 for e in eps):
        raise ConfigError(f"{where}: attack.eps must be a non-empty list of numbers in [0, 1], "
                          f"got {eps!r}")
    m = cfg["model"]
    for v in m["features"]:
        if not (v == "A" or (isinstance(v, int) and not isinstance(v, bool) and v > 0)):
            raise ConfigError(f"{where}: model.features entries must be positive integers "
                              f"(conv channels) or \"A\" (average pool), got {v!r}")
    for key in ("classifier", "stages"):
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in m[key]):
            raise ConfigError(f"{where}: model.{key} must list positive integers, got {m[key]!r}")
    if not m["stages"] and m["arch"] == "resnet":
        raise ConfigError(f"{where}: model.stages must list at least one stage width, got []")
    if m["arch"].startswith("vgg"):
        from .models import VGG_PRESETS
        features = m["features"] if m["arch"] == "vgg" else VGG_PRESETS[m["arch"]][0]
        size, pools = INFO[cfg["data"]["dataset"]]["image_size"], features.count("A")
        if size >> pools == 0:
            raise ConfigError(f"{where}: model: {pools} average poolings (\"A\" in {m['arch']}'s features) "
                              f"halve the {size}x{size} images of {cfg['data']['dataset']} to nothing "
                              f"(at most {size.bit_length() - 1})")
    names = [t.get("name") for t in cfg["attack"]["targets"] if isinstance(t, dict)]
    repeated = sorted({n for n in names if n is not None and names.count(n) > 1})
    if repeated:   # each names a row of the table and its cells' keys
        raise ConfigError(f"{where}: attack.targets: the name {repeated[0]!r} is given to "
                          f"{names.count(repeated[0])} targets; each needs its own")
    for i, target in enumerate(cfg["attack"]["targets"]):
        label = f"attack.targets[{i}]"
        if not isinstance(target, dict):
            raise ConfigError(f"{where}: {label} must be a table")
        for k, v in target.items():
            if k not in TARGET_KEYS:
                raise ConfigError(f"{where}: unknown key {label}.{k} "
                                  f"(known: {', '.join(TARGET_KEYS)})")
            expected = TARGET_KEYS[k]
            if expected is float and isinstance(v, int) and not isinstance(v, bool):
                v = target[k] = float(v)
            if not isinstance(v, expected) or isinstance(v, bool):
                raise ConfigError(f"{where}: {label}.{k} must be {expected.__name__}, got {v!r}")
        for k in ("name", "run"):
            if k not in target:
                raise ConfigError(f"{where}: {label} needs a {k!r}")
        if target.get("timesteps", 1) < 1:
            raise ConfigError(f"{where}: {label}.timesteps must be >= 1, got {target['timesteps']}")
        if not 0.0 <= target.get("leak", 1.0) <= 1.0:
            raise ConfigError(f"{where}: {label}.leak must be in [0, 1], got {target['leak']}")
        if target.get("encoding", "direct") not in ("direct", "poisson"):
            raise ConfigError(f"{where}: {label}.encoding must be direct or poisson, "
                              f"got {target['encoding']!r}")


def load_spec(path: str | Path) -> dict:
    return merge(read_toml(path), str(path))
