"""What the sequence commands do, apart from parsing their options: train one
sequence model of a spec (``train_seq``), tabulate and plot several runs
against their cost (``compare``), and train several models over seeds and
record their figures in the results registry (``repeat``, ``record``), also
leaving one speaker out at a time (``speaker_folds``), and draw a recorded
grid of one setting again from the registry alone (``recorded_cells``)."""
from __future__ import annotations

import copy
import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ...errors import ConfigError, RunFolderError
from ...results import commit
from .. import plots as deep_plots
from .. import runs
from ..config import overlay
from ..neurons import clamp_neuron_parameters, layer_spikes, neuron_layers
from ..train import epoch_seconds, evaluate, fit
from . import plots
from .config import DEFAULTS, merge, validate
from .cost import count_ops
from .data import check_test_split, describe, digit_shifts, fsdd_root, load_split
from .models import SPIKING, build_seq_model

COST_SEQUENCES = 1000   # validation sequences whose operations and spikes are counted
BEST_FILE = "best.pt"   # the epoch with the best validation accuracy so far, for --resume
EVENT_TASKS = ("nmnist", "synthetic_event_mnist")


def train_seq(cfg: dict, kind: str, run: Path, dev, machine: dict, log: Callable = print,
              score_test: bool = True, settings: dict | None = None,
              fold: str | None = None, resume: bool = False) -> dict:
    """Train model ``kind`` on the spec's task; keep the epoch with the best
    validation accuracy, score the test split once with it (not at all
    without ``score_test``: a selection run), count its cost. ``settings``:
    the dotted keys a repeat changed in the spec, kept in metrics.json;
    ``fold``: the speaker held out for test when the run is one fold of a
    leave-one-speaker-out repeat. The state after every epoch and the best
    epoch so far are saved in ``run``; with ``resume`` an interrupted run
    continues from them and ends as an uninterrupted one would."""
    cfg = copy.deepcopy(cfg)
    cfg["model_kind"] = kind
    t0 = time.perf_counter()
    runs.check_resume(run, cfg, resume, merge, kind="seq")   # said before the data is read; written after
    if score_test:
        check_test_split(cfg)
    train, val = load_split(cfg, "train"), load_split(cfg, "validation")
    info = describe(cfg, train[0])
    torch.manual_seed(cfg["seed"])
    model, sizing = build_seq_model(kind, cfg["model"], info["features"], info["classes"])
    model.to(dev)
    runs.write_config(run, cfg, resume, merge, kind="seq")
    t = cfg["train"]
    best = {"accuracy": -1.0, "epoch": 0, "state": None}
    if resume and (run / BEST_FILE).is_file():
        best = runs.load_torch(run / BEST_FILE, dev)

    def keep_best(row):
        if row["validation_accuracy"] > best["accuracy"]:
            best.update(accuracy=row["validation_accuracy"], epoch=row["epoch"],
                        state=copy.deepcopy(model.state_dict()))
            runs.save_torch(run / BEST_FILE, best)

    spiking = kind in SPIKING
    fitting = time.perf_counter()
    history = fit(model, train, val, epochs=t["epochs"], lr=t["lr"], optimizer=t["optimizer"],
                  weight_decay=t["weight_decay"], schedule=t["schedule"],
                  batch_size=cfg["data"]["batch_size"],
                  eval_batch_size=cfg["data"]["eval_batch_size"], device=dev, seed=cfg["seed"],
                  augment=digit_shifts(cfg), desc=kind, grad_clip=t["grad_clip"],
                  on_epoch_end=keep_best, checkpoint=run / runs.CHECKPOINT_FILE, resume=resume,
                  after_step=(lambda: clamp_neuron_parameters(model)) if spiking else None,
                  log=log)
    fitting = time.perf_counter() - fitting
    model.load_state_dict(best["state"])
    seconds = time.perf_counter() - t0 - fitting + epoch_seconds(history)   # a resumed run's too
    runs.save_torch(run / runs.MODEL_FILE, {"kind": "seq", "model": kind,
                                            "state_dict": model.state_dict(), "sizing": sizing,
                                            "info": info})
    cost = count_ops(model, val[0][:COST_SEQUENCES], cfg["data"]["eval_batch_size"],
                     event_input=cfg["data"]["task"] in EVENT_TASKS)
    test_acc, n_test = None, 0
    if score_test:
        test = load_split(cfg, "test")   # read once, for the final figure
        test_acc = evaluate(model, *test, batch_size=cfg["data"]["eval_batch_size"], device=dev)
        n_test = len(test[0])
    lifs = neuron_layers(model)
    made_by = commit()
    metrics = {"kind": "seq", "model": kind, "seed": cfg["seed"], "task": info["task"],
               "settings": settings or {}, "fold": fold,
               "synthetic": info["synthetic"],
               "steps": info["steps"], "features": info["features"],
               "validation_accuracy": best["accuracy"], "best_epoch": best["epoch"],
               "test_accuracy": test_acc, "params": cost["params"],
               "ops_per_sequence": cost["ops_per_sequence"],
               "macs_per_sequence": cost["macs_per_sequence"],
               "acs_per_sequence": cost["acs_per_sequence"],
               "energy_uj_per_sequence": cost["energy_uj_per_sequence"],
               "train_sequences": len(train[0]), "validation_sequences": len(val[0]),
               "test_sequences": n_test, "sizing": sizing, "history": history,
               "thresholds": [n.threshold.item() for n in lifs],
               "leaks": [n.leak.item() for n in lifs],
               "seconds_total": seconds,
               "seconds_per_epoch": sum(r["seconds"] for r in history) / len(history),
               "cost": cost, "machine": machine, "commit": made_by,
               "test_commit": made_by if test_acc is not None else None}
    if lifs:   # (before metrics.json, the mark of a finished run)
        deep_plots.spike_rates(run / "spike_rates.png", cost["neurons"],
                               f"{kind}, {info['task']}")
        spikes = layer_spikes(model, val[0][:1].to(dev))
        deep_plots.spike_raster(
            run / "spike_raster.png",
            [(n["name"], s[0].reshape(-1, s.shape[-1]).cpu().numpy())
             for n, s in zip(cost["neurons"], spikes)],
            f"{kind}, {info['task']}: the first validation sequence (class {int(val[1][0])})")
    runs.write_json(run / runs.METRICS_FILE, metrics)
    return metrics


