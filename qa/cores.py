"""How many CPU cores this process may use (the default thread count for llama.cpp and ONNX Runtime)."""

from __future__ import annotations

import collections
import functools
import os
import threading


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
    """How many cores other programs leave free: the CPU time all processes used (/proc/stat) minus
    this process's own, read every ``SAMPLE_S`` by a background thread. Only load that lasted counts:
    the least of the samples over the last ``LASTING_S``. A busy loop or another model shows in every
    sample and takes a core; a burst (a browser drawing the page, a screenshot, a file save) shows in
    one or two and does not, where a single window since the last question would count it whole and
    run the next answer on fewer threads. A question pays no pause (only one asked within the first
    sample after start waits for it)."""

    SAMPLE_S = 0.5
    LASTING_S = 2.0

    def __init__(self) -> None:
        import weakref

        keep = max(1, round(self.LASTING_S / self.SAMPLE_S))
        self._samples: collections.deque[float] = collections.deque(maxlen=keep)
        self._first = threading.Event()
        stop = threading.Event()
        # the thread holds the samples, not self, so a dropped watch stops its thread
        thread = threading.Thread(target=_sample_load, args=(self._samples, self._first, stop, self.SAMPLE_S),
                                  name="cableqa-load-watch", daemon=True)
        weakref.finalize(self, stop.set)
        thread.start()

    def others_busy(self) -> float:
        """Cores' worth of CPU time other processes kept busy through the last ``LASTING_S`` (the least
        sample; 0.0 where /proc/stat cannot be read)."""
        self._first.wait(timeout=2 * self.SAMPLE_S)
        samples = list(self._samples)
        return min(samples) if samples else 0.0

    def free_cores(self) -> int:
        """Usable cores minus the cores other processes kept busy lately (at least 1)."""
        cores = usable_cores()
        return max(1, min(cores, cores - round(self.others_busy())))


def _sample_load(samples: collections.deque[float], first: threading.Event, stop: threading.Event,
                 every_s: float) -> None:
    """Append other processes' load (cores' worth) over each ``every_s`` to ``samples`` until ``stop``."""
    import time

    clock_tick = os.sysconf("SC_CLK_TCK")

    def read() -> tuple[tuple[float, float] | None, float, float]:
        return _cpu_times(), time.process_time(), time.monotonic()

    last = read()
    if last[0] is None:
        first.set()  # nothing to read: others_busy reports no load rather than waiting
        return
    while not stop.wait(every_s):
        now = read()
        if now[0] is None or now[2] <= last[2]:
            break
        busy_s = (now[0][0] - last[0][0]) / clock_tick
        samples.append(max(0.0, busy_s - (now[1] - last[1])) / (now[2] - last[2]))
        first.set()
        last = now
    first.set()


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
