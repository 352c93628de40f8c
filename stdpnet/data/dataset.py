"""What the engine reads: a ``Dataset`` of training, validation and test parts
(flat inputs 0..255, labels 0..K-1), and the masks that carve one part out of
another."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..streams import rng

SPLITS = ("train", "validation", "test")


@dataclass
class Dataset:
    """Three disjoint parts: training (what the network learns and is labelled
    on), validation (carved from the training side: every choice is made on
    it) and test (read once, by the final evaluation)."""
    train_x: np.ndarray   # (n, n_input) values in 0..255 (beyond with data.equal_totals)
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    shape: tuple          # image shape for plots, e.g. (28, 28)
    n_classes: int        # labels are 0 .. n_classes - 1
    val_x: np.ndarray | None = None
    val_y: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None   # the name of label k, where the data names them
    time_major: bool = False   # shape is (frames, bands) of an audio map: plots draw time left to right

    @property
    def n_input(self) -> int:
        return self.train_x.shape[1]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, labels) of the part ``name`` (train, validation or test)."""
        if name not in SPLITS:
            raise ConfigError(f"split: must be one of {', '.join(SPLITS)}, got {name!r}")
        if name == "validation" and (self.val_x is None or len(self.val_x) == 0):
            raise ConfigError("split 'validation': this dataset has no validation part "
                              "(data.validation_examples, validation_per_class or validation_indices; "
                              "with data.refit it is trained on); score the test split with --split test")
        return {"train": (self.train_x, self.train_y), "validation": (self.val_x, self.val_y),
                "test": (self.test_x, self.test_y)}[name]


def refitted(data: Dataset) -> Dataset:
    """``data`` with its validation part appended to the training part (and
    no validation part left): for the final run of a setting chosen on
    validation (``data.refit``)."""
    if data.val_x is None or len(data.val_x) == 0:
        return data
    return dataclasses.replace(data, train_x=np.concatenate([data.train_x, data.val_x]),
                               train_y=np.concatenate([data.train_y, data.val_y]),
                               val_x=data.val_x[:0], val_y=data.val_y[:0])


def equal_totals(data: Dataset) -> Dataset:
    """``data`` with every example scaled so its inputs sum to the training
    part's mean sum (``data.equal_totals``): an image with little ink drives
    the same total input rate as one with much. Blank examples stay blank."""
    target = data.train_x.sum(axis=1).mean()

    def scaled(x):
        if x is None:
            return None
        totals = x.sum(axis=1, keepdims=True, dtype=np.float64)
        return np.divide(x * target, totals, out=np.zeros(x.shape), where=totals > 0)

    return dataclasses.replace(data, train_x=scaled(data.train_x), val_x=scaled(data.val_x),
                               test_x=scaled(data.test_x))


def carve(x: np.ndarray, y: np.ndarray, held: np.ndarray):
    """(kept x, kept y, held-out x, held-out y) for a boolean mask ``held``."""
    held = np.asarray(held, dtype=bool)
    return x[~held], y[~held], x[held], y[held]


def last_mask(n: int, k: int, what: str) -> np.ndarray:
    """The last ``k`` of ``n`` training examples (MNIST's validation part);
    ``what`` names the data in the error when nothing would be left."""
    if k >= n:
        raise ConfigError(f"data.validation_examples: {k} would leave nothing of the "
                          f"{n} {what} to train on")
    return np.arange(n) >= n - k


def per_class_mask(y: np.ndarray, per_class: int, seed: int, names=None, source: str = "") -> np.ndarray:
    """``per_class`` examples of every class, chosen from each class's own
    stream; ``names`` (of labels 0..K-1) and ``source`` (the data) for errors."""
    mask = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if per_class >= len(members):
            name = repr(names[c]) if names is not None else c
            raise ConfigError(f"data.validation_per_class: {per_class} would leave class {name} "
                              f"({len(members)} training examples{f' in {source}' if source else ''}) "
                              "nothing to train on")
        mask[rng(seed, f"validation_class_{c}").choice(members, per_class, replace=False)] = True
    return mask


def scored_subset(y: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` examples of a part labelled ``y`` (``data.test_examples``):
    all of them when ``n`` covers the part, else every class in its share
    (largest remainders), drawn from a fixed stream per class (the same
    examples for every run and seed) and kept in the part's order. A part
    ordered by class (image folders) is thus scored on every class, not
    the first few."""
    if n >= len(y):
        return np.arange(len(y))
    classes, sizes = np.unique(y, return_counts=True)
    shares = n * sizes / len(y)
    take = np.floor(shares).astype(int)
    take[np.argsort(take - shares, kind="stable")[:n - take.sum()]] += 1
    chosen = [rng(0, f"scored_class_{c}").choice(np.flatnonzero(y == c), k, replace=False)
              for c, k in zip(classes, take)]
    return np.sort(np.concatenate(chosen))


def n_classes_of(*labels: np.ndarray) -> int:
    """The number of classes of integer labels 0 .. K-1 (the largest label + 1)."""
    return int(max(int(np.max(y)) for y in labels if len(y))) + 1
