"""The audio-visual experiment: phases, readout modes and noise robustness.

    runs/NAME/
      spec.toml          the multimodal spec (image_spec, audio_spec, [cross], [pairs])
      image/, audio/     the unimodal phases: ordinary run folders
      checkpoint.npz     joint-phase state (cross-modal weights), every chunk
      cross.npz          final cross-modal weights (n_image_neurons, n_audio_neurons)
      readout.npz        neuron labels and class rates of both ensembles, the
                         labelling counts (clean and corrupted), the calibrated
                         rule's fitted reliability and tilt, test counts per mode
      metrics.json       accuracy per readout mode, timings
      robustness_*.csv   accuracy vs noise level (``stdpnet robustness``)
      robustness_*.npz   the spike counts behind it, per level and mode (to
                         re-score other combining rules without re-simulating)

Readout modes on the test pairs (labels are assigned once, from labelled
training pairs shown with both modalities):

- ``image``: only the image is shown; the image ensemble votes.
- ``audio``: only the recording is shown; the audio ensemble votes.
- ``both``: both are shown, cross-modal spikes take part; the two ensembles'
  counts are combined by the spec's ``[readout] vote`` rule
  (``multimodal.combined_vote``; every rule is reported, and compared on the
  labelling pairs by cross-validation, ``vote_holdout`` in metrics.json).
In the unimodal modes the silent ensemble is still driven through the
cross-modal synapses; its vote is reported as cross-modal inference
(e.g. ``image->audio``: the digit read from the audio neurons while only
the image is shown).
"""
from __future__ import annotations

import csv
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import readout, runs, training
from .config import MultimodalSpec, Readout, dump_multimodal_spec, load_multimodal_spec
from .data import Dataset, audio_encoder, load_dataset, load_spoken_digits
from .data import noise as noise_models
from .errors import ConfigError, RunFolderError
from .multimodal import MultimodalSimulator, combined_vote, pair_indices, rows
from .simulation import TEST, TRAIN

MODES = ("image", "audio", "both")
CROSS = "cross.npz"


@dataclass
class Data:
    image: Dataset
    audio: Dataset


def load_data(m: MultimodalSpec) -> Data:
    return Data(load_dataset(m.image.data, m.image.seed), load_dataset(m.audio.data, m.audio.seed))


# ---------------------------------------------------------------- run folder
def create_run(run_dir: Path, m: MultimodalSpec, force: bool = False) -> Path:
    runs.create(run_dir, m, force, spec_text=dump_multimodal_spec(m, "image/spec.toml",
                                                                  "audio/spec.toml"))
    for part in ("image", "audio"):
        runs.create(Path(run_dir) / part, getattr(m, part))
    return Path(run_dir)


def open_run(run_dir: Path) -> MultimodalSpec:
    run_dir = Path(run_dir)
    if not (run_dir / runs.SPEC).is_file():
        raise RunFolderError(f"{run_dir} is not a run folder (no {runs.SPEC})")
    return load_multimodal_spec(run_dir / runs.SPEC)


# -------------------------------------------------------------------- phases
def train_unimodal(m: MultimodalSpec, run_dir: Path, device: str | None, quiet: bool,
                   log: Callable = print) -> dict:
    """Phase 1: each ensemble learns alone (resumes an interrupted phase)."""
    states = {}
    for part in ("image", "audio"):
        sub = Path(run_dir) / part
        spec = getattr(m, part)
        if (sub / runs.WEIGHTS).exists():
            log(f"{part} ensemble: trained ({sub})")
        else:
            resume = (sub / runs.CHECKPOINT).exists()
            log(f"{part} ensemble: {'resuming' if resume else 'training'} "
                f"({spec.excitatory.n_neurons} neurons, {spec.data.train_examples} x "
                f"{spec.data.epochs} examples) -> {sub}")
            training.train(spec, sub, device=device, resume=resume, quiet=quiet)
        states[part] = training.trained_state(sub)
    return states


