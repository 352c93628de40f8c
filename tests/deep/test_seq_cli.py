"""`stdpnet deep train-seq` and `seq-table` end to end on a tiny spec."""
import json

import pytest
import torch
from click.testing import CliRunner

from stdpnet.deep.cli import deep

torch.set_num_threads(1)

SPEC = """
name = "tiny-seq"
[data]
task = "mnist_rows"
validation_examples = 60
train_limit = 120
test_limit = 40
batch_size = 40
[model]
channels = [8]
hidden = [8]
[train]
epochs = 2
lr = 0.01
"""


def invoke(*args):
    return CliRunner().invoke(deep, [str(a) for a in args], catch_exceptions=False)


def test_train_seq_writes_metrics_and_the_table_compares_runs(tmp_path, fake_mnist):
    spec = tmp_path / "seq.toml"
    spec.write_text(SPEC)
    runs = tmp_path / "runs"
    for kind in ("lite", "lstm"):
        r = invoke("train-seq", spec, "--model", kind, "--run", runs / kind, "--threads", 1)
        assert r.exit_code == 0, r.output
        m = json.loads((runs / kind / "metrics.json").read_text())
        assert m["model"] == kind and m["task"] == "mnist_rows" and m["steps"] == 28
        assert len(m["history"]) == 2 and 1 <= m["best_epoch"] <= 2
        assert m["validation_accuracy"] == max(h["validation_accuracy"] for h in m["history"])
        assert 0 <= m["test_accuracy"] <= 100 and m["test_sequences"] == 40
        assert m["train_sequences"] == 120 and m["validation_sequences"] == 60
        assert m["params"] > 0 and m["ops_per_sequence"] > 0 and m["energy_uj_per_sequence"] > 0
        assert {"config.toml", "model.pt"} <= {p.name for p in (runs / kind).iterdir()}
        assert (runs / kind / "spike_raster.png").exists() == (kind == "lite")
    lite = json.loads((runs / "lite" / "metrics.json").read_text())
    lstm = json.loads((runs / "lstm" / "metrics.json").read_text())
    assert lite["acs_per_sequence"] > 0 and lstm["acs_per_sequence"] == 0
    assert lstm["sizing"]["matched_to"] == lite["params"]
    assert 'model_kind = "lstm"' in (runs / "lstm" / "config.toml").read_text()

    r = invoke("train-seq", spec, "--model", "lite", "--run", runs / "lite")
    assert r.exit_code != 0 and "--force" in r.output

    r = invoke("seq-table", runs / "lite", runs / "lstm", "--out", tmp_path / "table")
    assert r.exit_code == 0, r.output
    assert "| lite | lite | mnist_rows |" in (tmp_path / "table" / "table.md").read_text()
    assert (tmp_path / "table" / "table.csv").read_text().count("\n") == 3
    assert (tmp_path / "table" / "accuracy_vs_cost.png").stat().st_size > 1000
    assert (tmp_path / "table" / "learning_curves.png").stat().st_size > 1000

    r = invoke("seq-table", tmp_path, "--out", tmp_path / "t2")
    assert r.exit_code != 0 and "train-seq" in r.output


