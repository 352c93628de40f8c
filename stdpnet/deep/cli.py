"""``stdpnet deep ...``: the Torch path's commands. Each reads a spec or run
folder and writes a run folder (config.toml, model.pt, metrics.json, plots).

    stdpnet deep train-ann networks/deep_mnist_vgg.toml
    stdpnet deep convert runs/deep-mnist-vgg-ann
    stdpnet deep train-snn networks/deep_mnist_vgg.toml --method diet --init runs/deep-mnist-vgg-ann
    stdpnet deep attack networks/deep_mnist_vgg.toml
    stdpnet deep train-seq networks/deep_seq_mnist_rows.toml --model lite
    stdpnet deep seq-table runs/seq-mnist-rows-* --out runs/seq-mnist-rows-table
"""
from __future__ import annotations

import platform
import shlex
import sys
from pathlib import Path

import click

from ..console import friendly

METHODS = ("stdb", "diet", "iir")


def _setup(device: str | None, threads: int | None, seed: int):
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise click.BadParameter(f"{device!r} is not a torch device ({exc})",
                                 param_hint="--device") from exc
    if dev.type not in ("cpu", "cuda"):     # (torch names more: mps, xpu, meta...)
        raise click.BadParameter(f"{device!r}: the Torch path runs on cpu or cuda", param_hint="--device")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise click.BadParameter("CUDA was asked for but torch sees no GPU here",
                                 param_hint="--device")
    return dev


def _machine(device) -> dict:
    import torch

    ctx = click.get_current_context(silent=True)
    name, argv = (ctx.info_name if ctx else None), sys.argv[1:]
    command = shlex.join(sys.argv)
    if name in argv:  # the same words whether run as `stdpnet deep` or `python -m`
        command = shlex.join(["stdpnet", "deep", name, *argv[argv.index(name) + 1:]])
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


DEVICE_HELP = "torch device, e.g. cpu or cuda:0 (default: cuda if present)."
THREADS_HELP = "CPU threads for torch (default: torch's own)."

common_options = [
    click.option("--run", "--out", "run_dir", type=click.Path(file_okay=False, path_type=Path),
                 help="Run folder to write (default: runs/<name>-<kind>; --out as elsewhere)."),
    click.option("--force", is_flag=True, help="Overwrite an existing run folder."),
    click.option("--device", help=DEVICE_HELP),
    click.option("--threads", type=click.IntRange(min=1), help=THREADS_HELP),
    click.option("--train-limit", type=click.IntRange(min=0),
                 help="Use at most N training examples: the first N images, or sequences (for spoken "
                      "digits a subset with every digit in its share)."),
    click.option("--test-limit", type=click.IntRange(min=0),
                 help="Use at most N test examples, chosen as --train-limit chooses."),
]


# the options of the commands that repeat a run over seeds (repeat, seq-repeat)
repeat_options = [
    click.option("--seeds", default="0-2", show_default=True, help="Seeds, e.g. 0-2 or 0,3."),
    click.option("--record", metavar="NAME", help="Write the figures to the results registry as NAME.*"),
    click.option("--device", default=None, help=DEVICE_HELP),
    click.option("--threads", type=click.IntRange(min=1), default=None, help=THREADS_HELP),
]


def with_options(options):
    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


with_common = with_options(common_options)


def _single_settings(sets) -> dict:
    """--set KEY=VALUE options -> {dotted key: value}, one value each."""
    from ..spec.grid import parse_sets

    settings = {}
    for key, values in parse_sets(list(sets)).items():
        if len(values) != 1:
            raise click.BadParameter(f"{key}: one value here (seq-repeat varies several)",
                                     param_hint="--set")
        settings[key] = values[0]
    return settings


def _apply_limits(cfg, train_limit, test_limit):
    for key, value in (("train_limit", train_limit), ("test_limit", test_limit)):
        if value is not None:
            cfg["data"][key] = value


deep = click.Group("deep", help="Supervised deep SNNs on Torch: ANN training, ANN-to-SNN "
                                "conversion, hybrid STDB / DIET / IIR training, adversarial "
                                "attacks; sequence SNNs and their baselines.")


@deep.command("train-ann")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@with_common
@click.option("--epochs", type=int, help="Override ann.epochs.")
@click.option("--seed", type=int, help="Override the spec's seed (e.g. a second ANN as a "
                                       "black-box attack source).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its checkpoint.")
