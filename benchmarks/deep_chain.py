"""Run the whole Torch-path chain for one spec and summarise its run folders.

    python benchmarks/deep_chain.py                       # MNIST, small VGG (CPU)
    python benchmarks/deep_chain.py --spec networks/deep_cifar10_vgg16.toml   # GPU
    python benchmarks/deep_chain.py --summary-only        # tables from existing runs
    python benchmarks/deep_chain.py --spec networks/deep_mnist_vgg_long.toml --steps ann,diet,iir

Steps (each skipped when its run folder already has metrics.json):
train-ann, convert, DIET at T=5, IIR T=4..1 from the DIET run, STDB from the
converted run, a second ANN (seed 1) as black-box source, attacks.
Prints markdown tables built from the metrics.json files only.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path


def runs_of(name: str) -> dict[str, Path]:
    return {kind: Path("runs") / f"{name}-{kind}" for kind in
            ("ann", "converted", "diet", "iir", "stdb", "ann-seed1", "attack")}


def steps(spec: str, runs: dict[str, Path]) -> list[tuple[str, list[str]]]:
    return [
        ("ann", ["train-ann", spec]),
        ("converted", ["convert", str(runs["ann"])]),
        ("diet", ["train-snn", spec, "--method", "diet", "--init", str(runs["ann"])]),
        ("iir", ["train-snn", spec, "--method", "iir", "--init", str(runs["diet"])]),
        ("stdb", ["train-snn", spec, "--method", "stdb", "--init", str(runs["converted"])]),
        ("ann-seed1", ["train-ann", spec, "--seed", "1", "--run", str(runs["ann-seed1"])]),
        ("attack", ["attack", spec]),
    ]


def load(path: Path) -> dict | None:
    f = path / "metrics.json"
    return json.loads(f.read_text()) if f.exists() else None


def summary(runs: dict[str, Path]) -> str:
    out = []
    rows = []
    for kind in ("ann", "converted", "stdb", "diet", "iir"):
        m = load(runs[kind])
        if m is None:
            continue
        cost = m["cost"]
        if kind == "ann":
            spikes, energy, ratio = "—", cost["energy_uj_per_image"], 1.0
        else:
            spikes = f"{cost['spikes_per_image']:.0f}"
            energy, ratio = cost["energy_uj_per_image"], cost["ann_to_snn_energy_ratio"]
        spe = m.get("seconds_per_epoch") if kind != "iir" else None  # per stage below
        rows.append(f"| {kind} | {m.get('timesteps') or '—'} | {m['test_accuracy']:.2f} | "
                    f"{f'{spe:.0f}' if spe else '—'} | {spikes} | {energy:.3f} | {ratio:.1f} |")
    if rows:
        out += ["| model | T | test accuracy (%) | s / epoch | spikes / image | "
                "energy (µJ / image) | ANN / SNN energy |", "|---|---|---|---|---|---|---|", *rows, ""]
    conv = load(runs["converted"])
    if conv:
        curve = conv["accuracy_vs_timesteps"]
        ts = sorted(curve, key=int)
        out += [f"Converted SNN (percentile {conv['percentile']}, {conv['encoding']} input), "
                f"ANN {conv['ann_accuracy']:.2f}%:", "",
                "| T | " + " | ".join(ts) + " |", "|---|" + "---|" * len(ts),
                "| accuracy (%) | " + " | ".join(f"{curve[t]:.2f}" for t in ts) + " |", ""]
    for kind in ("diet", "iir", "stdb"):
        m = load(runs[kind])
        if m:
            curve = m["accuracy_vs_timesteps"]
            out.append(f"{kind} (trained at T={m['timesteps']}) evaluated at T: " + ", ".join(
                f"T={t}: {curve[t]:.2f}%" for t in sorted(curve, key=int)))
    iir = load(runs["iir"])
    if iir:
        def stage(s):
            secs = [h["seconds"] for h in s["history"]]
            timing = (f", {len(secs)} epoch(s), {sum(secs) / len(secs):.0f} s/epoch" if secs
                      else ", from --init")
            return f"T={s['timesteps']}: {s['validation_accuracy']:.2f}% (validation){timing}"
        out += ["", "IIR stages: " + "; ".join(
            stage(s) for s in iir["stages"] if s["validation_accuracy"] is not None)]
    table = runs["attack"] / "table.md"
    if table.exists():
        att = load(runs["attack"])
        out += ["", f"Attacks on the first {att['images']} test images, PGD {att['pgd_steps']} "
                f"steps, black-box source {att['source']}:", "", table.read_text()]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="networks/deep_mnist_vgg.toml")
    parser.add_argument("--summary-only", action="store_true")
    parser.add_argument("--steps", default="ann,converted,diet,iir,stdb,ann-seed1,attack",
                        help="comma-separated subset of the steps, in chain order")
    parser.add_argument("--threads", help="passed to every command")
    parser.add_argument("--device", help="passed to every command")
    args = parser.parse_args()
    with open(args.spec, "rb") as f:
        name = tomllib.load(f).get("name", "deep")
    runs = runs_of(name)
    extra = [o for k in ("threads", "device") if getattr(args, k)
             for o in (f"--{k}", getattr(args, k))]
    if not args.summary_only:
        wanted = set(args.steps.split(","))
        unknown = wanted - set(runs)
        if unknown:
            parser.error(f"unknown step(s) {sorted(unknown)}; choose from {', '.join(runs)}")
        for kind, cmd in steps(args.spec, runs):
            if kind not in wanted:
                continue
            if load(runs[kind]) is not None:
                print(f"[skip] {runs[kind]} exists", file=sys.stderr)
                continue
            full = [sys.executable, "-m", "stdpnet.deep.cli", *cmd, *extra]
            print("[run]", " ".join(full[2:]), file=sys.stderr)
            subprocess.run(full, check=True)
    print(summary(runs))


if __name__ == "__main__":
    main()
