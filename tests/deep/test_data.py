import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from stdpnet.deep.data import augment, load_images  # noqa: E402
from stdpnet.errors import DataError  # noqa: E402


def write_tiny_cifar(root, n=6, classes=10, label_key="labels", name="cifar10"):
    """Files in torchvision's CIFAR python-pickle layout with ``n`` images each."""
    from torchvision.datasets import CIFAR10, CIFAR100

    cls = CIFAR10 if name == "cifar10" else CIFAR100
    folder = root / name / cls.base_folder
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, (fname, _) in enumerate(cls.train_list + cls.test_list):
        batch = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 label_key: [(i + j) % classes for j in range(n)]}
        with open(folder / fname, "wb") as f:
            pickle.dump(batch, f)
    return folder


def test_cifar10_reads_the_pickle_layout(tmp_path):
    folder = write_tiny_cifar(tmp_path)
    x, y = load_images("cifar10", "train", tmp_path, download=False, verify=False)
    assert x.shape == (30, 3, 32, 32) and x.dtype == torch.float32
    assert 0 <= x.min() and x.max() <= 1
    assert y.tolist()[:6] == [0, 1, 2, 3, 4, 5]
    with open(folder / "test_batch", "rb") as f:
        raw = pickle.load(f)["data"][0]
    xt, _ = load_images("cifar10", "test", tmp_path, download=False, verify=False, limit=2)
    assert xt.shape[0] == 2
    assert torch.allclose(xt[0], torch.from_numpy(raw.reshape(3, 32, 32)).float() / 255)


def test_cifar100_uses_fine_labels(tmp_path):
    write_tiny_cifar(tmp_path, classes=100, label_key="fine_labels", name="cifar100")
    _, y = load_images("cifar100", "test", tmp_path, download=False, verify=False)
    assert y.tolist() == [1, 2, 3, 4, 5, 6]


def test_cifar_checksum_and_missing_files_are_clear_errors(tmp_path):
    folder = write_tiny_cifar(tmp_path)
    with pytest.raises(DataError, match="MD5"):
        load_images("cifar10", "train", tmp_path, download=False, verify=True)
    (folder / "data_batch_3").unlink()
    with pytest.raises(DataError, match="data_batch_3"):
        load_images("cifar10", "train", tmp_path, download=False, verify=False)


def test_mnist_goes_through_the_project_loader(fake_mnist):
    x, y = load_images("mnist", "test", limit=10)
    assert x.shape == (10, 1, 28, 28) and y.dtype == torch.int64
    assert x.max().item() == pytest.approx(250 / 255)


def test_unknown_dataset_is_named():
    with pytest.raises(DataError, match="svhn"):
        load_images("svhn", "train")


def test_augment_is_a_shifted_and_maybe_flipped_crop():
    x = torch.rand(16, 3, 8, 8)
    assert torch.equal(augment(x, torch.Generator().manual_seed(0), pad=0, flip=False), x)
    out = augment(x, torch.Generator().manual_seed(0), pad=2, flip=True)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    flipped = 0
    for i in range(16):
        crops = [padded[i, :, dy:dy + 8, dx:dx + 8] for dy in range(5) for dx in range(5)]
        plain = any(torch.equal(out[i], c) for c in crops)
        mirrored = any(torch.equal(out[i], c.flip(-1)) for c in crops)
        assert plain or mirrored, i
        flipped += mirrored and not plain
    assert 0 < flipped < 16


def test_digit_augmentation_shifts_but_never_mirrors():
    x = torch.zeros(64, 1, 28, 28)
    x[:, 0, 10:18, 4:8] = 1.0  # a bar on the left half
    out = augment(x, torch.Generator().manual_seed(0), pad=2, flip=False)
    cols = out.sum(dim=(1, 2)).nonzero()[:, 1]
    assert cols.max().item() <= 9  # shifted at most 2 pixels, never mirrored to the right
    assert not torch.equal(out, x)
