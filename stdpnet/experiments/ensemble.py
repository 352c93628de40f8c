"""Training, label assignment and testing of one ensemble (``stdpnet train``,
``stdpnet evaluate``): the examples of a dataset presented chunk by chunk
(``stdpnet.engine.present``), a checkpoint after every chunk, pruning and
quantisation between chunks (``stdpnet.model.compression``).
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .. import runs
from ..results import commit
from ..data.dataset import scored_subset
from ..data.load import Dataset, load_dataset
from ..engine.cores import default_jobs
from ..engine.device import BinaryRunner
from ..engine.present import Progress, present
from ..engine.simulator import TEST, TRAIN, Simulator
from ..errors import ConfigError, RunFolderError
from ..model import compression, cost
from ..readout import likelihood, vote
from ..spec import Spec, dump_spec
from . import kept
from .kept import LABELLING_PARTIAL, SCORING_PARTIAL


RUNNING_WINDOW = 2000   # examples that label the neurons for the running accuracy


def running_accuracy(counts, labels, position, chunk, window, n_classes):
    """Accuracy on the last ``chunk`` examples with labels assigned from the
    ``window`` before them. ``counts`` holds the examples just before
    ``position`` (at least ``chunk + window`` of them, or all)."""
    first = position - len(counts)             # example of counts[0]
    lo = max(first, position - chunk - window)
    hi = position - chunk
    if hi - lo < 10 * n_classes:
        return None
    assignments = vote.assign_labels(counts[lo - first:hi - first], labels[lo:hi], n_classes)
    pred = vote.predict(counts[hi - first:], assignments, n_classes)
    return vote.accuracy(labels[hi:position], pred)


def training_order(spec: Spec, data: Dataset) -> np.ndarray:
    """The first ``train_examples`` of the (seeded) shuffle, shown ``epochs`` times,
    each epoch in a new seeded order; the first epoch's order is also the labelling order."""
    n, _, _ = spec.data.counts(len(data.train_x), len(data.test_x))
    if not spec.data.shuffle:
        return np.tile(np.arange(n), spec.data.epochs)
    rng = np.random.default_rng(spec.seed)
    first = rng.permutation(len(data.train_x))[:n]
    return np.concatenate([first] + [rng.permutation(first) for _ in range(spec.data.epochs - 1)])


