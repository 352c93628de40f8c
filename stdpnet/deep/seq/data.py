"""Sequence tasks as tensors (N, steps, features) with int64 labels.

* ``mnist_rows``: an MNIST digit read row by row (28 steps of 28 pixels).
  With ``data.augment`` (both MNIST tasks) each training digit is shifted by
  up to 2 pixels (``digit_shifts``).
* ``mnist_pixels``: pixel by pixel (784 steps of 1), with ``data.permute`` in
  one fixed random order (``data.permutation_seed``); ``data.pixel_steps``
  shorter sequences of several consecutive pixels per step (the same digit
  read in 28 ... 784 steps: how far a recurrence carries).
* ``fsdd``: spoken digits (FSDD layout) as frames of audio features; the
  speakers of ``fsdd.test_speakers`` are the test set, those of
  ``fsdd.validation_speakers`` are held out of training for validation.
  With ``fsdd.perturb`` the training recordings are added again at each
  speed factor (``speed_perturb``: pitch and formants scale as another
  vocal tract's would); validation and test stay as recorded. With
  ``fsdd.extra_root`` every recording of another folder (other voices, e.g.
  the synthetic ones) joins the training split, speed copies included.
  With ``fsdd.standardise = "speaker"`` every feature is standardised with
  its speaker's mean and sd over all of that speaker's recordings (speed
  copies included; a test speaker's from its own, unlabelled).
* ``nmnist``: N-MNIST event streams (``<root>/nmnist/Train|Test/<digit>/<index>.bin``)
  binned into ``events.steps`` frames of OFF/ON counts.
* ``synthetic_event_mnist``: MNIST digits moved and turned into OFF/ON
  events here (``events.synthetic_events``); not a recording.

Validation is carved from the training side (the last
``data.validation_examples`` sequences, or whole speakers for FSDD); the test
split is another set. Event counts stay uint8; the models take floats.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

from ...errors import ConfigError, DataError
from ...data.dataset import scored_subset
from ...data.paths import datasets_root, folder_state, shared_datasets
from . import events as ev

SPLITS = ("train", "validation", "test")


def _mnist(cfg, part):
    from ...data.mnist import load_mnist

    images, labels = load_mnist(part, root=cfg["data"]["root"] or None)
    return torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0), \
        torch.from_numpy(np.asarray(labels, dtype=np.int64))


def pixel_order(cfg) -> torch.Tensor | None:
    d = cfg["data"]
    if d["task"] != "mnist_pixels" or not d["permute"]:
        return None
    return torch.randperm(784, generator=torch.Generator().manual_seed(d["permutation_seed"]))


def digit_shifts(cfg):
    """With ``data.augment``: a function (batch, generator) -> batch that
    moves each training digit by up to 2 pixels in each direction (zero
    filled, as the image path's MNIST augmentation), taking the sequences
    back to images and the same steps again, through the pixel order if
    permuted. None without."""
    if not cfg["data"]["augment"]:
        return None
    from ..data import AUGMENT, augment

    order = pixel_order(cfg)
    inverse = None if order is None else torch.argsort(order)

    def shift(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        flat = x.reshape(len(x), 784)
        if inverse is not None:
            flat = flat[:, inverse]
        moved = augment(flat.reshape(-1, 1, 28, 28), generator, **AUGMENT["mnist"])
        flat = moved.reshape(len(x), 784)
        if order is not None:
            flat = flat[:, order]
        return flat.reshape(x.shape)

    return shift


def _as_sequences(cfg, images):
    task = cfg["data"]["task"]
    if task == "mnist_rows":
        return images
    if task == "mnist_pixels":
        x = images.reshape(len(images), 784)
        order = pixel_order(cfg)
        steps = cfg["data"]["pixel_steps"]
        return (x if order is None else x[:, order]).reshape(len(x), steps, 784 // steps)
    e = cfg["events"]
    return ev.synthetic_events(images, e["steps"], e["threshold"], e["motion_px"], e["pool"],
                               seed=cfg["data"]["permutation_seed"])


def fsdd_root(cfg) -> Path:
    """data.root, else the local FSDD copy, else the shared one beside the checkout."""
    from ...data.fsdd import default_root

    if cfg["data"]["root"]:
        return Path(cfg["data"]["root"])
    root = default_root()
    shared = shared_datasets()
    if not root.is_dir() and shared and (shared / "fsdd" / "recordings").is_dir():
        root = shared / "fsdd" / "recordings"
    return root


@functools.lru_cache(maxsize=4)
def _fsdd(root: str, test: tuple, feature: str, frames: int, bands: int, trim_db: float,
          state: str, part: str = "train"):
    """The recordings of ``part``, all under the ``train_*`` keys: 'train',
    every speaker but ``test``'s (training and validation); 'test', only
    theirs, so that no run reads the test voices before it scores them.
    ``state``: the folder's ``folder_state`` (a rewritten file is read again)."""
    from ...data.audio import build_dataset
    from ...data.fsdd import list_fsdd

    names = sorted({r.speaker for r in list_fsdd(root)})
    missing = sorted(set(test) - set(names))
    if missing:
        raise DataError(f"fsdd.test_speakers {missing} are not among the speakers {names}")
    keep = [s for s in names if (s in test) == (part == "test")]
    if not keep:
        raise DataError(f"fsdd.test_speakers {list(test)} leave no speaker for training")
    return build_dataset(list_fsdd(root, keep), [], Path(root), feature, bands, frames,
                         return_waveforms=True, trim_db=trim_db)


def _fsdd_extra(key: tuple, extra_root: str) -> dict:
    """The recordings of ``fsdd.extra_root``'s folder, featurised as the main
    folder's; its speakers must be other than the main folder's."""
    from ...data.fsdd import other_voices

    main = _fsdd(*key)
    return other_voices(extra_root, main["features"], main["train_speakers"] + list(key[1]),
                        "fsdd.extra_root")


@functools.lru_cache(maxsize=2)
def _fsdd_speed_copies(key: tuple, validation: tuple, factors: tuple, extra_root: str):
    """Features, labels and speakers of the training recordings (the
    training speakers', not ``validation``'s, then the extra folder's)
    played at each speed of ``factors``, in that order."""
    from ...data.audio import speed_perturb

    out = _fsdd(*key)
    keep = ~np.isin(out["train_speakers"], validation)
    waves, labels = [w for w, k in zip(out["train_waveforms"], keep) if k], out["train_y"][keep]
    speakers = list(np.asarray(out["train_speakers"])[keep])
    if extra_root:
        extra = _fsdd_extra(key, extra_root)
        waves, labels = waves + extra["train_waveforms"], np.concatenate([labels, extra["train_y"]])
        speakers += list(extra["train_speakers"])
    xs = [out["features"].transform([speed_perturb(w, f, out["sample_rate"]) for w in waves])
          for f in factors]
    return np.concatenate(xs), np.tile(labels, len(factors)), speakers * len(factors)


def _fsdd_split(cfg, split):
    """(sequences, labels) of ``split``; with ``fsdd.standardise = "speaker"``
    each row standardised with its speaker's statistics over every split's
    recordings of that speaker (speed copies included; no labels used)."""
    from ...data.encode import speaker_statistics, standardise_by_speaker

    f = cfg["fsdd"]
    x, y, speakers = _fsdd_rows(cfg, split)
    if f["standardise"] == "speaker":
        # a speaker's statistics are its own recordings': the test voices' only for the test split
        every = [_fsdd_rows(cfg, part) for part in (("test",) if split == "test" else ("train", "validation"))]
        stats = speaker_statistics(np.concatenate([rows for rows, _, _ in every]),
                                   [s for _, _, who in every for s in who])
        x = standardise_by_speaker(x, speakers, stats, "fsdd.standardise")
    x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).reshape(-1, f["frames"], f["bands"])
    return x, torch.from_numpy(np.asarray(y, dtype=np.int64))