COLUMNS = ("run", "model", "task", "params", "ops_per_sequence", "energy_uj_per_sequence",
           "validation_accuracy", "test_accuracy", "best_epoch")


def run_label(run: Path, m: dict) -> str:
    """A run's name in tables: its folder, after its fold's folder for one fold of
    a leave-one-speaker-out repeat."""
    return f"{run.parent.name}/{run.name}" if m.get("fold") else run.name


def shown_metrics(run: Path, with_test: bool = True) -> dict:
    """A run's metrics.json; without ``with_test`` (a selection, made with
    --validation-only) its test accuracy reads as not scored, though a run
    reused from an earlier test scored it."""
    m = runs.read_metrics(run)
    return m if with_test else {**m, "test_accuracy": None}


def collect(run_dirs, with_test: bool = True) -> list[dict]:
    rows = []
    for run in map(Path, run_dirs):
        m = shown_metrics(run, with_test)
        if m.get("kind") != "seq":
            raise RunFolderError(f"{run}: no sequence-run metrics.json (train it with "
                                 "`stdpnet deep train-seq`)")
        history = m.get("history")
        if not isinstance(history, list) or not all(isinstance(h, dict) and "validation_accuracy" in h
                                                    for h in history):
            raise RunFolderError(f"{run / runs.METRICS_FILE}: no history of validation accuracies "
                                 "(damaged: train the run again)")
        rows.append({"run": run_label(run, m), **{k: m.get(k) for k in COLUMNS[1:]}})
    return rows


