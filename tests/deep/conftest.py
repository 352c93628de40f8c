"""Tiny networks and synthetic data for the deep-path tests (fast, seeded)."""
import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from stdpnet.deep.config import DEFAULTS  # noqa: E402
from stdpnet.deep.models import build_model  # noqa: E402

INFO = dict(channels=1, image_size=8, num_classes=4, mean=None, std=None)


def synthetic(n=256, seed=0, size=8, classes=4):
    """Class k lights up quadrant k (plus noise): easy to learn, not trivial."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (n,), generator=g)
    images = 0.3 * torch.rand(n, 1, size, size, generator=g)
    half = size // 2
    for i, k in enumerate(labels.tolist()):
        r, c = divmod(k % 4, 2)
        images[i, 0, r * half:(r + 1) * half, c * half:(c + 1) * half] += 0.6
    return images.clamp(0, 1), labels


def tiny_model(seed=0, **overrides):
    torch.manual_seed(seed)
    cfg = copy.deepcopy(DEFAULTS["model"])
    cfg.update(features=[4, "A", 8], classifier=[16])
    cfg.update(overrides)
    return build_model(cfg, INFO)


def train_quickly(model, images, labels, steps=60, lr=0.01):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for i in range(steps):
        idx = torch.arange(i * 32, i * 32 + 32) % len(images)
        loss = torch.nn.functional.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


@pytest.fixture
def data():
    return synthetic()


@pytest.fixture
def trained_ann(data):
    return train_quickly(tiny_model(), *data)


@pytest.fixture
def fake_mnist(monkeypatch):
    """Replace the project's MNIST loader by 28x28 synthetic digits (bar k lit)."""
    import stdpnet.data.mnist as mnist

    def load(split, root=None):
        n = 300 if split == "train" else 100
        rng = np.random.default_rng(0 if split == "train" else 1)
        labels = rng.integers(0, 10, n).astype(np.int64)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(labels):
            images[i, 2 + 2 * k:4 + 2 * k, 4:24] = 250
        return images, labels

    monkeypatch.setattr(mnist, "load_mnist", load)
    return load


def write_tone_speakers(root, speakers, digits=3, takes=2):
    """Spoken-digit files (FSDD names) of steady tones in ``root``: a digit's
    pitch, shifted a little per speaker."""
    from stdpnet.data.audio import write_wav

    root.mkdir(parents=True, exist_ok=True)
    t = np.arange(2400) / 8000.0
    for s, speaker in enumerate(speakers):
        for digit in range(digits):
            for take in range(takes):
                tone = 0.5 * np.sin(2 * np.pi * (300 + 200 * digit + 30 * s) * t)
                write_wav(root / f"{digit}_{speaker}_{take}.wav", tone.astype(np.float32))


@pytest.fixture
def tone_speakers():
    """``write_tone_speakers``, for tests that need a tiny spoken-digit folder."""
    return write_tone_speakers


class CtrlC:
    """A function wrapped to count its calls (``calls``) and raise
    KeyboardInterrupt, as Ctrl-C would, at call number ``at`` (None: never)."""

    def __init__(self, real, at=None):
        self.real, self.at, self.calls = real, at, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return self.real(*args, **kwargs)


@pytest.fixture
def ctrl_c(monkeypatch):
    """ctrl_c(module, name, at): ``module.name`` replaced by a ``CtrlC``."""
    def wrap(module, name, at=None):
        stop = CtrlC(getattr(module, name), at)
        monkeypatch.setattr(module, name, stop)
        return stop
    return wrap
