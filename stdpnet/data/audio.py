"""Reading recordings and turning a set of them into feature arrays.

Shared by the spoken-digit sources (``fsdd``, ``synth``, ``ti46``): each
lists its files as :class:`Recording` objects and splits them; this module
reads, resamples and featurises them the same way for all.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import soundfile

from ..errors import DataError
from .features import AudioFeatures     # (says what to install where torch is missing)
from .sphere import MAGIC as SPHERE_MAGIC
from .sphere import read_sphere

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Recording:
    path: Path
    digit: int
    speaker: str
    index: int          # repetition number of this digit by this speaker
    partition: str = ""  # 'train'/'test' where the corpus itself says so (TI-46)


MIN_SECONDS = 0.05   # a spoken word lasts longer: anything shorter is a broken file


def _check_complete_wav(path: Path) -> None:
    """A RIFF WAV whose data chunk claims more bytes than the file holds was
    cut short (a copy or download that stopped): an error, not a short recording."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(12)
        while True:
            header = f.read(8)
            if len(header) < 8:
                return
            chunk, length = header[:4], int.from_bytes(header[4:], "little")
            if chunk == b"data":
                if f.tell() + length > size:
                    raise DataError(f"audio file {path} is truncated: its data chunk declares {length} "
                                    f"bytes, the file holds {size - f.tell()}")
                return
            f.seek(length + (length & 1), 1)


def read_audio(path: Path | str, sample_rate: int | None = 8000) -> np.ndarray:
    """Mono float32 waveform in [-1, 1] at ``sample_rate`` (None keeps the file's rate).

    Reads RIFF WAV and NIST SPHERE (recognised by content, not name: TI-46's
    '.wav' files are SPHERE). Several channels are averaged. Another rate is
    resampled with torchaudio's band-limited sinc interpolation. DataError
    naming the file if it is missing, empty, not audio, or holds no samples.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"audio file {path} not found")
    with open(path, "rb") as f:
        head = f.read(12)
    if not head:
        raise DataError(f"audio file {path} is empty (0 bytes)")
    if head.startswith(SPHERE_MAGIC):
        data, rate = read_sphere(path)
    elif head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        _check_complete_wav(path)
        try:
            data, rate = soundfile.read(path, dtype="float32", always_2d=False)
        except (soundfile.LibsndfileError, RuntimeError, ValueError) as exc:
            raise DataError(f"audio file {path} is a corrupt WAV: {exc}") from exc
    else:
        raise DataError(f"audio file {path} is neither RIFF WAV nor NIST SPHERE "
                        f"(starts with {head[:4]!r})")
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1)
    if data.size == 0:
        raise DataError(f"audio file {path} holds no samples")
    if data.size < MIN_SECONDS * rate:
        raise DataError(f"audio file {path} holds {data.size} samples ({1000 * data.size / rate:.1f} ms): "
                        f"too short for a recording (at least {1000 * MIN_SECONDS:.0f} ms)")
    if not np.all(np.isfinite(data)):
        raise DataError(f"audio file {path} holds NaN or infinite samples")
    if sample_rate is not None and rate != sample_rate:
        data = resample(data, rate, sample_rate)
    return data


def resample(waveform: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate:
        return np.asarray(waveform, dtype=np.float32)
    import torch
    import torchaudio

    x = torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32))
    return torchaudio.functional.resample(x, int(from_rate), int(to_rate)).numpy()


def speed_perturb(waveform: np.ndarray, factor: float, sample_rate: int = 8000) -> np.ndarray:
    """The recording played ``factor`` times faster: 1/factor as long, every
    frequency (pitch and formants) times ``factor``."""
    return resample(waveform, int(round(sample_rate * factor)), sample_rate)


def write_wav(path: Path | str, waveform: np.ndarray, sample_rate: int = 8000) -> Path:
    """16-bit PCM mono WAV (the FSDD format)."""
    path = Path(path)
    soundfile.write(path, np.clip(waveform, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
    return path


TEST_REPETITIONS = (0, 1, 2, 3, 4)   # the index split's test repetitions (FSDD's split)


def split_recordings(recordings: Sequence[Recording], split: str = "index",
                     test_indices: Sequence[int] = TEST_REPETITIONS,
                     test_speakers: Sequence[str] | None = None) -> tuple[list[Recording], list[Recording]]:
    """Split into (train, test).

    'index': repetitions ``test_indices`` are test (FSDD's official split: 0-4).
    'speaker': ``test_speakers`` are test, all other speakers train, so no
    voice is heard in both (default: the alphabetically last speaker).
    'corpus': the corpus's own partition (TI-46's train/test folders).
    """
    speakers = sorted({r.speaker for r in recordings})
    if split == "index":
        chosen = set(int(i) for i in test_indices)
        is_test = [r.index in chosen for r in recordings]
    elif split == "speaker":
        test_speakers = [speakers[-1]] if test_speakers is None else list(test_speakers)
        unknown = sorted(set(test_speakers) - set(speakers))
        if unknown:
            raise DataError(f"test speakers {unknown} not among the speakers {speakers}")
        if set(test_speakers) == set(speakers):
            raise DataError(f"test_speakers {test_speakers} leave no speaker for training (the speaker split "
                            f"needs a training, a validation and a test speaker; found {speakers})")
        is_test = [r.speaker in set(test_speakers) for r in recordings]
    elif split == "corpus":
        if any(r.partition not in ("train", "test") for r in recordings):
            raise DataError("split='corpus' needs recordings whose folders say train or test")
        is_test = [r.partition == "test" for r in recordings]
    else:
        raise DataError(f"split must be 'index', 'speaker' or 'corpus', got {split!r}")
    train = [r for r, t in zip(recordings, is_test) if not t]
    test = [r for r, t in zip(recordings, is_test) if t]
    if not train or not test:
        raise DataError(f"split {split!r} gives {len(train)} train and {len(test)} test recordings")
    return train, test


def build_dataset(train: Sequence[Recording], test: Sequence[Recording], root: Path,
                  feature: str | AudioFeatures = "mfcc", n_bands: int = 20, n_frames: int = 20,
                  sample_rate: int = 8000, return_waveforms: bool = False, **feature_options) -> dict:
    """Read, featurise and label both parts; see ``load_fsdd`` for the keys."""
    features = feature if isinstance(feature, AudioFeatures) else AudioFeatures(
        feature, n_bands, n_frames, sample_rate, **feature_options)
    if features.sample_rate != sample_rate:
        raise DataError(f"feature sample_rate {features.sample_rate} differs from the loader's {sample_rate}")
    out = {"class_names": list(DIGIT_WORDS), "root": str(root), "sample_rate": sample_rate,
           "feature": features.kind, "feature_shape": features.shape, "features": features}
    for part, recs in (("train", train), ("test", test)):
        waves = [read_audio(r.path, sample_rate) for r in recs]
        out[f"{part}_x"] = features.transform(waves)
        out[f"{part}_y"] = np.array([r.digit for r in recs], dtype=np.int64)
        out[f"{part}_files"] = [_relative(r.path, root) for r in recs]
        out[f"{part}_speakers"] = [r.speaker for r in recs]
        if return_waveforms:
            out[f"{part}_waveforms"] = waves
    return out


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)