@friendly
def train_ann_cmd(spec, run_dir, force, device, threads, train_limit, test_limit, epochs, seed,
                  resume):
    """Train the ANN of SPEC (ReLU, average pooling, no biases)."""
    from . import pipeline, runs
    from .config import load_spec, validate

    cfg = load_spec(spec)
    if epochs is not None:
        if epochs < 1:
            raise click.BadParameter(f"must be >= 1, got {epochs}", param_hint="--epochs")
        cfg["ann"]["epochs"] = epochs
    if seed is not None:
        cfg["seed"] = seed
    _apply_limits(cfg, train_limit, test_limit)
    validate(cfg, "options")
    dev = _setup(device, threads, cfg["seed"])
    run = runs.prepare_run(run_dir or Path("runs") / f"{cfg['name']}-ann", force, resume)
    metrics = pipeline.train_ann(cfg, run, dev, _machine(dev), resume=resume, log=click.echo)
    click.echo(f"ANN test accuracy {metrics['test_accuracy']:.2f}% -> {run}")


@deep.command("convert")
@click.argument("ann_run", type=click.Path(file_okay=False, path_type=Path))
@with_common
@click.option("--percentile", type=float, help="Override convert.percentile (100 = max).")
@click.option("--timesteps", help="Override convert.timesteps, e.g. 8,16,32,64.")
@click.option("--encoding", type=click.Choice(["direct", "poisson"]),
              help="Override convert.encoding.")
@friendly
def convert_cmd(ann_run, run_dir, force, device, threads, train_limit, test_limit, percentile,
                timesteps, encoding):
    """Convert the ANN in ANN_RUN to an IF SNN; measure accuracy vs timesteps."""
    from . import pipeline, runs
    from .config import validate

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
    run = runs.prepare_run(run_dir or Path("runs") / f"{cfg['name']}-converted", force,
                           resumable=False)
    pipeline.convert_ann(cfg, ann, ann_run, run, dev, _machine(dev), log=click.echo)
    click.echo(f"-> {run}")


@deep.command("train-snn")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(METHODS), required=True,
              help="stdb: hybrid conversion + STDB; diet: trained leak and threshold; "
                   "iir: DIET at T=iir.start then T-1 ... iir.stop.")
@click.option("--init", type=click.Path(file_okay=False, path_type=Path),
              help="Start from this run: an ANN (converted first) or an SNN.")
@with_common
@click.option("--timesteps", type=int, help="Override stdb/diet timesteps or iir.start.")
@click.option("--epochs", type=int, help="Override the method's epochs: stdb.epochs, diet.epochs, or "
                                          "iir.epochs (each stage below iir.start; the DIET stage at "
                                          "iir.start keeps diet.epochs, the last stage iir.final_epochs "
                                          "where set).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run: STDB and DIET after their last epoch, IIR "
                   "after its last finished stage.")
@friendly
def train_snn_cmd(spec, method, init, run_dir, force, device, threads, train_limit, test_limit,
                  timesteps, epochs, resume):
    """Train an SNN of SPEC by surrogate-gradient BPTT (--method stdb|diet|iir)."""
    from . import pipeline, runs
    from .config import load_spec, validate

    cfg = load_spec(spec)
    if timesteps is not None:
        cfg[method]["start" if method == "iir" else "timesteps"] = timesteps
    if epochs is not None:
        cfg[method]["epochs"] = epochs
    _apply_limits(cfg, train_limit, test_limit)
    validate(cfg, "options")
    dev = _setup(device, threads, cfg["seed"])
    run = runs.prepare_run(run_dir or Path("runs") / f"{cfg['name']}-{method}", force, resume)
    metrics = pipeline.train_snn(cfg, method, init, run, dev, _machine(dev), resume=resume,
                                 log=click.echo)
    click.echo(f"{method} SNN, T={metrics['timesteps']}: {metrics['test_accuracy']:.2f}% -> {run}")


@deep.command("repeat")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--methods", default="diet,iir", show_default=True,
              help="SNN methods trained in turn after each seed's ANN, each from the previous "
                   "run (diet from the ANN, iir from the DIET network).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder of the runs, seed<s>-ann, seed<s>-<method>.")