def train_cross(m: MultimodalSpec, run_dir: Path, data: Data, device: str | None = None,
                quiet: bool = False, log: Callable = print) -> dict:
    """Phase 2: paired examples, ensembles frozen, cross-modal weights learn."""
    run_dir = Path(run_dir)
    states = train_unimodal(m, run_dir, device, quiet, log)
    sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input, device=device)
    a_idx, i_idx = pair_indices(data.audio.train_y, data.image.train_y, m.pairs.train_pairs,
                                np.random.default_rng(m.seed))
    x = rows(data.image.train_x[i_idx], data.audio.train_x[a_idx], data.image.n_input,
             data.audio.n_input, len(a_idx))
    ckpt = run_dir / runs.CHECKPOINT
    if ckpt.exists():
        saved = runs.load_npz(ckpt)
        state = {k[6:]: v for k, v in saved.items() if k.startswith("state.")}
        counts = saved["counts"]
        progress = training.Progress(**runs.load_json(run_dir / "progress.json"))
        log(f"joint phase: resuming at pair {progress.position}")
    else:
        state, counts, progress = sim.joint_state(states["image"], states["audio"]), None, None

    def on_chunk(progress, state, counts):
        runs.save_npz(ckpt, counts=counts, **{f"state.{k}": v for k, v in state.items()})
        runs.save_json(run_dir / "progress.json", progress.__dict__)
        return {"ms/ex": f"{1000 * progress.seconds / max(progress.presentations, 1):.1f}"}

    if progress is None or progress.position < len(x):
        counts, state, progress = training.present(sim, x, TRAIN, state, progress, counts, on_chunk,
                                                   desc="joint (cross-modal STDP)", quiet=quiet)
    n_i = sim.n_image_neurons
    shape = (n_i, sim.n_neurons - n_i)
    runs.save_npz(run_dir / CROSS, image_to_audio=state["image_to_audio.w"].reshape(shape),
                  audio_to_image=state["audio_to_image.w"].reshape(shape[::-1]))
    runs.update_metrics(run_dir, joint={
        "pairs": int(progress.position), "presentations": int(progress.presentations),
        "seconds": round(progress.seconds, 2), "device": sim.device,
        "ms_per_pair": round(1000 * progress.seconds / max(progress.position, 1), 3)})
    return state


def joint_trained_state(run_dir: Path) -> dict:
    run_dir = Path(run_dir)
    if not (run_dir / CROSS).exists():
        raise RunFolderError(f"{run_dir}: the joint phase has not finished; continue it with "
                             f"`stdpnet multimodal --resume {run_dir}`")
    saved = runs.load_npz(run_dir / runs.CHECKPOINT)
    return {k[6:]: v for k, v in saved.items() if k.startswith("state.")}


# ------------------------------------------------------------------- readout
@dataclass
class TestSet:
    """Test pairs: every test recording with test images of its digit."""
    audio_index: np.ndarray
    image_index: np.ndarray
    labels: np.ndarray


def test_pairs(m: MultimodalSpec, data: Data) -> TestSet:
    n = m.pairs.test_pairs
    a, i = pair_indices(data.audio.test_y, data.image.test_y, n, np.random.default_rng(m.seed + 2),
                        shuffle=False)
    return TestSet(a, i, data.audio.test_y[a])


def present_modes(sim: MultimodalSimulator, state: dict, image_x, audio_x, modes=MODES,
                  quiet: bool = False, jobs: int = 1) -> dict:
    """Spike counts (n, image neurons + audio neurons) of each readout mode
    (each sequence cut into ``jobs`` parts run at once; same counts for any number)."""
    n = len(image_x)
    out = {}
    for mode in modes:
        x = rows(image_x if mode in ("image", "both") else None,
                 audio_x if mode in ("audio", "both") else None, sim.n_image, sim.n_audio, n)
        out[mode], _, _ = training.present_split(sim, x, TEST, state, jobs, desc=f"testing ({mode})",
                                                 quiet=quiet)
    return out


