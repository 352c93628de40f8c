"""Leave one speaker out (``stdpnet sweep --folds speaker``): a grid over the
test speaker, each speaker of the recordings folder held out once, the
validation speaker taken from the training side of each fold. ``folds.md``
gives every fold and, per seed, the mean over the folds, whose mean and sd
over the seeds is the protocol's figure.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np

from .. import plots, runs
from ..errors import ConfigError
from ..spec import MultimodalSpec
from .summary import mean_sd


FOLD_KEY = "data.test_speakers"


def speaker_folds(spec) -> tuple[object, dict]:
    """(spec with the speaker split, grid): leave-one-speaker-out over every
    speaker of the spec's recordings folder (a multimodal spec's audio
    ensemble). Validation speakers stay on the training side of each fold
    (``data.validation_speakers``; by default the last training speaker, or
    with ``data.validation_pick = "next"`` the one after the test speaker)."""
    from ..data.fsdd import fold_speakers, list_fsdd
    from ..data.load import spoken_digits_root
    from ..data.ti46 import list_ti46
    from ..spec.ensemble import SPOKEN_DIGITS

    spec = copy.deepcopy(spec)
    audio = spec.audio if isinstance(spec, MultimodalSpec) else spec
    if audio.data.dataset not in SPOKEN_DIGITS:
        raise ConfigError(f"--folds speaker: data.dataset is {audio.data.dataset!r}, "
                          "not a spoken-digit dataset")
    fixed = set(audio.data.validation_speakers)
    lister = list_ti46 if audio.data.dataset == "ti46" else list_fsdd
    speakers = fold_speakers(spoken_digits_root(audio.data), fixed, lister)
    audio.data.audio_split = "speaker"
    key = ("audio." if isinstance(spec, MultimodalSpec) else "") + FOLD_KEY
    return spec, {key: [[s] for s in speakers if s not in fixed]}


def fold_summary(rows: list[dict], fold_key: str, splits: tuple) -> dict:
    """Per figure: each seed's mean over the folds, and the mean and sd of
    those over the seeds; per fold, the mean and sd over seeds. Every seed
    must have every fold."""
    folds = sorted({str(r[fold_key]) for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    names = [c for c in (rows[0] if rows else {}) if c.startswith(tuple(f"{s}_" for s in splits))]
    out = {"folds": folds, "seeds": seeds, "figures": {}}
    for name in names:
        per_seed = {}
        for seed in seeds:
            mine = [r[name] for r in rows if r["seed"] == seed]
            if len(mine) != len(folds):
                raise ConfigError(f"--folds: seed {seed} has {len(mine)} of {len(folds)} folds")
            per_seed[seed] = float(np.mean(mine))
        per_fold = {f: mean_sd([r[name] for r in rows if str(r[fold_key]) == f]) for f in folds}
        mean, sd, _ = mean_sd(list(per_seed.values()))
        out["figures"][name] = {"per_seed": per_seed, "per_fold": {f: m for f, (m, _, _) in per_fold.items()},
                                "per_fold_sd": {f: s for f, (_, s, _) in per_fold.items()},
                                "mean": mean, "sd": sd}
    return out


def fold_summaries(rows: list[dict], fold_key: str, keys: list[str], splits: tuple) -> list[tuple]:
    """[(cell, fold_summary)] for each cell of the other swept ``keys``."""
    cells: dict = {}
    for r in rows:
        cells.setdefault(", ".join(f"{k}={r[k]}" for k in keys), []).append(r)
    return [(cell, fold_summary(members, fold_key, splits)) for cell, members in cells.items()]


# The figures folds.png draws, and their names there; a multimodal sweep's
# test accuracy is of both modalities, drawn beside each modality alone.
FOLD_BARS = {"validation_accuracy": "validation", "test_accuracy": "test",
             "test_accuracy_image": "test, image only", "test_accuracy_audio": "test, audio only"}


def write_folds(out: Path, summaries: list[tuple]) -> None:
    """folds.md: for each cell, each fold's accuracies and the mean over the
    folds per seed, and its mean and sd over seeds; folds.png: the accuracy
    (vote) of every fold, per cell and split (with a multimodal sweep's
    test, each modality alone beside both)."""
    def label(name: str, figures: dict) -> str:
        both = name in ("validation_accuracy", "test_accuracy") and "test_accuracy_image" in figures
        return FOLD_BARS[name] + (", both modalities" if both else "")

    series = [{"label": f"{cell + ', ' if cell else ''}{label(name, summary['figures'])}: mean over folds "
                        f"{100 * summary['figures'][name]['mean']:.1f}%", **summary["figures"][name]}
              for cell, summary in summaries for name in FOLD_BARS if name in summary["figures"]]
    if series:
        held_out = summaries[0][1]["folds"]        # str() of each fold's speaker list
        plots.plot_folds(series, held_out, out / "folds.png",
                         names=[f.strip("[]").replace("'", "") for f in held_out])
    lines = []
    for cell, folds in summaries:
        shown = [n for n in folds["figures"] if "accuracy" in n]
        if cell:
            lines += [f"## {cell}", ""]
        lines += ["| held out | " + " | ".join(shown) + " |", "|" + "---|" * (len(shown) + 1)]
        for f in folds["folds"]:
            lines.append(f"| {f} | " + " | ".join(f"{100 * folds['figures'][n]['per_fold'][f]:.2f}%"
                                                  for n in shown) + " |")
        for seed in folds["seeds"]:
            lines.append(f"| mean over folds, seed {seed} | " + " | ".join(
                f"{100 * folds['figures'][n]['per_seed'][seed]:.2f}%" for n in shown) + " |")
        lines.append("| **mean ± sd over seeds** | " + " | ".join(
            f"**{100 * folds['figures'][n]['mean']:.2f}% ± {100 * folds['figures'][n]['sd']:.2f}**"
            if not math.isnan(folds["figures"][n]["sd"]) else f"**{100 * folds['figures'][n]['mean']:.2f}%**"
            for n in shown) + " |")
        lines.append("")
    runs.save_text(out / "folds.md", "\n".join(lines))
