"""Runs chunks of presentations of one ensemble on a Brian2 device (runtime or cpp_standalone).

A *chunk* is one ``run()`` of ``slots`` presentation slots. The standalone
device compiles the network once per shape and mode (cached on disk, see
``stdpnet.engine.cache``) and runs every chunk by calling the binary with ``run_args``:
the chunk's pixels and the network state travel as arguments, so all
training chunks reuse one binary, and label assignment and testing another,
the test-mode network with frozen weights (no STDP or normalisation code).
The runtime device builds the same objects afresh for each chunk.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import Network, Quantity, SpikeMonitor, defaultclock, ms, prefs, second, set_device
from brian2.devices.device import reinit_devices

from ..model.ensemble import Ensemble, build_ensemble
from ..model.plasticity import StdpRule, stdp_rule
from ..model.schedule import TEST, TRAIN, schedule_start, slot_duration
from ..errors import BuildError
from ..spec import Spec
from ..spec.ensemble import PRECISIONS
from .cache import (COMPILED_FROM, build_key, build_lock, cache_root, compiled_from,
                    generated_digest, remove_stale_files, remove_unused_sources)
from .device import StandaloneDevice
from .precompiled import precompile

__all__ = ["TRAIN", "TEST", "ChunkResult", "Simulator", "run_parameters"]

log = logging.getLogger(__name__)


def run_parameters(spec: Spec, rule: StdpRule) -> dict:
    """Run-time parameters: plasticity rates and targets (of ``rule``), lateral inhibition."""
    params = {f"input_exc.{k}": np.array([v], dtype=np.float64) for k, v in rule.parameters.items()}
    params["exc_inh.w_ei"] = np.array([spec.connections.exc_to_inh])
    params["inh_exc.w_ie"] = np.array([spec.connections.inh_to_exc])
    return params


@dataclass
class ChunkResult:
    """What one chunk did, slot by slot."""
    example: np.ndarray      # (slots,) chunk-relative index of the example shown
    intensity: np.ndarray    # (slots,) input intensity used
    counts: np.ndarray       # (slots, n_neurons) excitatory spike counts
    state: dict              # network state at the end of the chunk


class Simulator:
    """Runs chunks of presentations of one ensemble on the chosen device."""

    def __init__(self, spec: Spec, n_input: int, device: str | None = None,
                 slots: int | None = None, modes: tuple = (TRAIN,), runtime_target: str = "cython"):
        """The standalone binaries of ``modes`` (TRAIN, TEST) are compiled now,
        any other on its first chunk. ``runtime_target``: the code the runtime
        device runs chunks with, Cython (compiled once per machine) or numpy
        (nothing compiled, slower per step; the same spikes)."""
        self.spec = spec
        self.n_input = n_input
        self.device = device or spec.device
        if runtime_target not in ("cython", "numpy"):
            raise ValueError(f"runtime_target must be 'cython' or 'numpy', got {runtime_target!r}")
        self.runtime_target = runtime_target
        self.slots = slots or spec.schedule.checkpoint_every
        self.slot = slot_duration(spec)
        self.n_neurons = spec.excitatory.n_neurons
        self.rule = stdp_rule(spec.plasticity)  # derived once, read by every network built
        self._standalone = {}  # learning (bool) -> (ensemble, device, build folder, digest of its sources)
        if self.device == "standalone":
            for mode in modes:
                self._build_standalone(self._variant(mode))

    # ---------------------------------------------------------------- devices
    def _model(self, learning: bool):
        """The Brian2 objects of the network (one ensemble here)."""
        return build_ensemble(self.spec, self.rule, self.n_input, self.slots, learning=learning)

    def _key(self, learning: bool) -> str:
        return build_key(self.spec, self.rule, self.n_input, self.slots, learning)

    def _variant(self, mode) -> bool:
        """Which compiled network serves chunks in ``mode``: the learning one or the test one."""
        return _learning(mode)

    def _fresh(self, device, learning: bool, target: str = "cython", **kwargs) -> tuple[Ensemble, Network]:
        """A new network on ``device``; on the runtime device, code for ``target``
        (Cython compiles each code object once per machine, a minute or more
        for a whole network the first time; numpy compiles nothing and runs a
        few examples in seconds)."""
        reinit_devices()
        set_device(device, **kwargs)
        if device == "runtime":
            prefs.codegen.target = target
        prefs.core.default_float_dtype = np.dtype(PRECISIONS[self.spec.schedule.precision]).type
        # Brian2's runtime check of float32 state compares with 1e50, which numpy cannot cast
        warnings.filterwarnings("ignore", "overflow encountered in cast", RuntimeWarning,
                                "brian2.groups.group")
        defaultclock.dt = self.spec.schedule.dt_for(learning) * ms
        ens = self._model(learning)
        return ens, Network(*ens.objects)

    def _generate(self, learning: bool, directory: Path) -> tuple[Ensemble, StandaloneDevice]:
        """The network's C++ written into ``directory`` (about a second; no compiling)."""
        # one device object per binary: each keeps the names of its own arrays
        device = StandaloneDevice()
        device.precompiled_root = cache_root().absolute() / "precompiled"   # make runs in the build folder
        ens, net = self._fresh(device, learning, build_on_run=False, directory=str(directory))
        net.run(self.slots * self.slot * second, namespace={})
        device.build(directory=str(directory), compile=False, run=False)
        return ens, device

    def _build_standalone(self, learning: bool):
        """The compiled network of this shape and mode, from the cache. Compiling
        takes half a minute or more: the C++ is generated in a folder of this
        process's own and compared with the sources the cached binary was built
        from. Only if they differ is the shared folder locked exclusively (other
        processes' chunks of that shape wait) to generate and compile there;
        make recompiles whatever Brian2 rewrote."""
        key = self._key(learning)
        build_dir = cache_root() / "standalone" / key
        scratch = cache_root() / "standalone" / ".generated" / f"pid{os.getpid()}_{key}"
        remove_stale_files(scratch.parent)   # (those of killed processes)
        shutil.rmtree(scratch, ignore_errors=True)
        ens, device = self._generate(learning, scratch)
        digest = generated_digest(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        with build_lock(build_dir, exclusive=False):
            current = compiled_from(build_dir) == digest
            if current:
                remove_stale_files(build_dir)
                device.project_dir = str(build_dir)   # run arguments go beside the binary
        if not current:
            with build_lock(build_dir, exclusive=True):
                remove_stale_files(build_dir)
                ens, device = self._generate(learning, build_dir)
                remove_unused_sources(build_dir)
                digest = generated_digest(build_dir)
                if compiled_from(build_dir) != digest:
                    kind = "learning" if learning else "test"
                    log.info(f"compiling the {kind} network of this shape (once; kept in "
                             f"{build_dir.parent})")
                    start = time.perf_counter()
                    _compile(device, build_dir, kind)
                    (build_dir / COMPILED_FROM).write_text(digest)
                    log.info(f"compiled the {kind} network in {time.perf_counter() - start:.0f} s")
        self._standalone[learning] = (ens, device, build_dir, digest)

    # ------------------------------------------------------------------ state
    def initial_state(self, seed: int) -> dict:
        """Weights (U[0,1)+0.01)*scale and theta_init: a fresh network (its
        delays are a fixed pattern of the network, not state)."""
        rng = np.random.default_rng(seed)
        c, e, i = self.spec.connections, self.spec.excitatory, self.spec.inhibitory
        n_syn = self.n_input * self.n_neurons
        n = self.n_neurons
        state = {
            "input_exc.w": (rng.random(n_syn) + 0.01) * c.w_init_scale,
            "input_exc.mask": np.ones(n_syn), "input_exc.corr": np.zeros(n_syn),
            "input.fired": np.zeros(self.n_input, np.int32),
            "excitatory.fired": np.zeros(n, np.int32), "inhibitory.fired": np.zeros(n, np.int32),
            "input.t_x": np.zeros(self.n_input),
            "input.seed": np.array([seed], dtype=np.int32),
            "excitatory.v": np.full(n, e.v_rest_mV * 1e-3),
            "excitatory.ge": np.zeros(n), "excitatory.gi": np.zeros(n),
            "excitatory.theta": np.full(n, e.theta_init_mV * 1e-3),
            "excitatory.weight_target": np.full(n, c.weight_sum_per_input * self.n_input),
            "excitatory.lastspike": np.full(n, -1e4), "excitatory.not_refractory": np.ones(n, bool),
            "inhibitory.v": np.full(n, i.v_rest_mV * 1e-3),
            "inhibitory.ge": np.zeros(n), "inhibitory.gi": np.zeros(n),
            "inhibitory.lastspike": np.full(n, -1e4), "inhibitory.not_refractory": np.ones(n, bool),
            **schedule_start(self.spec.input.intensity, TRAIN),
        }
        for x in self.rule.trace_names_pre:
            state[f"input.{x}"] = np.zeros(self.n_input)
        for x in self.rule.trace_names_post:
            state[f"excitatory.{x}"] = np.zeros(n)
        return state

    def parameters(self) -> dict:
        return run_parameters(self.spec, self.rule)

    def answered(self, counts: np.ndarray, row: np.ndarray) -> bool:
        """The in-network rule: did the example shown (input ``row``) evoke enough
        excitatory spikes (``counts`` of its slot)?"""
        return bool(counts.sum() >= self.spec.input.min_spikes)

    # ------------------------------------------------------------------- runs
    def run_chunk(self, pixels: np.ndarray, active: np.ndarray, state: dict) -> ChunkResult:
        """Present up to ``slots`` examples: rows of ``pixels`` (0..255), ``active``
        marks real rows (1) against padding (0); ``state['schedule.mode']`` is
        TRAIN or TEST. Returns per-slot records and the state at the end."""
        state = {**state, **self.parameters()}
        if pixels.shape != (self.slots, self.n_input):
            raise ValueError(f"pixels must have shape {(self.slots, self.n_input)}, got {pixels.shape}")
        mask = state.get("input_exc.mask")
        if (mask is not None and np.min(mask) < 1 and not self.spec.compression.enabled
                and self._variant(state["schedule.mode"])):
            raise ValueError("input_exc.mask: the state has pruned synapses, but compression.enabled "
                             "is false (a dense learning network has no mask in its code)")
        if self.device == "standalone":
            learning = self._variant(state["schedule.mode"])
            if learning not in self._standalone:
                self._build_standalone(learning)
            results = f"results_{os.getpid()}"
            for _ in range(3):
                ens, device, build_dir, digest = self._standalone[learning]
                args = {_view(ens, key): _quantity(ens, key, value) for key, value in state.items()}
                args.update(self._stimuli(ens, pixels, active))
                with build_lock(build_dir, exclusive=False):
                    if compiled_from(build_dir) == digest:
                        device.run(directory=str(build_dir), results_directory=results,
                                   with_output=False, run_args=args)
                        break
                # another process rebuilt the folder from other sources meanwhile (code
                # edited under a running sweep): build this network's again, then run it
                self._build_standalone(learning)
            else:
                raise BuildError(f"{build_dir}: other processes keep compiling other code into this "
                                 "folder; run them with different STDPNET_CACHE folders")
            if getattr(device, "_last_run_completed_fraction", 1.0) < 1.0:
                # Ctrl-C reached the binary too, which stops early and keeps what it
                # simulated: the chunk did not run, the last checkpoint stands
                shutil.rmtree(Path(build_dir, results), ignore_errors=True)
                raise KeyboardInterrupt("the compiled network was interrupted")
            out = self._collect(ens)
            for name in device.run_args_arrays:  # one-off argument files
                for suffix in ("", ".lock"):
                    Path(build_dir, "static_arrays", name + suffix).unlink(missing_ok=True)
            shutil.rmtree(Path(build_dir, results), ignore_errors=True)
            return out
        return self._run_runtime(pixels, active, state)[0]

    def _stimuli(self, ens, pixels: np.ndarray, active: np.ndarray) -> dict:
        """TimedArray -> values: the input rows (split by column where the network
        has several input layers) and the mask of real slots."""
        args = {ens.active: active.astype(np.float64)}
        for timed_array, first in ens.stimuli:
            width = timed_array.values.shape[1]
            args[timed_array] = np.ascontiguousarray(pixels[:, first:first + width], dtype=np.float64)
        return args

    def _run_runtime(self, pixels, active, state, record_all=False):
        # a raster shows a few examples once: not worth compiling for
        target = "numpy" if record_all else self.runtime_target
        ens, net = self._fresh("runtime", self._variant(state["schedule.mode"]), target)
        for timed_array, values in self._stimuli(ens, pixels, active).items():
            timed_array.values[:] = values
        for key, value in state.items():
            _variable(ens, key).set_value(np.asarray(value))
        monitors = {}
        if record_all:
            monitors = {"input": SpikeMonitor(ens.input), "inhibitory": SpikeMonitor(ens.inhibitory)}
            net.add(*monitors.values())
        net.run(self.slots * self.slot * second, namespace={})
        return self._collect(ens), ens, monitors

    def _raster_state(self, state: dict) -> dict:
        """``state`` set up to show a few examples once each from a fresh schedule, in test mode."""
        return {**state, **self.parameters(), **schedule_start(self.spec.input.intensity, TEST)}

    def raster(self, pixels: np.ndarray, state: dict) -> dict:
        """Spikes of all three layers while ``pixels`` are shown once each
        (test mode, runtime device); for plots."""
        state = self._raster_state(state)
        result, ens, monitors = self._run_runtime(pixels, np.ones(len(pixels)), state, record_all=True)
        out = {name: (np.asarray(m.i), np.asarray(m.t_)) for name, m in monitors.items()}
        out["excitatory"] = (np.asarray(ens.exc_spikes.i), np.asarray(ens.exc_spikes.t_))
        out["example"] = result.example
        out["intensity"] = result.intensity
        return out

    def _collect(self, ens: Ensemble) -> ChunkResult:
        duration = self.slots * self.slot
        counts = np.zeros((self.slots, self.n_neurons), dtype=np.int32)
        for monitor, first in ens.counted:
            t = np.asarray(monitor.t_)
            slot_index = np.minimum((t / self.slot + 1e-9).astype(np.int64), self.slots - 1)
            np.add.at(counts, (slot_index, first + np.asarray(monitor.i)), 1)
        state = {}
        for group, names in ens.carried.items():
            for var in names:
                value = np.array(getattr(group, var).variable.get_value())
                if var in ("lastspike", "t_x"):  # the next chunk starts again at t = 0
                    value = value - duration
                state[f"{group.name}.{var}"] = value
        return ChunkResult(example=np.asarray(ens.slot_log.example[0], dtype=np.int64),
                           intensity=np.asarray(ens.slot_log.intensity[0]), counts=counts,
                           state=state)


MAKE_LOG = "make.log"   # what make and the compiler print, kept in the build folder


def _compile(device: StandaloneDevice, build_dir: Path, kind: str) -> None:
    """Compile the generated network in ``build_dir``: what make finds up to
    date is kept; if that fails (object files of a compile that was killed
    can break it), once more from clean. The standard headers are precompiled
    first where they are not yet (once per machine and compiler flags). What
    make prints goes to ``MAKE_LOG`` there, not the terminal (a sweep's
    progress bar stays readable, and a compile stopped by Ctrl-C says
    nothing); a failure quotes its last lines."""
    from brian2.codegen.cpp_prefs import get_compiler_and_args

    compiler = get_compiler_and_args()[0]
    if device.standard_header is not None:
        remove_stale_files(device.standard_header[0].parent)
        precompile(*device.standard_header)
    make_args = prefs.devices.cpp_standalone.extra_make_args_unix
    prefs.devices.cpp_standalone.extra_make_args_unix = [*make_args, f">{MAKE_LOG}", "2>&1"]
    try:
        try:
            device.compile_source(str(build_dir), compiler, debug=False, clean=False)
        except RuntimeError:
            device.compile_source(str(build_dir), compiler, debug=False, clean=True)
    except RuntimeError as exc:
        why = str(exc).rstrip(".")
        log_file = build_dir / MAKE_LOG
        said = log_file.read_text(errors="replace").splitlines()[-15:] if log_file.is_file() else []
        raise BuildError(f"{build_dir}: compiling the {kind} network failed ({why}); the networks are "
                         "compiled with a C++ compiler, g++ (on Debian: apt install g++). The end of "
                         f"{log_file}:\n" + "\n".join(said or ["(empty)"])) from exc
    finally:
        prefs.devices.cpp_standalone.extra_make_args_unix = make_args


def _learning(mode) -> bool:
    """Whether chunks in ``mode`` (TRAIN, TEST or a one-element array) learn."""
    return float(np.asarray(mode).ravel()[0]) != TEST


def _view(ens: Ensemble, key: str):
    group, var = key.split(".")
    return getattr(ens.groups[group], var)


def _variable(ens: Ensemble, key: str):
    return _view(ens, key).variable


def _quantity(ens: Ensemble, key: str, value):
    variable = _variable(ens, key)
    return Quantity(np.asarray(value, dtype=variable.dtype), dim=variable.dim)