def accuracies(counts: dict, rates_image, rates_audio, labels, n_image_neurons,
               vote: str = "calibrated", reliability=None, tilt: float = 1.0) -> dict:
    """Accuracy of each readout: the shown modality's ensemble (Diehl & Cook
    vote), the other ensemble (cross-modal inference) and the combined readout
    (``vote``: the spec's rule, as ``both``; every rule is also reported by name).
    ``rates_*``: (classes, neurons) class-mean responses from the labelling pairs;
    ``reliability``, ``tilt``: the ``calibrated`` rule's fitted parameters,
    image and audio ensemble (``calibrate``), and its tilt (``choose_tilt``)."""
    acc = {}
    assign_image, assign_audio = readout.labels_from_rates(rates_image), readout.labels_from_rates(rates_audio)
    for mode, c in counts.items():
        ci, ca = c[:, :n_image_neurons], c[:, n_image_neurons:]
        pred_i = readout.predict(ci, assign_image)
        pred_a = readout.predict(ca, assign_audio)
        if mode == "image":
            acc["image"] = readout.accuracy(labels, pred_i)
            acc["image->audio"] = readout.accuracy(labels, pred_a)
        elif mode == "audio":
            acc["audio"] = readout.accuracy(labels, pred_a)
            acc["audio->image"] = readout.accuracy(labels, pred_i)
        else:
            by_rule = {rule: readout.accuracy(labels, combined_vote(ci, rates_image, ca, rates_audio, rule,
                                                                      reliability, tilt))
                       for rule in Readout.VOTES}
            acc["both"] = by_rule[vote]
            acc.update({f"both: {rule}": a for rule, a in by_rule.items()})
            acc["both: image ensemble"] = readout.accuracy(labels, pred_i)
            acc["both: audio ensemble"] = readout.accuracy(labels, pred_a)
    return acc


def two_halves(n: int, seed: int) -> np.ndarray:
    """A seeded split of n pairs into two halves (True: the first)."""
    return np.random.default_rng(seed).permutation(n) < n // 2


# The corruption the calibrated rule learns to discount: the labelling pairs
# are shown a second time, half of them (seeded) with the image corrupted,
# half with the recording, each by one of its modality's noise kinds (every
# kind `stdpnet robustness` offers, drawn with equal odds) at a level drawn
# uniformly from the kind's range. Training images and recordings only (the
# babble talkers are other training recordings); no test pair is seen.
CALIBRATION_NOISE = {"image": (("gaussian", 0.0, 1.0), ("salt_pepper", 0.0, 0.5), ("occlusion", 0.0, 0.5)),
                     "audio": (("white", -10.0, 20.0), ("babble", -10.0, 20.0))}


def corrupted_pairs(m: MultimodalSpec, data: Data, audio_index: np.ndarray, image_index: np.ndarray,
                    seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inputs of training pairs with one modality corrupted (``CALIBRATION_NOISE``):
    (image rows, audio rows) in the datasets' 0..255 scale, and per pair the
    noise ('image:gaussian', ...) and its severity: where its level lies in
    the kind's range, 0 the mildest end, 1 the harshest (the highest σ or
    fraction, the lowest SNR)."""
    rng = np.random.default_rng(seed)
    noise = np.empty(len(audio_index), dtype=object)
    severity = np.zeros(len(audio_index))
    image_x = data.image.train_x[image_index].astype(np.float64)
    audio_x = data.audio.train_x[audio_index].astype(np.float64)
    audio_noisy = two_halves(len(audio_index), seed)
    choices = CALIBRATION_NOISE["image"]
    for k in np.flatnonzero(~audio_noisy):
        kind, low, high = choices[rng.integers(len(choices))]
        level = rng.uniform(low, high)
        noise[k], severity[k] = f"image:{kind}", (level - low) / (high - low)
        image = image_x[k].reshape(1, *data.image.shape) / 255.0
        image_x[k] = 255.0 * noise_models.add_image_noise(image, kind, level, rng).ravel()
    picked = np.flatnonzero(audio_noisy)
    if len(picked):
        a = load_spoken_digits(m.audio.data, return_waveforms=True)
        encode = audio_encoder(m.audio.data, a["train_x"])
        waves, choices, noisy = a["train_waveforms"], CALIBRATION_NOISE["audio"], []
        for k in picked:
            kind, low, high = choices[rng.integers(len(choices))]
            snr, j = rng.uniform(low, high), audio_index[k]
            noise[k], severity[k] = f"audio:{kind}", (high - snr) / (high - low)
            noisy.append(noise_models.add_audio_noise(waves[j], kind, snr, rng,
                                                      others=waves[:j] + waves[j + 1:]))
        audio_x[picked] = 255.0 * encode(a["features"].transform(noisy))
    return image_x, audio_x, noise.astype(str), severity


def _held_out_reliability(counts_sets: list, labels: np.ndarray, fit: np.ndarray, score: np.ndarray,
                          n_image_neurons: int):
    """Per ensemble, the log-likelihoods (0 where it is silent) and
    ``readout.reliability_features`` of the ``score`` pairs of every counts
    array, under class rates fitted on the clean (first) array's ``fit`` pairs."""
    log_liks, features = [], []
    for part in (slice(0, n_image_neurons), slice(n_image_neurons, None)):
        rates = readout.class_rates(counts_sets[0][fit, part], labels[fit])
        c = np.concatenate([counts[score, part] for counts in counts_sets])
        ll = readout.log_likelihoods(c, rates)
        features.append(readout.reliability_features(c, rates, log_lik=ll))
        log_liks.append(np.where(c.sum(axis=1, keepdims=True) > 0, ll, 0.0))
    return log_liks, features


