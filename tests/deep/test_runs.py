import pytest

torch = pytest.importorskip("torch")

from stdpnet.deep import runs  # noqa: E402
from stdpnet.deep.config import merge  # noqa: E402
from stdpnet.deep.convert import convert  # noqa: E402
from stdpnet.deep.data import INFO  # noqa: E402
from stdpnet.deep.models import SpikingNetwork, build_model  # noqa: E402
from stdpnet.deep.train import prepare_diet, train_snn  # noqa: E402
from stdpnet.errors import RunFolderError  # noqa: E402


def _vgg16_with_batch_norm():
    cfg = merge({"data": {"dataset": "cifar10"},
                 "model": {"arch": "vgg16", "width": 0.0625, "batch_norm": True}})
    torch.manual_seed(0)
    model = build_model(cfg["model"], INFO["cifar10"])
    x = torch.rand(32, 3, 32, 32)
    y = torch.randint(0, 10, (32,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    model.train()
    for _ in range(3):  # moves the batch-norm statistics away from their defaults
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return cfg, model.eval(), x, y


def test_ann_and_folded_snn_survive_the_run_folder(tmp_path):
    cfg, ann, x, y = _vgg16_with_batch_norm()
    ann_dir, snn_dir = tmp_path / "ann", tmp_path / "snn"
    for d in (ann_dir, snn_dir):
        runs.prepare_run(d)
        runs.write_config(d, cfg)
    runs.save_model(ann_dir, ann, "ann")
    snn = convert(ann, x, timesteps=6)
    runs.save_model(snn_dir, snn, "snn", method="conversion")
    _, ann2, ckpt = runs.load_run(ann_dir)
    _, snn2, ckpt2 = runs.load_run(snn_dir)
    assert ckpt["kind"] == "ann" and ckpt2["batch_norm_folded"]
    assert isinstance(snn2, SpikingNetwork) and snn2.timesteps == 6
    with torch.no_grad():
        assert torch.allclose(ann2.eval()(x), ann(x), atol=1e-5)
        assert torch.allclose(snn2.eval()(x), snn.eval()(x), atol=1e-5)


def test_vgg16_with_batch_norm_goes_through_diet(tmp_path):
    cfg, ann, x, y = _vgg16_with_batch_norm()
    snn = prepare_diet(convert(ann, x, timesteps=2, threshold_scale=0.5))
    history = train_snn(snn, (x, y), (x, y), epochs=1, lr=1e-3, batch_size=16,
                        augment=dict(pad=4, flip=True), log=lambda *a: None)
    assert len(history) == 1 and history[0]["loss"] == history[0]["loss"]  # not NaN


def test_run_folder_refuses_to_overwrite_without_force(tmp_path):
    run = runs.prepare_run(tmp_path / "r")
    runs.write_json(run / "metrics.json", {"a": 1})
    with pytest.raises(RunFolderError, match="--force"):
        runs.prepare_run(run)
    assert runs.read_metrics(run) == {"a": 1}
    with pytest.raises(RunFolderError, match="not a deep run folder"):   # no config.toml: not ours
        runs.prepare_run(run, force=True)
    with pytest.raises(RunFolderError, match="not a deep run folder"):   # nor written into
        runs.prepare_run(run, resume=True)
    assert runs.read_metrics(run) == {"a": 1}
    runs.write_text(run / runs.CONFIG_FILE, 'name = "r"\n')
    runs.prepare_run(run, force=True)
    assert list(run.iterdir()) == []
    runs.write_text(run / "x.txt", "hello")
    assert [p.name for p in run.iterdir()] == ["x.txt"]  # no temporary file left behind


def test_resume_needs_a_started_unfinished_run_and_a_resaved_model_keeps_its_digest(tmp_path):
    with pytest.raises(RunFolderError, match="no run was started there, nothing to resume"):
        runs.prepare_run(tmp_path / "none", resume=True)
    assert not (tmp_path / "none").exists()
    run = runs.prepare_run(tmp_path / "r")
    runs.write_text(run / runs.CONFIG_FILE, 'name = "r"\n')
    assert runs.prepare_run(run, resume=True) == run                  # started, not finished
    runs.write_json(run / runs.METRICS_FILE, {"a": 1})
    with pytest.raises(RunFolderError, match="has finished .metrics.json.: nothing to resume"):
        runs.prepare_run(run, resume=True)
    state = {"w": torch.arange(6.0)}
    runs.save_torch(run / runs.MODEL_FILE, state)
    first = runs.file_digest([run / runs.MODEL_FILE])
    runs.save_torch(run / runs.MODEL_FILE, state)                     # saved again: the same bytes
    assert runs.file_digest([run / runs.MODEL_FILE]) == first


def test_missing_or_broken_run_files_are_named(tmp_path):
    with pytest.raises(RunFolderError, match="config.toml"):
        runs.load_run(tmp_path)
    runs.write_config(tmp_path, merge({}))
    (tmp_path / "model.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(RunFolderError, match="model.pt"):
        runs.load_run(tmp_path)
    runs.save_torch(tmp_path / "model.pt", [1, 2])          # a torch file, but not a run's
    with pytest.raises(RunFolderError, match="model.pt is not a file of a stdpnet run"):
        runs.load_run(tmp_path)
    runs.save_torch(tmp_path / "model.pt", {"weights": 1})
    with pytest.raises(RunFolderError, match="not the model of a deep run"):
        runs.load_run(tmp_path)
    for text in (b"[1]", b"\xff\xfe"):                       # JSON of no table; not UTF-8
        (tmp_path / "metrics.json").write_bytes(text)
        with pytest.raises(RunFolderError, match="metrics.json"):
            runs.read_metrics(tmp_path)
    runs.save_torch(tmp_path / runs.RNG_FILE, {"gpu": 1})        # a dict, but no random state
    with pytest.raises(RunFolderError, match="rng_state.pt holds no random state"):
        runs.restore_rng(tmp_path)
    from stdpnet.deep.seq.pipeline import collect
    runs.write_json(tmp_path / "metrics.json", {"kind": "seq", "model": "lite"})   # no history
    with pytest.raises(RunFolderError, match="metrics.json: no history of validation accuracies"):
        collect([tmp_path])
