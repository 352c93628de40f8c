"""Training end to end: resume equals uninterrupted, learning beats chance,
and the command line writes a complete run folder."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from stdpnet import runs
from stdpnet.experiments import ensemble as training, kept
from stdpnet.cli import main
from stdpnet.spec import dump_spec
from stdpnet.data.load import load_dataset

from conftest import REPO, tiny_spec


def test_resume_ends_with_the_same_weights(tmp_path):
    spec = tiny_spec()
    spec.data.train_examples = spec.data.assign_examples = 35  # 4 chunks of 10 slots, the last one padded
    straight = runs.create(tmp_path / "straight", spec)
    training.train(spec, straight, quiet=True)

    broken = runs.create(tmp_path / "broken", spec)
    _, stopped = training.train(spec, broken, quiet=True, stop=lambda progress: progress.position >= 20)
    partial = runs.load_checkpoint(broken).progress
    assert 0 < partial.position < 35 and partial.position == stopped.position
    assert not (broken / runs.WEIGHTS).exists()
    # a sweep's bar reads how far the run is, without loading its arrays
    from stdpnet.experiments.progress import task_progress
    assert runs.checkpoint_progress(broken / runs.CHECKPOINT) == (partial.position, 35)
    assert task_progress([broken, straight, tmp_path / "none"]) == {
        "training": (1, partial.position, 35)}
    training.train(spec, broken, quiet=True, resume=True)

    a = runs.load_npz(straight / runs.WEIGHTS)
    b = runs.load_npz(broken / runs.WEIGHTS)
    np.testing.assert_array_equal(a["w"], b["w"])
    np.testing.assert_array_equal(a["theta"], b["theta"])
    assert runs.load_checkpoint(broken).progress.position == 35


def test_a_single_precision_run_checkpoints_resumes_and_scores(tmp_path):
    """float32 state through checkpoints, a quiet example shown again (its
    intensity a float32 from the binary) and evaluation."""
    spec = tiny_spec(schedule__precision="single", input__intensity=0.5)
    run = runs.create(tmp_path / "run", spec)
    _, stopped = training.train(spec, run, quiet=True, stop=lambda progress: progress.position >= 20)
    _, progress = training.train(spec, run, quiet=True, resume=True)
    assert progress.presentations > progress.position == 40, "some examples were shown again"
    assert runs.load_npz(run / runs.WEIGHTS)["w"].dtype == np.float32
    assert 0.0 <= training.evaluate(run, quiet=True, jobs=1, split="test")["accuracy"] <= 1.0


def test_learning_beats_chance_on_mnist(tmp_path, mnist_available):
    """N=100, 2,000 training digits, labels from the first 1,000 of them, 1,000 test digits.
    Measured here with seeds 0-3: 0.608, 0.567, 0.565, 0.541 (mean 0.57, SD
    0.03; with only 600 digits the seeds spread from 0.23 to 0.47). The floor
    0.45 is 4.5x chance and four SDs below the mean."""
    spec = tiny_spec()
    spec.name = "learn"
    spec.seed = 0
    spec.data.dataset = "mnist"
    spec.data.train_examples = 2000
    spec.data.assign_examples = 1000
    spec.data.test_examples = 1000
    spec.excitatory.n_neurons = 100
    spec.connections.weight_sum_per_input = 78.0 / 784
    spec.schedule.presentation_ms = 350.0
    spec.schedule.checkpoint_every = 500
    run = runs.create(tmp_path / "learn", spec.validate())
    data = load_dataset(spec.data)
    training.train(spec, run, quiet=True, data=data)
    result = training.evaluate(run, quiet=True, data=data, split="test")
    print("accuracy", result["accuracy"])
    assert result["accuracy"] >= 0.45
    assert sum(result["neurons_per_class"]) >= 80, "most neurons learned a class"


def test_command_line_train_evaluate_plot(tmp_path):
    spec = tiny_spec(data__validation_examples=20)
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(dump_spec(spec))
    run = tmp_path / "run"
    cli = CliRunner()
    result = cli.invoke(main, ["train", str(spec_path), "--out", str(run), "--quiet"])
    assert result.exit_code == 0, result.output
    again = cli.invoke(main, ["train", str(spec_path), "--out", str(run), "--quiet"])
    assert again.exit_code != 0 and "already exists" in again.output
    result = cli.invoke(main, ["evaluate", str(run), "--quiet"])
    assert result.exit_code == 0, result.output
    said = result.output.splitlines()     # (after the compile's lines where this worker's cache lacks it)
    assert [line for line in said if not line.startswith(("compiling ", "compiled "))][0].startswith(
        "validation accuracy"), result.output
    metrics = runs.load_json(run / runs.METRICS)
    assert set(metrics["evaluate"]) == {"validation"}, "the test split is scored only when named"
    assert 0.0 <= metrics["evaluate"]["validation"]["accuracy"] <= 1.0
    assert metrics["evaluate"]["validation"]["split"] == "validation"
    assert metrics["train"]["examples"] == spec.data.train_examples
    peak = metrics["train"]["peak_mb"]        # the binary runs as a child process
    assert 1 < peak["binaries"] < 2000 and 50 < peak["process"] < 8000
    result = cli.invoke(main, ["plot", str(run), "--examples", "2"])
    assert result.exit_code == 0, result.output
    for name in ("receptive_fields.png", "theta.png", "confusion.png", "raster.png", "labelling.png"):
        assert (run / name).stat().st_size > 1000
    readout = runs.load_npz(run / runs.READOUT)   # the labelling plot's spikes: each class's mean total
    labels, counts = readout["assign_labels"], readout["assign_counts"]
    totals = [counts[labels == c].sum(axis=1).mean() for c in range(max(labels) + 1)]
    np.testing.assert_allclose(metrics["evaluate"]["validation"]["spikes_per_class"], totals, atol=1e-3)
    result = cli.invoke(main, ["curve", str(run), "--quiet"])   # one epoch: no curve to draw
    assert result.exit_code != 0 and "no epoch states" in result.output and str(run) in result.output


def test_an_image_run_needs_no_torch(tmp_path):
    """Torch is an optional extra: training, evaluating and plotting an image
    run work where it is not installed (and so never wait for its import);
    a spoken-digit spec there says what to install."""
    import subprocess
    import sys
    import textwrap
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(dump_spec(tiny_spec()))
    script = textwrap.dedent(f"""
        import sys
        for name in ("torch", "torchaudio", "torchvision"):
            sys.modules[name] = None      # importing it now raises ImportError
        from stdpnet.cli import main
        run = {str(tmp_path / "run")!r}
        for args in (["train", {str(spec_path)!r}, "--out", run], ["evaluate", run, "--split", "test"],
                     ["plot", run]):
            main(args + (["--quiet"] if args[0] != "plot" else []), standalone_mode=False)
        try:
            main(["train", {str(REPO / "networks" / "fsdd_audio.toml")!r}, "--out", run + "_audio"],
                 standalone_mode=False)
        except Exception as exc:
            print(exc)
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]
    assert 'torchaudio, which is not installed: pip install -e ".[torch]"' in done.stdout + done.stderr


