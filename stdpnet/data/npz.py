"""Image datasets in one NumPy .npz file.

Arrays ``x`` (images: (n, H, W), (n, H, W, C) or (n, inputs); pixel values
0..255 or floats in [0, 1]) and ``y`` (integer labels), optionally
``x_test`` and ``y_test`` (``x_train``/``y_train`` are read as ``x``/``y``)
and ``class_names`` (the name of each stored label value). Without test
arrays the test part is carved from ``x``: the last ``test_fraction`` of
each class in file order, the same for every seed.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import DataError
from .arrays import encode_labels, image_shape_of, labels_of, pixels

ALIASES = {"x": ("x", "x_train"), "y": ("y", "y_train")}


def _read(path: Path) -> dict[str, np.ndarray]:
    if path.is_dir():
        raise DataError(f"{path} is a folder: data.root names the .npz file itself")
    if not path.is_file():
        raise DataError(f"npz file {path} not found (data.root names the .npz file)")
    with open(path, "rb") as f:
        start = f.read(4)
    if start != b"PK\x03\x04":     # an .npz is a zip archive of .npy arrays
        raise DataError(f"{path}: not an .npz archive (an .npy array or another file: write the arrays "
                        "with numpy.savez(path, x=..., y=...))")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except Exception as exc:  # zipfile, zlib, pickle and value errors alike
        raise DataError(f"{path}: not a readable .npz file ({exc})") from exc


def _pick(arrays: dict, key: str, path: Path) -> np.ndarray:
    both = [name for name in ALIASES[key] if name in arrays]
    if len(both) > 1:
        raise DataError(f"{path}: holds both {' and '.join(both)}; keep one (they name the same array)")
    for name in ALIASES[key]:
        if name in arrays:
            return arrays[name]
    raise DataError(f"{path}: no array {' or '.join(ALIASES[key])} "
                    f"(found: {', '.join(sorted(arrays)) or 'none'})")


def has_test_arrays(path: Path | str) -> bool:
    """Whether the file holds ``x_test`` and ``y_test`` (its index only is read)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {"x_test", "y_test"} <= set(npz.files)
    except Exception:   # the loader names the problem
        return True


def test_note(path: Path | str, test_fraction: float) -> str | None:
    """A line saying that the test part is carved, for a file without test arrays."""
    if has_test_arrays(path):
        return None
    return (f"{path} holds no x_test/y_test: the test part is the last {test_fraction:.0%} of each "
            f"class in file order (data.test_fraction), the same for every seed")


def test_share(y: np.ndarray, fraction: float, source: str) -> np.ndarray:
    """Mask of the last ``ceil(fraction * n_c)`` examples of each class c, in file order."""
    held = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        k = math.ceil(fraction * len(members))
        if k >= len(members):
            raise DataError(f"{source}: class {c} has {len(members)} example(s): too few to carve a "
                            f"test share of {fraction:g} and keep some for training")
        held[members[len(members) - k:]] = True
    return held


def load_npz(path: Path | str, test_fraction: float = 0.2) -> dict:
    """Training and test images and labels 0..K-1 of one .npz file.

    Returns a dict: train_x, train_y, test_x, test_y, shape (height, width
    for plots), class_names and test_carved (True when the file held no test
    arrays and the test part was carved from ``x``).
    """
    path = Path(path)
    arrays = _read(path)
    present = {"x_test", "y_test"} & set(arrays)
    if len(present) == 1:
        raise DataError(f"{path}: has {present.pop()} without its partner; give both x_test and y_test "
                        f"or neither")
    carved = not present
    x, *test = pixels((_pick(arrays, "x", path), f"{path}: x"),
                      *([] if carved else [(arrays["x_test"], f"{path}: x_test")]))
    y = labels_of(_pick(arrays, "y", path), len(x), f"{path}: y")
    if carved:
        held = test_share(y, test_fraction, f"{path}: y")
        x, y, test_x, test_y = x[~held], y[~held], x[held], y[held]
    else:
        test_x = test[0]
        test_y = labels_of(arrays["y_test"], len(test_x), f"{path}: y_test")
        if test_x.shape[1:] != x.shape[1:]:
            raise DataError(f"{path}: x_test has images of shape {test_x.shape[1:]}, x {x.shape[1:]}")
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in np.ravel(arrays["class_names"])] \
        if "class_names" in arrays else None
    train_y, test_y, class_names = encode_labels(y, test_y, f"{path}: y",
                                                 f"{path}: {'y' if carved else 'y_test'}", names)
    return {"train_x": x, "train_y": train_y, "test_x": test_x, "test_y": test_y,
            "shape": image_shape_of(x), "class_names": class_names, "test_carved": carved}
