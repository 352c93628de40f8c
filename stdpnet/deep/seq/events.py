"""Event streams: the N-MNIST binary format, binning events into frames, and
a synthetic event version of MNIST.

N-MNIST files (Orchard et al. 2015) hold 5 bytes per event: x, y, then one
bit of polarity and a 23-bit timestamp in microseconds. An event with
y = 240 marks a timestamp overflow (2**13 is added to every later event, as
the ``tonic`` reader does). Where ``tonic`` is installed (the ``events``
extra) its reader is used; otherwise the same decoding here.

The synthetic set moves each MNIST digit along a small random triangle
(three saccades, like the N-MNIST camera) and emits events the way a
dynamic vision sensor does: each pixel keeps a reference log intensity and
fires one ON (OFF) event per ``threshold`` its log intensity rose (fell)
since, moving the reference by as much. It is made here, not recorded.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ...errors import DataError

EVENT_DTYPE = np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", np.int8)])
NMNIST_SIZE = 34
OVERFLOW_Y = 240


def decode_nmnist(raw: bytes) -> np.ndarray:
    """Events (x, y, t µs, p) of the bytes of one N-MNIST file."""
    if len(raw) % 5:
        raise DataError(f"{len(raw)} bytes is not a whole number of 5-byte N-MNIST events")
    b = np.frombuffer(raw, dtype=np.uint8).astype(np.int64).reshape(-1, 5)
    x, y = b[:, 0], b[:, 1]
    p = (b[:, 2] >> 7) & 1
    t = ((b[:, 2] & 127) << 16) | (b[:, 3] << 8) | b[:, 4]
    overflow = y == OVERFLOW_Y
    t = t + np.cumsum(overflow) * 2 ** 13
    keep = ~overflow
    out = np.empty(int(keep.sum()), dtype=EVENT_DTYPE)
    out["x"], out["y"], out["t"], out["p"] = x[keep], y[keep], t[keep], p[keep]
    return out


def encode_nmnist(events: np.ndarray) -> bytes:
    """The N-MNIST bytes of ``events`` (timestamps below 2**23 µs)."""
    t = np.asarray(events["t"], dtype=np.int64)
    if len(t) and (t.min() < 0 or t.max() >= 2 ** 23):
        raise ValueError("N-MNIST timestamps must lie in [0, 2**23) µs")
    b = np.empty((len(events), 5), dtype=np.uint8)
    b[:, 0], b[:, 1] = events["x"], events["y"]
    b[:, 2] = ((np.asarray(events["p"], dtype=np.int64) & 1) << 7) | (t >> 16)
    b[:, 3], b[:, 4] = (t >> 8) & 255, t & 255
    return b.tobytes()


def _tonic_reader():
    try:
        from tonic.io import read_mnist_file
    except ImportError:
        return None
    return read_mnist_file


def read_nmnist(path: str | Path) -> np.ndarray:
    """Events of one N-MNIST ``.bin`` file, with tonic's reader where installed."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"event file {path} not found")
    raw = path.read_bytes()
    if not raw:
        raise DataError(f"{path}: empty (an N-MNIST stream holds at least one 5-byte event)")
    if len(raw) % 5:
        raise DataError(f"{path}: {len(raw)} bytes is not a whole number of 5-byte N-MNIST "
                        "events (truncated?)")
    reader = _tonic_reader()
    if reader is None:
        return decode_nmnist(raw)
    ev = reader(str(path), dtype=np.dtype([("x", int), ("y", int), ("t", int), ("p", int)]))
    out = np.empty(len(ev), dtype=EVENT_DTYPE)
    for k in "xytp":
        out[k] = ev[k]
    return out


def write_nmnist(path: str | Path, events: np.ndarray) -> Path:
    path = Path(path)
    path.write_bytes(encode_nmnist(events))
    return path