def calibrate(counts: np.ndarray, labels: np.ndarray, n_image_neurons: int, seed: int,
              corrupted: np.ndarray | None = None) -> np.ndarray:
    """The ``calibrated`` rule's ``readout.reliability`` parameters (rows: the
    image and the audio ensemble), fitted by two-fold cross-validation on
    labelling pairs: each half's log-likelihoods and reliability features
    under class rates fitted on the other half's clean counts, for the clean
    ``counts`` and, where given, the ``corrupted`` counts of the same pairs
    (``corrupted_pairs``); the parameters that make the combined vote best
    predict the labels (``readout.fit_reliability``)."""
    half = two_halves(len(labels), seed)
    sets = [counts] + ([corrupted] if corrupted is not None else [])
    log_liks, features, ys = [[], []], [[], []], []
    for fit, score in ((half, ~half), (~half, half)):
        lls, fs = _held_out_reliability(sets, labels, fit, score, n_image_neurons)
        for part in range(2):
            log_liks[part].append(lls[part])
            features[part].append(fs[part])
        ys.append(np.tile(labels[score], len(sets)))
    return readout.fit_reliability([np.concatenate(x) for x in log_liks],
                                   [np.concatenate(f) for f in features], np.concatenate(ys))


# the tilts choose_tilt tries: the audio ensemble's weights times 1/4 .. 4
TILTS = 2.0 ** (np.arange(-16, 17) / 8)
HEAVY = 0.5   # severity (corrupted_pairs) from which a pair counts as heavily corrupted


def _heavy_groups(noise: np.ndarray, severity: np.ndarray) -> dict:
    """Noise kind -> mask of its pairs in the harsher half of its range (kinds with any)."""
    groups = {kind: (noise == kind) & (severity >= HEAVY) for kind in np.unique(noise)}
    return {kind: g for kind, g in groups.items() if g.any()}


def _clean_modality_vote(corrupted: np.ndarray, noise: np.ndarray, rates: tuple, n_image_neurons: int
                         ) -> np.ndarray:
    """On corrupted pairs, the uncorrupted modality's ensemble alone (its
    Diehl & Cook vote under its class ``rates``, image and audio)."""
    by_image = readout.predict(corrupted[:, :n_image_neurons], readout.labels_from_rates(rates[0]))
    by_audio = readout.predict(corrupted[:, n_image_neurons:], readout.labels_from_rates(rates[1]))
    return np.where(np.char.startswith(noise.astype(str), "audio"), by_image, by_audio)


