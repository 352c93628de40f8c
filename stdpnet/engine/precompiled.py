"""A precompiled header of the C++ standard library for the compiled networks.

Each of a network's forty-odd source files includes ``<random>``,
``<iostream>`` and the like, and parsing those headers is most of the time
a compile takes. GCC reads a precompiled copy instead when ``-include
HEADER`` names a header with a valid ``HEADER.gch`` beside it. One is made
per compiler and set of flags, in the compile cache, and kept there.

A compiler that cannot make or read the ``.gch`` reads the header as text:
the network compiles to the same code, only more slowly.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shlex
import subprocess
from pathlib import Path

# every standard header a generated network source includes (Brian2 2.9.0)
HEADERS = ("algorithm", "climits", "cmath", "csignal", "cstdlib", "ctime", "fstream", "iostream",
           "map", "random", "set", "string", "tuple", "utility", "vector")
NAME = "stdpnet_std.h"


def header(root: Path, flags: str) -> Path:
    """The header for compiles with ``flags`` by ``$CXX``: ``root/<hash>/stdpnet_std.h``,
    the hash of the flags, the compiler, its version and the header's text,
    so another compiler or a changed header never meets an old ``.gch``;
    written if missing (nothing is compiled here)."""
    text = "".join(f"#include <{name}>\n" for name in HEADERS)
    key = "\n".join((flags, compiler(), compiler_version(compiler()), text))
    path = root / hashlib.sha256(key.encode()).hexdigest()[:16] / NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, text.encode())
    return path


def compiler() -> str:
    """The C++ compiler make runs: ``$CXX``, else g++."""
    return os.environ.get("CXX", "g++")


@functools.lru_cache(maxsize=None)
def compiler_version(cxx: str) -> str:
    """The first line ``cxx --version`` prints ("" where it does not run)."""
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.splitlines()[0] if out else ""


def precompile(path: Path, flags: str) -> bool:
    """Compile ``path`` into ``path.gch`` with ``flags`` (by ``$CXX``, as make
    does) unless it is there; whether a ``.gch`` is there afterwards. A failed
    compile leaves none."""
    gch = path.with_name(path.name + ".gch")
    if gch.exists():
        return True
    scratch = gch.with_name(f"pid{os.getpid()}_{gch.name}")   # (a killed one's: cache.remove_stale_files)
    command = [compiler(), "-x", "c++-header", *shlex.split(flags),
               str(path), "-o", str(scratch)]
    try:
        if subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            os.replace(scratch, gch)    # whole or not at all, for a process compiling beside this one
            return True
    except OSError:     # no such compiler (make will say so), or the folder went
        pass
    scratch.unlink(missing_ok=True)
    return False


def _replace(path: Path, data: bytes) -> None:
    scratch = path.with_name(f"pid{os.getpid()}_{path.name}")
    scratch.write_bytes(data)
    os.replace(scratch, path)