def train(spec: Spec, run_dir: Path, device: str | None = None, resume: bool = False,
          quiet: bool = False, data: Dataset | None = None,
          stop: Callable[[Progress], bool] | None = None):
    """Train on ``spec.data.train_examples`` examples; checkpoint after every
    chunk. ``stop(progress)``, asked after every checkpoint, ends training
    there when it returns True (the run is then resumable, and no weights.npz
    is written). Returns (state, progress)."""
    run_dir = Path(run_dir)
    reset_peak_memory()
    data = data or load_dataset(spec.data, spec.seed)
    order = training_order(spec, data)
    images, labels = data.train_x[order], data.train_y[order]
    ckpt = None
    if resume and (run_dir / runs.CHECKPOINT).exists():   # (none yet: killed before the first chunk)
        ckpt = runs.load_checkpoint(run_dir)
        check_trained_on(run_dir, ckpt.state, data, spec)
        if ckpt.progress.position >= len(images) and (run_dir / runs.WEIGHTS).exists() \
                and not unfinalised(run_dir, ckpt.state, spec):
            return ckpt.state, ckpt.progress   # finished; a complete checkpoint without weights is finished below
    sim = Simulator(spec, data.n_input, device=device)
    if ckpt is not None:
        state, counts, progress = ckpt.state, ckpt.counts, ckpt.progress
    else:
        state, counts, progress = sim.initial_state(spec.seed), None, Progress()
    last_position = [progress.position]
    epoch_length = len(images) // spec.data.epochs

    def on_chunk(progress: Progress, state: dict, counts: np.ndarray):
        # prune/quantise in place between chunks, before the checkpoint (exact resume)
        # and the epoch's snapshot (the network training goes on from)
        # (not at the very end: finalise() does that, after keeping the weights unquantised)
        if progress.position < len(images):
            compression.interval_step(state, spec, last_position[0], progress.position, len(images))
        if spec.data.epochs > 1 and progress.position // epoch_length > last_position[0] // epoch_length:
            save_snapshot(run_dir, progress.position // epoch_length, progress.position, state)
        last_position[0] = progress.position
        acc = running_accuracy(counts, labels, progress.position, min(sim.slots, progress.position),
                               window=RUNNING_WINDOW, n_classes=data.n_classes)
        if acc is not None:
            progress.history.append((progress.position, acc))
        runs.save_checkpoint(run_dir, runs.Checkpoint(state, counts, progress, len(images)))
        return {"acc": f"{acc:.3f}" if acc is not None else "-",
                "ms/ex": f"{1000 * progress.seconds / max(progress.presentations, 1):.1f}"}

    counts, state, progress = present(sim, images, TRAIN, state, progress, counts, on_chunk,
                                      desc="training", quiet=quiet, stop=stop,
                                      keep=sim.slots + RUNNING_WINDOW)
    if progress.position < len(images):  # stopped: the checkpoint holds everything
        return state, progress
    extra, summary = {}, None
    if spec.compression.enabled:
        extra["w_unquantised"] = state["input_exc.w"].reshape(data.n_input, -1).copy()
        summary = compression.finalise(state, spec)
        extra["mask"] = state["input_exc.mask"].reshape(data.n_input, -1) > 0
        if spec.data.epochs > 1:   # the last epoch's point is the network evaluate scores
            save_snapshot(run_dir, spec.data.epochs, progress.position, state)
    # what training measured before weights.npz, the mark of a finished run:
    # a run stopped in between is finished by --resume, which writes both again
    runs.update_metrics(run_dir, **({"pruning": summary} if summary is not None else {}), train={
        "examples": int(progress.position), "presentations": int(progress.presentations),
        "seconds": round(progress.seconds, 2), "device": sim.device,
        "ms_per_example": round(1000 * progress.seconds / max(progress.position, 1), 3),
        "peak_mb": peak_memory_mb(), "running_accuracy": progress.history, "commit": commit()})
    w = state["input_exc.w"].reshape(data.n_input, spec.excitatory.n_neurons)
    runs.save_npz(run_dir / runs.WEIGHTS, w=w, theta=state["excitatory.theta"], **extra)
    if summary is not None:
        # the finalised state after weights.npz: stopped between the two, the checkpoint
        # is the unfinalised one, which --resume finalises (with w_unquantised) again
        runs.save_checkpoint(run_dir, runs.Checkpoint(state, counts, progress, len(images)))
    return state, progress


def unfinalised(run_dir: Path, state: dict, spec: Spec) -> bool:
    """A compressed run stopped after weights.npz but before its finalised
    checkpoint: the checkpoint's weights are not the pruned, quantised ones."""
    return spec.compression.enabled and mismatched(runs.load_npz(Path(run_dir) / runs.WEIGHTS), state) is not None


def reset_peak_memory() -> None:
    """Measure the peak resident memory from here on: a sweep's worker trains
    task after task in one process, whose peak so far would be the largest
    of them. Linux resets the process's high-water mark (elsewhere it stays
    the process's peak so far); the binaries' peak starts again at 0."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    BinaryRunner.peak_kb = 0


def peak_memory_mb() -> dict:
    """Peak resident memory (MB) since ``reset_peak_memory``: of this
    process, and of the largest compiled binary it ran (the standalone
    networks run as child processes)."""
    import resource
    return {"process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "binaries": round(BinaryRunner.peak_kb / 1024, 1)}


SNAPSHOTS = "epochs"    # the state at the end of every epoch (runs of several epochs)


def save_snapshot(run_dir: Path, epoch: int, position: int, state: dict) -> None:
    """The state after ``epoch`` epochs (at the first checkpoint at or after
    the epoch's last example, ``position``), for the learning curve."""
    (Path(run_dir) / SNAPSHOTS).mkdir(exist_ok=True)
    runs.save_npz(Path(run_dir) / SNAPSHOTS / f"epoch_{epoch}.npz", position=np.array(position),
                  **{f"state.{k}": v for k, v in state.items()})


def snapshots(run_dir: Path) -> list[tuple[int, int, Path]]:
    """(epoch, examples seen, path) of every saved epoch state, in order."""
    found = []
    for path in sorted((Path(run_dir) / SNAPSHOTS).glob("epoch_*.npz")):
        with np.load(path) as npz:
            found.append((int(path.stem.split("_")[1]), int(npz["position"]), path))
    return sorted(found)


def trained_state(run_dir: Path) -> dict:
    """Final state of a finished training run, its weights.npz checked
    against the checkpoint (a truncated, corrupt or stale weights file is an
    error that says what to do)."""
    run_dir = Path(run_dir)
    if not (run_dir / runs.WEIGHTS).exists():
        raise RunFolderError(f"{run_dir}: training has not finished (no {runs.WEIGHTS}); finish it with "
                             f"`stdpnet train --resume {run_dir}`")
    state = runs.load_checkpoint(run_dir).state
    key = mismatched(runs.load_npz(run_dir / runs.WEIGHTS), state)
    if key is not None:
        raise RunFolderError(f"{run_dir / runs.WEIGHTS}: {key} does not match {runs.CHECKPOINT}; "
                             f"delete {runs.WEIGHTS} and rewrite it with `stdpnet train --resume {run_dir}`")
    return state


def mismatched(weights: dict, state: dict) -> str | None:
    """The first of weights.npz's ``w`` and ``theta`` that is missing or
    differs from the checkpoint ``state`` (None: they agree)."""
    for key, name in (("w", "input_exc.w"), ("theta", "excitatory.theta")):
        if key not in weights or not np.array_equal(np.ravel(weights[key]), np.ravel(state[name])):
            return key
    return None


def check_trained_on(run_dir: Path, state: dict, data: Dataset, spec: Spec) -> None:
    """The network in ``state`` has an input weight for each of ``data``'s
    inputs: a dataset changed since training (another image size) is said
    before anything is compiled."""
    neurons = np.size(state["excitatory.theta"]) if "excitatory.theta" in state else spec.excitatory.n_neurons
    if neurons != spec.excitatory.n_neurons:
        raise RunFolderError(f"{run_dir}: the network was trained with {neurons} excitatory neurons, but its "
                             f"spec now says {spec.excitatory.n_neurons}: spec.toml changed since training; "
                             "train the run again")
    trained = np.size(state["input_exc.w"]) // spec.excitatory.n_neurons
    if trained != data.n_input:
        raise RunFolderError(f"{run_dir}: the network was trained on {trained} inputs per example, but "
                             f"{spec.data.dataset} data now has {data.n_input} ({'x'.join(map(str, data.shape))}): the data "
                             "changed since training; train the run again")


def evaluate(run_dir: Path, device: str | None = None, quiet: bool = False,
             data: Dataset | None = None, jobs: int | None = None, split: str = "validation") -> dict:
    """Assign labels on labelled training examples, then score the ``split``
    part (``validation``: carved from the training side, for every choice;
    ``test``: the final figure); theta frozen. Both sequences are cut into
    ``jobs`` parts run at once (default: one per usable core); the result does
    not depend on ``jobs``. Written to metrics.json under ``evaluate.<split>``."""
    run_dir = Path(run_dir)
    spec = runs.open_run(run_dir)
    if split == "validation" and spec.data.refit:
        raise ConfigError(f"{run_dir}: trained with data.refit, on the validation part too: "
                          "it has no validation figure (score --split test)")
    state = trained_state(run_dir)
    data = data or load_dataset(spec.data, spec.seed)
    check_trained_on(run_dir, state, data, spec)
    scored_x, scored_y = data.split(split)
    sim = Simulator(spec, data.n_input, device=device, modes=(TEST,))
    order = training_order(spec, data)
    _, n_assign, n_test = spec.data.counts(len(data.train_x), len(data.test_x))
    assign_idx = order[:n_assign]
    scored = scored_subset(scored_y, n_test if split == "test" else len(scored_x))

    jobs = jobs or default_jobs()
    t0 = time.perf_counter()
    # the labelling counts depend only on the trained state and the labelled examples:
    # scoring the other split reuses them
    labelled = _presentation_digest(spec, state, assign_idx)
    saved = runs.load_npz(run_dir / runs.READOUT) if (run_dir / runs.READOUT).exists() else {}
    labelled_before = 0.0   # seconds a stopped evaluation spent labelling
    if str(saved.get("labelling_digest", "")) == labelled:
        assign_counts = saved["assign_counts"]
    else:
        assign_counts, _, _, labelled_before = _score(
            sim, spec, state, data.train_x[assign_idx], run_dir / LABELLING_PARTIAL, "labelling",
            jobs, quiet)
        # kept at once, so an evaluation stopped while scoring does not label again
        runs.update_npz(run_dir / runs.READOUT, assign_counts=assign_counts,
                        assign_labels=data.train_y[assign_idx], labelling_digest=np.array(labelled),
                        assignments=vote.labels_from_rates(vote.class_rates(
                            assign_counts, data.train_y[assign_idx], data.n_classes)))
    t1 = time.perf_counter()
    counts, scored_state, scored_progress, earlier_seconds = _score(
        sim, spec, state, scored_x[scored], run_dir / f"{split}{SCORING_PARTIAL}",
        f"scoring ({split})", jobs, quiet)
    t2 = time.perf_counter() + earlier_seconds
    rates = vote.class_rates(assign_counts, data.train_y[assign_idx], data.n_classes)
    assignments = vote.labels_from_rates(rates)
    pred = vote.predict(counts, assignments, data.n_classes)
    y = scored_y[scored]
    acc = vote.accuracy(y, pred)
    # the same counts read by the Poisson likelihood readout (reported beside the vote)
    acc_likelihood = vote.accuracy(y, likelihood.log_likelihoods(counts, rates).argmax(axis=1))
    conf = vote.confusion_matrix(y, pred, data.n_classes)
    runs.update_npz(run_dir / runs.READOUT, assignments=assignments, assign_counts=assign_counts,
                    assign_labels=data.train_y[assign_idx], labelling_digest=np.array(labelled),
                    **{f"{split}_counts": counts,
                    f"{split}_labels": y, f"{split}_predictions": pred})
    steps = int(round(sim.slot / (spec.schedule.dt_for(False) * 1e-3)))   # the test network's
    result = {"split": split, "accuracy": acc, "accuracy_likelihood": acc_likelihood,
              "examples": len(scored), "assign_examples": int(n_assign),
              "confusion": conf.tolist(), "device": sim.device,
              "seconds": round(t2 - t1, 2), "assign_seconds": round(t1 - t0 + labelled_before, 2),
              "jobs": jobs,
              "ms_per_example": round(1000 * (t2 - t1) / max(len(scored), 1), 3),
              "neurons_per_class": vote.neurons_per_class(assignments, data.n_classes).tolist(),
              # the mean excitatory spikes a labelling example of each class evokes
              "spikes_per_class": np.round(rates.sum(axis=1), 3).tolist(),
              "compression": cost.accounting(spec, scored_state, len(scored),
                                                    scored_progress.presentations, steps),
              "commit": commit()}
    runs.record_evaluation(run_dir, split, result)
    return result


def learning_curve(run_dir: Path, split: str = "validation", device: str | None = None,
                   quiet: bool = False, data: Dataset | None = None, jobs: int | None = None,
                   log: Callable = lambda *_: None) -> list[dict]:
    """The ``split`` accuracy of the state saved after every epoch (labels
    assigned anew from that state, as ``evaluate`` does), written to
    metrics.json under ``learning_curve.<split>`` and plotted in
    learning_curve.png. Epochs scored before are not scored again, and
    an epoch stopped midway goes on from the counts it has kept."""
    if split == "test":
        raise ValueError("a learning curve is for choosing (the number of epochs): it reads the "
                         "validation split, never the test split")
    run_dir = Path(run_dir)
    spec = runs.open_run(run_dir)
    saved = snapshots(run_dir)
    if not saved:
        raise RunFolderError(f"{run_dir / SNAPSHOTS}: no epoch states (a run of one epoch, or "
                             f"trained before they were saved): nothing to plot")
    data = data or load_dataset(spec.data, spec.seed)
    with np.load(saved[0][2]) as first:    # every epoch's state has the run's shape
        check_trained_on(saved[0][2], {k: first[f"state.{k}"] for k in ("input_exc.w", "excitatory.theta")
                                       if f"state.{k}" in first.files}, data, spec)
    sim = Simulator(spec, data.n_input, device=device, modes=(TEST,))
    order = training_order(spec, data)
    _, n_assign, _ = spec.data.counts(len(data.train_x), len(data.test_x))
    assign_idx = order[:n_assign]
    scored_x, scored_y = data.split(split)
    metrics = runs.load_json(run_dir / runs.METRICS)
    done = {p["epoch"]: p for p in metrics.get("learning_curve", {}).get(split, [])}
    scored = metrics.get("evaluate", {}).get(split)   # the finished run's own figure
    final = trained_state(run_dir) if scored and (run_dir / runs.WEIGHTS).exists() else None
    points = []
    for epoch, position, path in saved:
        if "accuracy_likelihood" not in done.get(epoch, {}):   # scored before the likelihood was kept
            npz = runs.load_npz(path)
            state = {k[6:]: v for k, v in npz.items() if k.startswith("state.")}
            if final is not None and "accuracy_likelihood" in scored and all(
                    np.array_equal(state[k], final[k]) for k in
                    ("input_exc.w", "input_exc.mask", "excitatory.theta") if k in final):
                acc = {k: scored[k] for k in ("accuracy", "accuracy_likelihood")}   # the trained network
            else:
                acc = _score_state(sim, spec, data, state, assign_idx, scored_x, scored_y, jobs, quiet,
                                   run_dir / SNAPSHOTS / f"curve_epoch{epoch}")
            done[epoch] = {"epoch": epoch, "examples": position, **acc}
            runs.update_metrics(run_dir, learning_curve={split: sorted(done.values(),
                                                                       key=lambda p: p["epoch"])})
        points.append(done[epoch])
        log(f"epoch {epoch} ({position} examples): {split} accuracy {done[epoch]['accuracy']:.2%}, "
            f"likelihood readout {done[epoch]['accuracy_likelihood']:.2%}")
    from .. import plots
    plots.plot_learning_curve({f"seed {spec.seed}": points}, run_dir / "learning_curve.png", split,
                              spec.name)
    return points


def _score_state(sim, spec, data, state, assign_idx, scored_x, scored_y, jobs, quiet, prefix: Path) -> dict:
    """Accuracy on ``scored_x`` of the vote and of the likelihood readout, as
    ``evaluate`` reads them, with labels assigned on ``assign_idx``, state
    frozen. The counts are kept as they come, as ``evaluate`` keeps them
    (``<prefix>_labelling.partial.npz``, ``<prefix>_scoring.partial.npz``)."""
    jobs = jobs or default_jobs()
    labelling = Path(f"{prefix}_{LABELLING_PARTIAL}")   # kept until the scoring is done too
    assign_counts = _score(sim, spec, state, data.train_x[assign_idx], labelling, "labelling", jobs,
                           quiet, remove=False)[0]
    counts = _score(sim, spec, state, scored_x, Path(f"{prefix}{SCORING_PARTIAL}"), "scoring", jobs, quiet)[0]
    labelling.unlink(missing_ok=True)
    rates = vote.class_rates(assign_counts, data.train_y[assign_idx], data.n_classes)
    return {"accuracy": vote.accuracy(scored_y, vote.predict(counts, vote.labels_from_rates(rates),
                                                             data.n_classes)),
            "accuracy_likelihood": vote.accuracy(scored_y,
                                                 likelihood.log_likelihoods(counts, rates).argmax(axis=1))}


def _score(sim: Simulator, spec: Spec, state: dict, images: np.ndarray, partial: Path,
           desc: str, jobs: int, quiet: bool, remove: bool = True) -> tuple:
    """``kept.present_kept`` of the frozen network shown ``images``, its
    spike counters counted from zero: (counts, summed counters, progress,
    seconds an earlier, stopped call spent on them)."""
    digest = f"{partial.name}:{_presentation_digest(spec, state, np.arange(len(images)))}"
    return kept.present_kept(sim, images, cost.zero_counters(state), partial, digest, jobs, desc,
                             quiet, remove)


def _presentation_digest(spec: Spec, state: dict, assign_idx: np.ndarray) -> str:
    """What the counts of the frozen network shown the examples at
    ``assign_idx`` depend on: the spec, the frozen weights, mask and
    thresholds, the seed, and which examples are shown."""
    h = hashlib.sha256(dump_spec(spec).encode())
    for key in ("input_exc.w", "input_exc.mask", "excitatory.theta", "input.seed"):
        if key in state:
            h.update(np.ascontiguousarray(state[key]).tobytes())
    h.update(np.ascontiguousarray(assign_idx, dtype=np.int64).tobytes())
    return h.hexdigest()