def markdown(rows: list[dict]) -> str:
    def fmt(v):
        if v is None:
            return "not scored"
        if isinstance(v, float):
            return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.0f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    head = ["run", "model", "task", "params", "ops / sequence", "energy (µJ / sequence)",
            "validation (%)", "test (%)", "best epoch"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(fmt(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def compare(run_dirs, out: Path, split: str = "test") -> list[dict]:
    """table.md, table.csv, accuracy_vs_cost.png and learning_curves.png (the
    validation accuracy after every epoch) of ``run_dirs`` in ``out``."""
    rows = collect(run_dirs, with_test=split == "test")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs.write_text(out / "table.md", markdown(rows))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    runs.write_text(out / "table.csv", buf.getvalue())
    plots.accuracy_vs_cost(out / "accuracy_vs_cost.png", rows, split)
    curves = []
    for run in map(Path, run_dirs):
        m = runs.read_metrics(run)
        curves.append((run_label(run, m), m["model"], [h["validation_accuracy"] for h in m["history"]]))
    plots.learning_curves(out / "learning_curves.png", curves)
    return rows


def apply_settings(cfg: dict, settings: dict, where: str = "--set") -> dict:
    """A copy of ``cfg`` with dotted keys (``data.pixel_steps``) set, each
    checked as a spec's value (known key, its default's type, range)."""
    nested: dict = {}
    for dotted, value in settings.items():
        table, _, key = dotted.partition(".")
        if key:
            nested.setdefault(table, {})[key] = value
        else:
            nested[table] = value
    cfg = overlay(cfg, nested, where)
    validate(cfg, where)
    return cfg


def cell_name(settings: dict) -> str:
    """{'data.pixel_steps': 112} -> 'pixel_steps=112' (a folder name)."""
    return ",".join(f"{k.rpartition('.')[2]}={v}" for k, v in settings.items()).replace(" ", "")


def _finished(run: Path, score_test: bool, cfg: dict) -> bool:
    """metrics.json written, with the test score when one is asked for, by a
    run of exactly ``cfg`` (its config.toml read with today's defaults for
    keys added since): a run of other settings is not reused."""
    if not ((run / runs.METRICS_FILE).is_file() and runs.ran_with(run, cfg, merge)):
        return False
    return not score_test or runs.read_metrics(run).get("test_accuracy") is not None


def _stopped(run: Path, cfg: dict) -> bool:
    """A run of exactly ``cfg`` that was stopped after at least one epoch."""
    return (run / runs.CHECKPOINT_FILE).is_file() and runs.ran_with(run, cfg, merge)


def score_test_of(run: Path, cfg: dict, dev) -> dict:
    """Score the test split once with the kept (best-validation) model of a
    finished selection run of exactly ``cfg``, and add it to its metrics:
    the figure that training it again with the test asked for would give,
    without the training. Returns the metrics."""
    ckpt = runs.load_torch(run / runs.MODEL_FILE, dev)
    model, _ = build_seq_model(ckpt["model"], cfg["model"], ckpt["info"]["features"],
                               ckpt["info"]["classes"])
    model.load_state_dict(ckpt["state_dict"])
    model.to(dev)
    test = load_split(cfg, "test")   # read once, for the final figure
    metrics = runs.read_metrics(run)
    metrics.update(test_accuracy=evaluate(model, *test, batch_size=cfg["data"]["eval_batch_size"],
                                          device=dev),
                   test_sequences=len(test[0]), test_commit=commit())
    runs.write_json(run / runs.METRICS_FILE, metrics)
    return metrics


def run_commits(run_dirs, with_test: bool = True) -> list[str]:
    """The commits whose code trained the runs (and scored their test):
    a record names them where they differ from the recording's own
    ("unknown" for runs made before commits were kept)."""
    found = set()
    for run in map(Path, run_dirs):
        m = runs.read_metrics(run)
        found |= {m.get("commit", "unknown")} | ({m.get("test_commit") or "unknown"} if with_test else set())
    return sorted(found)


FOLD_KEYS = ("fsdd.test_speakers", "fsdd.validation_speakers")


def speaker_folds(cfg: dict) -> list[dict]:
    """Leave one speaker out over every speaker of the spec's FSDD folder:
    one fold per speaker, held out as the test speaker, with the next speaker
    in name order (the first after the last) as the validation speaker and
    the others trained on. Each fold: {fsdd.test_speakers: [s],
    fsdd.validation_speakers: [v]}."""
    from ...data.fsdd import fold_speakers

    if cfg["data"]["task"] != "fsdd":
        raise ConfigError(f"--folds speaker: data.task is {cfg['data']['task']!r}, not 'fsdd'")
    speakers = fold_speakers(fsdd_root(cfg))
    return [dict(zip(FOLD_KEYS, ([s], [speakers[(i + 1) % len(speakers)]])))
            for i, s in enumerate(speakers)]


def repeat(cfg: dict, kinds: list[str], seeds: list[int], out: Path, dev, machine: dict,
           log: Callable = print, cells: list[dict] | None = None,
           score_test: bool = True, folds: list[dict] | None = None) -> list[Path]:
    """Train every model kind with every seed into ``out/<kind>-seed<s>``
    (with ``cells``, settings of dotted keys: ``out/<cell>/<kind>-seed<s>``
    for each; with ``folds`` (``speaker_folds``), once per fold in
    ``test=<speaker>/`` of that folder); a run that finished with the same
    settings is reused (a selection run, when the test is asked for, by
    scoring the test split with its kept model: ``score_test_of``), one
    stopped after an epoch resumes there, one that ran other settings is
    trained again. Returns the run folders."""
    dirs = []
    total = len(cells or [{}]) * len(folds or [None]) * len(kinds) * len(seeds)
    for settings in cells or [{}]:
        if folds and set(settings) & set(FOLD_KEYS):
            raise ConfigError(f"--folds speaker sets {' and '.join(FOLD_KEYS)}: do not --set them")
        if "model_kind" in settings:
            raise ConfigError("--set model_kind: the models are given by --models")
        if "name" in settings:   # (a seed is refused by --set itself: --seeds gives them)
            raise ConfigError("--set name: each run is named by its folder under --out")
        base = apply_settings(cfg, settings)
        # one folder per cell, even when a value is a path (fsdd.extra_root)
        folder = Path(out) / cell_name(settings).replace("/", "%2F") if settings else Path(out)
        for fold in folds or [None]:
            held_out = fold[FOLD_KEYS[0]][0] if fold else None
            where = folder / f"test={held_out}" if fold else folder
            base_fold = apply_settings(base, fold, "--folds") if fold else base
            for kind in kinds:
                for seed in seeds:
                    run = where / f"{kind}-seed{seed}"
                    cfg_run = {**copy.deepcopy(base_fold), "seed": seed, "model_kind": kind}
                    step = f"[{len(dirs) + 1}/{total}] {run}"
                    if score_test and _finished(run, False, cfg_run) \
                            and not _finished(run, True, cfg_run):
                        log(f"{step}: a finished selection run; scoring its kept model on test")
                        score_test_of(run, cfg_run, dev)
                    elif not _finished(run, score_test, cfg_run):
                        resume = _stopped(run, cfg_run)
                        runs.prepare_run(run, force=not resume, resume=resume)
                        log(f"{step}: " + ("stopped after an epoch; resuming it" if resume
                                           else "training"))
                        torch.manual_seed(seed)
                        train_seq(cfg_run, kind, run, dev, machine, log=log, resume=resume,
                                  score_test=score_test, settings=settings, fold=held_out)
                    else:
                        log(f"{step}: finished, reused")
                    dirs.append(run)
    return dirs


def per_seed(ms: list[dict], column: str, where: str) -> dict:
    """{seed: ``column``} over the runs ``ms`` of one setting and model; for
    leave-one-speaker-out runs, each seed's mean over its folds, and every seed
    must have the same folds. A seed whose value is missing in a run (the test
    of a selection run) maps to None. ``where``: the runs, for errors."""
    by_seed: dict = {}
    for m in ms:
        folds = by_seed.setdefault(m.get("seed"), {})
        if m.get("fold") in folds:
            raise RunFolderError(f"{where}: a second {m['model']} run of seed {m.get('seed')}"
                                 + (f" holding out {m['fold']}" if m.get("fold") else ""))
        folds[m.get("fold")] = m.get(column)
    held_out = {tuple(sorted(folds, key=str)) for folds in by_seed.values()}
    if len(held_out) > 1:
        raise RunFolderError(f"{where}: the seeds hold out different speakers "
                             f"({' / '.join(', '.join(map(str, f)) for f in sorted(held_out))})")
    return {seed: None if any(v is None for v in folds.values()) else float(np.mean(list(folds.values())))
            for seed, folds in sorted(by_seed.items())}


def fold_tables(run_dirs, out: Path, with_test: bool = True) -> bool:
    """folds.md and folds.png in ``out`` for the leave-one-speaker-out runs
    of ``run_dirs``: every held-out speaker's accuracy (mean over seeds) and
    each seed's mean over the folds, per setting and model
    (``experiments.folds``). False when no run is a fold."""
    from ...experiments.folds import fold_summary, write_folds

    groups: dict = {}
    for run in map(Path, run_dirs):
        m = shown_metrics(run, with_test)
        if m.get("fold"):
            cell = cell_name(m.get("settings", {}))
            groups.setdefault((f"{cell}, " if cell else "") + m["model"], []).append(
                {"seed": m["seed"], "fold": m["fold"],
                 **{f"{s}_accuracy": m[f"{s}_accuracy"] / 100 for s in ("validation", "test")
                    if m.get(f"{s}_accuracy") is not None}})
    if not groups:
        return False
    for cell, rows in groups.items():
        if len({len(r) for r in rows}) > 1:   # some folds tested, others not: validation only
            for r in rows:
                r.pop("test_accuracy", None)
    write_folds(Path(out), [(cell, fold_summary(rows, "fold", ("validation", "test")))
                            for cell, rows in groups.items()])
    return True


def cell_summary(run_dirs, with_test: bool = True) -> list[dict]:
    """Mean, sd and n over seeds of the validation and test accuracy of each
    (settings, model) pair of ``run_dirs`` (for leave-one-speaker-out runs,
    of each seed's mean over the folds)."""
    groups: dict = {}
    for run in map(Path, run_dirs):
        m = shown_metrics(run, with_test)
        key = (json.dumps(m.get("settings", {}), sort_keys=True), m["model"])
        groups.setdefault(key, []).append(m)
    rows = []
    for (settings, model), ms in groups.items():
        seeds = {m.get("seed") for m in ms}
        row = {"settings": json.loads(settings), "model": model, "n": len(seeds),
               "steps": ms[0]["steps"], "params": ms[0]["params"]}
        for split in ("validation", "test"):
            values = per_seed(ms, f"{split}_accuracy", f"{model} runs of {settings}")
            v = [x for x in values.values() if x is not None]
            row[f"{split}_mean"] = float(np.mean(v)) if v else None
            row[f"{split}_sd"] = float(np.std(v, ddof=1)) if len(v) > 1 else None
        rows.append(row)
    return rows


def write_cells(rows: list[dict], out: Path) -> None:
    """cells.md (mean ± sd over seeds per cell and model) and, when a
    numeric key was varied, accuracy_by_cell.png with error bars."""
    def pm(row, split):
        mean, sd = row[f"{split}_mean"], row[f"{split}_sd"]
        if mean is None:
            return "not scored"
        return f"{mean:.2f} ± {sd:.2f}" if sd is not None else f"{mean:.2f}"

    lines = ["| settings | model | steps | params | validation (%) | test (%) | n |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {cell_name(r['settings']) or '(spec)'} | {r['model']} | {r['steps']} | "
              f"{r['params']:,} | {pm(r, 'validation')} | {pm(r, 'test')} | {r['n']} |" for r in rows]
    Path(out).mkdir(parents=True, exist_ok=True)
    runs.write_text(Path(out) / "cells.md", "\n".join(lines) + "\n")
    numeric = [k for k in dict.fromkeys(k for r in rows for k in r["settings"])
               if all(isinstance(r["settings"].get(k), (int, float)) for r in rows)]
    if numeric:   # against the numeric key of most values; the other keys make lines
        x = max(numeric, key=lambda k: len({r["settings"][k] for r in rows}))
        plots.accuracy_by_setting(Path(out) / "accuracy_by_cell.png", rows, x)


RECORDED = (("test_accuracy", "accuracy", "test", "%", 0.01),
            ("validation_accuracy", "accuracy (best epoch)", "validation", "%", 0.01),
            ("params", "parameters", "model", "", 1.0),
            ("energy_uj_per_sequence", "energy per sequence", "validation", "µJ", 1.0))


def record(run_dirs, name: str, title: str, source: dict, root: Path | None = None,
           with_test: bool = True) -> list[Path]:
    """Registry entries ``<name>.<model>_<figure>`` over the seeds of each
    model's runs (``<name>.<model>_<figure>_<cell>`` for the cells of a
    repeat with settings; a seed's value is its mean over the folds of a
    leave-one-speaker-out repeat; ``source``: ``stdpnet.results.provenance``)."""
    from ... import results

    groups: dict = {}
    for run in map(Path, run_dirs):
        m = shown_metrics(run, with_test)
        cell = cell_name(m.get("settings", {})).replace("=", "")
        groups.setdefault((m["model"], cell), []).append(m)
    entries = []
    for (model, cell), ms in groups.items():
        held_out = sorted({m["fold"] for m in ms if m.get("fold")})
        for column, metric, split, unit, scale in RECORDED:
            values = per_seed(ms, column, f"{model} runs of {cell or 'the spec'}")
            if any(v is None for v in values.values()):
                continue   # a selection run: the test split was not scored
            values = {seed: scale * v for seed, v in values.items()}
            label = f"{model} ({cell.replace(',', ', ')})" if cell else model
            if held_out:
                metric += f", mean over {len(held_out)} held-out speakers ({', '.join(held_out)})"
            entries.append(results.figure(f"{name}.{model}_{column}" + (f"_{cell}" if cell else ""), title,
                                          f"{label}: {metric}", split, unit, values, source))
    return results.write_all(entries, root)


# every key name of a sequence spec, longest first (a record's cell holds them without '=')
_SPEC_KEYS = sorted({k for table in DEFAULTS.values() if isinstance(table, dict) for k in table}
                    | {k for k, v in DEFAULTS.items() if not isinstance(v, dict)}, key=len, reverse=True)


def _parse_cell(cell: str) -> dict:
    """'pixel_steps28,positionssinusoidal' (a record's cell: ``cell_name``
    without the '=') -> {'pixel_steps': 28, 'positions': 'sinusoidal'}: each
    part (commas inside a list value, 'channels[32,32]', stay in it) split
    after the longest spec key it starts with."""
    from ...spec.grid import parse_value, split_top_level

    settings = {}
    for part in split_top_level(cell):
        key = next((k for k in _SPEC_KEYS if part.startswith(k) and len(part) > len(k)), None)
        if key is None:
            raise RunFolderError(f"recorded cell {cell!r}: {part!r} does not start with a spec key")
        settings[key] = parse_value(part[len(key):])
    return settings


def recorded_cells(entries: list[dict], name: str, x: str | None = None) -> tuple[list[dict], str]:
    """(rows like ``cell_summary``'s, the key on the x axis) from the registry
    entries ``<name>.<model>_<split>_accuracy_<cell>`` that ``record`` wrote
    for a repeat with settings: its plot drawn again without the runs. ``x``
    (default: the only key varied) must be numeric in every cell; the other
    settings of a cell stay in its row and make separate lines."""
    pattern = re.compile(rf"^{re.escape(name)}\.(?P<model>[a-z]+)_(?P<split>validation|test)_accuracy_"
                         r"(?P<cell>.+)$")
    rows: dict = {}
    keys = set()
    for e in entries:
        match = pattern.match(e["name"])
        if not match:
            continue
        settings = _parse_cell(match["cell"])
        keys |= set(settings)
        row = rows.setdefault((match["model"], match["cell"]), {
            "settings": settings, "model": match["model"], "n": e["n"],
            "validation_mean": None, "validation_sd": None, "test_mean": None, "test_sd": None})
        row[f"{match['split']}_mean"] = 100 * e["mean"]
        row[f"{match['split']}_sd"] = 100 * e["sd"] if e["n"] > 1 else None
    if not rows:
        raise RunFolderError(f"results/{name}.*: no recorded repeat with settings")
    if x is None and len(keys) != 1:
        raise RunFolderError(f"results/{name}.*: settings {sorted(keys)} were varied: "
                             f"name the one for the x axis (--x)")
    key = x or keys.pop()
    if any(not isinstance(r["settings"].get(key), (int, float)) for r in rows.values()):
        raise RunFolderError(f"results/{name}.*: {key!r} is not a numeric setting of every cell "
                             f"(settings found: {sorted(keys)})")
    return sorted(rows.values(), key=lambda r: (r["model"], r["settings"][key])), key
