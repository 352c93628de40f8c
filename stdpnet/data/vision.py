"""torchvision's image datasets by name (``torchvision:FashionMNIST``,
``torchvision:KMNIST``, ``torchvision:CIFAR10``), read from torchvision's
folder layout under a root with ``download=False``; ``fetch_torchvision``
downloads them (or, offline, unpacks and checks files put there by hand).

Every file torchvision reads is checked first, so a missing or corrupt one
is an error naming it: the gzipped IDX files and CIFAR-10's batches against
their published MD5s, then the counts, image shapes and labels.
"""
from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from .arrays import encode_labels, labels_of
from .idx import md5
from .paths import datasets_root, shared_datasets


@dataclass(frozen=True)
class Known:
    """What a torchvision dataset holds, checked after reading it."""
    title: str
    counts: tuple[int, int]   # training, test images
    image: tuple              # one stored image's shape
    n_classes: int
    folder: str               # torchvision's folder under the root


KNOWN = {
    "FashionMNIST": Known("Fashion-MNIST", (60_000, 10_000), (28, 28), 10, "FashionMNIST/raw"),
    "KMNIST": Known("KMNIST", (60_000, 10_000), (28, 28), 10, "KMNIST/raw"),
    "CIFAR10": Known("CIFAR-10", (50_000, 10_000), (32, 32, 3), 10, "cifar-10-batches-py"),
}


def torchvision_class(name: str):
    """torchvision's dataset class ``name`` (torchvision is imported only here)."""
    if name not in KNOWN:
        raise DataError(f"unknown torchvision dataset {name!r}: choose one of {', '.join(KNOWN)}")
    import torchvision.datasets

    return getattr(torchvision.datasets, name)


def default_root(name: str) -> Path:
    """$STDPNET_DATASETS (or ./datasets), else the shared copy beside the checkout if it has ``name``."""
    root = datasets_root()
    shared = shared_datasets()
    if not (root / KNOWN[name].folder).is_dir() and shared and (shared / KNOWN[name].folder).is_dir():
        return shared
    return root


def offline_help(name: str, root: Path) -> str:
    """Which files to put where when torchvision cannot download ``name``."""
    cls = torchvision_class(name)
    if name == "CIFAR10":
        return (f"put {cls.filename} (from {cls.url}, MD5 {cls.tgz_md5}) into {root} and run "
                f"`stdpnet data fetch torchvision:{name} --root {root}` (it checks and unpacks it)")
    names = ", ".join(f for f, _ in cls.resources)
    return (f"put {names} (from {cls.mirrors[0]}) into {root / KNOWN[name].folder} and run "
            f"`stdpnet data fetch torchvision:{name} --root {root}` (it checks their MD5s and unpacks them)")


def check_files(name: str, root: Path) -> None:
    """Every file torchvision will read is there and, where an MD5 is published, matches it."""
    cls, folder = torchvision_class(name), root / KNOWN[name].folder
    if name == "CIFAR10":
        needed = [(folder / f, digest) for f, digest in cls.train_list + cls.test_list]
        needed.append((folder / cls.meta["filename"], cls.meta["md5"]))
    else:   # torchvision reads the unpacked files; the .gz beside them carry the published MD5s
        needed = [(folder / f, digest) for f, digest in cls.resources]
        needed += [(folder / f.removesuffix(".gz"), None) for f, _ in cls.resources]
    for path, digest in needed:
        if not path.is_file():
            raise DataError(f"{KNOWN[name].title}: {path} not found; {offline_help(name, root)}")
        if digest and md5(path) != digest:
            raise DataError(f"{path}: MD5 does not match {KNOWN[name].title}'s published {digest}: "
                            f"the file is corrupt or truncated; delete it and "
                            f"{offline_help(name, root).replace('put', 'put a good copy of', 1)}")
    if name != "CIFAR10":   # what torchvision reads must be what the checked .gz holds
        for f, _ in cls.resources:
            unpacked = folder / f.removesuffix(".gz")
            if md5(unpacked) != unpacked_md5(folder / f):
                raise DataError(f"{unpacked}: not what {f} beside it holds (that file matches "
                                f"{KNOWN[name].title}'s published MD5); delete it and run `stdpnet data "
                                f"fetch torchvision:{name} --root {root}`, which unpacks it again")


