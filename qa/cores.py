"""How many CPU cores this process may use (the default thread count for llama.cpp and ONNX Runtime)."""

from __future__ import annotations

import functools
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


class LoadWatch:
    """How many cores other programs leave free, from the CPU time all processes used (/proc/stat)
    minus this process's own since the last reading. The time between two questions is the sample,
    so a question pays no pause (only one asked within 0.3 s of the last waits out the rest), and a
    lasting load from another program shows however long the user paused."""

    MIN_WINDOW_S = 0.3

    def __init__(self) -> None:
        self._last = self._read()

    @staticmethod
    def _read() -> tuple[tuple[float, float] | None, float, float]:
        import time

        return _cpu_times(), time.process_time(), time.monotonic()

    def others_busy(self) -> float:
        """Cores' worth of CPU time other processes used since the last reading."""
        import time

        now = self._read()
        if now[2] - self._last[2] < self.MIN_WINDOW_S:
            time.sleep(self.MIN_WINDOW_S - (now[2] - self._last[2]))
            now = self._read()
        before, self._last = self._last, now
        if before[0] is None or now[0] is None:
            return 0.0
        busy_s = (now[0][0] - before[0][0]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, busy_s - (now[1] - before[1])) / (now[2] - before[2])

    def free_cores(self) -> int:
        """Usable cores minus the cores other processes kept busy since the last call (at least 1)."""
        cores = usable_cores()
        return max(1, min(cores, cores - round(self.others_busy())))


def cpu_flags() -> list[str]:
    """The CPU features speed figures depend on (AVX2, AVX-512, VNNI, AMX), as /proc/cpuinfo lists them."""
    import re
    from pathlib import Path

    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    return sorted(set(re.findall(r"\b(avx2|avx512_vnni|avx512f|amx_int8)\b", text)))


@functools.cache
def llama_build() -> str:
    """What the installed llama.cpp was compiled for (``AVX512 = 1`` only in a build with AVX-512
    kernels; a build made with AVX-512 off runs the AVX2 kernels an AVX2-only CPU gets)."""
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode(errors="replace").strip()
