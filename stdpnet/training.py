"""Training, label assignment and testing of one ensemble, chunk by chunk.

``present`` shows a sequence of examples to the network: the compiled
schedule re-presents an example with a higher intensity until it evokes
``min_spikes`` spikes; here we only stitch chunks together and keep, for
each example, the spike counts of its accepted presentation.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from . import compression, readout, runs
from .config import Spec
from .data import Dataset, load_dataset
from .errors import RunFolderError
from .simulation import TEST, TRAIN, ChunkResult, Simulator


@dataclass
class Progress:
    """Where a presentation sequence stands; enough to resume it exactly."""
    position: int = 0                 # examples accepted so far
    intensity: float | None = None    # intensity of the next presentation
    presentations: int = 0
    seconds: float = 0.0
    history: list = field(default_factory=list)  # (examples, running accuracy)


def accepted_last(sim: Simulator, result: ChunkResult, pixels: np.ndarray) -> bool:
    """The in-network rule, for the chunk's last slot (decided at the next start)."""
    row = pixels[min(int(result.example[-1]), len(pixels) - 1)]
    return (sim.answered(result.counts[-1], row)
            or bool(result.intensity[-1] >= sim.spec.input.max_intensity))


def present(sim: Simulator, images: np.ndarray, mode: float, state: dict,
            progress: Progress | None = None, counts: np.ndarray | None = None,
            on_chunk: Callable | None = None, desc: str = "presenting", quiet: bool = False,
            first_example: int = 0):
    """Show ``images`` in order; returns (counts (n, neurons), state, progress).

    ``on_chunk(progress, state, counts)`` runs after every chunk (checkpoints).
    ``first_example`` is the position of ``images[0]`` in a longer sequence
    (it keys the Poisson streams, see stdpnet.neurons)."""
    spec, S = sim.spec, sim.slots
    n = len(images)
    progress = progress or Progress()
    counts = np.zeros((n, sim.n_neurons), np.int32) if counts is None else counts
    if progress.intensity is None:
        progress.intensity = spec.input.intensity
    bar = tqdm(total=n, initial=progress.position, desc=desc, unit="ex", disable=quiet,
               smoothing=0.1, dynamic_ncols=True)
    try:
        while progress.position < n:
            start = progress.position
            rows = images[start:start + S]
            pixels = np.zeros((S, sim.n_input))
            pixels[:len(rows)] = rows
            active = np.zeros(S)
            active[:len(rows)] = 1
            state = dict(state)
            state.update({
                "schedule.example": np.zeros(1, np.int32), "schedule.count": np.zeros(1, np.int32),
                "schedule.first_example": np.array([first_example + start], np.int32),
                "schedule.started": np.zeros(1, np.int32),
                "schedule.intensity": np.array([progress.intensity]),
                "schedule.mode": np.array([mode])})
            t0 = time.perf_counter()
            result = sim.run_chunk(pixels, active, state)
            progress.seconds += time.perf_counter() - t0
            state = result.state
            # slot k was accepted if the next slot shows the next example
            ex = result.example
            accepted = np.append(ex[1:] != ex[:-1], accepted_last(sim, result, pixels))
            accepted &= ex < len(rows)
            counts[start + ex[accepted]] = result.counts[accepted]
            done = int(accepted.sum())
            progress.presentations += int((ex < len(rows)).sum())
            progress.position += done
            progress.intensity = (spec.input.intensity if accepted[-1] or ex[-1] >= len(rows)
                                  else result.intensity[-1] + spec.input.intensity_step)
            bar.update(done)
            if on_chunk:
                postfix = on_chunk(progress, state, counts)
                if postfix:
                    bar.set_postfix(postfix, refresh=False)
    finally:
        bar.close()
    return counts, state, progress


