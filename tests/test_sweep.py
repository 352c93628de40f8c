"""Sweeps on Dask: the figures do not depend on the cluster, a failing task
or a killed worker loses no finished task, a rerun completes the sweep, and
choices are made on validation only."""
from __future__ import annotations

import copy
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

import pytest

from stdpnet.errors import ConfigError
from stdpnet.experiments.summary import best_cell
from stdpnet.experiments.sweep import run_sweep, run_task, task_digest, task_metrics, tasks
from stdpnet.spec.grid import parse_seeds, parse_sets

from conftest import REPO, tiny_spec
from test_data_caltech import jpeg_bytes


def spec():
    return tiny_spec(data__validation_examples=20)


def finished(out):
    """task digest -> modification time of its metrics.json, for the tasks with a validation score."""
    done = {}
    for path in (out / "tasks").glob("*/metrics.json"):
        if "validation" in json.loads(path.read_text()).get("evaluate", {}):
            done[path.parent.name] = path.stat().st_mtime_ns
    return done


def test_a_two_worker_sweep_gives_the_figures_of_its_tasks_run_one_by_one(tmp_path):
    result = run_sweep(spec(), {"plasticity.x_tar": [0.05, 0.2]}, [0, 1], tmp_path / "sweep",
                       workers=2, log=lambda *_: None, quiet=True)
    assert not result["failed"] and len(result["rows"]) == 4
    for task, row in zip(result["tasks"], result["rows"]):
        alone = run_task(task.spec, str(tmp_path / "alone" / task.digest), ("validation",))
        assert row["validation_accuracy"] == alone["validation"]["accuracy"]
        assert row["validation_accuracy_likelihood"] == alone["validation"]["accuracy_likelihood"]
    assert len({r["validation_accuracy"] for r in result["rows"]}) > 1  # the settings and seeds matter
    summary = {e["plasticity.x_tar"]: e for e in result["summary"]}
    assert summary[0.05]["n"] == 2 and summary[0.05]["seeds"] == [0, 1]
    for name in ("sweep.csv", "summary.md", "sweep.png"):
        assert (tmp_path / "sweep" / name).is_file()
    # a rerun reuses every finished task
    before = finished(tmp_path / "sweep")
    again = run_sweep(spec(), {"plasticity.x_tar": [0.05, 0.2]}, [0, 1], tmp_path / "sweep",
                      workers=1, log=lambda *_: None, quiet=True)
    assert finished(tmp_path / "sweep") == before
    assert [r["validation_accuracy"] for r in again["rows"]] == [r["validation_accuracy"] for r in result["rows"]]


def test_a_failing_task_loses_no_finished_task_and_a_rerun_completes(tmp_path):
    """The caltech101 cell fails (its image folder is missing), the synthetic
    ones finish; with the images in place, a rerun runs only the failed one."""
    root = tmp_path / "caltech"
    base = spec()
    base.data.root, base.data.classes = str(root), ["cats", "dogs"]
    base.data.image_size, base.data.preprocess = 8, "gray"  # 64 inputs, as the 8 x 8 bars
    # 23 - 3 training images per class (40 as the bars), 10 test images (20)
    base.data.train_per_class, base.data.test_per_class, base.data.validation_per_class = 23, 10, 3
    sets = {"data.dataset": ["synthetic", "caltech101"]}
    first = run_sweep(base, sets, [0], tmp_path / "sweep", workers=2, log=lambda *_: None, quiet=True)
    assert len(first["rows"]) == 1 and len(first["failed"]) == 1
    task, error = first["failed"][0]
    assert task.settings == {"data.dataset": "caltech101"} and str(root) in error
    error_file = tmp_path / "sweep" / "errors" / f"{task.digest}.txt"
    assert "Traceback" in error_file.read_text() and str(root) in error_file.read_text()
    done = finished(tmp_path / "sweep")
    assert len(done) == 1
    assert "1 task failed (tracebacks in errors/)" in (tmp_path / "sweep" / "summary.md").read_text()
    for name in ("cats", "dogs"):
        (root / name).mkdir(parents=True)
        for i in range(33):
            (root / name / f"image_{i:04d}.jpg").write_bytes(jpeg_bytes(i + 100 * len(name)))
    again = run_sweep(base, sets, [0], tmp_path / "sweep", workers=2, log=lambda *_: None, quiet=True)
    assert not again["failed"] and len(again["rows"]) == 2 and not error_file.exists()
    assert "failed" not in (tmp_path / "sweep" / "summary.md").read_text()
    now = finished(tmp_path / "sweep")
    assert {k: now[k] for k in done} == done   # the finished task was not run again


