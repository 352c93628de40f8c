"""Compare the rules that combine the two ensembles, on validation pairs only.

Reads finished audio-visual run folders (one per seed, e.g. the tasks of a
sweep) that were scored on the validation split, clean and, where kept,
under noise (``stdpnet sweep ... --noise``: each noise at its strongest
level). Every rule is scored from the same spike counts at evaluation, so
nothing is simulated here. Prints, per condition, each rule's accuracy
(mean ± sd over the runs) beside the better single modality:

    python benchmarks/combining_rules.py runs/measure_audiovisual/tasks/* \\
        [--record audiovisual_rules]

The choice it serves: ship the simplest rule that is within the seed spread
of the best on every condition. The test split is refused.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np

from stdpnet import runs
from stdpnet.errors import ConfigError, StdpnetError
from stdpnet.experiments.sweep import one_setting
from stdpnet.spec import Readout

# simplest first: no fitted parameter, then Poisson rates, then the fitted weighting
RULES = ("summed", "normalised", "likelihood", "calibrated")
assert set(RULES) == set(Readout.VOTES)


def conditions(run_dir: Path, split: str) -> dict:
    """{condition: {rule: accuracy, ..., "single": better single modality}}:
    ``clean`` and, per kept noise sweep, its strongest level."""
    if split == "test":
        raise ConfigError("a combining rule is chosen on the validation split, never on the test split")
    metrics = runs.load_json(Path(run_dir) / runs.METRICS)
    try:
        acc = metrics["evaluate"][split]["accuracy"]
    except KeyError:
        raise ConfigError(f"{run_dir}: not scored on the {split} split "
                          f"(stdpnet evaluate {run_dir} --split {split})") from None
    out = {"clean": {**acc["both_by_rule"], "single": max(acc["image"], acc["audio"])}}
    for tag, sweep in sorted(metrics.get("robustness", {}).items()):
        name, _, tag_split = tag.partition(".")
        if (tag_split or "test") != split or not sweep:
            continue
        noise = next(iter(sweep[0]["noise"]))
        # the strongest level: the largest image corruption, the lowest audio SNR
        pick = min if noise.startswith("audio") else max
        level = pick(e["noise"][noise] for e in sweep)
        e = next(e for e in sweep if e["noise"][noise] == level)
        out[f"{name} {level:g}"] = {**e["accuracy"]["both_by_rule"],
                                    "single": max(e["accuracy"]["image"], e["accuracy"]["audio"])}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="finished audio-visual run folders")
    parser.add_argument("--split", default="validation", choices=("validation", "test"))
    parser.add_argument("--record", metavar="NAME", help="write every figure to results/NAME.*")
    parser.add_argument("--spec", type=Path, default=Path("networks/audiovisual.toml"),
                        help="the spec the runs were made from (for the record)")
    args = parser.parse_args()
    try:
        one_setting(args.runs, multimodal=True)   # the seeds of one setting, not a sweep's cells
        by_run = {run: conditions(run, args.split) for run in args.runs}
    except StdpnetError as exc:
        sys.exit(f"error: {exc}")
    names = list(next(iter(by_run.values())))
    print(f"| condition ({args.split}) | " + " | ".join(RULES) + " | better single modality |")
    print("|---|" + "---|" * (len(RULES) + 1))
    for name in names:
        cells = []
        for rule in RULES + ("single",):
            v = 100 * np.array([c[name][rule] for c in by_run.values()])
            cells.append(f"{v.mean():.2f} ± {v.std(ddof=1):.2f}" if len(v) > 1 else f"{v[0]:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.record:
        from stdpnet import results

        seeds = {run: _seed(run) for run in args.runs}
        source = results.provenance(args.spec, "python " + shlex.join(sys.argv))
        title = "Audio-visual network: the combining rules on the validation pairs"
        for name in names:
            for rule in RULES:
                key = name.replace(" ", "_").replace(":", "_")
                results.write(results.figure(
                    f"{args.record}.{key}_{rule}", title, f"accuracy, both modalities, {rule} rule, {name}",
                    args.split, "%", {seeds[run]: by_run[run][name][rule] for run in args.runs}, source))
        print(f"wrote {results.results_root()}/{args.record}.*")


def _seed(run_dir: Path) -> int:
    from stdpnet.experiments import audiovisual

    return audiovisual.open_run(run_dir).seed


if __name__ == "__main__":
    main()
