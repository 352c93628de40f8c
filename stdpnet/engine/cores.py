"""How many processes a command may run at once: the CPU cores this
process may use (``taskset`` limits them)."""
from __future__ import annotations

import os


def usable_cores() -> list[int]:
    """The CPU cores this process may use (``taskset`` limits them), in
    order; empty where the system does not say."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def default_jobs() -> int:
    """How many CPU cores this process may use."""
    return len(usable_cores()) or os.cpu_count() or 1
