"""Checks of image and label arrays read from files (IDX, npz, torchvision):
pixel values 0..255 and labels mapped to 0..K-1, with errors naming the file."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import DataError


def pixels(*parts: tuple[np.ndarray, str]) -> list[np.ndarray]:
    """The image arrays of one dataset, given as (array, source) pairs, as
    pixel values 0..255 (uint8 kept as it is, else float64). Each array holds
    images (n, H, W), (n, H, W, C) with C = 1 or 3 (made grey), or flat (n, D).
    Integers are pixel values 0..255; floats are scaled by 255 when every
    float array is in [0, 1]: floats in [0, 1] in one array and beyond 1 in
    another is an error naming both."""
    checked = [_values(x, source) for x, source in parts]
    floats = [(x, source) for (x, floating), (_, source) in zip(checked, parts) if floating]
    unit = [source for x, source in floats if x.max() <= 1.0]
    beyond = [source for x, source in floats if x.max() > 1.0]
    if unit and beyond:
        raise DataError(f"{beyond[0]}: float pixel values beyond 1, but {unit[0]} holds floats in "
                        "[0, 1]: give every image array on one scale (0..255 or 0..1)")
    return [255.0 * x if floating and unit else x for x, floating in checked]


def _values(x: np.ndarray, source: str) -> tuple[np.ndarray, bool]:
    """(pixel values 0..255 or floats in [0, 1], whether the array held floats)."""
    x = np.asarray(x)
    if x.dtype.kind not in "uif":
        raise DataError(f"{source}: images must be numbers, got dtype {x.dtype}")
    floating = x.dtype.kind == "f"
    if x.ndim == 4 and x.shape[-1] in (1, 3):
        x = x[..., 0] if x.shape[-1] == 1 else x @ np.array([0.299, 0.587, 0.114])
    elif x.ndim == 3 and x.shape[-1] in (3, 4) and x.shape[1] > x.shape[-1]:
        # grey images 3 or 4 pixels wide are far likelier one colour image, or colour images flattened
        raise DataError(f"{source}: shape {x.shape} reads as images {x.shape[-1]} pixels wide; colour "
                        f"images are (n, height, width, {x.shape[-1] if x.shape[-1] == 3 else 3}): "
                        "give that shape, or grey (n, height, width)")
    if x.ndim not in (2, 3) or len(x) == 0 or 0 in x.shape:
        raise DataError(f"{source}: images must be a non-empty (n, height, width) or (n, inputs) "
                        f"array, got shape {x.shape}")
    if x.dtype == np.uint8:
        return x, False
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise DataError(f"{source}: images hold NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0 or hi > 255:
        raise DataError(f"{source}: pixel values must be in 0..255 (or floats in [0, 1]), "
                        f"found {lo:g}..{hi:g}")
    return x, floating


def image_shape_of(x: np.ndarray) -> tuple[int, int]:
    """The (height, width) plots draw one example in: (H, W) of (n, H, W) images,
    else a square side for a square number of flat inputs, else one row."""
    if x.ndim == 3:
        return int(x.shape[1]), int(x.shape[2])
    side = int(round(np.sqrt(x.shape[1])))
    return (side, side) if side * side == x.shape[1] else (1, int(x.shape[1]))


def labels_of(y: np.ndarray, n: int, source: str) -> np.ndarray:
    """``n`` integer labels as int64; DataError naming ``source`` otherwise."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"{source}: labels must be one-dimensional, got shape {y.shape}")
    if len(y) != n:
        raise DataError(f"{source}: {len(y)} labels for {n} images")
    if y.dtype.kind not in "ui" and not (y.dtype.kind == "f" and np.all(y == np.round(y))):
        raise DataError(f"{source}: labels must be integers, got dtype {y.dtype}")
    if len(y) and (y.min() < -2**62 or y.max() > 2**62):
        raise DataError(f"{source}: labels must be class numbers, found {y.min()}..{y.max()}")
    return y.astype(np.int64)


def encode_labels(train_y: np.ndarray, test_y: np.ndarray, train_source: str, test_source: str,
                  names: Sequence[str] | None = None, n_classes: int | None = None):
    """Labels as they are stored -> (train, test labels 0..K-1, class names).

    The classes are the distinct training labels in increasing order; a test
    label that never occurs in training is an error naming ``test_source``.
    ``names[v]`` names the stored label value ``v`` (default: the value).
    With ``n_classes`` (a known dataset), every label must be in 0..n_classes-1
    and every class present.
    """
    if n_classes is not None:
        for y, source in ((train_y, train_source), (test_y, test_source)):
            if len(y) and (y.min() < 0 or y.max() >= n_classes):
                raise DataError(f"{source}: labels must be in 0..{n_classes - 1}, "
                                f"found {y.min()}..{y.max()}")
        classes = np.arange(n_classes)
    else:
        classes = np.unique(train_y)
    if len(classes) < 2:
        raise DataError(f"{train_source}: needs at least two classes, found {classes.tolist()}")
    unseen = np.setdiff1d(np.unique(test_y), classes)
    if len(unseen):
        raise DataError(f"{test_source}: labels {unseen[:5].tolist()} never occur in the training labels "
                        f"({train_source})")
    nameless = classes[(classes < 0) | (classes >= len(names))] if names is not None else []
    if len(nameless):
        raise DataError(f"{train_source}: labels {nameless[:5].tolist()} have no name "
                        f"({len(names)} class names name labels 0..{len(names) - 1})")
    class_names = tuple(str(names[c]) if names is not None else str(c) for c in classes)
    return np.searchsorted(classes, train_y), np.searchsorted(classes, test_y), class_names
