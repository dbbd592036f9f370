"""The FAISS side of an index: a cache of the vectors stored in SQLite, keyed by vector id.

The index type follows the collection's size: exact inner product (flat) below
``IVF_THRESHOLD`` vectors; beyond it, IVF with scalar-quantised (8-bit) vectors, about 4·√N cells and
``nprobe`` chosen for recall ≥ 0.95 (``bench/scale.py`` measures it), so three million paragraphs fit
a laptop (3M x 384 bytes ≈ 1.2 GB). Both kinds support ``remove_ids``, which incremental indexing needs.

Files are named ``vectors-<generation>.faiss``: the loader uses the one matching the store's
generation and rebuilds from SQLite otherwise, so a file is never trusted after a crash.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)

IVF_THRESHOLD = 200_000


@dataclass
class IndexSpec:
    """What kind of FAISS index to build; recorded in the manifest."""

    kind: str  # "flat" or "ivf-sq8"
    nlist: int = 0
    nprobe: int = 0

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "nlist": self.nlist, "nprobe": self.nprobe}


def spec_for(n_vectors: int) -> IndexSpec:
    """The index type for a collection of this size."""
    if n_vectors < IVF_THRESHOLD:
        return IndexSpec("flat")
    nlist = int(4 * math.sqrt(n_vectors))
    # nprobe ~ 2.5% of the cells gave recall@10 ≥ 0.95 against exact search in bench/scale.py.
    return IndexSpec("ivf-sq8", nlist=nlist, nprobe=max(16, nlist // 40))


def new_index(spec: IndexSpec, dim: int, training: np.ndarray | None = None) -> faiss.Index:
    """An empty index of this spec (IVF indexes are trained on ``training``)."""
    if spec.kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, spec.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    if training is None or len(training) < spec.nlist:
        raise ValueError("an IVF index needs at least nlist training vectors")
    index.train(np.ascontiguousarray(training, dtype=np.float32))
    index.nprobe = spec.nprobe
    return index


def spec_of(index: faiss.Index) -> IndexSpec:
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is None:
        return IndexSpec("flat")
    return IndexSpec("ivf-sq8", nlist=ivf.nlist, nprobe=ivf.nprobe)


def file_for(index_dir: Path, generation: int) -> Path:
    return index_dir / f"vectors-{generation}.faiss"


def save(index: faiss.Index, index_dir: Path, generation: int) -> Path:
    """Write atomically (temp file, fsync, rename), then delete files of older generations."""
    target = file_for(index_dir, generation)
    tmp = target.with_suffix(".faiss.tmp")
    faiss.write_index(index, str(tmp))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    for old in index_dir.glob("vectors-*.faiss"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def load(path: Path) -> faiss.Index | None:
    """The saved index at ``path`` (``file_for``), or None when it is missing or unreadable."""
    if not path.exists():
        return None
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:  # FAISS raises RuntimeError on truncated or corrupt files
        log.warning("FAISS file %s is unreadable (%s); rebuilding it from the store", path, exc)
        return None


def search(
    index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, vector ids) for one query; ``allowed`` restricts the search to those ids.

    Restricting inside FAISS (an ID selector) rather than filtering afterwards is what keeps ``k``
    results coming back when a filter is selective.
    """
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    if index.ntotal == 0 or k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    with _one_thread():
        return _search(index, q, k, allowed)


@contextmanager
def _one_thread() -> Iterator[None]:
    """One OpenMP thread while FAISS searches one query: more only wait on each other. On 2 cores and the
    68k vectors of the 6,712 cables, a question's two flat searches (main and period) took 11.5 ms p50
    with 2 threads and 4.5 ms with 1. The setting is process-wide, so it is put back at once."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _search(index: faiss.Index, q: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if allowed is None:
        scores, ids = index.search(q, k)
    else:
        if len(allowed) == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        ivf = faiss.try_extract_index_ivf(index)
        if ivf is not None:
            params = faiss.SearchParametersIVF(
                sel=sel, nprobe=ivf.nlist if len(allowed) < 10_000 else ivf.nprobe
            )
        else:
            params = faiss.SearchParameters(sel=sel)
        scores, ids = index.search(q, k, params=params)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