@with_options(repeat_options)
@with_options(common_options[-2:])   # --train-limit, --test-limit
@friendly
def repeat_cmd(spec, methods, seeds, out, record, device, threads, train_limit, test_limit):
    """The chain ANN -> METHODS of SPEC once per seed (finished runs of the
    same settings are reused, an interrupted run resumes); with --record, the
    validation and test accuracy of each stage, mean and sd over the seeds,
    go to results/. Settings are the spec's: choose them on validation
    (the validation accuracy of every run is in its metrics.json)."""
    from .. import results
    from ..spec.grid import parse_seeds
    from . import pipeline, runs
    from .config import load_spec, validate

    chain = [m.strip() for m in methods.split(",") if m.strip()]
    if not chain or any(m not in ("diet", "iir") for m in chain):
        raise click.BadParameter(f"diet and/or iir, got {methods!r}", param_hint="--methods")
    argv = sys.argv[sys.argv.index("repeat"):] if "repeat" in sys.argv else ["repeat", str(spec)]
    source = results.provenance(spec, "stdpnet deep " + shlex.join(argv)) if record else None
    if record:
        results.check_name(record)     # said now, not after the training
    finished = {}
    for seed in parse_seeds(seeds):
        cfg = load_spec(spec)
        cfg["seed"] = seed
        _apply_limits(cfg, train_limit, test_limit)
        validate(cfg, "options")
        dev = _setup(device, threads, seed)
        previous = None
        for stage in ["ann", *chain]:
            run = Path(out) / f"seed{seed}-{stage}"
            same = runs.ran_with(run, cfg)    # a run of other settings starts again
            if not ((run / runs.METRICS_FILE).is_file() and same):
                resume = same and any((run / f).is_file()
                                      for f in (runs.CHECKPOINT_FILE, pipeline.IIR_STAGE_FILE))
                runs.prepare_run(run, force=not resume, resume=resume)
                click.echo(f"seed {seed}: {stage}" + (" (resumed)" if resume else ""))
                if stage == "ann":
                    pipeline.train_ann(cfg, run, dev, _machine(dev), resume=resume, log=click.echo)
                else:
                    pipeline.train_snn(cfg, stage, previous, run, dev, _machine(dev), resume=resume,
                                       log=click.echo)
            metrics = runs.read_metrics(run)
            finished.setdefault(stage, {})[seed] = metrics
            shown = {split: "n/a" if metrics[f"{split}_accuracy"] is None else f"{metrics[f'{split}_accuracy']:.2f}%"
                     for split in ("validation", "test")}     # (no validation figure: a stage of 0 epochs)
            click.echo(f"seed {seed}, {stage}" + (f" T={metrics['timesteps']}" if stage != "ann" else "")
                       + f": validation {shown['validation']}, test {shown['test']}")
            previous = run
    if record:
        title = results.title_of(record, cfg["name"])
        entries = []    # all made before any is written
        for stage, by_seed in finished.items():
            shown = "ANN" if stage == "ann" else \
                f"{stage.upper()}-SNN, T = {next(iter(by_seed.values()))['timesteps']}"
            for split in ("test", "validation"):
                values = {s: m[f"{split}_accuracy"] for s, m in by_seed.items()}
                if None in values.values():     # a stage of 0 epochs has no validation figure
                    continue
                entries.append(results.figure(f"{record}.{stage}_{split}_accuracy", title,
                                              f"accuracy, {shown}", split, "%",
                                              {s: v / 100 for s, v in values.items()}, source))
        for path in results.write_all(entries):
            click.echo(f"wrote {path}")


@deep.command("attack")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--run", "--out", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Run folder to write (default: runs/<name>-attack; --out as elsewhere).")
@click.option("--force", is_flag=True, help="Overwrite an existing run folder.")
@with_options(common_options[2:4])   # --device, --threads
@click.option("--limit", type=int, help="Override attack.limit (test images attacked).")
@click.option("--eps", help="Override attack.eps, e.g. 0.05,0.1.")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted attack: measure only the accuracies it lacks.")
@friendly
def attack_cmd(spec, run_dir, force, device, threads, limit, eps, resume):
    """FGSM/PGD, white-box and black-box, against the [[attack.targets]] of SPEC."""
    from . import pipeline
    from .attack import markdown_table
    from .config import load_spec, validate

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
    dev = _setup(device, threads, cfg["seed"])
    run_dir = run_dir or Path("runs") / f"{cfg['name']}-attack"
    table = pipeline.attack(cfg, spec, run_dir, force, dev, _machine(dev), log=click.echo,
                           resume=resume)
    click.echo(markdown_table(table))
    click.echo(f"-> {run_dir}")


