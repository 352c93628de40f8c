"""The audio-visual network: cross-modal synapses, their learning gate, readout."""
from __future__ import annotations

import numpy as np
import pytest

from stdpnet.engine.multimodal import MultimodalSimulator
from stdpnet.engine.present import present
from stdpnet.engine.simulator import TEST, TRAIN, Simulator
from stdpnet.errors import ConfigError, StdpnetError
from stdpnet.experiments import audiovisual, robustness
from stdpnet.experiments.audiovisual import pair_indices
from stdpnet.readout import combine, likelihood, vote
from stdpnet.spec.grid import flatten
from stdpnet.readout.combine import combined_vote
from stdpnet.spec import Cross, MultimodalSpec, Pairs, load_multimodal_spec

from conftest import REPO, bar_images, tiny_spec

N_IMAGE, N_AUDIO = 64, 48  # 8x8 bars, and a 48-input stand-in for audio


def tiny_multimodal(**cross) -> MultimodalSpec:
    image = tiny_spec()
    audio = tiny_spec(excitatory__n_neurons=8)
    return MultimodalSpec(name="tiny_mm", seed=5, device="runtime", image_spec="-", audio_spec="-",
                          cross=Cross(**cross), pairs=Pairs(train_pairs=20, assign_pairs=20,
                                                            test_pairs=20),
                          image=image, audio=audio).validate()


def joint_sim(m: MultimodalSpec) -> tuple[MultimodalSimulator, dict]:
    sim = MultimodalSimulator(m, N_IMAGE, N_AUDIO, device="standalone", slots=10)
    state = sim.joint_state(Simulator(m.image, N_IMAGE, device="runtime").initial_state(1),
                            Simulator(m.audio, N_AUDIO, device="runtime").initial_state(2))
    return sim, state


def paired_rows(n, image=True, audio=True, seed=0):
    x = np.zeros((n, N_IMAGE + N_AUDIO))
    if image:
        x[:, :N_IMAGE] = bar_images(n, seed)[0]
    if audio:
        x[:, N_IMAGE:] = np.random.default_rng(seed).uniform(0, 255, (n, N_AUDIO))
    return x


@pytest.fixture(scope="module")
def learning_network():
    # depression-heavy rule (x_tar 0.5) from w = 0.5: any learning moves the weights
    return joint_sim(tiny_multimodal(w_init=0.5, x_tar=0.5, eta=0.2, gain=2.0))


@pytest.mark.parametrize("image, audio, mode, learns", [
    (True, False, TRAIN, False),   # image alone: no cross-modal learning
    (False, True, TRAIN, False),   # audio alone: none either
    (True, True, TEST, False),     # both, but testing
    (True, True, TRAIN, True),     # both, training: the cross-modal weights learn
])
def test_cross_modal_synapses_learn_only_when_both_modalities_are_shown(
        learning_network, image, audio, mode, learns):
    sim, state = learning_network
    counts, after, _ = present(sim, paired_rows(10, image, audio), mode, state, quiet=True)
    changed = [not np.array_equal(after[f"{k}.w"], state[f"{k}.w"])
               for k in ("image_to_audio", "audio_to_image")]
    assert changed == [learns, learns]
    # the ensembles themselves are frozen in the joint network
    for part in ("image", "audio"):
        np.testing.assert_array_equal(after[f"{part}_input_exc.w"], state[f"{part}_input_exc.w"])
        np.testing.assert_array_equal(after[f"{part}_excitatory.theta"], state[f"{part}_excitatory.theta"])
    if learns:
        for k in ("image_to_audio", "audio_to_image"):
            assert after[f"{k}.w"].min() >= 0.0 and after[f"{k}.w"].max() <= 1.0
            assert after[f"{k}.w"].mean() < state[f"{k}.w"].mean()  # mostly depressed, never below 0


def test_cross_modal_synapses_only_excite_the_other_ensemble(learning_network):
    sim, state = learning_network
    sim.mspec.cross.gain = 30.0  # a run-time parameter: the same compiled network
    state = {**state, "image_to_audio.w": np.zeros_like(state["image_to_audio.w"])}
    x = paired_rows(10, image=True, audio=False)
    model = sim._model(False)
    for syn in (model.image_to_audio, model.audio_to_image):
        assert syn.target.name.endswith("_excitatory")  # never the inhibitory layer
    silent, _, _ = present(sim, x, TEST, state, quiet=True)
    assert silent[:, 10:].sum() == 0  # no audio input, no cross weights: audio is quiet
    strong = {**state, "image_to_audio.w": np.ones_like(state["image_to_audio.w"])}
    driven, _, _ = present(sim, x, TEST, strong, quiet=True)
    assert driven[:, 10:].sum() > 0   # cross-modal excitation alone makes it fire
    # and it does not change how the image ensemble answers its own input much
    assert driven[:, :10].sum() >= 0.5 * silent[:, :10].sum()


def test_pairs_match_digits_and_are_seeded():
    audio_y = np.repeat(np.arange(10), 5)
    image_y = np.random.default_rng(0).integers(0, 10, 500)
    a, i = pair_indices(audio_y, image_y, 120, np.random.default_rng(3))
    assert len(a) == 120 and np.array_equal(audio_y[a], image_y[i])
    assert np.bincount(a, minlength=50).min() >= 2  # every recording is used, cycled
    a2, i2 = pair_indices(audio_y, image_y, 120, np.random.default_rng(3))
    assert np.array_equal(a, a2) and np.array_equal(i, i2)
    with pytest.raises(StdpnetError, match="class 9"):
        pair_indices(audio_y, np.where(image_y == 9, 0, image_y), 10, np.random.default_rng(0))


def test_scored_pairs_weigh_every_digit_alike():
    audio_y = np.repeat(np.arange(10), 50)          # recordings sorted by digit, as listed
    image_y = np.random.default_rng(0).integers(0, 10, 500)
    for n in (300, 1100):                          # not a multiple of the 500 recordings
        a, i = pair_indices(audio_y, image_y, n, np.random.default_rng(3), shuffle=False)
        counts = np.bincount(audio_y[a], minlength=10)
        assert len(a) == n and counts.max() - counts.min() <= 1, counts
        assert np.array_equal(audio_y[a], image_y[i])
    a, _ = pair_indices(audio_y, image_y, 1000, np.random.default_rng(3), shuffle=False)
    assert np.array_equal(a, np.tile(np.arange(500), 2))   # a multiple: each recording twice, in order