def test_a_killed_worker_loses_no_finished_task(tmp_path):
    """A worker process killed mid-sweep: the tasks it finished stay on
    disk, Dask or a rerun completes the rest."""
    from dask.distributed import Client, LocalCluster

    out = tmp_path / "sweep"
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    pids = list(client.run(os.getpid).values())
    killed, seen = [], {}

    def kill_after_the_first_finished_task():
        deadline = time.time() + 300
        while time.time() < deadline and not killed:
            done = finished(out) if (out / "tasks").exists() else {}
            if done:
                seen.update(done)
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.05)

    watcher = threading.Thread(target=kill_after_the_first_finished_task)
    watcher.start()
    try:
        first = run_sweep(spec(), {"plasticity.x_tar": [0.05, 0.1, 0.2]}, [0, 1], out,
                          scheduler=cluster.scheduler_address, log=lambda *_: None, quiet=True)
    finally:
        watcher.join()
        client.close()
        cluster.close()
    assert killed, "the watcher killed a worker"
    assert len(first["rows"]) + len(first["failed"]) == 6
    now = finished(out)
    assert {k: now[k] for k in seen} == seen
    again = run_sweep(spec(), {"plasticity.x_tar": [0.05, 0.1, 0.2]}, [0, 1], out, workers=2,
                      log=lambda *_: None, quiet=True)
    assert not again["failed"] and len(again["rows"]) == 6
    assert {k: finished(out)[k] for k in seen} == seen


def test_local_workers_run_tasks_and_their_binaries_on_their_own_cores():
    """Worker k of the sweep's LocalCluster runs each task pinned to the k-th
    usable core, and a process the task starts inherits the pin."""
    from dask.distributed import Client, LocalCluster, get_worker

    from stdpnet.experiments.sweep import on_own_core

    def where():
        child = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
                               capture_output=True, text=True, check=True).stdout
        return int(get_worker().name), sorted(os.sched_getaffinity(0)), child.strip()

    cores = sorted(os.sched_getaffinity(0))
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    try:
        seen = [client.submit(on_own_core, cores, where, workers=[address], pure=False).result()
                for address in client.scheduler_info()["workers"]]
    finally:
        client.close()
        cluster.close()
    assert sorted(k for k, _, _ in seen) == [0, 1]
    for k, pinned, child in seen:
        assert pinned == [cores[k % len(cores)]]
        assert child == str(pinned)


def test_the_grid_is_validated_before_anything_runs(tmp_path):
    with pytest.raises(ConfigError, match="excitatory.n_neurons=-1"):
        tasks(spec(), {"excitatory.n_neurons": [10, -1]}, [0])
    with pytest.raises(ConfigError, match="plasticity.x_tr"):
        tasks(spec(), parse_sets(["plasticity.x_tr=0.1"]), [0])
    with pytest.raises(ConfigError, match="data.audio_frames: must be >= 2"):
        run_sweep(spec(), {"data.audio_frames": [20, 1]}, [0], tmp_path / "sweep", workers=1,
                  log=lambda *_: None, quiet=True)
    assert not (tmp_path / "sweep").exists()     # a refused sweep writes nothing


def test_a_task_is_keyed_by_everything_that_determines_its_result():
    one = tasks(spec(), {"plasticity.x_tar": [0.5, 0.504]}, [0, 1])
    assert len({t.digest for t in one}) == 4
    longer = spec()
    longer.data.train_examples = 41
    assert tasks(longer, {}, [0])[0].digest != tasks(spec(), {}, [0])[0].digest
    assert tasks(spec(), {}, [0])[0].digest == tasks(spec(), {}, [0])[0].digest
    # only values away from the defaults count: a spec key added later at a
    # default that keeps the old behaviour leaves finished tasks reusable
    import dataclasses

    base = spec()
    extended = dataclasses.make_dataclass("Schedule", [("later_key", float, 0.0)],
                                          bases=(type(base.schedule),))
    later = spec()
    later.schedule = extended(**dataclasses.asdict(later.schedule))
    assert task_digest(later) == task_digest(base)
    later.schedule.later_key = 1.0
    assert task_digest(later) != task_digest(base)


def test_a_folder_named_by_an_older_digest_is_reused_by_its_task(tmp_path):
    """A finished task folder written under an older digest scheme (another
    name, the same spec) is renamed to its task's digest; a folder of another
    spec, or no run folder at all, is left alone."""
    from stdpnet import runs
    from stdpnet.experiments.sweep import adopt_folders

    grid = tasks(spec(), {"plasticity.x_tar": [0.5, 0.6]}, [0])
    folder = tmp_path / "tasks"
    runs.create(folder / "0123456789abcdef", grid[1].spec)
    other = spec()
    other.data.train_examples = 41
    runs.create(folder / "fedcba9876543210", tasks(other, {}, [0])[0].spec)
    (folder / "notes").mkdir()
    adopted = adopt_folders(folder, grid)
    assert {name: t.digest for name, t in adopted.items()} == {"0123456789abcdef": grid[1].digest}
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [grid[1].digest, "0123456789abcdef", "fedcba9876543210", "notes"])
    assert not (folder / grid[1].digest).is_symlink()
    assert (folder / "0123456789abcdef").resolve() == (folder / grid[1].digest).resolve()
    assert runs.open_run(folder / grid[1].digest).plasticity.x_tar == 0.6
    assert adopt_folders(folder, grid) == {}
    # a sweep of the other readout: a folder under today's digest is its task's, not an old
    # name of the task that differs from it only in its readout
    from stdpnet.experiments import audiovisual
    from stdpnet.spec import load_multimodal_spec

    pair = tasks(load_multimodal_spec(REPO / "networks" / "audiovisual_quick.toml"),
                 {"readout.vote": ["normalised", "summed"]}, [0])
    audiovisual.create_run(folder / pair[0].digest, pair[0].spec, force=True)
    assert adopt_folders(folder, pair[1:]) == {} and not (folder / pair[1].digest).exists()
    # nor is the link an adoption left (an old name of one readout's folder) the other's
    av = tmp_path / "av"
    audiovisual.create_run(av / "0ldd1gest0000000", pair[0].spec)
    assert set(adopt_folders(av, pair[:1])) == {"0ldd1gest0000000"}
    assert adopt_folders(av, pair) == {} and not (av / pair[1].digest).exists()