def _ensure_extra_voices(cfgs) -> None:
    """Write the synthetic digits on first use when a spoken-digit spec (or
    a cell of it) trains on them (``fsdd.extra_root = "synth_digits"``)."""
    from ..data import synth

    for cfg in cfgs:
        if cfg["data"]["task"] == "fsdd" and cfg["fsdd"]["extra_root"]:
            synth.write_default_if_missing(synth.named_folder(cfg["fsdd"]["extra_root"]), log=click.echo)


@deep.command("train-seq")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", "kind", type=click.Choice(["lite", "srnn", "lstm", "gru", "tcn"]),
              help="lite: LITE-SNN; srnn: spiking RNN; lstm, gru, tcn: ANN baselines "
                   "(default: the spec's model_kind).")
@with_common
@click.option("--epochs", type=int, help="Override train.epochs.")
@click.option("--seed", type=int, help="Override the spec's seed.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Set a dotted spec key, e.g. --set fsdd.feature=mfcc (repeatable).")
@click.option("--validation-only", is_flag=True,
              help="A selection run: score the validation split only, never the test split.")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run (same spec and options) after its last epoch.")
@friendly
def train_seq_cmd(spec, kind, run_dir, force, device, threads, train_limit, test_limit, epochs,
                  seed, sets, validation_only, resume):
    """Train a sequence model of SPEC; best epoch on validation, test scored once."""
    from . import runs
    from .seq import pipeline
    from .seq.config import load_spec, validate

    settings = _single_settings(sets)
    cfg = pipeline.apply_settings(load_spec(spec), settings)
    kind = kind or cfg["model_kind"]
    if epochs is not None:
        cfg["train"]["epochs"] = epochs
    if seed is not None:
        cfg["seed"] = seed
    _apply_limits(cfg, train_limit, test_limit)
    validate(cfg, "options")
    _ensure_extra_voices([cfg])
    dev = _setup(device, threads, cfg["seed"])
    run = runs.prepare_run(run_dir or Path("runs") / f"{cfg['name']}-{kind}", force, resume)
    m = pipeline.train_seq(cfg, kind, run, dev, _machine(dev), log=click.echo,
                           score_test=not validation_only, settings=settings, resume=resume)
    test = "not scored" if m["test_accuracy"] is None else f"{m['test_accuracy']:.2f}%"
    click.echo(f"{kind}: validation {m['validation_accuracy']:.2f}% (epoch {m['best_epoch']}), "
               f"test {test}, {m['params']:,} parameters, "
               f"{m['ops_per_sequence']:,.0f} ops and {m['energy_uj_per_sequence']:.3g} µJ "
               f"per sequence -> {run}")


@deep.command("seq-table")
@click.argument("run_dirs", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for table.md, table.csv and accuracy_vs_cost.png.")
@click.option("--split", type=click.Choice(["test", "validation"]), default="test",
              show_default=True, help="Accuracy plotted against cost.")
@friendly
def seq_table_cmd(run_dirs, out, split):
    """Table and plot of accuracy against parameters and operations over RUN_DIRS."""
    from .seq import pipeline

    pipeline.compare(run_dirs, out, split)
    click.echo((out / "table.md").read_text(), nl=False)
    click.echo(f"-> {out}")


@deep.command("seq-plot")
@click.argument("records", nargs=-1, required=True)
@click.option("--x", "x", help="The setting on the x axis, e.g. pixel_steps (default: the only "
                               "one a record varied); the other settings make separate lines.")
@click.option("--split", type=click.Choice(["both", "validation", "test"]), default="both",
              show_default=True, help="The accuracy drawn.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PNG to write.")
@friendly
def seq_plot_cmd(records, x, split, out):
    """Accuracy against a setting that recorded seq-repeats varied (RECORDS,
    e.g. seq_length_20_epochs), drawn from results/ alone: the plot of
    accuracy_by_cell.png without the runs, several records in one figure."""
    from .. import results
    from .seq import pipeline, plots

    entries, rows, key = results.load_all(), [], x
    for record in records:
        mine, key = pipeline.recorded_cells(entries, record, x)
        for row in mine:
            row["record"] = record if len(records) > 1 else ""
        rows += mine
    plots.accuracy_by_setting(out, rows, key,
                              ("validation", "test") if split == "both" else (split,))
    click.echo(f"wrote {out}")


@deep.command("seq-repeat")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--models", default="lite,lstm", show_default=True,
              help="Comma-separated model kinds (lite, srnn, lstm, gru, tcn).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder of the runs (<model>-seed<s>) and of the table (table/).")
