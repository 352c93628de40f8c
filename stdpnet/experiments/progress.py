"""How far running tasks are, read from the files they keep as they go
(training checkpoints, a large network's partial labelling and scoring
counts), for a sweep's progress bar: a task on a large network takes hours,
and the bar itself moves only when one ends."""
from __future__ import annotations

import threading
from pathlib import Path

from .. import runs
from .kept import LABELLING_PARTIAL, SCORING_PARTIAL

WATCH_SECONDS = 5.0   # how often a sweep's bar reads how far its running tasks are


def task_progress(folders) -> dict:
    """How far the run folders in ``folders`` are through the work whose
    files say it: {phase: (tasks, examples done, examples in all)} for the
    phases ``training`` (checkpoints; an audio-visual task's ensembles and
    paired phase each have one), ``labelling`` and ``scoring`` (a large
    network's partial counts), counting only work midway."""
    found = {}
    for folder in folders:
        for phase, pattern in (("training", runs.CHECKPOINT), ("labelling", f"*{LABELLING_PARTIAL}"),
                               ("scoring", f"*{SCORING_PARTIAL}")):
            midway = [p for p in map(runs.checkpoint_progress, Path(folder).rglob(pattern))
                      if p is not None and p[0] < p[1]]
            if midway:
                n, done, total = found.get(phase, (0, 0, 0))
                found[phase] = (n + 1, done + sum(p[0] for p in midway),
                                total + sum(p[1] for p in midway))
    return found


def watch_progress(bar, folders: dict, stop: threading.Event,
                   every: float = WATCH_SECONDS) -> threading.Thread:
    """A thread that shows, beside ``bar``, how far the tasks of ``folders``
    (a dict whose values are run folders; the sweep removes finished ones)
    are through their training and scoring (``task_progress``), until
    ``stop`` is set: the bar itself moves only when a task ends, hours apart
    on large networks."""
    def run():
        while not stop.wait(every):
            found = task_progress(folders.copy().values())   # copy(): atomic
            bar.set_postfix_str("; ".join(
                f"{phase} {n} task{'s' * (n != 1)}: {done:,}/{total:,} examples"
                for phase, (n, done, total) in found.items()))
    thread = threading.Thread(target=run, name="sweep-progress", daemon=True)
    thread.start()
    return thread