def test_a_folder_trained_before_a_default_changed_is_not_reused_as_its_task(tmp_path):
    """The digest covers values away from the defaults, so a folder trained
    when a default was other has today's digest: its task refuses it, naming
    the setting, rather than report the old network's figures; the same
    settings written out in full are its own."""
    from stdpnet import runs

    task = tasks(spec(), {}, [0])[0]
    trained_then = copy.deepcopy(task.spec)
    trained_then.plasticity.mu = task.spec.plasticity.mu + 0.1   # the default of its day
    run_dir = tmp_path / task.digest
    runs.create(run_dir, trained_then)
    with pytest.raises(ConfigError, match=r"plasticity.mu: 1.0 -> 0.9\).*delete the folder"):
        run_task(task.spec, str(run_dir), ("validation",))
    assert not (run_dir / runs.WEIGHTS).exists()
    from stdpnet.experiments.sweep import plan    # --list says so before the sweep runs
    (tmp_path / "sweep" / "tasks").mkdir(parents=True)
    run_dir.rename(tmp_path / "sweep" / "tasks" / task.digest)
    assert [p["state"] for p in plan(spec(), {}, [0], tmp_path / "sweep", todo=[task])] == \
        ["stale (other settings)"]
    from stdpnet.experiments.sweep import settings_differ
    assert settings_differ(runs.open_run(runs.create(tmp_path / "same", task.spec)), task.spec) == []


def test_run_folders_read_as_one_settings_seeds_must_differ_in_their_seeds_only(tmp_path):
    """A benchmark given a sweep's tasks/* reads them as the seeds of one
    setting: folders of another cell are refused, naming the setting."""
    from stdpnet.experiments import audiovisual
    from stdpnet.experiments.sweep import one_setting
    from stdpnet.spec import load_multimodal_spec

    grid = tasks(load_multimodal_spec(REPO / "networks" / "audiovisual_quick.toml"),
                 {"cross.schedule": ["staged", "joint"]}, [0, 1])
    for task in grid:
        audiovisual.create_run(tmp_path / task.digest, task.spec, force=True)
    staged = [tmp_path / t.digest for t in grid if t.settings["cross.schedule"] == "staged"]
    one_setting(staged, multimodal=True)
    with pytest.raises(ConfigError, match=r"not the setting of .*cross.schedule: 'staged' -> 'joint'"):
        one_setting([tmp_path / t.digest for t in grid], multimodal=True)
    (tmp_path / "old_name").symlink_to(staged[0], target_is_directory=True)   # one network twice
    with pytest.raises(ConfigError, match=r"old_name: the same folder or seed as"):
        one_setting(staged + [tmp_path / "old_name"], multimodal=True)


def test_sets_and_seeds_parse_as_toml_values():
    assert parse_sets(["plasticity.x_tar=0.05,0.1", "excitatory.n_neurons=100,400",
                       "compression.enabled=true", "plasticity.rule=pair_additive"]) == {
        "plasticity.x_tar": [0.05, 0.1], "excitatory.n_neurons": [100, 400],
        "compression.enabled": [True], "plasticity.rule": ["pair_additive"]}
    assert parse_sets(['data.audio_perturb=[],[0.9, 1.1]', 'data.test_speakers=["a,b"],["c"]']) == {
        "data.audio_perturb": [[], [0.9, 1.1]], "data.test_speakers": [["a,b"], ["c"]]}
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4] and parse_seeds("1,3") == [1, 3]
    for bad in ("a-b", "2,2", "-1", "0,5-2", "0-99999999999", "2147483648"):
        with pytest.raises(ConfigError, match="--seeds"):
            parse_seeds(bad)
    with pytest.raises(ConfigError, match="3-1 runs backwards"):
        parse_seeds("3-1")
    with pytest.raises(ConfigError, match="20,000 seeds; one command may ask for at most 10,000"):
        parse_seeds("0-9999,10000-19999")
    for bad, words in (("seed=1,2", "seeds are given by --seeds"), ("image.seed=1", "--seeds"),
                       ("plasticity.x_tar=,", "an empty value"), ("plasticity.x_tar=0.1,", "a stray comma"),
                       ("name=a,b", "the name does not change the network")):
        with pytest.raises(ConfigError, match=words):
            parse_sets([bad])


def test_two_cells_of_one_setting_are_refused_so_no_seed_counts_twice():
    for values in ([0.1, 0.1], [1, 1.0]):
        with pytest.raises(ConfigError, match="same setting"):
            tasks(spec(), {"plasticity.x_tar": values}, [0, 1])


