"""Datasets for the engine: flat input arrays (0..255) with integer labels,
loaded from a spec's [data] section (``load_dataset``; the image datasets
beyond MNIST are ``image_sets``, the encoders of audio features ``encode``)."""
from __future__ import annotations

import functools
import re
from pathlib import Path, PurePath

import numpy as np

from ..errors import ConfigError, DataError
from ..spec import Data
from ..spec.ensemble import SPOKEN_DIGITS
from ..streams import stream_seed
from .dataset import Dataset, carve, equal_totals, last_mask, n_classes_of, refitted
from .encode import audio_encoder
from .image_sets import is_image_set, load_image_set
from .paths import folder_state

SYNTHETIC_SIZE = 1000   # examples of a synthetic part whose count the spec leaves at 0 (all)


def bars(n: int, size: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Tiny synthetic set: a bright two-pixel-wide horizontal (class 0) or
    vertical (class 1) bar at a random position, on a faint noisy background."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.integers(0, 20, (n, size, size)).astype(np.float64)
    if n == 0:
        return images.reshape(0, size * size), labels.astype(np.int64)
    pos = rng.integers(0, size, n)
    for k in range(n):
        rows = [pos[k], (pos[k] + 1) % size]
        if labels[k] == 0:
            images[k, rows, :] = 255
        else:
            images[k, :, rows] = 255
    return images.reshape(n, -1), labels.astype(np.int64)


def load_dataset(data: Data, seed: int = 0) -> Dataset:
    """The training, validation and test parts of ``data.dataset`` (with
    ``data.refit``, the validation part joins the training part; with
    ``data.equal_totals``, every example is scaled to the training part's
    mean total)."""
    parts = _load_parts(data, seed)
    parts = refitted(parts) if data.refit else parts
    return equal_totals(parts) if data.equal_totals else parts


def _load_parts(data: Data, seed: int) -> Dataset:
    if data.dataset == "mnist":
        from .mnist import load_mnist

        root = data.root or None
        tx, ty = load_mnist("train", root)
        vx, vy = load_mnist("test", root)
        held = last_mask(len(tx), data.validation_examples, "MNIST training digits")
        tx, ty, hx, hy = carve(tx.reshape(len(tx), -1), ty, held)
        return Dataset(tx, ty, vx.reshape(len(vx), -1), vy, (28, 28), n_classes_of(ty, vy), hx, hy)
    if data.dataset == "synthetic":
        n_train = max(data.train_examples, data.assign_examples) or SYNTHETIC_SIZE
        tx, ty = bars(n_train, seed=seed)
        vx, vy = bars(data.test_examples or SYNTHETIC_SIZE, seed=stream_seed(seed, "synthetic_test"))
        hx, hy = bars(data.validation_examples, seed=stream_seed(seed, "synthetic_validation"))
        return Dataset(tx, ty, vx, vy, (8, 8), 2, hx, hy)  # horizontal or vertical bars
    if is_image_set(data.dataset):   # idx, npz, folder, caltech101, torchvision:NAME
        return load_image_set(data, seed)
    if data.dataset in SPOKEN_DIGITS:
        a = load_spoken_digits(data)
        encode = audio_encoder(data, a)
        x = {p: 255.0 * encode(a[f"{p}_x"], a[f"{p}_speakers"]) for p in ("train", "val", "test")}
        frames, bands = a["feature_shape"]
        shape = (2 * frames, bands) if data.audio_encoding == "on_off" else (frames, bands)
        n_classes = n_classes_of(a["train_y"], a["test_y"])
        return Dataset(x["train"], a["train_y"], x["test"], a["test_y"], shape, n_classes, x["val"],
                       a["val_y"], class_names=tuple(a["class_names"][:n_classes]), time_major=True)
    raise ValueError(f"data.dataset: unknown dataset {data.dataset!r}")


def spoken_digits_root(data: Data):
    """data.root, else the local copy, else (FSDD only) the shared copy beside the checkout."""
    from .paths import shared_datasets

    if data.root:
        return Path(data.root)
    if data.dataset == "synth_digits":
        from .synth import default_root
        return default_root()
    if data.dataset == "ti46":
        from .ti46 import default_root
        return default_root()
    from .fsdd import default_root
    root = default_root()
    if not root.is_dir() and shared_datasets() and (shared_datasets() / "fsdd" / "recordings").is_dir():
        root = shared_datasets() / "fsdd" / "recordings"
    return root


def load_spoken_digits(data: Data, return_waveforms: bool = False) -> dict:
    """Spoken-digit features (values in [0, 1]) as ``stdpnet.data.fsdd.load_fsdd`` returns them.

    Read once per process for a folder and settings (the features of every
    recording take seconds; every file's name, size and time are part of
    the key), so
    the arrays are shared between callers: do not change them in place.
    With ``data.refit`` the validation recordings are trained on (before the
    speed-perturbed copies and the ON/OFF statistics are made), and the
    validation part is empty."""
    root = spoken_digits_root(data)
    entries = folder_state(root)
    out = dict(_spoken_digits(data.dataset, str(root), entries, data.audio_split, tuple(data.test_speakers or ()),
                              data.audio_feature, data.audio_bands, data.audio_frames, data.audio_deltas,
                              float(data.audio_trim_db)))
    held = validation_recordings(data, out["train_files"], out["train_speakers"], out["test_speakers"])
    if data.refit:
        held = np.zeros_like(held)
    for key in ("x", "y", "files", "speakers", "waveforms"):
        values = out[f"train_{key}"]
        if isinstance(values, np.ndarray):
            out[f"train_{key}"], out[f"val_{key}"] = values[~held], values[held]
        else:
            out[f"train_{key}"] = [v for v, h in zip(values, held) if not h]
            out[f"val_{key}"] = [v for v, h in zip(values, held) if h]
    check_digits(root, data, out["train_y"], {"validation": out["val_y"], "test": out["test_y"]})
    if data.audio_extra_root:
        out = extra_training(out, data)
    if data.audio_perturb:
        out = perturbed_training(out, data.audio_perturb)
    if not return_waveforms:
        for part in ("train", "val", "test"):
            out.pop(f"{part}_waveforms")
    return out


def check_digits(root: Path, data: Data, train_y: np.ndarray, scored: dict) -> None:
    """The recordings of ``root`` train at least two digits, and every digit
    scored (validation, test) is among them: a digit never trained on can
    never be named, as image sets refuse too."""
    trained = np.unique(train_y)
    if len(trained) < 2:
        raise DataError(f"{root}: the training recordings ({data.audio_split} split) hold the digits "
                        f"{trained.tolist()}; a classifier needs at least two")
    for part, y in scored.items():
        unseen = np.setdiff1d(np.unique(y), trained)
        if len(unseen):
            raise DataError(f"{root}: the {part} recordings ({data.audio_split} split) hold digits "
                            f"{unseen.tolist()} that no training recording says")


def synth_folders(data: Data) -> list[Path]:
    """The folders of spoken digits ``data`` reads that ``stdpnet data
    synth-digits`` may write (its dataset's when "synth_digits", its extra
    training voices'), for a command to write on first use."""
    from .synth import named_folder

    out = [spoken_digits_root(data)] if data.dataset == "synth_digits" else []
    return out + ([named_folder(data.audio_extra_root)] if data.audio_extra_root else [])


def extra_training(out: dict, data: Data) -> dict:
    """Every recording of the folder ``data.audio_extra_root`` (FSDD layout;
    "synth_digits": the folder of ``stdpnet data synth-digits``) appended to
    the training part, featurised as the rest. The validation and test
    recordings are set apart before, so the extra voices only ever train;
    a speaker of that folder may not also be one of ``data.root``'s."""
    from .fsdd import other_voices

    extra = other_voices(data.audio_extra_root, out["features"],
                         out["train_speakers"] + out["val_speakers"] + out["test_speakers"],
                         "data.audio_extra_root")
    root = Path(extra["root"])
    out = dict(out)
    for key in ("x", "y"):
        out[f"train_{key}"] = np.concatenate([out[f"train_{key}"], extra[f"train_{key}"]])
    for key in ("speakers", "waveforms"):
        out[f"train_{key}"] = out[f"train_{key}"] + extra[f"train_{key}"]
    out["train_files"] = out["train_files"] + [str(root / f) for f in extra["train_files"]]
    return out


def perturbed_training(out: dict, factors: list) -> dict:
    """The training recordings once more at each speed ``factor`` (resampled:
    duration / factor, every frequency x factor), appended after the
    originals; the files are named ``file@factor``."""
    from .audio import speed_perturb

    out = dict(out)
    waves = out["train_waveforms"]
    for factor in factors:
        moved = [speed_perturb(w, factor, out["sample_rate"]) for w in waves]
        out["train_x"] = np.concatenate([out["train_x"], out["features"].transform(moved)])
        out["train_y"] = np.concatenate([out["train_y"], out["train_y"][:len(waves)]])
        out["train_files"] = out["train_files"] + [f"{f}@{factor}" for f in out["train_files"][:len(waves)]]
        out["train_speakers"] = out["train_speakers"] + out["train_speakers"][:len(waves)]
        out["train_waveforms"] = out["train_waveforms"] + moved
    return out


_RECORDING = re.compile(r"^(\d+)_(.+)_(\d+)$")


def validation_recordings(data: Data, files: list, speakers: list, test_speakers: list = ()) -> np.ndarray:
    """Which training recordings are validation: repetitions
    ``validation_indices`` (index split) or speakers ``validation_speakers``
    (speaker split; by default the alphabetically last training speaker, or
    with ``validation_pick = "next"`` the first speaker after the test
    speakers in alphabetical order, wrapping round)."""
    if data.audio_split == "index":
        from .audio import TEST_REPETITIONS
        taken = sorted(set(data.validation_indices) & set(TEST_REPETITIONS))
        if taken:
            raise ConfigError(f"data.validation_indices: {taken} are test repetitions (the index split "
                              f"tests on {list(TEST_REPETITIONS)}); validation comes from the training side")
        indices = []
        for name in files:
            match = _RECORDING.match(PurePath(name).stem)
            indices.append(int(match.group(3)) if match else -1)
        held = np.isin(indices, data.validation_indices)
        if len(held) and held.all():
            raise ConfigError(f"data.validation_indices: {list(data.validation_indices)} hold out every "
                              f"training recording (repetitions {sorted(set(indices))}): none left to train on")
        return held
    names = sorted(set(speakers))
    chosen = data.validation_speakers or names[-1:]
    if not data.validation_speakers and data.validation_pick == "next" and test_speakers:
        everyone = sorted(set(names) | set(test_speakers))
        start = max(everyone.index(s) for s in set(test_speakers)) + 1
        chosen = [s for s in everyone[start:] + everyone[:start] if s in names][:1]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        raise ConfigError(f"data.validation_speakers: {unknown} are not training speakers ({names})")
    if set(chosen) == set(names):
        raise ConfigError(f"data.validation_speakers: {chosen} leave no speaker to train on (the speaker "
                          f"split needs a training, a validation and a test speaker; the training side "
                          f"holds {names})")
    return np.isin(speakers, chosen)


@functools.lru_cache(maxsize=2)
def _spoken_digits(dataset: str, root: str, entries: str, split: str, test_speakers: tuple, feature: str,
                   bands: int, frames: int, deltas: bool, trim_db: float) -> dict:
    from .fsdd import load_fsdd
    from .ti46 import load_ti46

    load = load_ti46 if dataset == "ti46" else load_fsdd
    return load(root, split=split, test_speakers=test_speakers or None, feature=feature,
                n_bands=bands, n_frames=frames, return_waveforms=True, deltas=deltas, trim_db=trim_db)