def default_jobs() -> int:
    """The CPU cores this process may use (``taskset`` limits them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def can_split(sim: Simulator, mode: float) -> bool:
    """Whether presentations are independent of each other, so a sequence can
    be cut into parts: frozen weights and theta (test mode), the state reset at
    every slot start (rest_mode "reset") and per-presentation Poisson streams."""
    return mode == TEST and sim.spec.schedule.rest_mode == "reset"


_PARTS: dict = {}  # the work of present_split, inherited by its forked workers


def _present_part(lo: int, hi: int):
    sim, images, mode, state, queue = (_PARTS[k] for k in ("sim", "images", "mode", "state", "queue"))
    done = [0]

    def report(progress, state, counts):
        queue.put(progress.position - done[0])
        done[0] = progress.position

    return present(sim, images[lo:hi], mode, state, on_chunk=report, quiet=True, first_example=lo)


def present_split(sim: Simulator, images: np.ndarray, mode: float, state: dict, jobs: int,
                  desc: str = "presenting", quiet: bool = False):
    """``present`` (from a fresh schedule) with the sequence cut into ``jobs``
    contiguous parts run by as many processes at once. The counts are those of
    one process, example for example (see :func:`can_split`); the spike
    counters of the returned state are the sums over the parts."""
    jobs = max(1, min(jobs, -(-len(images) // sim.slots)))  # at most one part per chunk
    if jobs == 1 or not can_split(sim, mode):
        return present(sim, images, mode, state, desc=desc, quiet=quiet)
    import multiprocessing

    ctx = multiprocessing.get_context("fork")  # workers inherit the compiled simulator
    bounds = np.linspace(0, len(images), jobs + 1).astype(int)
    _PARTS.update(sim=sim, images=images, mode=mode, state=state, queue=ctx.SimpleQueue())
    t0 = time.perf_counter()
    try:
        with ctx.Pool(jobs) as pool:
            pending = pool.starmap_async(_present_part, zip(bounds[:-1], bounds[1:]))
            with tqdm(total=len(images), desc=desc, unit="ex", disable=quiet, smoothing=0.1,
                      dynamic_ncols=True) as bar:
                while not pending.ready():
                    pending.wait(0.25)
                    while not _PARTS["queue"].empty():
                        bar.update(_PARTS["queue"].get())
            parts = pending.get()
    finally:
        _PARTS.clear()
    counts = np.concatenate([c for c, _, _ in parts])
    out = dict(parts[0][1])
    for key in out:
        if key.endswith(".fired"):  # spikes of every part, counted from the start value
            start = state.get(key, 0)
            out[key] = start + sum(s[key] - start for _, s, _ in parts)
    progress = Progress(position=len(images), intensity=sim.spec.input.intensity,
                        presentations=sum(p.presentations for _, _, p in parts),
                        seconds=time.perf_counter() - t0)
    return counts, out, progress


def running_accuracy(counts, labels, position, chunk, window, n_classes):
    """Accuracy on the last chunk with labels assigned from the window before it."""
    lo = max(0, position - chunk - window)
    hi = position - chunk
    if hi - lo < 10 * n_classes:
        return None
    assignments = readout.assign_labels(counts[lo:hi], labels[lo:hi], n_classes)
    pred = readout.predict(counts[hi:position], assignments, n_classes)
    return readout.accuracy(labels[hi:position], pred)


def training_order(spec: Spec, data: Dataset) -> np.ndarray:
    """The first ``train_examples`` of the (seeded) shuffle, shown ``epochs`` times,
    each epoch in a new seeded order; the first epoch's order is also the labelling order."""
    n = min(spec.data.train_examples, len(data.train_x))
    if not spec.data.shuffle:
        return np.tile(np.arange(n), spec.data.epochs)
    rng = np.random.default_rng(spec.seed)
    first = rng.permutation(len(data.train_x))[:n]
    return np.concatenate([first] + [rng.permutation(first) for _ in range(spec.data.epochs - 1)])


def train(spec: Spec, run_dir: Path, device: str | None = None, resume: bool = False,
          quiet: bool = False, data: Dataset | None = None, stop_after_chunks: int | None = None):
    """Train on ``spec.data.train_examples`` examples; checkpoint after every chunk."""
    run_dir = Path(run_dir)
    data = data or load_dataset(spec.data, spec.seed)
    order = training_order(spec, data)
    images, labels = data.train_x[order], data.train_y[order]
    sim = Simulator(spec, data.n_input, device=device)
    ckpt_path = run_dir / runs.CHECKPOINT
    if resume:
        ckpt = runs.load_npz(ckpt_path)
        state = {k[6:]: v for k, v in ckpt.items() if k.startswith("state.")}
        counts = ckpt["counts"]
        meta = runs.load_json(run_dir / "progress.json")
        progress = Progress(**meta)
        if progress.position >= len(images):
            return state, progress
    else:
        state, counts, progress = sim.initial_state(spec.seed), None, Progress()
    chunks_done = [0]
    last_position = [progress.position]

    def on_chunk(progress: Progress, state: dict, counts: np.ndarray):
        # prune/quantise in place between chunks, before the checkpoint (exact resume)
        # (not at the very end: finalise() does that, after keeping the weights unquantised)
        if progress.position < len(images):
            compression.interval_step(state, spec, last_position[0], progress.position, len(images))
        last_position[0] = progress.position
        acc = running_accuracy(counts, labels, progress.position, min(sim.slots, progress.position),
                               window=2000, n_classes=data.n_classes)
        if acc is not None:
            progress.history.append((progress.position, acc))
        runs.save_npz(ckpt_path, counts=counts, **{f"state.{k}": v for k, v in state.items()})
        runs.save_json(run_dir / "progress.json", progress.__dict__)
        chunks_done[0] += 1
        if stop_after_chunks is not None and chunks_done[0] >= stop_after_chunks:
            raise KeyboardInterrupt  # used by tests to simulate an interruption
        return {"acc": f"{acc:.3f}" if acc is not None else "-",
                "ms/ex": f"{1000 * progress.seconds / max(progress.presentations, 1):.1f}"}

    counts, state, progress = present(sim, images, TRAIN, state, progress, counts, on_chunk,
                                      desc="training", quiet=quiet)
    extra, summary = {}, None
    if spec.compression.enabled:
        extra["w_unquantised"] = state["input_exc.w"].reshape(data.n_input, -1).copy()
        summary = compression.finalise(state, spec)
        extra["mask"] = state["input_exc.mask"].reshape(data.n_input, -1) > 0
        runs.save_npz(ckpt_path, counts=counts, **{f"state.{k}": v for k, v in state.items()})
    w = state["input_exc.w"].reshape(data.n_input, spec.excitatory.n_neurons)
    runs.save_npz(run_dir / runs.WEIGHTS, w=w, theta=state["excitatory.theta"], **extra)
    if summary is not None:
        runs.update_metrics(run_dir, pruning=summary)
    runs.update_metrics(run_dir, train={
        "examples": int(progress.position), "presentations": int(progress.presentations),
        "seconds": round(progress.seconds, 2), "device": sim.device,
        "ms_per_example": round(1000 * progress.seconds / max(progress.position, 1), 3),
        "running_accuracy": progress.history})
    return state, progress


