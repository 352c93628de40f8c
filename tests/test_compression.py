"""Pruning masks, quantisation and the counting of synaptic operations."""
from pathlib import Path

import numpy as np
import pytest

from stdpnet import runs
from stdpnet.experiments import ensemble as training
from stdpnet.model import compression, cost
from stdpnet.spec import Compression, spec_from_dict
from stdpnet.errors import ConfigError, RunFolderError
from stdpnet.engine.simulator import TEST, TRAIN, Simulator

from conftest import bar_images, tiny_spec

REPO = Path(__file__).resolve().parents[1]
CALTECH = REPO.parent / "shared" / "datasets" / "caltech101_subset"


def chunk_state(sim, state, mode):
    state = dict(state)
    state.update({"schedule.example": np.zeros(1, np.int32), "schedule.count": np.zeros(1, np.int32),
                  "schedule.started": np.zeros(1, np.int32), "schedule.mode": np.array([mode]),
                  "schedule.intensity": np.array([sim.spec.input.intensity])})
    return state


@pytest.fixture(scope="module")
def sim():
    return Simulator(tiny_spec(compression__enabled=True, compression__criterion="correlation"), 64,
                     device="standalone")


# ------------------------------------------------------------------ the mask
def test_pruned_synapses_never_learn_and_normalisation_counts_only_live(sim):
    state = sim.initial_state(7)
    mask = np.ones((64, 10))
    mask[::2, :] = 0          # every other input pruned on every neuron
    mask[1, 3] = 0
    w = np.full((64, 10), 0.3)
    w[mask == 0] = 0.7        # pruned weights keep a value that must not move
    state["input_exc.w"], state["input_exc.mask"] = w.ravel(), mask.ravel()
    x, _ = bar_images(10, seed=2)
    r = sim.run_chunk(x, np.ones(10), chunk_state(sim, state, TRAIN))
    assert r.counts.sum() > 0
    w_after = r.state["input_exc.w"].reshape(64, 10)
    np.testing.assert_array_equal(w_after[mask == 0], 0.7)
    assert not np.allclose(w_after[mask == 1], 0.3), "live synapses learn"
    target = sim.spec.connections.weight_sum_per_input * 64
    # normalisation at the last slot start, then at most one slot of STDP
    live_sums = (w_after * mask).sum(axis=0)
    np.testing.assert_allclose(live_sums, target, rtol=0.1)
    corr = r.state["input_exc.corr"].reshape(64, 10)
    assert (corr[mask == 0] == 0).all()
    fired = r.counts.sum(axis=0) > 0
    assert (corr[:, fired].sum(axis=0) > 0).all(), "correlation accumulates at post spikes"


def test_a_dense_network_learns_as_a_masked_one_with_nothing_pruned(sim):
    """Without compression the learning network leaves the mask out of its
    code: with every synapse live it must learn what the masked one learns
    (to the last bits), and it refuses a state with pruned synapses."""
    dense = Simulator(tiny_spec(), 64, device="standalone")  # the network test_ensemble compiles
    state = sim.initial_state(11)
    x, _ = bar_images(10, seed=5)
    masked_run = sim.run_chunk(x, np.ones(10), chunk_state(sim, state, TRAIN))
    dense_run = dense.run_chunk(x, np.ones(10), chunk_state(dense, state, TRAIN))
    assert masked_run.counts.sum() > 0
    np.testing.assert_array_equal(dense_run.counts, masked_run.counts)
    # equal to rounding: the compiler may order the products differently
    np.testing.assert_allclose(dense_run.state["input_exc.w"], masked_run.state["input_exc.w"],
                               rtol=1e-12, atol=1e-15)
    pruned = dict(state, **{"input_exc.mask": np.where(np.arange(640) % 2, 1.0, 0.0)})
    with pytest.raises(ValueError, match="compression.enabled"):
        dense.run_chunk(x, np.ones(10), chunk_state(dense, pruned, TRAIN))


