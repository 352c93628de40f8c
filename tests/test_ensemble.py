"""The ensemble's dynamics: winner-take-all, normalisation, re-presentation,
frozen thresholds, and the two devices agreeing."""
import numpy as np
import pytest

from stdpnet.engine.simulator import TEST, TRAIN, Simulator
from stdpnet.model.schedule import schedule_start
from stdpnet.engine.present import present, present_blocks, present_split

from conftest import bar_images, tiny_spec


def chunk_state(sim, state, mode, intensity=None):
    return {**state, **schedule_start(intensity or sim.spec.input.intensity, mode)}


@pytest.fixture(scope="module")
def sim():
    return Simulator(tiny_spec(), 64, device="standalone")


def test_a_second_network_of_the_same_shape_reuses_the_binary_and_learns_the_same(sim):
    """Brian2 renumbers the internal names of a second network in one process;
    the cached binary is still the right one: not rebuilt, same chunk result."""
    from stdpnet.engine.cache import cache_root
    x, _ = bar_images(10, seed=2)
    state = chunk_state(sim, {**sim.initial_state(5), **sim.parameters()}, TRAIN)
    first = sim.run_chunk(x, np.ones(10), state)
    binary = cache_root() / "standalone" / sim._key(True) / "main"
    built = binary.stat().st_mtime_ns
    again = Simulator(tiny_spec(), 64, device="standalone").run_chunk(x, np.ones(10), state)
    assert binary.stat().st_mtime_ns == built
    np.testing.assert_array_equal(again.counts, first.counts)
    assert first.counts.sum() > 0
    for key, value in first.state.items():
        np.testing.assert_array_equal(again.state[key], value, err_msg=key)


def test_lateral_inhibition_silences_the_losers():
    """Neuron 0 gets 4x the input weights of the others; with inhibition only it
    fires, without inhibition the others fire too."""
    fired = {}
    for w_ie in (17.0, 0.0):
        # eta_post 0: the weights stay as set, normalisation aside
        spec = tiny_spec(connections__inh_to_exc=w_ie, plasticity__eta_post=0.0)
        sim = Simulator(spec, 64, device="standalone")
        state = sim.initial_state(0)
        w = np.full((64, 10), 0.35)
        w[:, 0] = 1.4
        state["input_exc.w"] = w.ravel()
        x, _ = bar_images(10, seed=1)
        r = sim.run_chunk(x, np.ones(10), chunk_state(sim, state, TEST))
        fired[w_ie] = r.counts.sum(axis=0)
    with_inh, without = fired[17.0], fired[0.0]
    assert with_inh[0] > 20
    assert without[1:].sum() > 20, "control: the others can fire on their own"
    assert with_inh[1:].sum() <= 0.05 * with_inh[0]


@pytest.mark.parametrize("per_neuron", [False, True])
def test_normalisation_sets_column_sums(per_neuron):
    """Before each presentation every column is scaled to its neuron's target:
    78/784 per input by default, or a per-neuron sum (what pruning with
    compression.normalise_to = "retained" sets)."""
    # eta_post 0: only normalisation changes the weights (the learning rate is
    # a run-time parameter: the same binary as ``sim``'s)
    sim = Simulator(tiny_spec(plasticity__eta_post=0.0), 64, device="standalone")
    state = sim.initial_state(1)
    target = sim.spec.connections.weight_sum_per_input * 64
    if per_neuron:
        target = np.linspace(1.0, 6.0, 10)
        state["excitatory.weight_target"] = target
    x, _ = bar_images(10)
    r = sim.run_chunk(x, np.ones(10), chunk_state(sim, state, TRAIN))
    w = r.state["input_exc.w"].reshape(64, 10)
    np.testing.assert_allclose(w.sum(axis=0), target, rtol=1e-9)
    np.testing.assert_allclose(r.state["excitatory.weight_target"], target)


def test_test_mode_freezes_weights_and_theta(sim):
    state = sim.initial_state(2)
    x, _ = bar_images(10)
    r = sim.run_chunk(x, np.ones(10), chunk_state(sim, state, TEST))
    assert r.counts.sum() > 0
    np.testing.assert_array_equal(r.state["input_exc.w"], state["input_exc.w"])
    np.testing.assert_array_equal(r.state["excitatory.theta"], state["excitatory.theta"])
    r = sim.run_chunk(x, np.ones(10), chunk_state(sim, state, TRAIN))
    spikes = r.counts.sum(axis=0)
    grown = r.state["excitatory.theta"] - state["excitatory.theta"]
    assert (grown[spikes > 0] > 0).all(), "theta grows with every spike while learning"
    assert not np.allclose(r.state["input_exc.w"], state["input_exc.w"])


