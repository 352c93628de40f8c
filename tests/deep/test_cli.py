import json

import pytest

torch = pytest.importorskip("torch")
from click.testing import CliRunner  # noqa: E402

from stdpnet.deep.cli import deep  # noqa: E402

SPEC = """
name = "t"
[data]
batch_size = 50
validation_images = 60
[model]
features = [4, "A"]
classifier = [16]
[ann]
epochs = 1
lr = 0.01
[convert]
timesteps = [2, 8]
calibration_samples = 100
[diet]
timesteps = 2
epochs = 1
lr = 0.003
[iir]
start = 2
epochs = 1
[stdb]
timesteps = 3
epochs = 1
[snn]
eval_timesteps = [1, 2]
[attack]
eps = [0.1]
pgd_steps = 2
limit = 20
source = "{runs}/ann"
[[attack.targets]]
name = "ANN"
run = "{runs}/ann"
[[attack.targets]]
name = "converted, Poisson"
run = "{runs}/converted"
encoding = "poisson"
timesteps = 4
[[attack.targets]]
name = "IIR T=1, leak 0.5"
run = "{runs}/iir"
leak = 0.5
"""


def invoke(*args):
    result = CliRunner().invoke(deep, [str(a) for a in args], catch_exceptions=False)
    return result


def test_the_whole_chain_writes_run_folders(tmp_path, fake_mnist, ctrl_c):
    runs = tmp_path / "runs"
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(runs=runs))
    r = invoke("train-ann", spec, "--run", runs / "ann", "--threads", 1)
    assert r.exit_code == 0, r.output
    assert {"config.toml", "model.pt", "metrics.json"} <= {p.name for p in (runs / "ann").iterdir()}
    metrics = json.loads((runs / "ann" / "metrics.json").read_text())
    assert metrics["cost"]["macs_per_image"] > 0 and metrics["history"][0]["seconds"] > 0

    r = invoke("train-ann", spec, "--run", runs / "ann")
    assert r.exit_code != 0 and "--force" in r.output

    r = invoke("convert", runs / "ann", "--run", runs / "converted")
    assert r.exit_code == 0, r.output
    conv = json.loads((runs / "converted" / "metrics.json").read_text())
    assert set(conv["accuracy_vs_timesteps"]) == {"2", "8"}
    assert conv["cost"]["neurons"] and conv["cost"]["energy_uj_per_image"] > 0
    assert (runs / "converted" / "accuracy_vs_timesteps.png").stat().st_size > 1000
    assert (runs / "converted" / "spike_rates.png").exists()
    assert conv["ann_accuracy"] == metrics["test_accuracy"]     # the same test images: reused
    scored = json.loads((runs / "ann" / "metrics.json").read_text())
    (runs / "ann" / "metrics.json").write_text(json.dumps({**scored, "test_images": 50, "test_accuracy": -1.0}))
    r = invoke("convert", runs / "ann", "--run", runs / "converted_again")
    (runs / "ann" / "metrics.json").write_text(json.dumps(scored))
    again = json.loads((runs / "converted_again" / "metrics.json").read_text())
    assert again["ann_accuracy"] == metrics["test_accuracy"]    # scored on 50 images: scored again

    r = invoke("train-snn", spec, "--method", "diet", "--init", runs / "ann", "--run", runs / "diet")
    assert r.exit_code == 0, r.output
    wider = tmp_path / "wider.toml"   # validating on images the ANN trained on: refused
    wider.write_text(SPEC.format(runs=runs).replace("validation_images = 60", "validation_images = 80"))
    r = invoke("train-snn", wider, "--method", "iir", "--init", runs / "diet", "--run", runs / "wider")
    assert r.exit_code != 0 and "held out the last 60" in r.output and "last 80" in r.output, r.output
    r = invoke("train-snn", spec, "--method", "iir", "--init", runs / "diet", "--run", runs / "iir")
    assert r.exit_code == 0, r.output
    iir = json.loads((runs / "iir" / "metrics.json").read_text())
    assert iir["timesteps"] == 1 and [s["timesteps"] for s in iir["stages"]] == [2, 1]
    assert iir["stages"][0]["from_init"] is True  # the DIET run already is the T=2 stage
    diet = json.loads((runs / "diet" / "metrics.json").read_text())
    assert iir["stages"][0]["validation_accuracy"] == diet["validation_accuracy"]
    r = invoke("train-snn", spec, "--method", "stdb", "--init", runs / "converted",
               "--run", runs / "stdb")
    assert r.exit_code == 0, r.output
    assert json.loads((runs / "stdb" / "metrics.json").read_text())["timesteps"] == 3

    cifar = tmp_path / "cifar.toml"    # MNIST models under a CIFAR-10 spec: named before any run folder
    cifar.write_text(SPEC.format(runs=runs).replace("[data]\n", '[data]\ndataset = "cifar10"\n'))
    r = invoke("attack", cifar, "--run", runs / "attack_cifar")
    assert r.exit_code != 0 and "target 'ANN'" in r.output and "trained on mnist" in r.output, r.output
    assert not (runs / "attack_cifar").exists()
    r = invoke("attack", spec, "--run", runs / "attack")
    assert r.exit_code == 0, r.output
    table = json.loads((runs / "attack" / "metrics.json").read_text())
    assert [row["name"] for row in table["rows"]] == ["ANN", "converted, Poisson",
                                                      "IIR T=1, leak 0.5"]
    assert (runs / "attack" / "accuracy_vs_attack.png").exists()
    assert "| ANN |" in (runs / "attack" / "table.md").read_text()
    r = invoke("attack", spec, "--run", runs / "attack", "--resume")
    assert r.exit_code != 0 and "nothing to resume" in r.output

    from stdpnet.deep import attack
    stop = ctrl_c(attack, "accuracy", at=4)
    assert invoke("attack", spec, "--run", runs / "attack2").exit_code == 130
    assert len(json.loads((runs / "attack2" / "attack.partial.json").read_text())["cells"]) == 3
    stop.at = None
    r = invoke("attack", spec, "--run", runs / "attack2")      # stopped: says how to go on
    assert r.exit_code != 0 and "--resume" in r.output and "stopped" in r.output
    r = invoke("attack", spec, "--run", runs / "attack2", "--resume")
    assert r.exit_code == 0 and "reusing 3 measured cells" in r.output, r.output
    assert json.loads((runs / "attack2" / "metrics.json").read_text())["rows"] == table["rows"]
    assert not (runs / "attack2" / "attack.partial.json").exists()


