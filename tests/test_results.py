"""The results registry: entries keep every seed's value and their mean and
sd, and docs/results.md is exactly what the registry generates."""
from __future__ import annotations

import json
import math
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from stdpnet import results
from stdpnet.errors import ConfigError

from conftest import REPO


def test_the_committed_results_document_is_what_the_registry_generates():
    entries = results.load_all(REPO / "results")
    assert results.doc_path().read_text() == results.render_doc(entries), \
        "docs/results.md is out of date: run `stdpnet results --write-docs`"


def test_every_recorded_figure_names_a_shipped_spec_with_the_settings_it_was_measured_with():
    """Each entry's spec (and ensemble specs) is in the repository, as
    recorded or changed in comments and layout only (what git can tell)."""
    problems = [line for line in results.check_sources(results.load_all(REPO / "results"), REPO)
                if results.SETTINGS_SAME not in line]
    assert not problems, "re-record these figures, or restore their specs:\n" + "\n".join(problems)


def fake_sweep(values: dict, test=True, cells=1):
    rows = []
    for seed, v in values.items():
        row = {"seed": seed, "task": f"t{seed}", "validation_accuracy": v - 0.01,
               "validation_train_ms_per_example": 2.0 + seed,
               "validation_train_peak_mb": math.nan if seed == 1 else 30.0}
        if test:
            row |= {"test_accuracy": v, "test_accuracy_likelihood": v + 0.01}
        rows.append(row)
    return {"rows": rows, "failed": [], "summary": [{}] * cells}


def test_a_recorded_sweep_keeps_every_seed_and_its_mean_and_sd(tmp_path):
    spec = REPO / "networks" / "mnist_quick.toml"
    source = results.provenance(spec, "stdpnet sweep ... --record demo")
    paths = results.record_sweep("demo", source, fake_sweep({0: 0.80, 1: 0.84, 2: 0.82}), "A demo",
                                 root=tmp_path)
    assert {p.name for p in paths} == {"demo.test_accuracy.json", "demo.test_accuracy_likelihood.json",
                                       "demo.validation_accuracy.json",
                                       "demo.validation_train_ms_per_example.json"}, \
        "a figure not measured for every seed (peak memory: NaN) is left out"
    entry = json.loads((tmp_path / "demo.test_accuracy.json").read_text())
    assert entry["values"] == {"0": 0.80, "1": 0.84, "2": 0.82} and entry["n"] == 3
    assert entry["mean"] == pytest.approx(0.82) and entry["sd"] == pytest.approx(np.std([0.8, 0.84, 0.82], ddof=1))
    assert entry["split"] == "test" and entry["spec"].endswith("networks/mnist_quick.toml")
    assert len(entry["spec_sha256"]) == 64 and entry["command"].endswith("--record demo")
    loaded = results.load_all(tmp_path)
    assert len(loaded) == 4
    text = results.table(loaded)
    assert "82.00% ± 2.00" in text and "0: 80.00%" in text
    doc = results.render_doc(loaded)
    assert "## A demo" in doc and "Not measured under this protocol yet" in doc


def test_a_section_written_by_two_commands_pairs_each_with_its_own_commit_and_date(tmp_path):
    spec = REPO / "networks" / "mnist_quick.toml"
    for command, commit_, day, seeds in (("stdpnet sweep b", "bbbb", "2026-12-01", {0: 0.8, 1: 0.9}),
                                          ("python benchmarks/a.py", "aaaa", "2026-12-05", {0: 0.7, 1: 0.6})):
        source = {**results.provenance(spec, command), "commit": commit_, "date": day}
        results.write(results.figure(f"demo.{command[-1]}", "A demo", "accuracy", "test", "%", seeds, source),
                      tmp_path)
    doc = results.render_doc(results.load_all(tmp_path))
    where = results.provenance(spec, "x")["machine"]
    assert [line for line in doc.splitlines() if line.startswith("- Command:")] == [
        f"- Command: `python benchmarks/a.py`, commit aaaa, {where}, 2026-12-05",
        f"- Command: `stdpnet sweep b`, commit bbbb, {where}, 2026-12-01"]
    assert "- Commit:" not in doc and "- Date:" not in doc


