"""The linear baselines in benchmarks/ that the speaker figures are measured
against: they choose their regularisation on validation and read the test
split only when asked."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from stdpnet.data import audio
from stdpnet.spec import spec_from_dict

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def benchmark(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def class_counts(rng, n, n_neurons=40, signal=6.0):
    """Spike counts of ``n`` examples: the 4 neurons of an example's digit
    fire ``signal`` more on average than the rest."""
    labels = np.arange(n) % 10
    counts = rng.poisson(1.0, size=(n, n_neurons)).astype(float)
    for i, y in enumerate(labels):
        counts[i, 4 * y:4 * y + 4] += rng.poisson(signal, size=4)
    return counts, labels


def test_linear_on_counts_reads_class_structure_and_only_the_validation_counts():
    scr = benchmark("spike_count_readout")
    rng = np.random.default_rng(0)
    train, train_y = class_counts(rng, 300)
    val, val_y = class_counts(rng, 200)
    readout = {"assign_counts": train, "assign_labels": train_y,
               "validation_counts": val, "validation_labels": val_y}
    assert scr.linear_on_counts(readout) > 0.9
    noise = {**readout, "assign_counts": rng.poisson(1.0, size=train.shape).astype(float)}
    assert scr.linear_on_counts(noise) < 0.3           # no class structure: near chance (0.1)
    readout["test_counts"] = val                        # present but never read: labelled wrongly,
    readout["test_labels"] = (val_y + 1) % 10           # they would score about 0
    assert scr.linear_on_counts(readout) > 0.9


def test_the_multinomial_readout_reads_how_spikes_are_spread_not_how_many_there_are():
    """Class 1's examples fire four times as many spikes as class 0's. An
    example of class 1 at a quarter of its class's total is pulled to class 0 by
    the Poisson readout's total-rate term; the same rates given the total
    read its spread and name class 1. Only validation counts are read."""
    lr = benchmark("likelihood_readout")
    rng = np.random.default_rng(0)
    pattern = np.array([[3.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 3.0]])    # where each class's spikes go
    labels = np.arange(200) % 2
    train = rng.poisson(pattern[labels] * np.where(labels == 1, 16.0, 4.0)[:, None])
    val_y = np.ones(100, int)
    val = rng.poisson(pattern[val_y] * 4.0)                          # class 1 at class 0's total
    readout = {"assign_counts": train, "assign_labels": labels,
               "validation_counts": val, "validation_labels": val_y,
               "test_counts": val, "test_labels": 1 - val_y}           # never read: would score 0
    figures = lr.readouts(readout, 2)
    assert figures["multinomial"] > 0.9 and figures["likelihood"] < 0.5
    assert 3.5 < figures["class_total_ratio"] < 4.5
    scaled = lr.multinomial_log_likelihoods(3 * val, lr.vote.class_rates(train, labels, 2))
    np.testing.assert_array_equal(scaled.argmax(axis=1),               # the total does not decide
                                  lr.multinomial_log_likelihoods(val, lr.vote.class_rates(train, labels, 2))
                                  .argmax(axis=1))


def test_class_totals_are_split_into_how_many_neurons_fire_and_which_class_labels_them():
    """Class 1 drives three neurons of four, class 0 only the first, each
    neuron at the same rate: class 1's total is three times class 0's because
    three times as many neurons fire, and class 1 labels the three."""
    lr = benchmark("likelihood_readout")
    rng = np.random.default_rng(1)
    driven = np.array([[1, 0, 0, 0], [0, 1, 1, 1]], dtype=float)
    labels = np.arange(400) % 2
    counts = rng.poisson(6.0 * driven[labels])
    readout = {"assign_counts": counts, "assign_labels": labels,
               "validation_counts": counts[:100], "validation_labels": labels[:100]}
    figures = lr.readouts(readout, 2)
    assert 2.8 < figures["class_total_ratio"] < 3.2 and 2.8 < figures["class_active_ratio"] < 3.2
    assert 1.9 < figures["active_per_example"] < 2.1                  # 1 or 3 neurons, in turn
    assert figures["most_labelled_class"] == 1 and figures["largest_label_share"] == 0.75
    readout["assign_counts"] = counts * np.array([1, 1, 1, 0])          # the last neuron silent: no label
    assert lr.readouts(readout, 2)["largest_label_share"] == 0.5


def test_each_field_is_matched_to_the_class_whose_mean_input_it_is_nearest_to():
    lr = benchmark("likelihood_readout")
    inputs = np.array([[9.0, 1.0, 0.0], [7.0, 3.0, 0.0], [0.0, 2.0, 8.0], [0.0, 6.0, 4.0]])
    labels = np.array([0, 0, 1, 1])                       # class means (8, 2, 0) and (0, 4, 6)
    fields = np.array([[80.0, 20.0, 1.0], [1.0, 35.0, 50.0], [6.0, 3.0, 1.0]]).T    # (inputs, neurons)
    np.testing.assert_array_equal(lr.nearest_class_means(fields, inputs, labels, 2), [0, 1, 0])
    np.testing.assert_array_equal(lr.nearest_class_means(fields, inputs, 1 - labels, 2), [1, 0, 1])


def test_class_input_totals_are_each_class_mean_over_the_mean_of_all():
    lr = benchmark("likelihood_readout")
    inputs = np.array([[9.0, 1.0, 0.0], [7.0, 3.0, 0.0], [0.0, 2.0, 8.0], [10.0, 6.0, 4.0]])
    labels = np.array([0, 0, 1, 1])                       # totals 10, 10 and 10, 20: mean 12.5
    np.testing.assert_allclose(lr.class_input_totals(inputs, labels, 2), [0.8, 1.2])
    np.testing.assert_allclose(lr.class_input_totals(inputs, 1 - labels, 2), [1.2, 0.8])


def test_matched_drive_is_highest_for_a_class_whose_input_stays_on_the_same_few_pixels():
    """Every example carries a total of 200. Class 0 puts it on the same 4
    pixels, class 1 on 40 fixed pixels, class 2 on 4 pixels that move: a
    field on class 0's mean takes 50 per example, class 1's 5, class 2's
    little more than a uniform field's 200 / 64. Doubling class 1's inputs
    doubles its drive."""
    md = benchmark("matched_drive")
    rng = np.random.default_rng(0)
    inputs = np.zeros((300, 64))
    labels = np.arange(300) % 3
    for i, c in enumerate(labels):
        pixels = np.arange(4) if c == 0 else np.arange(10, 50) if c == 1 else rng.choice(64, 4, replace=False)
        inputs[i, pixels] = 200.0 / len(pixels)
    drive = md.matched_drive(inputs, labels, 3)                 # over the classes' mean
    assert drive.mean() == pytest.approx(1.0) and drive[0] / drive[1] == pytest.approx(10.0)
    assert 200.0 / 64 < drive[2] / drive[1] * 5.0 < 4.0
    doubled = inputs * np.where(labels == 1, 2.0, 1.0)[:, None]
    ratio = md.matched_drive(doubled, labels, 3) / md.matched_drive(inputs, labels, 3)
    assert ratio[1] / ratio[0] == pytest.approx(2.0) and ratio[2] / ratio[0] == pytest.approx(1.0)


def test_drive_figures_name_the_most_driven_and_the_most_labelled_class():
    md = benchmark("matched_drive")
    drive = np.array([1.5, 0.5, 1.0])
    agree = md.drive_figures(drive, np.array([0.5, 0.2, 0.3]))
    assert agree == {"drive_share_correlation": pytest.approx(1.0), "most_driven_class": 0,
                     "most_driven_share": 0.5, "most_labelled_class": 0, "most_labelled_drive": 1.5,
                     "most_labelled_drive_rank": 1}
    apart = md.drive_figures(drive, np.array([0.1, 0.6, 0.3]))
    assert apart["drive_share_correlation"] == pytest.approx(-1.0)
    assert (apart["most_driven_class"], apart["most_driven_share"]) == (0, 0.1)
    assert apart["most_labelled_class"] == 1
    assert (apart["most_labelled_drive"], apart["most_labelled_drive_rank"]) == (0.5, 3)


@pytest.fixture
def three_voices(tmp_path):
    """Three speakers x 10 digits x 3 repetitions, each digit its own tone."""
    root = tmp_path / "recordings"
    root.mkdir()
    t = np.arange(1600) / 8000
    for s, speaker in enumerate(("ann", "bob", "cat")):
        for digit in range(10):
            for rep in range(3):
                wave = 0.4 * np.sin(2 * np.pi * (250 + 150 * digit + 15 * s + 5 * rep) * t)
                audio.write_wav(root / f"{digit}_{speaker}_{rep}.wav", wave.astype(np.float32))
    return root


def test_speaker_baseline_chooses_c_on_validation_and_reads_test_only_when_asked(three_voices, monkeypatch):
    sb = benchmark("speaker_baseline")
    spec = spec_from_dict({"name": "tiny", "data": {"dataset": "fsdd", "root": str(three_voices),
                                                    "audio_split": "speaker", "audio_bands": 8,
                                                    "audio_frames": 8}})
    spec, grid = sb.speaker_folds(spec)
    assert grid[sb.FOLD_KEY] == [["ann"], ["bob"], ["cat"]]

    scored = []                        # (C, examples scored, accuracy) of every score() call
    real = sb.LogisticRegression

    class Recording(real):
        def score(self, x, y):
            accuracy = super().score(x, y)
            scored.append((self.C, len(y), accuracy))
            return accuracy

    monkeypatch.setattr(sb, "LogisticRegression", Recording)
    val_only = sb.fold_scores(spec, "cat", test=False)
    assert "test" not in val_only and len(scored) == len(sb.C_GRID)   # one validation score per C
    assert val_only["validation"] == max(a for _, _, a in scored) > 0.5   # the best C; tones separate digits
    assert val_only["C"] == next(c for c, _, a in scored if a == val_only["validation"])
    scored.clear()
    with_test = sb.fold_scores(spec, "cat", test=True)
    assert len(scored) == len(sb.C_GRID) + 1 and scored[-1][0] == with_test["C"]
    assert with_test["C"] == val_only["C"] and with_test["validation"] == val_only["validation"]
    assert 0.0 <= with_test["test"] <= 1.0


def test_speaker_baseline_set_changes_one_setting_and_refuses_several_values(three_voices):
    sb = benchmark("speaker_baseline")
    spec = spec_from_dict({"name": "tiny", "data": {"dataset": "fsdd", "root": str(three_voices),
                                                    "audio_bands": 8, "audio_frames": 8}})
    changed = sb.with_settings(spec, ["data.audio_feature=logmel", "data.audio_frames=6"])
    assert (changed.data.audio_feature, changed.data.audio_frames) == ("logmel", 6)
    assert (spec.data.audio_feature, spec.data.audio_frames) == ("mfcc", 8), "the given spec is left as it was"
    assert sb.with_settings(spec, []) is spec
    with pytest.raises(sb.ConfigError, match="data.audio_feature: give one value"):
        sb.with_settings(spec, ["data.audio_feature=logmel,mfcc"])
    with pytest.raises(sb.ConfigError, match="data.nope: not a key"):
        sb.with_settings(spec, ["data.nope=1"])


@pytest.mark.filterwarnings("ignore:self.within_class_std_dev_")   # pure tones: no spread
def test_speaker_baseline_centroid_scores_the_class_means_with_nothing_to_choose(three_voices):
    sb = benchmark("speaker_baseline")
    spec = spec_from_dict({"name": "tiny", "data": {"dataset": "fsdd", "root": str(three_voices),
                                                    "audio_split": "speaker", "audio_bands": 8,
                                                    "audio_frames": 8}})
    spec, _ = sb.speaker_folds(spec)
    [(setting, classifier)] = sb.classifiers("centroid")
    assert setting is None and isinstance(classifier, sb.NearestCentroid)
    scores = sb.fold_scores(spec, "cat", test=True, model="centroid")
    assert scores["C"] is None and scores["validation"] > 0.5     # each digit is its own tone
    assert 0.0 <= scores["test"] <= 1.0
    assert len(sb.classifiers("logistic")) == len(sb.C_GRID)


def test_learning_curve_from_a_record_reads_every_seed_and_epoch_and_draws_them(tmp_path, monkeypatch):
    lc = benchmark("learning_curve")
    from stdpnet import results

    source = {"spec": "networks/x.toml", "spec_sha256": "0", "command": "c", "commit": "0", "machine": "m",
              "date": "d"}
    for epoch, values in ((1, {"0": 0.90, "2": 0.91}), (2, {"0": 0.92, "2": 0.89}), (10, {"0": 0.93})):
        results.write(results.figure(f"pooled.validation_accuracy_epoch{epoch}", "t", "m", "validation", "%",
                                     values, source), tmp_path)
    results.write(results.figure("pooled.validation_accuracy_likelihood_epoch1", "t", "m", "validation", "%",
                                 {"0": 0.5}, source), tmp_path)
    results.write(results.figure("pooled_more.validation_accuracy_epoch1", "t", "m", "validation", "%",
                                 {"5": 0.1}, source), tmp_path)
    assert lc.recorded_curves("pooled", root=tmp_path) == {0: {1: 0.90, 2: 0.92, 10: 0.93}, 2: {1: 0.91, 2: 0.89}}
    assert lc.recorded_curves("pooled", "likelihood", root=tmp_path) == {0: {1: 0.5}}
    with pytest.raises(SystemExit, match="no entries absent.validation_accuracy_epoch"):
        lc.recorded_curves("absent", root=tmp_path)
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path))
    plot = tmp_path / "curve.png"
    monkeypatch.setattr("sys.argv", ["learning_curve.py", "--from-record", "pooled", "--plot", str(plot)])
    lc.main()
    assert plot.stat().st_size > 0
    monkeypatch.setattr("sys.argv", ["learning_curve.py", "--from-record", "pooled", "--record", "again"])
    with pytest.raises(SystemExit):
        lc.main()
    assert not list(tmp_path.glob("again.*"))


def test_the_drive_picture_puts_each_class_at_its_mean_drive_and_share_named(tmp_path, monkeypatch):
    from stdpnet import plots
    drawn = {}
    monkeypatch.setattr(plots, "_save", lambda fig, path: drawn.setdefault("fig", fig))
    panels = [{"title": "a,b", "drive": [[1.5, 0.5], [1.5, 0.5]], "share": [[0.6, 0.4], [0.8, 0.2]]},
              {"title": "one seed", "drive": [[0.9, 1.1]], "share": [[0.3, 0.7]]}]
    plots.plot_class_drive(panels, tmp_path / "drive.png", ("Trouser", "Sneaker"))
    first, second = drawn["fig"].axes
    assert [t.get_text() for t in first.texts] == ["Trouser", "Sneaker"]
    assert [t.xy for t in first.texts] == [(1.5, pytest.approx(70.0)), (0.5, pytest.approx(30.0))]
    assert [t.xy for t in second.texts] == [(0.9, pytest.approx(30.0)), (1.1, pytest.approx(70.0))]
    assert first.get_title() == "a, b"


def test_the_scan_benchmark_times_the_computation_run_lif_does():
    """lif_scan_speed's baseline (the neuron stepped per neuron step) gives the
    spike counts of ``run_lif``, with neuron steps per input step too."""
    import torch
    from stdpnet.deep.seq import models
    stepped = benchmark("lif_scan_speed").stepped
    layer = models._lif_layers([4], {"threshold": 1.0, "leak": 0.9, "gamma": 0.3,
                                     "train_threshold": True, "train_leak": True})[0]
    current = 2 * torch.rand(2, 4, 7, generator=torch.Generator().manual_seed(0))
    for substeps in (1, 3):
        scanned = models.run_lif(layer, current, substeps)
        assert scanned.sum() > 0
        torch.testing.assert_close(stepped(layer, current, substeps), scanned)


def test_pruning_a_trained_run_after_the_fact_scores_the_pruned_copy(tmp_path, monkeypatch, capsys):
    """prune_after_training prunes and quantises a copy of a finished run and
    scores it on validation; the run itself is left as it was."""
    import sys
    from stdpnet import runs
    from stdpnet.experiments import ensemble as training
    from conftest import tiny_spec
    spec = tiny_spec(data__validation_examples=20)
    run = runs.create(tmp_path / "dense", spec)
    training.train(spec, run, quiet=True)
    weights = runs.load_npz(run / runs.WEIGHTS)["w"].copy()
    monkeypatch.setattr(sys, "argv", ["prune_after_training.py", str(run), "--sparsity", "0.5", "--levels", "4"])
    benchmark("prune_after_training").main()
    cells = [c.strip() for c in capsys.readouterr().out.strip().splitlines()[-1].strip("|").split("|")]
    assert cells[:2] == ["0.5", "4 uniform"] and float(cells[4].rstrip("x")) > 1.5, cells
    np.testing.assert_array_equal(runs.load_npz(run / runs.WEIGHTS)["w"], weights)
