"""Presentations to a frozen network kept block by block: an evaluation
(labelling, scoring) stopped midway, run again, shows only the examples it
has not yet shown. Used by the ensemble's evaluation and learning curve and
by the audio-visual network's evaluation; a sweep's bar reads the files to
show how far a task is (``stdpnet.experiments.progress``)."""
from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np

from .. import runs
from ..engine.present import can_split, present_blocks, present_split
from ..engine.simulator import TEST, Simulator

# shown examples x excitatory neurons between two saves: 2,000 examples at
# 6,400 neurons (a minute or two); one block for the small networks, whose
# whole evaluation takes seconds
BLOCK_WORK = 2000 * 6400
# the counts so far of a presentation stopped midway
SCORING_PARTIAL = "_scoring.partial.npz"      # <split>[_<mode>]_scoring.partial.npz: a scored split's
LABELLING_PARTIAL = "labelling.partial.npz"   # [<prefix>_]labelling.partial.npz: the labelled examples'


def present_kept(sim: Simulator, images: np.ndarray, state: dict, partial: Path, digest: str,
                 jobs: int, desc: str, quiet: bool, remove: bool = True) -> tuple:
    """The counts, summed spike counters and progress of the frozen network
    (``state``) shown ``images``, and the seconds an earlier, stopped call
    spent on them. With independent presentations (``can_split``), block by
    block (``BLOCK_WORK``), the counts so far kept after each in ``partial``
    with ``digest`` (what the counts depend on) and how many examples there
    are in all; a call finding the same digest there goes on after its last
    block. ``partial`` is removed at the end if ``remove``. The counts are
    those of one ``present_split``."""
    if not can_split(sim, TEST):
        return (*present_split(sim, images, TEST, state, jobs, desc=desc, quiet=quiet), 0.0)
    saved = runs.load_npz(partial) if partial.exists() else {}
    done, earlier = None, 0.0
    if str(saved.get("digest", "")) == digest and int(saved["total"]) == len(images):
        done = (saved["counts"], {k[len("counter."):]: v for k, v in saved.items()
                                  if k.startswith("counter.")}, int(saved["presentations"]))
        earlier = float(saved["seconds"])
    t0 = time.perf_counter()

    def keep(counts, counters, presentations):
        runs.save_npz(partial, digest=np.array(digest), counts=counts,
                      position=np.array(len(counts)), total=np.array(len(images)),
                      presentations=np.array(presentations),
                      seconds=np.array(earlier + time.perf_counter() - t0),
                      **{f"counter.{k}": v for k, v in counters.items()})

    block = max(BLOCK_WORK // sim.n_neurons, jobs * sim.slots)
    counts, out, progress = present_blocks(sim, images, TEST, state, jobs, block, done, keep,
                                           desc=desc, quiet=quiet)
    if remove:
        partial.unlink(missing_ok=True)
    return counts, out, progress, earlier


def seconds_kept(partial: Path, digest: str) -> float:
    """The seconds spent on the counts kept in ``partial`` under ``digest``
    by an earlier, stopped call (0 when there are none); the counts
    themselves are not read."""
    try:
        with np.load(partial, allow_pickle=False) as saved:   # reads only the members asked for
            return float(saved["seconds"]) if str(saved["digest"]) == digest else 0.0
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return 0.0