def test_pruning_keeps_the_survivors_weights_unless_asked():
    """normalise_to = "retained": the target falls to the live weights' sum, so
    normalisation does not scale the survivors up; "full" keeps the target."""
    spec = tiny_spec(compression__enabled=True)
    rng = np.random.default_rng(0)
    w = rng.random((64, 10))
    for mode, expect in (("retained", None), ("full", 20.0)):
        spec.compression.normalise_to = mode
        state = {"input_exc.w": w.ravel().copy(), "excitatory.weight_target": np.full(10, 20.0)}
        compression.compress(state, spec, 0.75, quantise_now=False)
        live = state["input_exc.w"].reshape(64, 10)
        kept = np.where(state["input_exc.mask"].reshape(64, 10) > 0, w, 0.0)
        np.testing.assert_array_equal(live, kept)
        want = kept.sum(axis=0) if expect is None else np.full(10, expect)
        np.testing.assert_allclose(state["excitatory.weight_target"], want)
    assert (kept.sum(axis=0) < 20.0).all()
    # a checkpoint without the target (older runs) starts from the full column sum
    spec.compression.normalise_to = "retained"
    state = {"input_exc.w": w.ravel().copy()}
    compression.compress(state, spec, 0.75, quantise_now=False)
    np.testing.assert_allclose(state["excitatory.weight_target"], kept.sum(axis=0))
    # a step that prunes none of a neuron's synapses leaves its target, even
    # where its sum lies below it (weights held at w_max; rounding): as dense
    state = {"input_exc.w": w.ravel().copy(), "excitatory.weight_target": np.full(10, 40.0)}
    compression.compress(state, spec, 0.0, quantise_now=False)
    np.testing.assert_array_equal(state["excitatory.weight_target"], np.full(10, 40.0))
    assert (w.sum(axis=0) < 40.0).all()
    compression.compress(state, spec, 0.5, quantise_now=False)   # now each neuron loses synapses
    live = np.where(state["input_exc.mask"].reshape(64, 10) > 0, w, 0.0)
    np.testing.assert_allclose(state["excitatory.weight_target"], live.sum(axis=0))


@pytest.mark.parametrize("during", [True, False])
def test_interval_steps_quantise_only_when_asked_and_the_final_network_always(during):
    """quantise_during_training = false: an interval step prunes and leaves the
    live weights where STDP put them; the final network is still on L levels."""
    spec = tiny_spec(compression__enabled=True, compression__interval=10,
                     compression__target_sparsity=0.5, compression__schedule="constant",
                     compression__levels=4, compression__quantisation="fitted",
                     compression__quantise_during_training=during)
    w = np.random.default_rng(1).random(64 * 10) * spec.plasticity.w_max
    state = {"input_exc.w": w.copy()}
    assert compression.interval_step(state, spec, 5, 9, 100) is None  # no boundary crossed
    summary = compression.interval_step(state, spec, 5, 12, 100)
    mask = state["input_exc.mask"] > 0
    assert summary["sparsity"] == pytest.approx(0.5)
    if during:
        assert len(np.unique(state["input_exc.w"][mask])) == 4
    else:
        assert summary["levels"] is None
        np.testing.assert_array_equal(state["input_exc.w"][mask], w[mask])
    state["input_exc.w"][mask] += 0.01  # STDP moves the live weights off the grid
    final = compression.finalise(state, spec)
    live = state["input_exc.w"][state["input_exc.mask"] > 0]
    assert len(final["levels"]) == 4
    assert set(np.unique(live)) <= set(final["levels"])


def test_pruned_synapses_carry_no_current(sim):
    spikes = {}
    for live in (1.0, 0.0):
        state = sim.initial_state(8)
        state["input_exc.w"] = np.full(640, 1.0)   # strong enough to fire at once
        state["input_exc.mask"] = np.full(640, live)
        x, _ = bar_images(10, seed=3)
        r = sim.run_chunk(x, np.ones(10), chunk_state(sim, state, TEST))
        spikes[live] = (r.counts.sum(), r.state["input.fired"].sum())
    assert spikes[1.0][0] > 50, "control: live synapses drive the neurons"
    assert spikes[0.0][1] > 1000, "inputs still spike"
    assert spikes[0.0][0] == 0, "fully pruned: no charge reaches the neurons"


