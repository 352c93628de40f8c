"""Datasets as flat pixel arrays (0..255) with integer labels."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Data


@dataclass
class Dataset:
    train_x: np.ndarray   # (n, n_input) values in 0..255
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    shape: tuple          # image shape for plots, e.g. (28, 28)
    n_classes: int = 10

    @property
    def n_input(self) -> int:
        return self.train_x.shape[1]


def bars(n: int, size: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Tiny synthetic set: a bright two-pixel-wide horizontal (class 0) or
    vertical (class 1) bar at a random position, on a faint noisy background."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.integers(0, 20, (n, size, size)).astype(np.float64)
    pos = rng.integers(0, size, n)
    for k in range(n):
        rows = [pos[k], (pos[k] + 1) % size]
        if labels[k] == 0:
            images[k, rows, :] = 255
        else:
            images[k, :, rows] = 255
    return images.reshape(n, -1), labels.astype(np.int64)


def load_dataset(data: Data, seed: int = 0) -> Dataset:
    if data.dataset == "mnist":
        from .mnist import load_mnist

        root = data.root or None
        tx, ty = load_mnist("train", root)
        vx, vy = load_mnist("test", root)
        return Dataset(tx.reshape(len(tx), -1), ty, vx.reshape(len(vx), -1), vy, (28, 28))
    if data.dataset == "synthetic":
        tx, ty = bars(max(data.train_examples, data.assign_examples), seed=seed)
        vx, vy = bars(data.test_examples, seed=seed + 1)
        return Dataset(tx, ty, vx, vy, (8, 8), n_classes=2)
    if data.dataset == "caltech101":
        from .caltech import load_caltech
        from .paths import datasets_root, shared_datasets

        # data.root is the class-per-subfolder folder itself; else the local
        # copy, else the shared subset beside the checkout
        root = data.root or datasets_root() / "caltech101"
        if not data.root and not root.is_dir() and shared_datasets():
            root = shared_datasets() / "caltech101_subset"
        c = load_caltech(root, data.classes, data.image_size, data.train_per_class, seed,
                         data.preprocess, (data.dog_sigma_center, data.dog_sigma_surround),
                         n_test_per_class=data.test_per_class)
        side = data.image_size
        shape = (2 * side, side) if data.preprocess == "on_off" else (side, side)
        return Dataset(255.0 * c["train_x"].astype(np.float64), c["train_y"],
                       255.0 * c["test_x"].astype(np.float64), c["test_y"], shape,
                       n_classes=len(data.classes))
    raise ValueError(f"data.dataset: unknown dataset {data.dataset!r}")
