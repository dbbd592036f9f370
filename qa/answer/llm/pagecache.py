"""Having the model file in memory before the first question, not read from disk during it.

llama.cpp maps the GGUF file (``mmap``) and asks the kernel to prefetch it (``madvise WILLNEED``) while
it loads. After a reboot, or once other programs have pushed the file out of the page cache, the first
question still ran slower than with the file cached: on the browser test's first question one run on an
Intel Xeon with AMX took 5.1 s after "ready" against about 3.0 s (the file evicted with ``evict``).
``read_through`` reads the file once, sequentially, while the app is still "loading model". Measured
by ``bench/cold_model.py`` (AMD EPYC): with disk reads throttled to 200 MB/s, the first prompt after an
evicted start took 3.11 s with llama.cpp's prefetch alone and 2.54 s with the read-through first (2.7 s
with the file cached); on a fast disk the two are within noise. Reading a file already in the cache
costs a copy (0.16 s for the 1.1 GB model there), and it is done once per file per process (three model
instances share one file).

``resident_fraction`` and ``evict`` look at and drop a file's cached pages (Linux ``mincore`` and
``posix_fadvise``), for the tests and benchmarks that check the cold case.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import threading
import time
from pathlib import Path

CHUNK = 16 << 20  # 16 MiB a read: large enough for the disk's readahead, small enough to not matter in RSS
_READ: set[tuple[str, int, int]] = set()  # (path, size, mtime) read through in this process
_READ_LOCK = threading.Lock()


def read_through(path: Path | str) -> float | None:
    """Read ``path`` once, sequentially, so its pages sit in the page cache; the seconds it took, or
    ``None`` when this process already did it for this file (same size and modification time).
    Errors are left to whoever opens the file next (a missing model has its own message)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _READ_LOCK:
        if key in _READ:
            return None
        started = time.perf_counter()
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        try:
            with p.open("rb", buffering=0) as f:
                if hasattr(os, "posix_fadvise"):  # ask the kernel for large readahead
                    os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
                while f.readinto(view):
                    pass
        except OSError:
            return None
        _READ.add(key)
        return time.perf_counter() - started


def resident_fraction(path: Path | str) -> float:
    """The share of ``path``'s pages now in the page cache (0.0-1.0), through Linux ``mincore`` on a
    read-only mapping of it (mapping a file reads nothing)."""
    size = Path(path).stat().st_size
    if size == 0:
        return 1.0
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                          ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    vec = (ctypes.c_ubyte * pages)()
    with open(path, "rb") as f:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, f.fileno(), 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap failed", str(path))
        try:
            if libc.mincore(addr, size, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore failed", str(path))
        finally:
            libc.munmap(addr, size)
    return sum(v & 1 for v in vec) / pages


def evict(path: Path | str) -> None:
    """Ask the kernel to drop ``path``'s clean cached pages (those no process has mapped), as after a
    reboot; for tests and benchmarks of the cold case. Forgets that this process read it through."""
    p = Path(path)
    with p.open("rb") as f:
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    with _READ_LOCK:
        _READ.difference_update({k for k in _READ if k[0] == str(p.resolve())})