def test_an_interrupted_sequence_run_resumes_to_what_an_uninterrupted_one_ends_with(
        tmp_path, fake_mnist, ctrl_c):
    from stdpnet.deep.seq import pipeline

    spec = tmp_path / "seq.toml"    # dropout draws from torch's global random state
    spec.write_text(SPEC.replace("epochs = 2", "epochs = 3").replace("hidden = [8]",
                                                                     "hidden = [8]\ndropout = 0.3"))
    args = ("train-seq", spec, "--model", "lite", "--threads", 1)
    assert invoke(*args, "--run", tmp_path / "straight").exit_code == 0
    stop = ctrl_c(pipeline, "clamp_neuron_parameters", at=5)   # 3 training steps an epoch
    r = invoke(*args, "--run", tmp_path / "stopped")
    assert r.exit_code == 130 and not (tmp_path / "stopped" / "metrics.json").exists()
    stop.at = None
    r = invoke(*args, "--run", tmp_path / "stopped", "--epochs", 4, "--resume")
    assert r.exit_code != 0 and "other settings" in r.output and "--force" in r.output
    r = invoke(*args, "--run", tmp_path / "stopped", "--resume")
    assert r.exit_code == 0 and "resuming lite after epoch 1" in r.output, r.output
    straight, resumed = (json.loads((tmp_path / run / "metrics.json").read_text())
                         for run in ("straight", "stopped"))
    for key in ("validation_accuracy", "best_epoch", "test_accuracy", "thresholds", "leaks"):
        assert resumed[key] == straight[key], key
    assert ([h["loss"] for h in resumed["history"]]
            == pytest.approx([h["loss"] for h in straight["history"]], rel=1e-6))
    a, b = (torch.load(tmp_path / run / "model.pt", weights_only=False)["state_dict"]
            for run in ("straight", "stopped"))
    assert all(torch.allclose(a[k].float(), b[k].float(), atol=1e-6) for k in a)
    assert resumed["seconds_total"] >= sum(h["seconds"] + h["validation_seconds"]
                                           for h in resumed["history"])   # epoch 1's time too
    r = invoke(*args, "--run", tmp_path / "stopped", "--resume")
    assert r.exit_code != 0 and "finished" in r.output


def test_seq_repeat_resumes_a_stopped_run_instead_of_training_it_anew(tmp_path, fake_mnist,
                                                                      ctrl_c):
    from stdpnet.deep.seq import pipeline

    spec = tmp_path / "seq.toml"
    spec.write_text(SPEC)
    out = tmp_path / "rep"
    args = ("seq-repeat", spec, "--models", "lite", "--seeds", "0", "--out", out, "--threads", 1)
    stop = ctrl_c(pipeline, "clamp_neuron_parameters", at=4)
    assert invoke(*args).exit_code == 130
    stop.at = None
    r = invoke(*args)
    assert r.exit_code == 0 and "resuming" in r.output, r.output
    m = json.loads((out / "lite-seed0" / "metrics.json").read_text())
    assert [h["epoch"] for h in m["history"]] == [1, 2] and m["test_accuracy"] is not None