def test_recording_a_name_again_leaves_no_figure_of_the_earlier_recording(tmp_path):
    """A figure the earlier run of the same command wrote and this one does not
    is removed; a figure another command wrote under the name is kept."""
    spec = REPO / "networks" / "mnist_quick.toml"
    source = results.provenance(spec, "stdpnet sweep ... --record demo")
    results.record_sweep("demo", source, fake_sweep({0: 0.80, 1: 0.84}), "A demo", root=tmp_path)
    curve = results.figure("demo.curve_epoch_1", "A demo", "accuracy", "validation", "%", {0: 0.7, 1: 0.8},
                           results.provenance(spec, "python benchmarks/learning_curve.py --record demo"))
    results.write(curve, tmp_path)
    again = fake_sweep({0: 0.81, 1: 0.85})
    for row in again["rows"]:
        del row["test_accuracy_likelihood"]
    rerun = {**source, "command": "stdpnet sweep ... --workers 2 --record demo"}   # other options alike
    results.record_sweep("demo", rerun, again, "A demo", root=tmp_path)
    names = sorted(p.name for p in tmp_path.glob("demo.*.json"))
    assert "demo.test_accuracy_likelihood.json" not in names and "demo.test_accuracy.json" in names
    assert "demo.curve_epoch_1.json" in names
    assert json.loads((tmp_path / "demo.test_accuracy.json").read_text())["values"] == {"0": 0.81, "1": 0.85}


def test_ctrl_c_while_a_record_is_written_leaves_it_all_new_and_then_stops(tmp_path, monkeypatch):
    """Ctrl-C landing between two files of a record is held until every
    figure is in and the stale one gone: never part old, part new."""
    spec = REPO / "networks" / "mnist_quick.toml"
    source = results.provenance(spec, "stdpnet sweep ... --record demo")
    results.record_sweep("demo", source, fake_sweep({0: 0.80, 1: 0.84}), "A demo", root=tmp_path)
    again = fake_sweep({0: 0.81, 1: 0.85})
    for row in again["rows"]:
        del row["test_accuracy_likelihood"]
    replace = os.replace

    def interrupted_replace(src, dst):
        replace(src, dst)
        os.kill(os.getpid(), signal.SIGINT)     # Ctrl-C after the first file is in

    monkeypatch.setattr(os, "replace", interrupted_replace)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    done = threading.Event()      # another thread, as a progress bar's: the signal may reach it instead
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            results.record_sweep("demo", source, again, "A demo", root=tmp_path)
    finally:
        done.set()
        other.join()
        signal.signal(signal.SIGINT, before)
    monkeypatch.undo()
    entries = results.load_all(tmp_path)
    assert {e["name"] for e in entries} == {"demo.test_accuracy", "demo.validation_accuracy",
                                             "demo.validation_train_ms_per_example"}
    new = {e["name"]: e["values"] for e in entries}
    assert new["demo.test_accuracy"] == {"0": 0.81, "1": 0.85}
    assert new["demo.validation_accuracy"] == pytest.approx({"0": 0.80, "1": 0.84})
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".json"], "no temporary file is left"


def test_a_pruned_network_records_its_savings_and_a_dense_one_does_not(tmp_path):
    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "stdpnet sweep ...")
    dense, pruned = fake_sweep({0: 0.80, 1: 0.82}), fake_sweep({0: 0.80, 1: 0.82})
    for row in dense["rows"]:
        row |= {"test_sparsity": 0.0, "test_synaptic_op_reduction": 1.0, "test_energy_improvement": 1.0}
    for row in pruned["rows"]:
        row |= {"test_sparsity": 0.8, "test_synaptic_op_reduction": {0: 1.8, 1: 1.9}[row["seed"]],
                "test_energy_improvement": 2.7}
    names = {p.name for p in results.record_sweep("dense", source, dense, "d", root=tmp_path)}
    assert not any("reduction" in n or "energy" in n for n in names)
    names = {p.name for p in results.record_sweep("pruned", source, pruned, "p", root=tmp_path)}
    assert {"pruned.test_synaptic_op_reduction.json", "pruned.test_energy_improvement.json"} <= names
    entry = json.loads((tmp_path / "pruned.test_synaptic_op_reduction.json").read_text())
    assert entry["unit"] == "x" and entry["split"] == "test" and entry["values"] == {"0": 1.8, "1": 1.9}