def trained_state(run_dir: Path) -> dict:
    """Final state of a finished training run."""
    ckpt = runs.load_npz(Path(run_dir) / runs.CHECKPOINT)
    if not (Path(run_dir) / runs.WEIGHTS).exists():
        raise RunFolderError(f"{run_dir}: training has not finished; resume it with "
                             f"`stdpnet train --resume {run_dir}`")
    return {k[6:]: v for k, v in ckpt.items() if k.startswith("state.")}


def evaluate(run_dir: Path, device: str | None = None, quiet: bool = False,
             data: Dataset | None = None, jobs: int | None = None) -> dict:
    """Assign labels on labelled training examples, then test; theta frozen.
    Both sequences are cut into ``jobs`` parts run at once (default: one per
    usable core); the result does not depend on ``jobs``."""
    run_dir = Path(run_dir)
    spec = runs.open_run(run_dir)
    state = trained_state(run_dir)
    data = data or load_dataset(spec.data, spec.seed)
    sim = Simulator(spec, data.n_input, device=device, modes=(TEST,))
    order = training_order(spec, data)
    n_assign = min(spec.data.assign_examples, len(order) // spec.data.epochs)  # distinct examples
    assign_idx = order[:n_assign]
    n_test = min(spec.data.test_examples, len(data.test_x))

    jobs = jobs or default_jobs()
    t0 = time.perf_counter()
    assign_counts, _, _ = present_split(sim, data.train_x[assign_idx], TEST, state, jobs,
                                        desc="labelling", quiet=quiet)
    t1 = time.perf_counter()
    test_counts, test_state, test_progress = present_split(sim, data.test_x[:n_test], TEST,
                                                           compression.zero_counters(state), jobs,
                                                           desc="testing", quiet=quiet)
    t2 = time.perf_counter()
    rates = readout.class_rates(assign_counts, data.train_y[assign_idx], data.n_classes)
    assignments = readout.labels_from_rates(rates)
    pred = readout.predict(test_counts, assignments, data.n_classes)
    y = data.test_y[:n_test]
    acc = readout.accuracy(y, pred)
    # the same counts read by the Poisson likelihood readout (reported beside the vote)
    acc_likelihood = readout.accuracy(y, readout.log_likelihoods(test_counts, rates).argmax(axis=1))
    conf = readout.confusion_matrix(y, pred, data.n_classes)
    runs.save_npz(run_dir / runs.READOUT, assignments=assignments, assign_counts=assign_counts,
                  assign_labels=data.train_y[assign_idx], test_counts=test_counts,
                  test_labels=y, predictions=pred)
    result = {"accuracy": acc, "accuracy_likelihood": acc_likelihood, "test_examples": int(n_test),
              "assign_examples": int(n_assign),
              "confusion": conf.tolist(), "device": sim.device,
              "test_seconds": round(t2 - t1, 2), "assign_seconds": round(t1 - t0, 2), "jobs": jobs,
              "test_ms_per_example": round(1000 * (t2 - t1) / max(n_test, 1), 3),
              "neurons_per_class": np.bincount(assignments[assignments >= 0],
                                               minlength=data.n_classes).tolist()}
    steps = int(round(sim.slot / (spec.schedule.dt_ms * 1e-3)))
    cost = compression.accounting(spec, test_state, n_test, test_progress.presentations, steps)
    runs.update_metrics(run_dir, evaluate=result, compression=cost)
    result["compression"] = cost
    return result
