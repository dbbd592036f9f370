"""One index folder and everything in it. The only module that knows the folder's file names.

    <index>/index.lock                     the writers' lock (``qa.store.lock``)
    <index>/uploads/                       files added through the app
    <index>/current -> data-<stamp>/       the data in use, when the index was ever rebuilt; else the
                                           data files stand in <index>/ itself:
        store.sqlite (+ -wal, -shm)        documents, paragraphs, FTS5, vectors: the source of truth
        vectors-<generation>.faiss         the FAISS cache of the stored vectors
        manifest.json                      what made the index (``qa.store.manifest``)

A rebuild writes a new ``data-<stamp>/`` beside the data in use, which serves searches meanwhile, and
``publish`` switches ``current`` to it in one rename: a crash at any moment leaves the old index or
the new one, never none. An ``IndexFolder`` resolves ``current`` once, when made, so a reader keeps
reading the data it opened; ``IndexFolder(path).data != opened.data`` tells it a rebuild happened.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
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
from qa.store.schema import SCHEMA_VERSION
from qa.store.sqlite import Store

log = logging.getLogger(__name__)

DB_NAME = "store.sqlite"
LOCK_NAME = "index.lock"
UPLOADS_DIR = "uploads"
CURRENT = "current"
DATA_PREFIX = "data-"
_DATA_FILES = (DB_NAME + "*", "vectors-*.faiss*", manifest_io.MANIFEST_NAME)


class IndexFolder:
    """The layout, manifest, lock and vector cache of one index folder."""

    def __init__(self, path: Path | str, data: Path | None = None) -> None:
        self.path = Path(path)
        self.data = data if data is not None else self._resolve()

    def _resolve(self) -> Path:
        link = self.path / CURRENT
        if link.is_symlink():
            return self.path / os.readlink(link)
        return self.path  # an index never rebuilt keeps its data files at the top

    @property
    def db_path(self) -> Path:
        return self.data / DB_NAME

    @property
    def manifest_path(self) -> Path:
        return self.data / manifest_io.MANIFEST_NAME

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
        """The SQLite store, checked before use: its tables answer, and it holds documents when the
        manifest records vectors; a writer also gets SQLite's ``quick_check``. A reader
        (``readonly``) never creates or changes the store; a damaged one is a QAError with the
        command that repairs it, and a writer never touches one either."""
        exists = self.db_path.is_file()
        if readonly and not exists:
            self.require()
        manifest = self.read_manifest()
        if exists and (manifest is not None or self.db_path.stat().st_size):
            self._verify(manifest, thorough=not readonly)
        try:
            return Store(self.db_path, readonly=readonly, uploads_dir=self.uploads_dir)
        except sqlite3.DatabaseError as exc:
            raise self.damaged(exc) from exc

    def _verify(self, manifest: Manifest | None, *, thorough: bool) -> None:
        try:
            store = Store(self.db_path, readonly=True)
        except sqlite3.DatabaseError as exc:
            raise self.damaged(exc) from exc
        try:
            problem = store.problem(thorough=thorough)
            recorded = int((manifest.vector_index if manifest else {}).get("ntotal") or 0)
            if problem is None and recorded and not store.counts()["documents"]:
                problem = f"it holds no documents, while the manifest records {recorded:,} vectors"
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
        finally:
            store.close()
        if problem is not None:
            raise self.damaged(problem)

    def damaged(self, problem: object) -> QAError:
        """The error for a store SQLite cannot read: what is wrong and how to repair it."""
        return QAError(f"the index store {self.db_path} is damaged ({problem}); "
                       + manifest_io.REBUILD_HINT.format(dir=self.path), exit_code=3)

    @contextmanager
    def write_lock(self, timeout_s: float = 0.0) -> Iterator[None]:
        """Hold the one-writer lock (``qa.store.lock.write_lock``), creating the folder if needed."""
        self.path.mkdir(parents=True, exist_ok=True)
        with write_lock(self.path / LOCK_NAME, timeout_s):
            yield

    def load_vectors(self, store: Store, dim: int) -> Any:
        """The FAISS cache for the store's generation, rebuilt from the store when missing or stale."""
        index = vectors.load(vectors.file_for(self.data, store.generation))
        if index is None:
            if store.generation:
                log.warning("vector file for generation %d is missing; rebuilding from the store",
                            store.generation)
            index = rebuild_vectors(store, dim)
        if index.d != dim:
            raise QAError(f"vector file in {self.path} has dimension {index.d}, the embedder {dim}", exit_code=3)
        return index

    def save_vectors(self, index: Any, generation: int) -> None:
        vectors.save(index, self.data, generation)

    # ---- rebuilding ---------------------------------------------------------------------------
    def staging(self) -> IndexFolder:
        """A new, empty data folder beside the one in use, for a rebuild (``publish`` makes it current)."""
        self.path.mkdir(parents=True, exist_ok=True)
        made = tempfile.mkdtemp(prefix=f"{DATA_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-", dir=self.path)
        return IndexFolder(self.path, Path(made))

    def publish(self, staged: IndexFolder) -> None:
        """Make ``staged`` this folder's index in one step (a link replaced by a rename), then delete
        the data it replaces. Readers that opened the old data keep it until they refresh."""
        tmp = self.path / f".{CURRENT}.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(staged.data.name, tmp)  # relative, so the whole index folder can be moved
        os.replace(tmp, self.path / CURRENT)
        _sync_dir(self.path)
        old, self.data = self.data, staged.data
        self._remove_data(old)

    def remove_stale(self) -> list[str]:
        """Data folders a killed rebuild left behind (call under the write lock); their names."""
        stale = [d for d in self.path.glob(DATA_PREFIX + "*") if d.is_dir() and d != self.data]
        for d in stale:
            shutil.rmtree(d, ignore_errors=True)
        if self.data != self.path:  # the top-level files a rebuild of an older layout left
            self._remove_data(self.path)
        return [d.name for d in stale]

    def discard(self) -> None:
        """Delete a staged data folder that will not be published."""
        if self.data != self.path:
            shutil.rmtree(self.data, ignore_errors=True)

    def _remove_data(self, where: Path) -> None:
        if where != self.path:
            shutil.rmtree(where, ignore_errors=True)
            return
        for pattern in _DATA_FILES:
            for f in where.glob(pattern):
                f.unlink(missing_ok=True)

    def describe(self, store: Store, manifest: Manifest) -> dict[str, Any]:
        """Documents, paragraphs, model and size of this index (``qa index --status`` and the app)."""
        counts = store.counts()
        size = sum(f.stat().st_size for f in self.data.iterdir() if f.is_file())
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
            "left_out": store.file_notes(),  # what indexing skipped, file by file, until fixed
        }


def _sync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename) to disk, so a power cut cannot undo a published switch."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
