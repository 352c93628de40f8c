"""Class-per-subfolder image datasets: ``<root>/<class>/<image>``.

Every subfolder is a class (or a chosen subset of them); each image is made
grey, resized and optionally turned into ON/OFF edge maps
(``stdpnet.data.images``), and every class is split into training and test
images by its own seeded generator. Caltech-101 (``caltech``) is one such
folder.
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import DataError
from .images import image_shape, n_inputs, preprocess_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff"}


def class_folders(root: Path | str) -> list[str]:
    """The names of ``root``'s visible subfolders, sorted: every class there is."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image folder {root} (data.root) not found: expected <root>/<class>/<image>")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def list_class_images(root: Path | str, classes: Sequence[str]) -> dict[str, list[Path]]:
    """Image files of each class, sorted by name; DataError for a missing or empty class."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image folder {root} (data.root) not found: expected <root>/<class>/<image>")
    if len(set(classes)) != len(classes) or not classes:
        raise DataError(f"classes must be a non-empty list without repeats, got {list(classes)}")
    images = {}
    for name in classes:
        folder = root / name
        if not folder.is_dir():
            present = class_folders(root)
            raise DataError(f"class {name!r}: folder {folder} not found "
                            f"(classes present in {root}: {', '.join(present) or 'none'})")
        files = sorted(p for p in folder.iterdir()
                       if p.is_file() and not p.name.startswith(".")
                       and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"class {name!r}: folder {folder} holds no images "
                            f"({', '.join(sorted(IMAGE_SUFFIXES))})")
        images[name] = files
    return images


def split_files(images: dict[str, list[Path]], n_train_per_class: int | None = None,
                train_fraction: float = 0.5, n_test_per_class: int | None = None,
                seed: int = 0) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
    """Seeded per-class train/test split.

    Each class is shuffled by its own generator, seeded by ``seed`` and the
    class name, so adding or removing a class leaves the other classes' splits
    unchanged. ``n_train_per_class`` wins over ``train_fraction``; the test set
    is the rest of the class, capped at ``n_test_per_class``.
    """
    if not 0.0 < train_fraction < 1.0:
        raise DataError(f"train_fraction must be in (0, 1), got {train_fraction}")
    train, test = {}, {}
    for name, files in images.items():
        n = len(files)
        n_train = n_train_per_class if n_train_per_class is not None else int(round(train_fraction * n))
        if not 0 < n_train < n:
            key = "data.train_per_class: " if n_train_per_class is not None else ""
            raise DataError(f"{key}class {name!r} has {n} images: cannot take {n_train} for training "
                            f"and leave at least one for testing")
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        order = rng.permutation(n)
        train[name] = [files[i] for i in sorted(order[:n_train])]
        rest = sorted(order[n_train:])
        if n_test_per_class is not None:
            rest = sorted(order[n_train:n_train + n_test_per_class])
        test[name] = [files[i] for i in rest]
    return train, test


def load_folder(root: Path | str, classes: Sequence[str] | None = None,
                size: tuple[int, int] | int = (28, 28), n_train_per_class: int | None = None,
                seed: int = 0, preprocess: str = "on_off", sigmas: tuple[float, float] = (1.0, 2.0),
                fit: str = "pad", train_fraction: float = 0.5,
                n_test_per_class: int | None = None) -> dict:
    """Load the classes ``classes`` (None or empty: every subfolder) as train/test arrays.

    Returns a dict: train_x, test_x (N, n_inputs) float32 in [0, 1]; train_y,
    test_y (N,) int64 indexing ``class_names``; train_files, test_files (paths
    relative to ``root``, e.g. 'watch/image_0001.jpg', to record the split);
    plus the settings used.
    """
    root = Path(root)
    if not classes:
        classes = class_folders(root)
        if len(classes) < 2:
            raise DataError(f"image folder {root}: needs at least two class subfolders, "
                            f"found {', '.join(classes) or 'none'}")
    classes = list(classes)
    images = list_class_images(root, classes)
    train, test = split_files(images, n_train_per_class, train_fraction, n_test_per_class, seed)
    out = {"class_names": list(classes), "root": str(root), "seed": seed, "size": image_shape(size, "gray"),
           "preprocess": preprocess, "sigmas": tuple(sigmas), "fit": fit}
    for part, files in (("train", train), ("test", test)):
        paths = [(label, p) for label, name in enumerate(classes) for p in files[name]]
        x = np.empty((len(paths), n_inputs(size, preprocess)), dtype=np.float32)
        for i, (_, path) in enumerate(paths):
            x[i] = preprocess_image(path, size, preprocess, sigmas, fit)
        out[f"{part}_x"] = x
        out[f"{part}_y"] = np.array([label for label, _ in paths], dtype=np.int64)
        out[f"{part}_files"] = [p.relative_to(root).as_posix() for _, p in paths]
    return out