def choose_tilt(counts: np.ndarray, labels: np.ndarray, n_image_neurons: int, seed: int,
                reliability: np.ndarray, corrupted: np.ndarray, noise: np.ndarray, severity: np.ndarray,
                min_clean_accuracy: float) -> tuple[float, dict]:
    """The calibrated rule's tilt: the factor on the audio ensemble's weights
    (one of ``TILTS``) that meets the multimodal targets on the labelling
    pairs with the largest margin. Two-fold: class rates from one half, the
    other half's clean and ``corrupted`` counts scored (``reliability`` as
    fitted, ``calibrate``). The margins: clean accuracy minus
    ``min_clean_accuracy``; for each noise kind, on its heavily corrupted
    pairs (``noise``, ``severity`` from ``corrupted_pairs``), the accuracy
    minus that of the uncorrupted modality's ensemble alone. The tilt whose
    smallest margin is largest; of equals, the one nearest 1. Returns it
    and the accuracies behind the choice: clean and per noise kind (heavy
    pairs) untilted and tilted, and the uncorrupted modality's ensemble alone."""
    half = two_halves(len(labels), seed)
    shares, alone = {}, np.zeros(len(labels), dtype=int)
    for fit, score in ((half, ~half), (~half, half)):
        rates = [readout.class_rates(counts[fit, part], labels[fit])
                 for part in (slice(0, n_image_neurons), slice(n_image_neurons, None))]
        for name, c in (("clean", counts), ("corrupted", corrupted)):
            for part, cols in enumerate((slice(0, n_image_neurons), slice(n_image_neurons, None))):
                out = shares.setdefault((name, part), np.zeros((len(labels), len(rates[part]))))
                out[score] = readout.weighted_log_likelihoods(c[score, cols], rates[part], reliability[part])
        alone[score] = _clean_modality_vote(corrupted[score], noise[score], rates, n_image_neurons)
    groups = _heavy_groups(noise, severity)
    reference = {kind: float(np.mean(alone[g] == labels[g])) for kind, g in groups.items()}

    def scores(tilt) -> dict:
        clean = (shares["clean", 0] + tilt * shares["clean", 1]).argmax(axis=1)
        pred = (shares["corrupted", 0] + tilt * shares["corrupted", 1]).argmax(axis=1)
        return {"clean": float(np.mean(clean == labels))} | {
            f"heavy {kind}": float(np.mean(pred[g] == labels[g])) for kind, g in groups.items()}

    def smallest_margin(tilt):
        s = scores(tilt)
        return min([s["clean"] - min_clean_accuracy] + [s[f"heavy {k}"] - r for k, r in reference.items()])

    margins = np.array([smallest_margin(t) for t in TILTS])
    best = np.flatnonzero(margins == margins.max())
    tilt = float(TILTS[best[np.argmin(np.abs(np.log(TILTS[best])))]])
    return tilt, {"untilted": scores(1.0), "tilted": scores(tilt),
                  "clean modality alone": {f"heavy {k}": r for k, r in reference.items()}}


def vote_holdout(counts: np.ndarray, labels: np.ndarray, n_image_neurons: int, seed: int,
                 corrupted: np.ndarray | None = None, noise: np.ndarray | None = None,
                 severity: np.ndarray | None = None, min_clean_accuracy: float = 0.98) -> dict:
    """Each combining rule's accuracy on the labelling pairs by two-fold
    cross-validation (class rates, and the calibrated rule's reliability and
    tilt, from one half, scored on the other, then swapped): a comparison of
    the rules that never looks at the test set. With ``corrupted`` counts of
    the same pairs, also the accuracy on those (as ``corrupted: <rule>``);
    with their ``noise`` and ``severity`` too, per noise kind on its heavily
    corrupted pairs, the calibrated rule (``heavy <kind>: calibrated``)
    against the uncorrupted modality's ensemble alone (``heavy <kind>: clean
    modality alone``)."""
    half = two_halves(len(labels), seed)
    sets = {"": counts} | ({"corrupted: ": corrupted} if corrupted is not None else {})
    groups = _heavy_groups(noise, severity) if noise is not None else {}
    pred = {}   # held-out predictions of every pair
    for fit, score in ((half, ~half), (~half, half)):
        ri = readout.class_rates(counts[fit, :n_image_neurons], labels[fit])
        ra = readout.class_rates(counts[fit, n_image_neurons:], labels[fit])
        reliability = calibrate(counts[fit], labels[fit], n_image_neurons, seed + 1,
                                None if corrupted is None else corrupted[fit])
        tilt = 1.0
        if groups:
            tilt, _ = choose_tilt(counts[fit], labels[fit], n_image_neurons, seed + 2, reliability,
                                  corrupted[fit], noise[fit], severity[fit], min_clean_accuracy)
        for tag, c in sets.items():
            for rule in Readout.VOTES:
                pred.setdefault(f"{tag}{rule}", np.zeros(len(labels), dtype=int))[score] = combined_vote(
                    c[score, :n_image_neurons], ri, c[score, n_image_neurons:], ra, rule, reliability, tilt)
        if groups:
            pred.setdefault("alone", np.zeros(len(labels), dtype=int))[score] = _clean_modality_vote(
                corrupted[score], noise[score], (ri, ra), n_image_neurons)
    right = {key: p == labels for key, p in pred.items()}
    out = {key: round(float(r.mean()), 4) for key, r in right.items() if key != "alone"}
    for kind, g in groups.items():
        out[f"heavy {kind}: calibrated"] = round(float(right["corrupted: calibrated"][g].mean()), 4)
        out[f"heavy {kind}: clean modality alone"] = round(float(right["alone"][g].mean()), 4)
    return out