@with_options(repeat_options)
@click.option("--epochs", type=int, help="Override train.epochs.")
@click.option("--set", "sets", multiple=True, metavar="KEY=V1,V2",
              help="Vary a dotted spec key, e.g. --set data.pixel_steps=28,112,392: every "
                   "combination of the values is a cell, run into OUT/<cell>/ (repeatable; scoring "
                   "the test split, one key may take several values).")
@click.option("--validation-only", is_flag=True,
              help="A selection: score the validation split only, never the test split.")
@click.option("--folds", type=click.Choice(["speaker"]),
              help="Spoken digits: leave one speaker out, each speaker of the folder held out "
                   "for test once, the next one for validation, into OUT/[<cell>/]test=<speaker>/.")
@friendly
def seq_repeat_cmd(spec, models, seeds, out, record, device, threads, epochs, sets,
                   validation_only, folds):
    """Train MODELS x SEEDS of SPEC (finished runs are reused), tabulate them
    and, with --record, write their mean and sd over seeds to results/. With
    --set, every cell of the settings' grid; cells.md gives mean ± sd per
    cell and model. With --folds speaker, every run once per held-out
    speaker: a seed's figure is its mean over the folds, and folds.md gives
    each fold."""
    import itertools

    from .. import results
    from ..spec.grid import parse_seeds, parse_sets
    from .seq import pipeline
    from .seq.config import load_spec, validate

    cfg = load_spec(spec)
    if epochs is not None:
        cfg["train"]["epochs"] = epochs
    validate(cfg, "options")
    kinds = [k.strip() for k in models.split(",") if k.strip()]
    unknown = sorted(set(kinds) - {"lite", "srnn", "lstm", "gru", "tcn"})
    if unknown or not kinds:
        raise click.BadParameter(f"unknown model kinds {unknown}", param_hint="--models")
    argv = sys.argv[sys.argv.index("seq-repeat"):] if "seq-repeat" in sys.argv else ["seq-repeat", str(spec)]
    source = results.provenance(spec, "stdpnet deep " + shlex.join(argv)) if record else None
    if record:
        results.check_name(record)     # said now, not after the training
    grid = parse_sets(list(sets))
    varied = [key for key, values in grid.items() if len(values) > 1]
    if len(varied) > 1 and not validation_only:
        raise click.BadParameter(f"{', '.join(varied)} each take several values: scoring the test split, "
                                 "one key may vary (the condition measured across, e.g. "
                                 "data.pixel_steps); choose the others with --validation-only first",
                                 param_hint="--set")
    dev = _setup(device, threads, cfg["seed"])
    cells = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    _ensure_extra_voices([pipeline.apply_settings(cfg, cell) for cell in cells])
    speaker_folds = pipeline.speaker_folds(cfg) if folds else None
    dirs = pipeline.repeat(cfg, kinds, parse_seeds(seeds), out, dev, _machine(dev), log=click.echo,
                           cells=cells, score_test=not validation_only, folds=speaker_folds)
    pipeline.compare(dirs, Path(out) / "table", "validation" if validation_only else "test")
    click.echo((Path(out) / "table" / "table.md").read_text(), nl=False)
    pipeline.write_cells(pipeline.cell_summary(dirs, not validation_only), Path(out) / "table")
    if pipeline.fold_tables(dirs, Path(out) / "table", not validation_only):
        click.echo((Path(out) / "table" / "folds.md").read_text(), nl=False)
    click.echo((Path(out) / "table" / "cells.md").read_text(), nl=False)
    if record:
        title = results.title_of(record, cfg["name"])
        # (runs reused from earlier repeats)
        source, note = results.naming_reused(source, pipeline.run_commits(dirs, not validation_only), "runs")
        if note:
            click.echo(note)
        for path in pipeline.record(dirs, record, title, source, with_test=not validation_only):
            click.echo(f"wrote {path}")


if __name__ == "__main__":
    deep()