def test_combined_vote_sums_or_normalises_and_a_silent_ensemble_abstains():
    rates_i = np.array([[1, 1, 0, 0], [0, 0, 1, 1]])     # neuron labels 0, 0, 1, 1
    rates_a = np.array([[1, 0], [0, 1]])                 # neuron labels 0, 1
    image = np.array([[4, 4, 0, 0], [0, 0, 0, 0], [3, 3, 1, 1]])
    audio = np.array([[0, 9], [0, 5], [0, 2]])
    # class scores, image | audio:  (4, 0) | (0, 9);  (0, 0) | (0, 5);  (3, 1) | (0, 2)
    # summed:      (4, 9) -> 1;  (0, 5) -> 1;  (3, 3) tie -> lowest class 0
    # normalised:  (1, 1) tie -> 0;  (0, 1) -> 1;  (0.75, 0.25 + 1) -> 1
    assert combined_vote(image, rates_i, audio, rates_a, "summed").tolist() == [1, 1, 0]
    assert combined_vote(image, rates_i, audio, rates_a, "normalised").tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="vote"):
        combined_vote(image, rates_i, audio, rates_a, "max")


def test_likelihood_vote_and_a_silent_ensemble_abstaining():
    # image: neuron 0 (label 0) fires ~10 for class 0 but ~8 for class 1 as
    # well; neuron 1 (label 1) fires 1 for class 1 and rarely for class 0; the
    # likelihood reads [9, 1] as class 1 (see test_readout), the vote as class 0
    rates_i = np.array([[10.0, 0.1], [8.0, 1.0]])
    image = np.array([[9, 1]])
    # a silent audio ensemble abstains: without that, its class-1 rate (50
    # spikes expected, none seen) would decide for class 0
    rates_a = np.array([[0.1], [50.0]])
    silent = np.zeros((1, 1), dtype=int)
    assert combined_vote(image, rates_i, silent, rates_a, "likelihood").tolist() == [1]
    assert combined_vote(image, rates_i, silent, rates_a, "summed").tolist() == [0]


def test_vote_holdout_scores_each_rule_on_pairs_it_did_not_label_with():
    """A quiet but exact image ensemble and a loud, uninformative audio one:
    summed votes follow the audio noise (about chance), normalised votes the image."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    image = np.eye(2, dtype=int)[labels]                 # neuron k fires once for class k
    audio = rng.poisson(50, size=(400, 2))               # class-blind
    held = combine.vote_holdout(np.hstack([image, audio]), labels, 2, 2, np.random.default_rng(1))["clean"]
    assert held["normalised"] == 1.0
    assert 0.35 < held["summed"] < 0.65
    assert held["likelihood"] > 0.9   # the audio counts are equally likely under both classes
    assert held["calibrated"] > 0.9
    # an audio neuron per pair, silent for every other: it names its pair's class when the
    # pairs it was labelled with are scored, nothing when they are held out (the image is noise)
    noise = rng.poisson(5, size=(400, 2))
    memorised = combine.vote_holdout(np.hstack([noise, 20 * np.eye(400, dtype=int)]), labels, 2, 2,
                                     np.random.default_rng(1))["clean"]
    assert all(0.35 < accuracy < 0.65 for accuracy in memorised.values()), memorised


def test_calibration_turns_down_an_over_confident_ensemble():
    """Audio: loud counts that point to the right class on only 60% of pairs;
    its raw log-likelihoods are huge and outvote a quieter image ensemble that
    is right on 90%. Fitted on held-out pairs, the calibrated rule weighs the
    audio far less and follows the image."""
    rng = np.random.default_rng(2)
    n = 2000
    labels = rng.integers(0, 2, n)
    said_i = np.where(rng.random(n) < 0.9, labels, 1 - labels)
    said_a = np.where(rng.random(n) < 0.6, labels, 1 - labels)
    image = rng.poisson(np.where(np.eye(2)[said_i] > 0, 3.0, 0.3))
    audio = rng.poisson(np.where(np.eye(2)[said_a] > 0, 60.0, 5.0))
    reliability = combine.calibrate(np.hstack([image, audio]), labels, 2, 2, np.random.default_rng(0))
    fit, test = slice(0, n // 2), slice(n // 2, None)
    ri, ra = vote.class_rates(image[fit], labels[fit], 2), vote.class_rates(audio[fit], labels[fit], 2)
    acc = {rule: vote.accuracy(labels[test], combined_vote(image[test], ri, audio[test], ra, rule,
                                                             reliability))
           for rule in ("likelihood", "calibrated")}
    assert acc["likelihood"] < 0.7 and acc["calibrated"] > 0.8


def test_calibrated_rule_ignores_an_ensemble_whose_counts_no_class_explains():
    """Two classes, two audio neurons, one per class. On clean pairs one of
    them fires; a drowned recording makes both fire alike, which the
    class-blind model explains better than either class: its evidence is
    below 0, its weight near 0, and the image ensemble decides alone, even
    where the audio counts lean the wrong way."""
    rates = np.array([[8.0, 0.2], [0.2, 8.0]])
    clean_a = np.array([[9, 0], [0, 7]])
    drowned_a = np.array([[9, 7], [6, 8]])
    image = np.array([[0, 3], [3, 0]])                    # weak image evidence: class 1, class 0
    rates_i = np.array([[1.0, 0.5], [0.5, 1.0]])
    assert (likelihood.evidence_per_spike(clean_a, rates) > 0.6).all()   # log(8 / 4.1) per spike
    assert (likelihood.evidence_per_spike(drowned_a, rates) < 0).all()
    reliability = np.array([[0.5, 0.0, 0.0], [-6.0, 10.0, 0.0]])   # audio: 0.0025 at evidence 0, 1.1 at 0.67
    assert combined_vote(image, rates_i, drowned_a, rates, "calibrated", reliability).tolist() == [1, 0]
    assert combined_vote(image, rates_i, drowned_a, rates, "likelihood").tolist() == [0, 1]
    assert combined_vote(image, rates_i, clean_a, rates, "calibrated", reliability).tolist() == [0, 1]
    with pytest.raises(ValueError, match="reliability"):
        combined_vote(image, rates_i, clean_a, rates, "calibrated")


def two_class_pairs(seed: int, n: int, image_right: float, audio_rate: float):
    """Synthetic labelling pairs of two classes, one neuron per class in each
    ensemble: an image ensemble whose counts (rate 4 for the class it saw, 1
    for the other) point to the right class on ``image_right`` of the pairs,
    and an audio ensemble always right (rate ``audio_rate`` against 1).
    Returns the random generator (for what the test draws next), the labels
    and both ensembles' counts."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    said_i = np.where(rng.random(n) < image_right, labels, 1 - labels)
    image = rng.poisson(np.where(np.eye(2)[said_i] > 0, 4.0, 1.0))
    audio = rng.poisson(np.where(np.eye(2)[labels] > 0, audio_rate, 1.0))
    return rng, labels, image, audio