def test_silent_example_is_shown_again_louder(sim):
    """A faint image evokes too few spikes: the schedule repeats it with
    intensity 2, 3, 4, ... until >= min_spikes, then moves on."""
    state = sim.initial_state(3)
    state["input_exc.w"] = np.full(64 * 10, 0.4)  # what normalisation would give on average
    x = np.zeros((10, 64))
    x[0, :16] = 100.0  # example 0: two dim rows
    x[1:] = bar_images(9)[0]
    r = sim.run_chunk(x, np.ones(10), chunk_state(sim, state, TEST))
    repeats = np.flatnonzero(r.example == 0)
    assert len(repeats) >= 2
    assert repeats[-1] < 9, "the example is accepted within the chunk"
    np.testing.assert_allclose(r.intensity[repeats], 2.0 + np.arange(len(repeats)))
    assert r.counts[repeats[:-1]].sum(axis=1).max() < sim.spec.input.min_spikes
    assert r.counts[repeats[-1]].sum() >= sim.spec.input.min_spikes
    assert r.intensity[repeats[-1] + 1] == 2.0, "intensity resets for the next example"


def test_present_stitches_chunks_and_keeps_accepted_counts(sim):
    x, _ = bar_images(25, seed=4)
    counts, _, progress = present(sim, x, TEST, sim.initial_state(4), quiet=True)
    assert progress.position == 25
    assert progress.presentations >= 25
    assert (counts.sum(axis=1) >= sim.spec.input.min_spikes).all()


def test_chunks_stitched_together_give_the_counts_of_one_long_chunk(sim):
    """25 examples in chunks of 10 slots (re-presentations carried across chunk
    ends) count exactly as in one chunk of 60 slots."""
    x, _ = bar_images(25, seed=4)
    state = sim.initial_state(4)
    state["input_exc.w"] = state["input_exc.w"] * 0.6      # quieter: some examples are shown again
    stitched, _, p10 = present(sim, x, TEST, state, quiet=True)
    whole_sim = Simulator(tiny_spec(), 64, device="standalone", slots=60, modes=(TEST,))
    whole, _, p60 = present(whole_sim, x, TEST, state, quiet=True)
    assert p10.presentations > 25 and p10.presentations == p60.presentations
    np.testing.assert_array_equal(stitched, whole)


def test_a_trailing_window_keeps_the_last_counts_of_the_full_array(sim):
    """Training keeps only the counts its running accuracy reads (``keep``):
    they are the last rows of the full array, across chunk ends; a full array
    saved by an older checkpoint is cut to the same window."""
    from stdpnet.engine.present import trailing
    x, _ = bar_images(25, seed=4)
    state = sim.initial_state(4)
    state["input_exc.w"] = state["input_exc.w"] * 0.6
    full, _, _ = present(sim, x, TEST, state, quiet=True)
    window, _, _ = present(sim, x, TEST, state, quiet=True, keep=7)
    assert window.shape == (7, sim.n_neurons)
    np.testing.assert_array_equal(window, full[-7:])
    np.testing.assert_array_equal(trailing(full, 25, 7, sim.n_neurons), full[-7:])
    np.testing.assert_array_equal(trailing(full, 12, 7, sim.n_neurons), full[5:12])
    assert trailing(full, 12, 0, sim.n_neurons).shape == (0, sim.n_neurons)
    none, _, _ = present(sim, x, TEST, state, quiet=True, keep=0)
    assert none.shape == (0, sim.n_neurons)


