"""Accuracy of a trained audio-visual network against noise in one or both
modalities (``stdpnet robustness``), and re-scoring of kept counts with a
run's current readout (``rescore``)."""
from __future__ import annotations

import csv
import math
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from .. import runs
from ..data import noise as noise_models
from ..data.encode import audio_encoder
from ..data.load import load_spoken_digits
from ..engine.multimodal import MultimodalSimulator
from ..engine.cores import default_jobs
from ..errors import ConfigError, RunFolderError
from ..plots import plot_robustness
from ..spec import MultimodalSpec, is_multimodal
from ..spec.grid import flatten
from .audiovisual import (MODES, Data, ScoredPairs, accuracies, joint_trained_state, labelling_digest,
                          load_data, open_run, present_modes, scored_pairs)


def fitted_readout(run_dir: Path) -> dict:
    """The run's readout.npz, checked to hold the calibrated rule's fitted reliability and tilt."""
    saved = runs.load_npz(run_dir / runs.READOUT)
    if "reliability" not in saved or "tilt" not in saved:
        raise RunFolderError(f"{run_dir / runs.READOUT}: no fitted reliability or tilt for the calibrated "
                             f"rule (written by an older version); run `stdpnet evaluate {run_dir}` first")
    return saved


def parse_noise(text: str) -> tuple[str, str]:
    """'image:gaussian' -> ('image', 'gaussian'), checked against the noise models."""
    modality, _, kind = text.partition(":")
    known = {"image": noise_models.IMAGE_NOISE, "audio": noise_models.AUDIO_NOISE}
    if modality not in known or kind not in known[modality]:
        choices = [f"{k}:{v}" for k, vs in known.items() for v in vs]
        raise ConfigError(f"--noise {text!r}: choose one of {', '.join(choices)}")
    return modality, kind


LEVEL_RANGES = {"gaussian": (0.0, math.inf, "sigma"), "salt_pepper": (0.0, 1.0, "a fraction"),
                "occlusion": (0.0, 1.0, "a fraction of the area")}   # audio: any SNR in dB


def check_levels(text: str, levels: list[float]) -> list[float]:
    """``levels`` of noise ``text`` ('image:salt_pepper'), each in the range
    its model takes: refused before anything is simulated, naming the noise."""
    low, high, what = LEVEL_RANGES.get(text.partition(":")[2], (-math.inf, math.inf, ""))
    bad = [v for v in levels if not low <= v <= high]
    if bad:
        raise ConfigError(f"--noise {text}: levels {bad} out of range; its level is {what} in "
                          f"[{low:g}, {high:g}]")
    return levels


def noise_rng(seed: int, modality: str, kind: str, level: float) -> np.random.Generator:
    """The random stream of one noise at one level: the same wherever the
    level stands in a sweep, and a different one for each modality and kind."""
    return np.random.default_rng([seed, zlib.crc32(f"{modality}:{kind}:{float(level)!r}".encode())])


