"""Milliseconds per training example, full protocol (350 ms presentation,
rest, weight normalisation, re-presentation below 5 spikes), for:

  standalone  stdpnet, cpp_standalone: whole schedule compiled, chunks of examples
  runtime     stdpnet, Brian2 runtime (Cython): the same network, chunk by chunk
  reference   plain Brian2 runtime loop as in Brian2's Diehl & Cook example:
              one run() per image, weights normalised in Python between runs

Usage: python benchmarks/speed.py [--sizes 100 400 1600] [--examples 300]
       [--reference-examples 50] [--delays]
Pin to one core for a fair figure: taskset -c 0 python benchmarks/speed.py
"""
from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from stdpnet.spec import Spec
from stdpnet.data.mnist import load_mnist
from stdpnet.engine.simulator import TRAIN, Simulator
from stdpnet.engine.present import present


def spec_for(n: int, delays: bool, slots: int) -> Spec:
    spec = Spec(name=f"bench{n}").validate()
    spec.excitatory.n_neurons = n
    spec.connections.delay_max_ms = 10.0 if delays else 0.0
    spec.schedule.checkpoint_every = slots
    return spec.validate()


class _Enough(Exception):
    pass


def stdpnet_ms(spec: Spec, images: np.ndarray, device: str, chunks: int) -> tuple[float, float]:
    """Full chunks only (more images than needed), so no padded slots are timed."""
    t0 = time.perf_counter()
    sim = Simulator(spec, images.shape[1], device=device)
    if device == "runtime":  # compile the Cython code outside the timing
        sim.run_chunk(images[:sim.slots], np.ones(sim.slots), sim.initial_state(0))
    build = time.perf_counter() - t0
    seen = []

    def stop(progress, state, counts):
        seen.append((progress.position, progress.seconds))
        if len(seen) == chunks:
            raise _Enough

    try:
        present(sim, images, TRAIN, sim.initial_state(0), on_chunk=stop, quiet=True)
    except _Enough:
        pass
    position, seconds = seen[-1]
    return 1000 * seconds / position, build


def reference_ms(n: int, images: np.ndarray, delays: bool) -> float:
    """The classic loop, written as Brian2's own example does it."""
    from brian2 import (NeuronGroup, Network, PoissonGroup, SpikeMonitor, Synapses, defaultclock,
                        Hz, mV, ms, prefs, set_device)
    from brian2.devices.device import reinit_devices

    reinit_devices()
    set_device("runtime")
    prefs.codegen.target = "cython"
    defaultclock.dt = 0.5 * ms
    n_input = images.shape[1]
    inp = PoissonGroup(n_input, rates=np.zeros(n_input) * Hz)
    exc = NeuronGroup(n, """
        dv/dt = ((-65*mV - v) + ge*(0*mV - v) + gi*(-100*mV - v)) / (100*ms) : volt (unless refractory)
        dge/dt = -ge/(1*ms) : 1
        dgi/dt = -gi/(2*ms) : 1
        dtheta/dt = -theta/(1e7*ms) : volt
        dx/dt = -x/(20*ms) : 1
        """, threshold="v > -72*mV + theta", reset="v = -65*mV; theta += 0.05*mV; x += 1",
        refractory=5 * ms, method="euler")
    inh = NeuronGroup(n, """
        dv/dt = ((-60*mV - v) + ge*(0*mV - v) + gi*(-85*mV - v)) / (10*ms) : volt (unless refractory)
        dge/dt = -ge/(1*ms) : 1
        dgi/dt = -gi/(2*ms) : 1
        """, threshold="v > -40*mV", reset="v = -45*mV", refractory=2 * ms, method="euler")
    exc.v, inh.v, exc.theta = -65 * mV, -60 * mV, 20 * mV
    syn = Synapses(inp, exc, """
        w : 1
        dxpre/dt = -xpre/(20*ms) : 1 (event-driven)
        """, on_pre="ge_post += w; xpre += 1",
        on_post="w = clip(w + 0.001*(xpre - 0.4)*clip(1 - w, 0, 1)**0.2, 0, 1)")
    syn.connect()
    syn.w = "(rand() + 0.01) * 0.3"
    if delays:
        syn.delay = "rand() * 10*ms"
    ei = Synapses(exc, inh, on_pre="ge_post += 10.4")
    ei.connect(j="i")
    ie = Synapses(inh, exc, on_pre="gi_post += 17.0")
    ie.connect(condition="i != j")
    mon = SpikeMonitor(exc)
    net = Network(inp, exc, inh, syn, ei, ie, mon)
    net.run(0 * ms)
    t0 = time.perf_counter()
    for image in images:
        intensity = 2.0
        while True:
            weights = syn.w[:].reshape(n_input, n)      # Python normalisation
            syn.w[:] = (weights * (78.0 / 784 * n_input) / weights.sum(axis=0)).ravel()
            before = mon.num_spikes
            inp.rates = image / 8.0 * intensity * Hz
            net.run(350 * ms)
            inp.rates = 0 * Hz
            net.run(150 * ms)
            if mon.num_spikes - before >= 5 or intensity >= 32:
                break
            intensity += 1
    return 1000 * (time.perf_counter() - t0) / len(images)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1600])
    ap.add_argument("--examples", type=int, default=1000, help="standalone: one chunk of this many slots")
    ap.add_argument("--runtime-examples", type=int, default=100)
    ap.add_argument("--reference-examples", type=int, default=50)
    ap.add_argument("--delays", action="store_true", help="random 0-10 ms input delays")
    args = ap.parse_args()
    x, _ = load_mnist("train")
    x = x.reshape(len(x), -1).astype(np.float64)
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"delays {'0-10 ms' if args.delays else 'off'}")
    print("| N | standalone ms/ex | runtime ms/ex | reference ms/ex | reference / standalone |")
    print("|---|---|---|---|---|")
    for n in args.sizes:
        sa, build = stdpnet_ms(spec_for(n, args.delays, args.examples), x[:2 * args.examples],
                               "standalone", chunks=1)
        rt, _ = stdpnet_ms(spec_for(n, args.delays, 50), x[:2 * args.runtime_examples], "runtime",
                           chunks=max(args.runtime_examples // 50, 1))
        ref = reference_ms(n, x[:args.reference_examples], args.delays)
        print(f"| {n} | {sa:.2f} | {rt:.1f} | {ref:.1f} | {ref / sa:.0f}x |", flush=True)


if __name__ == "__main__":
    main()