# -------------------------------------------------------------- quantisation
@pytest.mark.parametrize("kind", ["uniform", "fitted"])
@pytest.mark.parametrize("levels", [2, 4, 16])
def test_quantisation_has_exactly_L_levels_and_is_idempotent(kind, levels):
    rng = np.random.default_rng(levels)
    w = np.concatenate([rng.beta(0.5, 2, 3000) * 1.1, [0.0, 1.0]])  # some above w_max
    mask = rng.random(w.size) > 0.3
    cfg = Compression(levels=levels, quantisation=kind)
    q, lv = compression.quantise_weights(w, mask, cfg, w_max=1.0)
    assert len(lv) == levels
    assert lv.min() >= 0 and lv.max() <= 1.0
    assert len(np.unique(q[mask])) == levels
    assert np.isin(q[mask], lv).all()
    assert (q[~mask] == 0).all()
    if kind == "uniform":
        np.testing.assert_allclose(lv, np.linspace(0, 1, levels))
    q2, _ = compression.quantise_weights(q, mask, cfg, w_max=1.0)
    np.testing.assert_array_equal(q2, q)


def test_prune_mask_keeps_pruned_and_reaches_sparsity_per_neuron():
    rng = np.random.default_rng(0)
    w = rng.random((50, 4))
    mask = np.ones((50, 4))
    mask[0, :] = 0
    w[0, :] = 5.0             # highest weight, but already pruned: stays pruned
    m = compression.prune_mask(w, mask, 0.4)
    assert (m[0] == 0).all()
    assert ((m == 0).sum(axis=0) == 20).all()
    for k in range(4):        # the pruned live ones are the lowest weights
        assert w[m[:, k] == 1, k].min() >= w[(m[:, k] == 0) & (mask[:, k] == 1), k].max()
    assert (compression.prune_mask(w, m, 0.2) == m).all(), "lower sparsity never revives"


def test_sparsity_schedule():
    cfg = Compression(target_sparsity=0.6, schedule="linear", ramp_fraction=0.5)
    assert compression.sparsity_at(cfg, 0, 1000) == 0
    assert compression.sparsity_at(cfg, 250, 1000) == pytest.approx(0.3)
    assert compression.sparsity_at(cfg, 900, 1000) == pytest.approx(0.6)
    cfg.schedule = "constant"
    assert compression.sparsity_at(cfg, 1, 1000) == 0.6
    # a late start: nothing before 40% of training, then a ramp to 80%
    cfg = Compression(target_sparsity=0.8, schedule="linear", start_fraction=0.4, ramp_fraction=0.8)
    assert compression.sparsity_at(cfg, 399, 1000) == 0
    assert compression.sparsity_at(cfg, 600, 1000) == pytest.approx(0.4)
    assert compression.sparsity_at(cfg, 800, 1000) == pytest.approx(0.8)
    cfg.schedule = "constant"
    assert (compression.sparsity_at(cfg, 399, 1000), compression.sparsity_at(cfg, 400, 1000)) == (0, 0.8)


