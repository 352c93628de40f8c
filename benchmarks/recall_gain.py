"""Cross-modal recall of trained audio-visual networks at several values of
``[cross] recall_gain`` (a run parameter: the trained weights, thresholds
and neuron labels are the runs' own; only the recall modes change).

Choose on validation, then score the chosen value on test once:

    python benchmarks/recall_gain.py runs/measure_audiovisual/tasks/* \\
        --gains 1,4,8,16,32,64 --split validation --out runs/select_recall_gain
    python benchmarks/recall_gain.py runs/measure_audiovisual/tasks/* \\
        --gains G --split test --out runs/measure_recall_gain --record audiovisual_recall

For each run (one per seed) and gain: the shown ensemble's accuracy with one
modality (image, audio), the silent ensemble's vote (recall image_to_audio,
audio_to_image) and their ratios. The table gives mean ± sd over the runs;
with --split validation it names the gain with the largest smaller ratio.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from stdpnet import results, runs
from stdpnet.engine.multimodal import MultimodalSimulator
from stdpnet.errors import ConfigError, StdpnetError
from stdpnet.experiments import audiovisual
from stdpnet.experiments.sweep import one_setting

DIRECTIONS = (("image", "image_to_audio"), ("audio", "audio_to_image"))


def recall_at(run_dir: Path, gains: list[float], split: str) -> list[dict]:
    """One row per gain: the run's seed, each shown ensemble's accuracy,
    each direction's recall and its ratio to the shown ensemble's accuracy."""
    m = audiovisual.open_run(run_dir)
    data = audiovisual.load_data(m)
    state = audiovisual.joint_trained_state(run_dir)
    saved = runs.load_npz(run_dir / runs.READOUT)
    sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input)
    ts = audiovisual.scored_pairs(m, data, split)
    image_x, audio_x = ts.inputs(data)
    rows = []
    for gain in gains:
        sim.mspec.cross.recall_gain = gain
        counts = audiovisual.present_modes(sim, state, image_x, audio_x, modes=("image", "audio"),
                                           quiet=True)
        acc = audiovisual.accuracies(counts, saved["rates_image"], saved["rates_audio"], ts.labels,
                                     sim.n_image_neurons)
        row = {"run": str(run_dir), "seed": m.seed, "recall_gain": gain}
        for shown, direction in DIRECTIONS:
            row[shown] = acc[shown]
            row[direction] = acc["recall"][direction]
            row[f"{direction}_ratio"] = acc["recall"][direction] / max(acc[shown], 1e-12)
        rows.append(row)
    return rows


COLUMNS = ("image", "audio", "image_to_audio", "audio_to_image", "image_to_audio_ratio",
           "audio_to_image_ratio")


def table(rows: list[dict]) -> tuple[str, float]:
    """Markdown table of mean ± sd over runs per gain, and the gain whose
    smaller recall ratio is largest."""
    gains = sorted({r["recall_gain"] for r in rows})
    lines = ["| recall_gain | n | " + " | ".join(COLUMNS) + " |", "|" + "---|" * (len(COLUMNS) + 2)]
    best, best_score = gains[0], -1.0
    for g in gains:
        mine = [r for r in rows if r["recall_gain"] == g]
        cells = []
        for c in COLUMNS:
            v = np.array([r[c] for r in mine])
            cells.append(f"{v.mean():.3f} ± {v.std(ddof=1):.3f}" if len(v) > 1 else f"{v.mean():.3f}")
        lines.append(f"| {g:g} | {len(mine)} | " + " | ".join(cells) + " |")
        score = min(np.mean([r["image_to_audio_ratio"] for r in mine]),
                    np.mean([r["audio_to_image_ratio"] for r in mine]))
        if score > best_score:
            best, best_score = g, score
    return "\n".join(lines) + "\n", best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished audio-visual run folders")
    parser.add_argument("--gains", default="1,8,32", help="comma-separated recall_gain values")
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--record", metavar="NAME", help="with --split test and one gain: write "
                        "the recall figures to results/NAME.*")
    args = parser.parse_args()
    gains = [float(g) for g in args.gains.split(",")]
    if args.split == "test" and len(gains) != 1:
        raise SystemExit("--split test scores the one gain chosen on validation: give one --gains value")
    if args.record and args.split != "test":
        raise SystemExit("--record records test figures: use --split test")
    try:
        one_setting(args.runs, multimodal=True)   # the seeds of one setting, not a sweep's cells
        source = results.provenance(results.shipped_spec(audiovisual.open_run(args.runs[0]).name),
                                    "python " + shlex.join(sys.argv)) if args.record else None
    except StdpnetError as exc:
        sys.exit(f"error: {exc}")
    rows = []
    for run in args.runs:
        rows += recall_at(run, gains, args.split)
        print(json.dumps(rows[-1]), flush=True)
    text, best = table(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"recall_gain.{args.split}.md").write_text(text)
    (args.out / f"recall_gain.{args.split}.json").write_text(json.dumps(rows, indent=1))
    print(text)
    if args.split == "validation":
        print(f"chosen on validation: recall_gain {best:g} (largest smaller recall ratio)")
    if args.record:
        title = results.title_of(args.record, args.record)
        for column in COLUMNS:
            label = column.replace("_", " ")
            values = {r["seed"]: r[column] for r in rows}
            if len(values) != len(rows):
                raise ConfigError("--record: two runs of one seed")
            entry = results.figure(f"{args.record}.{column}", title,
                                   f"{label}, recall_gain {gains[0]:g}", "test",
                                   "%" if not column.endswith("ratio") else "", values, source)
            print("wrote", results.write(entry))


if __name__ == "__main__":
    main()