def labelling_pairs(m: MultimodalSpec, data: Data) -> tuple[np.ndarray, np.ndarray]:
    """(recording, image) training indices of the labelling pairs."""
    return pair_indices(data.audio.train_y, data.image.train_y, m.pairs.assign_pairs,
                        np.random.default_rng(m.seed + 1))


def assign_labels(sim: MultimodalSimulator, m: MultimodalSpec, data: Data, state: dict,
                  quiet: bool = False, jobs: int = 1):
    """Class-mean responses of both ensembles' neurons on labelled training
    pairs shown together; returns (image rates, audio rates, counts, pair labels)."""
    a_idx, i_idx = labelling_pairs(m, data)
    x = rows(data.image.train_x[i_idx], data.audio.train_x[a_idx], sim.n_image, sim.n_audio, len(a_idx))
    counts, _, _ = training.present_split(sim, x, TEST, state, jobs, desc="labelling", quiet=quiet)
    n_i, labels = sim.n_image_neurons, data.audio.train_y[a_idx]
    return (readout.class_rates(counts[:, :n_i], labels), readout.class_rates(counts[:, n_i:], labels),
            counts, labels)


def corrupted_labelling_counts(sim: MultimodalSimulator, m: MultimodalSpec, data: Data, state: dict,
                               quiet: bool = False, jobs: int = 1) -> tuple:
    """Spike counts of the labelling pairs shown again with one modality
    corrupted (``corrupted_pairs``), for the calibrated rule to learn from;
    and each pair's noise and severity."""
    a_idx, i_idx = labelling_pairs(m, data)
    image_x, audio_x, noise, severity = corrupted_pairs(m, data, a_idx, i_idx, m.seed + 5)
    x = rows(image_x, audio_x, sim.n_image, sim.n_audio, len(a_idx))
    counts, _, _ = training.present_split(sim, x, TEST, state, jobs, desc="labelling (corrupted)",
                                          quiet=quiet)
    return counts, noise, severity


