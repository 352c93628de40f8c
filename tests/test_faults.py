"""Bad input and faults: nothing outside a run folder is touched, an old run
survives a failed --force, and every readable-but-wrong file or value is one
line that names it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from stdpnet import runs
from stdpnet.cli import main
from stdpnet.errors import ConfigError
from stdpnet.spec import Data, dump_spec, load_spec

from conftest import tiny_spec


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write_spec(path: Path, **changes) -> Path:
    spec = tiny_spec()
    text = dump_spec(spec)
    for key, value in changes.items():
        text = text.replace(f'{key} = "{getattr(spec, key)}"', f"{key} = {value}") if key == "name" \
            else text.replace(f"{key} = {getattr(spec, key)}", f"{key} = {value}")
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ['""', '"../victim"', '"a/b"', '".."', '".hidden"', '"x' + "y" * 200 + '"'])
def test_a_run_name_is_one_plain_folder_name(tmp_path, name):
    spec = write_spec(tmp_path / "s.toml", name=name)
    with pytest.raises(ConfigError, match="spec.name: must be a plain folder name"):
        load_spec(spec)


def test_force_never_reaches_outside_the_runs_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    spec = write_spec(tmp_path / "s.toml", name='"../victim"')
    result = cli("train", spec, "--force", "--quiet")
    assert result.exit_code == 1 and "spec.name" in result.output and "Traceback" not in result.output
    assert (victim / "keep.txt").read_text() == "mine"
    (tmp_path / "notarun").mkdir()
    (tmp_path / "notarun" / "data.csv").write_text("1,2")
    good = write_spec(tmp_path / "good.toml")
    result = cli("train", good, "--out", tmp_path / "notarun", "--force", "--quiet")
    assert result.exit_code == 1 and "not a run folder" in result.output
    assert (tmp_path / "notarun" / "data.csv").read_text() == "1,2"


def test_a_failed_force_keeps_the_old_run_and_a_started_one_replaces_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "s.toml")
    run = tmp_path / "runs" / "tiny"
    assert cli("train", spec, "--quiet").exit_code == 0
    before = np.load(run / "weights.npz")["w"]
    for bad in (["--seed", "-1"], ["--seed", str(2**31)], ["--examples", "-5"]):
        result = cli("train", spec, "--force", "--quiet", *bad)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        np.testing.assert_array_equal(np.load(run / "weights.npz")["w"], before)
    assert not list((tmp_path / "runs").glob(".*replaced*"))
    assert cli("train", spec, "--force", "--quiet", "--seed", "7").exit_code == 0
    assert not np.array_equal(np.load(run / "weights.npz")["w"], before)
    assert runs.open_run(run).seed == 7 and not list((tmp_path / "runs").glob(".*replaced*"))


def test_an_empty_spec_or_one_without_a_name_is_an_error(tmp_path):
    for text in ("", "seed = 1\n"):
        (tmp_path / "s.toml").write_text(text)
        result = cli("train", tmp_path / "s.toml", "--out", tmp_path / "r")
        assert result.exit_code == 1 and "name: missing" in result.output
        assert not (tmp_path / "r").exists()


def test_counts_past_the_data_are_errors_and_zero_means_all():
    data = Data(train_examples=100, assign_examples=0, test_examples=0)
    assert data.counts(500, 80) == (100, 100, 80)
    for changes, key in (({"train_examples": 600}, "train_examples: 600, but the training part"),
                         ({"assign_examples": 101}, "assign_examples: 101"),
                         ({"test_examples": 81}, "test_examples: 81, but the test part")):
        with pytest.raises(ConfigError, match=key):
            Data(**{"train_examples": 100, **changes}).counts(500, 80)


def test_a_corrupt_metrics_file_is_named_before_any_work(tmp_path):
    spec = tiny_spec()
    run = runs.create(tmp_path / "run", spec)
    (run / runs.METRICS).write_text("{ not json")
    result = cli("evaluate", run, "--quiet")
    assert result.exit_code == 1 and "metrics.json is unreadable or corrupt" in result.output
    (run / runs.METRICS).write_text("[1, 2]")
    result = cli("evaluate", run, "--quiet")
    assert result.exit_code == 1 and "expected a JSON object" in result.output


def test_a_truncated_or_too_short_wav_names_the_file(tmp_path):
    import soundfile
    from stdpnet.data.audio import read_audio
    from stdpnet.errors import DataError
    good = tmp_path / "good.wav"
    soundfile.write(good, np.sin(np.arange(4000) / 5.0).astype(np.float32) * 0.5, 8000)
    assert len(read_audio(good)) == 4000
    cut = tmp_path / "cut.wav"
    cut.write_bytes(good.read_bytes()[:44 + 16])          # the header and 8 samples
    with pytest.raises(DataError, match="cut.wav is truncated"):
        read_audio(cut)
    short = tmp_path / "short.wav"
    soundfile.write(short, np.zeros(8, dtype=np.float32) + 0.1, 8000)
    with pytest.raises(DataError, match="short.wav holds 8 samples"):
        read_audio(short)


def test_weights_are_checked_before_use_and_a_complete_checkpoint_is_finished(tmp_path):
    spec = tiny_spec()
    run = runs.create(tmp_path / "run", spec)
    from stdpnet.experiments import ensemble
    ensemble.train(spec, run, quiet=True)
    good = (run / runs.WEIGHTS).read_bytes()
    (run / runs.WEIGHTS).write_bytes(good[: len(good) // 2])            # truncated
    result = cli("evaluate", run, "--quiet")
    assert result.exit_code == 1 and "weights.npz is unreadable" in result.output
    saved = dict(np.load(tmp_path / "run" / "checkpoint.npz"))
    w = saved["state.input_exc.w"].reshape(64, 10)
    runs.save_npz(run / runs.WEIGHTS, w=w + 0.5, theta=saved["state.excitatory.theta"])   # stale
    result = cli("evaluate", run, "--quiet")
    assert result.exit_code == 1 and "does not match checkpoint.npz" in result.output
    w_nan = w.copy()
    w_nan[0, 0] = np.nan
    runs.save_npz(run / runs.WEIGHTS, w=w_nan, theta=saved["state.excitatory.theta"])
    result = cli("evaluate", run, "--quiet")
    assert result.exit_code == 1 and "NaN" in result.output
    (run / runs.WEIGHTS).unlink()                                       # missing: one command finishes it
    result = cli("evaluate", run, "--quiet")
    assert result.exit_code == 1 and f"stdpnet train --resume {run}" in result.output
    assert cli("train", "--resume", run, "--quiet").exit_code == 0
    assert (run / runs.WEIGHTS).read_bytes() and cli("evaluate", run, "--quiet").exit_code == 0
    np.testing.assert_array_equal(np.load(run / runs.WEIGHTS)["w"], w)
