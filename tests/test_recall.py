"""Cross-modal recall: with one modality shown, the other ensemble, driven
only through the cross-modal synapses, names the class; the [cross]
schedule key."""
from __future__ import annotations

import numpy as np
import pytest

from stdpnet.engine.multimodal import MultimodalSimulator
from stdpnet.engine.present import present
from stdpnet.engine.simulator import TEST, TRAIN
from stdpnet.errors import ConfigError
from stdpnet.readout import vote
from stdpnet.spec import Cross, MultimodalSpec, Pairs, load_multimodal_spec

from conftest import REPO, bar_images, tiny_spec

N_IMAGE, N_AUDIO = 64, 48


def pair_task(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of two classes: an 8x8 bar image (horizontal: 0, vertical: 1)
    and a 48-input "recording" lighting 16 random inputs of its class's half
    on a faint background. Returns (rows: image then audio inputs, labels)."""
    images, labels = bar_images(n, seed)
    rng = np.random.default_rng(seed + 1)
    audio = rng.integers(0, 20, (n, N_AUDIO)).astype(float)
    for k, c in enumerate(labels):
        audio[k, c * 24 + rng.choice(24, 16, replace=False)] = 255
    return np.hstack([images, audio]), labels


def recall_spec(**cross) -> MultimodalSpec:
    image, audio = tiny_spec(), tiny_spec(excitatory__n_neurons=8)
    return MultimodalSpec(name="recall", seed=2, device="standalone", image_spec="-", audio_spec="-",
                          cross=Cross(**cross), pairs=Pairs(train_pairs=80, assign_pairs=40, test_pairs=40),
                          image=image, audio=audio).validate()


def only(x: np.ndarray, modality: str) -> np.ndarray:
    """The pairs' rows with only ``modality`` shown (the other all zeros: silent)."""
    keep = slice(0, N_IMAGE) if modality == "image" else slice(N_IMAGE, None)
    out = np.zeros_like(x)
    out[:, keep] = x[:, keep]
    return out


def recall(sim: MultimodalSimulator, state: dict, labelling, scored) -> dict:
    """Each direction's recall (the silent ensemble's vote, under labels from
    pairs shown with both modalities) and the silent ensemble's spikes."""
    n_i = sim.n_image_neurons
    counts, _, _ = present(sim, labelling[0], TEST, state, quiet=True)
    labels = {"image": vote.labels_from_rates(vote.class_rates(counts[:, :n_i], labelling[1], 2)),
              "audio": vote.labels_from_rates(vote.class_rates(counts[:, n_i:], labelling[1], 2))}
    out = {}
    for shown, silent, cols in (("image", "audio", slice(n_i, None)), ("audio", "image", slice(0, n_i))):
        c, _, _ = present(sim, only(scored[0], shown), TEST, state, quiet=True)
        out[f"{shown}_to_{silent}"] = (vote.accuracy(scored[1], vote.predict(c[:, cols], labels[silent], 2)),
                                       int(c[:, cols].sum()))
    return out


def test_joint_training_gives_cross_modal_recall_and_zeroed_weights_take_it_away():
    """80 pairs of the joint schedule: each ensemble, silent but for the
    cross-modal synapses, names the class of the other modality shown alone
    (measured: 0.70 image -> audio, 0.85 audio -> image; chance 0.5). With
    the cross-modal weights zeroed it fires no spike and votes class 0."""
    # a gain of 16 lifts a silent neuron over its threshold from a few partners' spikes
    m = recall_spec(schedule="joint", gain=16.0)
    sim = MultimodalSimulator(m, N_IMAGE, N_AUDIO, slots=20)
    state = sim.initial_state()
    _, state, _ = present(sim, pair_task(80, 0)[0], TRAIN, state, quiet=True)
    labelling, scored = pair_task(40, 1), pair_task(40, 2)
    chance = max(np.mean(scored[1]), 1 - np.mean(scored[1]))
    trained = recall(sim, state, labelling, scored)
    for direction, (accuracy, spikes) in trained.items():
        assert spikes > 0 and accuracy >= chance + 0.15, (direction, trained)
    zeroed = {**state, "image_to_audio.w": np.zeros_like(state["image_to_audio.w"]),
              "audio_to_image.w": np.zeros_like(state["audio_to_image.w"])}
    for direction, (accuracy, spikes) in recall(sim, zeroed, labelling, scored).items():
        assert spikes == 0 and accuracy <= chance, direction   # a silent ensemble votes class 0


def test_recall_gain_amplifies_cross_modal_drive_only_into_a_silent_ensemble():
    """[cross] recall_gain multiplies the cross-modal conductance into an
    ensemble whose own modality the slot does not show: more spikes from the
    silent ensemble with one modality shown, and exactly the same spikes
    when both are shown (it is a run parameter: nothing recompiles)."""
    m = recall_spec(schedule="joint", gain=4.0)
    sim = MultimodalSimulator(m, N_IMAGE, N_AUDIO, slots=20)
    _, state, _ = present(sim, pair_task(80, 0)[0], TRAIN, sim.initial_state(), quiet=True)
    pairs = pair_task(40, 2)[0]
    n_i = sim.n_image_neurons
    counts = {}
    for recall_gain in (1.0, 8.0):
        sim.mspec.cross.recall_gain = recall_gain
        both, _, _ = present(sim, pairs, TEST, state, quiet=True)
        image_only, _, _ = present(sim, only(pairs, "image"), TEST, state, quiet=True)
        audio_only, _, _ = present(sim, only(pairs, "audio"), TEST, state, quiet=True)
        counts[recall_gain] = (both, image_only[:, n_i:].sum(), audio_only[:, :n_i].sum())
    np.testing.assert_array_equal(counts[1.0][0], counts[8.0][0])
    assert counts[8.0][1] > 2 * counts[1.0][1] and counts[8.0][2] > 2 * counts[1.0][2], counts
    with pytest.raises(ConfigError, match="recall_gain"):
        recall_spec(recall_gain=0.0)


def test_the_schedule_key_is_checked_and_named(tmp_path):
    (tmp_path / "a.toml").write_text((REPO / "networks" / "fsdd_audio.toml").read_text())
    (tmp_path / "i.toml").write_text((REPO / "networks" / "mnist_quick.toml").read_text())
    good = 'name = "x"\nimage_spec = "i.toml"\naudio_spec = "a.toml"\n'
    for schedule in ("staged", "joint"):
        (tmp_path / "m.toml").write_text(good + f'[cross]\nschedule = "{schedule}"\n')
        assert load_multimodal_spec(tmp_path / "m.toml").cross.schedule == schedule
    (tmp_path / "m.toml").write_text(good)
    assert load_multimodal_spec(tmp_path / "m.toml").cross.schedule == "staged"
    for value in ('"together"', "1"):
        (tmp_path / "m.toml").write_text(good + f"[cross]\nschedule = {value}\n")
        with pytest.raises(ConfigError, match="cross.schedule"):
            load_multimodal_spec(tmp_path / "m.toml")
    # the joint schedule never prunes: an ensemble spec with compression on is refused there
    (tmp_path / "i.toml").write_text((REPO / "networks" / "mnist_quick.toml").read_text()
                                     + "\n[compression]\nenabled = true\n")
    (tmp_path / "m.toml").write_text(good + '[cross]\nschedule = "joint"\n')
    with pytest.raises(ConfigError, match="image spec: compression.enabled: the joint schedule"):
        load_multimodal_spec(tmp_path / "m.toml")
    (tmp_path / "m.toml").write_text(good)
    assert load_multimodal_spec(tmp_path / "m.toml").image.compression.enabled
