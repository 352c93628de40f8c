"""Brian2's cpp_standalone device with two fixes to its network loop, faster
loops for thresholds and all-to-all synapses (``stdpnet.engine.kernels``;
the same results bit for bit), the standard headers read precompiled
(``stdpnet.engine.precompiled``), and binaries that end with the process
that runs them."""
from __future__ import annotations

import ctypes
import inspect
import os
import signal
import subprocess
from pathlib import Path
from types import SimpleNamespace

import brian2.devices.cpp_standalone.device as cpp_standalone
from brian2 import prefs
from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

from . import kernels, precompiled

_PR_SET_PDEATHSIG = 1



def _die_with(parent: int):
    """What the child runs between fork and exec: be killed when ``parent``
    dies; if it died before the request was made (a kill between fork and
    prctl), die now."""
    def preexec():
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):   # not Linux: the binary may outlive a killed parent
            return
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
    return preexec


class BinaryRunner:
    """What Brian2's device uses of ``subprocess``, with every binary it
    starts killed when this process dies (SIGKILL included): no orphan runs
    on. The largest peak resident memory of the binaries since
    ``peak_kb = 0`` is kept in ``peak_kb`` (a binary's counts from the fork,
    so it is at least this process's size then)."""

    peak_kb = 0

    @staticmethod
    def call(args, **kwargs):
        with subprocess.Popen(args, preexec_fn=_die_with(os.getpid()), **kwargs) as binary:
            try:
                _, status, usage = os.wait4(binary.pid, 0)
            except BaseException:     # (Ctrl-C) as subprocess.call does: the binary goes too
                binary.kill()
                raise
            binary.returncode = os.waitstatus_to_exitcode(status)
        BinaryRunner.peak_kb = max(BinaryRunner.peak_kb, usage.ru_maxrss)
        return binary.returncode


