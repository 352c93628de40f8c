"""Spoken-digit features to input rates: the ON/OFF code (standardised with
the training set's statistics, or each speaker's own) or the map as it is."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..spec import Data


@dataclass(frozen=True)
class OnOffEncoder:
    """Feature maps -> ON/OFF input rates in [0, 1], like ON and OFF retinal cells.

    Each feature is standardised with the training set's mean and standard
    deviation; an ON input fires for values above the mean, an OFF input for
    values below, saturating at ``z`` standard deviations. Dense maps (an MFCC
    map averages 0.5) let every STDP neuron receive nearly the same drive, so
    a few neurons with low thresholds win every example; the ON/OFF code is
    sparse and signed (docs/multimodal.md).
    """
    mean: np.ndarray
    std: np.ndarray
    z: float = 1.5

    def __call__(self, x: np.ndarray, speakers=None) -> np.ndarray:
        return on_off((np.asarray(x, dtype=np.float64) - self.mean) / self.std, self.z)


@dataclass(frozen=True)
class SpeakerOnOffEncoder:
    """The ON/OFF code with speaker-level mean/variance normalisation: each
    recording's features are standardised with its own speaker's mean and
    standard deviation over all of that speaker's recordings (``stats``:
    speaker -> (mean, std)), so what is common to a voice (vocal tract,
    microphone) is taken out before the network sees the word. A speaker's
    statistics need no labels: a test speaker's come from its own
    recordings, as speech recognisers normalise an unknown speaker."""
    stats: dict
    z: float = 1.5

    def __call__(self, x: np.ndarray, speakers=None) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if speakers is None or len(speakers) != len(x):
            raise DataError("data.audio_standardise = 'speaker' needs the speaker of every recording "
                            f"encoded ({len(x)} recordings, "
                            f"{'no' if speakers is None else len(speakers)} speakers given)")
        return on_off(standardise_by_speaker(x, speakers, self.stats, "data.audio_standardise"), self.z)


def on_off(standardised: np.ndarray, z: float) -> np.ndarray:
    """ON inputs (above the mean) then OFF inputs (below), saturating at ``z`` sd."""
    s = standardised / z
    return np.concatenate([np.clip(s, 0, 1), np.clip(-s, 0, 1)], axis=1)


def speaker_statistics(x: np.ndarray, speakers) -> dict:
    """speaker -> (mean, std + 1e-6) of each feature of ``x`` (one row per
    recording) over every row of that speaker."""
    x, speakers = np.asarray(x, dtype=np.float64).reshape(len(x), -1), np.asarray(speakers)
    return {s: (x[speakers == s].mean(axis=0), x[speakers == s].std(axis=0) + 1e-6)
            for s in np.unique(speakers)}


def standardise_by_speaker(x: np.ndarray, speakers, stats: dict, key: str) -> np.ndarray:
    """Each row of ``x`` standardised with its speaker's ``stats``
    (``speaker_statistics``); a speaker without statistics is an error naming ``key``."""
    x = np.asarray(x, dtype=np.float64)
    unknown = sorted(set(speakers) - set(stats))
    if unknown:
        raise DataError(f"{key} = 'speaker': no recordings of speakers {unknown} "
                        "to take their statistics from")
    if not len(x):
        return x
    rows = x.reshape(len(x), -1)
    mean = np.stack([stats[s][0] for s in speakers])
    std = np.stack([stats[s][1] for s in speakers])
    return ((rows - mean) / std).reshape(x.shape)


def audio_encoder(data: Data, parts: dict):
    """The encoding of data.audio_encoding for the recordings of ``parts``
    (``load_spoken_digits``'s dict), called as ``encode(features, speakers)``:
    standardised with the training features' statistics, or with each
    speaker's own (``data.audio_standardise = "speaker"``)."""
    if data.audio_encoding == "map":
        return lambda f, speakers=None: np.asarray(f, dtype=np.float64)
    if data.audio_standardise == "speaker":
        held = [p for p in ("train", "val", "test") if len(parts[f"{p}_x"])]   # refit: no validation part
        stats = speaker_statistics(np.concatenate([parts[f"{p}_x"] for p in held]),
                                   [s for p in held for s in parts[f"{p}_speakers"]])
        return SpeakerOnOffEncoder(stats, data.audio_on_off_z)
    x = np.asarray(parts["train_x"], dtype=np.float64)
    return OnOffEncoder(x.mean(axis=0), x.std(axis=0) + 1e-6, data.audio_on_off_z)