def _fsdd_rows(cfg, split):
    """(features, labels, speakers) of ``split``, one row per recording."""
    from ...data.synth import named_folder

    f = cfg["fsdd"]
    root = fsdd_root(cfg)
    key = (str(root), tuple(f["test_speakers"]), f["feature"], f["frames"], f["bands"],
           float(f["trim_db"]), folder_state(root))
    extra_root = str(named_folder(f["extra_root"])) if f["extra_root"] else ""
    factors = tuple(float(v) for v in f["perturb"])
    out = _fsdd(*key, "test" if split == "test" else "train")
    if split == "test":
        x, y, speakers = out["train_x"], out["train_y"], list(out["train_speakers"])
    else:
        held = np.isin(out["train_speakers"], f["validation_speakers"])
        if not held.any():
            raise DataError(f"fsdd.validation_speakers {f['validation_speakers']} are not among "
                            f"the training speakers {sorted(set(out['train_speakers']))}")
        if held.all():
            raise DataError("fsdd.validation_speakers leave no speaker for training")
        pick = held if split == "validation" else ~held
        x, y = out["train_x"][pick], out["train_y"][pick]
        speakers = list(np.asarray(out["train_speakers"])[pick])
        if split == "train" and extra_root:
            extra = _fsdd_extra(key, extra_root)
            x, y = np.concatenate([x, extra["train_x"]]), np.concatenate([y, extra["train_y"]])
            speakers += list(extra["train_speakers"])
        if split == "train" and factors:
            copies_x, copies_y, copies_speakers = _fsdd_speed_copies(
                key, tuple(f["validation_speakers"]), factors, extra_root)
            x, y = np.concatenate([x, copies_x]), np.concatenate([y, copies_y])
            speakers += copies_speakers
    return x, y, speakers