class _InterruptibleOs:
    """``os`` as Brian2's device module sees it while it compiles, except
    that ``system`` runs make through ``subprocess``: ``os.system`` ignores
    SIGINT in the caller while make runs, so a Ctrl-C pressed during a compile
    would be lost (make fails, the failure reads as a broken build and the
    network is compiled again) instead of stopping the command. The shell
    ``exec``s make, which dies with this process (a sweep worker, which
    ignores Ctrl-C, is ended by its sweep), so no compile runs on after it."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def system(command: str) -> int:
        try:
            return subprocess.call(f"exec {command}", shell=True, preexec_fn=_die_with(os.getpid()))
        except KeyboardInterrupt:
            _forget_compiler_output()
            raise


def _forget_compiler_output() -> None:
    """Empty the files Brian2 keeps the compiler's output in while it
    compiles: it prints them when the compile ends in an exception, which
    after a Ctrl-C would be pages of compiler command lines, not an error."""
    from brian2.utils.logger import std_silent

    for f in (std_silent.dest_stdout, std_silent.dest_stderr):
        if f is not None:
            f.flush()
            f.seek(0)
            f.truncate()


# Two fixes to the network loop of Brian2's C++ template (2.9.0):
# - it reads the process CPU time (a system call) after every time step, only to
#   compare it with a maximum run time that stdpnet never sets; those reads took
#   ~15% of a test run. They are made once, after the loop.
# - it runs two clocks in the same time step when their times differ by at most
#   1e-14 s, an absolute bound: from t = 64 s on, k * slot and 700 k * dt drift
#   further apart in floating point, and a third of the slot starts of a
#   1,000-slot chunk then ran one step late (their own time point after the
#   step). The runtime device compares with 1e-4 of the smaller dt; so does this.
_CLOCK_IN_LOOP = ("        current = std::clock();\n"
                  "        elapsed_realtime = (double)(current - start)/(1 * CLOCKS_PER_SEC);\n")
_CLOCK_AFTER_LOOP = ("    current = std::clock();\n"
                     "    elapsed_realtime = (double)(current - start)/(1 * CLOCKS_PER_SEC);\n")
_LOOP_END = "    Network::_globally_running = false;\n"
_SAME_STEP = "if(s==t || fabs(s-t)<=Clock_epsilon)"
_SAME_STEP_DT = "if(s==t || fabs(s-t) < 1e-4 * fmin(minclock->dt[0], clock->dt[0]))"


class StandaloneDevice(CPPStandaloneDevice):
    """cpp_standalone with the two fixes above to its network loop. With
    ``precompiled_root`` set, every source reads the standard headers from
    a precompiled header kept there; ``standard_header`` is then (header,
    compiler flags) for ``precompiled.precompile`` to make before the compile."""

    precompiled_root: Path | None = None
    standard_header: tuple[Path, str] | None = None

    def generate_makefile(self, writer, compiler, compiler_flags, linker_flags, nb_threads, debug):
        if compiler != "msvc" and self.precompiled_root is not None:
            try:
                self.standard_header = (precompiled.header(self.precompiled_root, compiler_flags),
                                        compiler_flags)
                compiler_flags = f'{compiler_flags} -include "{self.standard_header[0]}"'
            except OSError:     # (a speed-up only: without the header, the same network)
                self.standard_header = None
        super().generate_makefile(writer, compiler, compiler_flags, linker_flags, nb_threads, debug)

    def generate_network_source(self, writer, compiler):
        network = self.code_object_class().templater.network(None, None, maximum_run_time=None)
        cpp = network.cpp_file
        if cpp.count(_SAME_STEP) != 1:
            raise RuntimeError("Brian2's network.cpp changed: check StandaloneDevice's clock fix")
        cpp = cpp.replace(_SAME_STEP, _SAME_STEP_DT)
        # (if a Brian2 version writes the loop differently, its code is kept as it is)
        if cpp.count(_CLOCK_IN_LOOP) == 1 and cpp.count(_LOOP_END) == 1:
            cpp = cpp.replace(_CLOCK_IN_LOOP, "").replace(_LOOP_END, _CLOCK_AFTER_LOOP + _LOOP_END)
        writer.write("network.*", SimpleNamespace(cpp_file=cpp, h_file=network.h_file))

    def code_object(self, owner, name, abstract_code, variables, template_name, variable_indices,
                    codeobj_class=None, template_kwds=None, **kwargs):
        # faster loops for thresholds and all-to-all synapses (stdpnet.engine.kernels)
        fast = (kernels.kernel(self, owner, name, template_name, template_kwds)
                if codeobj_class in (None, kernels.CPPStandaloneCodeObject) else None)
        if fast is not None:
            template_name, extra = fast
            template_kwds = {**(template_kwds or {}), **extra}
            codeobj_class = kernels.KernelCodeObject
        return super().code_object(owner, name, abstract_code, variables, template_name,
                                   variable_indices, codeobj_class=codeobj_class,
                                   template_kwds=template_kwds, **kwargs)

    def compile_source(self, directory, compiler, debug, clean):
        saved, cpp_standalone.os = cpp_standalone.os, _InterruptibleOs()
        try:
            return super().compile_source(directory, compiler, debug, clean)
        finally:
            cpp_standalone.os = saved

    def run(self, *args, **kwargs):
        # Ctrl-C is a KeyboardInterrupt at once (Brian2 resets its preferences
        # when a network is built, so this is set for every run): Brian2's
        # default turns the first one into a request to stop, which a compiled
        # binary may be too early or too late to honour
        prefs.core.stop_on_keyboard_interrupt = False
        saved, cpp_standalone.subprocess = cpp_standalone.subprocess, BinaryRunner
        try:
            return super().run(*args, **kwargs)
        finally:
            cpp_standalone.subprocess = saved

    # Brian2 names a run-argument file by its content, so two processes running
    # one binary with an equal array share the file, and the first to finish
    # would delete it under the other: the process id makes each one's own.
    def _prepare_variableview_run_arg(self, key, value):
        return _own_file(*super()._prepare_variableview_run_arg(key, value))

    def _prepare_timed_array_run_arg(self, key, value):
        return _own_file(*super()._prepare_timed_array_run_arg(key, value))


def device_source() -> str:
    """The source of the changes above (part of every build key)."""
    return (inspect.getsource(StandaloneDevice.generate_network_source) + _CLOCK_IN_LOOP
            + _CLOCK_AFTER_LOOP + _LOOP_END + inspect.getsource(StandaloneDevice.code_object)
            + inspect.getsource(kernels))


def _own_file(name, string_value, value_name, value_ar):
    if value_name:
        value_name = f"pid{os.getpid()}_{value_name}"
        string_value = os.path.join("static_arrays", value_name)
    return name, string_value, value_name, value_ar


