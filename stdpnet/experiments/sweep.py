"""Sweeps and repeats on Dask (``stdpnet sweep``): any dotted spec key takes a
list of values, every cell of the grid runs with every seed, and each
cell x seed is one task on a ``dask.distributed`` cluster (by default a
``LocalCluster`` of single-threaded worker processes, one per usable core
and pinned to it; any running cluster by its scheduler address).

A task trains one network and scores it on the validation split (and on
the test split only when asked, for the final chosen setting). Its run
folder is named by a digest of everything that determines its result (the
cell's full spec, seed and example counts included), so a finished task
is reused, a changed setting makes a new one, and a sweep that was stopped
or lost a worker completes when run again. A task that fails is reported
with its error; the others finish.

Output (``summary.py``): ``sweep.csv`` (one row per cell x seed),
``summary.md`` (mean, sd, 95% interval and n per cell) and ``sweep.png``
(the first swept key against the validation accuracy, with error bars).

Noise (``--noise image:gaussian=0.4,0.8``, audio-visual specs): after its
clean figures, each task scores the network with that noise in one modality
(the other clean) at each level, as ``stdpnet robustness`` does; the
accuracies of image only, audio only and both go into the task's row and
``noise.md``.

Folds (``--folds speaker``, ``folds.py``): leave-one-speaker-out is a grid
over the test speaker.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
import math
import os
import signal
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import runs
from ..data.load import load_dataset
from ..engine.cores import default_jobs, usable_cores
from ..errors import ConfigError, StdpnetError
from ..spec import (Cross, MultimodalSpec, Pairs, Readout, Spec, dump_multimodal_spec,
                    spec_from_dict)
from ..spec.grid import set_dotted
from . import ensemble
from .progress import task_progress, watch_progress
from .summary import NOISE_MODES, noise_column, summarise, write_noise_table, write_outputs

@dataclass
class Task:
    """One cell of the grid with one seed: the full spec it runs (an
    ensemble's ``Spec`` or a ``MultimodalSpec``) and the digest that names it."""
    settings: dict            # dotted key -> value
    seed: int
    spec: Spec | MultimodalSpec
    digest: str = field(default="")

    @property
    def cell(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.settings.items()) or "(spec as it is)"


def _table(spec) -> dict:
    """The spec as a nested dict of its keys; a multimodal spec's ensembles
    under ``image`` and ``audio``."""
    if isinstance(spec, MultimodalSpec):
        d = {k: getattr(spec, k) for k in ("name", "seed", "device")}
        d |= {section: dataclasses.asdict(getattr(spec, section)) for section in MultimodalSpec.SECTIONS}
        return d | {"image": spec.image.to_dict(), "audio": spec.audio.to_dict()}
    return spec.to_dict()


def _from_table(table: dict, multimodal: bool):
    if not multimodal:
        return spec_from_dict(table)
    m = MultimodalSpec(name=table["name"], seed=table["seed"], device=table["device"],
                       image_spec="image/spec.toml", audio_spec="audio/spec.toml",
                       cross=Cross(**table["cross"]), pairs=Pairs(**table["pairs"]),
                       readout=Readout(**table["readout"]), image=spec_from_dict(table["image"]),
                       audio=spec_from_dict(table["audio"]))
    return m.validate()


def _changed(obj) -> dict:
    """The fields of a spec (dataclass) that differ from their defaults, nested
    (an audio-visual spec's sub-spec paths left out: their contents are in)."""
    out = {}
    for f in dataclasses.fields(obj):
        if f.name in ("image_spec", "audio_spec"):
            continue
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out[f.name] = _changed(value)
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if value != default:
            out[f.name] = value
    return out


def _text(spec) -> str:
    """Everything that determines a task's result, as text: the values that
    differ from the defaults (so a key added later, at a default that keeps
    the old behaviour, leaves the digests of finished tasks as they were)."""
    return json.dumps(_changed(spec), sort_keys=True, default=str)


def task_digest(spec) -> str:
    """The name of a task's folder: a digest of ``_text``."""
    return hashlib.sha256(_text(spec).encode()).hexdigest()[:16]


def tasks(spec, sets: dict, seeds: list[int]) -> list[Task]:
    """Every cell x seed, each validated before anything runs; an invalid
    cell is an error that names it. ``spec``: an ensemble's ``Spec`` or a
    ``MultimodalSpec`` (keys ``cross.x_tar``, ``image.plasticity.x_tar``, ...;
    a seed seeds both ensembles and the joint phase)."""
    multimodal = isinstance(spec, MultimodalSpec)
    base = _table(spec)
    cells = [{}]
    for key, values in sets.items():
        cells = [{**c, key: v} for c in cells for v in values]
    out, seen = [], {}
    for settings in cells:
        for seed in seeds:
            table = copy.deepcopy(base)
            for key, value in settings.items():
                set_dotted(table, key, value)
            for part in ([table, table["image"], table["audio"]] if multimodal else [table]):
                part["seed"] = seed
            try:
                cell = _from_table(table, multimodal)
            except (ConfigError, TypeError) as exc:
                raise ConfigError(f"sweep cell {_shown(settings)}: {exc}") from exc
            for key in settings:
                owner, key_there = cell, key
                if multimodal:   # its ensembles' keys are image.* and audio.*
                    part, _, rest = key.partition(".")
                    owner, key_there = (getattr(cell, part), rest) if part in ("image", "audio") else (None, key)
                if owner is not None and (why := owner.inert(key_there)):
                    raise ConfigError(f"sweep cell {_shown(settings)}: {key} changes nothing: {why}")
            task = Task(settings, seed, cell, task_digest(cell))
            if task.digest in seen:
                raise ConfigError(f"sweep cells {_shown(seen[task.digest])} and {_shown(settings)} are the "
                                  "same setting: give each value once")
            seen[task.digest] = settings
            out.append(task)
    if len({isinstance(t.spec, Spec) and t.spec.data.refit for t in out}) > 1:
        raise ConfigError("data.refit: some cells train on the validation part and some do not; choose "
                          "on validation first, then refit only the chosen setting (with --test)")
    return out


def _shown(settings: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items()) or "(the spec)"


def task_metrics(run_dir: Path, split: str) -> dict:
    """The figures of a finished task on ``split``, from its metrics.json:
    an ensemble's vote and likelihood accuracy, training time and cost; an
    audio-visual network's accuracy with both modalities and each alone."""
    metrics = runs.load_json(run_dir / runs.METRICS)
    result = metrics["evaluate"][split]
    if "cross_modal_gain" in result:
        acc = result["accuracy"]
        return {"accuracy": acc["both"], "accuracy_image": acc["image"], "accuracy_audio": acc["audio"],
                "cross_modal_gain": result["cross_modal_gain"]}
    cost = result["compression"]
    peak = metrics["train"].get("peak_mb", {"nan": math.nan})   # NaN: trained before it was measured
    return {"accuracy": result["accuracy"], "accuracy_likelihood": result["accuracy_likelihood"],
            "train_ms_per_example": metrics["train"]["ms_per_example"],
            "train_peak_mb": max(peak.values()),
            "synaptic_ops_per_inference": cost["counts"]["synaptic_ops_per_inference"],
            "sparsity": cost["counts"]["sparsity"],
            "synaptic_op_reduction": cost["counts"]["synaptic_op_reduction"],
            "energy_improvement": cost["model"]["energy_improvement"],
            "area_improvement": cost["model"]["area_improvement"]}


def parse_noises(texts: list[str]) -> list[tuple[str, str, list[float]]]:
    """['image:gaussian=0.4,0.8', ...] -> [('image', 'gaussian', [0.4, 0.8]), ...]."""
    from .robustness import check_levels, parse_noise

    noises = []
    for text in texts:
        name, sep, levels = text.partition("=")
        try:
            values = [float(v) for v in levels.split(",") if v.strip()]
        except ValueError:
            values = []
        if not sep or not values or not all(math.isfinite(v) for v in values):
            raise ConfigError(f"--noise {text!r}: expected MODALITY:KIND=LEVEL[,LEVEL...] (finite "
                              "numbers), e.g. image:gaussian=0.4,0.8")
        modality, kind = parse_noise(name.strip())
        if any((modality, kind) == n[:2] for n in noises):   # (both would keep one entry per task)
            raise ConfigError(f"--noise {modality}:{kind} is given twice: list all its levels in one, "
                              f"e.g. {modality}:{kind}=0.4,0.8")
        noises.append((modality, kind, check_levels(name.strip(), values)))
    return noises


def check_noises(spec, noises: list | None) -> tuple:
    """``noises`` as a tuple, refused for a single ensemble."""
    noises = tuple(noises or ())
    if noises and not isinstance(spec, MultimodalSpec):
        raise ConfigError("--noise scores an audio-visual network with one modality corrupted: "
                          f"{spec.name} is a single ensemble")
    return noises


def noise_figures(run_dir: Path, split: str, modality: str, kind: str, levels: list,
                  device: str | None = None) -> dict:
    """Accuracy of each mode at each level of one noise (the other modality
    clean) on ``split``: from the run's metrics.json when that robustness
    sweep is there, else measured now."""
    from . import robustness

    done = noise_kept(run_dir, split, modality, kind, levels)
    if done is None:
        robustness.robustness(run_dir, [(modality, kind, list(levels))], device=device, quiet=True,
                              log=lambda *_: None, jobs=1, split=split)
        done = noise_kept(run_dir, split, modality, kind, levels)
    return {noise_column(modality, kind, level, mode): e["accuracy"][mode]
            for level, e in zip(levels, done) for mode in NOISE_MODES}


def noise_kept(run_dir: Path, split: str, modality: str, kind: str, levels: list) -> list | None:
    """The run's robustness sweep of this noise at exactly these levels on
    ``split`` (its metrics.json entries), or None when it has not been measured."""
    tag = f"{modality}-{kind}" + ("" if split == "test" else f".{split}")
    metrics = Path(run_dir) / runs.METRICS
    done = runs.load_json(metrics).get("robustness", {}).get(tag, []) if metrics.is_file() else []
    return done if [e["noise"][f"{modality}_{kind}"] for e in done] == list(levels) else None


def _trained_identity(spec) -> str:
    """``_text`` without the readout of an audio-visual spec: what decides
    the trained network (the readout is taken by ``take_readout``)."""
    changed = _changed(spec)
    if isinstance(spec, MultimodalSpec):
        changed.pop("readout", None)
    return json.dumps(changed, sort_keys=True, default=str)


def settings_differ(stored, spec) -> list[str]:
    """``key: stored -> asked`` for every value a task folder's spec holds
    otherwise than the task: none, unless a default changed after the folder
    was trained (the digest covers only values that differ from the
    defaults). An audio-visual spec's readout (``take_readout`` takes it) and
    sub-spec paths are left out."""
    def flat(obj, prefix=""):
        out = {}
        for f in dataclasses.fields(obj):
            if f.name in ("image_spec", "audio_spec") or (
                    isinstance(obj, MultimodalSpec) and f.name == "readout"):
                continue
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                out.update(flat(value, f"{prefix}{f.name}."))
            else:
                out[prefix + f.name] = json.loads(json.dumps(value, default=str))
        return out

    old, new = flat(stored), flat(spec)
    return [f"{key}: {old.get(key)!r} -> {new[key]!r}" for key in sorted(new) if old.get(key) != new[key]]


def stale_settings(run_dir: Path, spec) -> list[str]:
    """``settings_differ`` of the run folder a task would reuse; none for a
    folder not (or not completely) made, which the task makes again."""
    from .audiovisual import is_created

    multimodal = isinstance(spec, MultimodalSpec)
    if not (is_created(run_dir) if multimodal else (Path(run_dir) / runs.SPEC).is_file()):
        return []
    return settings_differ(_open_task_spec(Path(run_dir), multimodal), spec)


def one_setting(run_dirs: list[Path], multimodal: bool = False) -> None:
    """Run folders read together as the seeds of one setting (a benchmark
    given ``tasks/*``) must differ in their seeds only, each seed once: a
    ConfigError names the first that does not, and how."""
    specs = [_open_task_spec(Path(d), multimodal) for d in run_dirs]
    for run_dir, spec in zip(run_dirs[1:], specs[1:]):
        differ = [d for d in settings_differ(specs[0], spec) if not d.split(":")[0].endswith("seed")]
        if differ:
            raise ConfigError(f"{run_dir}: not the setting of {run_dirs[0]} ({'; '.join(differ[:3])}): "
                              "give the run folders of one setting")
    seen: dict = {}
    for run_dir, spec in zip(run_dirs, specs):   # a link to a folder, or a readout twin: one network twice
        for (place, seed), first in seen.items():
            if place == Path(run_dir).resolve() or seed == spec.seed:
                raise ConfigError(f"{run_dir}: the same folder or seed as {first}: give each seed's run once")
        seen[(Path(run_dir).resolve(), spec.seed)] = run_dir


def adopt_folders(folder: Path, todo: list[Task], rename: bool = True) -> dict:
    """Task folders in ``folder`` named otherwise than by today's digests
    (written under an older digest scheme) whose spec is that of a task
    without a folder are renamed to the task's digest, so that their
    finished work is reused; the old name stays as a link to the new one
    (for links and paths that name it). Returns {old name: task} (without
    ``rename``: the folders that would be, left as they are)."""
    folder = Path(folder)
    waiting = {_trained_identity(t.spec): t for t in todo if not (folder / t.digest).exists()}
    known = {t.digest for t in todo}
    adopted = {}
    if not waiting or not folder.is_dir():
        return adopted
    for old in sorted(folder.iterdir()):
        if old.name in known or old.is_symlink() or not (old / runs.SPEC).is_file():
            continue   # (a link: an old name of a folder already adopted, which is another task's)
        try:
            stored = _open_task_spec(old, isinstance(todo[0].spec, MultimodalSpec))
        except (StdpnetError, OSError):   # not a run folder of this kind: left alone
            continue
        if old.name == task_digest(stored):   # today's name of another task (another readout)
            continue
        task = waiting.pop(_trained_identity(stored), None)
        if task is not None and not rename:
            adopted[old.name] = task
        elif task is not None:
            old.rename(folder / task.digest)
            old.symlink_to(task.digest, target_is_directory=True)
            adopted[old.name] = task
    return adopted


def _open_task_spec(run_dir: Path, multimodal: bool):
    if multimodal:
        from .audiovisual import open_run
        return open_run(run_dir)
    return runs.open_run(run_dir)


def take_readout(spec: MultimodalSpec, run_dir: Path) -> None:
    """An audio-visual run folder whose ``[readout]`` differs from the task's
    (as after a change of the default rule: the digest covers only values
    that differ from the defaults) takes the task's readout, and its scores
    are dropped, to be measured again: a readout changes no training, so the
    trained network is kept."""
    from . import audiovisual

    stored = audiovisual.open_run(run_dir)
    if stored.readout == spec.readout:
        return
    stored.readout = copy.deepcopy(spec.readout)
    runs.save_text(run_dir / runs.SPEC, dump_multimodal_spec(stored, "image/spec.toml", "audio/spec.toml"))
    metrics = runs.load_json(run_dir / runs.METRICS)
    for scored in ("evaluate", "robustness"):
        metrics.pop(scored, None)
    runs.save_json(run_dir / runs.METRICS, metrics)


def run_task(spec, run_dir: str, splits: tuple, device: str | None = None,
             noises: tuple = ()) -> dict:
    """Train the task's network and score it on ``splits`` (and under each of
    ``noises``), unless its run folder already holds those results. Runs in
    a Dask worker (one thread)."""
    from . import audiovisual

    run_dir = Path(run_dir)
    if differ := stale_settings(run_dir, spec):
        raise ConfigError(f"{run_dir}: trained with other settings than its task asks "
                          f"({'; '.join(differ[:3])}{'; ...' if len(differ) > 3 else ''}): a default "
                          "changed since; delete the folder to run the task again")
    if isinstance(spec, MultimodalSpec) and audiovisual.is_created(run_dir):
        take_readout(spec, run_dir)
    evaluated = runs.load_json(run_dir / runs.METRICS).get("evaluate", {})
    if not all(s in evaluated for s in splits):
        if isinstance(spec, MultimodalSpec):
            if not audiovisual.is_created(run_dir):
                audiovisual.create_run(run_dir, spec, force=True)
            data = audiovisual.load_data(spec)
            if not (run_dir / audiovisual.CROSS).exists():
                audiovisual.train_cross(spec, run_dir, data, device=device, quiet=True,
                                        log=lambda *_: None)
            for split in splits:
                if split not in evaluated:
                    audiovisual.evaluate(run_dir, data=data, device=device, quiet=True, jobs=1, split=split)
        else:
            data = load_dataset(spec.data, spec.seed)   # once for training and every split
            if not trained(run_dir):
                # weights without training's figures (metrics.json deleted or damaged): trained anew
                resume = (run_dir / runs.CHECKPOINT).exists() and not (run_dir / runs.WEIGHTS).exists()
                if not resume:
                    runs.create(run_dir, spec, force=True)
                ensemble.train(spec, run_dir, device=device, resume=resume, quiet=True, data=data)
            for split in splits:
                if split not in evaluated:
                    ensemble.evaluate(run_dir, device=device, quiet=True, jobs=1, split=split, data=data)
    figures = {split: task_metrics(run_dir, split) for split in splits}
    for split in splits:
        for modality, kind, levels in noises:
            figures[split].update(noise_figures(run_dir, split, modality, kind, levels, device))
    return figures


def task_commits(out: Path, rows: list[dict], splits: tuple) -> list[str]:
    """The commits whose code trained and scored the tasks of ``rows``
    (``unknown`` for a task done before commits were kept): a record names
    them where they differ from the recording's own."""
    found = set()
    for row in rows:
        metrics = runs.load_json(Path(out) / "tasks" / row["task"] / runs.METRICS)
        trained_by = metrics.get("train", metrics.get("joint", {})).get("commit", "unknown")
        found |= {trained_by, *(metrics.get("evaluate", {}).get(s, {}).get("commit", "unknown") for s in splits)}
    return sorted(found)


def trained(run_dir: Path) -> bool:
    """Whether an ensemble task finished training: its weights, and
    training's figures in metrics.json (which a sweep records)."""
    return (run_dir / runs.WEIGHTS).exists() and "train" in runs.load_json(run_dir / runs.METRICS)


def task_state(run_dir: Path, splits: tuple, noises: tuple = ()) -> str:
    """How far a task's run folder has got: ``finished`` (scored on every
    split of ``splits``, with every noise of ``noises``), ``trained`` (to be
    scored), ``started`` (training resumes from its checkpoint) or ``to run``."""
    from .audiovisual import CROSS

    run_dir = Path(run_dir)
    metrics = runs.load_json(run_dir / runs.METRICS)
    evaluated = metrics.get("evaluate", {})
    if (run_dir / runs.WEIGHTS).is_file() and "train" not in metrics:   # an ensemble's (run_task's trained())
        return "to run"   # its training's figures are gone: trained anew
    if all(split in evaluated for split in splits) and all(
            noise_kept(run_dir, split, *noise) is not None for split in splits for noise in noises):
        return "finished"
    if (run_dir / runs.WEIGHTS).is_file() or (run_dir / CROSS).is_file():
        return "trained"
    if run_dir.is_dir() and any(run_dir.rglob(runs.CHECKPOINT)):
        return "started"
    return "to run"


def plan(spec, sets: dict, seeds: list[int], out: Path, test: bool = False,
         todo: list[Task] | None = None, noises: list | None = None) -> list[dict]:
    """What ``run_sweep`` would do, without doing any of it: every task's
    settings, seed, run folder, state (``task_state``; a folder named by an
    older digest counts as the task's) and, midway through training, the
    examples trained on and in all. ``todo``: ``tasks(spec, sets, seeds)``
    if already built."""
    out = Path(out)
    noises = check_noises(spec, noises)
    todo = todo or tasks(spec, sets, seeds)
    older = {t.digest: name for name, t in
             adopt_folders(out / "tasks", todo, rename=False).items()}
    splits = sweep_splits(todo[0].spec, test)   # (data.refit is the same in every cell)
    planned = []
    for t in todo:
        folder = out / "tasks" / older.get(t.digest, t.digest)
        _, done, total = task_progress([folder]).get("training", (0, 0, 0))
        planned.append({"settings": t.settings, "seed": t.seed, "folder": folder,
                        "state": "stale (other settings)" if stale_settings(folder, t.spec)
                        else task_state(folder, splits, noises),
                        "trained": (done, total) if total else None})
    return planned


def on_own_core(cores: list[int], fn: Callable, *args):
    """Run ``fn(*args)`` in a LocalCluster worker with its thread (and so the
    binaries it starts) pinned to the worker's own core: worker k on
    ``cores[k]``, as ``taskset`` would, so two workers never share a core."""
    from distributed import get_worker

    k = int(get_worker().name)
    os.sched_setaffinity(0, {cores[k % len(cores)]})
    return fn(*args)


def connect(workers: int | None, scheduler: str | None):
    """(client, cluster): a client of ``scheduler``, or of a new LocalCluster
    of ``workers`` single-threaded worker processes (cluster then not None).
    Local workers do not run Dask's statistical profiler (100 samples a
    second), and the cluster's processes check their event loops and memory
    once a second instead of 50 and 10 times: waking up less often, they
    take less time from the tasks on the same cores."""
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except (OSError, TimeoutError, ValueError) as exc:   # (ValueError: not an address)
            raise ConfigError(f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})") from exc
    n = workers or default_jobs()
    with dask.config.set({"distributed.worker.profile.enabled": False,
                          "distributed.admin.tick.interval": "1s",
                          "distributed.worker.memory.monitor-interval": "1s"}), _workers_ignore_ctrl_c():
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=50)   # run_sweep reports each failed task
    return Client(cluster), cluster


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Worker processes started inside inherit an ignored SIGINT: Ctrl-C in
    the terminal reaches the whole process group, and the sweep (which then
    closes its cluster) should say "interrupted" once, not print every
    worker's traceback."""
    main = threading.current_thread() is threading.main_thread()
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        yield
    finally:
        if main:
            signal.signal(signal.SIGINT, saved)