def test_bad_inputs_are_clear_errors(tmp_path, fake_mnist):
    spec = tmp_path / "bad.toml"
    spec.write_text('[model]\nwidht = 2\n')
    r = invoke("train-ann", spec, "--run", tmp_path / "x")
    assert r.exit_code != 0 and "model.widht" in r.output
    r = invoke("train-ann", tmp_path / "missing.toml")
    assert r.exit_code != 0 and "missing.toml" in r.output
    good = tmp_path / "good.toml"
    good.write_text("")
    r = invoke("train-snn", good, "--method", "stdb", "--run", tmp_path / "y")
    assert r.exit_code != 0 and "--init" in r.output
    r = invoke("convert", tmp_path / "nowhere")
    assert r.exit_code != 0 and "nowhere" in r.output
    none_held = tmp_path / "none_held.toml"
    none_held.write_text("[data]\nvalidation_images = 0\n")
    r = invoke("train-ann", none_held, "--run", tmp_path / "z")
    assert r.exit_code != 0 and "none_held.toml" in r.output and "data.validation_images" in r.output
    all_held = tmp_path / "all_held.toml"
    all_held.write_text("[data]\nvalidation_images = 60000\n")
    r = invoke("train-ann", all_held, "--run", tmp_path / "z")
    assert r.exit_code != 0 and "all_held.toml: data.validation_images must be below the 60000" in r.output
    normed = tmp_path / "normed.toml"
    normed.write_text("[data]\nvalidation_images = 60\n[model]\nbatch_norm = true\n")
    r = invoke("train-snn", normed, "--method", "diet", "--run", tmp_path / "w")
    assert r.exit_code != 0 and "model.batch_norm" in r.output and "--init" in r.output, r.output
    assert not (tmp_path / "w" / "config.toml").exists()
    r = invoke("train-ann", good, "--device", "cuda:0" if not torch.cuda.is_available()
               else "nonsense", "--run", tmp_path / "z")
    assert r.exit_code != 0 and "--device" in r.output
    r = invoke("train-ann", good, "--device", "meta", "--run", tmp_path / "z")   # torch names it; no tensor lives there
    assert r.exit_code != 0 and "runs on cpu or cuda" in r.output and "Traceback" not in r.output


