"""Caltech-101 subsets: class-per-subfolder images to rate-codable vectors.

Any folder laid out as ``<root>/<class>/<image>.jpg`` works; the default five
classes are the ones in ``../shared/datasets/caltech101_subset``.

Preprocessing for rate-coded STDP mimics the retina: grayscale, resize, then a
difference of Gaussians (centre minus surround) split into an ON map (centre
brighter than surround) and an OFF map (darker). Edges, not absolute
brightness, then drive the input neurons, so lighting and background matter
less than shape.
"""
from __future__ import annotations

import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy.ndimage import gaussian_filter

from ..errors import DataError
from .fetch import download
from .paths import datasets_root

DEFAULT_CLASSES = ("Faces_easy", "Motorbikes", "airplanes", "watch", "Leopards")
CALTECH101_URL = "https://data.caltech.edu/records/mzrjq-6wc02/files/caltech-101.zip"
INNER_ARCHIVE = "101_ObjectCategories.tar.gz"
CATEGORY_DIR = "101_ObjectCategories"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff"}
MODES = ("on_off", "dog", "gray")
FITS = ("stretch", "crop", "pad")


# --------------------------------------------------------------------------- files

def list_class_images(root: Path | str, classes: Sequence[str] = DEFAULT_CLASSES) -> dict[str, list[Path]]:
    """Image files of each class, sorted by name; DataError for a missing or empty class."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"Caltech folder {root} not found: expected <root>/<class>/*.jpg "
                        f"(fetch with `stdpnet data fetch caltech101`)")
    if len(set(classes)) != len(classes) or not classes:
        raise DataError(f"classes must be a non-empty list without repeats, got {list(classes)}")
    images = {}
    for name in classes:
        folder = root / name
        if not folder.is_dir():
            present = sorted(p.name for p in root.iterdir() if p.is_dir())
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
            raise DataError(f"class {name!r} has {n} images: cannot take {n_train} for training "
                            f"and leave at least one for testing")
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        order = rng.permutation(n)
        train[name] = [files[i] for i in sorted(order[:n_train])]
        rest = sorted(order[n_train:])
        if n_test_per_class is not None:
            rest = sorted(order[n_train:n_train + n_test_per_class])
        test[name] = [files[i] for i in rest]
    return train, test


# --------------------------------------------------------------------------- images

def read_image(path: Path | str) -> Image.Image:
    """Open and fully decode an image; DataError naming the file if it cannot be."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()  # decode now: a truncated JPEG fails here, not later
            return img.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"cannot read image {path}: {exc}") from exc


def to_gray(image: Image.Image | np.ndarray | Path | str, size: tuple[int, int] | int = (28, 28),
            fit: str = "pad") -> np.ndarray:
    """Grayscale float32 in [0, 1] of shape ``size`` = (height, width).

    ``fit``: 'pad' (default) letterboxes with the border's mean grey, keeping
    the whole object undistorted; 'stretch' ignores the aspect ratio; 'crop'
    takes the central region of the right aspect (and can cut the object:
    on the 5-class subset it separated classes worst).
    """
    height, width = _size(size)
    if fit not in FITS:
        raise DataError(f"fit must be one of {FITS}, got {fit!r}")
    if isinstance(image, (str, Path)):
        image = read_image(image)
    if isinstance(image, np.ndarray):
        image = _array_to_pil(image)
    gray = image.convert("L")
    if fit == "crop":
        gray = _crop_to_aspect(gray, width / height)
    elif fit == "pad":
        gray = _pad_to_aspect(gray, width / height)
    gray = gray.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(gray, dtype=np.float32) / 255.0


def dog_on_off(gray: np.ndarray, sigmas: tuple[float, float] = (1.0, 2.0)) -> np.ndarray:
    """ON and OFF difference-of-Gaussians maps, shape (2, H, W), float32 in [0, 1].

    ``sigmas`` = (centre, surround) in pixels of ``gray``. Both maps are scaled
    by their common maximum, so the strongest edge in each image is rate 1.
    """
    center, surround = _dog_parts(gray, sigmas)
    dog = center - surround
    maps = np.stack([np.maximum(dog, 0.0), np.maximum(-dog, 0.0)])
    peak = maps.max()
    return (maps / peak if peak > 0 else maps).astype(np.float32)