def test_calibration_on_corrupted_pairs_learns_to_discount_a_corrupted_ensemble():
    """Audio that is always right on clean pairs; on corrupted pairs its two
    neurons fire alike at a lower evidence and point to a random class. Fitted
    on clean pairs only, the rule trusts the audio whatever its evidence and
    falls to chance where the audio is corrupted; fitted with the corrupted
    counts of the same pairs, it weighs low-evidence audio down and keeps the
    image ensemble's accuracy there, without losing the clean pairs."""
    n = 2000
    rng, labels, image, audio = two_class_pairs(5, n, image_right=0.8, audio_rate=20.0)
    lean = np.eye(2)[rng.integers(0, 2, n)]
    corrupted_audio = rng.poisson(10.0 + 4.0 * lean)
    clean, corrupted = np.hstack([image, audio]), np.hstack([image, corrupted_audio])
    fit, test = slice(0, n // 2), slice(n // 2, None)
    ri, ra = vote.class_rates(image[fit], labels[fit], 2), vote.class_rates(audio[fit], labels[fit], 2)
    image_alone = vote.accuracy(labels[test], vote.predict(image[test], vote.labels_from_rates(ri), 2))
    acc = {}
    for name, extra in (("clean fit", None), ("with corrupted", corrupted[fit])):
        reliability = combine.calibrate(clean[fit], labels[fit], 2, 2, np.random.default_rng(0), corrupted=extra)
        for part, counts in (("clean", clean), ("corrupted", corrupted)):
            pred = combined_vote(counts[test, :2], ri, counts[test, 2:], ra, "calibrated", reliability)
            acc[name, part] = vote.accuracy(labels[test], pred)
    assert acc["clean fit", "corrupted"] < 0.65                 # follows the random audio
    assert acc["with corrupted", "corrupted"] >= image_alone - 0.02
    assert acc["with corrupted", "clean"] > 0.97


def test_tilt_trades_clean_accuracy_for_the_heavily_corrupted_pairs():
    """Babble that makes the audio ensemble hear another talker's digit, with
    counts the reliability features cannot tell from a clean recording's
    (on 40% of the heavily corrupted pairs): the untilted rule follows the
    audio there, well below the image ensemble alone. The tilt chosen on the
    first half of the pairs turns the audio down until, on the second half,
    both targets hold: clean accuracy at the floor asked for, the babble
    pairs at the image ensemble's accuracy. A higher floor keeps more of the
    audio's say."""
    n = 2000
    rng, labels, image, audio = two_class_pairs(7, n, image_right=0.85, audio_rate=12.0)
    noise = np.where(rng.random(n) < 0.5, "audio:babble", "audio:white")
    severity = rng.random(n)
    heavy = severity >= combine.HEAVY
    talker = np.where(heavy & (rng.random(n) < 0.4), 1 - labels, labels)
    babble = rng.poisson(np.where(np.eye(2)[talker] > 0, 6.0, 1.0))
    drowned = severity[:, None]
    white = rng.poisson(np.where(np.eye(2)[labels] > 0, 12.0 - 6 * drowned, 1.0 + 5 * drowned))
    corrupted_audio = np.where((noise == "audio:babble")[:, None], babble, white)
    clean, corrupted = np.hstack([image, audio]), np.hstack([image, corrupted_audio])
    fit, test = slice(0, n // 2), slice(n // 2, None)
    reliability = combine.calibrate(clean[fit], labels[fit], 2, 2, np.random.default_rng(0), corrupted[fit])
    ri, ra = vote.class_rates(image[fit], labels[fit], 2), vote.class_rates(audio[fit], labels[fit], 2)
    babbled = (noise[test] == "audio:babble") & heavy[test]
    image_alone = np.mean(vote.predict(image[test], vote.labels_from_rates(ri), 2)[babbled]
                          == labels[test][babbled])

    def held_out(tilt):
        on_clean = combined_vote(image[test], ri, audio[test], ra, "calibrated", reliability, tilt)
        on_babble = combined_vote(image[test], ri, corrupted_audio[test], ra, "calibrated", reliability, tilt)
        return np.mean(on_clean == labels[test]), np.mean(on_babble[babbled] == labels[test][babbled])

    tilts = {floor: combine.choose_tilt(clean[fit], labels[fit], 2, 2, np.random.default_rng(1), reliability,
                                        corrupted[fit], noise[fit], severity[fit], floor)[0]
             for floor in (0.9, 1.0)}
    clean_untilted, babble_untilted = held_out(1.0)
    assert babble_untilted < image_alone - 0.1            # measured 0.645 against 0.794
    clean_acc, babble_acc = held_out(tilts[0.9])
    assert tilts[0.9] < 0.5                               # measured 0.25
    assert clean_acc >= 0.9 and babble_acc >= image_alone - 0.02   # 0.915; 0.807
    assert tilts[1.0] > tilts[0.9] and held_out(tilts[1.0])[0] > clean_acc
    assert clean_untilted > 0.99


def test_corrupted_labelling_pairs_corrupt_one_modality_each(small_audiovisual):
    """Half the pairs (seeded) get a corrupted recording, the other half a
    corrupted image, never both; the inputs stay in range; the same seed
    gives the same corruption."""
    run_dir, _ = small_audiovisual
    m = audiovisual.open_run(run_dir)
    data = audiovisual.load_data(m)
    a_idx, i_idx = (idx[:100] for idx in audiovisual.labelling_pairs(m, data))
    image_x, audio_x, noise, severity = audiovisual.corrupted_pairs(m, data, a_idx, i_idx,
                                                                    np.random.default_rng(3))
    image_changed = (image_x != data.image.train_x[i_idx]).any(axis=1)
    audio_changed = (audio_x != data.audio.train_x[a_idx]).any(axis=1)
    audio_half = combine.two_halves(len(a_idx), np.random.default_rng(3))
    assert not audio_changed[~audio_half].any() and not image_changed[audio_half].any()
    assert audio_changed[audio_half].mean() > 0.9
    assert image_changed[~audio_half].mean() > 0.7   # a small occluding patch may land on background
    assert 0 <= image_x.min() and image_x.max() <= 255 and 0 <= audio_x.min() and audio_x.max() <= 255
    # each pair's noise names the corrupted modality; severity spans the kinds' ranges
    assert (np.char.startswith(noise, "audio") == audio_half).all()
    assert set(noise) <= {f"{mod}:{kind}" for mod in ("image", "audio")
                          for kind, _, _ in audiovisual.CALIBRATION_NOISE[mod]}
    assert 0 <= severity.min() < 0.2 and 0.8 < severity.max() <= 1
    again = audiovisual.corrupted_pairs(m, data, a_idx, i_idx, np.random.default_rng(3))   # seeded
    np.testing.assert_array_equal(again[0], image_x)
    np.testing.assert_array_equal(again[1], audio_x)
    np.testing.assert_array_equal(again[3], severity)


def test_multimodal_spec_errors_name_the_key(tmp_path):
    (tmp_path / "a.toml").write_text((REPO / "networks" / "fsdd_audio.toml").read_text())
    (tmp_path / "i.toml").write_text((REPO / "networks" / "mnist_quick.toml").read_text())
    good = 'name = "x"\nimage_spec = "i.toml"\naudio_spec = "a.toml"\n'
    (tmp_path / "m.toml").write_text(good)
    assert load_multimodal_spec(tmp_path / "m.toml").audio.data.dataset == "fsdd"
    for text, key in ((good + "[cross]\ngain = -1\n", "cross.gain"),
                      (good + "colour = 1\n", "colour"),
                      (good + "[readout]\nvote = \"max\"\n", "readout.vote"),
                      ('name = "x"\nimage_spec = "i.toml"\naudio_spec = "missing.toml"\n', "audio_spec"),
                      ('name = "x"\nimage_spec = "i.toml"\n', "audio_spec: missing"),
                      ('image_spec = "i.toml"\naudio_spec = "a.toml"\n', "name: missing")):
        (tmp_path / "m.toml").write_text(text)
        with pytest.raises(ConfigError, match=key):
            load_multimodal_spec(tmp_path / "m.toml")
    (tmp_path / "a.toml").write_text((REPO / "networks" / "fsdd_audio.toml").read_text()
                                     .replace("[schedule]", "[schedule]\npresentation_ms = 300.0"))
    (tmp_path / "m.toml").write_text(good)
    with pytest.raises(ConfigError, match="schedule.presentation_ms"):
        load_multimodal_spec(tmp_path / "m.toml")
    for name in ("a.toml", "i.toml"):   # a coarser test step in both: still refused, by name
        spec = "fsdd_audio.toml" if name == "a.toml" else "mnist_quick.toml"
        (tmp_path / name).write_text((REPO / "networks" / spec).read_text()
                                     .replace("[schedule]", "[schedule]\ntest_dt_ms = 1.0"))
    with pytest.raises(ConfigError, match="image spec: schedule.test_dt_ms"):
        load_multimodal_spec(tmp_path / "m.toml")
    (tmp_path / "i.toml").write_text((REPO / "networks" / "mnist_quick.toml").read_text())
    (tmp_path / "a.toml").write_text((REPO / "networks" / "fsdd_audio.toml").read_text()
                                     .replace("[data]", "[data]\nrefit = true"))
    with pytest.raises(ConfigError, match="audio spec: data.refit"):   # validation pairs stay apart
        load_multimodal_spec(tmp_path / "m.toml")
    (tmp_path / "a.toml").write_text((REPO / "networks" / "fsdd_audio.toml").read_text())
    (tmp_path / "i.toml").write_text((REPO / "networks" / "mnist_quick.toml").read_text()
                                     .replace("[data]", "[data]\nequal_totals = true"))
    with pytest.raises(ConfigError, match="image spec: data.equal_totals"):  # noise works on 0..255
        load_multimodal_spec(tmp_path / "m.toml")
    mnist = (REPO / "networks" / "mnist_quick.toml").read_text()
    for dataset, preprocess, refused in (("folder", "on_off", True), ("caltech101", "dog", True),
                                         ("torchvision:CIFAR10", "on_off", True), ("folder", "gray", False),
                                         ("torchvision:FashionMNIST", "on_off", False)):
        (tmp_path / "i.toml").write_text(mnist.replace(
            'dataset = "mnist"', f'dataset = "{dataset}"\nroot = "{tmp_path}"\npreprocess = "{preprocess}"'))
        if refused:   # noise would land on the ON/OFF maps, not on the picture
            with pytest.raises(ConfigError, match=f"image spec: data.preprocess = '{preprocess}'"):
                load_multimodal_spec(tmp_path / "m.toml")
        else:
            assert load_multimodal_spec(tmp_path / "m.toml").image.data.preprocess == preprocess


def test_noise_names_are_checked():
    assert robustness.parse_noise("audio:babble") == ("audio", "babble")
    with pytest.raises(ConfigError, match="image:gaussian"):
        robustness.parse_noise("image:white")


@pytest.fixture(scope="module")
def small_audiovisual(tmp_path_factory, mnist_available):
    """MNIST and FSDD ensembles of 30 neurons each, 600 training examples each,
    400 pairs for the cross-modal synapses; 300 labelling and 250 test pairs."""
    from stdpnet.data.paths import shared_datasets
    if not (shared_datasets() and (shared_datasets() / "fsdd" / "recordings").is_dir()):
        pytest.skip("FSDD recordings not available")
    from stdpnet.spec import Spec
    image = Spec(name="image", seed=1)
    image.data.train_examples = 600
    audio = Spec(name="audio", seed=1)
    audio.data.dataset = "fsdd"
    audio.data.train_examples = 600
    for spec in (image, audio):
        spec.excitatory.n_neurons = 30
        spec.connections.delay_max_ms = 0.0
        spec.schedule.checkpoint_every = 200
        spec.validate()
    m = MultimodalSpec(name="small_av", seed=1, image_spec="-", audio_spec="-",
                       cross=Cross(x_tar=0.02),  # the setting the floor below was measured with
                       pairs=Pairs(train_pairs=400, assign_pairs=300, test_pairs=250),
                       image=image, audio=audio).validate()
    run_dir = audiovisual.create_run(tmp_path_factory.mktemp("av") / "run", m)
    data = audiovisual.load_data(m)
    audiovisual.train_cross(m, run_dir, data, quiet=True, log=lambda *_: None)
    return run_dir, audiovisual.evaluate(run_dir, data=data, quiet=True, split="test")


def test_both_modalities_beat_the_better_one(small_audiovisual):
    _, result = small_audiovisual
    acc = result["accuracy"]
    # measured (seed 1): image 0.488, audio 0.596, both 0.784
    assert acc["both"] >= max(acc["image"], acc["audio"]) + 0.05
    assert result["cross_modal_gain"] == pytest.approx(acc["both"] - max(acc["image"], acc["audio"]), abs=1e-4)


def test_multimodal_run_folder_holds_what_the_readme_lists(small_audiovisual):
    run_dir, result = small_audiovisual
    for name in ("spec.toml", "image/weights.npz", "audio/weights.npz", "cross.npz",
                 "readout.npz", "metrics.json"):
        assert (run_dir / name).is_file(), name
    m = audiovisual.open_run(run_dir)  # the saved spec reopens with its two sub-specs
    assert m.image.excitatory.n_neurons == 30 and m.audio.data.dataset == "fsdd"
    assert result["split"] == "test" and result["recordings"] == 250 and result["pairs"] == 250


def test_evaluate_and_robustness_commands_on_a_multimodal_run(small_audiovisual):
    """`stdpnet evaluate` re-evaluates a multimodal run (every combining rule,
    cross-validated on the labelling pairs); `stdpnet robustness` at noise 0
    reproduces that evaluation pair for pair, and strong image noise hurts the image."""
    import csv
    import json
    from click.testing import CliRunner
    from stdpnet.cli import main
    run_dir, first = small_audiovisual
    cli = CliRunner()
    out = cli.invoke(main, ["evaluate", str(run_dir), "--split", "test", "--quiet", "--jobs", "1"])
    assert out.exit_code == 0, out.output
    assert "votes on the labelling pairs" in out.output and "both, summed" in out.output
    again = json.loads((run_dir / "metrics.json").read_text())
    assert again["evaluate"]["test"]["accuracy"] == first["accuracy"]      # the same counts, run again
    rules = {"likelihood", "summed", "normalised", "calibrated"}
    kinds = set(np.load(run_dir / "readout.npz")["corruption_noise"])
    assert len(kinds) == 5    # every noise kind drawn among the 300 corrupted labelling pairs
    held = again["evaluate"]["test"]["vote_holdout"]
    assert set(held) == {"clean", "corrupted", "heavy"}
    assert set(held["clean"]) == set(held["corrupted"]) == rules
    assert set(held["heavy"]) == kinds
    assert all(set(h) == {"calibrated", "clean_modality_alone"} for h in held["heavy"].values())
    assert set(again["evaluate"]["test"]["reliability"]) == {"image", "audio"}
    assert again["evaluate"]["test"]["tilt"] in np.round(combine.TILTS, 4)
    choice = again["evaluate"]["test"]["tilt_choice"]
    assert set(choice) == {"untilted", "tilted", "clean_modality_alone"}
    assert set(choice["tilted"]) == {"clean", "heavy"} and set(choice["tilted"]["heavy"]) == kinds
    assert "heavily corrupted labelling pairs" in out.output
    out = cli.invoke(main, ["robustness", str(run_dir), "--noise", "image:gaussian", "--levels", "0,1",
                            "--split", "test", "--quiet", "--jobs", "1"])
    assert out.exit_code == 0, out.output
    with open(run_dir / "robustness_image-gaussian.csv") as f:
        clean, noisy = list(csv.DictReader(f))
    for key in ("image", "audio", "both", "both_by_rule.summed", "both_by_rule.normalised",
                "both_by_rule.calibrated"):
        expected = flatten(first["accuracy"])[key]
        assert float(clean[f"acc_{key}"]) == pytest.approx(expected), key
    out = cli.invoke(main, ["robustness", str(run_dir), "--noise", "audio:babble", "--levels", "20",
                            "--split", "test", "--quiet", "--jobs", "1"])   # talkers named in errors
    assert out.exit_code == 0 and (run_dir / "robustness_audio-babble.csv").is_file(), out.output
    kept = np.load(run_dir / "robustness_image-gaussian.npz")      # the counts behind the table
    assert kept["levels"].tolist() == [[0.0], [1.0]]
    (_, again_clean), (level, again) = robustness.rescore(run_dir)["image-gaussian"]
    assert level == [1.0] and again_clean["both"] == pytest.approx(first["accuracy"]["both"])
    assert again["image"] == pytest.approx(float(noisy["acc_image"]), abs=1e-4)
    assert again["both"] == pytest.approx(float(noisy["acc_both"]), abs=1e-4)
    assert float(noisy["acc_image"]) < float(clean["acc_image"]) - 0.1
    assert float(noisy["acc_audio"]) == float(clean["acc_audio"])   # the recordings are untouched


def test_a_noise_level_draws_the_same_noise_wherever_it_stands_in_a_sweep():
    from types import SimpleNamespace as NS
    images = np.random.default_rng(0).integers(0, 256, size=(6, 64)).astype(float)
    m = NS(seed=4)
    data = NS(image=NS(split=lambda _: (images, None), shape=(8, 8)),
              audio=NS(split=lambda _: (np.zeros((6, 3)), None)))
    ts = audiovisual.ScoredPairs("test", np.arange(6), np.arange(6), np.zeros(6, dtype=int))
    alone, _ = robustness.noisy_inputs(m, data, ts, [("image", "gaussian", [0.8])], 0, None)
    in_sweep, _ = robustness.noisy_inputs(m, data, ts, [("image", "gaussian", [0.0, 0.4, 0.8])], 2, None)
    np.testing.assert_array_equal(alone, in_sweep)
    other, _ = robustness.noisy_inputs(m, data, ts, [("image", "salt_pepper", [0.8])], 0, None)
    assert not np.array_equal(alone, other)
    # a different level, or another modality, draws from another stream
    draws = {robustness.noise_rng(4, mod, kind, level).random()
             for mod, kind, level in (("image", "gaussian", 0.8), ("image", "gaussian", 0.4),
                                      ("audio", "white", 0.8))}
    assert len(draws) == 3


def test_evaluating_again_labels_only_a_changed_network(small_audiovisual, monkeypatch, tmp_path):
    """The labelling counts are kept with the network they came from: the
    same run evaluated again labels nothing anew and scores the same; a
    changed network labels again."""
    import shutil
    from stdpnet import runs
    from stdpnet.experiments import kept
    run_dir, first = small_audiovisual
    real, shown = kept.present_kept, []

    def present(sim, images, state, partial, digest, jobs, desc, *args, **kwargs):
        shown.append(desc)
        return real(sim, images, state, partial, digest, jobs, desc, *args, **kwargs)
    monkeypatch.setattr(kept, "present_kept", present)
    again = audiovisual.evaluate(run_dir, quiet=True, jobs=1, split="test")
    assert shown and not [d for d in shown if d.startswith("labelling")]
    assert again["accuracy"] == first["accuracy"] and again["tilt"] == first["tilt"]
    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    ckpt = runs.load_checkpoint(other)
    key = next(k for k, v in sorted(ckpt.state.items()) if v.dtype.kind == "f" and np.ptp(v) > 0)
    ckpt.state[key] = ckpt.state[key][::-1].copy()
    runs.save_checkpoint(other, ckpt)
    shown.clear()
    audiovisual.evaluate(other, quiet=True, jobs=1, split="test")
    assert [d for d in shown if d.startswith("labelling")] == ["labelling", "labelling (corrupted)"]


def test_an_evaluation_stopped_while_labelling_or_scoring_goes_on_from_its_last_block(
        small_audiovisual, monkeypatch, tmp_path):
    """Blocks of 200 pairs (300 labelling pairs, clean then corrupted; 250
    test pairs per mode). Ctrl-C in the clean labelling's second block, then,
    run again, in the audio mode's second: each time the run again shows only
    the blocks not yet shown, and ends with the figures of an evaluation
    never stopped, leaving no partial file."""
    import shutil
    import time
    from stdpnet import runs
    from stdpnet.engine import present as engine
    from stdpnet.experiments import kept
    from stdpnet.experiments.progress import task_progress     # what a sweep's bar shows
    run_dir, first = small_audiovisual
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (run / runs.READOUT).unlink()                              # labelled anew
    monkeypatch.setattr(kept, "BLOCK_WORK", 1)                 # one chunk (200 pairs) a block
    real, shown, stop = engine.present_split, [], [2]

    spent = []      # seconds of each block shown

    def present(sim, x, *args, first_example=0, **kwargs):
        shown.append((first_example, len(x)))
        if len(shown) in stop:
            raise KeyboardInterrupt
        t0 = time.perf_counter()
        out = real(sim, x, *args, first_example=first_example, **kwargs)
        spent.append(time.perf_counter() - t0)
        return out
    monkeypatch.setattr(engine, "present_split", present)
    with pytest.raises(KeyboardInterrupt):
        audiovisual.evaluate(run, quiet=True, jobs=1, split="test")
    assert task_progress([run]) == {"labelling": (1, 200, 300)}
    shown.clear()
    stop[:] = [7]   # clean labelling's last block, corrupted labelling's two, the image mode, audio's
    with pytest.raises(KeyboardInterrupt):
        audiovisual.evaluate(run, quiet=True, jobs=1, split="test")
    assert shown == [(200, 100), (0, 200), (200, 100), (0, 200), (200, 50), (0, 200), (200, 50)]
    assert not list(run.glob(f"*{kept.LABELLING_PARTIAL}"))    # the labelling is in readout.npz
    assert task_progress([run]) == {"scoring": (1, 200, 250)}  # the image mode done, audio midway
    before = sum(float(np.load(p)["seconds"]) for p in run.glob(f"*{kept.SCORING_PARTIAL}"))
    shown.clear()
    stop.clear()
    spent.clear()
    again = audiovisual.evaluate(run, quiet=True, jobs=1, split="test")
    assert shown == [(200, 50), (0, 200), (200, 50)]            # audio's last block, then both
    assert again["seconds"] >= before + sum(spent) - 0.01       # the time spent before counted
    assert not list(run.glob("*.partial.npz"))
    for key in ("accuracy", "tilt", "reliability", "cross_modal_gain"):
        assert again[key] == first[key], key


def test_an_interrupted_robustness_curve_keeps_its_measured_levels(small_audiovisual, monkeypatch):
    """Ctrl-C during the third noise level; run again, only the levels not yet
    measured are shown to the network, and the curve is the uninterrupted one."""
    run_dir, _ = small_audiovisual
    noises = [("image", "salt_pepper", [0.0, 0.3, 0.6])]
    csv = run_dir / "robustness_image-salt_pepper.validation.csv"
    partial = run_dir / "robustness_image-salt_pepper.validation.partial.npz"
    measure = dict(quiet=True, jobs=1, split="validation", log=lambda *_: None)
    robustness.robustness(run_dir, noises, **measure)
    straight = csv.read_text()
    assert not partial.exists()
    real, shown = robustness.present_modes, []

    def present(*args, **kwargs):
        shown.append(1)
        if len(shown) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(robustness, "present_modes", present)
    csv.unlink()
    with pytest.raises(KeyboardInterrupt):
        robustness.robustness(run_dir, noises, **measure)
    assert partial.exists() and not csv.exists()
    assert not any(tag.endswith(".partial") for tag in robustness.rescore(run_dir))   # not a finished curve
    kept = np.load(partial)           # a level is kept only for the same noise, pairs and network
    labels, network = kept["labels"], str(kept["network"])
    assert set(robustness._levels_done(partial, noises, labels, network)) == {0, 1}
    assert set(robustness._levels_done(partial, [("image", "salt_pepper", [0.0, 0.4, 0.6])],
                                       labels, network)) == {0}
    assert robustness._levels_done(partial, noises, labels[::-1], network) == {}
    assert robustness._levels_done(partial, noises, labels, "another network") == {}
    shown.clear()
    robustness.robustness(run_dir, noises, **measure)
    assert len(shown) == 1 and csv.read_text() == straight and not partial.exists()


def test_a_sweep_runs_audio_visual_networks_as_tasks(small_audiovisual):
    """A multimodal spec is swept like an ensemble's: keys of [cross], [pairs]
    and either ensemble (image.*, audio.*), one seed for all three parts,
    every task validated and named by its full spec; a finished run reports
    both modalities and each alone."""
    from stdpnet.experiments.sweep import run_task, task_metrics, tasks
    run_dir, result = small_audiovisual
    m = audiovisual.open_run(run_dir)
    grid = tasks(m, {"cross.x_tar": [0.01, 0.02], "image.plasticity.x_tar": [0.05]}, [0, 1])
    assert len({t.digest for t in grid}) == 4
    one = grid[-1].spec
    assert one.cross.x_tar == 0.02 and one.image.plasticity.x_tar == 0.05
    assert one.seed == one.image.seed == one.audio.seed == 1
    with pytest.raises(ConfigError, match="image.excitatory.n_neurons=0"):
        tasks(m, {"image.excitatory.n_neurons": [0]}, [0])
    figures = run_task(m, str(run_dir), ("test",))["test"]   # finished: nothing runs
    assert figures == task_metrics(run_dir, "test")
    assert figures["accuracy"] == result["accuracy"]["both"]
    assert figures["accuracy_image"] == result["accuracy"]["image"]
    assert figures["cross_modal_gain"] == result["cross_modal_gain"]


def test_a_reused_task_takes_a_changed_readout_and_is_scored_again_not_trained(small_audiovisual,
                                                                               tmp_path, monkeypatch):
    """A finished run folder that a sweep task reuses but whose [readout]
    differs from the task's (a changed default leaves the digest as it was)
    takes the task's readout and is scored again under it; its trained
    network is kept, not trained again."""
    import shutil
    from stdpnet import runs
    from stdpnet.experiments import sweep
    run_dir, result = small_audiovisual
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    m = audiovisual.open_run(copy)
    assert m.readout.vote == "normalised"
    m.readout.vote = "summed"
    cross = (copy / audiovisual.CROSS).read_bytes()
    monkeypatch.setattr(audiovisual, "train_cross", lambda *a, **k: pytest.fail("trained again"))
    figures = sweep.run_task(m, str(copy), ("test",))["test"]
    assert audiovisual.open_run(copy).readout.vote == "summed"
    assert runs.load_json(copy / runs.METRICS)["evaluate"]["test"]["vote"] == "summed"
    assert figures["accuracy"] == pytest.approx(result["accuracy"]["both_by_rule"]["summed"])
    assert figures["accuracy_image"] == pytest.approx(result["accuracy"]["image"])
    assert (copy / audiovisual.CROSS).read_bytes() == cross
    monkeypatch.setattr(audiovisual, "evaluate", lambda *a, **k: pytest.fail("scored again"))
    assert sweep.run_task(m, str(copy), ("test",))["test"] == figures


def test_plot_draws_both_ensembles_recall_and_audio_without_compiling(small_audiovisual, tmp_path,
                                                                      monkeypatch):
    """`stdpnet plot` on an audio-visual run: receptive fields, cross-modal
    weights, the recall panels, both ensembles' raster and the audio stages;
    the rasters are simulated on the numpy target (no Cython to compile)."""
    import shutil
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager
    from click.testing import CliRunner
    from stdpnet.cli import main

    def no_compiling(*args, **kwargs):
        raise AssertionError("a plot compiled a Cython extension")
    monkeypatch.setattr(cython_extension_manager, "create_extension", no_compiling)
    run = tmp_path / "run"
    shutil.copytree(small_audiovisual[0], run)
    result = CliRunner().invoke(main, ["plot", str(run), "--examples", "2"])
    assert result.exit_code == 0, result.output
    for name in ("receptive_fields_image.png", "receptive_fields_audio.png", "cross_image_to_audio.png",
                 "cross_audio_to_image.png", "recall.png", "raster_multimodal.png", "audio_to_spikes.png"):
        assert f"wrote {run / name}" in result.output and (run / name).stat().st_size > 1000


def test_plot_after_an_evaluation_stopped_while_scoring_draws_what_it_can(small_audiovisual, tmp_path):
    """readout.npz then holds the labelling counts only: the cross-modal
    maps (which need the neurons' labels) are left out, the rest is drawn."""
    import shutil
    from click.testing import CliRunner
    from stdpnet import runs
    from stdpnet.cli import main

    run = tmp_path / "run"
    shutil.copytree(small_audiovisual[0], run)
    readout = runs.load_npz(run / runs.READOUT)
    (run / runs.READOUT).unlink()
    runs.save_npz(run / runs.READOUT, **{k: v for k, v in readout.items()
                                         if not k.startswith(("assign_", "rates_"))})
    result = CliRunner().invoke(main, ["plot", str(run), "--examples", "0"])
    assert result.exit_code == 0, result.output
    assert "receptive_fields_audio.png" in result.output and "cross_image_to_audio" not in result.output


def test_the_ensembles_of_an_audio_visual_spec_hold_images_and_spoken_digits():
    for image, audio, words in (
            (tiny_spec(data__dataset="fsdd"), tiny_spec(), "image_spec: data.dataset 'fsdd'"),
            (tiny_spec(), tiny_spec(data__dataset="mnist"), "audio_spec: data.dataset 'mnist'")):
        with pytest.raises(ConfigError, match=words):
            MultimodalSpec(name="swapped", image_spec="-", audio_spec="-", image=image, audio=audio).validate()


def test_a_task_folder_whose_making_was_cut_short_is_made_again(small_audiovisual, tmp_path, monkeypatch):
    """A sweep worker killed after writing a task's spec but before its two
    ensembles' leaves a folder the task makes again, not one it fails on."""
    from stdpnet import runs
    from stdpnet.experiments import sweep
    from stdpnet.spec import dump_multimodal_spec
    m = audiovisual.open_run(small_audiovisual[0])
    half = tmp_path / "task"
    runs.create(half, m, spec_text=dump_multimodal_spec(m, "image/spec.toml", "audio/spec.toml"))
    assert not audiovisual.is_created(half)

    class Trained(Exception):
        pass

    def train_cross(*args, **kwargs):
        raise Trained
    monkeypatch.setattr(audiovisual, "train_cross", train_cross)
    with pytest.raises(Trained):
        sweep.run_task(m, str(half), ("test",))
    assert audiovisual.is_created(half) and audiovisual.open_run(half).image == m.image


def test_a_sweep_task_scores_its_network_under_noise_once(small_audiovisual, monkeypatch):
    """--noise: a task's row gains each mode's accuracy at each level (level
    0 is the clean evaluation); a finished noise sweep is read back, not run
    again; the recorded figures and noise.md come from those columns."""
    from stdpnet import results
    from stdpnet.experiments import sweep
    from stdpnet.experiments.summary import summarise, write_noise_table
    run_dir, result = small_audiovisual
    m = audiovisual.open_run(run_dir)
    noises = sweep.parse_noises(["image:gaussian=0,1", "audio:white=-5"])
    assert noises[0] == ("image", "gaussian", [0.0, 1.0])
    figures = sweep.run_task(m, str(run_dir), ("test",), None, tuple(noises))["test"]
    for mode in ("image", "audio", "both"):
        assert figures[f"noise_image_gaussian_0_{mode}"] == pytest.approx(result["accuracy"][mode])
    assert figures["noise_image_gaussian_1_image"] < result["accuracy"]["image"] - 0.1
    assert figures["noise_image_gaussian_1_audio"] == pytest.approx(result["accuracy"]["audio"])
    assert figures["noise_audio_white_-5_image"] == pytest.approx(result["accuracy"]["image"])
    monkeypatch.setattr(robustness, "robustness", lambda *a, **k: pytest.fail("measured again"))
    assert sweep.run_task(m, str(run_dir), ("test",), None, tuple(noises))["test"] == figures
    row = {"seed": 1, "task": "x", **{f"test_{k}": v for k, v in figures.items()}}
    names = {column: metric for column, metric, _, _ in results.recorded_noise_columns(row)}
    assert names["test_noise_audio_white_-5_both"] == "accuracy, both modalities, audio white at -5"
    summary = summarise([row], [], ("test",))
    write_noise_table(run_dir, summary, [], ("test",), tuple(noises))
    table = (run_dir / "noise.md").read_text()
    assert f"| image:gaussian | 1 | {100 * figures['noise_image_gaussian_1_image']:.2f}%" in table
    for bad in ("image:gaussian", "image:gaussian=", "image:blur=0.5", "image:gaussian=a"):
        with pytest.raises(ConfigError, match="--noise"):
            sweep.parse_noises([bad])


def test_the_joint_phase_resumes_to_the_same_cross_modal_weights(small_audiovisual, tmp_path):
    """The joint phase stopped after its first chunk and resumed ends with
    the cross-modal weights of the uninterrupted run."""
    import shutil
    from stdpnet import runs
    run_dir, _ = small_audiovisual
    m = audiovisual.open_run(run_dir)
    data = audiovisual.load_data(m)
    copy = tmp_path / "copy"
    audiovisual.create_run(copy, m)
    for part in ("image", "audio"):          # the trained ensembles, as they are
        shutil.rmtree(copy / part)
        shutil.copytree(run_dir / part, copy / part)
    audiovisual.train_cross(m, copy, data, quiet=True, log=lambda *_: None, stop=lambda p: True)
    assert runs.load_checkpoint(copy).progress.position < m.pairs.train_pairs
    assert not (copy / audiovisual.CROSS).exists()
    audiovisual.train_cross(m, copy, data, quiet=True, log=lambda *_: None)
    a, b = np.load(run_dir / audiovisual.CROSS), np.load(copy / audiovisual.CROSS)
    for name in ("image_to_audio", "audio_to_image"):
        np.testing.assert_array_equal(a[name], b[name])


def test_an_audio_visual_run_of_synthetic_audio_is_refused_naming_the_key():
    """Synthetic bars stand in for audio in the simulator's tests only: a run
    (whose calibration corrupts recordings) says so before any data is read."""
    with pytest.raises(ConfigError, match="audio_spec: data.dataset 'synthetic' has no recordings"):
        audiovisual.load_data(tiny_multimodal())


def test_multimodal_command_takes_one_value_per_set_key_and_a_seed_for_every_part():
    from stdpnet.cli import multimodal_with
    from stdpnet.errors import ConfigError
    from stdpnet.spec import load_multimodal_spec

    m = load_multimodal_spec(REPO / "networks" / "audiovisual_quick.toml")
    n = multimodal_with(m, ["image.data.assign_examples=500", "cross.x_tar=0.05"], 4)
    assert (n.image.data.assign_examples, n.cross.x_tar) == (500, 0.05)
    assert n.seed == n.image.seed == n.audio.seed == 4 and n.audio.data == m.audio.data
    assert multimodal_with(m) is m
    with pytest.raises(ConfigError, match="--set image.plasticity.nu_typo: not a key of the spec"):
        multimodal_with(m, ["image.plasticity.nu_typo=1"])
    with pytest.raises(ConfigError, match=r"--seed 2147483648: spec.seed: must be in 0 .. 2147483647"):
        multimodal_with(m, [], 2**31)