def test_train_set_changes_one_setting_of_the_spec_and_keeps_it_in_the_run(tmp_path):
    """``stdpnet train SPEC --set KEY=VALUE``: the run trains with the changed
    settings and its spec.toml says so; a grid of values, an unknown key, a
    wrong type or --set with --resume is refused, naming the key."""
    from stdpnet.spec import load_spec
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(dump_spec(tiny_spec()))
    run, cli = tmp_path / "run", CliRunner()
    result = cli.invoke(main, ["train", str(spec_path), "--out", str(run), "--quiet",
                               "--set", "data.train_examples=20", "--set", "data.assign_examples=20",
                               "--set", "plasticity.x_tar=0.3"])
    assert result.exit_code == 0, result.output
    kept = load_spec(run / runs.SPEC)
    assert (kept.data.train_examples, kept.data.assign_examples, kept.plasticity.x_tar) == (20, 20, 0.3)
    assert runs.load_json(run / runs.METRICS)["train"]["examples"] == 20
    for sets, said in ((["plasticity.x_tar=0.1,0.2"], "--set plasticity.x_tar: one value"),
                       (["plasticity.xtar=0.1"], "--set plasticity.xtar: not a key"),
                       (["plasticity.x_tar=high"], "plasticity.x_tar: must be float"),
                       (["compression.levels=4"], "--set compression.levels: changes nothing")):
        result = cli.invoke(main, ["train", str(spec_path), "--out", str(tmp_path / "other"), "--quiet",
                                   *[a for s in sets for a in ("--set", s)]])
        assert result.exit_code != 0 and said in result.output, result.output
        assert not (tmp_path / "other").exists()
    result = cli.invoke(main, ["train", "--resume", str(run), "--set", "data.train_examples=40"])
    assert result.exit_code != 0 and "--resume" in result.output
    result = cli.invoke(main, ["run", str(spec_path), "--out", str(tmp_path / "all"),
                               "--set", "data.train_examples=20", "--set", "data.assign_examples=20",
                               "--set", "data.validation_examples=20"])
    assert result.exit_code == 0, result.output
    assert load_spec(tmp_path / "all" / runs.SPEC).data.train_examples == 20
    assert set(runs.load_json(tmp_path / "all" / runs.METRICS)["evaluate"]) == {"validation", "test"}