def test_bad_seq_spec_is_one_clear_line(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('[data]\ntask = "cifar"\n')
    r = invoke("train-seq", spec, "--run", tmp_path / "x")
    assert r.exit_code != 0 and "data.task" in r.output


def test_seq_repeat_trains_models_by_seeds_reuses_finished_runs_and_records(tmp_path, fake_mnist,
                                                                            monkeypatch):
    spec = tmp_path / "seq.toml"
    spec.write_text(SPEC.replace("epochs = 2", "epochs = 1"))
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "rep"
    args = ("seq-repeat", spec, "--models", "lite,gru", "--seeds", "0-1", "--out", out, "--threads", 1,
            "--record", "tiny_seq")
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    runs = sorted(p.name for p in out.iterdir() if p.name != "table")
    assert runs == ["gru-seed0", "gru-seed1", "lite-seed0", "lite-seed1"]
    entry = json.loads((tmp_path / "results" / "tiny_seq.lite_test_accuracy.json").read_text())
    lite = [json.loads((out / f"lite-seed{s}" / "metrics.json").read_text()) for s in (0, 1)]
    assert entry["values"] == {str(s): m["test_accuracy"] / 100 for s, m in enumerate(lite)}
    assert entry["n"] == 2 and entry["split"] == "test" and "seq-repeat" in entry["command"]
    assert lite[0]["seed"] == 0 and lite[1]["seed"] == 1
    assert f"[1/4] {out / 'lite-seed0'}: training" in r.output and "[4/4]" in r.output
    stamp = (out / "lite-seed0" / "metrics.json").stat().st_mtime_ns
    r = invoke(*args)                                       # finished runs are reused
    assert r.exit_code == 0 and "[3/4]" in r.output and "finished, reused" in r.output
    assert (out / "lite-seed0" / "metrics.json").stat().st_mtime_ns == stamp
    spec.write_text(SPEC.replace("epochs = 2", "epochs = 1").replace("channels = [8]", "channels = [8]\nstride = 2"))
    assert invoke(*args[:3], "lite", *args[4:]).exit_code == 0   # the spec changed: trained again
    assert (out / "lite-seed0" / "metrics.json").stat().st_mtime_ns != stamp
    assert "stride = 2" in (out / "lite-seed0" / "config.toml").read_text()
    bad = invoke("seq-repeat", spec, "--models", "lite,transformer", "--out", out)
    assert bad.exit_code != 0 and "transformer" in bad.output


def test_seq_repeat_varies_a_key_over_cells_and_a_selection_never_reads_test(tmp_path, fake_mnist,
                                                                             monkeypatch):
    from stdpnet.deep.seq import data as seq_data

    real = seq_data.load_split

    def no_test(cfg, split):
        assert split != "test", "a selection run read the test split"
        return real(cfg, split)

    monkeypatch.setattr("stdpnet.deep.seq.pipeline.load_split", no_test)
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "results"))
    spec = tmp_path / "seq.toml"
    spec.write_text(SPEC.replace('"mnist_rows"', '"mnist_pixels"').replace("epochs = 2", "epochs = 1"))
    out = tmp_path / "length"
    r = invoke("seq-repeat", spec, "--models", "srnn", "--seeds", "0-1", "--out", out,
               "--set", "data.pixel_steps=28,112", "--validation-only", "--threads", 1,
               "--record", "tiny_len")
    assert r.exit_code == 0, r.output
    for steps in (28, 112):
        for seed in (0, 1):
            m = json.loads((out / f"pixel_steps={steps}" / f"srnn-seed{seed}" / "metrics.json").read_text())
            assert m["steps"] == steps and m["features"] == 784 // steps
            assert m["settings"] == {"data.pixel_steps": steps} and m["test_accuracy"] is None
    cells = (out / "table" / "cells.md").read_text()
    assert "| pixel_steps=112 | srnn | 112 |" in cells and "not scored" in cells
    table = (out / "table" / "table.md").read_text()
    assert "None" not in table and table.count("not scored") == 4   # the test column of each run
    assert (out / "table" / "accuracy_by_cell.png").stat().st_size > 1000
    written = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert "tiny_len.srnn_validation_accuracy_pixel_steps112.json" in written
    assert not any("test_accuracy" in name for name in written)
    # The plot drawn again from the registry alone shows the runs' own means.
    from stdpnet import results
    from stdpnet.deep.seq import pipeline

    rows, key = pipeline.recorded_cells(results.load_all(), "tiny_len")
    from_runs = pipeline.cell_summary(sorted(out.glob("pixel_steps=*/srnn-seed*")))
    assert key == "pixel_steps" and [r["settings"][key] for r in rows] == [28, 112]
    for row in rows:
        run = next(r for r in from_runs if r["settings"]["data.pixel_steps"] == row["settings"][key])
        assert row["validation_mean"] == pytest.approx(run["validation_mean"])
        assert row["validation_sd"] == pytest.approx(run["validation_sd"]) and row["test_mean"] is None
    r = invoke("seq-plot", "tiny_len", "--out", tmp_path / "again.png")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "again.png").stat().st_size > 1000
    bad = invoke("seq-plot", "no_such_record", "--out", tmp_path / "none.png")
    assert bad.exit_code != 0 and "no_such_record" in bad.output
    bad = invoke("seq-repeat", spec, "--models", "srnn", "--out", out, "--set", "data.pixel_steps=100")
    assert bad.exit_code != 0 and "pixel_steps" in bad.output
    bad = invoke("seq-repeat", spec, "--models", "srnn", "--out", out, "--set", "data.nonsense=1")
    assert bad.exit_code != 0 and "data.nonsense" in bad.output
    bad = invoke("seq-repeat", spec, "--models", "srnn", "--out", out, "--set", "model_kind=gru,lstm")
    assert bad.exit_code != 0 and "given by --models" in bad.output   # (not cells all trained as srnn)
    bad = invoke("seq-repeat", spec, "--models", "srnn", "--out", out, "--set", "name=a")
    assert bad.exit_code != 0 and "--set name: each run is named by its folder" in bad.output


