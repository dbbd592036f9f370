"""One writer per index: an advisory file lock, so a second ``qa index`` waits or stops clearly."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import QAError


@contextmanager
def write_lock(path: Path, timeout_s: float = 0.0) -> Iterator[None]:
    """Hold the index's write lock; after ``timeout_s`` seconds of waiting, raise a QAError.

    The kernel releases the lock when the holder dies (even by kill -9), so a crash never leaves the
    index locked.
    """
    index_dir = path.parent
    fh = open(path, "a+")  # noqa: SIM115 - held for the whole block
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "unknown"
                    raise QAError(
                        f"another qa index is writing to {index_dir} (pid {holder}); wait for it to finish "
                        "or pass --wait SECONDS",
                        exit_code=5,
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()
