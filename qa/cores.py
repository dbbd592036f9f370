"""How many CPU cores this process may use (the default thread count for llama.cpp and ONNX Runtime)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """Cores in this process's affinity mask (respects taskset/cgroups), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat; None where it cannot be read."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [float(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def idle_cores(sample_s: float = 0.25) -> int:
    """Cores no process used over a short sample (at least 1; all usable cores where /proc/stat cannot
    be read). Other programs' load, when this process is not computing."""
    import time

    cores = usable_cores()
    first = _cpu_times()
    if first is None:
        return cores
    time.sleep(sample_s)
    second = _cpu_times()
    if second is None or second[1] <= first[1]:
        return cores
    online = os.cpu_count() or cores
    busy = online * (second[0] - first[0]) / (second[1] - first[1])
    return max(1, min(cores, round(online - busy)))