def preprocess_image(image: Image.Image | np.ndarray | Path | str, size: tuple[int, int] | int = (28, 28),
               mode: str = "on_off", sigmas: tuple[float, float] = (1.0, 2.0),
               fit: str = "pad") -> np.ndarray:
    """One image to a (n_inputs,) float32 vector in [0, 1].

    ``mode``: 'on_off' -> 2*H*W (ON map then OFF map), 'dog' -> H*W (ON + OFF,
    i.e. the rectified edge magnitude), 'gray' -> H*W plain intensities.
    """
    if mode not in MODES:
        raise DataError(f"preprocess mode must be one of {MODES}, got {mode!r}")
    gray = to_gray(image, size, fit)
    if mode == "gray":
        return gray.reshape(-1)
    maps = dog_on_off(gray, sigmas)
    if mode == "dog":
        return maps.sum(axis=0).reshape(-1)
    return maps.reshape(-1)


def preprocess_stages(image: Image.Image | np.ndarray | Path | str, size: tuple[int, int] | int = (28, 28),
                      sigmas: tuple[float, float] = (1.0, 2.0), fit: str = "pad") -> dict[str, np.ndarray]:
    """Every intermediate image of the ON/OFF pipeline, for a figure.

    Keys in order: original (H0, W0, 3) uint8, gray (H, W), center, surround,
    dog (signed), on, off (each (H, W) float32).
    """
    if isinstance(image, (str, Path)):
        image = read_image(image)
    if isinstance(image, np.ndarray):
        image = _array_to_pil(image)
    gray = to_gray(image, size, fit)
    center, surround = _dog_parts(gray, sigmas)
    on, off = dog_on_off(gray, sigmas)
    return {"original": np.asarray(image.convert("RGB")), "gray": gray,
            "center": center, "surround": surround, "dog": center - surround,
            "on": on, "off": off}


def n_inputs(size: tuple[int, int] | int = (28, 28), mode: str = "on_off") -> int:
    height, width = _size(size)
    return height * width * (2 if mode == "on_off" else 1)


# --------------------------------------------------------------------------- dataset

def load_caltech(root: Path | str | None = None, classes: Sequence[str] = DEFAULT_CLASSES,
                 size: tuple[int, int] | int = (28, 28), n_train_per_class: int | None = None,
                 seed: int = 0, preprocess: str = "on_off", sigmas: tuple[float, float] = (1.0, 2.0),
                 fit: str = "pad", train_fraction: float = 0.5,
                 n_test_per_class: int | None = None) -> dict:
    """Load a class subset as train/test arrays.

    Returns a dict: train_x, test_x (N, n_inputs) float32 in [0, 1]; train_y,
    test_y (N,) int64 indexing ``class_names``; train_files, test_files (paths
    relative to ``root``, e.g. 'watch/image_0001.jpg', to record the split);
    plus the settings used. ``root`` defaults to ``<datasets>/caltech101``.
    """
    root = Path(root) if root is not None else default_root()
    images = list_class_images(root, classes)
    train, test = split_files(images, n_train_per_class, train_fraction, n_test_per_class, seed)
    out = {"class_names": list(classes), "root": str(root), "seed": seed, "size": _size(size),
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


def default_root() -> Path:
    return datasets_root() / "caltech101"


# --------------------------------------------------------------------------- download

def download_caltech101(dest: Path | str | None = None, classes: Iterable[str] | None = DEFAULT_CLASSES,
                        url: str = CALTECH101_URL, progress: bool = True) -> Path:
    """Fetch the official archive (about 130 MB) and extract ``classes``
    (None = all 101 + background) into ``dest`` (default ``<datasets>/caltech101``).
    The zip is kept beside it, so a second call does not download again."""
    dest = Path(dest) if dest is not None else default_root()
    archive = download(url, dest.parent / "caltech-101.zip", progress=progress)
    return extract_caltech101(archive, dest, classes)


def extract_caltech101(archive: Path | str, dest: Path | str,
                       classes: Iterable[str] | None = DEFAULT_CLASSES) -> Path:
    """Extract ``classes`` from the official zip (which wraps
    101_ObjectCategories.tar.gz) or from that tar.gz itself into ``dest/<class>/``.

    Only plain files directly inside ``101_ObjectCategories/<class>/`` are
    written, under their base names, so archive paths cannot escape ``dest``.
    """
    archive, dest = Path(archive), Path(dest)
    wanted = None if classes is None else set(classes)
    if not archive.is_file():
        raise DataError(f"Caltech-101 archive {archive} not found")
    counts: dict[str, int] = {}
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                inner = [n for n in zf.namelist() if PurePosixPath(n).name == INNER_ARCHIVE]
                if inner:
                    with zf.open(inner[0]) as stream, tarfile.open(fileobj=stream, mode="r|gz") as tf:
                        _extract_tar(tf, dest, wanted, counts)
                else:  # a repacked zip with the category folders directly inside
                    for info in zf.infolist():
                        target = _target(info.filename, dest, wanted)
                        if target is not None and not info.is_dir():
                            _write(target, zf.read(info), counts)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive, mode="r:*") as tf:
                _extract_tar(tf, dest, wanted, counts)
        else:
            raise DataError(f"{archive} is neither a zip nor a tar archive")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as exc:
        raise DataError(f"Caltech-101 archive {archive} is corrupt or truncated: {exc}") from exc
    missing = sorted((wanted or set()) - set(counts))
    if missing:
        raise DataError(f"classes not found in {archive}: {', '.join(missing)}")
    if not counts:
        raise DataError(f"no {CATEGORY_DIR}/<class>/ images found in {archive}")
    return dest