def run_sweep(spec, sets: dict, seeds: list[int], out: Path, workers: int | None = None,
              scheduler: str | None = None, test: bool = False, device: str | None = None,
              log: Callable = print, quiet: bool = False, noises: list | None = None,
              plot: bool = True, todo: list[Task] | None = None) -> dict:
    """Run every cell x seed on Dask; write sweep.csv, summary.md, sweep.png
    (unless not ``plot``) and, with ``noises`` ([(modality, kind, levels)],
    audio-visual specs only), noise.md in ``out``. ``todo``: ``tasks(spec,
    sets, seeds)`` if already built. Returns {"rows": [...], "failed":
    [(task, error)], "summary": [...], "tasks": todo, "written": [names]}."""
    from dask.distributed import as_completed
    from tqdm import tqdm

    out = Path(out)
    noises = check_noises(spec, noises)
    todo = todo or tasks(spec, sets, seeds)      # every cell checked before anything is written
    out.mkdir(parents=True, exist_ok=True)
    for name, task in adopt_folders(out / "tasks", todo).items():
        log(f"task {task.cell}, seed {task.seed}: reusing {name} (named by an older digest)")
    splits = sweep_splits(todo[0].spec, test)   # (data.refit is the same in every cell)
    client, cluster = connect(workers, scheduler)
    rows, failed = [], []
    try:
        log(f"{len(todo)} tasks ({len(todo) // len(seeds)} cells x {len(seeds)} seeds) on "
            f"{len(client.scheduler_info()['workers'])} workers; dashboard {client.dashboard_link}")
        cores = usable_cores()
        pin = cluster is not None and len(cluster.workers) <= len(cores)
        call = (on_own_core, cores, run_task) if pin else (run_task,)
        futures = {client.submit(*call, t.spec, str(out / "tasks" / t.digest), splits, device, noises,
                                 key=_task_key(t, splits, noises), pure=False): t for t in todo}
        running = {t.digest: out / "tasks" / t.digest for t in todo}
        stop = threading.Event()
        with tqdm(total=len(todo), desc="sweep", unit="task", disable=quiet) as bar:
            watcher = None if quiet else watch_progress(bar, running, stop)
            try:
                for future in as_completed(futures):
                    task = futures[future]
                    running.pop(task.digest, None)
                    try:
                        result = future.result()
                    except Exception as exc:  # one failing task must not stop the others
                        failed.append((task, _failure(task, exc, out, log)))
                    else:
                        rows.append(_row(task, result))
                        (out / "errors" / f"{task.digest}.txt").unlink(missing_ok=True)
                    bar.update(1)
            finally:
                stop.set()
                if watcher is not None:
                    watcher.join()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    order = {t.digest: k for k, t in enumerate(todo)}
    rows.sort(key=lambda r: order[r["task"]])
    summary = summarise(rows, list(sets), splits)
    written = write_outputs(out, rows, summary, list(sets), splits, plot, failed=len(failed))
    if noises:
        write_noise_table(out, summary, list(sets), splits, noises)
        written.append("noise.md")
    return {"rows": rows, "failed": failed, "summary": summary, "tasks": todo, "written": written}