def test_a_chosen_selection_run_is_tested_with_its_kept_model_as_a_fresh_run_would_be(tmp_path,
                                                                                      fake_mnist,
                                                                                      monkeypatch):
    spec = tmp_path / "seq.toml"
    spec.write_text(SPEC)
    args = ("seq-repeat", spec, "--models", "lite", "--seeds", "0", "--threads", 1,
            "--set", "model.kernel=2")
    assert invoke(*args, "--out", tmp_path / "select", "--validation-only").exit_code == 0
    run = tmp_path / "select" / "kernel=2" / "lite-seed0"
    stamp = (run / "model.pt").stat().st_mtime_ns
    r = invoke(*args, "--out", tmp_path / "select")            # the test asked for: not trained again
    assert r.exit_code == 0 and "scoring its kept model on test" in r.output
    assert (run / "model.pt").stat().st_mtime_ns == stamp
    tested = json.loads((run / "metrics.json").read_text())
    assert invoke(*args, "--out", tmp_path / "fresh").exit_code == 0   # trained with the test
    fresh = json.loads((tmp_path / "fresh" / "kernel=2" / "lite-seed0" / "metrics.json").read_text())
    assert tested["test_sequences"] == fresh["test_sequences"] == 40
    assert tested["test_accuracy"] == fresh["test_accuracy"]
    assert tested["validation_accuracy"] == fresh["validation_accuracy"]
    assert "| kernel=2 | lite |" in (tmp_path / "select" / "table" / "cells.md").read_text()
    assert tested["commit"] == tested["test_commit"] == fresh["commit"] and fresh["commit"]
    # a selection over runs whose test is scored by now shows and records no test figure; a
    # run trained by other code is named in the record
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "registry"))
    (run / "metrics.json").write_text(json.dumps({**tested, "commit": "0123456789ab"}))
    r = invoke(*args, "--out", tmp_path / "select", "--validation-only", "--record", "reselect")
    assert r.exit_code == 0 and "finished, reused" in r.output and "0123456789ab" in r.output
    assert sorted(p.name for p in (tmp_path / "registry").glob("reselect.*_accuracy_*")) == [
        "reselect.lite_validation_accuracy_kernel2.json"]
    entry = json.loads((tmp_path / "registry" / "reselect.lite_validation_accuracy_kernel2.json").read_text())
    assert entry["task_commits"] == ["0123456789ab"]      # (the test it was scored on is not shown)
    assert "not scored" in (tmp_path / "select" / "table" / "table.md").read_text()
    assert f"{100 * tested['test_accuracy']:.4g}" not in (tmp_path / "select" / "table" / "cells.md").read_text()


