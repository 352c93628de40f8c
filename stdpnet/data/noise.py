"""Seeded noise models for robustness tests; pure numpy.

Images are float arrays in [0, 1] with the examples on the first axis:
(N, H, W), or (N, D) flat vectors (occlusion then needs ``image_shape``).
Levels are exact per image, not only in expectation: Gaussian noise is
rescaled to the asked standard deviation before clipping to [0, 1] (so the
realised spread is lower where pixels saturate), salt-and-pepper flips exactly
round(fraction * pixels) pixels, an occluding patch has exactly the asked side.

Audio is a 1-D float waveform. Noise is scaled so the signal-to-noise ratio
10*log10(sum(signal**2) / sum(noise**2)) of the returned ``signal + noise``
equals the asked SNR (to rounding error); nothing is clipped unless asked.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import DataError

IMAGE_NOISE = ("gaussian", "salt_pepper", "occlusion")
AUDIO_NOISE = ("white", "babble")


# --------------------------------------------------------------------------- images

def gaussian_noise(images: np.ndarray, sigma: float, rng: np.random.Generator,
                   exact: bool = True) -> np.ndarray:
    """Add zero-mean Gaussian noise of standard deviation ``sigma`` (in the
    [0, 1] pixel scale), then clip to [0, 1]. With ``exact`` each image's noise
    is shifted and scaled so its sample mean is 0 and its sample std is ``sigma``."""
    x = _images(images)
    if not 0 <= sigma < np.inf:
        raise DataError(f"gaussian sigma must be a number >= 0, got {sigma}")
    if sigma == 0:
        return x.copy()
    noise = rng.standard_normal(x.shape)
    if exact:
        axes = tuple(range(1, x.ndim))
        noise -= noise.mean(axis=axes, keepdims=True)
        noise /= noise.std(axis=axes, keepdims=True)
    return np.clip(x + sigma * noise, 0.0, 1.0).astype(x.dtype)


def salt_and_pepper(images: np.ndarray, fraction: float, rng: np.random.Generator,
                    salt: float = 0.5) -> np.ndarray:
    """Set exactly round(fraction * pixels) pixels of each image to 1 (salt) or
    0 (pepper); round(salt * that number) of them are salt."""
    x = _images(images)
    if not 0.0 <= fraction <= 1.0 or not 0.0 <= salt <= 1.0:
        raise DataError(f"salt-and-pepper fraction and salt must be in [0, 1], got {fraction}, {salt}")
    out = x.reshape(len(x), -1).copy()
    n_pixels = out.shape[1]
    n_hit = int(round(fraction * n_pixels))
    n_salt = int(round(salt * n_hit))
    for row in out:
        hit = rng.choice(n_pixels, size=n_hit, replace=False)
        row[hit[:n_salt]] = 1.0
        row[hit[n_salt:]] = 0.0
    return out.reshape(x.shape)


def occlusion(images: np.ndarray, fraction: float | None = None, rng: np.random.Generator | None = None,
              size: int | None = None, value: float = 0.0,
              image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Cover one square patch per image, at a seeded random position, with ``value``.

    Give the patch side in pixels (``size``) or the covered area as a fraction
    of the image (``fraction``: side = round(sqrt(fraction * H * W)), capped
    at the shorter image side). ``patch_fraction`` tells the exact area.
    """
    x = _images(images)
    flat = x.ndim == 2
    if flat:
        if image_shape is None:
            raise DataError("occlusion of flat (N, D) images needs image_shape=(H, W)")
        x = x.reshape(len(x), *image_shape)
    height, width = x.shape[-2:]
    side = patch_side(height, width, fraction, size)
    if rng is None:
        raise DataError("occlusion needs rng (a numpy Generator) for the patch positions")
    out = x.copy()
    for img in out:
        top = rng.integers(0, height - side + 1)
        left = rng.integers(0, width - side + 1)
        img[..., top:top + side, left:left + side] = value
    return out.reshape(images.shape) if flat else out


def patch_side(height: int, width: int, fraction: float | None = None, size: int | None = None) -> int:
    if (fraction is None) == (size is None):
        raise DataError("occlusion needs exactly one of fraction or size")
    if size is None:
        if not 0.0 <= fraction <= 1.0:
            raise DataError(f"occlusion fraction must be in [0, 1], got {fraction}")
        size = min(int(round(np.sqrt(fraction * height * width))), height, width)   # as docstring says
    if not 0 <= size <= min(height, width):
        raise DataError(f"occlusion size {size} does not fit a {height}x{width} image")
    return min(int(size), height, width)


def patch_fraction(height: int, width: int, fraction: float | None = None, size: int | None = None) -> float:
    """The area fraction actually covered by ``occlusion`` with these settings."""
    return patch_side(height, width, fraction, size) ** 2 / (height * width)