def test_a_compression_setting_with_compression_off_is_refused():
    # it would train dense networks under different names (the seeds of one setting)
    with pytest.raises(ConfigError, match="compression.levels changes nothing: compression is off"):
        tasks(spec(), {"compression.levels": [0, 4]}, [0])
    on = tasks(spec(), {"compression.enabled": [True], "compression.levels": [0, 4]}, [0])
    assert [t.spec.compression.levels for t in on] == [0, 4]
    # an audio-visual spec's ensembles alike
    from stdpnet.spec import load_multimodal_spec
    pair = load_multimodal_spec(REPO / "networks" / "audiovisual_quick.toml")
    with pytest.raises(ConfigError, match="image.compression.levels changes nothing: compression is off"):
        tasks(pair, {"image.compression.levels": [0, 4]}, [0])
    assert len(tasks(pair, {"image.compression.enabled": [True], "image.compression.levels": [0, 4],
                            "cross.eta": [0.01]}, [0])) == 2


def test_refit_cells_beside_cells_that_validate_are_refused():
    with pytest.raises(ConfigError, match="data.refit: some cells"):
        tasks(spec(), {"data.refit": [False, True]}, [0])


def test_a_setting_is_chosen_on_validation_and_never_on_test():
    summary = [{"x": 1, "validation_accuracy": (0.8, 0.01, 0.02), "test_accuracy": (0.9, 0, 0)},
               {"x": 2, "validation_accuracy": (0.85, 0.01, 0.02), "test_accuracy": (0.7, 0, 0)}]
    assert best_cell(summary)["x"] == 2
    with pytest.raises(ConfigError, match="never on the test split"):
        best_cell(summary, split="test")


def test_task_metrics_read_the_split_asked_for(tmp_path):
    run_task(tasks(spec(), {}, [0])[0].spec, str(tmp_path / "t"), ("validation", "test"))
    v, t = task_metrics(tmp_path / "t", "validation"), task_metrics(tmp_path / "t", "test")
    metrics = json.loads((tmp_path / "t" / "metrics.json").read_text())
    assert v["accuracy"] == metrics["evaluate"]["validation"]["accuracy"]
    assert t["accuracy"] == metrics["evaluate"]["test"]["accuracy"]
    assert metrics["evaluate"]["validation"]["examples"] == 20
    assert metrics["evaluate"]["test"]["examples"] == 20


def test_a_task_whose_metrics_were_deleted_is_trained_again_not_broken_for_good(tmp_path):
    """The advice for a damaged metrics.json is to delete it: the task then
    runs again and gives the same figures, and is not called finished before."""
    from stdpnet.experiments.sweep import task_state

    task = tasks(spec(), {}, [0])[0]
    first = run_task(task.spec, str(tmp_path / "t"), ("validation",))
    (tmp_path / "t" / "metrics.json").unlink()
    assert task_state(tmp_path / "t", ("validation",)) == "to run"
    again = run_task(task.spec, str(tmp_path / "t"), ("validation",))
    timed = ("train_ms_per_example", "train_peak_mb")
    assert {k: v for k, v in again["validation"].items() if k not in timed} == \
        {k: v for k, v in first["validation"].items() if k not in timed}
    assert task_state(tmp_path / "t", ("validation",)) == "finished"


def speakers_folder(tmp_path, speakers=("ann", "bob", "cat", "dan")):
    """A spoken-digit folder: every speaker says every digit twice (tones)."""
    import numpy as np
    from stdpnet.data import audio

    root = tmp_path / "recordings"
    root.mkdir()
    t = np.arange(1600) / 8000
    for s, speaker in enumerate(speakers):
        for digit in range(10):
            for index in range(2):
                f = (200 + 100 * digit) * (1 + 0.05 * s)
                audio.write_wav(root / f"{digit}_{speaker}_{index}.wav",
                                (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32))
    return root


def audio_spec(root):
    """Maps of 4 bands and their deltas over 8 frames: 64 inputs, the shape of
    the 8x8 bars, so the compiled networks of tiny_spec serve."""
    s = spec()
    s.data.dataset, s.data.root = "fsdd", str(root)
    s.data.audio_bands, s.data.audio_frames = 4, 8
    s.data.train_examples = s.data.assign_examples = s.data.test_examples = 0
    return s.validate()


def test_leave_one_speaker_out_folds_never_share_a_speaker(tmp_path):
    from stdpnet.data.load import load_spoken_digits
    from stdpnet.experiments.folds import FOLD_KEY, speaker_folds

    base, grid = speaker_folds(audio_spec(speakers_folder(tmp_path)))
    assert base.data.audio_split == "speaker"
    assert grid == {FOLD_KEY: [["ann"], ["bob"], ["cat"], ["dan"]]}
    held = []
    for task in tasks(base, grid, [0]):
        a = load_spoken_digits(task.spec.data)
        train, val, test = (set(a[f"{p}_speakers"]) for p in ("train", "val", "test"))
        assert test == set(task.settings[FOLD_KEY])
        assert train and val and not (train & test) and not (val & test) and not (train & val)
        held += sorted(test)
    assert held == ["ann", "bob", "cat", "dan"]      # every speaker is the test speaker once
    # "next": the speaker after the test speaker validates, so each speaker validates once
    base.data.validation_pick = "next"
    validating = []
    for task in tasks(base, grid, [0]):
        a = load_spoken_digits(task.spec.data)
        assert not set(a["val_speakers"]) & (set(a["train_speakers"]) | set(a["test_speakers"]))
        validating += sorted(set(a["val_speakers"]))
    assert validating == ["bob", "cat", "dan", "ann"]
    # a fixed validation speaker is never a fold's test speaker
    fixed = audio_spec(tmp_path / "recordings")
    fixed.data.validation_speakers = ["dan"]
    assert speaker_folds(fixed)[1] == {FOLD_KEY: [["ann"], ["bob"], ["cat"]]}
    fixed.data.validation_speakers = ["bob", "cat", "dan"]
    with pytest.raises(ConfigError, match="too few"):
        speaker_folds(fixed)
    with pytest.raises(ConfigError, match="not a spoken-digit dataset"):
        speaker_folds(spec())