def test_only_a_one_cell_sweep_with_test_scores_is_recorded(tmp_path):
    spec = REPO / "networks" / "mnist_quick.toml"
    with pytest.raises(ConfigError, match="--test"):
        results.record_sweep("x", results.provenance(spec, ""), fake_sweep({0: 0.8}, test=False), "x",
                             root=tmp_path)
    with pytest.raises(ConfigError, match="one cell"):
        results.record_sweep("x", results.provenance(spec, ""), fake_sweep({0: 0.8}, cells=2), "x",
                             root=tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_selection_records_every_cells_validation_figures_and_no_test_score(tmp_path):
    """A grid scored on validation only (the evidence for a choice): one
    entry per cell and figure, every seed kept; a sweep with test scores or
    a failed task records nothing."""
    spec = REPO / "networks" / "mnist_quick.toml"
    rows = []
    for precision, base in (("double", 0.91), ("single", 0.90)):
        for seed in (0, 1, 2):
            rows.append({"schedule.precision": precision, "seed": seed, "task": f"{precision}{seed}",
                         "validation_accuracy": base + seed / 1000, "validation_accuracy_likelihood": 0.92,
                         "validation_train_ms_per_example": 2.0, "validation_train_peak_mb": math.nan})
    result = {"rows": rows, "failed": [], "summary": [{}, {}]}
    paths = results.record_selection("prec", results.provenance(spec, "cmd"), result,
                                     ["schedule.precision"], "Precision", root=tmp_path)
    names = {p.name for p in paths}
    assert names == {f"prec.schedule.precision={v}_{c}.json" for v in ("double", "single")
                     for c in ("validation_accuracy", "validation_accuracy_likelihood",
                               "validation_train_ms_per_example")}
    entry = json.loads((tmp_path / "prec.schedule.precision=single_validation_accuracy.json").read_text())
    assert entry["values"] == {"0": 0.90, "1": 0.901, "2": 0.902} and entry["split"] == "validation"
    assert "schedule.precision=single" in entry["metric"]
    assert {e["name"].split(".")[0] for e in results.load_all(tmp_path)} == {"prec"}
    for bad in ({**result, "failed": [("t", "boom")]},
                {**result, "rows": [{**r, "test_accuracy": 0.9} for r in rows]}):
        with pytest.raises(ConfigError):
            results.record_selection("bad", results.provenance(spec, "cmd"), bad, ["schedule.precision"],
                                     "x", root=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_a_broken_results_file_names_itself(tmp_path):
    (tmp_path / "bad.json").write_text('{"name": "bad"}')
    with pytest.raises(ConfigError, match="bad.json: missing"):
        results.load_all(tmp_path)


def test_the_commit_is_marked_changed_by_code_but_not_by_written_figures(tmp_path):
    """A figure written to results/ by an earlier command of a measurement
    does not make the next one's checkout '+changes'; a changed code file does."""
    import subprocess

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "a.json").write_text("{}")
    (tmp_path / "model.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    clean = results.commit(tmp_path)
    assert len(clean) == 12 and "+" not in clean
    (tmp_path / "results" / "a.json").write_text('{"value": 1}')
    assert results.commit(tmp_path) == clean
    (tmp_path / "notes.txt").write_text("not code")          # a new file outside the code: clean
    assert results.commit(tmp_path) == clean
    (tmp_path / "networks").mkdir()
    (tmp_path / "networks" / "new.toml").write_text("")       # a spec the commit lacks
    assert results.commit(tmp_path) == clean + "+changes"
    (tmp_path / "networks" / "new.toml").unlink()
    (tmp_path / "model.py").write_text("x = 2\n")
    assert results.commit(tmp_path) == clean + "+changes"


def test_a_tree_without_git_takes_its_commit_from_the_environment(tmp_path, monkeypatch):
    """A copy of the checkout without .git (a GPU host) is told its commit."""
    monkeypatch.delenv("STDPNET_COMMIT", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert results.commit(tmp_path) == "unknown"
    monkeypatch.setenv("STDPNET_COMMIT", "0123456789ab")
    assert results.commit(tmp_path) == "0123456789ab"


def test_the_check_names_specs_that_changed_or_went_missing_since_recording(tmp_path, monkeypatch):
    """And, where git holds the recorded spec, whether its settings changed."""
    import subprocess

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    monkeypatch.chdir(tmp_path)
    for name in ("kept", "comment", "setting", "deleted", "part"):
        Path(f"{name}.toml").write_text(f"# {name}\nseed = 0\n[train]\neta = 0.1\n")
    # a multimodal spec: its ensembles' specs are recorded and checked with it
    Path("pair.toml").write_text('name = "pair"\nimage_spec = "kept.toml"\naudio_spec = "part.toml"\n')
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "specs")
    for name in ("kept", "comment", "setting", "deleted", "pair"):
        source = {**results.provenance(Path(f"{name}.toml"), f"stdpnet sweep {name}.toml"),
                  "commit": results.commit(tmp_path)}   # the checkout the specs are in
        results.write(results.figure(f"{name}.accuracy", name, "accuracy", "test", "%",
                                     {0: 0.9, 1: 0.8, 2: 0.85}, source), tmp_path / "results")
    Path("comment.toml").write_text("# a better comment\nseed = 0\n[train]\neta = 0.1\n")
    Path("setting.toml").write_text("# setting\nseed = 0\n[train]\neta = 0.2\n")
    Path("deleted.toml").unlink()
    pair = json.loads((tmp_path / "results" / "pair.accuracy.json").read_text())
    assert set(pair["spec_parts"]) == {"kept.toml", "part.toml"}
    assert "spec_parts" not in json.loads((tmp_path / "results" / "kept.accuracy.json").read_text())
    Path("part.toml").write_text("# part\nseed = 1\n[train]\neta = 0.1\n")
    assert results.check_sources(results.load_all(tmp_path / "results")) == [
        "comment.toml: changed since it was recorded, settings the same (comments or layout only) "
        "(1 entry: comment.accuracy)",
        "deleted.toml: not in the repository (1 entry: deleted.accuracy)",
        "part.toml: changed since it was recorded, settings changed: seed (1 entry: pair.accuracy)",
        "setting.toml: changed since it was recorded, settings changed: train.eta "
        "(1 entry: setting.accuracy)"]
    Path("setting.toml").write_text("# setting\nseed = 0\n[train]\neta = 0.1\n")
    Path("deleted.toml").write_text("# deleted\nseed = 0\n[train]\neta = 0.1\n")
    Path("part.toml").write_text("# part\nseed = 0\n[train]\neta = 0.1\n")
    lines, failed = results.check_report(results.load_all(tmp_path / "results"))
    assert not failed and lines[-1] == "5 entries, 0 spec(s) missing or with changed settings, " \
                                      "1 changed in comments or layout only"
    entry = json.loads((tmp_path / "results" / "kept.accuracy.json").read_text())
    (tmp_path / "results" / "kept.accuracy.json").write_text(json.dumps({**entry, "commit": "abc+changes"}))
    lines, failed = results.check_report(results.load_all(tmp_path / "results"))
    assert not failed and lines[-2].startswith("note: 1 test entry was recorded from a checkout with "
                                               "uncommitted changes (commit ...+changes, e.g. kept.accuracy)")
    Path("setting.toml").write_text("# setting\nseed = 0\n[train]\neta = 0.2\n")
    assert results.check_report(results.load_all(tmp_path / "results"))[1]


def test_counts_are_shown_in_full_and_other_figures_to_three_digits():
    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "demo")
    params = results.figure("demo.params", "A demo", "parameters", "model", "", {0: 46926.0, 1: 46926.0}, source)
    energy = results.figure("demo.energy", "A demo", "energy", "validation", "µJ", {0: 2.1534, 1: 2.1581}, source)
    same = results.figure("demo.same", "A demo", "energy", "validation", "µJ",
                          {0: 5.87, 1: 5.87 + 2e-15, 2: 5.87}, source)
    assert 0 < same["sd"] < 1e-14
    text = results.table([params, energy, same])
    assert "| 5.87 µJ ± 0 |" in text
    assert "| 46,926 ± 0 |" in text and "0: 46,926" in text
    assert "2.16 µJ ±" in text and "0: 2.15 µJ" in text


def test_a_class_index_is_shown_per_seed_never_as_a_mean():
    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "demo")
    same = results.figure("demo.same", "A demo", "most labelled class", "validation", results.CLASS,
                          {0: 4.0, 1: 4.0, 2: 4.0}, source)
    apart = results.figure("demo.apart", "A demo", "most labelled class", "validation", results.CLASS,
                           {0: 3.0, 1: 0.0, 2: 3.0}, source)
    text = results.table([same, apart])
    assert "| 4 in every seed | 3 | 0: 4, 1: 4, 2: 4 |" in text
    assert "| differs by seed | 3 | 0: 3, 1: 0, 2: 3 |" in text
    assert "±" not in text.split("\n", 2)[2]      # (below the header)


