"""Choose the cross-modal STDP settings on validation pairs, not on the test set.

Reuses the trained ensembles of a finished multimodal run (its ``image/`` and
``audio/`` folders), trains the cross-modal synapses afresh for each setting,
assigns labels on the run's labelling pairs and measures the three readouts
on the validation pairs (validation images with validation recordings, never
items the network trained on; `stdpnet evaluate RUN --split validation`
scores the same pairs). The test pairs are never read. Prints one JSON line per setting. Run:

    taskset -c 1 python benchmarks/cross_modal_tuning.py runs/audiovisual \\
        --settings gain=2 gain=4 gain=8 x_tar=0.01 x_tar=0.05 [--validation-pairs 1000]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path


from stdpnet import streams
from stdpnet.engine.multimodal import MultimodalSimulator
from stdpnet.errors import StdpnetError
from stdpnet.experiments import audiovisual
from stdpnet.readout import combine
from stdpnet.spec.grid import parse_value


def validate(run_dir: Path, m, data, n_pairs: int) -> dict:
    state = audiovisual.joint_trained_state(run_dir)
    sim = MultimodalSimulator(m, data.image.n_input, data.audio.n_input)
    rates_i, rates_a, assign_counts, assign_y = audiovisual.assign_labels(sim, m, data, state, quiet=True)
    # the calibrated rule fitted on the clean labelling pairs only (evaluate adds corrupted ones)
    reliability = combine.calibrate(assign_counts, assign_y, sim.n_image_neurons, data.n_classes,
                                    streams.rng(m.seed, "calibration_folds"))
    m.pairs.test_pairs = n_pairs
    pairs = audiovisual.scored_pairs(m, data, "validation")
    modes = audiovisual.present_modes(sim, state, *pairs.inputs(data), quiet=True)
    return audiovisual.accuracies(modes, rates_i, rates_a, pairs.labels, sim.n_image_neurons,
                                  m.readout.vote, reliability)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished multimodal run folder")
    parser.add_argument("--settings", nargs="+", default=["gain=4"],
                        help="key=value[,key=value] of the [cross] section, one per setting")
    parser.add_argument("--validation-pairs", type=int, default=1000,
                        help="validation pairs scored (the validation recordings cycled)")
    args = parser.parse_args()
    base = audiovisual.open_run(args.run)
    for setting in args.settings:      # every key checked before anything is measured
        for key in (item.partition("=")[0] for item in setting.split(",")):
            if key not in {f.name for f in dataclasses.fields(base.cross)}:
                sys.exit(f"--settings {setting!r}: {key!r} is not a key of [cross]")
    data = audiovisual.load_data(base)
    for setting in args.settings:
        m = audiovisual.open_run(args.run)
        for item in setting.split(","):
            key, _, value = item.partition("=")
            setattr(m.cross, key, parse_value(value))
        try:
            m.validate()
        except StdpnetError as exc:
            sys.exit(f"--settings {setting!r}: {exc}")
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = audiovisual.create_run(Path(tmp) / "run", m)
            for part in ("image", "audio"):
                shutil.rmtree(run_dir / part)
                shutil.copytree(args.run / part, run_dir / part)
            audiovisual.train_cross(m, run_dir, data, quiet=True, log=lambda *_: None)
            acc = validate(run_dir, m, data, args.validation_pairs)
        print(json.dumps({"setting": setting, **audiovisual.rounded(acc)}),
              flush=True)


if __name__ == "__main__":
    main()