def test_scoring_the_other_split_reuses_the_labelling_counts_of_the_same_network(tmp_path):
    """evaluate --split validation, then test: the second labels nothing
    anew (same counts, no labelling time); a changed network labels again."""
    spec = tiny_spec(data__validation_examples=20)
    run = runs.create(tmp_path / "run", spec)
    training.train(spec, run, quiet=True)
    first = training.evaluate(run, quiet=True, split="validation", jobs=1)
    saved = runs.load_npz(run / runs.READOUT)["assign_counts"]
    second = training.evaluate(run, quiet=True, split="test", jobs=1)
    assert second["assign_seconds"] < 0.5 * max(first["assign_seconds"], 0.02)
    np.testing.assert_array_equal(runs.load_npz(run / runs.READOUT)["assign_counts"], saved)
    ckpt = runs.load_checkpoint(run)                      # another network: other weights
    ckpt.state["input_exc.w"] = ckpt.state["input_exc.w"][::-1].copy()
    runs.save_checkpoint(run, ckpt)
    runs.save_npz(run / runs.WEIGHTS, w=ckpt.state["input_exc.w"].reshape(64, -1),
                  theta=ckpt.state["excitatory.theta"])
    training.evaluate(run, quiet=True, split="test", jobs=1)
    assert not np.array_equal(runs.load_npz(run / runs.READOUT)["assign_counts"], saved)
    metrics = runs.load_json(run / runs.METRICS)["evaluate"]
    assert set(metrics) == {"validation", "test"} and metrics["validation"]["examples"] == 20


class Blocks:
    """Evaluations shown 10 examples a block; each block recorded in
    ``shown`` as (first example, examples); Ctrl-C at block ``stop_at``."""

    def __init__(self, monkeypatch, spec):
        from stdpnet.engine import present as engine

        monkeypatch.setattr(kept, "BLOCK_WORK", 10 * spec.excitatory.n_neurons)
        self.real, self.shown, self.stop_at = engine.present_split, [], None
        monkeypatch.setattr(engine, "present_split", self.present)

    def present(self, sim, images, *args, first_example=0, **kwargs):
        self.shown.append((first_example, len(images)))
        if len(self.shown) == self.stop_at:
            raise KeyboardInterrupt
        return self.real(sim, images, *args, first_example=first_example, **kwargs)


def test_an_evaluation_stopped_while_labelling_or_scoring_keeps_what_it_measured(tmp_path, monkeypatch):
    """Ctrl-C in the third block of labelled examples, then, run again, in
    the second block of scored ones; each time the run again shows only the
    blocks not yet shown, and ends with the counts and figures of an
    evaluation that was never stopped."""
    import shutil
    from stdpnet.experiments.progress import task_progress     # what a sweep's bar shows

    spec = tiny_spec(data__validation_examples=20)
    run = runs.create(tmp_path / "run", spec)
    training.train(spec, run, quiet=True)
    shutil.copytree(run, tmp_path / "straight")
    straight = training.evaluate(tmp_path / "straight", quiet=True, split="validation", jobs=1)
    blocks = Blocks(monkeypatch, spec)
    blocks.stop_at = 3                   # 40 labelled examples: the third block of 10
    with pytest.raises(KeyboardInterrupt):
        training.evaluate(run, quiet=True, split="validation", jobs=1)
    assert task_progress([run]) == {"labelling": (1, 20, 40)}
    blocks.shown.clear()
    blocks.stop_at = 4                   # labelling's last two blocks, then 20 scored: the second
    with pytest.raises(KeyboardInterrupt):
        training.evaluate(run, quiet=True, split="validation", jobs=1)
    assert blocks.shown[:2] == [(20, 10), (30, 10)] and blocks.shown[2:] == [(0, 10), (10, 10)]
    assert "evaluate" not in runs.load_json(run / runs.METRICS)
    assert not (run / training.LABELLING_PARTIAL).exists()
    assert task_progress([run]) == {"scoring": (1, 10, 20)}
    blocks.shown.clear()
    blocks.stop_at = None
    result = training.evaluate(run, quiet=True, split="validation", jobs=1)
    assert blocks.shown == [(10, 10)]                   # not labelled again, the first block kept
    assert task_progress([run]) == {}
    for key in ("accuracy", "accuracy_likelihood", "confusion", "neurons_per_class", "compression"):
        assert result[key] == straight[key], key
    for key in ("assign_counts", "validation_counts"):
        np.testing.assert_array_equal(runs.load_npz(run / runs.READOUT)[key],
                                      runs.load_npz(tmp_path / "straight" / runs.READOUT)[key])