def test_fold_figures_are_means_over_folds_per_seed_and_are_recorded_so(tmp_path):
    from stdpnet import results
    from stdpnet.experiments.folds import FOLD_KEY, fold_summary, write_folds

    rows = [{FOLD_KEY: [f], "seed": seed, "task": f"{f}{seed}", "validation_accuracy": 0.5,
             "test_accuracy": acc}
            for seed, accs in ((0, (0.9, 0.7)), (1, (0.8, 0.6))) for f, acc in zip("ab", accs)]
    folds = fold_summary(rows, FOLD_KEY, ("validation", "test"))
    test = folds["figures"]["test_accuracy"]
    assert test["per_seed"] == pytest.approx({0: 0.8, 1: 0.7})
    assert test["per_fold"] == pytest.approx({"['a']": 0.85, "['b']": 0.65})
    assert test["per_fold_sd"]["['a']"] == pytest.approx(0.0707107, rel=1e-5)
    assert test["mean"] == pytest.approx(0.75) and test["sd"] == pytest.approx(0.0707107, rel=1e-5)
    write_folds(tmp_path, [("", folds)])
    assert "75.00% ± 7.07" in (tmp_path / "folds.md").read_text()
    assert (tmp_path / "folds.png").stat().st_size > 0
    result = {"rows": rows, "failed": [], "summary": [{}, {}]}
    source = {"spec": "s.toml", "spec_sha256": "0", "commit": "c", "command": "stdpnet sweep",
              "machine": "m", "date": "d"}
    with pytest.raises(ConfigError, match="one cell"):
        results.record_sweep("loso", source, result, "t", root=tmp_path)
    paths = results.record_sweep("loso", source, result, "t", root=tmp_path, folds=folds)
    entry = json.loads(next(p for p in paths if p.name == "loso.test_accuracy.json").read_text())
    assert entry["values"] == {"0": 0.8, "1": 0.7} and entry["mean"] == pytest.approx(0.75)
    assert "mean over 2 folds" in entry["metric"]
    with pytest.raises(ConfigError, match="seed 1 has 1 of 2 folds"):
        fold_summary(rows[:-1], FOLD_KEY, ("test",))


def test_fold_bars_of_a_multimodal_sweep_show_each_modality_beside_both(tmp_path, monkeypatch):
    from stdpnet import plots
    from stdpnet.experiments.folds import FOLD_KEY, fold_summary, write_folds

    rows = [{FOLD_KEY: [f], "seed": seed, "task": f"{f}{seed}", "validation_accuracy": 0.9,
             "test_accuracy": 0.95, "test_accuracy_image": 0.9, "test_accuracy_audio": audio}
            for seed in (0, 1) for f, audio in zip("ab", (0.8, 0.6))]
    drawn = {}
    monkeypatch.setattr(plots, "plot_folds", lambda series, folds, path, names=None: drawn.update(
        labels=[s["label"] for s in series], audio=series[-1]["per_fold"]))
    write_folds(tmp_path, [("", fold_summary(rows, FOLD_KEY, ("validation", "test")))])
    assert drawn["labels"] == ["validation, both modalities: mean over folds 90.0%",
                               "test, both modalities: mean over folds 95.0%",
                               "test, image only: mean over folds 90.0%",
                               "test, audio only: mean over folds 70.0%"]
    assert drawn["audio"] == pytest.approx({"['a']": 0.8, "['b']": 0.6})


def test_a_selection_over_folds_records_each_settings_mean_over_folds_per_seed(tmp_path):
    from stdpnet import results
    from stdpnet.experiments.folds import FOLD_KEY, fold_summaries

    rows = [{FOLD_KEY: [f], "data.audio_frames": frames, "seed": seed, "task": f"{f}{frames}{seed}",
             "validation_accuracy": acc + frames / 1000, "validation_accuracy_likelihood": 0.5}
            for frames in (20, 30) for seed, accs in ((0, (0.9, 0.7)), (1, (0.8, 0.6)))
            for f, acc in zip("ab", accs)]
    source = {"spec": "s.toml", "spec_sha256": "0", "commit": "c", "command": "stdpnet sweep",
              "machine": "m", "date": "d"}
    folds = fold_summaries(rows, FOLD_KEY, ["data.audio_frames"], ("validation",))
    paths = results.record_selection("frames", source, {"rows": rows, "failed": []},
                                     [FOLD_KEY, "data.audio_frames"], "t", root=tmp_path, folds=folds)
    assert {p.name for p in paths} == {f"frames.data.audio_frames={n}_{c}.json" for n in (20, 30)
                                       for c in ("validation_accuracy", "validation_accuracy_likelihood")}
    entry = json.loads((tmp_path / "frames.data.audio_frames=30_validation_accuracy.json").read_text())
    assert entry["values"] == pytest.approx({"0": 0.83, "1": 0.73})
    assert entry["split"] == "validation" and "mean over 2 folds" in entry["metric"]
    with pytest.raises(ConfigError, match="seed 1 has 1 of 2 folds"):
        fold_summaries(rows[:-1], FOLD_KEY, ["data.audio_frames"], ("validation",))


