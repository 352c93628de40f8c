import pytest

torch = pytest.importorskip("torch")

from stdpnet.deep.convert import convert  # noqa: E402
from stdpnet.deep.models import SpikingNetwork  # noqa: E402
from stdpnet.deep.neurons import neuron_layers  # noqa: E402
from stdpnet.deep.train import (fit, prepare_diet, prepare_stdb, train_iir,  # noqa: E402
                                train_snn)

from .conftest import synthetic, tiny_model  # noqa: E402

QUIET = dict(log=lambda *a: None, batch_size=32, eval_batch_size=128)


def _snapshot(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def test_ann_training_learns_synthetic_quadrants():
    train, test = synthetic(512, seed=0), synthetic(128, seed=1)
    torch.manual_seed(0)
    history = fit(tiny_model(), train, test, epochs=2, lr=0.01, **QUIET)
    assert history[-1]["validation_accuracy"] > 90
    assert history[-1]["loss"] < history[0]["loss"]


def test_diet_leak_and_threshold_receive_gradients_and_change(data):
    torch.manual_seed(0)
    snn = prepare_diet(SpikingNetwork(tiny_model(), timesteps=3), gamma=0.3, leak=0.9)
    layers = neuron_layers(snn.net)
    before = [(layer.threshold.item(), layer.leak.item()) for layer in layers]
    loss = torch.nn.functional.cross_entropy(snn(data[0][:64]), data[1][:64])
    loss.backward()
    for layer in layers:
        assert layer.threshold.grad is not None and layer.threshold.grad.abs().item() > 0
        assert layer.leak.grad is not None and layer.leak.grad.abs().item() > 0
    train_snn(snn, data, synthetic(64, seed=1), epochs=1, lr=0.01, **QUIET)
    after = [(layer.threshold.item(), layer.leak.item()) for layer in layers]
    for (th0, lk0), (th1, lk1) in zip(before, after):
        assert th1 != th0 and lk1 != lk0
        assert 0 <= lk1 <= 1 and th1 > 0


def test_stdb_trains_weights_keeps_thresholds(trained_ann, data):
    snn = prepare_stdb(convert(trained_ann, data[0], timesteps=4))
    thresholds = [layer.threshold.item() for layer in neuron_layers(snn.net)]
    weights = snn.net.features[0].weight.detach().clone()
    train_snn(snn, data, synthetic(64, seed=1), epochs=1, lr=1e-3, **QUIET)
    assert [layer.threshold.item() for layer in neuron_layers(snn.net)] == thresholds
    assert not torch.equal(snn.net.features[0].weight, weights)


def test_stdb_hybrid_improves_the_converted_net_at_low_T():
    """At T = 2 the converted net is poor (measured 27% on 4 classes); two
    epochs of hybrid STDB training bring it well above (39%)."""
    from stdpnet.deep.train import evaluate
    train, test = synthetic(512, seed=0), synthetic(256, seed=1)
    ann = tiny_model()
    fit(ann, train, synthetic(128, seed=1), epochs=2, lr=0.01, **QUIET)
    before = evaluate(convert(ann, train[0], percentile=99.9, timesteps=2), *test)
    snn = prepare_stdb(convert(ann, train[0], percentile=99.9, timesteps=2))
    history = train_snn(snn, train, test, epochs=2, lr=3e-3, **QUIET)
    assert history[-1]["validation_accuracy"] >= before + 5, (before, history[-1])


def test_iir_stage_starts_from_the_previous_stage_weights(trained_ann, data):
    torch.manual_seed(0)
    snn = prepare_diet(convert(trained_ann, data[0], timesteps=3, threshold_scale=0.3))
    ends, starts = {3: _snapshot(snn.net)}, {}
    out, stages = train_iir(
        snn, data, synthetic(64, seed=1), stop=1, epochs=1, final_epochs=2, lr=0.01,
        on_stage_start=lambda t, s: starts.__setitem__(t, (_snapshot(s.net), s.timesteps)),
        on_stage_end=lambda t, s, row: ends.__setitem__(t, _snapshot(s.net)), **QUIET)
    assert [st["timesteps"] for st in stages] == [2, 1] and out.timesteps == 1
    assert [len(st["history"]) for st in stages] == [1, 2]
    for t in (2, 1):
        state, timesteps = starts[t]
        assert timesteps == t
        for key, value in state.items():
            assert torch.equal(value, ends[t + 1][key]), (t, key)
    # and each stage did train: its end differs from its start
    assert any(not torch.equal(starts[1][0][k], ends[1][k]) for k in ends[1])


def test_interrupted_training_resumes_from_its_checkpoint(tmp_path):
    train, test = synthetic(128, seed=0), synthetic(64, seed=1)
    ckpt = tmp_path / "checkpoint.pt"
    steps = []

    def interrupt_in_epoch_two():
        steps.append(1)
        if len(steps) == 6:  # 4 batches per epoch
            raise KeyboardInterrupt

    torch.manual_seed(0)
    with pytest.raises(KeyboardInterrupt):
        fit(tiny_model(), train, test, epochs=2, lr=0.01, checkpoint=ckpt,
            after_step=interrupt_in_epoch_two, **QUIET)
    resumed = fit(tiny_model(seed=5), train, test, epochs=2, lr=0.01, checkpoint=ckpt,
                  resume=True, **QUIET)
    torch.manual_seed(0)
    straight = fit(tiny_model(), train, test, epochs=2, lr=0.01, **QUIET)
    assert len(resumed) == 2
    assert resumed[1]["loss"] == pytest.approx(straight[1]["loss"], rel=1e-5)
    assert resumed[1]["validation_accuracy"] == straight[1]["validation_accuracy"]


def test_training_stopped_midway_through_an_epoch_resumes_with_its_next_batch(tmp_path):
    """Saved after every batch (checkpoint_seconds=0), a run stopped in its
    second epoch trains only the batches it had not, with the same shuffle,
    augmentation draws and dropout, to the weights of an uninterrupted run."""
    train, val = synthetic(128, seed=0), synthetic(64, seed=1)
    kw = dict(epochs=2, lr=0.01, augment=dict(pad=1, flip=True), **QUIET)
    steps = []

    def count(stop_at=None):
        steps.append(1)
        if len(steps) == stop_at:
            raise KeyboardInterrupt

    torch.manual_seed(0)
    straight_model = tiny_model(dropout=0.3)
    straight = fit(straight_model, train, val, **kw)
    torch.manual_seed(0)
    with pytest.raises(KeyboardInterrupt):
        fit(tiny_model(dropout=0.3), train, val, checkpoint=tmp_path / "c.pt",
            checkpoint_seconds=0, after_step=lambda: count(stop_at=7), **kw)   # epoch 2, batch 3
    steps.clear()
    torch.manual_seed(123)                    # the checkpoint brings back the draws
    resumed_model = tiny_model(seed=5, dropout=0.3)
    resumed = fit(resumed_model, train, val, checkpoint=tmp_path / "c.pt", resume=True,
                  checkpoint_seconds=0, after_step=count, **kw)
    assert len(steps) == 2                   # batches 3 and 4 of epoch 2 (4 an epoch)
    assert [r["loss"] for r in resumed] == pytest.approx([r["loss"] for r in straight], rel=1e-6)
    assert resumed[1]["train_accuracy"] == straight[1]["train_accuracy"]
    a, b = straight_model.state_dict(), resumed_model.state_dict()
    assert all(torch.allclose(a[k].float(), b[k].float(), atol=1e-6) for k in a)


def test_a_checkpoint_read_onto_another_device_resumes_midway_through_an_epoch(tmp_path, monkeypatch):
    """A checkpoint is read onto the training device (a GPU), the shuffle
    generator's state with it; that generator lives on the CPU."""
    from stdpnet.deep import runs

    train, val = synthetic(128, seed=0), synthetic(64, seed=1)
    steps = []

    def stop():
        steps.append(1)
        if len(steps) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(tiny_model(), train, val, epochs=1, lr=0.01, checkpoint=tmp_path / "c.pt",
            checkpoint_seconds=0, after_step=stop, **QUIET)

    class OnDevice:                         # a tensor torch.load put on a GPU: only .cpu() gives it back
        def __init__(self, tensor):
            self.tensor = tensor

        def cpu(self):
            return self.tensor

    read = runs.load_torch

    def read_onto_device(path, device=None):
        state = read(path, device)
        state["within"]["generator"] = OnDevice(state["within"]["generator"])
        return state

    monkeypatch.setattr(runs, "load_torch", read_onto_device)
    steps.clear()
    history = fit(tiny_model(), train, val, epochs=1, lr=0.01, checkpoint=tmp_path / "c.pt", resume=True,
                  checkpoint_seconds=0, after_step=lambda: steps.append(1), **QUIET)
    assert len(steps) == 3 and len(history) == 1     # batches 2 to 4 of 4: the stopped one again


def test_a_callable_augmentation_sees_every_training_batch_and_no_validation_one():
    train, val = synthetic(128, seed=0), synthetic(64, seed=1)
    seen = []

    def blank(x, generator):
        assert isinstance(generator, torch.Generator)
        seen.append(len(x))
        return torch.zeros_like(x)          # the network learns from nothing

    torch.manual_seed(0)
    history = fit(tiny_model(), train, val, epochs=2, lr=0.01, augment=blank, **QUIET)
    assert seen == [32] * 8                # 4 batches per epoch, validation untouched
    assert history[-1]["validation_accuracy"] < 50   # 100% when the batches are not blanked


def test_a_last_batch_of_one_that_batch_normalisation_cannot_train_on_is_one_line_naming_it():
    """A model whose batch normalisation sees one value per channel cannot
    train on a batch of one example: a ConfigError, not torch's traceback."""
    from stdpnet.errors import ConfigError

    model = torch.nn.Sequential(torch.nn.BatchNorm1d(4), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    x, y = torch.rand(5, 4, 1), torch.tensor([0, 1, 0, 1, 0])
    with pytest.raises(ConfigError, match="batch 3 of 3 holds one training example"):
        fit(model, (x, y), (x, y), epochs=1, lr=0.01, log=lambda *a: None, batch_size=2)
    fit(model, (x[:4], y[:4]), (x, y), epochs=1, lr=0.01, log=lambda *a: None, batch_size=2)
