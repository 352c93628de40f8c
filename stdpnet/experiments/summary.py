"""What a sweep's rows come to: per cell, the mean, sample sd and 95%
interval of every figure over its seeds (``summarise``), written as
``sweep.csv``, ``summary.md``, ``sweep.png`` and, with noise, ``noise.md``;
and the cell a choice takes (``best_cell``, on validation only)."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from .. import plots, runs
from ..errors import ConfigError

NOISE_MODES = ("image", "audio", "both")   # the readout modes scored under noise


def noise_column(modality: str, kind: str, level: float, mode: str) -> str:
    """The row's column of one mode's accuracy at one level of one noise."""
    return f"noise_{modality}_{kind.replace('_', '-')}_{level:g}_{mode}"


def best_cell(summary: list[dict], split: str = "validation", metric: str = "accuracy") -> dict:
    """The cell with the highest mean ``metric`` on ``split``. Choices are made
    on validation only: asking to choose on the test split is an error."""
    if split == "test":
        raise ConfigError("a setting is chosen on the validation split, never on the test split")
    name = f"{split}_{metric}"
    if not summary or name not in summary[0]:
        raise ConfigError(f"no {name} to choose by")
    return max(summary, key=lambda e: e[name][0])


def mean_sd(values: list[float]) -> tuple[float, float, float]:
    """(mean, sample sd, half-width of the 95% t interval); sd and interval are nan for n < 2."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float(v.mean()), math.nan, math.nan
    sd = float(v.std(ddof=1))
    return float(v.mean()), sd, float(stats.t.ppf(0.975, len(v) - 1) * sd / math.sqrt(len(v)))


def summarise(rows: list[dict], keys: list[str], splits: tuple) -> list[dict]:
    """One entry per cell: its settings, n, and mean / sd / 95% interval of every figure."""
    cells: dict = {}
    for r in rows:
        cells.setdefault(tuple(r[k] for k in keys), []).append(r)
    figures = [c for c in (rows[0] if rows else {}) if c.startswith(tuple(f"{s}_" for s in splits))]
    out = []
    for values, members in cells.items():
        entry = dict(zip(keys, values)) | {"n": len(members), "seeds": [r["seed"] for r in members]}
        for name in figures:
            entry[name] = mean_sd([r[name] for r in members])
        out.append(entry)
    return out


def write_outputs(out: Path, rows: list[dict], summary: list[dict], keys: list[str], splits: tuple,
                  plot: bool = True, failed: int = 0) -> list[str]:
    """sweep.csv, summary.md and (``plot``) sweep.png in ``out``; a table or
    picture that this sweep has nothing for is removed, not left from an
    earlier run; summary.md says when ``failed`` tasks are missing from it.
    Returns the names written."""
    written = ["summary.md"]
    if rows:
        written.insert(0, "sweep.csv")
        columns = list(rows[0])

        def write_csv(tmp):
            with open(tmp, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
        runs.atomic_write(out / "sweep.csv", write_csv)
    else:
        (out / "sweep.csv").unlink(missing_ok=True)
    shown = ("accuracy", "accuracy_likelihood", "accuracy_image", "accuracy_audio", "train_ms_per_example")
    figures = [(s, m) for s in splits for m in shown if summary and f"{s}_{m}" in summary[0]
               # the training time once: under validation, or under test where only test is scored
               and not (s == "test" and m == "train_ms_per_example" and "validation" in splits)]
    head = keys + ["n"] + [f"{s} {m} (mean ± sd; 95% CI)" for s, m in figures]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in summary:
        cells = [str(e[k]) for k in keys] + [str(e["n"])]
        for s, m in figures:
            mean, sd, ci = e[f"{s}_{m}"]
            scale, unit = (100, "%") if m.startswith("accuracy") else (1, " ms")
            cells.append(f"{scale * mean:.2f}{unit} ± {scale * sd:.2f}; ±{scale * ci:.2f}"
                         if not math.isnan(sd) else f"{scale * mean:.2f}{unit} (n = 1)")
        lines.append("| " + " | ".join(cells) + " |")
    if failed:
        lines += ["", f"{failed} task{'s' if failed > 1 else ''} failed (tracebacks in errors/): these "
                      "figures hold the finished tasks only, and a cell may have fewer seeds than the others."]
    runs.save_text(out / "summary.md", "\n".join(lines) + "\n")
    if plot and summary and keys and "validation_accuracy" in summary[0]:   # (none after a refit)
        plots.plot_sweep_summary(summary, keys[0], out / "sweep.png")
        written.append("sweep.png")
    else:
        (out / "sweep.png").unlink(missing_ok=True)
    return written


def write_noise_table(out: Path, summary: list[dict], keys: list[str], splits: tuple,
                      noises: tuple) -> None:
    """noise.md: per cell, noise and level, the accuracy (mean ± sd over
    seeds) of image only, audio only and both, on each split."""
    head = keys + ["noise", "level"] + [f"{s} {m}" for s in splits for m in NOISE_MODES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in summary:
        for modality, kind, levels in noises:
            for level in levels:
                cells = [str(e[k]) for k in keys] + [f"{modality}:{kind}", f"{level:g}"]
                for s in splits:
                    for mode in NOISE_MODES:
                        mean, sd, _ = e.get(f"{s}_{noise_column(modality, kind, level, mode)}",
                                            (math.nan, math.nan, math.nan))
                        cells.append(f"{100 * mean:.2f}% ± {100 * sd:.2f}" if not math.isnan(sd)
                                     else f"{100 * mean:.2f}%")
                lines.append("| " + " | ".join(cells) + " |")
    runs.save_text(out / "noise.md", "\n".join(lines) + "\n")