def test_seq_plot_draws_several_records_over_one_setting_with_the_others_as_lines(tmp_path,
                                                                                   monkeypatch):
    from stdpnet import results
    from stdpnet.deep.seq import pipeline

    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path))
    source = {"spec": "s.toml", "spec_sha256": "0", "commit": "c", "command": "x", "machine": "m",
              "date": "2026-12-05"}
    for name, cell, values in (("two", "pixel_steps28,positionssinusoidal,stride5", {0: 0.9, 1: 0.8}),
                               ("two", "pixel_steps112,positionssinusoidal,stride5", {0: 0.7, 1: 0.6}),
                               ("two", "pixel_steps28,positionsnone,stride1", {0: 0.5, 1: 0.5}),
                               ("two", "channels[32,32],pixel_steps56,positionsnone,stride1", {0: 0.3}),
                               ("one", "pixel_steps28", {0: 0.4})):
        results.write(results.figure(f"{name}.lite_test_accuracy_{cell}", "t", "m", "test", "%",
                                     values, source))
    rows, key = pipeline.recorded_cells(results.load_all(), "two", "pixel_steps")
    assert key == "pixel_steps"
    assert [(r["settings"]["pixel_steps"], r["settings"]["positions"], r["settings"]["stride"])
            for r in rows] == [(28, "none", 1), (28, "sinusoidal", 5), (56, "none", 1), (112, "sinusoidal", 5)]
    assert rows[2]["settings"]["channels"] == [32, 32]      # a list value keeps its commas
    assert rows[1]["test_mean"] == pytest.approx(85.0) and rows[1]["validation_mean"] is None
    with pytest.raises(Exception, match="--x"):
        pipeline.recorded_cells(results.load_all(), "two")           # three keys: which one?
    with pytest.raises(Exception, match="numeric"):
        pipeline.recorded_cells(results.load_all(), "two", "positions")
    r = invoke("seq-plot", "two", "one", "--x", "pixel_steps", "--split", "test",
               "--out", tmp_path / "both.png")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "both.png").stat().st_size > 1000


FSDD_SPEC = """
name = "tiny-fsdd"
[data]
task = "fsdd"
root = "{root}"
batch_size = 8
[fsdd]
test_speakers = ["dan"]
validation_speakers = ["cid"]
frames = 12
bands = 8
[model]
channels = [8]
hidden = [8]
[train]
epochs = 1
lr = 0.01
"""


def test_leave_one_speaker_out_holds_each_speaker_out_once_and_records_means_over_folds(
        tmp_path, monkeypatch, tone_speakers):
    import tomllib

    from stdpnet.deep.seq import data as seq_data

    speakers = ["ann", "bob", "cid", "dan"]
    tone_speakers(tmp_path / "wav", speakers)
    (tmp_path / "wav" / "notes.txt").write_text("not a recording")
    spec = tmp_path / "fsdd.toml"
    spec.write_text(FSDD_SPEC.format(root=tmp_path / "wav"))
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "results"))
    real = seq_data.load_split

    def no_test(cfg, split):
        assert split != "test", "a selection run read the test split"
        return real(cfg, split)

    out = tmp_path / "loso"
    args = ("seq-repeat", spec, "--models", "tcn", "--seeds", "0-1", "--out", out, "--threads", 1,
            "--folds", "speaker")
    with monkeypatch.context() as m:
        m.setattr("stdpnet.deep.seq.pipeline.load_split", no_test)
        r = invoke(*args, "--validation-only", "--record", "tiny_loso_select")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir() if p.name != "table") == [f"test={s}" for s in speakers]
    for i, held_out in enumerate(speakers):
        for seed in (0, 1):
            run = out / f"test={held_out}" / f"tcn-seed{seed}"
            cfg = tomllib.loads((run / "config.toml").read_text())["fsdd"]
            # the fold's test speaker, the next one (wrapping round) for validation, the rest trained on
            assert cfg["test_speakers"] == [held_out]
            assert cfg["validation_speakers"] == [speakers[(i + 1) % 4]]
            m = json.loads((run / "metrics.json").read_text())
            assert m["fold"] == held_out and m["test_accuracy"] is None
            assert m["train_sequences"] == 2 * 6 and m["validation_sequences"] == 6
    folds = (out / "table" / "folds.md").read_text()
    assert all(f"| {s} |" in folds for s in speakers) and "mean over folds, seed 1" in folds
    assert (out / "table" / "folds.png").stat().st_size > 1000
    assert not any("test_accuracy" in p.name for p in (tmp_path / "results").iterdir())

    # Tested: the kept models score the held-out speakers; each seed's figure is its mean over the folds.
    r = invoke(*args, "--record", "tiny_loso")
    assert r.exit_code == 0 and r.output.count("scoring its kept model on test") == 8, r.output
    entry = json.loads((tmp_path / "results" / "tiny_loso.tcn_test_accuracy.json").read_text())
    for seed in (0, 1):
        tested = [json.loads((out / f"test={s}" / f"tcn-seed{seed}" / "metrics.json").read_text())
                  for s in speakers]
        assert all(t["test_sequences"] == 6 for t in tested)
        assert entry["values"][str(seed)] == pytest.approx(sum(t["test_accuracy"] for t in tested) / 400)
    assert entry["n"] == 2 and "4 held-out speakers (ann, bob, cid, dan)" in entry["metric"]
    assert "test_accuracy" in (out / "table" / "folds.md").read_text()

    bad = invoke(*args, "--set", "fsdd.test_speakers=[ann]")
    assert bad.exit_code != 0 and "fsdd.test_speakers" in bad.output
    rows = SPEC.replace("epochs = 2", "epochs = 1")
    (tmp_path / "rows.toml").write_text(rows)
    bad = invoke("seq-repeat", tmp_path / "rows.toml", "--models", "tcn", "--out", out, "--folds", "speaker")
    assert bad.exit_code != 0 and "data.task" in bad.output


