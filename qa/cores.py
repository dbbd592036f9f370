"""How many CPU cores this process may use (the default thread count for llama.cpp and ONNX Runtime)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """Cores in this process's affinity mask (respects taskset/cgroups), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