def test_an_entry_named_after_a_swept_folder_is_one_file_of_the_registry(tmp_path):
    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "stdpnet sweep ... --record demo")
    name = "demo.data.audio_extra_root=datasets/voices%2/recordings_validation_accuracy"
    path = results.write(results.figure(name, "A demo", "accuracy", "validation", "%", {0: 0.5, 1: 0.7}, source),
                         tmp_path)
    assert path.parent == tmp_path and [p.name for p in tmp_path.iterdir()] == [path.name]
    assert [e["name"] for e in results.load_all(tmp_path)] == [name]
    assert results.file_name("a/b%2Fc") != results.file_name("a%2Fb/c")      # escaping keeps names apart


def test_pooled_seeds_keep_every_value_and_the_provenance_of_each_part(tmp_path, monkeypatch):
    spec = REPO / "networks" / "mnist_quick.toml"
    first = results.provenance(spec, "stdpnet sweep ... --seeds 0-1 --record big")
    later = results.provenance(spec, "stdpnet sweep ... --seeds 2 --record big_seed2") | {"machine": "other"}
    results.record_sweep("big", first, fake_sweep({0: 0.80, 1: 0.84}), "Big", root=tmp_path)
    results.record_sweep("big_seed2", later, fake_sweep({2: 0.90}), "Big", root=tmp_path)
    paths = results.pool("big_pooled", ["big", "big_seed2"], "stdpnet pool-seeds big big_seed2 --record big_pooled",
                         "Big, three seeds", root=tmp_path)
    assert {p.name for p in paths} == {"big_pooled.test_accuracy.json", "big_pooled.test_accuracy_likelihood.json",
                                       "big_pooled.validation_accuracy.json"}, \
        "training time is the measuring machine's and is not pooled"
    entry = json.loads((tmp_path / "big_pooled.test_accuracy.json").read_text())
    assert entry["values"] == {"0": 0.80, "1": 0.84, "2": 0.90} and entry["n"] == 3
    assert entry["mean"] == pytest.approx(np.mean([0.8, 0.84, 0.9]))
    assert entry["sd"] == pytest.approx(np.std([0.8, 0.84, 0.9], ddof=1))
    assert [p["seeds"] for p in entry["pooled_from"]] == [["0", "1"], ["2"]]
    assert entry["pooled_from"][1]["command"].endswith("--record big_seed2")
    assert "other" in entry["machine"]
    doc = results.render_doc(results.load_all(tmp_path))
    assert "Pooled from big_seed2 (seed 2): `stdpnet sweep ... --seeds 2 --record big_seed2`" in doc


