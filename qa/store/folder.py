"""One index folder and everything in it. The only module that knows the folder's file names.

    <index>/store.sqlite (+ -wal, -shm)   documents, paragraphs, FTS5, vectors: the source of truth
    <index>/vectors-<generation>.faiss    the FAISS cache of the stored vectors
    <index>/manifest.json                  what made the index (``qa.store.manifest``)
    <index>/index.lock                     the writers' lock (``qa.store.lock``)
    <index>/uploads/                       files added through the app

Readers open it with ``open_for_search``; the indexer with ``open_for_writing`` under ``write_lock``.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qa.embed.windows import EMBED_TEXT_RECIPE
from qa.errors import QAError
from qa.parse.loaders import PARSER_VERSION
from qa.settings import EmbedSettings
from qa.store import manifest as manifest_io
from qa.store import vectors
from qa.store.lock import write_lock
from qa.store.manifest import Manifest
from qa.store.sqlite import SCHEMA_VERSION, Store

log = logging.getLogger(__name__)

DB_NAME = "store.sqlite"
LOCK_NAME = "index.lock"
UPLOADS_DIR = "uploads"


class IndexFolder:
    """The layout, manifest, lock and vector cache of one index folder."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def manifest_path(self) -> Path:
        return self.path / manifest_io.MANIFEST_NAME

    @property
    def uploads_dir(self) -> Path:
        """Where the app keeps uploaded files, so the index points at files that last."""
        return self.path / UPLOADS_DIR

    def exists(self) -> bool:
        """True when the folder holds a store and a manifest."""
        return self.db_path.exists() and self.manifest_path.exists()

    def require(self) -> None:
        """Raise a clear error when the folder holds no index."""
        if not self.db_path.exists() or self.read_manifest() is None:
            raise QAError(
                f"no index at {self.path}; build one with: qa index PATH... --index-dir {self.path}", exit_code=3
            )

    # ---- manifest -----------------------------------------------------------------------------
    def read_manifest(self) -> Manifest | None:
        return manifest_io.read(self.manifest_path)

    def write_manifest(self, manifest: Manifest) -> None:
        manifest_io.write(self.manifest_path, manifest)

    def check(self, expected: Manifest, *, strict_parser: bool) -> tuple[Manifest | None, list[str]]:
        """The manifest found (None for a new folder) and soft warnings; a mismatch is a QAError."""
        found = self.read_manifest()
        if found is None:
            return None, []
        return found, manifest_io.check(found, expected, self.path, strict_parser=strict_parser)

    # ---- opening ------------------------------------------------------------------------------
    def open_store(self, *, readonly: bool = False) -> Store:
        return Store(self.db_path, readonly=readonly)

    @contextmanager
    def write_lock(self, timeout_s: float = 0.0) -> Iterator[None]:
        """Hold the one-writer lock (``qa.store.lock.write_lock``), creating the folder if needed."""
        self.path.mkdir(parents=True, exist_ok=True)
        with write_lock(self.path / LOCK_NAME, timeout_s):
            yield

    def load_vectors(self, store: Store, dim: int) -> Any:
        """The FAISS cache for the store's generation, rebuilt from the store when missing or stale."""
        index = vectors.load(vectors.file_for(self.path, store.generation))
        if index is None:
            if store.generation:
                log.warning("vector file for generation %d is missing; rebuilding from the store",
                            store.generation)
            index = rebuild_vectors(store, dim)
        if index.d != dim:
            raise QAError(f"vector file in {self.path} has dimension {index.d}, the embedder {dim}", exit_code=3)
        return index

    def save_vectors(self, index: Any, generation: int) -> None:
        vectors.save(index, self.path, generation)

    def clear(self) -> None:
        """Delete the index's files (``--rebuild``); the folder, its lock and its uploads stay."""
        for pattern in (DB_NAME + "*", "vectors-*.faiss*", manifest_io.MANIFEST_NAME):
            for f in self.path.glob(pattern):
                f.unlink()
        shutil.rmtree(self.path / "tmp", ignore_errors=True)

    def describe(self, store: Store, manifest: Manifest) -> dict[str, Any]:
        """Documents, paragraphs, model and size of this index (``qa index --status`` and the app)."""
        counts = store.counts()
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        return {
            "index_dir": str(self.path),
            **counts,
            "embedder": manifest.embedder,
            "dim": manifest.dim,
            "parser_version": manifest.parser_version,
            "vector_index": manifest.vector_index,
            "created": manifest.created,
            "updated": manifest.updated,
            "generation": store.generation,
            "size_mb": round(size / 1e6, 1),
            "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }


def expected_manifest(embed: EmbedSettings, embedder_name: str, dim: int) -> Manifest:
    """What an index made with these settings and this embedder records (compared with what a
    folder holds): the parser, the embedder, the windows and the embedded-text recipe."""
    return Manifest(SCHEMA_VERSION, PARSER_VERSION, embedder_name, dim, with_subject=embed.with_subject,
                    window_tokens=embed.window_tokens, window_overlap=embed.window_overlap,
                    embed_text=EMBED_TEXT_RECIPE)


def rebuild_vectors(store: Store, dim: int, spec: vectors.IndexSpec | None = None) -> Any:
    """A FAISS index holding every vector in the store (after a crash, or when the index type changes)."""
    n = store.counts()["vectors"]
    spec = spec or vectors.spec_for(n)
    training = None
    if spec.kind != "flat":
        sample = []
        for _, mat in store.iter_vectors():
            sample.append(mat[:: max(1, n // (spec.nlist * 40))])
        training = np.vstack(sample)
    index = vectors.new_index(spec, dim, training)
    for ids, mat in store.iter_vectors():
        index.add_with_ids(mat, ids)
    if n:
        log.info("rebuilt the %s vector index from %d stored vectors", spec.kind, n)
    return index