def test_repeat_chains_ann_diet_iir_per_seed_and_records_them(tmp_path, fake_mnist, monkeypatch):
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "results"))
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(runs=tmp_path / "runs"))
    out = tmp_path / "rep"
    r = invoke("repeat", spec, "--seeds", "0-1", "--out", out, "--record", "chain", "--threads", 1)
    assert r.exit_code == 0, r.output
    for seed in (0, 1):
        iir = json.loads((out / f"seed{seed}-iir" / "metrics.json").read_text())
        assert iir["timesteps"] == 1 and iir["init_run"] == str(out / f"seed{seed}-diet")
        assert json.loads((out / f"seed{seed}-diet" / "metrics.json").read_text())["init_run"] == \
            str(out / f"seed{seed}-ann")
    entry = json.loads((tmp_path / "results" / "chain.iir_test_accuracy.json").read_text())
    assert entry["n"] == 2 and set(entry["values"]) == {"0", "1"} and "T = 1" in entry["metric"]
    assert 0 <= entry["mean"] <= 1
    stamp = (out / "seed1-diet" / "metrics.json").stat().st_mtime_ns
    r = invoke("repeat", spec, "--seeds", "0-1", "--out", out)   # finished runs are reused
    assert r.exit_code == 0, r.output
    assert (out / "seed1-diet" / "metrics.json").stat().st_mtime_ns == stamp
    spec.write_text(SPEC.format(runs=tmp_path / "runs").replace("lr = 0.003", "lr = 0.002"))
    r = invoke("repeat", spec, "--seeds", "1", "--out", out, "--methods", "diet")
    assert r.exit_code == 0, r.output                              # the spec changed: all trained again
    assert (out / "seed1-diet" / "metrics.json").stat().st_mtime_ns != stamp
    assert "lr = 0.002" in (out / "seed1-ann" / "config.toml").read_text()
    r = invoke("repeat", spec, "--methods", "stdb", "--out", out)
    assert r.exit_code != 0 and "--methods" in r.output


def test_repeat_records_a_stage_of_no_epochs_without_its_missing_validation_figure(tmp_path, fake_mnist,
                                                                                   monkeypatch):
    monkeypatch.setenv("STDPNET_RESULTS", str(tmp_path / "results"))
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(runs=tmp_path / "runs").replace("epochs = 1\nlr = 0.003", "epochs = 0\nlr = 0.003"))
    r = invoke("repeat", spec, "--seeds", "0", "--methods", "diet", "--out", tmp_path / "rep", "--record", "z",
               "--threads", 1)
    assert r.exit_code == 0, r.output
    assert "seed 0, diet T=2: validation n/a" in r.output
    written = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert written == ["z.ann_test_accuracy.json", "z.ann_validation_accuracy.json", "z.diet_test_accuracy.json"]


def test_train_ann_refuses_a_seed_out_of_range_before_making_the_run(tmp_path, fake_mnist):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(runs=tmp_path / "runs"))
    r = CliRunner().invoke(deep, ["train-ann", str(spec), "--seed", "-1", "--run", str(tmp_path / "ann")])
    assert r.exit_code == 1 and "seed must be in 0 .. 2147483647, got -1" in r.output, r.output
    assert not (tmp_path / "ann").exists()


def test_an_interrupted_iir_schedule_resumes_after_its_last_finished_stage(tmp_path, fake_mnist,
                                                                           ctrl_c):
    from stdpnet.deep import train

    spec = tmp_path / "spec.toml"    # T = 3 (DIET), then IIR stages at T = 2 and 1; dropout draws
    spec.write_text(SPEC.format(runs=tmp_path).replace("classifier = [16]",
                                                       "classifier = [16]\ndropout = 0.2")
                    .replace("[iir]", "[iir]\nfinal_epochs = 2"))
    args = ("train-snn", spec, "--method", "iir", "--timesteps", 3, "--threads", 1)
    steps = ctrl_c(train, "clamp_neuron_parameters")
    assert invoke(*args, "--run", tmp_path / "straight").exit_code == 0
    total, steps.calls, steps.at = steps.calls, 0, steps.calls - 1   # T = 1, its second epoch
    r = invoke(*args, "--run", tmp_path / "stopped")
    assert r.exit_code == 130 and not (tmp_path / "stopped" / "metrics.json").exists()
    steps.calls, steps.at = 0, None
    r = invoke(*args, "--run", tmp_path / "stopped", "--resume")
    assert r.exit_code == 0 and "resuming IIR after its T=2 stage" in r.output, r.output
    assert "resuming IIR T=1 after epoch 1" in r.output, r.output
    assert steps.calls == total // 4         # 4 epochs in all: only the last was trained again
    assert not list((tmp_path / "stopped").glob("iir_T*_checkpoint.pt"))
    straight, resumed = (json.loads((tmp_path / run / "metrics.json").read_text())
                         for run in ("straight", "stopped"))
    assert [s["timesteps"] for s in resumed["stages"]] == [3, 2, 1]
    for key in ("test_accuracy", "accuracy_vs_timesteps", "thresholds", "leaks"):
        assert resumed[key] == pytest.approx(straight[key]), key
    assert ([s["validation_accuracy"] for s in resumed["stages"]]
            == [s["validation_accuracy"] for s in straight["stages"]])