def test_pooling_refuses_a_seed_twice_or_records_of_another_spec(tmp_path):
    spec = REPO / "networks" / "mnist_quick.toml"
    source = results.provenance(spec, "stdpnet sweep ...")
    results.record_sweep("a", source, fake_sweep({0: 0.80, 1: 0.84}), "A", root=tmp_path)
    results.record_sweep("b", source, fake_sweep({1: 0.81, 2: 0.83}), "A", root=tmp_path)
    with pytest.raises(ConfigError, match="seed 1 is in more than one record"):
        results.pool("ab", ["a", "b"], "cmd", "AB", root=tmp_path)
    other = results.provenance(REPO / "networks" / "mnist_400.toml", "stdpnet sweep ...")
    results.record_sweep("c", other, fake_sweep({2: 0.83}), "C", root=tmp_path)
    with pytest.raises(ConfigError, match="differ in spec"):
        results.pool("ac", ["a", "c"], "cmd", "AC", root=tmp_path)
    with pytest.raises(ConfigError, match="no record 'missing'"):
        results.pool("am", ["a", "missing"], "cmd", "AM", root=tmp_path)
    assert not list(tmp_path.glob("a?.*")), "nothing is written when pooling is refused"
    results.record_sweep("b", source, fake_sweep({2: 0.83}), "B", root=tmp_path)
    kept = (tmp_path / "c.test_accuracy.json").read_text()
    with pytest.raises(ConfigError, match="'c' holds figures of another spec"):   # not written over
        results.pool("c", ["a", "b"], "cmd", "AB", root=tmp_path)
    assert (tmp_path / "c.test_accuracy.json").read_text() == kept