def _extract_tar(tf: tarfile.TarFile, dest: Path, wanted: set[str] | None, counts: dict[str, int]) -> None:
    for member in tf:
        target = _target(member.name, dest, wanted)
        if target is None or not member.isfile():
            continue
        _write(target, tf.extractfile(member).read(), counts)


def _target(name: str, dest: Path, wanted: set[str] | None) -> Path | None:
    parts = PurePosixPath(name).parts
    if CATEGORY_DIR not in parts:
        return None
    rest = parts[parts.index(CATEGORY_DIR) + 1:]
    if len(rest) != 2 or rest[1].startswith(".") or (wanted is not None and rest[0] not in wanted):
        return None
    return dest / rest[0] / rest[1]


def _write(target: Path, data: bytes, counts: dict[str, int]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    counts[target.parent.name] = counts.get(target.parent.name, 0) + 1


# --------------------------------------------------------------------------- helpers

def _size(size: tuple[int, int] | int) -> tuple[int, int]:
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    if height < 4 or width < 4:
        raise DataError(f"image size must be at least 4x4, got {size}")
    return int(height), int(width)


def _dog_parts(gray: np.ndarray, sigmas: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    s_center, s_surround = sigmas
    if not 0 < s_center < s_surround:
        raise DataError(f"DoG sigmas must satisfy 0 < centre < surround, got {tuple(sigmas)}")
    return (gaussian_filter(gray, s_center, mode="nearest"),
            gaussian_filter(gray, s_surround, mode="nearest"))


def _array_to_pil(array: np.ndarray) -> Image.Image:
    if array.dtype != np.uint8:
        array = (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return Image.fromarray(array)


def _crop_to_aspect(img: Image.Image, aspect: float) -> Image.Image:
    w, h = img.size
    if w / h > aspect:
        new_w = max(1, round(h * aspect))
        left = (w - new_w) // 2
        return img.crop((left, 0, left + new_w, h))
    new_h = max(1, round(w / aspect))
    top = (h - new_h) // 2
    return img.crop((0, top, w, top + new_h))


def _pad_to_aspect(img: Image.Image, aspect: float) -> Image.Image:
    w, h = img.size
    new_w, new_h = (round(h * aspect), h) if w / h < aspect else (w, round(w / aspect))
    border = np.concatenate([np.asarray(img)[[0, -1], :].ravel(), np.asarray(img)[:, [0, -1]].ravel()])
    canvas = Image.new("L", (new_w, new_h), int(border.mean()))
    canvas.paste(img, ((new_w - w) // 2, (new_h - h) // 2))
    return canvas
