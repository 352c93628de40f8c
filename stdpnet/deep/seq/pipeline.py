"""What the sequence commands do, apart from parsing their options: train one
sequence model of a spec (``train_seq``), tabulate and plot several runs
against their cost (``compare``), and train several models over seeds and
record their figures in the results registry (``repeat``, ``record``)."""
from __future__ import annotations

import copy
import csv
import io
import time
from pathlib import Path
from typing import Callable

import torch

from ...errors import RunFolderError
from .. import plots as deep_plots
from .. import runs
from ..neurons import clamp_neuron_parameters, neuron_layers
from ..train import evaluate, fit
from . import plots
from .cost import count_ops
from .data import describe, load_split
from .models import SPIKING, build_seq_model

COST_SEQUENCES = 1000   # validation sequences whose operations and spikes are counted
EVENT_TASKS = ("nmnist", "synthetic_event_mnist")


def train_seq(cfg: dict, kind: str, run: Path, dev, machine: dict, log: Callable = print) -> dict:
    """Train model ``kind`` on the spec's task; keep the epoch with the best
    validation accuracy, score the test split once with it, count its cost."""
    cfg = copy.deepcopy(cfg)
    cfg["model_kind"] = kind
    t0 = time.perf_counter()
    train, val = load_split(cfg, "train"), load_split(cfg, "validation")
    info = describe(cfg, train[0])
    torch.manual_seed(cfg["seed"])
    model, sizing = build_seq_model(kind, cfg["model"], info["features"], info["classes"])
    model.to(dev)
    runs.write_config(run, cfg)
    t = cfg["train"]
    best = {"accuracy": -1.0, "epoch": 0, "state": None}

    def keep_best(row):
        if row["validation_accuracy"] > best["accuracy"]:
            best.update(accuracy=row["validation_accuracy"], epoch=row["epoch"],
                        state=copy.deepcopy(model.state_dict()))

    spiking = kind in SPIKING
    history = fit(model, train, val, epochs=t["epochs"], lr=t["lr"], optimizer=t["optimizer"],
                  weight_decay=t["weight_decay"], schedule=t["schedule"],
                  batch_size=cfg["data"]["batch_size"],
                  eval_batch_size=cfg["data"]["eval_batch_size"], device=dev, seed=cfg["seed"],
                  desc=kind, grad_clip=t["grad_clip"], on_epoch_end=keep_best,
                  after_step=(lambda: clamp_neuron_parameters(model)) if spiking else None,
                  log=log)
    model.load_state_dict(best["state"])
    seconds = time.perf_counter() - t0
    runs.save_torch(run / runs.MODEL_FILE, {"kind": "seq", "model": kind,
                                            "state_dict": model.state_dict(), "sizing": sizing,
                                            "info": info})
    cost = count_ops(model, val[0][:COST_SEQUENCES], cfg["data"]["eval_batch_size"],
                     event_input=cfg["data"]["task"] in EVENT_TASKS)
    test = load_split(cfg, "test")   # read once, for the final figure
    test_acc = evaluate(model, *test, batch_size=cfg["data"]["eval_batch_size"], device=dev)
    lifs = neuron_layers(model)
    metrics = {"kind": "seq", "model": kind, "seed": cfg["seed"], "task": info["task"],
               "synthetic": info["synthetic"],
               "steps": info["steps"], "features": info["features"],
               "validation_accuracy": best["accuracy"], "best_epoch": best["epoch"],
               "test_accuracy": test_acc, "params": cost["params"],
               "ops_per_sequence": cost["ops_per_sequence"],
               "macs_per_sequence": cost["macs_per_sequence"],
               "acs_per_sequence": cost["acs_per_sequence"],
               "energy_uj_per_sequence": cost["energy_uj_per_sequence"],
               "train_sequences": len(train[0]), "validation_sequences": len(val[0]),
               "test_sequences": len(test[0]), "sizing": sizing, "history": history,
               "thresholds": [n.threshold.item() for n in lifs],
               "leaks": [n.leak.item() for n in lifs],
               "seconds_total": seconds,
               "seconds_per_epoch": sum(r["seconds"] for r in history) / len(history),
               "cost": cost, "machine": machine}
    runs.write_json(run / runs.METRICS_FILE, metrics)
    if lifs:
        deep_plots.spike_rates(run / "spike_rates.png", cost["neurons"],
                               f"{kind}, {info['task']}")
    return metrics


COLUMNS = ("run", "model", "task", "params", "ops_per_sequence", "energy_uj_per_sequence",
           "validation_accuracy", "test_accuracy", "best_epoch")


def collect(run_dirs) -> list[dict]:
    rows = []
    for run in map(Path, run_dirs):
        m = runs.read_metrics(run)
        if m.get("kind") != "seq":
            raise RunFolderError(f"{run}: no sequence-run metrics.json (train it with "
                                 "`stdpnet deep train-seq`)")
        rows.append({"run": run.name, **{k: m.get(k) for k in COLUMNS[1:]}})
    return rows


def markdown(rows: list[dict]) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.0f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    head = ["run", "model", "task", "params", "ops / sequence", "energy (µJ / sequence)",
            "validation (%)", "test (%)", "best epoch"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(fmt(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def compare(run_dirs, out: Path, split: str = "test") -> list[dict]:
    """table.md, table.csv and accuracy_vs_cost.png of ``run_dirs`` in ``out``."""
    rows = collect(run_dirs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs.write_text(out / "table.md", markdown(rows))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    runs.write_text(out / "table.csv", buf.getvalue())
    plots.accuracy_vs_cost(out / "accuracy_vs_cost.png", rows, split)
    return rows


def repeat(cfg: dict, kinds: list[str], seeds: list[int], out: Path, dev, machine: dict,
           log: Callable = print) -> list[Path]:
    """Train every model kind with every seed into ``out/<kind>-seed<s>``;
    a run that finished (its metrics.json written) is reused, one that was
    stopped is trained again. Returns the run folders."""
    dirs = []
    for kind in kinds:
        for seed in seeds:
            run = Path(out) / f"{kind}-seed{seed}"
            if not (run / runs.METRICS_FILE).is_file():
                runs.prepare_run(run, force=True)
                torch.manual_seed(seed)
                train_seq({**copy.deepcopy(cfg), "seed": seed}, kind, run, dev, machine, log=log)
            dirs.append(run)
    return dirs


RECORDED = (("test_accuracy", "accuracy", "test", "%", 0.01),
            ("validation_accuracy", "accuracy (best epoch)", "validation", "%", 0.01),
            ("params", "parameters", "model", "", 1.0),
            ("energy_uj_per_sequence", "energy per sequence", "validation", "µJ", 1.0))


def record(run_dirs, name: str, title: str, source: dict, root: Path | None = None) -> list[Path]:
    """Registry entries ``<name>.<model>_<figure>`` over the seeds of each
    model's runs (``source``: ``stdpnet.results.provenance``)."""
    from ... import results

    by_model: dict = {}
    for run in map(Path, run_dirs):
        m = runs.read_metrics(run)
        seeds = by_model.setdefault(m["model"], {})
        if m.get("seed") in seeds:
            raise RunFolderError(f"{run}: a second {m['model']} run of seed {m.get('seed')}")
        seeds[m.get("seed")] = m
    paths = []
    for model, seeds in by_model.items():
        for column, metric, split, unit, scale in RECORDED:
            values = {seed: scale * m[column] for seed, m in sorted(seeds.items())}
            entry = results.figure(f"{name}.{model}_{column}", title, f"{model}: {metric}", split, unit,
                                   values, source)
            paths.append(results.write(entry, root))
    return paths
