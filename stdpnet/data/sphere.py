"""A minimal NIST SPHERE reader (the format of TI-46 and TIMIT).

A SPHERE file is a plain-text header followed by raw samples::

    NIST_1A
       1024
    sample_rate -i 12500
    channel_count -i 1
    sample_n_bytes -i 2
    sample_byte_format -s2 01
    sample_coding -s3 pcm
    sample_count -i 10000
    end_head
    <padding up to 1024 bytes><samples>

The second line is the header size in bytes. Only uncompressed linear PCM is
read; shorten-compressed files (``sample_coding`` 'pcm,embedded-shorten-…')
must first be expanded with NIST's ``w_decode`` or ``sph2pipe``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError

MAGIC = b"NIST_1A"
HEADER_SIZE = 1024
_BYTE_ORDERS = {"01": "<", "10": ">", "1": "|"}


def read_sphere_header(path: Path | str) -> dict:
    """The header fields as a dict (ints for -i, floats for -r, str for -sN),
    plus 'header_size'."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(HEADER_SIZE)
        if not head.startswith(MAGIC):
            raise DataError(f"{path} is not a NIST SPHERE file (it does not start with NIST_1A)")
        lines = head.split(b"\n")
        try:
            size = int(lines[1].strip())
        except (IndexError, ValueError):
            raise DataError(f"{path}: SPHERE header size (second line) is unreadable") from None
        if size < 16 or size % 1024:
            raise DataError(f"{path}: SPHERE header size {size} is not a positive multiple of 1024")
        if size > HEADER_SIZE:
            f.seek(0)
            head = f.read(size)
    text = head[:size].decode("ascii", errors="replace")
    if "end_head" not in text:
        raise DataError(f"{path}: SPHERE header has no end_head line within {size} bytes")
    fields: dict = {"header_size": size}
    for line in text.split("\n")[2:]:
        line = line.strip()
        if line == "end_head":
            break
        if not line or line.startswith(";"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise DataError(f"{path}: malformed SPHERE header line {line!r}")
        key, kind, value = parts
        try:
            if kind == "-i":
                fields[key] = int(value)
            elif kind == "-r":
                fields[key] = float(value)
            elif kind.startswith("-s"):
                fields[key] = value[:int(kind[2:])] if kind[2:].isdigit() else value
            else:
                raise ValueError(kind)
        except ValueError:
            raise DataError(f"{path}: malformed SPHERE header line {line!r}") from None
    return fields


def read_sphere(path: Path | str) -> tuple[np.ndarray, int]:
    """Samples as float32 in [-1, 1], shape (n,) for mono or (n, channels),
    and the sample rate in Hz."""
    path = Path(path)
    h = read_sphere_header(path)
    coding = str(h.get("sample_coding", "pcm")).lower()
    if "shorten" in coding:
        raise DataError(f"{path} is shorten-compressed (sample_coding {coding!r}); "
                        f"expand it first, e.g. `sph2pipe -f sph {path.name} out.sph`")
    if coding != "pcm":
        raise DataError(f"{path}: sample_coding {coding!r} is not supported (only linear 'pcm')")
    for key in ("sample_rate", "sample_n_bytes"):
        if key not in h:
            raise DataError(f"{path}: SPHERE header lacks {key}")
    width = h["sample_n_bytes"]
    if width not in (1, 2, 4):
        raise DataError(f"{path}: sample_n_bytes {width} is not supported (1, 2 or 4)")
    channels = h.get("channel_count", 1)
    order = str(h.get("sample_byte_format", "1" if width == 1 else ""))
    if order not in _BYTE_ORDERS:
        raise DataError(f"{path}: sample_byte_format {order!r} is missing or unknown "
                        f"(expected 01 little-endian or 10 big-endian)")
    dtype = np.dtype(f"{_BYTE_ORDERS[order]}i{width}")
    raw = path.read_bytes()[h["header_size"]:]
    count = h.get("sample_count")
    n_values = len(raw) // width if count is None else count * channels
    if n_values * width > len(raw):
        raise DataError(f"{path} is truncated: header says {count} samples x {channels} channels, "
                        f"the file holds {len(raw) // (width * channels)}")
    if n_values == 0:
        raise DataError(f"{path} holds no samples")
    data = np.frombuffer(raw, dtype=dtype, count=n_values).astype(np.float32)
    data /= float(2 ** (8 * width - 1))
    if channels > 1:
        data = data.reshape(-1, channels)
    return data, int(h["sample_rate"])
