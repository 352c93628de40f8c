"""Kill `stdpnet train` with SIGKILL at many random moments and resume it each
time; check the weights end bit-identical to an uninterrupted run and that
no compiled network outlives the process that ran it. (The test suite does
10 kills on a tiny network; this does as many as asked, on any spec.)

    python benchmarks/fault_injection.py --kills 50 [--spec networks/mnist_quick.toml --examples 3000]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from stdpnet.engine.cache import binaries_running

REPO = Path(__file__).resolve().parents[1]
SPEC = """name = "faults"
seed = 3
[data]
dataset = "synthetic"
train_examples = 300
assign_examples = 300
test_examples = 20
[excitatory]
n_neurons = 10
[connections]
weight_sum_per_input = 0.3979591836734694
[schedule]
checkpoint_every = 10
presentation_ms = 200.0
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--spec", type=Path, help="a spec file (default: a tiny synthetic network)")
    parser.add_argument("--examples", type=int, help="training examples (overrides the spec's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec = args.spec or tmp / "spec.toml"
        if args.spec is None:
            spec.write_text(SPEC)
        cache = tmp / "cache"
        env = {**os.environ, "STDPNET_CACHE": str(cache)}
        command = [sys.executable, "-c", "from stdpnet.cli import main; main()", "train"]
        extra = ["--examples", str(args.examples)] if args.examples else []

        def train(arguments, kill_after=None):
            t0 = time.perf_counter()
            proc = subprocess.Popen(command + arguments + ["--quiet"], env=env, cwd=REPO,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                _, err = proc.communicate(timeout=kill_after)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                _, err = proc.communicate()
            return time.perf_counter() - t0, proc.returncode, err

        took, rc, err = train([str(spec), "--out", str(tmp / "straight"), *extra])
        if rc != 0:
            sys.exit(f"the uninterrupted run failed:\n{err}")
        rng = np.random.default_rng(args.seed)
        broken, orphans, resumed = tmp / "broken", 0, 0
        for _ in range(args.kills):
            arguments = ["--resume", str(broken)] if broken.exists() else [str(spec), "--out", str(broken),
                                                                           *extra]
            resumed += broken.exists()
            train(arguments, kill_after=float(rng.uniform(0.2, took)))
            time.sleep(0.1)
            orphans += len(binaries_running(cache))
        # the run is finished by resuming it (or starting it, if a kill came before its
        # folder was made); one retry, then the error is shown instead of looping
        for _ in range(2):
            arguments = ["--resume", str(broken)] if broken.exists() else [str(spec), "--out", str(broken),
                                                                           *extra]
            _, rc, err = train(arguments)
            if rc == 0:
                break
        else:
            sys.exit(f"the run killed {args.kills} times could not be finished:\n{err}")
        a, b = np.load(tmp / "straight" / "weights.npz"), np.load(broken / "weights.npz")
        same = bool(np.array_equal(a["w"], b["w"]) and np.array_equal(a["theta"], b["theta"]))
        print(json.dumps({"kills": args.kills, "resumed_runs": resumed, "orphans_seen": orphans,
                          "bit_identical": same, "uninterrupted_seconds": round(took, 1)}, indent=2))
        sys.exit(0 if same and orphans == 0 else 1)


if __name__ == "__main__":
    main()
