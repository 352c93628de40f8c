"""Named random streams: every random choice of a run draws from a stream
called by what it is for (``"labelling_pairs"``, ``"calibration_noise"``),
derived from the run's seed and that name, so adding a stream never shifts
another one (as ``seed + 1``, ``seed + 2`` ... offsets would)."""
from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    return zlib.crc32(name.encode())


def rng(seed: int, name: str) -> np.random.Generator:
    """The numpy generator of stream ``name`` of a run seeded with ``seed``."""
    return np.random.default_rng([int(seed), stream_key(name)])


def stream_seed(seed: int, name: str) -> int:
    """A 31-bit integer seed of stream ``name`` (for seeds that live in the
    compiled network, such as a Poisson input layer's)."""
    return int(rng(seed, name).integers(0, 2**31 - 1))
