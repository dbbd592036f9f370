"""The model file is in memory before the first question (issue 15 point 5: no cold first answer)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.answer.llm.pagecache import evict, read_through, resident_fraction

ROOT = Path(__file__).resolve().parents[2]
MODEL_CACHE = ROOT / ".cache" / "cableqa"


def cold_file(folder: Path, mib: int = 24) -> Path:
    """A file of ``mib`` MiB on disk, written, synced and dropped from the page cache."""
    path = folder / "weights.bin"
    with path.open("wb") as f:
        f.write(os.urandom(mib << 20))
        f.flush()
        os.fsync(f.fileno())  # only clean pages can be dropped
    evict(path)
    return path


def test_read_through_brings_an_evicted_file_into_memory_once(tmp_path):
    path = cold_file(tmp_path)
    if resident_fraction(path) > 0.5:  # a file system that keeps files in memory (tmpfs)
        pytest.skip(f"{tmp_path} does not drop cached pages")
    took = read_through(path)
    assert took is not None and took >= 0
    assert resident_fraction(path) > 0.99
    assert read_through(path) is None  # once per file and process
    evict(path)
    assert resident_fraction(path) < 0.5
    assert read_through(path) is not None  # evicting forgets it was read


def test_a_changed_file_is_read_again(tmp_path):
    path = cold_file(tmp_path, mib=1)
    assert read_through(path) is not None
    path.write_bytes(b"x" * 4096 * 3)  # another size: another file to the cache key
    assert read_through(path) is not None


def test_missing_and_empty_files_are_left_to_the_loader(tmp_path):
    assert read_through(tmp_path / "absent.gguf") is None
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    assert resident_fraction(empty) == 1.0
    assert read_through(empty) is not None


@pytest.mark.slow
def test_loading_the_real_model_reads_its_file_through_first():
    """Evicted, then loaded as ``qa serve`` loads it: the load read the file through (so a second read
    in this process is skipped) and all of it is resident before any prompt runs. llama.cpp's own
    prefetch (``madvise WILLNEED``) also leaves it resident; what the read adds is time, measured by
    ``bench/cold_model.py``: with disk reads at 200 MB/s the first prompt after an evicted start took
    3.11 s without it and 2.54 s with it (warm: 2.7 s)."""
    from qa.answer.llm.llama import LlamaGenerator
    from qa.answer.llm.weights import resolve_model

    model = resolve_model(None, MODEL_CACHE)
    evict(model)
    LlamaGenerator(model, n_ctx=512, threads=1, repack="off").load()
    assert read_through(model) is None  # already read by the load
    assert resident_fraction(model) > 0.99