# ---------------------------------------------------------------- accounting
def test_op_count_matches_a_hand_count():
    # 3 inputs x 2 neurons; input 0 spikes 3 times, input 1 never, input 2 twice
    spikes = np.array([3, 0, 2])
    mask = np.array([[1, 1],    # input 0: 2 live synapses
                     [1, 0],    # input 1: 1
                     [0, 1]])   # input 2: 1
    assert cost.synaptic_ops(spikes, mask) == 3 * 2 + 0 * 1 + 2 * 1
    spec = tiny_spec(excitatory__n_neurons=2, compression__enabled=True)
    spec.compression.levels = 4
    state = {"input.fired": spikes, "input_exc.mask": mask.ravel(),
             "excitatory.fired": np.array([4, 1]), "inhibitory.fired": np.array([2, 0])}
    c = cost.accounting(spec, state, n_examples=2, presentations=3,
                               steps_per_presentation=10)["counts"]
    assert c["synaptic_ops_per_inference"] == 8 / 2
    assert c["dense_synaptic_ops_per_inference"] == 5 * 2 / 2
    assert c["lateral_ops_per_inference"] == (5 + 2 * 1) / 2
    assert c["neuron_updates_per_inference"] == 2 * 2 * 10 * 3 / 2
    assert c["synapses_kept"] == 4 and c["bits_per_weight"] == 2
    # levels in a spec whose compression is off quantise nothing: full precision, no saving
    spec.compression.enabled = False
    dense = {**state, "input_exc.mask": np.ones(6)}
    a = cost.accounting(spec, dense, n_examples=2, presentations=3, steps_per_presentation=10)
    assert a["counts"]["bits_per_weight"] == 32 and a["counts"]["levels"] is None
    assert a["model"]["energy_improvement"] == 1.0 and a["model"]["area_improvement"] == 1.0


def test_engine_counters_match_recorded_spikes():
    """The per-neuron spike counters behind the op count equal what a
    SpikeMonitor records (runtime device, same network)."""
    spec = tiny_spec()
    sim = Simulator(spec, 64, device="runtime")
    state = sim.initial_state(9)
    mask = np.ones((64, 10))
    mask[:32, :5] = 0
    state["input_exc.mask"] = mask.ravel()
    x, _ = bar_images(10, seed=4)
    result, ens, monitors = sim._run_runtime(x, np.ones(10), chunk_state(sim, state, TEST),
                                             record_all=True)
    recorded = np.bincount(np.asarray(monitors["input"].i), minlength=64)
    np.testing.assert_array_equal(result.state["input.fired"], recorded)
    np.testing.assert_array_equal(result.state["excitatory.fired"], result.counts.sum(axis=0))
    np.testing.assert_array_equal(result.state["inhibitory.fired"],
                                  np.bincount(np.asarray(monitors["inhibitory"].i), minlength=10))
    hand = sum(int(mask[i].sum()) for i in np.asarray(monitors["input"].i))
    assert cost.synaptic_ops(result.state["input.fired"], mask) == hand


# ------------------------------------------------------------------ training
def test_training_prunes_quantises_and_reports(tmp_path, sim):
    spec = tiny_spec(data__epochs=2)
    c = spec.compression
    c.enabled, c.interval, c.target_sparsity, c.levels = True, 10, 0.5, 4
    c.criterion = "correlation"
    run = runs.create(tmp_path / "pruned", spec.validate())
    training.train(spec, run, quiet=True)
    weights = runs.load_npz(run / runs.WEIGHTS)
    w, mask = weights["w"], weights["mask"]
    assert ((~mask).sum(axis=0) == 32).all()
    assert (w[~mask] == 0).all()
    assert set(np.unique(w[mask])) <= set(np.linspace(0, spec.plasticity.w_max, 4))
    first = runs.load_npz(training.snapshots(run)[0][2])   # epoch 1 ends where a pruning step falls
    w1, mask1 = first["state.input_exc.w"].reshape(w.shape), first["state.input_exc.mask"].reshape(w.shape) > 0
    assert (w1[~mask1] == 0).all() and (~mask1).any()
    assert set(np.unique(w1[mask1])) <= set(np.linspace(0, spec.plasticity.w_max, 4))   # after that step
    last = runs.load_npz(training.snapshots(run)[-1][2])   # the learning curve's last point
    np.testing.assert_array_equal(last["state.input_exc.w"].reshape(w.shape), w)
    np.testing.assert_array_equal(last["state.input_exc.mask"].reshape(w.shape) > 0, mask)
    result = training.evaluate(run, quiet=True, split="test")
    counts = result["compression"]["counts"]
    assert counts["sparsity"] == pytest.approx(0.5)
    assert counts["synaptic_ops_per_inference"] > 0
    assert 1.5 < counts["synaptic_op_reduction"] < 3.0
    assert result["compression"]["model"]["energy_improvement"] > 1
    assert "compression" in runs.load_json(run / runs.METRICS)["evaluate"]["test"]


