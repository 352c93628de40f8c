"""All plots of a run folder (``stdpnet plot``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import plots, runs
from .data import load_dataset
from .errors import RunFolderError
from .simulation import Simulator


def plot_run(run_dir: Path, raster_examples: int = 3) -> list[Path]:
    run_dir = Path(run_dir)
    spec = runs.open_run(run_dir)
    weights = runs.load_npz(run_dir / runs.WEIGHTS)
    data = load_dataset(spec.data, spec.seed)
    written = []
    if "w_unquantised" in weights and "mask" in weights:
        live = weights["mask"].astype(bool)
        levels = np.unique(weights["w"][live]) if spec.compression.levels else None
        written.append(plots.plot_weight_histogram(weights["w_unquantised"][live],
                                                   weights["w"][live],
                                                   run_dir / "weight_histogram.png", levels))
    written += [
        plots.plot_receptive_fields(weights["w"], data.shape, run_dir / "receptive_fields.png",
                                    mask=weights.get("mask")),
        plots.plot_theta(1000 * weights["theta"], run_dir / "theta.png"),
    ]
    metrics = runs.load_json(run_dir / runs.METRICS)
    if metrics.get("train", {}).get("running_accuracy"):
        written.append(plots.plot_accuracy_history(metrics["train"]["running_accuracy"],
                                                   run_dir / "accuracy_history.png"))
    if "evaluate" in metrics:
        written.append(plots.plot_confusion(metrics["evaluate"]["confusion"],
                                            run_dir / "confusion.png"))
    if raster_examples > 0:
        from .training import trained_state
        state = trained_state(run_dir)
        # two spare slots, so that a quiet example's louder re-presentation shows
        slots = raster_examples + 2
        sim = Simulator(spec, data.n_input, device="runtime", slots=slots)
        raster = sim.raster(data.test_x[:slots].astype(float), state)
        raster["labels"] = [f"digit {data.test_y[k]}, intensity {a:g}"
                            for k, a in zip(raster["example"], raster["intensity"])]
        written.append(plots.plot_raster(raster, run_dir / "raster.png", sim.slot))
    return written
