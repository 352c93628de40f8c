"""What the ``stdpnet deep`` commands do, apart from parsing their options:
train an ANN, convert it to an SNN, train an SNN (STDB, DIET, IIR), attack
trained models. Each function takes a merged spec (``config.merge``), a
prepared run folder and a torch device, writes the run folder (config.toml,
model.pt, metrics.json, plots) and returns the metrics.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import torch

from ..errors import ConfigError, RunFolderError
from . import plots, runs
from .attack import markdown_table, robustness_table
from .convert import convert
from .cost import ann_cost, snn_cost
from .data import AUGMENT, INFO, images_root, load_images
from .models import SpikingNetwork, build_model, fold_batch_norm
from .neurons import configure_neurons, neuron_layers
from .train import (accuracy_vs_timesteps, epoch_seconds, evaluate, fit, prepare_diet,
                    prepare_stdb, rng_state, set_rng_state, train_iir,
                    train_snn as train_snn_epochs)

COST_IMAGES = 1000  # test images whose spikes are counted for the cost estimate
IIR_STAGE_FILE = "iir_stage.pt"   # the IIR schedule after its last finished stage
ATTACK_CELLS_FILE = "attack.partial.json"   # the accuracies an attack has measured so far


def load_split(cfg: dict, split: str):
    """(images, labels) of the spec's dataset: ``train`` (the training images
    less the last ``data.validation_images``, limited to ``train_limit``),
    ``validation`` (those last images: every choice and every per-epoch
    figure) or ``test`` (limited to ``test_limit``; scored once, at the end)."""
    d = cfg["data"]
    if split == "test":
        return load_images(d["dataset"], "test", d["root"] or None, d["test_limit"])
    images, labels = load_images(d["dataset"], "train", d["root"] or None)
    k = d["validation_images"]
    if not 0 < k < len(images):
        raise ConfigError(f"data.validation_images: must be in 1 .. {len(images) - 1} "
                          f"(the training set has {len(images)} images), got {k}")
    if split == "validation":
        return images[-k:], labels[-k:]
    n = len(images) - k
    n = min(n, d["train_limit"]) if d["train_limit"] else n
    return images[:n], labels[:n]


def _augment(cfg: dict):
    return AUGMENT[cfg["data"]["dataset"]] if cfg["data"]["augment"] else None


def calibration_images(cfg: dict, train_images):
    """A seeded sample of training images that sets the converted thresholds."""
    n = min(cfg["convert"]["calibration_samples"], len(train_images))
    order = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(cfg["seed"]))
    return train_images[order[:n]]


def train_ann(cfg: dict, run: Path, dev, machine: dict, resume: bool = False,
              log: Callable = print) -> dict:
    """Train the ANN of ``cfg`` (ReLU, average pooling, no biases)."""
    train, val = load_split(cfg, "train"), load_split(cfg, "validation")
    info = INFO[cfg["data"]["dataset"]]
    model = build_model(cfg["model"], info).to(dev)
    runs.write_config(run, cfg, resume, kind="ann")
    a = cfg["ann"]
    t0 = time.perf_counter()
    history = fit(model, train, val, epochs=a["epochs"], lr=a["lr"], optimizer=a["optimizer"],
                  momentum=a["momentum"], weight_decay=a["weight_decay"], schedule=a["schedule"],
                  batch_size=cfg["data"]["batch_size"],
                  eval_batch_size=cfg["data"]["eval_batch_size"], device=dev,
                  augment=_augment(cfg), seed=cfg["seed"], desc="ANN",
                  checkpoint=run / runs.CHECKPOINT_FILE, resume=resume, log=log)
    fitting = time.perf_counter() - t0
    runs.save_model(run, model, "ann")
    test = load_split(cfg, "test")
    test_acc = evaluate(model, *test, batch_size=cfg["data"]["eval_batch_size"], device=dev)
    shape = (info["channels"], info["image_size"], info["image_size"])
    metrics = {"kind": "ann", "method": "ann", "validation_accuracy": history[-1]["validation_accuracy"],
               "test_accuracy": test_acc, "test_images": len(test[0]), "train_images": len(train[0]),
               "validation_images": len(val[0]),
               "history": history,   # a resumed run counts the epochs it trained before too
               "seconds_total": time.perf_counter() - t0 - fitting + epoch_seconds(history),
               "seconds_per_epoch": sum(h["seconds"] for h in history) / len(history),
               "cost": ann_cost(model, shape), "machine": machine}
    runs.save_rng(run)
    runs.write_json(run / runs.METRICS_FILE, metrics)
    return metrics


def convert_ann(cfg: dict, ann, ann_run: Path, run: Path, dev, machine: dict,
                log: Callable = print) -> dict:
    """Convert the trained ``ann`` (from ``ann_run``) to an IF SNN; accuracy against timesteps."""
    torch.manual_seed(cfg["seed"])  # Poisson input draws from it
    runs.write_config(run, cfg)
    c = cfg["convert"]
    train, val, test = load_split(cfg, "train"), load_split(cfg, "validation"), load_split(cfg, "test")
    t0 = time.perf_counter()
    snn = convert(ann, calibration_images(cfg, train[0]).to(dev), c["percentile"],
                  max(c["timesteps"]), c["encoding"])
    ann_metrics = runs.read_metrics(ann_run)   # the ANN's score, where it was on these test images
    ann_acc = ann_metrics.get("test_accuracy")
    if ann_acc is None or ann_metrics.get("test_images") != len(test[0]):
        ann_acc = evaluate(ann, *test, batch_size=cfg["data"]["eval_batch_size"], device=dev)
    val_curve = accuracy_vs_timesteps(snn, *val, c["timesteps"], cfg["data"]["eval_batch_size"], dev)
    curve = accuracy_vs_timesteps(snn, *test, c["timesteps"], cfg["data"]["eval_batch_size"], dev)
    for t, acc in curve.items():
        log(f"converted SNN, T={t}: validation {val_curve[t]:.2f}%, test {acc:.2f}% (ANN {ann_acc:.2f}%)")
    cost = snn_cost(snn, test[0][:COST_IMAGES].to(dev), cfg["data"]["eval_batch_size"])
    runs.save_model(run, snn, "snn", method="conversion")
    metrics = {"kind": "snn", "method": "conversion", "source_run": str(ann_run),
               "ann_accuracy": ann_acc, "timesteps": snn.timesteps, "encoding": c["encoding"],
               "test_accuracy": curve[snn.timesteps], "test_images": len(test[0]),
               "validation_accuracy": val_curve[snn.timesteps],
               "accuracy_vs_timesteps": curve, "validation_accuracy_vs_timesteps": val_curve,
               "percentile": c["percentile"],
               "thresholds": [n.threshold.item() for n in neuron_layers(snn.net)],
               "seconds_total": time.perf_counter() - t0, "cost": cost, "machine": machine}
    runs.write_json(run / runs.METRICS_FILE, metrics)
    plots.accuracy_vs_timesteps(run / "accuracy_vs_timesteps.png",
                                {f"converted ({c['encoding']})": curve}, ann_acc,
                                f"{cfg['name']}: conversion, p={c['percentile']}")
    plots.spike_rates(run / "spike_rates.png", cost["neurons"],
                      f"converted SNN, T={snn.timesteps}")
    return metrics


def initial_snn(cfg: dict, init: Path | None, method: str, train_images, dev):
    """The SNN training starts from: a converted ANN, a trained SNN, or (DIET /
    IIR only) fresh weights; and what it came from."""
    t_first = cfg["stdb"]["timesteps"] if method == "stdb" else (
        cfg["diet"]["timesteps"] if method == "diet" else cfg["iir"]["start"])
    scale = cfg["stdb" if method == "stdb" else "diet"]["threshold_scale"]
    if init is None:
        if cfg["model"]["batch_norm"]:   # folding fresh batch norm away would train without it
            raise ConfigError(f"model.batch_norm = true: an SNN trained from fresh weights has no batch "
                              f"norm (it is folded into trained ANN weights); start {method} from a "
                              "trained ANN with --init, or set model.batch_norm = false")
        net = fold_batch_norm(build_model(cfg["model"], INFO[cfg["data"]["dataset"]])).to(dev)
        configure_neurons(net, leak=cfg["diet"]["leak"])
        return SpikingNetwork(net, t_first, "direct"), {}
    init_cfg, model, ckpt = runs.load_run(init, device=dev)
    if init_cfg["data"]["dataset"] != cfg["data"]["dataset"]:
        raise ConfigError(f"--init {init} was trained on {init_cfg['data']['dataset']}, "
                          f"the spec asks for {cfg['data']['dataset']}")
    held, ours = init_cfg["data"]["validation_images"], cfg["data"]["validation_images"]
    roots = [images_root(c["data"]["root"]).resolve() for c in (init_cfg, cfg)]
    if ours > held or roots[0] != roots[1]:
        raise ConfigError(f"--init {init} held out the last {held} training images of "
                          f"{init_cfg['data']['root'] or 'the default folder'}; the spec validates on the "
                          f"last {ours} of {cfg['data']['root'] or 'the default folder'}: its validation "
                          "would hold images the run it starts from trained on (data.validation_images "
                          "and data.root must hold out at most what that run held out)")
    cfg["model"] = init_cfg["model"]  # the checkpoint fixes the architecture
    encoding = cfg["stdb"]["encoding"] if method == "stdb" else "direct"
    if ckpt["kind"] == "ann":
        snn = convert(model, calibration_images(cfg, train_images).to(dev),
                      cfg["convert"]["percentile"], t_first, encoding, scale)
    else:
        snn = model
        snn.timesteps, snn.encoding = t_first, encoding
        if ckpt.get("method") == "conversion":  # trained thresholds stay as trained
            for layer in neuron_layers(snn.net):
                layer.threshold.data.mul_(scale)
    return snn, {"init_run": str(init), "init_kind": ckpt["kind"],
                 "init_method": ckpt.get("method"), "init_timesteps": ckpt.get("timesteps")}


def train_snn(cfg: dict, method: str, init: Path | None, run: Path, dev, machine: dict,
              resume: bool = False, log: Callable = print) -> dict:
    """Train an SNN by surrogate-gradient BPTT: ``method`` stdb (hybrid, from a
    converted ANN), diet (trained leak and threshold) or iir (DIET at
    T = iir.start, then T-1 ... iir.stop)."""
    if method == "stdb" and init is None:
        raise ConfigError("--method stdb starts from a converted SNN: pass --init "
                          "with an ANN run (converted here) or a converted run")
    if init is not None:
        runs.restore_rng(init)     # a chain draws alike in one process or stage by stage
    train, val = load_split(cfg, "train"), load_split(cfg, "validation")
    snn, init_info = initial_snn(cfg, init, method, train[0], dev)
    runs.write_config(run, cfg, resume, kind=method)
    runs.write_init(run, init, resume)
    s = cfg["snn"]
    common = dict(optimizer=s["optimizer"], weight_decay=s["weight_decay"],
                  schedule=s["schedule"], batch_size=cfg["data"]["batch_size"],
                  eval_batch_size=cfg["data"]["eval_batch_size"], device=dev,
                  augment=_augment(cfg), seed=cfg["seed"], log=log)
    stages = []
    if method == "stdb":
        st = cfg["stdb"]
        prepare_stdb(snn, st["alpha"], st["beta"], st["leak"])
        history = train_snn_epochs(snn, train, val, epochs=st["epochs"], lr=st["lr"], desc="STDB",
                                   checkpoint=run / runs.CHECKPOINT_FILE, resume=resume, **common)
    else:
        d = cfg["diet"]
        leak = d["leak"] if init_info.get("init_kind") != "snn" or \
            init_info.get("init_method") == "conversion" else None
        prepare_diet(snn, d["gamma"], leak)
        skip_first = (method == "iir" and init_info.get("init_method") in ("diet", "iir")
                      and init_info.get("init_timesteps") == snn.timesteps)
        done = _finished_stages(run, snn, dev) if method == "iir" and resume else None
        history = done["history"] if done else []
        if not skip_first and not done:
            history = train_snn_epochs(snn, train, val, epochs=d["epochs"], lr=d["lr"],
                                       desc=f"DIET T={snn.timesteps}",
                                       checkpoint=run / runs.CHECKPOINT_FILE, resume=resume,
                                       **common)
        if method == "iir":
            i = cfg["iir"]
            if done:
                stages = done["stages"]
                log(f"resuming IIR after its T={snn.timesteps} stage")
            else:
                first_acc = (history[-1]["validation_accuracy"] if history
                             else runs.read_metrics(init).get("validation_accuracy"))
                stages.append({"timesteps": snn.timesteps, "history": history,
                               "validation_accuracy": first_acc, "from_init": skip_first})
                _save_stage(run, snn, history, stages)
            configure_neurons(snn.net, gamma=i["gamma"])
            rows = list(stages)

            def stage_done(timesteps, net, row):
                rows.append(row)
                _save_stage(run, net, history, rows)
            snn, more = train_iir(snn, train, val, stop=i["stop"], epochs=i["epochs"],
                                  final_epochs=i["final_epochs"], lr=i["lr"],
                                  final_lr=i["final_lr"], on_stage_end=stage_done,
                                  stage_checkpoint=lambda t: run / f"iir_T{t}_checkpoint.pt",
                                  resume=resume, **common)
            stages += more
    all_rows = history + [row for st_ in stages[1:] for row in st_["history"]]
    seconds = epoch_seconds(all_rows)   # every epoch trained, those before a resume too
    eval_ts = sorted(set(s["eval_timesteps"]) | {snn.timesteps})
    test = load_split(cfg, "test")   # read once, for the final figures
    curve = accuracy_vs_timesteps(snn, *test, eval_ts, cfg["data"]["eval_batch_size"], dev)
    cost = snn_cost(snn, test[0][:COST_IMAGES].to(dev), cfg["data"]["eval_batch_size"])
    runs.save_model(run, snn, "snn", method=method)
    metrics = {"kind": "snn", "method": method, **init_info, "timesteps": snn.timesteps,
               "encoding": snn.encoding, "test_accuracy": curve[snn.timesteps],
               "validation_accuracy": (history[-1]["validation_accuracy"] if history and not stages
                                       else stages[-1]["validation_accuracy"] if stages else None),
               "test_images": len(test[0]), "train_images": len(train[0]),
               "accuracy_vs_timesteps": curve, "history": history, "stages": stages,
               "seconds_total": seconds,
               "seconds_per_epoch": (sum(r["seconds"] for r in all_rows) / len(all_rows)
                                     if all_rows else None),
               "thresholds": [n.threshold.item() for n in neuron_layers(snn.net)],
               "leaks": [n.leak.item() for n in neuron_layers(snn.net)],
               "cost": cost, "machine": machine}
    runs.save_rng(run)
    runs.write_json(run / runs.METRICS_FILE, metrics)
    curves = {f"{method}, trained at T={snn.timesteps}": curve}
    if stages:
        curves["IIR stages, validation (each at its own T)"] = {
            st_["timesteps"]: st_["validation_accuracy"] for st_ in stages
            if st_["validation_accuracy"] is not None}
    plots.accuracy_vs_timesteps(run / "accuracy_vs_timesteps.png", curves,
                                title=f"{cfg['name']}: {method}")
    plots.spike_rates(run / "spike_rates.png", cost["neurons"],
                      f"{method} SNN, T={snn.timesteps}")
    return metrics


def _save_stage(run: Path, snn: SpikingNetwork, history: list, stages: list) -> None:
    """The IIR schedule after a finished stage: the network at that stage's T,
    the rows so far and Torch's random state, for ``--resume``."""
    runs.save_torch(run / IIR_STAGE_FILE, {"timesteps": snn.timesteps,
                                           "state_dict": snn.net.state_dict(),
                                           "history": history, "stages": stages,
                                           "rng": rng_state()})