def test_fold_means_need_the_same_held_out_speakers_for_every_seed():
    from stdpnet.deep.seq.pipeline import per_seed
    from stdpnet.errors import RunFolderError

    runs = [{"model": "lite", "seed": 0, "fold": "ann", "validation_accuracy": 50.0},
            {"model": "lite", "seed": 0, "fold": "bob", "validation_accuracy": 70.0},
            {"model": "lite", "seed": 1, "fold": "ann", "validation_accuracy": 40.0},
            {"model": "lite", "seed": 1, "fold": "bob", "validation_accuracy": 60.0,
             "test_accuracy": 55.0}]
    assert per_seed(runs, "validation_accuracy", "x") == {0: 60.0, 1: 50.0}
    assert per_seed(runs, "test_accuracy", "x") == {0: None, 1: None}
    with pytest.raises(RunFolderError, match="different speakers"):
        per_seed(runs[:3], "validation_accuracy", "x")
    with pytest.raises(RunFolderError, match="second lite run of seed 0 holding out ann"):
        per_seed(runs + runs[:1], "validation_accuracy", "x")


def test_seq_repeat_scoring_test_lets_one_key_vary_and_sends_a_second_to_validation(tmp_path, fake_mnist):
    spec = tmp_path / "seq.toml"
    spec.write_text(SPEC.replace('"mnist_rows"', '"mnist_pixels"'))
    r = invoke("seq-repeat", spec, "--models", "lite", "--seeds", "0", "--out", tmp_path / "grid",
               "--set", "data.pixel_steps=28,112", "--set", "model.positions=none,sinusoidal")
    assert r.exit_code == 2 and "data.pixel_steps, model.positions each take several values" in r.output
    assert "--validation-only" in r.output and not (tmp_path / "grid").exists()


def test_a_run_that_failed_on_missing_data_is_started_again_by_the_same_command(tmp_path):
    spec = tmp_path / "events.toml"
    spec.write_text(f'[data]\ntask = "nmnist"\nroot = "{tmp_path / "nowhere"}"\n')
    run = tmp_path / "run"
    for _ in range(2):                       # the second time: the same error, not "pass --resume"
        r = invoke("train-seq", spec, "--run", run, "--threads", 1)
        assert r.exit_code == 1 and "nowhere" in r.output and "--resume" not in r.output, r.output
    assert not (run / "config.toml").exists() and not (run / "kind.txt").exists()