def noisy_inputs(m: MultimodalSpec, data: Data, ts: ScoredPairs, noises: list, level_index: int,
                 audio_waves: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """The scored pairs' rows of both modalities with the ``level_index``-th
    level of each noise (``audio_waves``: the split's recordings as waveforms,
    the babble talkers, the features, the encoder and the speakers)."""
    image_x, audio_x = ts.inputs(data)
    for (modality, kind, levels) in noises:
        level = levels[level_index]
        rng = noise_rng(m.seed, modality, kind, level)
        if modality == "image":
            shape = data.image.shape
            noisy = noise_models.add_image_noise(image_x.reshape(-1, *shape) / 255.0, kind, level, rng)
            image_x = 255.0 * noisy.reshape(len(image_x), -1)
        else:
            waves, others, features, encode = (audio_waves[k] for k in ("waves", "others", "features", "encode"))
            out = []
            files = audio_waves["files"]
            for k in ts.audio_index:
                pool = [w for j, w in enumerate(others) if j != k]
                out.append(noise_models.add_audio_noise(waves[k], kind, level, rng, others=pool, name=files[k],
                                                        names=[f for j, f in enumerate(files) if j != k]))
            speakers = [audio_waves["speakers"][k] for k in ts.audio_index]
            audio_x = 255.0 * encode(features.transform(out), speakers)
    return image_x, audio_x


def robustness(run_dir: Path, noises: list, device: str | None = None, quiet: bool = False,
               log: Callable = print, jobs: int | None = None, split: str = "validation") -> Path:
    """Accuracy vs noise level in each readout mode on the ``split`` pairs;
    noises: [(modality, kind, levels)], several noises are applied together,
    level k of each at step k. Writes CSV, plot and the counts behind them
    (``robustness_<tag>.*``; ``robustness_<tag>.validation.*`` for validation)."""
    run_dir = Path(run_dir)
    if not is_multimodal(run_dir / runs.SPEC):
        raise RunFolderError(f"{run_dir} is not an audio-visual run (its spec.toml names no image_spec): "
                             "robustness compares the readout modes of a `stdpnet multimodal` run")
    m = open_run(run_dir)
    lengths = {len(levels) for _, _, levels in noises}
    if len(lengths) != 1:
        raise ConfigError("with noise in both modalities give the same number of levels for each")
    data = load_data(m)
    state = joint_trained_state(run_dir)
    saved = fitted_readout(run_dir)
    sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input, device=device)
    ts = scored_pairs(m, data, split)
    audio_waves = None
    if any(mod == "audio" for mod, _, _ in noises):
        a = load_spoken_digits(m.audio.data, return_waveforms=True)
        waves = a["val_waveforms" if split == "validation" else "test_waveforms"]
        audio_waves = {"waves": waves, "others": waves, "features": a["features"],
                       "files": a["val_files" if split == "validation" else "test_files"],
                       "encode": audio_encoder(m.audio.data, a),
                       "speakers": a["val_speakers" if split == "validation" else "test_speakers"]}
    tag = "+".join(f"{mod}-{kind}" for mod, kind, _ in noises) + ("" if split == "test" else f".{split}")
    partial = run_dir / f"robustness_{tag}.partial.npz"
    network = labelling_digest(m, data, state)
    done = _levels_done(partial, noises, ts.labels, network)
    rows_out, levels_out, kept = [], [], {}
    for k in range(lengths.pop()):
        if k in done:
            counts = done[k]
            log(f"level {k + 1}: counts kept from an interrupted run")
        else:
            image_x, audio_x = noisy_inputs(m, data, ts, noises, k, audio_waves)
            counts = present_modes(sim, state, image_x, audio_x, quiet=quiet,
                                   jobs=jobs or default_jobs())
            done[k] = counts
            runs.save_npz(partial, labels=ts.labels, network=np.array(network),
                          **_partial_arrays(done, noises))
        acc = accuracies(counts, saved["rates_image"], saved["rates_audio"], ts.labels,
                         sim.n_image_neurons, m.readout.vote, saved["reliability"], float(saved["tilt"]))
        noise_levels = {f"{mod}_{kind}": levels[k] for mod, kind, levels in noises}
        levels_out.append({"noise": noise_levels, "accuracy": acc})
        rows_out.append({**noise_levels, **{f"acc_{key}": round(v, 4) for key, v in flatten(acc).items()}})
        kept.update({f"level{k}_{mode}": c.astype(np.int32) for mode, c in counts.items()})
        log(", ".join(f"{key} {v}" for key, v in rows_out[-1].items()))
    path = run_dir / f"robustness_{tag}.csv"
    runs.save_npz(path.with_suffix(".npz"), labels=ts.labels, split=np.array(split),
                  levels=np.array([[lv[k] for _, _, lv in noises] for k in range(len(rows_out))]), **kept)
    runs.atomic_write(path, lambda tmp: _write_csv(tmp, rows_out))
    plot_robustness(rows_out, noises, run_dir / f"robustness_{tag}.png", split, m.readout.vote)
    runs.update_metrics(run_dir, robustness={**runs.load_json(run_dir / runs.METRICS).get("robustness", {}),
                                             tag: levels_out})
    partial.unlink(missing_ok=True)
    return path


def _partial_arrays(done: dict, noises: list) -> dict:
    """The counts of the levels measured so far, with each level's values."""
    arrays = {f"level{k}_{mode}": c.astype(np.int32) for k, counts in done.items()
              for mode, c in counts.items()}
    arrays.update({f"level{k}_values": np.array([levels[k] for _, _, levels in noises])
                   for k in done})
    return arrays


def _levels_done(partial: Path, noises: list, labels: np.ndarray, network: str) -> dict:
    """{level index: counts per readout mode} kept by an interrupted run of the
    same noises on the same pairs and network (``network``: its
    ``labelling_digest``): a level's noise and the network's answer to it
    depend on nothing else (``noise_rng``), so they are not measured again."""
    if not partial.is_file():
        return {}
    kept = runs.load_npz(partial)
    if str(kept.get("network", "")) != network or not np.array_equal(kept["labels"], labels):
        return {}
    done = {}
    for k in range(len(noises[0][2])):
        values = kept.get(f"level{k}_values")
        if values is not None and values.tolist() == [levels[k] for _, _, levels in noises]:
            prefix = f"level{k}_"
            done[k] = {key[len(prefix):]: kept[key] for key in kept
                       if key.startswith(prefix) and key != prefix + "values"}
    return done


def rescore(run_dir: Path) -> dict:
    """Every robustness sweep of the run scored again with its current
    readout.npz, from the kept counts (robustness_*.npz), without simulating:
    {sweep tag: [(levels, accuracies)]}."""
    run_dir = Path(run_dir)
    m = open_run(run_dir)
    saved = fitted_readout(run_dir)
    out = {}
    for path in sorted(run_dir.glob("robustness_*.npz")):
        if path.name.endswith(".partial.npz"):     # a curve stopped midway: not scored yet
            continue
        kept = runs.load_npz(path)
        out[path.stem[len("robustness_"):]] = [
            (levels.tolist(), accuracies({mode: kept[f"level{k}_{mode}"] for mode in MODES},
                                         saved["rates_image"], saved["rates_audio"], kept["labels"],
                                         m.image.excitatory.n_neurons, m.readout.vote, saved["reliability"],
                                         float(saved["tilt"])))
            for k, levels in enumerate(kept["levels"])]
    return out


def _write_csv(path, rows_out):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows_out[0]))
        writer.writeheader()
        writer.writerows(rows_out)