def test_running_accuracy_from_a_trailing_window_equals_the_full_array():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    counts = rng.poisson(1.0, (300, 12)) + 4 * (np.arange(12)[None, :] % 3 == labels[:, None])
    full = training.running_accuracy(counts, labels, 300, 50, 100, 3)
    tail = training.running_accuracy(counts[-150:], labels, 300, 50, 100, 3)
    assert full == tail and full > 0.8
    assert training.running_accuracy(counts[-60:], labels, 300, 50, 100, 3) is None, \
        "10 examples label nothing"


def test_a_run_of_several_epochs_keeps_each_epochs_state_for_the_learning_curve(tmp_path, monkeypatch):
    """Two epochs: a state after each; the learning curve scores both on
    validation, its last point is the validation figure of the finished
    run, a second call scores nothing again, and the test split is refused."""
    import pytest
    spec = tiny_spec(data__validation_examples=20, data__epochs=2)
    run = runs.create(tmp_path / "run", spec)
    training.train(spec, run, quiet=True)
    saved = training.snapshots(run)
    assert [epoch for epoch, _, _ in saved] == [1, 2]
    assert 40 <= saved[0][1] < 80 and saved[1][1] == 80
    last = runs.load_npz(saved[1][2])
    np.testing.assert_array_equal(last["state.input_exc.w"].reshape(64, -1),
                                  runs.load_npz(run / runs.WEIGHTS)["w"])
    assert not np.array_equal(runs.load_npz(saved[0][2])["state.input_exc.w"], last["state.input_exc.w"])
    assert runs.load_checkpoint(run).counts.shape[0] == 80, "a window of chunk + 2,000 covers all 80"
    import shutil
    shutil.copytree(run, tmp_path / "straight")
    curve = training.learning_curve(tmp_path / "straight", jobs=1, quiet=True)
    assert [p["epoch"] for p in curve] == [1, 2]
    # Ctrl-C while epoch 1's validation digits are scored (40 labelled, 20 scored; 10 a block):
    # run again, the curve shows only its last block of epoch 1, then all of epoch 2
    blocks = Blocks(monkeypatch, spec)
    blocks.stop_at = 6
    with pytest.raises(KeyboardInterrupt):
        training.learning_curve(run, jobs=1, quiet=True)
    blocks.shown.clear()
    blocks.stop_at = None
    assert training.learning_curve(run, jobs=1, quiet=True) == curve
    assert blocks.shown == [(10, 10)] + [(lo, 10) for lo in (0, 10, 20, 30, 0, 10)]
    assert not list((run / training.SNAPSHOTS).glob("*.partial.npz"))
    assert (run / "learning_curve.png").exists()
    final = training.evaluate(run, quiet=True, split="validation", jobs=1)
    assert curve[-1]["accuracy"] == final["accuracy"]
    assert curve[-1]["accuracy_likelihood"] == final["accuracy_likelihood"]
    data = load_dataset(spec.data, spec.seed)      # the last state scored as an earlier epoch's is
    state = {k[6:]: v for k, v in last.items() if k.startswith("state.")}
    assign_idx = training.training_order(spec, data)[:spec.data.counts(len(data.train_x), len(data.test_x))[1]]
    scored_afresh = training._score_state(training.Simulator(spec, data.n_input, modes=(training.TEST,)), spec,
                                          data, state, assign_idx, *data.split("validation"), 1, True,
                                          tmp_path / "afresh")
    assert scored_afresh == {k: final[k] for k in ("accuracy", "accuracy_likelihood")}, \
        "an epoch's state is read by both readouts as evaluate reads them"
    monkeypatch.setattr(training, "_score_state", lambda *a: pytest.fail("scored again"))
    assert training.learning_curve(run, jobs=1, quiet=True) == curve
    # scored afresh, the last epoch takes the finished run's validation figure: one scoring pass
    metrics = runs.load_json(run / runs.METRICS)
    del metrics["learning_curve"]
    runs.save_text(run / runs.METRICS, json.dumps(metrics))
    calls = []
    monkeypatch.setattr(training, "_score_state", lambda *a: calls.append(1) or
                        {k: curve[0][k] for k in ("accuracy", "accuracy_likelihood")})
    assert training.learning_curve(run, jobs=1, quiet=True) == curve and len(calls) == 1
    assert runs.load_json(run / runs.METRICS)["learning_curve"]["validation"] == curve
    # points kept before the likelihood readout was: scored again (the last from the run's own figure)
    metrics = runs.load_json(run / runs.METRICS)
    for point in metrics["learning_curve"]["validation"]:
        del point["accuracy_likelihood"]
    runs.save_text(run / runs.METRICS, json.dumps(metrics))
    assert training.learning_curve(run, jobs=1, quiet=True) == curve and len(calls) == 2
    with pytest.raises(ValueError, match="test split"):
        training.learning_curve(run, split="test")