def _finished_stages(run: Path, snn: SpikingNetwork, dev) -> dict | None:
    """Put ``snn`` in the state of the last IIR stage finished in ``run``;
    its rows so far, or None when no stage has finished there."""
    if not (run / IIR_STAGE_FILE).is_file():
        return None
    done = runs.load_torch(run / IIR_STAGE_FILE, dev)
    snn.net.load_state_dict(done["state_dict"])
    snn.timesteps = done["timesteps"]
    set_rng_state(done["rng"])
    return done


def attack(cfg: dict, spec: Path, run_dir: Path, force: bool, dev, machine: dict,
           log: Callable = print, resume: bool = False) -> dict:
    """FGSM/PGD, white-box and black-box, against the [[attack.targets]] of
    ``cfg``; the run folder is made once every target has loaded. Each
    accuracy is kept in the run folder (``attack.partial.json``) as soon as
    it is measured; with ``resume`` an interrupted attack measures only the
    cells it lacks."""
    a = cfg["attack"]
    if not a["targets"]:
        raise ConfigError(f"{spec}: attack.targets is empty: add [[attack.targets]] tables "
                          "with name and run")

    def load_target(t):
        target_cfg, model, _ = runs.load_run(t["run"], device=dev)
        if target_cfg["data"]["dataset"] != cfg["data"]["dataset"]:
            raise ConfigError(f"{spec}: target {t['name']!r} ({t['run']}) was trained on "
                              f"{target_cfg['data']['dataset']}, the spec attacks {cfg['data']['dataset']}")
        if isinstance(model, SpikingNetwork):
            if "encoding" in t:
                model.encoding = t["encoding"]
            if "timesteps" in t:
                model.timesteps = t["timesteps"]
            if "leak" in t:
                configure_neurons(model.net, leak=t["leak"])
        elif {"encoding", "timesteps", "leak"} & set(t):
            raise ConfigError(f"{spec}: target {t['name']!r} is an ANN; encoding, timesteps "
                              "and leak apply to SNN targets only")
        return model

    targets = {t["name"]: load_target(t) for t in a["targets"]}
    source_run = a["source"] or a["targets"][0]["run"]
    source_name = a["source"] or a["targets"][0]["name"]
    source = load_target({"name": source_name, "run": source_run})
    run = runs.prepare_run(run_dir, force, resume)
    runs.write_config(run, cfg, resume)
    models = runs.file_digest([Path(t["run"]) / runs.MODEL_FILE for t in a["targets"]]
                              + [Path(source_run) / runs.MODEL_FILE])
    measured = _measured_cells(run, models, log) if resume else {}
    cfg["data"]["test_limit"] = a["limit"]
    images, labels = load_split(cfg, "test")
    t0 = time.perf_counter()
    table = robustness_table(targets, source_name, source, images, labels, a["eps"],
                             a["pgd_steps"], a["pgd_step_size"] or None, device=dev, log=log,
                             measured=measured, seed=cfg["seed"],
                             keep=lambda cells: runs.write_json(
                                 run / ATTACK_CELLS_FILE, {"models": models, "cells": cells}))
    table["targets"] = a["targets"]
    table["source_run"] = source_run
    table["seconds_total"] = time.perf_counter() - t0
    table["machine"] = machine
    runs.write_json(run / runs.METRICS_FILE, table)
    runs.write_text(run / "table.md", markdown_table(table))
    plots.accuracy_vs_attack(run / "accuracy_vs_attack.png", table)
    (run / ATTACK_CELLS_FILE).unlink(missing_ok=True)   # metrics.json holds them all now
    return table


def _measured_cells(run: Path, models: str, log: Callable) -> dict:
    """The accuracies an interrupted attack kept in ``run``, when its target
    and source models are still the ones it attacked (``models``: their
    digest); else none."""
    path = run / ATTACK_CELLS_FILE
    if not path.is_file():
        return {}
    try:
        kept = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path} is not valid JSON ({exc}); delete it to measure every cell anew") from exc
    if not isinstance(kept, dict) or "cells" not in kept:
        raise RunFolderError(f"{path} holds no attack cells; delete it to measure every cell anew")
    if kept.get("models") != models:
        log(f"{path}: the attacked models have changed since; measuring every cell anew")
        return {}
    return kept["cells"]