def test_pool_seeds_on_the_command_line_records_its_own_command_and_names_a_missing_record(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from stdpnet.cli import main

    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "stdpnet sweep ...")
    results.record_sweep("a", source, fake_sweep({0: 0.80, 1: 0.84}), "A", root=tmp_path)
    results.record_sweep("b", source, fake_sweep({2: 0.83}), "A", root=tmp_path)
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path))
    runner = CliRunner()
    refused = runner.invoke(main, ["pool-seeds", "a", "nothing", "--record", "ab"])
    assert refused.exit_code != 0 and "no record 'nothing'" in refused.output
    done = runner.invoke(main, ["pool-seeds", "a", "b", "--record", "ab"])
    assert done.exit_code == 0, done.output
    entry = json.loads((tmp_path / "ab.test_accuracy.json").read_text())
    assert entry["command"] == "stdpnet pool-seeds a b --record ab" and entry["n"] == 3


def test_pooled_figures_of_an_audio_visual_spec_keep_its_ensemble_specs(tmp_path):
    source = results.provenance(REPO / "networks" / "audiovisual.toml", "stdpnet sweep ...")
    assert source["spec_parts"], "an audio-visual spec names its ensemble specs"
    results.record_sweep("a", source, fake_sweep({0: 0.80}), "A", root=tmp_path)
    results.record_sweep("b", source, fake_sweep({1: 0.83}), "A", root=tmp_path)
    results.pool("ab", ["a", "b"], "cmd", "AB", root=tmp_path)
    entry = json.loads((tmp_path / "ab.test_accuracy.json").read_text())
    assert entry["spec_parts"] == source["spec_parts"] and entry["values"] == {"0": 0.80, "1": 0.83}


