"""Presenting a sequence of examples to a network, chunk by chunk.

``present`` shows a sequence of examples: the compiled schedule re-presents
an example with a higher intensity until it evokes ``min_spikes`` spikes;
here the chunks are stitched together and, for each example, the spike
counts of its accepted presentation are kept. ``present_split`` cuts a test
sequence into parts run by several processes at once; ``present_blocks``
runs it in blocks whose counts are kept on disk, so a stopped evaluation
goes on (``engine.cores`` says how many processes the machine allows).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from tqdm import tqdm

from .. import interrupts
from ..model.schedule import TEST, schedule_start
from .simulator import ChunkResult, Simulator


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
            first_example: int = 0, stop: Callable[[Progress], bool] | None = None,
            keep: int | None = None):
    """Show ``images`` in order; returns (counts (n, neurons), state, progress).

    ``on_chunk(progress, state, counts)`` runs after every chunk (checkpoints);
    then ``stop(progress)``, if given, may end the sequence early (True).
    ``first_example`` is the position of ``images[0]`` in a longer sequence
    (it keys the Poisson streams, see stdpnet.model.neurons). With ``keep``,
    ``counts`` holds only the last ``keep`` examples, those before
    ``progress.position`` (a long training run would otherwise hold examples x
    neurons counts: 3.8 GB for three epochs at 6,400 neurons)."""
    spec, S = sim.spec, sim.slots
    n = len(images)
    progress = progress or Progress()
    if keep is None:
        counts = np.zeros((n, sim.n_neurons), np.int32) if counts is None else counts
    else:
        counts = trailing(counts, progress.position, keep, sim.n_neurons)
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
            state = {**state, **schedule_start(progress.intensity, mode, first_example + start)}
            t0 = time.perf_counter()
            result = sim.run_chunk(pixels, active, state)
            interrupts.check()    # a Ctrl-C swallowed on its way: drop the chunk
            progress.seconds += time.perf_counter() - t0
            state = result.state
            # slot k was accepted if the next slot shows the next example
            ex = result.example
            accepted = np.append(ex[1:] != ex[:-1], accepted_last(sim, result, pixels))
            accepted &= ex < len(rows)
            done = int(accepted.sum())
            if keep is None:
                counts[start + ex[accepted]] = result.counts[accepted]
            else:   # accepted slots show examples start, start + 1, ... in order
                counts = trailing(np.concatenate([counts, result.counts[accepted]]),
                                  start + done, keep, sim.n_neurons)
            progress.presentations += int((ex < len(rows)).sum())
            progress.position += done
            progress.intensity = float(spec.input.intensity if accepted[-1] or ex[-1] >= len(rows)
                                       else result.intensity[-1] + spec.input.intensity_step)
            bar.update(done)
            if on_chunk:
                postfix = on_chunk(progress, state, counts)
                if postfix:
                    bar.set_postfix(postfix, refresh=False)
            if stop is not None and stop(progress):
                break
    finally:
        bar.close()
    return counts, state, progress


def trailing(counts: np.ndarray | None, position: int, keep: int, n_neurons: int) -> np.ndarray:
    """The counts of the last ``min(keep, position)`` examples before
    ``position``, from a trailing buffer or from a full (examples, neurons)
    array (a checkpoint written before training kept a trailing buffer)."""
    if counts is None or position == 0:
        return np.zeros((0, n_neurons), np.int32)
    if len(counts) > position:          # full array: examples 0 .. n - 1
        counts = counts[:position]
    return np.ascontiguousarray(counts[len(counts) - min(keep, len(counts)):], dtype=np.int32)


def can_split(sim: Simulator, mode: float) -> bool:
    """Whether presentations are independent of each other, so a sequence can
    be cut into parts: frozen weights and theta (test mode), the state reset at
    every slot start (rest_mode "reset") and per-presentation Poisson streams."""
    return mode == TEST and sim.spec.schedule.rest_mode == "reset"


_PARTS: dict = {}  # the work of present_split, inherited by its forked workers


def _reporter(update: Callable[[int], object]) -> Callable:
    """An ``on_chunk`` that passes on the examples done since its last call."""
    done = [0]

    def report(progress, state, counts):
        update(progress.position - done[0])
        done[0] = progress.position
    return report


def _present_part(lo: int, hi: int):
    sim, images, mode, state, queue, first = (_PARTS[k] for k in ("sim", "images", "mode", "state",
                                                                  "queue", "first"))
    return present(sim, images[lo:hi], mode, state, on_chunk=_reporter(queue.put), quiet=True,
                   first_example=first + lo)


def present_split(sim: Simulator, images: np.ndarray, mode: float, state: dict, jobs: int,
                  desc: str = "presenting", quiet: bool = False, first_example: int = 0,
                  bar: tqdm | None = None):
    """``present`` (from a fresh schedule) with the sequence cut into ``jobs``
    contiguous parts run by as many processes at once. The counts are those of
    one process, example for example (see :func:`can_split`); the spike
    counters of the returned state are the sums over the parts.
    ``first_example`` as in ``present``; ``bar``: a progress bar to advance
    instead of one of its own."""
    jobs = max(1, min(jobs, -(-len(images) // sim.slots)))  # at most one part per chunk
    if jobs == 1 or not can_split(sim, mode):
        if bar is None:
            return present(sim, images, mode, state, desc=desc, quiet=quiet, first_example=first_example)
        return present(sim, images, mode, state, quiet=True, first_example=first_example,
                       on_chunk=_reporter(bar.update))
    import multiprocessing

    ctx = multiprocessing.get_context("fork")  # workers inherit the compiled simulator
    bounds = np.linspace(0, len(images), jobs + 1).astype(int)
    _PARTS.update(sim=sim, images=images, mode=mode, state=state, queue=ctx.SimpleQueue(),
                  first=first_example)
    t0 = time.perf_counter()
    own_bar = bar is None
    if own_bar:
        bar = tqdm(total=len(images), desc=desc, unit="ex", disable=quiet, smoothing=0.1,
                   dynamic_ncols=True)
    try:
        with ctx.Pool(jobs) as pool:
            pending = pool.starmap_async(_present_part, zip(bounds[:-1], bounds[1:]))
            while not pending.ready():
                pending.wait(0.25)
                while not _PARTS["queue"].empty():
                    bar.update(_PARTS["queue"].get())
            parts = pending.get()
    finally:
        _PARTS.clear()
        if own_bar:
            bar.close()
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


def present_blocks(sim: Simulator, images: np.ndarray, mode: float, state: dict, jobs: int,
                   block: int, done: tuple | None = None, on_block: Callable | None = None,
                   desc: str = "presenting", quiet: bool = False):
    """``present_split`` block by block (``block`` examples each), so that the
    work finished can be kept: after each block ``on_block(counts, counters,
    presentations)`` gets the counts of every example so far, the spike
    counters summed over them (from ``state``'s) and the presentations; an
    earlier call's last such triple as ``done`` continues after it. Needs
    independent presentations (:func:`can_split`); the result is that of one
    ``present_split`` over all ``images``."""
    if not can_split(sim, mode):
        raise ValueError("presentations that depend on the ones before cannot be cut into blocks")
    counts, counters, presentations = done or (np.zeros((0, sim.n_neurons), np.int32), {}, 0)
    counters = dict(counters)
    t0 = time.perf_counter()
    out = state
    with tqdm(total=len(images), initial=len(counts), desc=desc, unit="ex", disable=quiet,
              smoothing=0.1, dynamic_ncols=True) as bar:
        for lo in range(len(counts), len(images), block):
            part, out, progress = present_split(sim, images[lo:lo + block], mode, state, jobs,
                                                first_example=lo, bar=bar)
            counts = np.concatenate([counts, part])
            for key in out:
                if key.endswith(".fired"):
                    counters[key] = counters.get(key, 0) + (out[key] - state.get(key, 0))
            presentations += progress.presentations
            if on_block is not None:
                on_block(counts, dict(counters), presentations)
    out = {**out, **{key: state.get(key, 0) + value for key, value in counters.items()}}
    return counts, out, Progress(position=len(images), intensity=sim.spec.input.intensity,
                                 presentations=presentations, seconds=time.perf_counter() - t0)