def _task_key(task: Task, splits: tuple, noises: tuple) -> str:
    """The Dask key of a task's scoring: a scheduler shared by two sweeps
    gives one sweep's result to the other only where all of it is the same."""
    scored = hashlib.sha256(json.dumps([list(splits), noises], default=str).encode()).hexdigest()[:8]
    return f"task-{task.digest}-{scored}"


def _row(task: Task, result: dict) -> dict:
    """sweep.csv's row of a finished task: its settings, seed, digest and
    every figure per split."""
    row = {**{k: str(v) if isinstance(v, list) else v for k, v in task.settings.items()},
           "seed": task.seed, "task": task.digest}
    for split, figures in result.items():
        row.update({f"{split}_{k}": v for k, v in figures.items()})
    return row


def _failure(task: Task, exc: Exception, out: Path, log: Callable) -> str:
    """Keep a failed task's traceback in ``out/errors/<digest>.txt`` and say so."""
    error_file = out / "errors" / f"{task.digest}.txt"
    error_file.parent.mkdir(parents=True, exist_ok=True)
    runs.save_text(error_file, "".join(traceback.format_exception(exc)))
    log(f"task {task.cell}, seed {task.seed} failed: {type(exc).__name__}: {exc} "
        f"(traceback: {error_file})")
    return f"{type(exc).__name__}: {exc}"


def sweep_splits(spec, test: bool) -> tuple:
    """The splits every task scores: validation, and test when asked; only
    test for a spec with ``data.refit`` (trained on its validation part), which
    must be asked for. ``spec``: a task's (``tasks`` makes refit the same in
    every cell)."""
    if isinstance(spec, Spec) and spec.data.refit:
        if not test:
            raise ConfigError(f"{spec.name}: data.refit trains on the validation part, so there is no "
                              "validation figure to choose by: refit only the chosen setting, with --test")
        return ("test",)
    return ("validation", "test") if test else ("validation",)
