"""One training step of LITE-SNN on one CPU core: its LIF layers stepped one
timestep at a time (``NeuronLayer`` per step, several autograd nodes each)
against the whole-sequence LIF (``lif_scan``, one node per layer and
sequence), side by side in one process, interleaved:

    taskset -c 0 python benchmarks/lif_scan_speed.py --repeats 5 --record lif_scan_speed

Times forward + backward of a batch of 64 random sequences of each spec's
shape; prints and (with ``--record``) writes the ratio stepped / scanned of
each repeat: the median of ``--steps`` timed steps of each, the two
alternating step by step.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stdpnet.deep.seq import models  # noqa: E402
from stdpnet.deep.seq.config import load_spec  # noqa: E402

SCAN = models.run_lif
CASES = (("rows", "networks/deep_seq_mnist_rows.toml", 28, 28),
         ("pixels392", "networks/deep_seq_length.toml", 392, 2))


def stepped(layer, current, substeps: int = 1):
    """The neuron stepped through time, one call per neuron step; as in
    ``run_lif``, each input step's current is held for ``substeps`` of them
    and their spikes are summed."""
    layer.reset_state()
    return torch.stack([sum(layer(current[..., t]) for _ in range(substeps))
                        for t in range(current.shape[-1])], -1)


def step_seconds(model, x, y, run_lif) -> float:
    models.run_lif = run_lif
    t0 = time.perf_counter()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    return time.perf_counter() - t0


def paired(model, x, y, steps: int) -> tuple[float, float]:
    """Median seconds of a step stepped and scanned, the two alternating."""
    times = [(step_seconds(model, x, y, stepped), step_seconds(model, x, y, SCAN))
             for _ in range(steps)]
    return tuple(statistics.median(t) for t in zip(*times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per measurement")
    parser.add_argument("--record", metavar="NAME", help="write the ratios to results/NAME.*")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ratios = {name: {} for name, *_ in CASES}
    for name, spec, steps, features in CASES:
        cfg = load_spec(REPO / spec)
        torch.manual_seed(0)
        model, _ = models.build_seq_model("lite", cfg["model"], features, 10)
        x, y = torch.rand(64, steps, features), torch.randint(0, 10, (64,))
        for repeat in range(args.repeats):
            a, b = paired(model, x, y, args.steps)
            ratios[name][repeat] = a / b
            print(f"{name}, repeat {repeat}: stepped {1000 * a:.1f} ms, scanned {1000 * b:.1f} ms, "
                  f"ratio {a / b:.2f}", flush=True)
    models.run_lif = SCAN
    if args.record:
        from stdpnet import results

        here = Path(__file__).resolve()
        source = {**results.provenance(here, "python " + " ".join(sys.argv)),
                  "spec": here.relative_to(REPO).as_posix()}
        title = ("LITE-SNN training step on one CPU core: LIF stepped per timestep over "
                 "the whole-sequence LIF (values per repeat)")
        for name, values in ratios.items():
            steps = dict((n, s) for n, _, s, _ in CASES)[name]
            print("wrote", results.write(results.figure(
                f"{args.record}.{name}_ratio", title,
                f"{steps} steps of 64 sequences: stepped / scanned time", "speed", "x", values,
                source)))


if __name__ == "__main__":
    main()