def test_results_shows_the_records_named_or_matched_on_the_split_asked_for(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from stdpnet.cli import main

    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "stdpnet sweep ...")
    results.record_sweep("fsdd_a", source, fake_sweep({0: 0.71, 1: 0.73}), "A", root=tmp_path)
    results.record_sweep("fsdd_b", source, fake_sweep({0: 0.91, 1: 0.93}), "B", root=tmp_path)
    results.record_sweep("mnist_c", source, fake_sweep({0: 0.81, 1: 0.83}), "C", root=tmp_path)
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path))
    runner = CliRunner()
    shown = runner.invoke(main, ["results", "fsdd_*", "--split", "test"])
    assert shown.exit_code == 0, shown.output
    rows = [line for line in shown.output.splitlines() if line.startswith("| ") and "%" in line]
    assert rows and all(" test " in r and r.split(" | ")[0][2:] in "AB" for r in rows)
    assert {r.split(" | ")[0][2:] for r in rows} == {"A", "B"}
    assert "72.00% ± 1.41" in shown.output                  # fsdd_a's test vote, mean of two seeds
    one = runner.invoke(main, ["results", "mnist_c"])
    assert one.exit_code == 0 and "| C |" in one.output and "| A |" not in one.output
    assert "validation" in one.output and "test" in one.output
    missing = runner.invoke(main, ["results", "caltech*"])
    assert missing.exit_code != 0 and "caltech*" in missing.output


def test_a_refit_sweep_records_its_training_time_from_the_test_tasks(tmp_path):
    """A refit sweep scores only the test split: its training figures are
    those of the test tasks."""
    rows = [{"seed": s, "task": f"t{s}", "test_accuracy": 0.8, "test_accuracy_likelihood": 0.81,
             "test_train_ms_per_example": 2.0 + s, "test_train_peak_mb": 30.0} for s in (0, 1)]
    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "stdpnet sweep ...")
    names = {p.name for p in results.record_sweep("refit", source, {"rows": rows, "failed": [], "summary": [{}]},
                                                  "r", root=tmp_path)}
    assert {"refit.test_train_ms_per_example.json", "refit.test_train_peak_mb.json"} <= names
    entry = json.loads((tmp_path / "refit.test_train_ms_per_example.json").read_text())
    assert entry["split"] == "training" and entry["values"] == {"0": 2.0, "1": 3.0}


@pytest.mark.parametrize("name", ["", "a.b", "runs/x", ".x"])
def test_a_record_name_is_one_plain_word(name):
    with pytest.raises(ConfigError, match="a record's name"):
        results.check_name(name)
    assert results.check_name("mnist_400_theta-2") == "mnist_400_theta-2"


def test_pooling_refuses_records_made_with_other_settings(tmp_path):
    spec = REPO / "networks" / "mnist_quick.toml"
    a = results.provenance(spec, "stdpnet sweep networks/mnist_quick.toml --seeds 0 --test --record a")
    b = results.provenance(spec, "stdpnet sweep networks/mnist_quick.toml --set plasticity.x_tar=0.2 "
                                 "--seeds 1 --workers 1 --test --record b")
    c = results.provenance(spec, "stdpnet sweep networks/mnist_quick.toml --seeds 2 --out o --test --record c")
    results.record_sweep("a", a, fake_sweep({0: 0.80}), "A", root=tmp_path)
    results.record_sweep("b", b, fake_sweep({1: 0.81}), "A", root=tmp_path)
    results.record_sweep("c", c, fake_sweep({2: 0.82}), "A", root=tmp_path)
    with pytest.raises(ConfigError, match=r"other settings \(--set plasticity.x_tar=0.2; the spec as it is\)"):
        results.pool("ab", ["a", "b"], "cmd", "AB", root=tmp_path)
    assert results.pool("ac", ["a", "c"], "cmd", "AC", root=tmp_path)   # seeds, folders, workers may differ


