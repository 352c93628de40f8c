"""Image datasets beyond MNIST as ``Dataset``s: an IDX folder, an .npz file, a
class-per-subfolder folder (Caltech-101 is one) and torchvision's datasets by
name. The number of classes, the image shape and the class names come from
the data; every validation part is carved from the training side.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..spec import Data
from .dataset import Dataset, carve, last_mask, per_class_mask

TORCHVISION = "torchvision:"
KINDS = ("idx", "npz", "folder", "caltech101")
CALTECH_CLASSES = ("Faces_easy", "Motorbikes", "airplanes")   # caltech101 with classes = []
NEAR_BLACK = 16   # brightest training pixel (of 255) below which the images are taken to be on another scale


def is_image_set(dataset: str) -> bool:
    return dataset in KINDS or dataset.startswith(TORCHVISION)


def load_image_set(data: Data, seed: int = 0) -> Dataset:
    """The ``Dataset`` of ``data.dataset`` (one of KINDS or torchvision:NAME);
    training images that are all blank (every pixel 0) or all near-black
    (brightest pixel below ``NEAR_BLACK``, as floats on a 0..2 scale read as
    0..255 are) are an error: hardly an input spike would reach the network."""
    dataset = _load_image_set(data, seed)
    if len(dataset.train_x):
        brightest = float(dataset.train_x.max())
        if brightest == 0:
            raise DataError(f"{data.root or data.dataset}: every training image is blank (all pixels 0)")
        if brightest < NEAR_BLACK:
            raise DataError(f"{data.root or data.dataset}: the brightest training pixel is {brightest:g} of "
                            "255, so every image would be near-black; store pixel values 0..255 or floats "
                            "in [0, 1]")
    return dataset


def _load_image_set(data: Data, seed: int) -> Dataset:
    if data.dataset in ("folder", "caltech101"):
        return folder_set(data, seed)
    if data.dataset == "idx":
        from .idx import load_idx

        a = load_idx(data.root)
        return last_k_set(a, data, a["train_x"].shape[1:], f"training images of {data.root}")
    if data.dataset == "npz":
        from .npz import load_npz

        a = load_npz(data.root, data.test_fraction)
        held = per_class_mask(a["train_y"], data.validation_per_class, seed, a["class_names"], data.root)
        return assemble(a, held, a["shape"])
    if data.dataset.startswith(TORCHVISION):
        return torchvision_set(data)
    raise ConfigError(f"data.dataset: unknown dataset {data.dataset!r}")


def assemble(a: dict, held: np.ndarray, shape: tuple) -> Dataset:
    """A Dataset from loaded arrays, the training examples in ``held`` as validation."""
    flat = {part: a[f"{part}_x"].reshape(len(a[f"{part}_x"]), -1) for part in ("train", "test")}
    tx, ty, hx, hy = carve(flat["train"], a["train_y"], held)
    names = tuple(a["class_names"])
    return Dataset(tx, ty, flat["test"], a["test_y"], tuple(int(s) for s in shape), len(names), hx, hy,
                   names)


def last_k_set(a: dict, data: Data, shape: tuple, what: str) -> Dataset:
    """Validation = the last ``data.validation_examples`` training examples (as
    MNIST). Training examples stored class by class are refused: the last ones
    would be one class, never trained on."""
    held = last_mask(len(a["train_x"]), data.validation_examples, what)
    y = a["train_y"]
    lost = sorted(set(y[held].tolist()) - set(y[~held].tolist()))
    # stored class by class, in any class order: each class one unbroken block
    blocks = np.count_nonzero(np.diff(y)) + 1 == len(np.unique(y))
    in_blocks = held.any() and len(np.unique(y[held])) < len(np.unique(y)) and blocks
    if lost or in_blocks:
        names = a.get("class_names")
        named = [names[c] if names is not None else c for c in (lost or np.unique(y[held]).tolist())]
        held_as = (f"would hold class{'es' if len(named) > 1 else ''} {named}, never trained on" if lost
                   else f"would be class{'es' if len(named) > 1 else ''} {named} only (stored class by class)")
        raise DataError(f"{what}: the last {data.validation_examples} (data.validation_examples) "
                        f"{held_as}; shuffle the training examples once, or store them as an npz "
                        "(validation drawn per class)")
    return assemble(a, held, shape)


def folder_root(data: Data) -> Path:
    """data.root; for caltech101 without one, the local copy, else the shared subset."""
    from .paths import datasets_root, shared_datasets

    if data.root:
        return Path(data.root)
    if data.dataset == "folder":
        raise ConfigError("data.root: dataset 'folder' needs the class-per-subfolder folder")
    root = datasets_root() / "caltech101"
    if not root.is_dir() and shared_datasets():
        root = shared_datasets() / "caltech101_subset"
    return root


def folder_set(data: Data, seed: int) -> Dataset:
    """Grey, resized, optionally ON/OFF images of a class-per-subfolder folder;
    seeded per-class split, validation ``validation_per_class`` of each class."""
    from .caltech import load_caltech
    from .folder import load_folder
    from .images import image_shape

    classes = list(data.classes) or (list(CALTECH_CLASSES) if data.dataset == "caltech101" else None)
    load = load_caltech if data.dataset == "caltech101" else load_folder
    c = load(folder_root(data), classes, size=data.image_size, n_train_per_class=data.train_per_class,
             seed=seed, preprocess=data.preprocess, sigmas=(data.dog_sigma_center, data.dog_sigma_surround),
             n_test_per_class=data.test_per_class)
    c = {**c, "train_x": 255.0 * c["train_x"].astype(np.float64),
         "test_x": 255.0 * c["test_x"].astype(np.float64)}
    held = per_class_mask(c["train_y"], data.validation_per_class, seed, c["class_names"], c["root"])
    return assemble(c, held, image_shape(data.image_size, data.preprocess))


def torchvision_set(data: Data) -> Dataset:
    """A torchvision dataset: Fashion-MNIST and KMNIST as stored (28x28 grey);
    CIFAR-10 made grey, resized to ``image_size`` and preprocessed like a folder's
    images. Validation = the last ``validation_examples`` training images."""
    from .images import image_shape, preprocess_image
    from .vision import load_torchvision

    name = data.dataset.removeprefix(TORCHVISION)
    a = load_torchvision(name, data.root or None)
    shape = a["train_x"].shape[1:3]
    if a["train_x"].ndim == 4:   # colour
        sigmas = (data.dog_sigma_center, data.dog_sigma_surround)
        for part in ("train", "test"):
            a[f"{part}_x"] = np.stack([255.0 * preprocess_image(im, data.image_size, data.preprocess, sigmas)
                                       for im in a[f"{part}_x"]])
        shape = image_shape(data.image_size, data.preprocess)
    return last_k_set(a, data, shape, f"{a['title']} training images")
