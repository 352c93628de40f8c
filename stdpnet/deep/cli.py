"""``stdpnet deep ...``: the Torch path's commands. Each reads a spec or run
folder and writes a run folder (config.toml, model.pt, metrics.json, plots).

    stdpnet deep train-ann networks/deep_mnist_vgg.toml
    stdpnet deep convert runs/deep-mnist-vgg-ann
    stdpnet deep train-snn networks/deep_mnist_vgg.toml --method diet --init runs/deep-mnist-vgg-ann
    stdpnet deep attack networks/deep_mnist_vgg.toml
"""
from __future__ import annotations

import functools
import platform
import sys
import time
from pathlib import Path

import click

from ..errors import ConfigError, StdpnetError

METHODS = ("stdb", "diet", "iir")


def _friendly(command):
    """Turn the project's errors into one-line click errors."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except StdpnetError as exc:
            raise click.ClickException(str(exc)) from exc
        except ModuleNotFoundError as exc:
            if exc.name in ("torch", "torchvision"):
                raise click.ClickException(f"the deep commands need {exc.name}: "
                                           "pip install -e \".[torch]\"") from exc
            raise
    return wrapper


def _setup(device: str | None, threads: int | None, seed: int):
    import torch

    if threads is not None:
        if threads < 1:
            raise click.BadParameter(f"must be >= 1, got {threads}", param_hint="--threads")
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise click.BadParameter(f"{device!r} is not a torch device ({exc})",
                                 param_hint="--device") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise click.BadParameter("CUDA was asked for but torch sees no GPU here",
                                 param_hint="--device")
    return dev


def _machine(device) -> dict:
    import torch

    ctx = click.get_current_context(silent=True)
    name, argv = (ctx.info_name if ctx else None), sys.argv[1:]
    command = " ".join(sys.argv)
    if name in argv:  # the same words whether run as `stdpnet deep` or `python -m`
        command = " ".join(["stdpnet", "deep", name, *argv[argv.index(name) + 1:]])
    info = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(), "command": command}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def _parse_ints(text: str | None, option: str):
    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated integers, got {text!r}",
                                 param_hint=option) from exc
    if not values or min(values) < 1:
        raise click.BadParameter(f"expected positive integers, got {text!r}", param_hint=option)
    return values


def _load_data(cfg, split):
    from .data import load_images

    limit = cfg["data"]["train_limit" if split == "train" else "test_limit"]
    return load_images(cfg["data"]["dataset"], split, cfg["data"]["root"] or None, limit)


def _augment(cfg):
    from .data import AUGMENT

    return AUGMENT[cfg["data"]["dataset"]] if cfg["data"]["augment"] else None


def _calibration_images(cfg, train_images):
    import torch

    n = min(cfg["convert"]["calibration_samples"], len(train_images))
    order = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(cfg["seed"]))
    return train_images[order[:n]]


def _cost_images(test_images, limit=1000):
    return test_images[:limit]


common_options = [
    click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path),
                 help="Run folder to write (default: runs/<name>-<kind>)."),
    click.option("--force", is_flag=True, help="Overwrite an existing run folder."),
    click.option("--device", help="torch device, e.g. cpu or cuda:0 (default: cuda if present)."),
    click.option("--threads", type=int, help="CPU threads for torch (default: torch's own)."),
    click.option("--train-limit", type=int, help="Use only the first N training images."),
    click.option("--test-limit", type=int, help="Use only the first N test images."),
]


def with_common(command):
    for option in reversed(common_options):
        command = option(command)
    return command


def _apply_limits(cfg, train_limit, test_limit):
    for key, value in (("train_limit", train_limit), ("test_limit", test_limit)):
        if value is not None:
            if value < 0:
                raise click.BadParameter(f"must be >= 0, got {value}",
                                         param_hint=f"--{key.replace('_', '-')}")
            cfg["data"][key] = value


deep = click.Group("deep", help="Supervised deep SNNs on Torch: ANN training, ANN-to-SNN "
                                "conversion, hybrid STDB / DIET / IIR training, adversarial "
                                "attacks.")


@deep.command("train-ann")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@with_common
@click.option("--epochs", type=int, help="Override ann.epochs.")
@click.option("--seed", type=int, help="Override the spec's seed (e.g. a second ANN as a "
                                       "black-box attack source).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its checkpoint.")
@_friendly
def train_ann_cmd(spec, run_dir, force, device, threads, train_limit, test_limit, epochs, seed,
                  resume):
    """Train the ANN of SPEC (ReLU, average pooling, no biases)."""
    from . import runs
    from .config import load_spec
    from .cost import ann_cost
    from .models import build_model
    from .data import INFO
    from .train import fit

    cfg = load_spec(spec)
    if epochs is not None:
        if epochs < 1:
            raise click.BadParameter(f"must be >= 1, got {epochs}", param_hint="--epochs")
        cfg["ann"]["epochs"] = epochs
    if seed is not None:
        cfg["seed"] = seed
    _apply_limits(cfg, train_limit, test_limit)
    dev = _setup(device, threads, cfg["seed"])
    run = runs.prepare_run(run_dir or Path("runs") / f"{cfg['name']}-ann", force, resume)
    train, test = _load_data(cfg, "train"), _load_data(cfg, "test")
    info = INFO[cfg["data"]["dataset"]]
    model = build_model(cfg["model"], info).to(dev)
    runs.write_config(run, cfg)
    a = cfg["ann"]
    t0 = time.perf_counter()
    history = fit(model, train, test, epochs=a["epochs"], lr=a["lr"], optimizer=a["optimizer"],
                  momentum=a["momentum"], weight_decay=a["weight_decay"], schedule=a["schedule"],
                  batch_size=cfg["data"]["batch_size"],
                  eval_batch_size=cfg["data"]["eval_batch_size"], device=dev,
                  augment=_augment(cfg), seed=cfg["seed"], desc="ANN",
                  checkpoint=run / runs.CHECKPOINT_FILE, resume=resume, log=click.echo)
    runs.save_model(run, model, "ann")
    shape = (info["channels"], info["image_size"], info["image_size"])
    metrics = {"kind": "ann", "method": "ann", "test_accuracy": history[-1]["test_accuracy"],
               "test_images": len(test[0]), "train_images": len(train[0]),
               "history": history, "seconds_total": time.perf_counter() - t0,
               "seconds_per_epoch": sum(h["seconds"] for h in history) / len(history),
               "cost": ann_cost(model, shape), "machine": _machine(dev)}
    runs.write_json(run / runs.METRICS_FILE, metrics)
    click.echo(f"ANN test accuracy {metrics['test_accuracy']:.2f}% -> {run}")


@deep.command("convert")
@click.argument("ann_run", type=click.Path(file_okay=False, path_type=Path))
@with_common
@click.option("--percentile", type=float, help="Override convert.percentile (100 = max).")
@click.option("--timesteps", help="Override convert.timesteps, e.g. 8,16,32,64.")
@click.option("--encoding", type=click.Choice(["direct", "poisson"]),
              help="Override convert.encoding.")
@_friendly
def convert_cmd(ann_run, run_dir, force, device, threads, train_limit, test_limit, percentile,
                timesteps, encoding):
    """Convert the ANN in ANN_RUN to an IF SNN; measure accuracy vs timesteps."""
    import torch

    from . import plots, runs
    from .config import validate
    from .convert import convert
    from .cost import snn_cost
    from .neurons import neuron_layers
    from .train import accuracy_vs_timesteps

    dev = _setup(device, threads, 0)
    cfg, ann, ckpt = runs.load_run(ann_run, device=dev)
    if ckpt["kind"] != "ann":
        raise click.UsageError(f"{ann_run} holds a {ckpt['kind']} model; convert needs an ANN run")
    if percentile is not None:
        cfg["convert"]["percentile"] = percentile
    if timesteps is not None:
        cfg["convert"]["timesteps"] = _parse_ints(timesteps, "--timesteps")
    if encoding is not None:
        cfg["convert"]["encoding"] = encoding
    _apply_limits(cfg, train_limit, test_limit)
    validate(cfg, "options")
    torch.manual_seed(cfg["seed"])  # Poisson input draws from it
    run = runs.prepare_run(run_dir or Path("runs") / f"{cfg['name']}-converted", force)
    runs.write_config(run, cfg)
    c = cfg["convert"]
    train, test = _load_data(cfg, "train"), _load_data(cfg, "test")
    t0 = time.perf_counter()
    snn = convert(ann, _calibration_images(cfg, train[0]).to(dev), c["percentile"],
                  max(c["timesteps"]), c["encoding"])
    ann_acc = runs.read_metrics(ann_run).get("test_accuracy")
    if ann_acc is None or cfg["data"]["test_limit"]:
        from .train import evaluate
        ann_acc = evaluate(ann, *test, batch_size=cfg["data"]["eval_batch_size"], device=dev)
    curve = accuracy_vs_timesteps(snn, *test, c["timesteps"], cfg["data"]["eval_batch_size"], dev)
    for t, acc in curve.items():
        click.echo(f"converted SNN, T={t}: {acc:.2f}% (ANN {ann_acc:.2f}%)")
    cost = snn_cost(snn, _cost_images(test[0]).to(dev), cfg["data"]["eval_batch_size"])
    runs.save_model(run, snn, "snn", method="conversion")
    metrics = {"kind": "snn", "method": "conversion", "source_run": str(ann_run),
               "ann_accuracy": ann_acc, "timesteps": snn.timesteps, "encoding": c["encoding"],
               "test_accuracy": curve[snn.timesteps], "test_images": len(test[0]),
               "accuracy_vs_timesteps": curve, "percentile": c["percentile"],
               "thresholds": [n.threshold.item() for n in neuron_layers(snn.net)],
               "seconds_total": time.perf_counter() - t0, "cost": cost,
               "machine": _machine(dev)}
    runs.write_json(run / runs.METRICS_FILE, metrics)
    plots.accuracy_vs_timesteps(run / "accuracy_vs_timesteps.png",
                                {f"converted ({c['encoding']})": curve}, ann_acc,
                                f"{cfg['name']}: conversion, p={c['percentile']}")
    plots.spike_rates(run / "spike_rates.png", cost["neurons"],
                      f"converted SNN, T={snn.timesteps}")
    click.echo(f"-> {run}")


def _initial_snn(cfg, init, method, train_images, dev):
    """The SNN training starts from: a converted ANN, a trained SNN, or (DIET /
    IIR only) fresh weights."""
    from . import runs
    from .convert import convert
    from .data import INFO
    from .models import SpikingNetwork, build_model, fold_batch_norm
    from .neurons import configure_neurons, neuron_layers

    t_first = cfg["stdb"]["timesteps"] if method == "stdb" else (
        cfg["diet"]["timesteps"] if method == "diet" else cfg["iir"]["start"])
    scale = cfg["stdb" if method == "stdb" else "diet"]["threshold_scale"]
    if init is None:
        if method == "stdb":
            raise click.UsageError("--method stdb starts from a converted SNN: pass --init "
                                   "with an ANN run (converted here) or a converted run")
        net = fold_batch_norm(build_model(cfg["model"], INFO[cfg["data"]["dataset"]])).to(dev)
        configure_neurons(net, leak=cfg["diet"]["leak"])
        return SpikingNetwork(net, t_first, "direct"), {}
    init_cfg, model, ckpt = runs.load_run(init, device=dev)
    if init_cfg["data"]["dataset"] != cfg["data"]["dataset"]:
        raise click.UsageError(f"--init {init} was trained on {init_cfg['data']['dataset']}, "
                               f"the spec asks for {cfg['data']['dataset']}")
    cfg["model"] = init_cfg["model"]  # the checkpoint fixes the architecture
    encoding = cfg["stdb"]["encoding"] if method == "stdb" else "direct"
    if ckpt["kind"] == "ann":
        snn = convert(model, _calibration_images(cfg, train_images).to(dev),
                      cfg["convert"]["percentile"], t_first, encoding, scale)
    else:
        snn = model
        snn.timesteps, snn.encoding = t_first, encoding
        if ckpt.get("method") == "conversion":  # trained thresholds stay as trained
            for layer in neuron_layers(snn.net):
                layer.threshold.data.mul_(scale)
    return snn, {"init_run": str(init), "init_kind": ckpt["kind"],
                 "init_method": ckpt.get("method"), "init_timesteps": ckpt.get("timesteps")}


@deep.command("train-snn")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(METHODS), required=True,
              help="stdb: hybrid conversion + STDB; diet: trained leak and threshold; "
                   "iir: DIET at T=iir.start then T-1 ... iir.stop.")
@click.option("--init", type=click.Path(file_okay=False, path_type=Path),
              help="Start from this run: an ANN (converted first) or an SNN.")
@with_common
@click.option("--timesteps", type=int, help="Override stdb/diet timesteps or iir.start.")
@click.option("--epochs", type=int, help="Override the method's epochs (per stage for iir).")
@click.option("--resume", is_flag=True, help="Continue an interrupted stdb/diet run.")
@_friendly
def train_snn_cmd(spec, method, init, run_dir, force, device, threads, train_limit, test_limit,
                  timesteps, epochs, resume):
    """Train an SNN of SPEC by surrogate-gradient BPTT (--method stdb|diet|iir)."""
    from . import plots, runs
    from .config import load_spec, validate
    from .cost import snn_cost
    from .neurons import configure_neurons, neuron_layers
    from .train import (accuracy_vs_timesteps, prepare_diet, prepare_stdb, train_iir,
                        train_snn)

    cfg = load_spec(spec)
    if timesteps is not None:
        cfg[method]["start" if method == "iir" else "timesteps"] = timesteps
    if epochs is not None:
        cfg[method]["epochs"] = epochs
    _apply_limits(cfg, train_limit, test_limit)
    validate(cfg, "options")
    if resume and method == "iir":
        raise click.UsageError("--resume works for stdb and diet; rerun an IIR schedule from "
                               "its last finished stage with --init")
    dev = _setup(device, threads, cfg["seed"])
    run = runs.prepare_run(run_dir or Path("runs") / f"{cfg['name']}-{method}", force, resume)
    train, test = _load_data(cfg, "train"), _load_data(cfg, "test")
    snn, init_info = _initial_snn(cfg, init, method, train[0], dev)
    runs.write_config(run, cfg)
    s = cfg["snn"]
    common = dict(optimizer=s["optimizer"], weight_decay=s["weight_decay"],
                  schedule=s["schedule"], batch_size=cfg["data"]["batch_size"],
                  eval_batch_size=cfg["data"]["eval_batch_size"], device=dev,
                  augment=_augment(cfg), seed=cfg["seed"], log=click.echo)
    t0 = time.perf_counter()
    stages = []
    if method == "stdb":
        st = cfg["stdb"]
        prepare_stdb(snn, st["alpha"], st["beta"], st["leak"])
        history = train_snn(snn, train, test, epochs=st["epochs"], lr=st["lr"], desc="STDB",
                            checkpoint=run / runs.CHECKPOINT_FILE, resume=resume, **common)
    else:
        d = cfg["diet"]
        leak = d["leak"] if init_info.get("init_kind") != "snn" or \
            init_info.get("init_method") == "conversion" else None
        prepare_diet(snn, d["gamma"], leak)
        skip_first = (method == "iir" and init_info.get("init_method") in ("diet", "iir")
                      and init_info.get("init_timesteps") == snn.timesteps)
        history = []
        if not skip_first:
            history = train_snn(snn, train, test, epochs=d["epochs"], lr=d["lr"],
                                desc=f"DIET T={snn.timesteps}",
                                checkpoint=run / runs.CHECKPOINT_FILE if method == "diet"
                                else None, resume=resume, **common)
        if method == "iir":
            i = cfg["iir"]
            first_acc = (history[-1]["test_accuracy"] if history
                         else runs.read_metrics(init).get("test_accuracy"))
            stages.append({"timesteps": snn.timesteps, "history": history,
                           "test_accuracy": first_acc, "from_init": skip_first})
            configure_neurons(snn.net, gamma=i["gamma"])
            snn, more = train_iir(snn, train, test, stop=i["stop"], epochs=i["epochs"],
                                  final_epochs=i["final_epochs"], lr=i["lr"],
                                  final_lr=i["final_lr"], **common)
            stages += more
    seconds = time.perf_counter() - t0
    all_rows = history + [row for st_ in stages[1:] for row in st_["history"]]
    eval_ts = sorted(set(s["eval_timesteps"]) | {snn.timesteps})
    curve = accuracy_vs_timesteps(snn, *test, eval_ts, cfg["data"]["eval_batch_size"], dev)
    cost = snn_cost(snn, _cost_images(test[0]).to(dev), cfg["data"]["eval_batch_size"])
    runs.save_model(run, snn, "snn", method=method)
    metrics = {"kind": "snn", "method": method, **init_info, "timesteps": snn.timesteps,
               "encoding": snn.encoding, "test_accuracy": curve[snn.timesteps],
               "test_images": len(test[0]), "train_images": len(train[0]),
               "accuracy_vs_timesteps": curve, "history": history, "stages": stages,
               "seconds_total": seconds,
               "seconds_per_epoch": (sum(r["seconds"] for r in all_rows) / len(all_rows)
                                     if all_rows else None),
               "thresholds": [n.threshold.item() for n in neuron_layers(snn.net)],
               "leaks": [n.leak.item() for n in neuron_layers(snn.net)],
               "cost": cost, "machine": _machine(dev)}
    runs.write_json(run / runs.METRICS_FILE, metrics)
    curves = {f"{method}, trained at T={snn.timesteps}": curve}
    if stages:
        curves["IIR stages (each at its own T)"] = {
            st_["timesteps"]: st_["test_accuracy"] for st_ in stages
            if st_["test_accuracy"] is not None}
    plots.accuracy_vs_timesteps(run / "accuracy_vs_timesteps.png", curves,
                                title=f"{cfg['name']}: {method}")
    plots.spike_rates(run / "spike_rates.png", cost["neurons"],
                      f"{method} SNN, T={snn.timesteps}")
    click.echo(f"{method} SNN, T={snn.timesteps}: {metrics['test_accuracy']:.2f}% -> {run}")


@deep.command("attack")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Run folder to write (default: runs/<name>-attack).")
@click.option("--force", is_flag=True, help="Overwrite an existing run folder.")
@click.option("--device", help="torch device (default: cuda if present).")
@click.option("--threads", type=int, help="CPU threads for torch (default: torch's own).")
@click.option("--limit", type=int, help="Override attack.limit (test images attacked).")
@click.option("--eps", help="Override attack.eps, e.g. 0.05,0.1.")
@_friendly
def attack_cmd(spec, run_dir, force, device, threads, limit, eps):
    """FGSM/PGD, white-box and black-box, against the [[attack.targets]] of SPEC."""
    from . import plots, runs
    from .attack import markdown_table, robustness_table
    from .config import load_spec, validate
    from .neurons import configure_neurons
    from .models import SpikingNetwork

    cfg = load_spec(spec)
    a = cfg["attack"]
    if limit is not None:
        a["limit"] = limit
    if eps is not None:
        try:
            a["eps"] = [float(e) for e in eps.split(",") if e.strip()]
        except ValueError as exc:
            raise click.BadParameter(f"expected comma-separated numbers, got {eps!r}",
                                     param_hint="--eps") from exc
    validate(cfg, "options")
    if not a["targets"]:
        raise ConfigError(f"{spec}: attack.targets is empty: add [[attack.targets]] tables "
                          "with name and run")
    dev = _setup(device, threads, cfg["seed"])

    def load_target(t):
        _, model, _ = runs.load_run(t["run"], device=dev)
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
    run = runs.prepare_run(run_dir or Path("runs") / f"{cfg['name']}-attack", force)
    runs.write_config(run, cfg)
    cfg["data"]["test_limit"] = a["limit"]
    images, labels = _load_data(cfg, "test")
    t0 = time.perf_counter()
    table = robustness_table(targets, source_name, source, images, labels, a["eps"],
                             a["pgd_steps"], a["pgd_step_size"] or None,
                             device=dev, log=click.echo)
    table["targets"] = a["targets"]
    table["source_run"] = source_run
    table["seconds_total"] = time.perf_counter() - t0
    table["machine"] = _machine(dev)
    runs.write_json(run / runs.METRICS_FILE, table)
    runs.write_text(run / "table.md", markdown_table(table))
    plots.accuracy_vs_attack(run / "accuracy_vs_attack.png", table)
    click.echo(markdown_table(table))
    click.echo(f"-> {run}")


if __name__ == "__main__":
    deep()