def add_image_noise(images: np.ndarray, kind: str, level: float, rng: np.random.Generator,
                    image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Dispatch by name: gaussian (sigma), salt_pepper (fraction), occlusion (area fraction)."""
    if kind == "gaussian":
        return gaussian_noise(images, level, rng)
    if kind == "salt_pepper":
        return salt_and_pepper(images, level, rng)
    if kind == "occlusion":
        return occlusion(images, fraction=level, rng=rng, image_shape=image_shape)
    raise DataError(f"image noise must be one of {IMAGE_NOISE}, got {kind!r}")


# --------------------------------------------------------------------------- audio

def snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    """Measured SNR in dB of ``noisy`` against ``clean`` (noise = noisy - clean)."""
    clean = np.asarray(clean, dtype=np.float64)
    noise = np.asarray(noisy, dtype=np.float64) - clean
    return float(10.0 * np.log10(np.sum(clean ** 2) / np.sum(noise ** 2)))


def scale_to_snr(signal: np.ndarray, noise: np.ndarray, snr: float, clip: bool = False) -> np.ndarray:
    """``signal + g * noise`` with the gain g that makes the SNR exactly ``snr`` dB."""
    s = np.asarray(signal, dtype=np.float64)
    n = np.asarray(noise, dtype=np.float64)
    if s.ndim != 1 or n.shape != s.shape:
        raise DataError(f"signal and noise must be 1-D of equal length, got {s.shape} and {n.shape}")
    if not np.isfinite(snr):
        raise DataError(f"the SNR must be a finite number of dB, got {snr}")
    p_signal, p_noise = np.sum(s ** 2), np.sum(n ** 2)
    if p_signal == 0:
        raise DataError("cannot set an SNR for a silent signal")
    if p_noise == 0:
        raise DataError("cannot set an SNR with silent noise")
    gain = np.sqrt(p_signal / (p_noise * 10.0 ** (snr / 10.0)))
    out = s + gain * n
    if clip:
        out = np.clip(out, -1.0, 1.0)
    return out.astype(np.asarray(signal).dtype if np.asarray(signal).dtype.kind == "f" else np.float32)


def white_noise(signal: np.ndarray, snr: float, rng: np.random.Generator, clip: bool = False) -> np.ndarray:
    """Add white Gaussian noise at exactly ``snr`` dB over the whole signal."""
    return scale_to_snr(signal, rng.standard_normal(np.shape(signal)), snr, clip)


def babble(signal: np.ndarray, others: Sequence[np.ndarray], snr: float, rng: np.random.Generator,
           n_talkers: int = 4, clip: bool = False, names: Sequence[str] | None = None) -> np.ndarray:
    """Mix ``n_talkers`` recordings drawn from ``others`` (without replacement
    where possible) into ``signal`` at exactly ``snr`` dB.

    Each talker is set to unit RMS, looped to cover the signal and started at
    a random offset, so every moment of the signal has overlapping speech.
    Pass ``others`` that exclude ``signal`` itself (e.g. the other test files),
    and their ``names`` for errors.
    """
    if not others:
        raise DataError("babble needs at least one other recording")
    if n_talkers < 1:
        raise DataError(f"n_talkers must be >= 1, got {n_talkers}")
    length = len(signal)
    picks = rng.choice(len(others), size=n_talkers, replace=n_talkers > len(others))
    mix = np.zeros(length, dtype=np.float64)
    for k in picks:
        talker = np.asarray(others[k], dtype=np.float64)
        rms = np.sqrt(np.mean(talker ** 2))
        if talker.size == 0 or rms == 0:
            raise DataError(f"babble recording {names[k] if names is not None else k} is empty or silent")
        looped = np.resize(talker / rms, length + talker.size)
        start = rng.integers(0, talker.size)
        mix += looped[start:start + length]
    return scale_to_snr(signal, mix, snr, clip)


def add_audio_noise(signal: np.ndarray, kind: str, snr: float, rng: np.random.Generator,
                    others: Sequence[np.ndarray] | None = None, n_talkers: int = 4,
                    name: str | None = None, names: Sequence[str] | None = None) -> np.ndarray:
    """Dispatch by name: white or babble (needs ``others``) at ``snr`` dB;
    ``name`` (the signal's file) and ``names`` (of ``others``) go into errors."""
    if kind not in AUDIO_NOISE:
        raise DataError(f"audio noise must be one of {AUDIO_NOISE}, got {kind!r}")
    try:
        if kind == "white":
            return white_noise(signal, snr, rng)
        return babble(signal, others or [], snr, rng, n_talkers, names=names)
    except DataError as exc:
        if name is None:
            raise
        raise DataError(f"{name}: {exc}") from exc


def _images(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    if x.ndim < 2:
        raise DataError(f"images need a leading example axis, e.g. (N, H, W); got shape {x.shape}")
    if x.dtype.kind != "f":
        raise DataError(f"images must be floats in [0, 1], got dtype {x.dtype}")
    return x
