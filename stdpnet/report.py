"""All plots of a run folder (``stdpnet plot``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import plots, runs
from .data.encode import audio_encoder
from .data.load import load_dataset, load_spoken_digits
from .engine.multimodal import MultimodalSimulator
from .engine.simulator import Simulator
from .errors import RunFolderError
from .experiments import audiovisual
from .experiments.ensemble import RUNNING_WINDOW, trained_state


def shown_split(*datasets) -> str:
    """The split whose examples the pictures show: validation where every
    dataset has one (pictures never need the test set), else test."""
    return "validation" if all(d.val_x is not None and len(d.val_x) for d in datasets) else "test"


def plot_run(run_dir: Path, raster_examples: int = 3) -> list[Path]:
    run_dir = Path(run_dir)
    spec = runs.open_run(run_dir)
    weights = runs.load_npz(run_dir / runs.WEIGHTS)
    missing = [k for k in ("w", "theta") if k not in weights]
    if missing:
        raise RunFolderError(f"{run_dir / runs.WEIGHTS}: no {' or '.join(missing)}; delete {runs.WEIGHTS} "
                             f"and rewrite it with `stdpnet train --resume {run_dir}`")
    data = load_dataset(spec.data, spec.seed)
    written = []
    if "w_unquantised" in weights and "mask" in weights:
        live = weights["mask"].astype(bool)
        levels = np.unique(weights["w"][live]) if spec.compression.levels else None
        written.append(plots.plot_weight_histogram(
            weights["w_unquantised"][live], weights["w"][live], run_dir / "weight_histogram.png", levels,
            quantised_in_training=bool(spec.compression.levels and spec.compression.quantise_during_training)))
    written += [
        plots.plot_receptive_fields(weights["w"], data.shape, run_dir / "receptive_fields.png",
                                    mask=weights.get("mask"), time_major=data.time_major),
        plots.plot_theta(1000 * weights["theta"], run_dir / "theta.png"),
    ]
    metrics = runs.load_json(run_dir / runs.METRICS)
    if metrics.get("train", {}).get("running_accuracy"):
        written.append(plots.plot_accuracy_history(metrics["train"]["running_accuracy"],
                                                   run_dir / "accuracy_history.png", RUNNING_WINDOW))
    evaluated = metrics.get("evaluate", {})
    for split in ("test", "validation"):  # the final figure's confusion if there is one
        if split in evaluated:
            written.append(plots.plot_confusion(evaluated[split]["confusion"], run_dir / "confusion.png",
                                                data.class_names, split,
                                                evaluated[split].get("accuracy_likelihood")))
            break
    # every split is scored with the same labelling; an evaluation older than
    # spikes_per_class has only neurons_per_class
    labelled = sorted((e for e in evaluated.values() if "neurons_per_class" in e),
                      key=lambda e: "spikes_per_class" in e)
    if labelled:
        written.append(plots.plot_labelling(labelled[-1]["neurons_per_class"], run_dir / "labelling.png",
                                            labelled[-1].get("spikes_per_class"), data.class_names))
    if raster_examples > 0:
        state = trained_state(run_dir)
        # two spare slots, so that a quiet example's louder re-presentation shows
        slots = raster_examples + 2
        sim = Simulator(spec, data.n_input, device="runtime", slots=slots)
        x, y = data.split(shown_split(data))
        raster = sim.raster(x[:slots].astype(float), state)
        names = data.class_names or [f"digit {c}" for c in range(data.n_classes)]
        raster["labels"] = [f"{names[y[k]]}, intensity {a:g}"
                            for k, a in zip(raster["example"], raster["intensity"])]
        written.append(plots.plot_raster(raster, run_dir / "raster.png", sim.slot))
    return written


def plot_multimodal_run(run_dir: Path, raster_examples: int = 3) -> list[Path]:
    """Receptive fields per ensemble, cross-modal weights sorted by label, rasters
    of both ensembles side by side, and the audio-to-spikes stages."""
    run_dir = Path(run_dir)
    m = audiovisual.open_run(run_dir)
    data = audiovisual.load_data(m)
    written = []
    for part, d in (("image", data.image), ("audio", data.audio)):
        w = runs.load_npz(run_dir / part / runs.WEIGHTS)["w"]
        written.append(plots.plot_receptive_fields(w, d.shape, run_dir / f"receptive_fields_{part}.png",
                                                   title=f"{part} ensemble input weights",
                                                   time_major=d.time_major))
    labels = runs.load_npz(run_dir / runs.READOUT) if (run_dir / runs.READOUT).exists() else {}
    if "assign_image" in labels and "assign_audio" in labels:   # (not after an evaluation stopped midway)
        cross = runs.load_npz(run_dir / audiovisual.CROSS)
        for name, src, dst in (("image_to_audio", "assign_image", "assign_audio"),
                               ("audio_to_image", "assign_audio", "assign_image")):
            written.append(plots.plot_cross_weights(cross[name], labels[src], labels[dst],
                                                    run_dir / f"cross_{name}.png", name))
        if raster_examples > 0:
            written.append(plot_recall(run_dir, m, data, labels, raster_examples))
    if raster_examples > 0:
        state = audiovisual.joint_trained_state(run_dir)
        split = shown_split(data.image, data.audio)
        ts = audiovisual.scored_pairs(m, data, split)
        # the first pair of each of a few digits (two spare slots for re-presentations)
        first = [np.flatnonzero(ts.labels == d)[0] for d in np.unique(ts.labels)]
        pick = np.array((first * 2)[:raster_examples + 2])
        k, i = ts.audio_index[pick], ts.image_index[pick]
        sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input, device="runtime",
                                  slots=len(k))
        image_x, audio_x = data.image.split(split)[0], data.audio.split(split)[0]
        x = np.hstack([image_x[i], audio_x[k]])
        raster = sim.raster(x, state)
        labels = [f"digit {ts.labels[pick[e]]}" for e in raster["example"]]
        written.append(plots.plot_multimodal_raster(raster, run_dir / "raster_multimodal.png",
                                                    sim.slot, labels))
        # audio to spikes: the first recordings shown, their network input and input spikes
        a = load_spoken_digits(m.audio.data, return_waveforms=True)
        part = "val" if split == "validation" else "test"
        encode = audio_encoder(m.audio.data, a)
        examples = []
        ai, at = raster["audio_input"]
        shown = []
        for slot_k, e in enumerate(raster["example"][:raster_examples]):
            if e >= len(k):
                break
            shown.append(k[e])
            st = a["features"].stages(a[f"{part}_waveforms"][k[e]])
            st["input"] = encode(st["map"].reshape(1, -1),
                                 [a[f"{part}_speakers"][k[e]]]).reshape(-1, st["map"].shape[1])
            sel = (at >= slot_k * sim.slot) & (at < (slot_k + 1) * sim.slot)
            st["raster"] = (ai[sel], at[sel] - slot_k * sim.slot)
            examples.append(st)
        titles = [f"digit {a[f'{part}_y'][j]}" for j in shown]
        written.append(plots.plot_audio_examples(examples, run_dir / "audio_to_spikes.png", titles))
    return written


def plot_recall(run_dir: Path, m, data, readout: dict, examples: int = 3) -> Path:
    """recall.png: each ensemble's response while only the other modality is
    shown: spikes for the first pairs of a few digits (simulated again on the
    runtime device) and the class-wise mean rate over every scored pair of the
    split evaluated (validation where it was)."""
    split = "validation" if "validation_counts_image" in readout else "test"
    n_i, n_image = m.image.excitatory.n_neurons, data.image.n_input
    ts = audiovisual.scored_pairs(m, data, shown_split(data.image, data.audio))
    pick = np.array([np.flatnonzero(ts.labels == d)[0] for d in np.unique(ts.labels)][:examples])
    image_x, audio_x = ts.inputs(data)
    k = len(pick)
    # the images alone, then the recordings alone, then spare slots for re-presentations
    x = np.zeros((4 * k + 2, n_image + data.audio.n_input))
    x[:k, :n_image] = image_x[pick]
    x[k:2 * k, n_image:] = audio_x[pick]
    sim = MultimodalSimulator(m, n_image, data.audio.n_input, device="runtime", slots=len(x))
    raster = sim.raster(x, audiovisual.joint_trained_state(run_dir))
    panels = []
    for shown, silent, cols, first in (("image", "audio", slice(n_i, None), 0),
                                       ("audio", "image", slice(0, n_i), k)):
        slots = np.flatnonzero((raster["example"] >= first) & (raster["example"] < first + k))
        i, t = raster[f"{silent}_excitatory"]
        slot_of = np.floor(t / sim.slot + 1e-9).astype(int)
        keep = np.isin(slot_of, slots)
        # those slots laid end to end
        t_kept = t[keep] - sim.slot * (slot_of[keep] - np.searchsorted(slots, slot_of[keep]))
        panels.append({"title": f"{silent} ({shown} alone)", "spikes": (i[keep], t_kept),
                       "neuron_labels": readout[f"assign_{silent}"],
                       "slot_labels": [f"digit {ts.labels[pick[raster['example'][s] - first]]}"
                                       for s in slots],
                       "rates": plots.class_label_rates(readout[f"{split}_counts_{shown}"][:, cols],
                                                        readout[f"{split}_labels"],
                                                        readout[f"assign_{silent}"], data.n_classes)})
    return plots.plot_recall(panels, run_dir / "recall.png", sim.slot)