def evaluate(run_dir: Path, data: Data | None = None, device: str | None = None,
             quiet: bool = False, jobs: int | None = None) -> dict:
    """Assign labels on training pairs (both modalities), test the three modes
    (``jobs`` processes, default one per usable core)."""
    run_dir = Path(run_dir)
    m = open_run(run_dir)
    data = data or load_data(m)
    state = joint_trained_state(run_dir)
    sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input, device=device)
    n_i = sim.n_image_neurons
    jobs = jobs or training.default_jobs()
    t0 = time.perf_counter()
    rates_image, rates_audio, assign_counts, assign_y = assign_labels(sim, m, data, state, quiet, jobs)
    corrupted, noise, severity = corrupted_labelling_counts(sim, m, data, state, quiet, jobs)
    t1 = time.perf_counter()
    ts = test_pairs(m, data)
    counts = present_modes(sim, state, data.image.test_x[ts.image_index],
                           data.audio.test_x[ts.audio_index], quiet=quiet, jobs=jobs)
    t2 = time.perf_counter()
    reliability = calibrate(assign_counts, assign_y, n_i, m.seed + 4, corrupted)
    tilt, tilt_choice = choose_tilt(assign_counts, assign_y, n_i, m.seed + 6, reliability, corrupted,
                                    noise, severity, m.readout.min_clean_accuracy)
    acc = accuracies(counts, rates_image, rates_audio, ts.labels, n_i, m.readout.vote, reliability, tilt)
    runs.save_npz(run_dir / runs.READOUT, assign_image=readout.labels_from_rates(rates_image),
                  assign_audio=readout.labels_from_rates(rates_audio), rates_image=rates_image,
                  rates_audio=rates_audio, reliability=reliability, tilt=np.array(tilt),
                  assign_counts=assign_counts, assign_counts_corrupted=corrupted, assign_labels=assign_y,
                  corruption_noise=noise, corruption_severity=severity,
                  test_labels=ts.labels, **{f"test_counts_{k}": v for k, v in counts.items()})
    result = {"accuracy": acc, "test_pairs": int(len(ts.labels)),
              "test_recordings": int(len(np.unique(ts.audio_index))),
              "test_images": int(len(np.unique(ts.image_index))), "assign_pairs": int(m.pairs.assign_pairs),
              "cross_modal_gain": round(acc["both"] - max(acc["image"], acc["audio"]), 4),
              "vote": m.readout.vote,
              "reliability": {part: dict(zip(readout.RELIABILITY_FEATURES, np.round(p, 4).tolist()))
                              for part, p in zip(("image", "audio"), reliability)},
              "tilt": round(tilt, 4),
              "tilt_choice": {name: {k: round(v, 4) for k, v in accs.items()}
                              for name, accs in tilt_choice.items()},
              "vote_holdout": vote_holdout(assign_counts, assign_y, n_i, m.seed + 3, corrupted, noise,
                                           severity, m.readout.min_clean_accuracy),
              "assign_seconds": round(t1 - t0, 2), "test_seconds": round(t2 - t1, 2),
              "jobs": jobs, "device": sim.device}
    runs.update_metrics(run_dir, evaluate=result)
    return result


# ---------------------------------------------------------------- robustness
def fitted_readout(run_dir: Path) -> dict:
    """The run's readout.npz, checked to hold the calibrated rule's fitted reliability and tilt."""
    saved = runs.load_npz(run_dir / runs.READOUT)
    if "reliability" not in saved or "tilt" not in saved:
        raise RunFolderError(f"{run_dir / runs.READOUT}: no fitted reliability or tilt for the calibrated "
                             f"rule (written by an older version); run `stdpnet evaluate {run_dir}` first")
    return saved


def parse_noise(text: str) -> tuple[str, str]:
    """'image:gaussian' -> ('image', 'gaussian'), checked against the noise models."""
    modality, _, kind = text.partition(":")
    known = {"image": noise_models.IMAGE_NOISE, "audio": noise_models.AUDIO_NOISE}
    if modality not in known or kind not in known[modality]:
        choices = [f"{k}:{v}" for k, vs in known.items() for v in vs]
        raise ConfigError(f"--noise {text!r}: choose one of {', '.join(choices)}")
    return modality, kind


def noise_rng(seed: int, modality: str, kind: str, level: float) -> np.random.Generator:
    """The random stream of one noise at one level: the same wherever the
    level stands in a sweep, and a different one for each modality and kind."""
    return np.random.default_rng([seed, zlib.crc32(f"{modality}:{kind}:{float(level)!r}".encode())])


