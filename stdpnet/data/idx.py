"""MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST, ...).

A folder holds four files found by their usual names, each optionally
gzipped and optionally prefixed (``emnist-letters-train-images-idx3-ubyte.gz``):
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (``test-`` for
``t10k-`` too). Gzipped files of a dataset with published MD5s (MNIST,
Fashion-MNIST, KMNIST) are checked against them; any other set is checked
for its format, shapes and labels only.
"""
from __future__ import annotations

import gzip
import hashlib
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from .arrays import encode_labels, labels_of, pixels

# role -> (file name stem pattern, dimensions)
ROLES = {"train_images": (r"train[-.]images", 3), "train_labels": (r"train[-.]labels", 1),
         "test_images": (r"(t10k|test)[-.]images", 3), "test_labels": (r"(t10k|test)[-.]labels", 1)}
USUAL_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True)
class Published:
    """A dataset whose gzipped IDX files have published MD5 checksums."""
    title: str
    md5: dict           # role -> MD5 of the .gz file
    class_names: tuple


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                   "Bag", "Ankle boot")
PUBLISHED = (
    Published("MNIST", {"train_images": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                        "train_labels": "d53e105ee54ea40749a09fcbcd1e9432",
                        "test_images": "9fb629c4189551a2d022fa330f9573f3",
                        "test_labels": "ec29112dd5afa0611ce80d1b7f02629c"}, tuple("0123456789")),
    Published("Fashion-MNIST", {"train_images": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                                "train_labels": "25c81989df183df01b3e8a0aad5dffbe",
                                "test_images": "bef4ecab320f06d8554ea6380940ec79",
                                "test_labels": "bb300cfdad3c16e7a12a480ee83cd310"},
              FASHION_CLASSES),
    Published("KMNIST", {"train_images": "bdb82020997e1d708af4cf47b453dcf7",
                         "train_labels": "e144d726b3acfaa3e44228e80efcd344",
                         "test_images": "5c965bf0a639b31b8f53240b1b52f4d7",
                         "test_labels": "7320c461ea6c1c855c0b718fb2a4b134"},
              ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")),
    # the same images and labels, gzipped anew by Debian (MD5s from the package's md5sums)
    Published("Fashion-MNIST (Debian package dataset-fashion-mnist)",
              {"train_images": "cf8536b0aa1a6ac5fa3f23001093305c",
               "train_labels": "10bea18fdb374794d4bb42e356e600c9",
               "test_images": "f78720b4224f21cce2f2ccf2d7a94c9a",
               "test_labels": "0d30e22e447f3c33dab9ed536400ac01"},
              FASHION_CLASSES),
)


def find_files(root: Path | str) -> dict[str, Path]:
    """The four IDX files of ``root`` by role; a gzipped file wins over its unpacked copy."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"IDX folder {root} (data.root) not found: expected {', '.join(USUAL_NAMES)} "
                        f"(each optionally .gz) in it")
    files = {}
    for role, (stem, dims) in ROLES.items():
        pattern = re.compile(rf"^(.*[-_.])?{stem}[-.]idx{dims}-ubyte(\.gz)?$")
        matches = sorted(p for p in root.iterdir() if p.is_file() and pattern.match(p.name))
        unpacked = {p.name.removesuffix(".gz") for p in matches}
        if not matches:
            raise DataError(f"{root}: no {USUAL_NAMES[list(ROLES).index(role)]}[.gz] "
                            f"(an IDX folder holds {', '.join(USUAL_NAMES)}, each optionally .gz)")
        if len(unpacked) > 1:
            raise DataError(f"{root}: several files could be the {role.replace('_', ' ')}: "
                            f"{', '.join(p.name for p in matches)}; keep one set per folder")
        files[role] = next((p for p in matches if p.suffix == ".gz"), matches[0])
    return files


def read_idx(path: Path | str, dims: int | None = None) -> np.ndarray:
    """The array of one IDX file (gzipped if its name ends in .gz); DataError
    naming the file for a bad magic number, a truncated file or wrong dimensions."""
    path = Path(path)
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot be read ({exc}); it is truncated or corrupt") from exc
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in DTYPES or data[3] == 0:
        raise DataError(f"{path}: not an IDX file (magic number 0x{data[:4].hex() or '-'}, expected "
                        f"0x000008{dims or 1:02x} or another IDX type)")
    ndim, header = data[3], 4 + 4 * data[3]
    if dims is not None and ndim != dims:
        raise DataError(f"{path}: holds a {ndim}-dimensional array, expected {dims} dimensions "
                        f"(magic number 0x{data[:4].hex()})")
    if len(data) < header:
        raise DataError(f"{path}: truncated inside its header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(DTYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(f"{path}: its header announces shape {shape} ({expected} bytes of data), "
                        f"but it holds {len(data) - header}; it is truncated or corrupt")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def identify(files: dict[str, Path]) -> Published | None:
    """The published dataset whose MD5s the gzipped files match, or None (unknown).
    Files that match one dataset's checksums beside one that does not, or
    beside an unpacked one (which has no published MD5): DataError naming
    the odd file."""
    digests = {role: md5(path) for role, path in files.items() if path.suffix == ".gz"}
    for known in PUBLISHED:
        matching = [role for role, digest in digests.items() if digest == known.md5[role]]
        odd = [role for role in digests if role not in matching]
        if matching and odd:
            role = odd[0]
            raise DataError(f"{files[role]}: MD5 {digests[role]} is not {known.title}'s published "
                            f"{known.md5[role]} (the other files here are {known.title}'s); the file is "
                            f"corrupt or from another dataset: download it again")
        if matching:
            unpacked = [role for role, path in files.items() if path.suffix != ".gz"]
            if unpacked:   # only the .gz carry the published MD5s
                raise DataError(f"{files[unpacked[0]]}: an unpacked file beside {known.title}'s "
                                f"published .gz files cannot be checked against them: put its .gz "
                                f"there instead")
            return known
    return None


def load_idx(root: Path | str) -> dict:
    """Training and test images (n, H, W) 0..255 and labels 0..K-1 of an IDX folder.

    Returns a dict: train_x, train_y, test_x, test_y, class_names (the
    published names of a known dataset, else the stored label values), title
    (the known dataset's name, or None) and files (role -> path).
    """
    files = find_files(root)
    known = identify(files)
    arrays = {role: read_idx(path, ROLES[role][1]) for role, path in files.items()}
    out = {"files": files, "title": known.title if known else None}
    out["train_x"], out["test_x"] = pixels(*((arrays[f"{part}_images"], str(files[f"{part}_images"]))
                                             for part in ("train", "test")))
    for part in ("train", "test"):
        out[f"{part}_y"] = labels_of(arrays[f"{part}_labels"], len(out[f"{part}_x"]),
                                     str(files[f"{part}_labels"]))
    if out["train_x"].shape[1:] != out["test_x"].shape[1:]:
        raise DataError(f"{files['test_images']}: images of shape {out['test_x'].shape[1:]}, but the "
                        f"training images ({files['train_images']}) are {out['train_x'].shape[1:]}")
    out["train_y"], out["test_y"], out["class_names"] = encode_labels(
        out["train_y"], out["test_y"], str(files["train_labels"]), str(files["test_labels"]),
        known.class_names if known else None, len(known.class_names) if known else None)
    return out