def test_a_stage_started_from_a_kept_run_draws_as_in_one_uninterrupted_chain(tmp_path, fake_mnist):
    """With dropout, DIET trained after an ANN that this process trained and
    after the same ANN kept from an earlier run (a stopped repeat run
    again) ends with the same weights: each stage goes on from the random
    state its starting run finished with."""
    import shutil

    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(runs=tmp_path / "runs").replace("[model]", "[model]\ndropout = 0.3"))
    out = tmp_path / "rep"
    assert invoke("repeat", spec, "--seeds", "0", "--methods", "diet", "--out", out, "--threads", 1).exit_code == 0
    straight = torch.load(out / "seed0-diet" / "model.pt", weights_only=False)["state_dict"]
    shutil.rmtree(out / "seed0-diet")
    assert invoke("repeat", spec, "--seeds", "0", "--methods", "diet", "--out", out, "--threads", 1).exit_code == 0
    again = torch.load(out / "seed0-diet" / "model.pt", weights_only=False)["state_dict"]
    assert all(torch.equal(straight[k], again[k]) for k in straight)


def test_resume_refuses_a_folder_another_kind_of_training_started_and_leaves_it_as_it_was(tmp_path, fake_mnist):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(runs=tmp_path / "runs"))
    ann = tmp_path / "ann"
    assert invoke("train-ann", spec, "--out", ann, "--threads", 1).exit_code == 0   # --out: --run's other name
    assert (ann / "model.pt").is_file()
    args = ["train-snn", str(spec), "--method", "diet", "--run", str(ann), "--resume", "--threads", "1"]
    r = CliRunner().invoke(deep, args)
    assert r.exit_code == 1 and "has finished (metrics.json): nothing to resume" in r.output, r.output
    (ann / "metrics.json").unlink()                  # as an ANN run stopped before it finished
    before = {p.name: p.read_bytes() for p in ann.iterdir()}
    r = CliRunner().invoke(deep, args)
    assert r.exit_code == 1 and "was started by ann training (kind.txt), not diet" in r.output, r.output
    seq_spec = tmp_path / "seq.toml"
    seq_spec.write_text('[data]\ntask = "mnist_rows"\n')
    seq = ["train-seq", str(seq_spec), "--run", str(ann), "--resume", "--threads", "1"]
    r = CliRunner().invoke(deep, seq)
    assert r.exit_code == 1 and "was started by ann training (kind.txt), not seq" in r.output, r.output
    (ann / "kind.txt").unlink()                      # a folder from before kind.txt was written
    r = CliRunner().invoke(deep, seq)
    assert r.exit_code == 1 and "config.toml does not read as this command's spec" in r.output, r.output
    assert "Traceback" not in r.output
    before.pop("kind.txt")
    assert {p.name: p.read_bytes() for p in ann.iterdir()} == before


def test_a_resume_with_other_settings_names_what_differs(tmp_path):
    from stdpnet.deep import runs
    from stdpnet.deep.config import merge
    from stdpnet.errors import RunFolderError

    cfg = merge({}, "spec")
    runs.write_config(tmp_path, cfg)
    other = merge({"ann": {"epochs": cfg["ann"]["epochs"] + 1}}, "spec")
    with pytest.raises(RunFolderError, match=rf"ann\.epochs {cfg['ann']['epochs']} then, "
                                             rf"{cfg['ann']['epochs'] + 1} now\); pass --force"):
        runs.write_config(tmp_path, other, resume=True)


def test_a_resumed_snn_must_start_from_the_run_it_started_from(tmp_path):
    from stdpnet.deep import runs
    from stdpnet.errors import RunFolderError

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / runs.MODEL_FILE).write_bytes(name.encode())
    run = tmp_path / "snn"
    run.mkdir()
    runs.write_init(run, tmp_path / "a")
    runs.write_init(run, tmp_path / "a", resume=True)
    runs.write_init(run, tmp_path / "b" / ".." / "a", resume=True)      # the same folder spelled otherwise
    with pytest.raises(RunFolderError, match="was started from .*a"):
        runs.write_init(run, tmp_path / "b", resume=True)
    (tmp_path / "a" / runs.MODEL_FILE).write_bytes(b"retrained")
    with pytest.raises(RunFolderError, match="has changed since"):
        runs.write_init(run, tmp_path / "a", resume=True)