def noisy_inputs(m: MultimodalSpec, data: Data, ts: TestSet, noises: list, level_index: int,
                 audio_waves: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """Test rows of both modalities with the ``level_index``-th level of each noise."""
    image_x = data.image.test_x[ts.image_index]
    audio_x = data.audio.test_x[ts.audio_index]
    for (modality, kind, levels) in noises:
        level = levels[level_index]
        rng = noise_rng(m.seed, modality, kind, level)
        if modality == "image":
            shape = data.image.shape
            noisy = noise_models.add_image_noise(image_x.reshape(-1, *shape) / 255.0, kind, level, rng)
            image_x = 255.0 * noisy.reshape(len(image_x), -1)
        else:
            waves, others, features, encode = (audio_waves[k] for k in ("test", "others", "features", "encode"))
            out = []
            for k in ts.audio_index:
                pool = [w for j, w in enumerate(others) if j != k]
                out.append(noise_models.add_audio_noise(waves[k], kind, level, rng, others=pool))
            audio_x = 255.0 * encode(features.transform(out))
    return image_x, audio_x


def robustness(run_dir: Path, noises: list, device: str | None = None, quiet: bool = False,
               log: Callable = print, jobs: int | None = None) -> Path:
    """Accuracy vs noise level in each readout mode; noises: [(modality, kind, levels)],
    several noises are applied together, level k of each at step k. Writes CSV + plot."""
    from .plots import plot_robustness

    run_dir = Path(run_dir)
    m = open_run(run_dir)
    lengths = {len(levels) for _, _, levels in noises}
    if len(lengths) != 1:
        raise ConfigError("with noise in both modalities give the same number of levels for each")
    data = load_data(m)
    state = joint_trained_state(run_dir)
    saved = fitted_readout(run_dir)
    sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input, device=device)
    ts = test_pairs(m, data)
    audio_waves = None
    if any(mod == "audio" for mod, _, _ in noises):
        a = load_spoken_digits(m.audio.data, return_waveforms=True)
        audio_waves = {"test": a["test_waveforms"], "others": a["test_waveforms"],
                       "features": a["features"], "encode": audio_encoder(m.audio.data, a["train_x"])}
    tag = "+".join(f"{mod}-{kind}" for mod, kind, _ in noises)
    rows_out, kept = [], {}
    for k in range(lengths.pop()):
        image_x, audio_x = noisy_inputs(m, data, ts, noises, k, audio_waves)
        counts = present_modes(sim, state, image_x, audio_x, quiet=quiet,
                               jobs=jobs or training.default_jobs())
        acc = accuracies(counts, saved["rates_image"], saved["rates_audio"], ts.labels,
                         sim.n_image_neurons, m.readout.vote, saved["reliability"], float(saved["tilt"]))
        row = {f"{mod}_{kind}": levels[k] for mod, kind, levels in noises}
        row.update({f"acc_{key}": round(v, 4) for key, v in acc.items()})
        rows_out.append(row)
        kept.update({f"level{k}_{mode}": c.astype(np.int32) for mode, c in counts.items()})
        log(", ".join(f"{key} {v}" for key, v in row.items()))
    path = run_dir / f"robustness_{tag}.csv"
    runs.save_npz(path.with_suffix(".npz"), test_labels=ts.labels,
                  levels=np.array([[lv[k] for _, _, lv in noises] for k in range(len(rows_out))]), **kept)
    runs.atomic_write(path, lambda tmp: _write_csv(tmp, rows_out))
    plot_robustness(rows_out, noises, run_dir / f"robustness_{tag}.png")
    runs.update_metrics(run_dir, **{f"robustness_{tag}": rows_out})
    return path


def rescore(run_dir: Path) -> dict:
    """Every robustness sweep of the run scored again with its current
    readout.npz, from the kept counts (robustness_*.npz), without simulating:
    {sweep tag: [(levels, accuracies)]}."""
    run_dir = Path(run_dir)
    m = open_run(run_dir)
    saved = fitted_readout(run_dir)
    out = {}
    for path in sorted(run_dir.glob("robustness_*.npz")):
        kept = runs.load_npz(path)
        out[path.stem[len("robustness_"):]] = [
            (levels.tolist(), accuracies({mode: kept[f"level{k}_{mode}"] for mode in MODES},
                                         saved["rates_image"], saved["rates_audio"], kept["test_labels"],
                                         m.image.excitatory.n_neurons, m.readout.vote, saved["reliability"],
                                         float(saved["tilt"])))
            for k, levels in enumerate(kept["levels"])]
    return out


def _write_csv(path, rows_out):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows_out[0]))
        writer.writeheader()
        writer.writerows(rows_out)
