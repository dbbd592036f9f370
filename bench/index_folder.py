"""Where a benchmark keeps its index: the folder the user gave (reused; indexing is incremental) or a
temporary one, removed when the process exits."""

from __future__ import annotations

import tempfile
from pathlib import Path

_TEMPORARY: list[tempfile.TemporaryDirectory] = []  # referenced until exit, then cleaned up


def index_folder(given: Path | None, prefix: str) -> Path:
    """``given``, or a new temporary folder named ``prefix...``."""
    if given is not None:
        return given
    tmp = tempfile.TemporaryDirectory(prefix=prefix)
    _TEMPORARY.append(tmp)
    return Path(tmp.name)
