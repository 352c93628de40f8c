"""A grid of pruning fraction x weight levels (``stdpnet sweep``): one
network trained and tested per cell, a table and a plot of accuracy against
sparsity."""
from __future__ import annotations

import copy
import csv
from pathlib import Path

from .. import plots, runs
from ..data.load import load_dataset
from ..spec import Spec
from . import ensemble

SWEEP_COLUMNS = ("prune", "levels", "sparsity", "bits_per_weight", "accuracy",
                 "synaptic_ops_per_inference", "op_reduction_vs_dense_run",
                 "energy_improvement", "area_improvement", "train_seconds")


def run_sweep(spec: Spec, out, prunes, levels, device=None, log=print) -> list[dict]:
    """Train and test one network per (prune fraction, levels) cell into
    ``out/<cell>``; write sweep.csv, sweep.md and accuracy_vs_sparsity.png.
    A cell (0, 0) is the dense full-precision network: compression off.
    Finished cells (metrics with an evaluation) are reused, so a sweep resumes."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset(spec.data, spec.seed)
    rows = []
    for p in prunes:
        for L in levels:
            cell = copy.deepcopy(spec)
            c = cell.compression
            c.enabled = p > 0 or L > 0
            c.target_sparsity, c.levels = float(p), int(L)
            cell.name = f"{spec.name}_p{int(round(100 * p)):02d}_L{L}"
            cell.validate()
            run = out / cell.name
            metrics = runs.load_json(run / runs.METRICS)
            if "compression" not in metrics:
                log(f"cell prune={p} levels={L} -> {run}")
                runs.create(run, cell, force=True)
                ensemble.train(cell, run, device=device, quiet=True, data=data)
                ensemble.evaluate(run, device=device, quiet=True, data=data)
                metrics = runs.load_json(run / runs.METRICS)
            counts, model = metrics["compression"]["counts"], metrics["compression"]["model"]
            rows.append({"prune": p, "levels": L, "sparsity": counts["sparsity"],
                         "bits_per_weight": counts["bits_per_weight"],
                         "accuracy": metrics["evaluate"]["accuracy"],
                         "synaptic_ops_per_inference": counts["synaptic_ops_per_inference"],
                         "energy_improvement": model["energy_improvement"],
                         "area_improvement": model["area_improvement"],
                         "train_seconds": metrics["train"]["seconds"]})
            log(f"  accuracy {rows[-1]['accuracy']:.4f}, ops/inference "
                f"{rows[-1]['synaptic_ops_per_inference']:.0f}")
    dense = [r for r in rows if r["prune"] == 0 and r["levels"] == 0]
    for r in rows:  # measured against the dense run's own ops (its own input spikes)
        r["op_reduction_vs_dense_run"] = (dense[0]["synaptic_ops_per_inference"]
                                          / max(r["synaptic_ops_per_inference"], 1e-9)
                                          if dense else float("nan"))
    with open(out / "sweep.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=SWEEP_COLUMNS)
        writer.writeheader()
        writer.writerows({k: r[k] for k in SWEEP_COLUMNS} for r in rows)
    head = ["pruned", "levels", "bits", "accuracy", "syn. ops / inference (count)",
            "ops vs dense run (count)", "energy gain (model)", "area gain (model)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(f"| {r['sparsity']:.0%} | {r['levels'] or 'fp'} | {r['bits_per_weight']} | "
                     f"{r['accuracy']:.2%} | {r['synaptic_ops_per_inference']:,.0f} | "
                     f"{r['op_reduction_vs_dense_run']:.2f}x | {r['energy_improvement']:.2f}x | "
                     f"{r['area_improvement']:.1f}x |")
    (out / "sweep.md").write_text("\n".join(lines) + "\n")
    plots.plot_sweep(rows, out / "accuracy_vs_sparsity.png")
    return rows