def test_a_run_stopped_before_its_weights_file_resumes_to_the_same_files(tmp_path, monkeypatch):
    """Stopped after the final pruning and quantisation but before weights.npz
    is written: --resume writes what an unstopped run writes (the unquantised
    weights too, not the quantised ones twice)."""
    spec = tiny_spec()
    c = spec.compression
    c.enabled, c.interval, c.target_sparsity, c.levels, c.quantisation = True, 20, 0.5, 4, "fitted"
    stopped = runs.create(tmp_path / "stopped", spec.validate())
    real, unstopped = runs.save_npz, {}

    def killed(path, **arrays):   # what the run would have written, then the stop
        if Path(path).name == runs.WEIGHTS:
            unstopped.update(arrays)
            raise KeyboardInterrupt
        return real(path, **arrays)
    monkeypatch.setattr(runs, "save_npz", killed)
    with pytest.raises(KeyboardInterrupt):
        training.train(spec, stopped, quiet=True)
    # what a sweep reads of a finished run is there before its mark (weights.npz)
    assert {"train", "pruning"} <= set(runs.load_json(stopped / runs.METRICS))
    monkeypatch.setattr(runs, "save_npz", real)
    training.train(spec, stopped, quiet=True, resume=True)
    resumed = runs.load_npz(stopped / runs.WEIGHTS)
    assert set(resumed) == set(unstopped) >= {"w", "w_unquantised", "mask"}
    for key, value in unstopped.items():
        np.testing.assert_array_equal(resumed[key], value, err_msg=key)
    training.trained_state(stopped)   # the checkpoint agrees with weights.npz


def test_a_run_stopped_between_its_weights_file_and_final_checkpoint_resumes_to_agreeing_files(
        tmp_path, monkeypatch):
    spec = tiny_spec()
    c = spec.compression
    c.enabled, c.interval, c.target_sparsity, c.levels = True, 20, 0.5, 4
    stopped = runs.create(tmp_path / "stopped", spec.validate())
    real = runs.save_checkpoint

    def killed(run_dir, checkpoint):       # the finalised checkpoint, after weights.npz: stopped
        if (Path(run_dir) / runs.WEIGHTS).exists():
            raise KeyboardInterrupt
        return real(run_dir, checkpoint)
    monkeypatch.setattr(runs, "save_checkpoint", killed)
    with pytest.raises(KeyboardInterrupt):
        training.train(spec, stopped, quiet=True)
    monkeypatch.setattr(runs, "save_checkpoint", real)
    with pytest.raises(RunFolderError):
        training.trained_state(stopped)     # the checkpoint is the unfinalised one
    training.train(spec, stopped, quiet=True, resume=True)
    training.trained_state(stopped)         # agreeing now, with no file deleted by hand


def test_compression_section_is_validated():
    with pytest.raises(ConfigError, match=r"compression\.interval.*at least schedule\.checkpoint_every \(10\)"):
        tiny_spec(compression__enabled=True, compression__interval=5)   # two steps due in one chunk
    assert tiny_spec(compression__interval=5).compression.interval == 5     # off: not checked
    with pytest.raises(ConfigError, match="compression.criterion"):
        spec_from_dict({"compression": {"criterion": "random"}})
    with pytest.raises(ConfigError, match="compression.levels"):
        spec_from_dict({"compression": {"levels": 1}})
    with pytest.raises(ConfigError, match="compression.target_sparsity"):
        spec_from_dict({"compression": {"target_sparsity": 1.0}})
    with pytest.raises(ConfigError, match="compression.normalise_to"):
        spec_from_dict({"compression": {"normalise_to": "half"}})