def test_check_and_write_docs_refuse_a_registry_that_is_not_the_checkouts(tmp_path, monkeypatch):
    """Outside the checkout ./results is empty: --check must not pass having
    checked nothing, and --write-docs must not turn docs/results.md into an
    empty registry's page (nor any registry's but the one beside it). A file
    that is not an entry is an error naming it."""
    from click.testing import CliRunner

    from stdpnet.cli import main

    doc = results.doc_path().read_bytes()
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    refused = runner.invoke(main, ["results", "--check"])
    assert refused.exit_code != 0 and "no records here" in refused.output, refused.output
    refused = runner.invoke(main, ["results", "--write-docs"])
    assert refused.exit_code != 0 and "is generated from" in refused.output, refused.output
    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "stdpnet sweep ...")
    results.record_sweep("a", source, fake_sweep({0: 0.80}), "A", root=tmp_path / "results")
    refused = runner.invoke(main, ["results", "--write-docs"])
    assert refused.exit_code != 0 and "is generated from" in refused.output, refused.output
    assert results.doc_path().read_bytes() == doc
    (tmp_path / "results" / "odd.json").write_text("7")
    refused = runner.invoke(main, ["results"])
    assert refused.exit_code == 1 and "odd.json: not a results entry" in refused.output, refused.output
    entry = json.loads(next((tmp_path / "results").glob("a.*.json")).read_text())
    for change, said in (({"values": {"0": "abc"}}, "values of the wrong type"),
                         ({"values": {}}, "values of the wrong type"),
                         ({"mean": "x", "name": 5}, "name, mean of the wrong type")):
        (tmp_path / "results" / "odd.json").write_text(json.dumps(entry | change))
        refused = runner.invoke(main, ["results"])
        assert refused.exit_code == 1 and f"odd.json: {said}" in refused.output, refused.output


def test_a_registry_that_is_a_file_is_named_not_read_as_empty(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from stdpnet.cli import main

    (tmp_path / "registry.json").write_text("{}")
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "registry.json"))
    refused = CliRunner().invoke(main, ["results"])
    assert refused.exit_code == 1, refused.output
    assert "registry.json: STDPNET_RESULTS names a file; it must be the registry's folder" in refused.output


def test_a_benchmarks_record_names_the_shipped_spec_of_its_runs_or_says_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    assert results.shipped_spec("audiovisual") == Path("networks/audiovisual.toml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"spec networks/audiovisual.toml, which is not there"):
        results.shipped_spec("audiovisual")



def test_the_machine_line_says_when_a_measurement_was_pinned_to_fewer_cores(monkeypatch):
    import os
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert "4 cores (1 usable: pinned)," in results.machine()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert "4 cores," in results.machine() and "usable" not in results.machine()


def test_a_spec_is_recorded_under_one_name_however_its_path_was_typed(tmp_path, monkeypatch):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "a.toml").write_text("seed = 0\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.toml"
    outside.write_text("seed = 1\n")
    monkeypatch.chdir(tmp_path)
    names = {results.provenance(p, "stdpnet sweep")["spec"]
             for p in ("nets/a.toml", "./nets/../nets/a.toml", tmp_path / "nets" / "a.toml")}
    assert names == {"nets/a.toml"}
    names = {results.provenance(p, "stdpnet sweep")["spec"] for p in (outside, f"../{outside.name}")}
    assert names == {outside.as_posix()}
    outside.unlink()


@pytest.mark.parametrize("change, said", [
    ({"spec": None}, r"spec of the wrong type"),
    ({"spec_parts": ["a.toml"]}, r"spec_parts of the wrong type"),
    ({"commit": 5}, r"commit of the wrong type"),
    ({"title": None, "split": 3}, r"title, split of the wrong type"),
    ({"n": 7, "mean": 0.1}, r"n 7 and mean 0.1 do not match its 2 values"),
])
def test_a_results_file_changed_by_hand_is_named_with_what_is_wrong(tmp_path, change, said):
    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "stdpnet sweep ...")
    path = results.write(results.figure("a.x", "A", "accuracy", "test", "%", {0: 0.8, 1: 0.9}, source),
                         tmp_path)
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    with pytest.raises(ConfigError, match=rf"a\.x\.json: {said}"):
        results.load_all(tmp_path)


def test_recording_beside_a_damaged_file_names_it_before_writing_anything(tmp_path):
    source = results.provenance(REPO / "networks" / "mnist_quick.toml", "stdpnet sweep ...")
    (tmp_path / "a.old.json").write_text('{"name": "a.ol')
    with pytest.raises(ConfigError, match=r"a\.old\.json: not a readable results file"):
        results.record_sweep("a", source, fake_sweep({0: 0.80}), "A", root=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["a.old.json"]
