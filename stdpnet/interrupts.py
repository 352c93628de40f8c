"""Ctrl-C (and SIGTERM, what ``kill``, ``timeout`` and batch schedulers
send) that cannot be lost.

Python drops an exception raised inside some callbacks (the handlers it runs
around ``fork``, finalisers), so a Ctrl-C landing there would vanish and the
compiled network it meant to stop would run on. The handler below also
latches the request; the presentation loop checks the latch after every
chunk and raises it again. A KeyboardInterrupt raised while C code runs
Python (``os.fspath`` calling ``__fspath__``) can also come out as another
error (a SystemError); the command line reads the latch to call it what it
is (``console.friendly``). SIGTERM is handled as Ctrl-C, so the same
clean-up runs (a run replaced with ``--force`` is put back if the new one
had not started)."""
from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager

_requested = False
_signal = signal.SIGINT   # the signal that asked
_owner = None             # the process that installed the handlers


def _on_signal(signum, frame):
    global _requested, _signal
    if signum == signal.SIGTERM and os.getpid() != _owner:
        # a forked worker (parallel scoring), which its pool ends with SIGTERM: end quietly
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _requested, _signal = True, signum
    raise KeyboardInterrupt


def _quiet_if_latched(unraisable, default=sys.unraisablehook):
    # the dropped Ctrl-C is latched, not lost: no traceback for it
    if not (_requested and isinstance(unraisable.exc_value, KeyboardInterrupt)):
        default(unraisable)


def install() -> None:
    """Latch every SIGINT and SIGTERM from now on (only the main thread may set them)."""
    global _requested, _signal, _owner
    _requested, _signal, _owner = False, signal.SIGINT, os.getpid()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
        sys.unraisablehook = _quiet_if_latched


def exit_status() -> int:
    """The shell's status for a command ended by the signal that asked: 130
    for Ctrl-C (SIGINT), 143 for SIGTERM."""
    return 128 + int(_signal)


def requested() -> bool:
    """Whether Ctrl-C came since ``install``."""
    return _requested


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C came and was swallowed on its way."""
    if _requested:
        raise KeyboardInterrupt


@contextmanager
def held():
    """Hold Ctrl-C and SIGTERM back during a short block that must finish
    whole (a record's files moving into place): a signal that comes
    meanwhile is noted, and sent again, to the handler it was meant for,
    as the block ends. (Python runs signal handlers in the main thread
    whichever thread the signal reached, so this holds where blocking the
    signal in one thread would not.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came = []
    before = {s: signal.signal(s, lambda signum, frame: came.append(signum))
              for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        if came:
            signal.raise_signal(came[0])
