"""The compile cache: one compiled binary per network shape and mode.

A build folder is named by ``build_key``: a hash of everything that changes
the generated code (model parameters, the source of the model modules, the
device's network loop and the Brian2 version), but not of the run-time
parameters (learning rates, targets, lateral inhibition strengths), which
travel as ``run_args``. Within a folder, ``generated_digest`` tells whether the
generated C++ differs from what the binary was compiled from, so a later
process reuses the binary without calling the compiler.
"""
from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

import brian2

from ..model import ensemble, integration, neurons, plasticity, schedule
from ..model.plasticity import StdpRule
from ..spec import Spec
from .device import device_source


def cache_root() -> Path:
    """Compiled networks: ``$STDPNET_CACHE`` or ``~/.cache/stdpnet``."""
    return Path(os.environ.get("STDPNET_CACHE", Path.home() / ".cache" / "stdpnet"))


@contextmanager
def build_lock(build_dir: Path, exclusive: bool):
    """Held exclusively while a network is generated and compiled into
    ``build_dir``, shared while one of its binaries runs: processes run one
    binary side by side, and none rewrites or relinks it under another.

    A process waiting to build closes a gate that shared holders pass on
    their way in, so that sweep workers running chunk after chunk cannot
    keep it waiting: it waits for the chunks already running, not for those
    started after it asked (``flock`` alone would let them in ahead of it)."""
    path = Path(str(build_dir) + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(Path(str(build_dir) + ".gate"), "a") as gate, open(path, "a") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        if not exclusive:
            fcntl.flock(gate, fcntl.LOCK_UN)  # passed the gate
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)


_PID_FILE = re.compile(r"^(?:results_|pid)(\d+)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def binaries_running(cache: Path) -> list[int]:
    """Pids of compiled networks running from the compile cache ``cache``
    (Linux: read from /proc; an empty list elsewhere)."""
    found = []
    proc_root = Path("/proc")
    for proc in proc_root.iterdir() if proc_root.is_dir() else ():
        if proc.name.isdigit():
            try:
                if str(cache) in str((proc / "cwd").resolve()) and (proc / "exe").resolve().name == "main":
                    found.append(int(proc.name))
            except OSError:
                pass
    return found


def remove_stale_files(build_dir: Path) -> int:
    """Delete the per-process files of processes that are gone (a killed run
    leaves its ``results_<pid>/`` folder and ``static_arrays/pid<pid>_*``
    argument files behind, a killed build its ``pid<pid>_*`` folder of
    generated code, a killed precompile its ``pid<pid>_*.gch``); returns how
    many were removed. No lock is needed: no live process uses them."""
    import shutil

    removed = 0
    for folder in (Path(build_dir), Path(build_dir) / "static_arrays"):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            match = _PID_FILE.match(path.name)
            if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed += 1
    return removed


def build_key(spec: Spec, rule: StdpRule, n_input: int, slots: int, learning: bool = True) -> str:
    """Everything that changes the generated code: model parameters and source
    (``rule``: the ensemble's STDP rule, derived from ``spec.plasticity``)."""
    d = spec.to_dict()
    model = {k: d[k] for k in ("input", "excitatory", "inhibitory", "connections", "plasticity")}
    model["connections"] = {k: v for k, v in d["connections"].items()
                            if k not in ("exc_to_inh", "inh_to_exc")}
    model["schedule"] = {k: v for k, v in d["schedule"].items()
                         if k not in ("checkpoint_every", "dt_ms", "test_dt_ms")}
    model["schedule"]["dt_ms"] = spec.schedule.dt_for(learning)   # the step of this network
    # a dense learning network leaves the mask out; only the correlation criterion accumulates corr
    model["compression"] = {k: d["compression"][k] for k in ("enabled", "criterion")}
    # learning rates, targets and inhibition strengths are run-time parameters
    model["plasticity"] = {k: v for k, v in d["plasticity"].items() if not rule.is_run_time(k)}
    source = "".join(inspect.getsource(m) for m in (neurons, plasticity, schedule, ensemble, integration))
    blob = json.dumps([model, n_input, slots, brian2.__version__, source, rule.on_pre,
                       rule.on_post, device_source(), learning], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# Brian2 numbers the names of internal objects (code objects, clocks, the
# network) "_1", "_2", ... when an earlier network is still alive in the same
# process. Such names do not change what the program computes, nor do the
# checksums that follow array names in result file names (crc32 of the
# numbered name), nor the order in which a block of clock resets is written
# (it follows a set). The digest ignores all three, so that a second network
# of the same shape in one process reuses the compiled binary.
_RENAMED = re.compile(rb"(_codeobject|_clock|\bnetwork)_\d+(?![0-9])")
_FILE_CHECKSUM = re.compile(rb'("[^"\n]*_array_\w+?)_\d+"')
_CLOCK_RESET = re.compile(rb"^\s*_array_\w*clock_(timestep|t)\[0\] = 0(\.0)?;$")


def _normalised(source: bytes) -> bytes:
    lines = _FILE_CHECKSUM.sub(rb'\1"', _RENAMED.sub(rb"\1", source)).split(b"\n")
    out, block = [], []
    for line in lines + [b""]:
        if _CLOCK_RESET.match(line):
            block.append(line)
            continue
        out += sorted(block) + [line]
        block = []
    return b"\n".join(out[:-1])


def _makefile_sources(build_dir: Path) -> tuple[str, list[str]]:
    """The makefile's text and the sources it compiles (paths relative to ``build_dir``)."""
    makefile = (Path(build_dir) / "makefile").read_text()
    names = []
    for line in makefile.splitlines():
        if line.startswith(("SRCS =", "H_SRCS =")):
            names += line.split("=", 1)[1].split()
    return makefile, names


def remove_unused_sources(build_dir: Path) -> int:
    """Delete generated code objects that neither the makefile lists nor a
    compiled object file stands beside (each process that renumbers Brian2's
    names writes a new set, which the digest then finds equal to the compiled
    one); returns how many were removed. Call it with the build folder locked
    exclusively, after generating."""
    listed = {Path(build_dir, name) for name in _makefile_sources(build_dir)[1]}
    removed = 0
    for path in Path(build_dir, "code_objects").glob("*"):
        if path.suffix in (".cpp", ".h") and path not in listed and not path.with_suffix(".o").exists():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def generated_digest(build_dir: Path) -> str:
    """Hash of the sources the makefile compiles, normalised as above."""
    makefile, names = _makefile_sources(build_dir)
    h = hashlib.sha256(_RENAMED.sub(rb"\1", makefile.encode()))
    for name in sorted(names, key=lambda n: _RENAMED.sub(rb"\1", n.encode())):
        h.update(_RENAMED.sub(rb"\1", name.encode()))
        h.update(_normalised((Path(build_dir) / name).read_bytes()))
    return h.hexdigest()


COMPILED_FROM = "compiled_from.sha256"   # beside a binary: the digest of its sources


def compiled_from(build_dir: Path) -> str | None:
    """``generated_digest`` of the sources ``build_dir``'s binary was compiled from (None: no binary)."""
    stamp = Path(build_dir) / COMPILED_FROM
    return stamp.read_text() if (Path(build_dir) / "main").exists() and stamp.exists() else None
