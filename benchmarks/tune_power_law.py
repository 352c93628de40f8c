"""Validation accuracy of several STDP settings, one compiled binary for all
(learning rates, targets and the exponent are run-time parameters).

No test digit is read. The validation split (the last 10,000 MNIST training
digits) is held out; each setting trains a fresh network (weights from
``--seed``) on K digits of a seeded shuffle of the other 50,000, takes
neuron labels from the first 10,000 of those digits (as ``stdpnet evaluate``
does) and scores the vote on the validation digits. For example:

    taskset -c 0 python benchmarks/tune_power_law.py 400 50000 \
        '[{}, {"eta_post":0.002}, {"eta_post":0.005}, {"x_tar":0.05}]'
    taskset -c 1 python benchmarks/tune_power_law.py 400 50000 \
        '[{"x_tar":0.15}, {"mu":0.5}, {"mu":1.0}, {"x_tar":0.2}]'

Settings not given keep the Plasticity defaults; ``{}`` is the shipped setting.
``--rule diehl_cook_triplet '[{}]'`` scores the reference code's rule.
"""
import argparse
import copy
import dataclasses
import json
import time

import numpy as np

from stdpnet.engine.present import present
from stdpnet.readout import likelihood, vote
from stdpnet.spec import Spec
from stdpnet.data.load import load_dataset
from stdpnet.engine.simulator import TEST, TRAIN, Simulator

LABELLED = 10_000   # labels from the first digits of the training shuffle


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n_neurons", type=int)
    p.add_argument("train_digits", type=int)
    p.add_argument("configs", type=json.loads, help="JSON list of Plasticity overrides")
    p.add_argument("--rule", default="power_law")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    spec = Spec().validate()
    spec.excitatory.n_neurons = args.n_neurons
    spec.connections.delay_max_ms = 0.0
    spec.plasticity.rule = args.rule
    data = load_dataset(spec.data)
    order = np.random.default_rng(args.seed).permutation(len(data.train_x))
    train_idx, label_idx = order[:args.train_digits], order[:LABELLED]
    val_x, val_y = data.split("validation")
    known = {f.name for f in dataclasses.fields(spec.plasticity)}
    unknown = sorted({k for cfg in args.configs for k in cfg} - known)
    if unknown:                        # said before anything is trained
        raise SystemExit(f"configs: {', '.join(map(repr, unknown))} not a key of [plasticity]")
    for cfg in args.configs:
        tried = copy.deepcopy(spec)
        for key, value in cfg.items():
            setattr(tried.plasticity, key, value)
        # rates, targets and the exponent are run-time parameters: one binary for every setting
        sim = Simulator(tried.validate(), data.n_input)
        t0 = time.time()
        _, state, progress = present(sim, data.train_x[train_idx], TRAIN,
                                              sim.initial_state(args.seed), quiet=True)
        label_counts, _, _ = present(sim, data.train_x[label_idx], TEST, state, quiet=True)
        val_counts, _, _ = present(sim, val_x, TEST, state, quiet=True)
        rates = vote.class_rates(label_counts, data.train_y[label_idx], data.n_classes)
        by_vote = vote.accuracy(val_y, vote.predict(val_counts, vote.labels_from_rates(rates), data.n_classes))
        by_likelihood = vote.accuracy(val_y, likelihood.log_likelihoods(val_counts, rates).argmax(axis=1))
        print(args.rule, json.dumps(cfg), f"validation={by_vote:.4f} likelihood={by_likelihood:.4f} "
              f"presentations={progress.presentations} seconds={time.time() - t0:.0f}", flush=True)


if __name__ == "__main__":
    main()
