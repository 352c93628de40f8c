"""Accuracy after K training digits for several STDP settings, one compiled
binary for all (learning rates and targets are run-time parameters).

Labels from the 3,000 training digits after the first K (same permutation,
seed 0), tested on the first 3,000 test digits. The README's tuning table:

    taskset -c 0 python benchmarks/tune_power_law.py 400 10000 power_law \
        '[{"eta_post":0.01},{"eta_post":0.003},{"eta_post":0.001},
          {"eta_post":0.003,"x_tar":0.2,"mu":0.9},{"eta_post":0.01,"x_tar":0.2,"mu":0.9},
          {"eta_post":0.003,"x_tar":0.1,"mu":0.9},{"eta_post":0.005,"x_tar":0.25,"mu":0.5}]'
    taskset -c 0 python benchmarks/tune_power_law.py 400 10000 diehl_cook_triplet '[{}]'

Settings not given keep the Plasticity defaults of the run (the table was
measured with the old defaults x_tar=0.4, mu=0.2 where not listed).
"""
import json
import sys
import time

import numpy as np

from stdpnet import readout, training
from stdpnet.config import Spec
from stdpnet.data import load_dataset
from stdpnet.simulation import TEST, TRAIN, Simulator


def main():
    n, k, rule, configs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
    spec = Spec().validate()
    spec.excitatory.n_neurons = n
    spec.connections.delay_max_ms = 0.0
    spec.plasticity.rule = rule
    spec.plasticity.x_tar, spec.plasticity.mu = 0.4, 0.2  # the defaults the table started from
    data = load_dataset(spec.data)
    sim = Simulator(spec, data.n_input)
    order = np.random.default_rng(0).permutation(len(data.train_x))
    train_idx, label_idx = order[:k], order[k:k + 3000]
    for cfg in configs:
        for key, value in cfg.items():
            setattr(sim.spec.plasticity, key, value)
        t0 = time.time()
        _, state, progress = training.present(sim, data.train_x[train_idx], TRAIN,
                                              sim.initial_state(0), quiet=True)
        label_counts, _, _ = training.present(sim, data.train_x[label_idx], TEST, state, quiet=True)
        test_counts, _, _ = training.present(sim, data.test_x[:3000], TEST, state, quiet=True)
        assignments = readout.assign_labels(label_counts, data.train_y[label_idx])
        acc = readout.accuracy(data.test_y[:3000], readout.predict(test_counts, assignments))
        print(rule, cfg, f"accuracy={acc:.3f} presentations={progress.presentations} "
              f"seconds={time.time() - t0:.0f}", flush=True)


if __name__ == "__main__":
    main()
