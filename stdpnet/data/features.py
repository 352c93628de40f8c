"""Audio features as fixed-size time x frequency maps in [0, 1], like pixels.

Three kinds, all from a short-time power spectrum (25 ms windows, 10 ms hop):

- ``logmel``: log power in mel bands.
- ``mfcc``: cepstral coefficients of the log-mel spectrum (decorrelated,
  compact; the first coefficient carries overall loudness).
- ``cochlea``: a cochlea-like filterbank: bands spaced evenly on the ERB-rate
  scale of human hearing (Glasberg & Moore 1990), each with the magnitude
  response of a 4th-order gammatone filter, followed by cube-root compression
  (Stevens' power law of loudness) instead of a logarithm.

The default is ``mfcc`` on a 20 x 20 map: with prototype-like readouts
(nearest centroid, nearest of a few templates per class, which is what STDP
neurons learn) it beat log-mel and the cochlea-like bank on FSDD, for both the
index and the speaker split (``benchmarks/audio_features.py``).

Each utterance's duration is normalised to ``n_frames``: 'stretch' resamples
the whole utterance in time (a spoken digit is one word, so this aligns its
start and end), 'pad' crops or pads with silence around the centre. Then it
is scaled on its own (cochlea and log-mel: the loudest point maps to 1; mfcc:
each coefficient to [0, 1] over the utterance's frames), so the input rates
do not depend on recording level.

``trim_db`` > 0 first drops the silence around the word: the frames before
the first and after the last frame whose power is within ``trim_db`` dB of
the utterance's loudest frame (an energy detector, as ``librosa.effects.trim``
uses), so a recording with a long lead-in fills the map like one without.

``deltas=True`` appends each band's slope in time (``compute_deltas`` over
five frames of the full-rate map, before the duration is normalised), 0.5
for a flat band and 0 or 1 for the utterance's steepest fall or rise: the
map is then n_frames x 2 n_bands, the bands first, their deltas after.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import DataError

try:
    import torch
    import torchaudio
except ImportError as exc:  # torch is an optional extra; only spoken digits need it here
    raise DataError("spoken digits are read and featurised with torchaudio, which is not "
                    "installed: pip install -e \".[torch]\"") from exc

KINDS = ("logmel", "mfcc", "cochlea")
TIME_MODES = ("stretch", "pad")


@dataclass(frozen=True)
class AudioFeatures:
    """Waveform -> (n_frames, n_columns) map in [0, 1] -> (n_frames*n_columns,) vector."""

    kind: str = "mfcc"
    n_bands: int = 20
    n_frames: int = 20
    sample_rate: int = 8000
    time_mode: str = "stretch"
    top_db: float = 60.0        # logmel/mfcc: dynamic range kept below the loudest bin
    f_min: float = 50.0         # lowest band edge (Hz); the cochlea bank starts at 50 Hz at the lowest
    window_ms: float = 25.0
    hop_ms: float = 10.0
    deltas: bool = False        # append each band's slope in time (n_frames x 2 n_bands)
    trim_db: float = 0.0        # > 0: drop the leading and trailing frames this far below the loudest

    def __post_init__(self):
        if self.kind not in KINDS:
            raise DataError(f"audio feature kind must be one of {KINDS}, got {self.kind!r}")
        if self.time_mode not in TIME_MODES:
            raise DataError(f"time_mode must be one of {TIME_MODES}, got {self.time_mode!r}")
        if self.n_bands < 2 or self.n_frames < 2:
            raise DataError(f"n_bands and n_frames must be >= 2, got {self.n_bands}, {self.n_frames}")
        if self.trim_db < 0:
            raise DataError(f"trim_db must be >= 0 (0 keeps every frame), got {self.trim_db}")
        if not 0 <= self.f_min < self.sample_rate / 2:
            raise DataError(f"f_min {self.f_min} must lie below the Nyquist frequency")

    @property
    def n_inputs(self) -> int:
        return self.n_frames * self.n_columns

    @property
    def n_columns(self) -> int:
        """Values per frame: the bands, and their deltas when asked."""
        return self.n_bands * (2 if self.deltas else 1)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_frames, self.n_columns

    def map(self, waveform: np.ndarray) -> np.ndarray:
        """(n_frames, n_columns) float32 in [0, 1]; rows are time, columns low to
        high frequency (then the deltas, low to high, when ``deltas``)."""
        x = _as_tensor(waveform)
        min_len = self._win
        if x.numel() < min_len:  # shorter than one window: pad with silence
            x = torch.nn.functional.pad(x, (0, min_len - x.numel()))
        power = _spectrogram(self.sample_rate, self._n_fft, self._win, self._hop)(x)  # (freq, time)
        full = self._full_rate(_trim(power, self.trim_db))
        m = self._bands(full)
        if self.deltas:
            m = torch.cat([m, self._slopes(full)], dim=0)
        return m.T.clamp(0.0, 1.0).numpy().astype(np.float32)

    def _full_rate(self, power: torch.Tensor) -> torch.Tensor:
        """(bands, T) before the duration is normalised: compressed band energy
        (cochlea), dB (logmel) or cepstral coefficients (mfcc)."""
        if self.kind == "cochlea":
            bands = _cochlea_fbank(self._n_fft, self.sample_rate, self.n_bands, self.f_min) @ power
            return bands.clamp(min=0) ** (1.0 / 3.0)
        n_mels = self.n_bands if self.kind == "logmel" else max(40, self.n_bands)
        mel = _mel_fbank(self._n_fft, self.sample_rate, n_mels, self.f_min) @ power
        db = 10.0 * torch.log10(mel.clamp(min=1e-10))
        db = torch.maximum(db, db.max() - self.top_db)
        return db if self.kind == "logmel" else _dct_matrix(self.n_bands, n_mels) @ db

    def _slopes(self, full: torch.Tensor) -> torch.Tensor:
        """(bands, n_frames): each band's slope in time on one scale for all
        bands, 0.5 for none; the steepest slope of the utterance (any band) at
        0 if it is a fall, 1 if a rise."""
        d = _fix_time(torchaudio.functional.compute_deltas(full[None], win_length=5)[0],
                      self.n_frames, self.time_mode, fill=0.0)   # padded silence is flat
        return 0.5 + 0.5 * d / d.abs().max().clamp(min=1e-6)

    def _bands(self, full: torch.Tensor) -> torch.Tensor:
        """(bands, n_frames) in [0, 1]."""
        # Duration first, scale second, so every map's loudest point is exactly 1.
        m = _fix_time(full, self.n_frames, self.time_mode)
        if self.kind == "cochlea":
            return m / m.max() if m.max() > 0 else m
        if self.kind == "logmel":
            return (m - m.max() + self.top_db) / self.top_db
        # Each coefficient is scaled over the utterance's frames: the timing of
        # spectral change, not the level, drives the input.
        return _scale_rows(m)

    def stages(self, waveform: np.ndarray) -> dict[str, np.ndarray]:
        """What a figure needs: 'time_s' and 'waveform'; 'spectrogram_db' (freq, frames)
        with 'freq_hz'; and 'map', the (n_frames, n_columns) network input."""
        w = np.asarray(waveform, dtype=np.float32)
        x = _as_tensor(w)
        if x.numel() < self._win:
            x = torch.nn.functional.pad(x, (0, self._win - x.numel()))
        power = _spectrogram(self.sample_rate, self._n_fft, self._win, self._hop)(x)
        return {"time_s": np.arange(w.size) / self.sample_rate, "waveform": w,
                "freq_hz": np.linspace(0, self.sample_rate / 2, power.shape[0]),
                "spectrogram_db": (10 * torch.log10(power.clamp(min=1e-10))).numpy(),
                "map": self.map(w)}

    def vector(self, waveform: np.ndarray) -> np.ndarray:
        return self.map(waveform).reshape(-1)

    def transform(self, waveforms: Sequence[np.ndarray]) -> np.ndarray:
        """(N, n_inputs) float32 for a list of waveforms."""
        out = np.empty((len(waveforms), self.n_inputs), dtype=np.float32)
        for i, w in enumerate(waveforms):
            out[i] = self.vector(w)
        return out

    @property
    def _win(self) -> int:
        return int(round(self.sample_rate * self.window_ms / 1000))

    @property
    def _hop(self) -> int:
        return max(1, int(round(self.sample_rate * self.hop_ms / 1000)))

    @property
    def _n_fft(self) -> int:
        return 1 << (self._win - 1).bit_length()


def feature_map(waveform: np.ndarray, sample_rate: int = 8000, kind: str = "mfcc",
                n_bands: int = 20, n_frames: int = 20, **options) -> np.ndarray:
    """(n_frames, n_columns) map in [0, 1] of one waveform (n_bands columns, twice that with deltas; see AudioFeatures)."""
    return AudioFeatures(kind, n_bands, n_frames, sample_rate, **options).map(waveform)


def extract_features(waveforms: Sequence[np.ndarray], sample_rate: int = 8000, kind: str = "mfcc",
                     n_bands: int = 20, n_frames: int = 20, **options) -> np.ndarray:
    """(N, n_frames*n_bands) float32 in [0, 1] for a list of waveforms."""
    return AudioFeatures(kind, n_bands, n_frames, sample_rate, **options).transform(waveforms)


# --------------------------------------------------------------------------- internals

def _as_tensor(waveform: np.ndarray) -> torch.Tensor:
    w = np.asarray(waveform, dtype=np.float32)
    if w.ndim != 1:
        raise DataError(f"expected a mono waveform (1-D array), got shape {w.shape}")
    if w.size == 0:
        raise DataError("cannot compute features of an empty waveform")
    return torch.from_numpy(np.ascontiguousarray(w))


@functools.cache
def _spectrogram(sample_rate: int, n_fft: int, win: int, hop: int):
    return torchaudio.transforms.Spectrogram(n_fft=n_fft, win_length=win, hop_length=hop, power=2.0,
                                             center=True)


@functools.cache
def _mel_fbank(n_fft: int, sample_rate: int, n_mels: int, f_min: float) -> torch.Tensor:
    return torchaudio.functional.melscale_fbanks(n_fft // 2 + 1, f_min, sample_rate / 2, n_mels, sample_rate,
                                                 norm="slaney", mel_scale="slaney").T


@functools.cache
def _dct_matrix(n_coeffs: int, n_mels: int) -> torch.Tensor:
    return torchaudio.functional.create_dct(n_coeffs, n_mels, norm="ortho").T


def erb_rate(f_hz: np.ndarray) -> np.ndarray:
    """Glasberg & Moore (1990) ERB-rate scale (number of ERBs below f)."""
    return 21.4 * np.log10(1.0 + 0.00437 * np.asarray(f_hz, dtype=np.float64))


def erb_centers(n_bands: int, f_min: float, f_max: float) -> np.ndarray:
    """Centre frequencies evenly spaced on the ERB-rate scale."""
    e = np.linspace(erb_rate(f_min), erb_rate(f_max), n_bands)
    return (10.0 ** (e / 21.4) - 1.0) / 0.00437


@functools.cache
def _cochlea_fbank(n_fft: int, sample_rate: int, n_bands: int, f_min: float) -> torch.Tensor:
    """Gammatone-like bands from ``max(f_min, 50 Hz)`` to 90% of Nyquist."""
    freqs = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    centers = erb_centers(n_bands, max(f_min, 50.0), 0.9 * sample_rate / 2)
    bandwidth = 1.019 * 24.7 * (4.37 * centers / 1000.0 + 1.0)
    # Power response of a 4th-order gammatone around its centre frequency.
    response = (1.0 + ((freqs[None, :] - centers[:, None]) / bandwidth[:, None]) ** 2) ** -4
    response /= response.sum(axis=1, keepdims=True)
    return torch.from_numpy(response.astype(np.float32))


def _trim(power: torch.Tensor, trim_db: float) -> torch.Tensor:
    """(freq, T) without the frames before the first and after the last whose
    power lies within ``trim_db`` dB of the loudest frame (0: unchanged)."""
    if trim_db <= 0:
        return power
    energy = power.sum(dim=0)
    loud = torch.nonzero(energy >= energy.max() * 10.0 ** (-trim_db / 10.0)).flatten()
    return power[:, int(loud[0]):int(loud[-1]) + 1]


def _scale_rows(m: torch.Tensor) -> torch.Tensor:
    """Each row scaled to [0, 1] over its own values."""
    lo, hi = m.min(dim=1, keepdim=True).values, m.max(dim=1, keepdim=True).values
    return (m - lo) / (hi - lo).clamp(min=1e-6)


def _fix_time(m: torch.Tensor, n_frames: int, mode: str, fill: float | None = None) -> torch.Tensor:
    """(bands, T) -> (bands, n_frames); 'pad' fills with ``fill``, by default
    each band's minimum (silence)."""
    t = m.shape[1]
    if mode == "stretch":
        if t == 1:
            return m.repeat(1, n_frames)
        return torch.nn.functional.interpolate(m[None], size=n_frames, mode="linear",
                                               align_corners=True)[0]
    if t >= n_frames:
        start = (t - n_frames) // 2
        return m[:, start:start + n_frames]
    left = (n_frames - t) // 2
    floor = m.min(dim=1, keepdim=True).values if fill is None else m.new_full((m.shape[0], 1), fill)
    return torch.cat([floor.expand(-1, left), m, floor.expand(-1, n_frames - t - left)], dim=1)
