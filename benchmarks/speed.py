"""Milliseconds per MNIST example for:

  standalone  stdpnet, cpp_standalone, full training protocol (350 ms
              presentation, rest, weight normalisation, re-presentation
              below 5 spikes): whole schedule compiled, chunks of examples
  test        the same, test mode (labelling and testing: no learning code)
  plain       plain Diehl & Cook network in Brian2 cpp_standalone: one
              compiled run over the same examples (Poisson input, 350 ms +
              150 ms simulated rest, STDP, weights normalised once at the
              start, no re-presentation); compile time excluded
  runtime     stdpnet, Brian2 runtime (Cython): the same network, chunk by chunk
  reference   plain Brian2 runtime loop as in Brian2's Diehl & Cook example:
              one run() per image, weights normalised in Python between runs

and the peak resident memory of the compiled binaries (stdpnet's, training
and test, and the plain network's). The test chunk starts from the state
the training chunk reached (normalised weights, grown thresholds).

Usage: python benchmarks/speed.py [--sizes 100 400 1600 6400] [--examples 1000]
       [--plain-examples 100] [--reference-examples 20] [--delays]
       [--skip-runtime | --runtime-sizes 100 400] [--test-dt 0 1.0] [--repeats 3]
       [--record speed]
Pin to one core for a fair figure: taskset -c 0 python benchmarks/speed.py
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from stdpnet.spec import Spec
from stdpnet.data.mnist import load_mnist
from stdpnet.engine.simulator import TEST, TRAIN, Simulator
from stdpnet.engine.present import present


def spec_for(n: int, delays: bool, slots: int, test_dt_ms: float = 0.0,
             precision: str = "double") -> Spec:
    spec = Spec(name=f"bench{n}").validate()
    spec.excitatory.n_neurons = n
    spec.schedule.test_dt_ms = test_dt_ms
    spec.schedule.precision = precision
    spec.connections.delay_max_ms = 10.0 if delays else 0.0
    spec.schedule.checkpoint_every = slots
    return spec.validate()


class _Enough(Exception):
    pass


def stdpnet_ms(spec: Spec, images: np.ndarray, device: str, chunks: int,
               mode: str = TRAIN, state: dict | None = None, sim: Simulator | None = None
               ) -> tuple[float, dict]:
    """ms per example over ``chunks`` full chunks (more images than needed, so
    no padded slot is timed) from ``state`` (default a fresh network), and
    the state reached. Compilation is done before the timing."""
    if sim is None:
        sim = Simulator(spec, images.shape[1], device=device, modes=(TRAIN, TEST))
    if device == "runtime":  # compile the Cython code outside the timing
        sim.run_chunk(images[:sim.slots], np.ones(sim.slots), sim.initial_state(0))
    seen = []

    def stop(progress, state, counts):
        seen.append((progress.position, progress.seconds, state))
        if len(seen) == chunks:
            raise _Enough

    try:
        present(sim, images, mode, state or sim.initial_state(0), on_chunk=stop, quiet=True)
    except _Enough:
        pass
    position, seconds, reached = seen[-1]
    return 1000 * seconds / position, reached


def with_peak(measure) -> tuple:
    """(``measure()``, the peak resident MB of the programs it ran as child
    processes): each child's VmHWM (Linux, counted from its exec, so the
    Python that forked it is not counted) read every 20 ms while it runs. A
    child caught between fork and exec is still this Python, and is skipped."""
    peak, done = [0], threading.Event()
    python = os.path.realpath(sys.executable)

    def watch():
        me = str(os.getpid())
        while not done.is_set():
            for proc in Path("/proc").iterdir():
                try:
                    if (proc.name.isdigit() and (proc / "stat").read_text().split(") ")[1].split()[1] == me
                            and os.path.realpath(proc / "exe") != python):
                        for line in (proc / "status").read_text().splitlines():
                            if line.startswith("VmHWM:"):
                                peak[0] = max(peak[0], int(line.split()[1]))
                except (OSError, IndexError):
                    pass
            done.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = measure()
    finally:
        done.set()
        watcher.join()
    return result, peak[0] / 1024


EXC_EQS = """
    dv/dt = ((-65*mV - v) + ge*(0*mV - v) + gi*(-100*mV - v)) / (100*ms) : volt (unless refractory)
    dge/dt = -ge/(1*ms) : 1
    dgi/dt = -gi/(2*ms) : 1
    dtheta/dt = -theta/(1e7*ms) : volt
    dx/dt = -x/(20*ms) : 1
    """
INH_EQS = """
    dv/dt = ((-60*mV - v) + ge*(0*mV - v) + gi*(-85*mV - v)) / (10*ms) : volt (unless refractory)
    dge/dt = -ge/(1*ms) : 1
    dgi/dt = -gi/(2*ms) : 1
    """


def plain_network(n: int, inp, delays: bool) -> tuple:
    """Diehl & Cook's excitatory and inhibitory groups and synapses on ``inp``
    (the network of Brian2's own example: Euler, additive conductances)."""
    from brian2 import NeuronGroup, Synapses, mV, ms

    exc = NeuronGroup(n, EXC_EQS, threshold="v > -72*mV + theta",
                      reset="v = -65*mV; theta += 0.05*mV; x += 1", refractory=5 * ms, method="euler")
    inh = NeuronGroup(n, INH_EQS, threshold="v > -40*mV", reset="v = -45*mV", refractory=2 * ms,
                      method="euler")
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
    return exc, inh, syn, ei, ie


def plain_standalone(n: int, images: np.ndarray, delays: bool):
    """The plain network compiled by Brian2's cpp_standalone, all examples in
    one run (compiled here); returns a function that runs the binary once and
    gives (ms per example, peak MB): only the binary's run is timed."""
    import subprocess

    from brian2 import Hz, Network, PoissonGroup, TimedArray, defaultclock, device, ms, seed, set_device
    from brian2.devices.device import reinit_devices

    reinit_devices()
    set_device("cpp_standalone", build_on_run=False)
    seed(0)   # every run of the binary simulates the same spikes (unseeded, some runs fire far more)
    defaultclock.dt = 0.5 * ms
    n_input = images.shape[1]
    # 50 ms frames: 7 of the image (350 ms), 3 of silence (150 ms rest)
    frames = np.zeros((10 * len(images), n_input))
    for k, image in enumerate(images):
        frames[10 * k:10 * k + 7] = image / 8.0 * 2.0
    stimulus = TimedArray(frames * Hz, dt=50 * ms)
    inp = PoissonGroup(n_input, rates="stimulus(t, i)")
    exc, inh, syn, ei, ie = plain_network(n, inp, delays)
    # the initial weights normalised once, as the other networks start (each
    # neuron's input weights sum to 78 for 784 inputs): unnormalised random
    # weights drive a large network into firing at ~90 Hz throughout
    w = (np.random.default_rng(0).random((n_input, n)) + 0.01) * 0.3
    syn.w = (w * (78.0 / 784 * n_input) / w.sum(axis=0)).ravel()
    net = Network(inp, exc, inh, syn, ei, ie)
    net.run(500 * ms * len(images), namespace={"stimulus": stimulus})
    build = tempfile.mkdtemp(prefix="plain_standalone_")
    device.build(directory=build, compile=True, run=False)
    reinit_devices()
    set_device("runtime")

    def run() -> tuple[float, float]:
        def timed():
            t0 = time.perf_counter()
            subprocess.run(["./main"], cwd=build, check=True, stdout=subprocess.DEVNULL)
            return time.perf_counter() - t0
        seconds, peak = with_peak(timed)
        return 1000 * seconds / len(images), peak
    return run


def reference_ms(n: int, images: np.ndarray, delays: bool) -> float:
    """The classic loop, written as Brian2's own example does it."""
    from brian2 import Hz, Network, PoissonGroup, SpikeMonitor, defaultclock, ms, prefs, set_device
    from brian2.devices.device import reinit_devices

    reinit_devices()
    set_device("runtime")
    prefs.codegen.target = "cython"
    defaultclock.dt = 0.5 * ms
    n_input = images.shape[1]
    inp = PoissonGroup(n_input, rates=np.zeros(n_input) * Hz)
    exc, inh, syn, ei, ie = plain_network(n, inp, delays)
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


def record(name: str, rows: list[dict], command: str):
    """Registry entries (results/NAME.*): every ratio and time, one value per repeat."""
    from stdpnet import results

    source = {**results.provenance(Path(__file__), command), "spec": "benchmarks/speed.py"}
    title = ("Speed: ms per MNIST example against a plain Brian2 cpp_standalone network, one core "
             "(values per repeat)")
    columns = (("train_ms", "ms", "stdpnet training, ms per example"),
               ("test_ms", "ms", "stdpnet test mode, ms per example"),
               ("plain_ms", "ms", "plain standalone network, ms per example"),
               ("plain_over_train", "x", "plain / stdpnet training"),
               ("plain_over_test", "x", "plain / stdpnet test mode"),
               ("peak_mb", "MB", "stdpnet binaries, peak resident memory"),
               ("plain_peak_mb", "MB", "plain standalone binary, peak resident memory"))
    for key in sorted({(r["n"], r["test_dt"], r["precision"]) for r in rows}):
        mine = [r for r in rows if (r["n"], r["test_dt"], r["precision"]) == key]
        n, test_dt, precision = key
        single = precision == "single"
        for column, unit, metric in columns:
            entry = results.figure(f"{name}.n{n}_test_dt{test_dt:g}{'_single' if single else ''}_{column}",
                                   title, f"N = {n}, test network at {test_dt:g} ms"
                                   f"{', float32' if single else ''}: {metric}", "speed", unit,
                                   {r["repeat"]: r[column] for r in mine}, source)
            results.write(entry)
    runtime = (("runtime_ms", "stdpnet on Brian2's runtime device, ms per example (one run)"),
               ("reference_ms", "Brian2 runtime loop as in Brian2's example, ms per example (one run)"))
    for n in sorted({r["n"] for r in rows}):
        first = next(r for r in rows if r["n"] == n)
        for column, metric in runtime:
            if np.isfinite(first[column]):
                results.write(results.figure(f"{name}.n{n}_{column}", title, f"N = {n}: {metric}",
                                             "speed", "ms", {0: first[column]}, source))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1600])
    ap.add_argument("--examples", type=int, default=1000, help="stdpnet: one chunk of this many slots")
    ap.add_argument("--plain-examples", type=int, default=100)
    ap.add_argument("--runtime-examples", type=int, default=100)
    ap.add_argument("--reference-examples", type=int, default=20)
    ap.add_argument("--skip-runtime", action="store_true", help="leave out the two runtime columns")
    ap.add_argument("--runtime-sizes", type=int, nargs="+", metavar="N",
                    help="measure the two runtime columns at these sizes only (default: every size)")
    ap.add_argument("--delays", action="store_true", help="random 0-10 ms input delays")
    ap.add_argument("--test-dt", type=float, nargs="+", default=[0.0], metavar="MS",
                    help="schedule.test_dt_ms of stdpnet's test network, one row each (0: the "
                         "0.5 ms of training; the plain network and the references keep 0.5 ms)")
    ap.add_argument("--precision", nargs="+", default=["double"], choices=["double", "single"],
                    help="schedule.precision of stdpnet's networks, one row each (the plain network "
                         "and the references stay in double precision)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="measure every row this many times, interleaved (mean and sd reported)")
    ap.add_argument("--record", metavar="NAME", help="write every figure to results/NAME.*")
    args = ap.parse_args()
    x, _ = load_mnist("train")
    x = x.reshape(len(x), -1).astype(np.float64)
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"delays {'0-10 ms' if args.delays else 'off'}; ms per example, mean ± sd over "
          f"{args.repeats} repeat(s)")
    print("| N | test dt (ms) | precision | stdpnet train | stdpnet test | plain standalone | runtime | reference "
          "| plain / train | plain / test | peak MB (stdpnet / plain) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sorted(args.sizes):
        plain = plain_standalone(n, x[:args.plain_examples], args.delays)
        rt = ref = float("nan")
        if not args.skip_runtime and (args.runtime_sizes is None or n in args.runtime_sizes):
            rt, _ = stdpnet_ms(spec_for(n, args.delays, 50), x[:2 * args.runtime_examples], "runtime",
                               chunks=max(args.runtime_examples // 50, 1))
            ref = reference_ms(n, x[:args.reference_examples], args.delays)
        specs = [spec_for(n, args.delays, args.examples, test_dt, precision)
                 for test_dt in args.test_dt for precision in args.precision]
        sims = [Simulator(spec, x.shape[1], device="standalone", modes=(TRAIN, TEST))   # compiled here
                for spec in specs]
        mine = []
        for repeat in range(args.repeats):
            plain_ms, plain_peak = plain()
            for spec, sim in zip(specs, sims):
                def measure():
                    train, state = stdpnet_ms(spec, x[:2 * args.examples], "standalone", 1, sim=sim)
                    test, _ = stdpnet_ms(spec, x[:2 * args.examples], "standalone", 1, mode=TEST,
                                         state=state, sim=sim)
                    return train, test
                (train, test), peak = with_peak(measure)
                mine.append({"n": n, "test_dt": spec.schedule.dt_for(False),
                             "precision": spec.schedule.precision, "repeat": repeat,
                             "train_ms": train, "test_ms": test, "plain_ms": plain_ms,
                             "plain_over_train": plain_ms / train, "plain_over_test": plain_ms / test,
                             "peak_mb": peak, "plain_peak_mb": plain_peak,
                             "runtime_ms": rt, "reference_ms": ref})
        for test_dt, precision in sorted({(r["test_dt"], r["precision"]) for r in mine}):
            group = [r for r in mine if (r["test_dt"], r["precision"]) == (test_dt, precision)]

            def cell(column, fmt="{:.2f}", unit=""):
                v = np.array([r[column] for r in group])
                sd = f" ± {fmt.format(v.std(ddof=1))}" if len(v) > 1 else ""
                return fmt.format(v.mean()) + unit + sd
            print(f"| {n} | {test_dt:g} | {precision} | {cell('train_ms')} | {cell('test_ms')} | {cell('plain_ms')} "
                  f"| {rt:.1f} | {ref:.1f} | {cell('plain_over_train', '{:.1f}', 'x')} "
                  f"| {cell('plain_over_test', '{:.1f}', 'x')} "
                  f"| {max(r['peak_mb'] for r in group):.0f} / {max(r['plain_peak_mb'] for r in group):.0f} |",
                  flush=True)
        if args.record:   # each size as soon as it is measured
            from stdpnet.results import results_root
            record(args.record, mine, "python " + " ".join(sys.argv))
            print(f"wrote {results_root()}/{args.record}.n{n}_*", flush=True)

if __name__ == "__main__":
    main()