def test_sweep_folds_speaker_runs_every_fold_and_records_the_mean_over_folds(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from stdpnet.cli import main
    from stdpnet.spec import dump_spec

    path = tmp_path / "audio.toml"
    path.write_text(dump_spec(audio_spec(speakers_folder(tmp_path, ("ann", "bob", "cat")))))
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "loso"
    result = CliRunner().invoke(main, ["sweep", str(path), "--folds", "speaker", "--seeds", "0",
                                       "--test", "--record", "loso", "--workers", "1",
                                       "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    folds = (out / "folds.md").read_text()
    assert (out / "folds.png").exists() and not (out / "sweep.png").exists()
    for speaker in ("ann", "bob", "cat"):
        assert f"['{speaker}']" in folds
    entry = json.loads((tmp_path / "results" / "loso.test_accuracy.json").read_text())
    assert "mean over 3 folds" in entry["metric"] and entry["n"] == 1
    assert "task_commits" not in entry                # every task was done by the recording's code
    for metrics in (out / "tasks").glob("*/metrics.json"):   # as if trained by an older commit
        m = json.loads(metrics.read_text())
        metrics.write_text(json.dumps({**m, "train": {**m["train"], "commit": "0123456789ab"}}))
    again = CliRunner().invoke(main, ["sweep", str(path), "--folds", "speaker", "--seeds", "0", "--test",
                                      "--record", "loso", "--workers", "1", "--out", str(out), "--quiet"])
    assert again.exit_code == 0 and "note: these tasks were trained and scored by commits" in again.output
    reused = json.loads((tmp_path / "results" / "loso.test_accuracy.json").read_text())
    assert reused["task_commits"] == sorted({"0123456789ab", entry["commit"]})
    assert reused["values"] == entry["values"]
    refused = CliRunner().invoke(main, ["sweep", str(path), "--folds", "speaker", "--set",
                                        "data.test_speakers=[\"ann\"]"])
    assert refused.exit_code != 0 and "do not --set it too" in refused.output
    refused = CliRunner().invoke(main, ["sweep", str(path), "--folds", "speaker", "--set",
                                        "data.validation_speakers=[\"bob\"]"])
    assert refused.exit_code != 0 and "set data.validation_speakers there, not with --set" in refused.output
    refused = CliRunner().invoke(main, ["sweep", str(path), "--folds", "speaker", "--set",
                                        "data.audio_frames=4,5", "--test", "--record", "x"])
    assert refused.exit_code != 0 and "give each --set key one value" in refused.output
    refused = CliRunner().invoke(main, ["sweep", str(path), "--folds", "speaker", "--set",
                                        "data.audio_frames=4", "--test", "--record", "x"])
    assert refused.exit_code != 0 and "needs one setting" in refused.output


def test_refit_trains_on_the_validation_part_and_scores_test_only(tmp_path, monkeypatch):
    """data.refit: the validation recordings join the training ones (with
    their speed-perturbed copies), so a refitted spec has no validation
    figure: a sweep of it needs --test and scores test only, and
    evaluating its run on validation is refused."""
    from click.testing import CliRunner

    from stdpnet.cli import main
    from stdpnet.data.load import load_dataset, load_spoken_digits
    from stdpnet.experiments import ensemble
    from stdpnet.experiments.sweep import sweep_splits
    from stdpnet.spec import dump_spec

    held = audio_spec(speakers_folder(tmp_path, ("ann", "bob", "cat")))
    held.data.audio_split, held.data.test_speakers = "speaker", ["ann"]
    held.data.audio_perturb = [0.9]
    refit = copy.deepcopy(held)
    refit.data.refit = True
    a, b = load_spoken_digits(held.data), load_spoken_digits(refit.data)
    assert set(a["val_speakers"]) == {"cat"} and set(a["train_speakers"]) == {"bob"}
    assert set(b["train_speakers"]) == {"bob", "cat"} and not b["val_speakers"]
    assert len(b["train_files"]) == 2 * (len(a["train_files"]) // 2 + len(a["val_files"]))
    assert any(f.startswith("0_cat_") and f.endswith("@0.9") for f in b["train_files"])
    assert b["test_files"] == a["test_files"]
    d = load_dataset(refit.data)
    assert len(d.val_x) == 0 and len(d.train_x) == len(b["train_files"])
    with pytest.raises(ConfigError, match="refit"):
        d.split("validation")
    images = tiny_spec(data__validation_examples=20, data__refit=True)
    d, kept = load_dataset(images.data), load_dataset(spec().data)
    assert len(d.train_x) == len(kept.train_x) + 20 and len(d.val_x) == 0
    assert sweep_splits(refit, test=True) == ("test",)
    with pytest.raises(ConfigError, match="with --test"):
        sweep_splits(refit, test=False)

    path = tmp_path / "refit.toml"
    refit.data.audio_perturb = []
    path.write_text(dump_spec(refit))
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "loso run"
    runner = CliRunner()
    refused = runner.invoke(main, ["sweep", str(path), "--folds", "speaker", "--workers", "1",
                                   "--out", str(out), "--quiet"])
    assert refused.exit_code != 0 and "with --test" in refused.output
    argv = ["sweep", str(path), "--folds", "speaker", "--seeds", "0", "--test", "--record", "loso",
            "--workers", "1", "--out", str(out), "--quiet"]
    monkeypatch.setattr(sys, "argv", ["stdpnet", *argv])     # as a shell passes them
    result = runner.invoke(main, argv)
    assert result.exit_code == 0, result.output
    header = (out / "sweep.csv").read_text().splitlines()[0]
    assert "test_accuracy" in header and "validation" not in header
    recorded = sorted(p.name for p in (tmp_path / "results").glob("loso.*.json"))
    assert "loso.test_accuracy.json" in recorded and not any("validation" in n for n in recorded)
    command = json.loads((tmp_path / "results" / "loso.test_accuracy.json").read_text())["command"]
    assert shlex.split(command) == ["stdpnet", *argv], "the recorded command, pasted in a shell, runs the same"
    run_dir = next((out / "tasks").iterdir())
    with pytest.raises(ConfigError, match="no validation figure"):
        ensemble.evaluate(run_dir, split="validation", jobs=1)


def test_record_without_test_needs_a_grid_of_settings(tmp_path):
    """Without --test only a grid's validation figures can be recorded (a
    choice); one cell without --test is refused before anything runs."""
    from click.testing import CliRunner

    from stdpnet.cli import main
    spec = tmp_path / "tiny.toml"
    from stdpnet.spec import dump_spec
    spec.write_text(dump_spec(tiny_spec()))
    result = CliRunner().invoke(main, ["sweep", str(spec), "--record", "x", "--out", str(tmp_path / "s")])
    assert result.exit_code == 2 and "--record needs --test" in result.output
    result = CliRunner().invoke(main, ["sweep", str(spec), "--set", "plasticity.x_tar=0.1,0.2", "--test",
                                       "--record", "x", "--out", str(tmp_path / "s")])
    assert result.exit_code == 2 and "give each --set key one value" in result.output
    result = CliRunner().invoke(main, ["sweep", str(spec), "--prune", "0.5,0.9", "--test",   # recorded or not
                                       "--out", str(tmp_path / "s")])
    assert result.exit_code == 2 and "--test scores the one setting chosen on validation" in result.output
    result = CliRunner().invoke(main, ["sweep", str(spec), "--set", "plasticity.x_tar=0.1,0.2",
                                       "--record", "x.y", "--out", str(tmp_path / "s")])
    assert result.exit_code == 1 and "a record's name" in result.output
    for command in ("sweep", "train"):
        result = CliRunner().invoke(main, [command, str(spec), "--examples", "20", "--set",
                                           "data.train_examples=30", "--out", str(tmp_path / "s")])
        assert result.exit_code == 2 and "give --examples or --set data.train_examples, not both" in result.output
    assert not (tmp_path / "s").exists()


def test_a_bad_set_key_or_noise_is_refused_before_any_data_is_fetched(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from stdpnet.cli import main
    from stdpnet.data import mnist
    from stdpnet.spec import dump_spec
    fetched = []
    monkeypatch.setattr(mnist, "fetch_mnist", lambda *a, **k: fetched.append(a))
    s = tiny_spec()
    s.data.dataset, s.data.root = "mnist", str(tmp_path / "nowhere")
    path = tmp_path / "tiny.toml"
    path.write_text(dump_spec(s))
    for option, said in ((["--set", "plasticity.x_tarr=0.1,0.2"], "plasticity.x_tarr"),
                         (["--noise", "image:gaussian=0.4"], "single ensemble"),   # and --list too
                         (["--noise", "image:gaussian=0.4", "--list"], "single ensemble"),
                         (["--seeds", ""], "--seeds ''")):        # not the spec's seed in silence
        result = CliRunner().invoke(main, ["sweep", str(path), *option, "--out", str(tmp_path / "s")])
        assert result.exit_code != 0 and said in result.output, result.output
        assert not fetched and not (tmp_path / "s").exists()


def test_a_scheduler_address_that_is_not_one_is_named():
    from stdpnet.errors import ConfigError
    from stdpnet.experiments.sweep import connect
    with pytest.raises(ConfigError, match="--scheduler garbage: no Dask scheduler answers"):
        connect(None, "garbage")


def test_list_shows_how_far_each_task_has_got_and_runs_nothing(tmp_path):
    from click.testing import CliRunner

    from stdpnet.cli import main
    import numpy as np

    from stdpnet import runs
    from stdpnet.engine.present import Progress
    from stdpnet.experiments.sweep import plan
    from stdpnet.spec import dump_spec
    out, grid = tmp_path / "sweep", {"plasticity.x_tar": [0.05, 0.2, 0.3]}
    done, started, _ = tasks(spec(), grid, [0])
    run_task(done.spec, str(out / "tasks" / done.digest), ("validation",))
    runs.save_checkpoint(out / "tasks" / started.digest, runs.Checkpoint(
        {}, np.zeros((0, 2), np.int32), Progress(position=10), total=40))
    planned = plan(spec(), grid, [0], out)
    assert [t["state"] for t in planned] == ["finished", "started", "to run"]
    assert [t["trained"] for t in planned] == [None, (10, 40), None]
    assert [t["state"] for t in plan(spec(), grid, [0], out, test=True)][0] == "trained"
    path = tmp_path / "tiny.toml"
    path.write_text(dump_spec(spec()))
    listed = CliRunner().invoke(main, ["sweep", str(path), "--set", "plasticity.x_tar=0.05,0.2,0.3",
                                       "--list", "--out", str(tmp_path / "other")])
    assert listed.exit_code == 0, listed.output
    assert "3 tasks: 3 to run" in listed.output and "plasticity.x_tar=0.2, seed 3:" in listed.output
    assert not (tmp_path / "other").exists()                  # listing writes nothing


def test_a_task_not_yet_scored_with_the_sweeps_noise_is_not_finished(tmp_path):
    from stdpnet import runs
    from stdpnet.experiments.sweep import task_state

    runs.update_metrics(tmp_path, train={"examples": 40}, evaluate={"validation": {"accuracy": 0.9}})
    (tmp_path / runs.WEIGHTS).write_bytes(b"")
    noise = ("image", "gaussian", [0.4, 0.8])
    assert task_state(tmp_path, ("validation",)) == "finished"
    assert task_state(tmp_path, ("validation",), (noise,)) == "trained"
    curve = [{"noise": {"image_gaussian": level}, "accuracy": {}} for level in (0.4, 0.8)]
    runs.update_metrics(tmp_path, robustness={"image-gaussian": curve})      # the test split's
    assert task_state(tmp_path, ("validation",), (noise,)) == "trained"
    runs.update_metrics(tmp_path, robustness={"image-gaussian.validation": curve[:1]})
    assert task_state(tmp_path, ("validation",), (noise,)) == "trained"       # one level of two
    runs.update_metrics(tmp_path, robustness={"image-gaussian.validation": curve})
    assert task_state(tmp_path, ("validation",), (noise,)) == "finished"


def test_the_sweep_bar_shows_how_far_its_running_tasks_are(tmp_path):
    import numpy as np

    from stdpnet import runs
    from stdpnet.engine.present import Progress
    from stdpnet.experiments.progress import watch_progress

    for name, position in (("a", 5), ("b", 30), ("c", 40)):   # c has finished its training
        runs.save_checkpoint(tmp_path / name, runs.Checkpoint({}, np.zeros((0, 2), np.int32),
                                                              Progress(position=position), total=40))

    class Bar:
        shown = []

        def set_postfix_str(self, text):
            self.shown.append(text)

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "checkpoint.npz").write_bytes(b"")         # being written: not counted
    runs.save_npz(tmp_path / "c" / "test_scoring.partial.npz", counts=np.zeros((6, 2)),
                  position=np.array(6), total=np.array(10))       # c is being scored
    bar, folders, stop = Bar(), {k: tmp_path / k for k in "abcd"}, threading.Event()
    watcher = watch_progress(bar, folders, stop, every=0.01)
    deadline = time.time() + 10
    both = "training 2 tasks: 35/80 examples; scoring 1 task: 6/10 examples"
    while both not in bar.shown and time.time() < deadline:
        time.sleep(0.01)
    folders.pop("a"), folders.pop("b"), folders.pop("c")     # all finished: nothing to show
    while bar.shown[-1] != "" and time.time() < deadline:
        time.sleep(0.01)
    stop.set()
    watcher.join(timeout=5)
    assert both in bar.shown and bar.shown[-1] == ""
    assert not watcher.is_alive()


def test_a_tasks_dask_key_names_what_it_scores():
    """On a scheduler shared by two sweeps, a task scored with another noise
    or split is another Dask key (Dask would hand back the other result)."""
    from stdpnet.experiments.sweep import _task_key

    t = tasks(spec(), {}, [0])[0]
    clean = _task_key(t, ("validation",), ())
    assert clean == _task_key(t, ("validation",), ())
    assert len({clean, _task_key(t, ("validation", "test"), ()),
                _task_key(t, ("validation",), (("audio", "white", (0.0,)),))}) == 3


def test_a_sweep_with_nothing_finished_leaves_no_table_or_picture_of_an_earlier_one(tmp_path):
    from stdpnet.experiments.summary import write_outputs

    for name in ("sweep.csv", "sweep.png"):
        (tmp_path / name).write_text("an earlier sweep's")
    assert write_outputs(tmp_path, [], [], ["plasticity.x_tar"], ("validation",)) == ["summary.md"]
    assert not (tmp_path / "sweep.csv").exists() and not (tmp_path / "sweep.png").exists()


def test_the_list_counts_every_state_stale_tasks_too(capsys):
    from stdpnet.cli import _list_tasks

    planned = [{"state": state, "settings": {}, "seed": seed, "trained": None, "folder": f"t/{seed}"}
               for seed, state in enumerate(["finished", "stale (other settings)", "to run", "to run"])]
    _list_tasks(planned)
    assert capsys.readouterr().out.splitlines()[-1] == "4 tasks: 1 finished, 2 to run, 1 stale (other settings)"