def check_placed(name: str, root: Path) -> None:
    """Where files of ``name`` were put under ``root`` by hand (CIFAR-10: its
    archive in ``root``), a DataError names one that is missing or damaged."""
    cls = torchvision_class(name)
    if name == "CIFAR10" and (root / cls.filename).is_file():
        if md5(root / cls.filename) != cls.tgz_md5:
            raise DataError(f"{root / cls.filename}: MD5 does not match {KNOWN[name].title}'s published "
                            f"{cls.tgz_md5}: the file is corrupt or truncated; delete it and "
                            f"{offline_help(name, root).replace('put', 'put a good copy of', 1)}")
    if any(p.is_file() for p in (root / KNOWN[name].folder).rglob("*")):
        check_files(name, root)


def unpacked_md5(gz: Path) -> str:
    """The MD5 of what the gzipped file ``gz`` holds."""
    h = hashlib.md5()
    with gzip.open(gz, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_torchvision(name: str, root: Path | str | None = None) -> dict:
    """Training and test images (stored shape, uint8) and labels 0..9 of ``name``.

    Returns a dict: train_x, train_y, test_x, test_y, class_names, title, folder.
    """
    known = KNOWN.get(name)
    root = Path(root) if root else default_root(name)
    check_files(name, root)
    cls = torchvision_class(name)
    folder = root / known.folder
    out = {"title": known.title, "folder": folder}
    for part, n in zip(("train", "test"), known.counts):
        try:
            ds = cls(str(root), train=part == "train", download=False)
        except Exception as exc:  # torchvision's own read errors (RuntimeError, pickle, value errors)
            raise DataError(f"{folder}: torchvision cannot read {known.title} ({exc}); "
                            f"{offline_help(name, root)}") from exc
        x = np.asarray(ds.data.numpy() if hasattr(ds.data, "numpy") else ds.data, dtype=np.uint8)
        if x.shape != (n, *known.image):
            raise DataError(f"{folder}: the {part} images have shape {x.shape}, {known.title} has "
                            f"{(n, *known.image)}; {offline_help(name, root)}")
        targets = ds.targets.numpy() if hasattr(ds.targets, "numpy") else np.asarray(ds.targets)
        out[f"{part}_x"] = x
        out[f"{part}_y"] = labels_of(targets, n, f"{folder} ({part} labels)")
        out["class_names"] = tuple(ds.classes)
    out["train_y"], out["test_y"], out["class_names"] = encode_labels(
        out["train_y"], out["test_y"], f"{folder} (train labels)", f"{folder} (test labels)",
        out["class_names"], known.n_classes)
    return out


def fetch_torchvision(name: str, root: Path | str | None = None, log=print) -> Path:
    """Download ``name`` with torchvision into ``root`` (default $STDPNET_DATASETS
    or ./datasets) and verify it; files already there (a download, or copies
    put there by hand) are checked and unpacked instead. Returns the folder."""
    root = Path(root) if root else datasets_root()
    cls, known = torchvision_class(name), KNOWN[name]
    try:
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except Exception as exc:  # no internet, a mirror down, a bad checksum
        check_placed(name, root)      # files put there by hand: name the one missing or damaged
        detail = str(exc).strip().splitlines()
        raise DataError(f"{known.title} could not be downloaded ({type(exc).__name__}: "
                        f"{detail[0] if detail else ''}). Offline, {offline_help(name, root)}") from exc
    load_torchvision(name, root)
    log(f"{known.title} verified in {root / known.folder}")
    return root / known.folder
