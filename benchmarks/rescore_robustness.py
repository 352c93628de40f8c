"""Re-score a multimodal run's robustness sweeps with its current readout.

`stdpnet robustness` keeps the spike counts behind every cell
(robustness_<noise>.npz). The counts do not depend on the combining rule, so
after `stdpnet evaluate RUN` has fitted a new readout (readout.npz), every
sweep can be scored again without simulating: one markdown table per sweep,
accuracy per level for each readout mode and combining rule.

    python benchmarks/rescore_robustness.py runs/audiovisual_1600
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdpnet.experiments.robustness import rescore
from stdpnet.spec import Readout
from stdpnet.errors import StdpnetError


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a multimodal run folder with robustness_*.npz files")
    args = parser.parse_args()
    columns = ["image", "audio"] + [f"both: {rule}" for rule in Readout.VOTES]
    keys = [("image",), ("audio",)] + [("both_by_rule", rule) for rule in Readout.VOTES]
    try:
        sweeps = rescore(args.run)
    except StdpnetError as exc:
        sys.exit(f"error: {exc}")
    for tag, rows in sweeps.items():
        print(f"\n{tag}\n\n| level | " + " | ".join(columns) + " |")
        print("|---" * (len(columns) + 1) + "|")
        for levels, acc in rows:
            print(f"| {', '.join(f'{v:g}' for v in levels)} | "
                  + " | ".join(f"{100 * _at(acc, key):.1f}%" for key in keys) + " |")


def _at(accuracies: dict, key: tuple) -> float:
    """One figure of ``rescore``'s nested accuracies (``("both_by_rule", rule)``)."""
    for part in key:
        accuracies = accuracies[part]
    return accuracies


if __name__ == "__main__":
    main()
