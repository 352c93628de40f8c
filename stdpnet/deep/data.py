"""Image sets as float tensors in [0, 1], (N, C, H, W), with int64 labels.

MNIST comes from the project's pipeline (``stdpnet.data.mnist``). CIFAR-10/100
are read from torchvision's python-pickle layout under ``<root>/cifar10`` or
``<root>/cifar100``; where the files are absent, torchvision's downloader
fetches and checks them (needs internet).
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from ..data.paths import datasets_root

INFO = {
    "mnist": dict(channels=1, image_size=28, num_classes=10, mean=None, std=None, train_images=60000),
    "cifar10": dict(channels=3, image_size=32, num_classes=10, train_images=50000,
                    mean=[0.4914, 0.4822, 0.4465], std=[0.2470, 0.2435, 0.2616]),
    "cifar100": dict(channels=3, image_size=32, num_classes=100, train_images=50000,
                     mean=[0.5071, 0.4865, 0.4409], std=[0.2673, 0.2564, 0.2762]),
}
# data.augment = true means: digits shift by up to 2 pixels (a flipped digit is
# another symbol); natural images shift by up to 4 and flip left-right.
AUGMENT = {"mnist": dict(pad=2, flip=False), "cifar10": dict(pad=4, flip=True),
           "cifar100": dict(pad=4, flip=True)}


def images_root(root) -> Path:
    """The folder a spec's ``data.root`` names ("" = the datasets folder)."""
    return Path(root) if root else datasets_root()


def load_images(dataset: str, split: str, root=None, limit: int = 0,
                download: bool = True, verify: bool = True):
    """(images float32 tensor (N, C, H, W) in [0, 1], labels int64 tensor)."""
    if dataset not in INFO:
        raise DataError(f"unknown dataset {dataset!r}: use one of {', '.join(INFO)}")
    if split not in ("train", "test"):
        raise DataError(f"unknown split {split!r}: use 'train' or 'test'")
    if dataset == "mnist":
        from ..data.mnist import load_mnist

        images, labels = load_mnist(split, root=root or None)
        images = images[:, None]
    else:
        images, labels = load_cifar(dataset, split, images_root(root), download, verify)
    if limit:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0)
    return x, torch.from_numpy(np.asarray(labels, dtype=np.int64))


def _cifar_class(dataset):
    from torchvision.datasets import CIFAR10, CIFAR100

    return CIFAR10 if dataset == "cifar10" else CIFAR100


def load_cifar(dataset: str, split: str, root: Path, download: bool = True,
               verify: bool = True):
    """uint8 images (N, 3, 32, 32) and labels from the CIFAR pickle batches.

    File names and MD5 sums are torchvision's; ``verify=False`` skips the MD5
    check (only for small synthetic sets written in the same layout)."""
    from torchvision.datasets.utils import check_integrity

    cls = _cifar_class(dataset)
    folder = root / dataset
    files = cls.train_list if split == "train" else cls.test_list
    paths = [folder / cls.base_folder / name for name, _ in files]
    if not all(p.exists() for p in paths) and download:
        try:
            cls(str(folder), train=(split == "train"), download=True)
        except Exception as exc:  # no internet: say where the files belong
            raise DataError(f"{dataset} files missing under {folder / cls.base_folder} and "
                            f"the download failed ({type(exc).__name__}: {exc}); put the "
                            f"python-version archive from {cls.url} there, extracted") from exc
    images, labels = [], []
    for path, (name, md5) in zip(paths, files):
        if not path.exists():
            raise DataError(f"{path} not found ({dataset} {split} batch {name})")
        if verify and not check_integrity(str(path), md5):
            raise DataError(f"{path}: MD5 does not match torchvision's for {name}; "
                            "delete the folder and download again")
        try:
            with open(path, "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            data = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            target = entry["labels"] if "labels" in entry else entry["fine_labels"]
        except Exception as exc:
            raise DataError(f"{path}: not a CIFAR python batch ({exc})") from exc
        if len(target) != len(data):
            raise DataError(f"{path}: {len(data)} images but {len(target)} labels")
        images.append(data)
        labels.append(np.asarray(target, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def augment(images: torch.Tensor, generator: torch.Generator | None = None, pad: int = 4,
            flip: bool = True) -> torch.Tensor:
    """Random crop after ``pad``-pixel zero padding and, if ``flip``, random
    horizontal flip; one gather for the whole batch, on the batch's device."""
    n, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (pad, pad, pad, pad))
    dx = torch.randint(0, 2 * pad + 1, (n, 1), generator=generator)
    dy = torch.randint(0, 2 * pad + 1, (n, 1), generator=generator)
    flips = (torch.rand(n, 1, generator=generator) < 0.5) & flip
    cols = torch.arange(w).expand(n, w)
    cols = torch.where(flips, w - 1 - cols, cols) + dx
    rows = torch.arange(h).expand(n, h) + dy
    device = images.device
    index = (torch.arange(n, device=device)[:, None, None], slice(None),
             rows.to(device)[:, :, None], cols.to(device)[:, None, :])
    return padded[index].permute(0, 3, 1, 2).contiguous()


def batches(images, labels, batch_size, shuffle=False, generator=None, order=None, first=0):
    """Yield (images, labels) slices; shuffled with ``generator`` if asked,
    or in ``order`` (indices) if given; from batch number ``first`` on."""
    n = len(images)
    if order is None:
        order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for i in range(first * batch_size, n, batch_size):
        idx = order[i:i + batch_size]
        yield images[idx], labels[idx]