def test_devices_learn_the_same_thing():
    """Same seed, same counter-based random streams: the runtime and the
    standalone device give the same spikes and weights."""
    spec = tiny_spec()
    x, _ = bar_images(10, seed=5)
    out = {}
    for device in ("standalone", "runtime"):
        sim = Simulator(spec, 64, device=device)
        out[device] = sim.run_chunk(x, np.ones(10), chunk_state(sim, sim.initial_state(5), TRAIN))
    a, b = out["standalone"], out["runtime"]
    np.testing.assert_array_equal(a.example, b.example)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_allclose(a.state["input_exc.w"], b.state["input_exc.w"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(a.state["excitatory.theta"], b.state["excitatory.theta"], atol=1e-12)


def test_a_raster_shows_the_spikes_the_network_counts_and_compiles_nothing(sim, monkeypatch):
    """The raster re-simulates a few test presentations on the runtime device
    without Cython (whose first compile of a whole network takes minutes on a
    fresh machine): the spikes it records are those the compiled network counts."""
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager

    def no_compiling(*args, **kwargs):
        raise AssertionError("the raster compiled a Cython extension")
    monkeypatch.setattr(cython_extension_manager, "create_extension", no_compiling)
    x, _ = bar_images(sim.slots, seed=7)
    state = sim.initial_state(4)
    counted = sim.run_chunk(x, np.ones(sim.slots), chunk_state(sim, {**state, **sim.parameters()}, TEST))
    raster = Simulator(sim.spec, 64, device="runtime", slots=sim.slots).raster(x, state)
    i, t = raster["excitatory"]
    slot = np.floor(t / sim.slot + 1e-9).astype(int)
    counts = np.zeros_like(counted.counts)
    np.add.at(counts, (slot, i), 1)
    assert counts.sum() > 0 and len(raster["input"][0]) > 0 and len(raster["inhibitory"][0]) > 0
    np.testing.assert_array_equal(raster["example"], counted.example)
    np.testing.assert_array_equal(counts, counted.counts)


def test_test_set_split_across_processes_gives_the_same_counts(sim):
    """Each presentation draws from its own Poisson stream and starts from a
    reset state, so two processes on two halves count what one process counts."""
    state = sim.initial_state(6)
    state["input.fired"] = np.full(64, 7, np.int32)  # a counter's start value is kept once
    x, _ = bar_images(45, seed=6)
    one, s1, p1 = present(sim, x, TEST, state, quiet=True)
    two, s2, p2 = present_split(sim, x, TEST, state, jobs=2, quiet=True)
    np.testing.assert_array_equal(one, two)
    assert p1.presentations == p2.presentations
    for key in ("input.fired", "excitatory.fired", "inhibitory.fired"):
        np.testing.assert_array_equal(s1[key], s2[key])
    assert s2["input.fired"].sum() > 7 * 64
    kept = []                  # in blocks of 20 (each cut in two), the last one continued from a save
    blocks = present_blocks(sim, x, TEST, state, 2, 20, quiet=True,
                            on_block=lambda *saved: kept.append(saved))
    resumed = present_blocks(sim, x, TEST, state, 2, 20, done=kept[1], quiet=True)
    assert [len(counts) for counts, _, _ in kept] == [20, 40, 45]
    for three, s3, p3 in (blocks, resumed):
        np.testing.assert_array_equal(one, three)
        assert p3.presentations == p1.presentations
        for key in ("input.fired", "excitatory.fired", "inhibitory.fired"):
            np.testing.assert_array_equal(s1[key], s3[key])


def test_a_presentation_does_not_depend_on_where_in_a_run_it_falls():
    """After 64 s of simulated time, k * 350 ms and 700 k * 0.5 ms drift apart in
    floating point, the slot clock's time coming later; each slot must still
    start at its step. Examples alternate between all pixels on (with no
    refractory time and no inhibition the neurons fire in every step) and
    blank: a blank example evokes no spikes, unless its slot started a step
    late and the step of the example before it counts as its own."""
    spec = tiny_spec(connections__delay_max_ms=0.0, schedule__presentation_ms=350.0,
                     connections__inh_to_exc=0.0, excitatory__refractory_ms=0.0,
                     input__max_intensity=2.0)  # no re-presentations
    sim = Simulator(spec, 64, device="standalone", slots=230, modes=(TEST,))
    x = np.zeros((230, 64))
    x[::2] = 255.0
    state = sim.initial_state(7)
    state["input_exc.w"][:] = 1.0
    late, _, _ = present(sim, x, TEST, state, quiet=True)
    early, _, _ = present(sim, x[190:], TEST, state, quiet=True, first_example=190)
    assert sim.slot * 190 > 64
    assert (late[::2].sum(axis=1) > 300).all()
    assert late[1::2].sum() == 0
    np.testing.assert_array_equal(late[190:], early)


def test_a_ctrl_c_swallowed_on_its_way_still_stops_the_presentation(sim, monkeypatch):
    """Python drops an exception raised in its fork handlers; the latched
    request still stops the loop after the chunk it landed in, and the chunk
    is not counted."""
    import contextlib
    import signal

    from stdpnet import interrupts
    monkeypatch.setattr(interrupts, "_requested", False)
    seen = []
    run_chunk = sim.run_chunk

    def swallowed(*args):
        with contextlib.suppress(KeyboardInterrupt):
            interrupts._on_sigint(signal.SIGINT, None)
        return run_chunk(*args)
    monkeypatch.setattr(sim, "run_chunk", swallowed)
    x, _ = bar_images(25, seed=4)
    with pytest.raises(KeyboardInterrupt):
        present(sim, x, TEST, sim.initial_state(4), quiet=True,
                on_chunk=lambda progress, state, counts: seen.append(progress.position))
    assert seen == []


def test_a_coarser_test_step_changes_the_test_network_only():
    """schedule.test_dt_ms: labelling and testing step at 1 ms (a presentation
    is half as many steps); the learning network, and its compiled binary, are
    those of the spec without it; a step that does not divide the slot is an
    error naming the key."""
    from brian2 import defaultclock, ms

    from stdpnet.engine.cache import build_key
    from stdpnet.errors import ConfigError
    from stdpnet.model.plasticity import stdp_rule

    spec, coarse = tiny_spec(), tiny_spec(schedule__test_dt_ms=1.0)
    rule = stdp_rule(spec.plasticity)
    assert build_key(coarse, rule, 64, 10, True) == build_key(spec, rule, 64, 10, True)
    assert build_key(coarse, rule, 64, 10, False) != build_key(spec, rule, 64, 10, False)
    sim = Simulator(coarse, 64, device="runtime")
    for learning, dt, steps in ((True, 0.5, 400), (False, 1.0, 200)):
        ens, _ = sim._fresh("runtime", learning)
        assert defaultclock.dt == dt * ms
        assert ens.input.namespace["presentation_steps"] == steps
    with pytest.raises(ConfigError, match="test_dt_ms"):
        tiny_spec(schedule__test_dt_ms=0.8)


def test_single_precision_simulates_float32_state_on_both_devices():
    """schedule.precision = "single": the state comes back as float32 from
    both devices, which agree with each other (the compiled neuron update
    computes in float, not only stores in it); the spikes stay close to those
    of double precision (the same neurons win); an unknown precision is an
    error naming the key."""
    from stdpnet.errors import ConfigError
    x, _ = bar_images(10, seed=5)
    from stdpnet.engine.cache import cache_root
    out, code = {}, {}
    for precision, device in (("single", "standalone"), ("single", "runtime"), ("double", "standalone")):
        sim = Simulator(tiny_spec(schedule__precision=precision), 64, device=device)
        out[precision, device] = sim.run_chunk(x, np.ones(10),
                                               chunk_state(sim, sim.initial_state(5), TRAIN))
        if device == "standalone":   # the neuron state update computes in the precision chosen
            files = (cache_root() / "standalone" / sim._key(True) / "code_objects").glob("*_stateupdater*.cpp")
            code[precision] = "".join(f.read_text() for f in files)
    assert "((float)dt)" in code["single"] and "1.0f + " in code["single"]
    assert "((float)dt)" not in code["double"] and "1.0 + " in code["double"]
    a, b, double = out["single", "standalone"], out["single", "runtime"], out["double", "standalone"]
    assert a.state["input_exc.w"].dtype == b.state["input_exc.w"].dtype == np.float32
    assert double.state["input_exc.w"].dtype == np.float64
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_allclose(a.state["input_exc.w"], b.state["input_exc.w"], rtol=0, atol=1e-6)
    assert a.counts.sum() > 0
    np.testing.assert_array_equal(a.counts.argmax(axis=1), double.counts.argmax(axis=1))
    with pytest.raises(ConfigError, match="precision"):
        tiny_spec(schedule__precision="half")


def test_refractoriness_is_tested_by_a_comparison_of_times(sim):
    """The compiled state update compares t - lastspike with a time computed
    once per step (no division per neuron); for times on the step grid,
    rounded as a simulation rounds them, it decides as Brian2's
    timestep(t - lastspike, dt) >= timestep(refractory, dt) does."""
    from stdpnet.engine.cache import cache_root
    from stdpnet.engine.kernels import refractory_by_comparison
    code = (cache_root() / "standalone" / sim._key(True) / "code_objects").glob("excitatory_stateupdater*.cpp")
    text = "".join(p.read_text() for p in code)
    assert "(t - lastspike) >= ((double)_lio_" in text and "_timestep(t - lastspike" not in text
    assert refractory_by_comparison(["a", "x = _timestep(t - lastspike, dt) >= k;"]) == \
        "a\nx = (t - lastspike) >= ((double)k - 1e-3) * dt;"
    rng = np.random.default_rng(0)
    for dt in (0.5e-3, 1e-3, 0.25e-3):
        steps = rng.integers(0, 700_000, 20_000)
        shift = rng.choice([0.0, 350.0, 700.0], steps.size)   # a later chunk shifts both
        t = steps * dt - shift
        lastspike = (steps - rng.integers(0, 40, steps.size)) * dt - shift
        lastspike[:100] = -1e4                                  # never fired, or reset
        for k in (0, 1, 4, 10, 20):
            brian = np.trunc((t - lastspike + 1e-3 * dt) / dt).astype(np.int64) >= k
            np.testing.assert_array_equal((t - lastspike) >= (k - 1e-3) * dt, brian)