def _nmnist_root(cfg) -> Path:
    return Path(cfg["data"]["root"] or datasets_root()) / "nmnist"


def _carve(cfg, n_total, split):
    """Index range of ``split`` within the training side of ``n_total`` sequences."""
    d = cfg["data"]
    k = d["validation_examples"]
    if not 0 < k < n_total:
        raise ConfigError(f"data.validation_examples: must be in 1 .. {n_total - 1} (the "
                          f"training side has {n_total} sequences), got {k}")
    if split == "validation":
        return slice(n_total - k, n_total)
    n = n_total - k
    return slice(0, min(n, d["train_limit"]) if d["train_limit"] else n)


def check_test_split(cfg: dict) -> None:
    """Say now, not after training, when the test files a run will score are
    missing (N-MNIST keeps them in a folder of their own); nothing is read."""
    if cfg["data"]["task"] == "nmnist":
        ev.list_nmnist(_nmnist_root(cfg), "test")


def load_split(cfg: dict, split: str):
    """(sequences (N, steps, features), labels) of ``split``: train, validation
    (carved from the training side; every choice is made on it) or test
    (read once, at the end)."""
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    d = cfg["data"]
    task = d["task"]
    limit = d["test_limit"] if split == "test" else d["train_limit"]
    if task == "fsdd":
        x, y = _fsdd_split(cfg, split)
        if limit and split != "validation":   # every digit in its share (the rows go digit by digit)
            keep = torch.from_numpy(scored_subset(y.numpy(), limit))
            x, y = x[keep], y[keep]
        return x, y
    if task == "nmnist":
        root = _nmnist_root(cfg)
        e = cfg["events"]
        if split == "test":
            return ev.load_nmnist(root, "test", e["steps"], e["pool"], limit)
        files = ev.list_nmnist(root, "train")
        x, y = ev.load_nmnist(root, "train", e["steps"], e["pool"])
        part = _carve(cfg, len(files), split)
        return x[part], y[part]
    if split == "test":
        images, labels = _mnist(cfg, "test")
        if limit:
            images, labels = images[:limit], labels[:limit]
    else:
        images, labels = _mnist(cfg, "train")
        part = _carve(cfg, len(images), split)
        images, labels = images[part], labels[part]
    return _as_sequences(cfg, images), labels


def describe(cfg: dict, x: torch.Tensor) -> dict:
    """Steps, features per step and classes of a task's sequences."""
    return {"task": cfg["data"]["task"], "steps": int(x.shape[1]), "features": int(x.shape[2]),
            "classes": 10, "synthetic": cfg["data"]["task"] == "synthetic_event_mnist"}