# ------------------------------------------------------------------- caltech
@pytest.mark.skipif(not CALTECH.is_dir(), reason="shared Caltech-101 subset absent")
def test_caltech_dataset_in_engine_units():
    from stdpnet.data.load import load_dataset
    spec = spec_from_dict({"data": {"dataset": "caltech101", "root": str(CALTECH),
                                    "classes": ["Faces_easy", "watch"], "image_size": 16,
                                    "train_per_class": 5, "test_per_class": 3,
                                    "validation_per_class": 2}})
    data = load_dataset(spec.data, seed=1)
    # of the 5 training images of each class, 2 are validation
    assert data.train_x.shape == (6, 2 * 16 * 16) and data.test_x.shape == (6, 512)
    assert data.val_x.shape == (4, 512) and np.bincount(data.val_y).tolist() == [2, 2]
    assert not (data.val_x[:, None, :] == data.train_x[None, :, :]).all(axis=2).any()
    assert data.train_x.min() >= 0 and data.train_x.max() == pytest.approx(255.0)
    assert data.shape == (32, 16) and data.n_classes == 2
    assert sorted(set(data.train_y)) == [0, 1]


def test_a_pruned_run_resumed_between_pruning_intervals_ends_with_the_same_bits(tmp_path):
    """Pruning every 10 examples with quantisation on the way: stopped after
    the second chunk and resumed, the run ends with the weights and mask of
    the uninterrupted one."""
    spec = tiny_spec(compression__enabled=True, compression__criterion="correlation",
                     compression__interval=10, compression__target_sparsity=0.5,
                     compression__levels=4, compression__start_fraction=0.0, compression__ramp_fraction=1.0)
    spec.data.train_examples = spec.data.assign_examples = 40
    straight = runs.create(tmp_path / "straight", spec)
    training.train(spec, straight, quiet=True)
    broken = runs.create(tmp_path / "broken", spec)
    training.train(spec, broken, quiet=True, stop=lambda p: p.position >= 20)
    middle = runs.load_checkpoint(broken).state["input_exc.mask"]
    assert 0 < 1 - middle.mean() < 0.5           # pruned part of the way
    training.train(spec, broken, quiet=True, resume=True)
    a, b = np.load(straight / runs.WEIGHTS), np.load(broken / runs.WEIGHTS)
    for key in ("w", "theta", "mask", "w_unquantised"):
        np.testing.assert_array_equal(a[key], b[key])


def test_pruning_steps_reuse_the_one_compiled_network(tmp_path, monkeypatch):
    """Pruning and quantisation change only the carried state (w, mask): a
    run with several pruning steps generates its learning network once and
    compiles it at most once (not at all from a warm cache)."""
    from stdpnet.engine.device import StandaloneDevice
    builds, compiles, steps = [], [], []
    build, compile_source, step = (Simulator._build_standalone, StandaloneDevice.compile_source,
                                   compression.interval_step)
    monkeypatch.setattr(Simulator, "_build_standalone",
                        lambda self, learning: builds.append(learning) or build(self, learning))
    monkeypatch.setattr(StandaloneDevice, "compile_source",
                        lambda self, *a, **k: compiles.append(a) or compile_source(self, *a, **k))
    monkeypatch.setattr(compression, "interval_step", lambda *a: steps.append(step(*a)) or steps[-1])
    spec = tiny_spec(compression__enabled=True, compression__criterion="correlation",
                     compression__interval=10, compression__target_sparsity=0.5,
                     compression__levels=4, compression__start_fraction=0.0, compression__ramp_fraction=1.0)
    training.train(spec, runs.create(tmp_path / "pruned", spec), quiet=True)
    sparsity = [s["sparsity"] for s in steps if s]
    assert len(sparsity) >= 2 and 0 < sparsity[0] < sparsity[-1]   # pruned step by step
    assert builds == [True] and len(compiles) <= 1