def to_frames(events: np.ndarray, steps: int, size: int = NMNIST_SIZE, pool: int = 1,
              source: str = "events") -> np.ndarray:
    """Event counts (steps, 2, size/pool, size/pool) uint8 (OFF, ON); the
    stream's span from its first to its last event cut into ``steps`` equal
    bins (``source`` names the stream in errors)."""
    side = math.ceil(size / pool)
    frames = np.zeros((steps, 2, side, side), dtype=np.int64)
    if len(events):
        if events["x"].max() >= size or events["y"].max() >= size or events["x"].min() < 0:
            raise DataError(f"{source}: event coordinates outside the {size}x{size} sensor "
                            f"(x {events['x'].min()}..{events['x'].max()}, y {events['y'].min()}..{events['y'].max()})")
        t = events["t"] - events["t"].min()
        span = int(t.max()) + 1
        b = np.minimum(t * steps // span, steps - 1)
        np.add.at(frames, (b, events["p"].astype(np.int64) & 1, events["y"] // pool,
                           events["x"] // pool), 1)
    return np.minimum(frames, 255).astype(np.uint8)


def list_nmnist(root: Path, split: str) -> list[tuple[Path, int]]:
    """(file, digit) of ``root/Train`` or ``root/Test`` (``{digit}/{index}.bin``),
    sorted by index: N-MNIST's indices are MNIST's, so the order is MNIST's."""
    folder = Path(root) / ("Train" if split == "train" else "Test")
    if not folder.is_dir():
        raise DataError(f"N-MNIST folder {folder} not found (expected {folder}/<digit>/<index>.bin)")
    files = [(p, int(p.parent.name)) for p in folder.glob("[0-9]/*.bin")]
    if not files:
        raise DataError(f"{folder} holds no <digit>/<index>.bin files")

    def key(item):
        stem = item[0].stem
        return (int(stem) if stem.isdigit() else math.inf, stem)
    return sorted(files, key=key)


def load_nmnist(root: Path, split: str, steps: int, pool: int = 1, limit: int = 0):
    """(frames uint8 (N, steps, 2*side*side), labels int64) of an N-MNIST split."""
    files = list_nmnist(root, split)
    if limit:
        files = files[:limit]
    x = np.stack([to_frames(read_nmnist(p), steps, NMNIST_SIZE, pool, str(p)).reshape(steps, -1)
                  for p, _ in files])
    return torch.from_numpy(x), torch.tensor([d for _, d in files], dtype=torch.int64)


def motion_path(n: int, steps: int, amplitude: float, generator: torch.Generator) -> torch.Tensor:
    """(n, steps + 1, 2) pixel offsets: three straight saccades around a
    triangle of side ``amplitude``, turned by a random angle per sequence."""
    corners = torch.tensor([[0.0, 0.0], [0.5, 0.866], [1.0, 0.0], [0.0, 0.0]]) * amplitude
    tau = torch.linspace(0, 3, steps + 1)
    seg = torch.clamp(tau.floor().long(), max=2)
    frac = (tau - seg).unsqueeze(1)
    path = corners[seg] * (1 - frac) + corners[seg + 1] * frac          # (steps+1, 2)
    angle = torch.rand(n, generator=generator) * 2 * math.pi
    rot = torch.stack([torch.stack([angle.cos(), -angle.sin()], 1),
                       torch.stack([angle.sin(), angle.cos()], 1)], 1)  # (n, 2, 2)
    return torch.einsum("nij,tj->nti", rot, path)


def synthetic_events(images: torch.Tensor, steps: int, threshold: float = 0.25,
                     amplitude: float = 1.5, pool: int = 1, seed: int = 0,
                     batch: int = 2000) -> torch.Tensor:
    """Synthetic DVS events of moving digits: (N, steps, 2*side*side) uint8
    counts (OFF, ON) from ``images`` (N, H, W) in [0, 1]. Deterministic in ``seed``."""
    n, h, w = images.shape
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, n, batch):
        img = images[i:i + batch].float()
        m = len(img)
        shift = motion_path(m, steps, amplitude, g)                       # (m, S+1, 2) pixels
        base = torch.nn.functional.affine_grid(torch.eye(2, 3).expand(m, 2, 3), (m, 1, h, w),
                                               align_corners=False)       # (m, h, w, 2)
        scale = torch.tensor([2.0 / w, 2.0 / h])
        log_ref = None
        frames = []
        for s in range(steps + 1):
            grid = base - (shift[:, s] * scale)[:, None, None, :]
            moved = torch.nn.functional.grid_sample(img[:, None], grid, align_corners=False,
                                                    padding_mode="zeros")[:, 0]
            log_i = torch.log(moved + 0.05)
            if log_ref is None:
                log_ref = log_i
                continue
            n_ev = torch.trunc((log_i - log_ref) / threshold)
            log_ref = log_ref + n_ev * threshold
            on, off = n_ev.clamp(min=0), (-n_ev).clamp(min=0)
            frame = torch.stack([off, on], 1)                             # (m, 2, h, w)
            if pool > 1:
                frame = torch.nn.functional.avg_pool2d(frame, pool, ceil_mode=True,
                                                         divisor_override=1)
            frames.append(frame.round().clamp(max=255).to(torch.uint8).reshape(m, -1))
        out.append(torch.stack(frames, 1))
    return torch.cat(out)
