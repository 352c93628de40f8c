"""The audio-visual experiment: run folder, training phases, labelling and readout modes.

    runs/NAME/
      spec.toml          the multimodal spec (image_spec, audio_spec, [cross], [pairs])
      image/, audio/     the unimodal phases: ordinary run folders
      checkpoint.npz     joint-phase state (cross-modal weights), every chunk
      cross.npz          final cross-modal weights (n_image_neurons, n_audio_neurons)
      readout.npz        neuron labels and class rates of both ensembles, the
                         labelling counts (clean and corrupted), the calibrated
                         rule's fitted reliability and tilt, test counts per mode
      metrics.json       accuracy per readout mode, timings
      robustness_*.csv   accuracy vs noise level (``stdpnet robustness``,
      robustness_*.npz   ``stdpnet.experiments.robustness``) and the counts behind it

Readout modes on the scored pairs (validation, or test with ``--split test``; labels are assigned once, from labelled
training pairs shown with both modalities):

- ``image``: only the image is shown; the image ensemble votes.
- ``audio``: only the recording is shown; the audio ensemble votes.
- ``both``: both are shown, cross-modal spikes take part; the two ensembles'
  counts are combined by the spec's ``[readout] vote`` rule
  (``stdpnet.readout.combine``; every rule is reported, and compared on the
  labelling pairs by cross-validation, ``vote_holdout`` in metrics.json).
In the unimodal modes the silent ensemble is driven only through the
cross-modal synapses; its vote is reported as cross-modal recall
(``recall.image_to_audio``: the digit read from the audio neurons, by their
own labels, while only the image is shown; ``recall.audio_to_image``).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .. import runs, streams
from ..results import commit
from ..data import noise as noise_models
from ..data.encode import audio_encoder
from ..data.load import Dataset, load_dataset, load_spoken_digits
from ..engine.multimodal import MultimodalSimulator, rows
from ..engine.cores import default_jobs
from ..engine.present import present, present_split
from ..engine.simulator import TEST, TRAIN
from ..errors import ConfigError, DataError, RunFolderError
from ..readout import combine, likelihood, vote
from ..spec import MultimodalSpec, dump_multimodal_spec, dump_spec, load_multimodal_spec
from . import ensemble, kept

MODES = ("image", "audio", "both")
CROSS = "cross.npz"


@dataclass
class Data:
    image: Dataset
    audio: Dataset


    @property
    def n_classes(self) -> int:
        if self.image.n_classes != self.audio.n_classes:
            raise DataError(f"the image data has {self.image.n_classes} classes, the audio data "
                            f"{self.audio.n_classes}: pairs need the same classes")
        return self.audio.n_classes


def load_data(m: MultimodalSpec) -> Data:
    if m.audio.data.dataset == "synthetic":     # (bars: the simulator's tests' stand-in)
        raise ConfigError("audio_spec: data.dataset 'synthetic' has no recordings for the audio-visual "
                          "run's noisy pairs; use spoken digits (fsdd, synth_digits, ti46)")
    return Data(load_dataset(m.image.data, m.image.seed), load_dataset(m.audio.data, m.audio.seed))


def pair_indices(audio_labels: np.ndarray, image_labels: np.ndarray, n: int,
                 rng: np.random.Generator, shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (audio, image) index pairs of the same digit: the recordings in a
    seeded order (cycled), each with a random image of its digit. Unshuffled
    (scored pairs), every recording is taken ``n // k`` times and the ``n % k``
    left over are spread evenly over the list (sorted by speaker and digit),
    so no speaker or digit counts more than its share."""
    audio_labels, image_labels = np.asarray(audio_labels), np.asarray(image_labels)
    k = len(audio_labels)
    if shuffle:
        order = np.concatenate([rng.permutation(k) for _ in range(-(-n // k))])[:n]
    else:
        order = np.concatenate([np.tile(np.arange(k), n // k), np.arange(n % k) * k // max(n % k, 1)])
    by_class = {c: np.flatnonzero(image_labels == c) for c in np.unique(audio_labels)}
    for c, members in by_class.items():
        if len(members) == 0:
            raise DataError(f"no image of class {c} to pair with its recordings")
    images = np.array([rng.choice(by_class[audio_labels[k]]) for k in order])
    return order, images


# ---------------------------------------------------------------- run folder
def create_run(run_dir: Path, m: MultimodalSpec, force: bool = False) -> Path:
    runs.create(run_dir, m, force, spec_text=dump_multimodal_spec(m, "image/spec.toml",
                                                                  "audio/spec.toml"))
    for part in ("image", "audio"):
        runs.create(Path(run_dir) / part, getattr(m, part))
    return Path(run_dir)


def is_created(run_dir: Path) -> bool:
    """Whether ``create_run`` finished in ``run_dir``: its spec and both
    ensembles' (a process killed in between leaves the first alone)."""
    return all((Path(run_dir) / part / runs.SPEC).is_file() for part in ("", "image", "audio"))


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
                f"({spec.excitatory.n_neurons} neurons, {spec.data.train_examples or 'all'} x "
                f"{spec.data.epochs} examples) -> {sub}")
            ensemble.train(spec, sub, device=device, resume=resume, quiet=quiet)
        states[part] = ensemble.trained_state(sub)
    return states


def train_cross(m: MultimodalSpec, run_dir: Path, data: Data, device: str | None = None,
                quiet: bool = False, log: Callable = print, stop: Callable | None = None) -> dict:
    """The paired phase (checkpointed after every chunk; ``stop(progress)`` may
    end it early, as in ``ensemble.train``: the run then resumes where it
    stopped). ``[cross] schedule = "staged"``: after the unimodal phases, the
    ensembles frozen, only the cross-modal weights learn; ``"joint"``: fresh
    ensembles and the cross-modal weights all learn together from the start."""
    run_dir = Path(run_dir)
    joint = m.cross.schedule == "joint"
    states = None if joint else train_unimodal(m, run_dir, device, quiet, log)
    sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input, device=device)
    a_idx, i_idx = pair_indices(data.audio.train_y, data.image.train_y, m.pairs.train_pairs,
                                streams.rng(m.seed, "training_pairs"))
    x = rows(data.image.train_x[i_idx], data.audio.train_x[a_idx], data.image.n_input,
             data.audio.n_input, len(a_idx))
    if (run_dir / runs.CHECKPOINT).exists():
        ckpt = runs.load_checkpoint(run_dir)
        state, counts, progress = ckpt.state, ckpt.counts, ckpt.progress
        log(f"joint phase: resuming at pair {progress.position}")
    elif joint:
        log(f"joint schedule: both ensembles and the cross-modal synapses learn from "
            f"{len(x)} pairs")
        state, counts, progress = sim.initial_state(), None, None
    else:
        state, counts, progress = sim.joint_state(states["image"], states["audio"]), None, None

    def on_chunk(progress, state, counts):
        runs.save_checkpoint(run_dir, runs.Checkpoint(state, counts, progress, len(x)))
        return {"ms/ex": f"{1000 * progress.seconds / max(progress.presentations, 1):.1f}"}

    if progress is None or progress.position < len(x):
        desc = "joint (ensembles and cross-modal STDP)" if joint else "joint (cross-modal STDP)"
        counts, state, progress = present(sim, x, TRAIN, state, progress, counts, on_chunk,
                                          desc=desc, quiet=quiet, stop=stop, keep=0)
        if progress.position < len(x):
            return state
    n_i = sim.n_image_neurons
    shape = (n_i, sim.n_neurons - n_i)
    if joint:   # the ensembles' weights where the unimodal phases would leave them (plots)
        for part, n_input in (("image", sim.n_image), ("audio", sim.n_audio)):
            runs.save_npz(run_dir / part / runs.WEIGHTS, w=state[f"{part}_input_exc.w"].reshape(n_input, -1),
                          theta=state[f"{part}_excitatory.theta"])
    runs.save_npz(run_dir / CROSS, image_to_audio=state["image_to_audio.w"].reshape(shape),
                  audio_to_image=state["audio_to_image.w"].reshape(shape[::-1]))
    runs.update_metrics(run_dir, joint={
        "schedule": m.cross.schedule,
        "pairs": int(progress.position), "presentations": int(progress.presentations),
        "seconds": round(progress.seconds, 2), "device": sim.device,
        "ms_per_pair": round(1000 * progress.seconds / max(progress.position, 1), 3), "commit": commit()})
    return state


def joint_trained_state(run_dir: Path) -> dict:
    run_dir = Path(run_dir)
    if not (run_dir / CROSS).exists():
        raise RunFolderError(f"{run_dir}: the joint phase has not finished; continue it with "
                             f"`stdpnet multimodal --resume {run_dir}`")
    return runs.load_checkpoint(run_dir).state


# ------------------------------------------------------------------- readout
@dataclass
class ScoredPairs:
    """The pairs a readout is scored on: every recording of the ``split``
    (validation or test) in order, cycled, each with images of its digit
    from the same split (``pairs.test_pairs`` pairs)."""
    split: str
    audio_index: np.ndarray
    image_index: np.ndarray
    labels: np.ndarray

    def inputs(self, data: Data) -> tuple[np.ndarray, np.ndarray]:
        """(image rows, audio rows) of the pairs."""
        return (data.image.split(self.split)[0][self.image_index],
                data.audio.split(self.split)[0][self.audio_index])


def scored_pairs(m: MultimodalSpec, data: Data, split: str) -> ScoredPairs:
    (_, image_y), (_, audio_y) = data.image.split(split), data.audio.split(split)
    a, i = pair_indices(audio_y, image_y, m.pairs.test_pairs, streams.rng(m.seed, f"{split}_pairs"),
                        shuffle=False)
    return ScoredPairs(split, a, i, audio_y[a])


def present_modes(sim: MultimodalSimulator, state: dict, image_x, audio_x, modes=MODES,
                  quiet: bool = False, jobs: int = 1, keep: tuple[Path, str] | None = None) -> dict:
    """Spike counts (n, image neurons + audio neurons) of each readout mode
    (each sequence cut into ``jobs`` parts run at once; same counts for any number).
    ``keep`` = (file prefix, digest of what the counts depend on): each mode's
    counts are kept block by block in ``<prefix>_<mode>_scoring.partial.npz``
    (``kept.present_kept``), so a stopped call run again shows only the
    examples not yet shown; the files go once every mode is done."""
    n, out = len(image_x), {}
    for mode in modes:
        x = rows(image_x if mode in ("image", "both") else None,
                 audio_x if mode in ("audio", "both") else None, sim.n_image, sim.n_audio, n)
        kept_as = None if keep is None else (_mode_partial(keep[0], mode), f"{keep[1]}:{mode}")
        out[mode] = _present(sim, x, state, jobs, f"scoring ({mode})", quiet, kept_as)
    if keep is not None:
        for mode in modes:
            _mode_partial(keep[0], mode).unlink(missing_ok=True)
    return out


def _mode_partial(prefix: Path, mode: str) -> Path:
    return Path(f"{prefix}_{mode}{kept.SCORING_PARTIAL}")


def accuracies(counts: dict, rates_image, rates_audio, labels, n_image_neurons,
               rule: str = "normalised", reliability=None, tilt: float = 1.0) -> dict:
    """Accuracy of each readout mode present in ``counts`` (mode -> counts):
    ``image`` and ``audio``: the shown modality's ensemble (Diehl & Cook vote);
    ``recall``: the other ensemble's vote in those modes, under its own
    neuron labels (``image_to_audio``: the class read from the audio neurons
    while only the image is shown; ``audio_to_image``);
    ``both``: the combined readout under ``rule`` (the spec's), with every
    rule in ``both_by_rule`` and each ensemble's own vote in
    ``both_by_ensemble``. ``rates_*``: (classes, neurons) class-mean
    responses from the labelling pairs; ``reliability``, ``tilt``: the
    ``calibrated`` rule's fitted parameters (``combine.calibrate``,
    ``combine.choose_tilt``)."""
    acc = {}
    n_classes = len(rates_image)
    assign_image, assign_audio = vote.labels_from_rates(rates_image), vote.labels_from_rates(rates_audio)
    for mode, c in counts.items():
        ci, ca = c[:, :n_image_neurons], c[:, n_image_neurons:]
        by_image = vote.accuracy(labels, vote.predict(ci, assign_image, n_classes))
        by_audio = vote.accuracy(labels, vote.predict(ca, assign_audio, n_classes))
        if mode == "image":
            acc["image"] = by_image
            acc.setdefault("recall", {})["image_to_audio"] = by_audio
        elif mode == "audio":
            acc["audio"] = by_audio
            acc.setdefault("recall", {})["audio_to_image"] = by_image
        else:
            acc["both_by_rule"] = {
                r: vote.accuracy(labels, combine.combined_vote(ci, rates_image, ca, rates_audio, r,
                                                               reliability, tilt))
                for r in combine.VOTES}
            acc["both"] = acc["both_by_rule"][rule]
            acc["both_by_ensemble"] = {"image": by_image, "audio": by_audio}
    return acc


def recall_ratio(acc: dict) -> dict:
    """Cross-modal recall as a fraction of the shown ensemble's own accuracy
    (``image_to_audio``: the audio neurons' vote on images alone over the
    image ensemble's)."""
    shown = {"image_to_audio": acc["image"], "audio_to_image": acc["audio"]}
    return {k: round(v / max(shown[k], 1e-12), 4) for k, v in acc["recall"].items()}


# The corruption the calibrated rule learns to discount: the labelling pairs
# are shown a second time, half of them (seeded) with the image corrupted,
# half with the recording, each by one of its modality's noise kinds (every
# kind `stdpnet robustness` offers, drawn with equal odds) at a level drawn
# uniformly from the kind's range. Training images and recordings only (the
# babble talkers are other training recordings); no test pair is seen.
CALIBRATION_NOISE = {"image": (("gaussian", 0.0, 1.0), ("salt_pepper", 0.0, 0.5), ("occlusion", 0.0, 0.5)),
                     "audio": (("white", -10.0, 20.0), ("babble", -10.0, 20.0))}


def corrupted_pairs(m: MultimodalSpec, data: Data, audio_index: np.ndarray, image_index: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inputs of training pairs with one modality corrupted (``CALIBRATION_NOISE``):
    (image rows, audio rows) in the datasets' 0..255 scale, and per pair the
    noise ('image:gaussian', ...) and its severity: where its level lies in
    the kind's range, 0 the mildest end, 1 the harshest (the highest σ or
    fraction, the lowest SNR)."""
    noise = np.empty(len(audio_index), dtype=object)
    severity = np.zeros(len(audio_index))
    image_x = data.image.train_x[image_index].astype(np.float64)
    audio_x = data.audio.train_x[audio_index].astype(np.float64)
    audio_noisy = combine.two_halves(len(audio_index), rng)
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
        encode = audio_encoder(m.audio.data, a)
        waves, files, choices, noisy = a["train_waveforms"], a["train_files"], CALIBRATION_NOISE["audio"], []
        for k in picked:
            kind, low, high = choices[rng.integers(len(choices))]
            snr, j = rng.uniform(low, high), audio_index[k]
            noise[k], severity[k] = f"audio:{kind}", (high - snr) / (high - low)
            noisy.append(noise_models.add_audio_noise(waves[j], kind, snr, rng, others=waves[:j] + waves[j + 1:],
                                                      name=files[j], names=files[:j] + files[j + 1:]))
        audio_x[picked] = 255.0 * encode(a["features"].transform(noisy),
                                          [a["train_speakers"][audio_index[k]] for k in picked])
    return image_x, audio_x, noise.astype(str), severity


def labelling_pairs(m: MultimodalSpec, data: Data) -> tuple[np.ndarray, np.ndarray]:
    """(recording, image) training indices of the labelling pairs."""
    return pair_indices(data.audio.train_y, data.image.train_y, m.pairs.assign_pairs,
                        streams.rng(m.seed, "labelling_pairs"))


def assign_labels(sim: MultimodalSimulator, m: MultimodalSpec, data: Data, state: dict,
                  quiet: bool = False, jobs: int = 1, keep: tuple[Path, str] | None = None):
    """Class-mean responses of both ensembles' neurons on labelled training
    pairs shown together; returns (image rates, audio rates, counts, pair labels).
    ``keep`` = (file, digest): the counts kept there block by block
    (``kept.present_kept``; the file stays until the caller removes it)."""
    a_idx, i_idx = labelling_pairs(m, data)
    x = rows(data.image.train_x[i_idx], data.audio.train_x[a_idx], sim.n_image, sim.n_audio, len(a_idx))
    counts = _present(sim, x, state, jobs, "labelling", quiet, keep)
    n_i, labels = sim.n_image_neurons, data.audio.train_y[a_idx]
    return (vote.class_rates(counts[:, :n_i], labels, data.n_classes),
            vote.class_rates(counts[:, n_i:], labels, data.n_classes), counts, labels)


def corrupted_labelling_counts(sim: MultimodalSimulator, m: MultimodalSpec, data: Data, state: dict,
                               quiet: bool = False, jobs: int = 1,
                               keep: tuple[Path, str] | None = None) -> tuple:
    """Spike counts of the labelling pairs shown again with one modality
    corrupted (``corrupted_pairs``), for the calibrated rule to learn from;
    and each pair's noise and severity. ``keep`` as in ``assign_labels``."""
    a_idx, i_idx = labelling_pairs(m, data)
    image_x, audio_x, noise, severity = corrupted_pairs(m, data, a_idx, i_idx,
                                                        streams.rng(m.seed, "calibration_noise"))
    x = rows(image_x, audio_x, sim.n_image, sim.n_audio, len(a_idx))
    return _present(sim, x, state, jobs, "labelling (corrupted)", quiet, keep), noise, severity


def _present(sim, x, state, jobs, desc, quiet, keep: tuple[Path, str] | None) -> np.ndarray:
    """The counts of ``x`` shown to the frozen network, kept block by block where ``keep`` says."""
    if keep is None:
        return present_split(sim, x, TEST, state, jobs, desc=desc, quiet=quiet)[0]
    return kept.present_kept(sim, x, state, keep[0], keep[1], jobs, desc, quiet, remove=False)[0]


def labelling_digest(m: MultimodalSpec, data: Data, state: dict) -> str:
    """What the labelling counts (clean and corrupted) depend on: both
    ensembles' specs, the cross-modal section, the seed and the pairs, the
    trained network (every array of its state) and the labelling pairs; not
    [readout], so a changed readout re-uses them."""
    h = hashlib.sha256("".join((dump_spec(m.image), dump_spec(m.audio), repr(m.cross), repr(m.pairs),
                                str(m.seed))).encode())
    for key in sorted(state):
        h.update(key.encode() + np.ascontiguousarray(state[key]).tobytes())
    for index in labelling_pairs(m, data):
        h.update(np.ascontiguousarray(index, dtype=np.int64).tobytes())
    return h.hexdigest()


def labelling_counts(run_dir: Path, sim: MultimodalSimulator, m: MultimodalSpec, data: Data,
                     state: dict, digest: str, quiet: bool = False, jobs: int = 1) -> tuple:
    """(clean counts, pair labels, corrupted counts, noise, severity, seconds
    an earlier, stopped labelling spent) of the labelling pairs: those kept
    in readout.npz by an earlier evaluation of the same network and pairs
    (``digest``: ``labelling_digest``), or measured now and kept at once (so
    an evaluation stopped while scoring, or one of the other split, does not
    label again). While measured, both are kept block by block
    (``labelling.partial.npz``, ``corrupted_labelling.partial.npz``): a
    labelling stopped midway goes on from its last block."""
    saved = runs.load_npz(run_dir / runs.READOUT) if (run_dir / runs.READOUT).exists() else {}
    if str(saved.get("labelling_digest", "")) == digest:
        return (saved["assign_counts"], saved["assign_labels"], saved["assign_counts_corrupted"],
                saved["corruption_noise"], saved["corruption_severity"], 0.0)
    clean = (run_dir / kept.LABELLING_PARTIAL, f"clean:{digest}")
    dirty = (run_dir / f"corrupted_{kept.LABELLING_PARTIAL}", f"corrupted:{digest}")
    earlier = kept.seconds_kept(*clean) + kept.seconds_kept(*dirty)
    _, _, counts, labels = assign_labels(sim, m, data, state, quiet, jobs, keep=clean)
    corrupted, noise, severity = corrupted_labelling_counts(sim, m, data, state, quiet, jobs, keep=dirty)
    runs.update_npz(run_dir / runs.READOUT, assign_counts=counts, assign_labels=labels,
                    assign_counts_corrupted=corrupted, corruption_noise=noise,
                    corruption_severity=severity, labelling_digest=np.array(digest))
    clean[0].unlink(missing_ok=True)
    dirty[0].unlink(missing_ok=True)
    return counts, labels, corrupted, noise, severity, earlier


def rounded(d):
    """A nested dict of accuracies with every number rounded to 4 places."""
    return {k: rounded(v) if isinstance(v, dict) else round(v, 4) for k, v in d.items()}


def evaluate(run_dir: Path, data: Data | None = None, device: str | None = None,
             quiet: bool = False, jobs: int | None = None, split: str = "validation") -> dict:
    """Assign labels and fit the combining rules on training pairs (both
    modalities), then score the three modes on the ``split`` pairs
    (``jobs`` processes, default one per usable core); written to
    metrics.json under ``evaluate.<split>``."""
    run_dir = Path(run_dir)
    m = open_run(run_dir)
    data = data or load_data(m)
    state = joint_trained_state(run_dir)
    sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input, device=device)
    n_i, n_classes = sim.n_image_neurons, data.n_classes
    jobs = jobs or default_jobs()
    t0 = time.perf_counter()
    network = labelling_digest(m, data, state)
    assign_counts, assign_y, corrupted, noise, severity, labelled_before = labelling_counts(
        run_dir, sim, m, data, state, network, quiet, jobs)
    rates_image = vote.class_rates(assign_counts[:, :n_i], assign_y, n_classes)
    rates_audio = vote.class_rates(assign_counts[:, n_i:], assign_y, n_classes)
    t1 = time.perf_counter()
    ts = scored_pairs(m, data, split)
    scored = hashlib.sha256(np.concatenate([ts.audio_index, ts.image_index]).astype(np.int64).tobytes())
    keep = (run_dir / split, f"{split}:{network}:{scored.hexdigest()}")
    scored_before = sum(kept.seconds_kept(_mode_partial(keep[0], mode), f"{keep[1]}:{mode}") for mode in MODES)
    counts = present_modes(sim, state, *ts.inputs(data), quiet=quiet, jobs=jobs, keep=keep)
    t2 = time.perf_counter() + scored_before     # with what a stopped evaluation spent
    reliability = combine.calibrate(assign_counts, assign_y, n_i, n_classes,
                                    streams.rng(m.seed, "calibration_folds"), corrupted)
    tilt, tilt_choice = combine.choose_tilt(assign_counts, assign_y, n_i, n_classes,
                                            streams.rng(m.seed, "tilt_folds"), reliability, corrupted,
                                            noise, severity, m.readout.min_clean_accuracy)
    acc = accuracies(counts, rates_image, rates_audio, ts.labels, n_i, m.readout.vote, reliability, tilt)
    runs.update_npz(run_dir / runs.READOUT, assign_image=vote.labels_from_rates(rates_image),
                  assign_audio=vote.labels_from_rates(rates_audio), rates_image=rates_image,
                  rates_audio=rates_audio, reliability=reliability, tilt=np.array(tilt),
                  assign_counts=assign_counts, assign_counts_corrupted=corrupted, assign_labels=assign_y,
                  corruption_noise=noise, corruption_severity=severity,
                  **{f"{split}_labels": ts.labels}, **{f"{split}_counts_{k}": v for k, v in counts.items()})
    result = {"split": split, "accuracy": acc, "pairs": int(len(ts.labels)),
              "recordings": int(len(np.unique(ts.audio_index))),
              "images": int(len(np.unique(ts.image_index))), "assign_pairs": int(m.pairs.assign_pairs),
              "cross_modal_gain": round(acc["both"] - max(acc["image"], acc["audio"]), 4),
              "recall_ratio": recall_ratio(acc),
              "vote": m.readout.vote,
              "reliability": {part: dict(zip(likelihood.RELIABILITY_FEATURES, np.round(p, 4).tolist()))
                              for part, p in zip(("image", "audio"), reliability)},
              "tilt": round(tilt, 4),
              "tilt_choice": rounded(tilt_choice),
              "vote_holdout": combine.vote_holdout(assign_counts, assign_y, n_i, n_classes,
                                                   streams.rng(m.seed, "holdout_folds"), corrupted, noise,
                                                   severity, m.readout.min_clean_accuracy),
              "assign_seconds": round(t1 - t0 + labelled_before, 2), "seconds": round(t2 - t1, 2),
              "jobs": jobs, "device": sim.device, "commit": commit()}
    runs.record_evaluation(run_dir, split, result)
    return result
