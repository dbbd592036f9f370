"""Incremental indexing in two phases: first the text, then the vectors.

1. **Text.** Files are parsed and their documents, paragraphs and full-text (FTS5) rows committed in
   batches; the manifest is written when the phase ends, so lexical search, ``qa ask`` and the app
   work at once (6,712 cables take well under a minute).
2. **Vectors.** Every paragraph that has no vector yet is embedded, in batches, each committed with
   its vectors. Search uses dense vectors for what has them and says how much is embedded.

Unchanged files (same sha256) are skipped; a changed file replaces its documents; ``prune`` drops
documents whose files are gone. Each batch is one SQLite transaction, so ``kill -9`` at any moment
leaves the last committed state, and re-running picks up where it stopped: finished files hash equal,
and phase 2 embeds whatever still lacks vectors.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from qa.embed.windows import embedding_windows
from qa.errors import QAError
from qa.parse.loaders import discover_files, load_file
from qa.settings import Settings
from qa.store import vectors
from qa.store.folder import IndexFolder, expected_manifest, rebuild_vectors
from qa.store.manifest import Manifest
from qa.store.sqlite import Store
from qa.types import Document, LoadFailure, Paragraph

log = logging.getLogger(__name__)

MAX_BATCH_WINDOWS = 2048


@dataclass
class IndexSummary:
    """What one ``qa index`` run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    skipped_docs: int = 0
    new_paragraphs: int = 0
    embedded: int = 0
    reused_vectors: int = 0
    seconds: float = 0.0
    text_seconds: float = 0.0  # phase 1: parsed and searchable by words
    vector_seconds: float = 0.0  # phase 2: embedded
    totals: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.__dict__ | {"seconds": round(self.seconds, 2), "text_seconds": round(self.text_seconds, 2),
                                "vector_seconds": round(self.vector_seconds, 2)}


@dataclass
class Progress:
    """Reported after each committed batch (and once at the start of each phase). ``phase`` is
    ``"text"`` (``done_files`` of ``total_files`` parsed and stored) or ``"vectors"`` (``done`` of
    ``total`` paragraphs embedded)."""

    done_files: int
    total_files: int
    paragraphs: int
    embedded: int
    phase: str = "text"
    done: int = 0
    total: int = 0


@dataclass
class _Pending:
    path: str
    content_hash: str
    size: int
    docs: list[Document]
    replaces: bool
    notes: list[str] = field(default_factory=list)  # what was left out of it, reported on every run


def _sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Indexer:
    """Adds files to one index folder. Use ``run()``; the embedder is passed in (loaded once)."""

    def __init__(self, settings: Settings, embedder: Any) -> None:
        self.settings = settings
        self.embedder = embedder
        self.folder = IndexFolder(settings.index.dir)

    def run(
        self,
        paths: Sequence[Path],
        *,
        prune: bool = False,
        rebuild: bool = False,
        progress: Callable[[Progress], None] | None = None,
    ) -> IndexSummary:
        """Index ``paths`` (files or folders). ``prune`` drops documents whose files are gone (a named
        path that does not exist is an error, so a typo or an unmounted disk prunes nothing).
        ``rebuild`` builds a new index beside the current one, which serves searches until the new one
        replaces it in one step; a rebuild that finds nothing to index keeps the current one."""
        start = time.perf_counter()
        absent = [str(p) for p in paths if not Path(p).exists()]
        if prune and absent:
            raise QAError(f"{', '.join(absent)}: no such file or folder; nothing was indexed or pruned "
                          "(a mistyped path or an unmounted disk would otherwise drop all its documents)")
        if rebuild and paths and len(absent) == len(paths):
            raise QAError(f"{', '.join(absent)}: no such file or folder; nothing to rebuild from, the index "
                          f"at {self.folder.path} is unchanged")
        with self.folder.write_lock(self.settings.index.lock_timeout_s):
            self.folder = IndexFolder(self.folder.path)  # what is current now that no one else writes
            self.folder.remove_stale()
            if rebuild and self.folder.exists():
                summary = self._rebuild(paths, progress)
            else:
                summary = self._run_locked(self.folder, paths, prune, progress)
        summary.seconds = time.perf_counter() - start
        return summary

    def _rebuild(self, paths: Sequence[Path], progress: Callable[[Progress], None] | None) -> IndexSummary:
        current = self.folder
        staged = current.staging()
        try:
            summary = self._run_locked(staged, paths, False, progress)
            if not summary.totals.get("documents"):
                raise QAError(f"the rebuild found no document to index in {', '.join(map(str, paths))}; "
                              f"the index at {current.path} is unchanged", exit_code=1)
        except BaseException:
            staged.discard()  # a kill -9 skips this; the next write removes the folder (remove_stale)
            raise
        current.publish(staged)
        self.folder = current
        return summary

    def _run_locked(self, folder: IndexFolder, paths: Sequence[Path], prune: bool,
                    progress: Callable[[Progress], None] | None) -> IndexSummary:
        self.folder = folder
        summary = IndexSummary()
        expected = expected_manifest(self.settings.embed, self.embedder.name, self.embedder.dim)
        found, warnings = self.folder.check(expected, strict_parser=True)
        summary.warnings += warnings
        expected.created = found.created if found is not None else _now()
        self.store: Store = self.folder.open_store()
        self._recycled: dict[str, np.ndarray] = {}  # vectors of replaced documents, by window-text hash
        try:
            self.faiss = self.folder.load_vectors(self.store, self.embedder.dim)
            skipped: list[tuple[str, str]] = []
            files, missing = discover_files(paths, skipped)
            summary.warnings += [f"{path}: skipped, {why}" for path, why in skipped]
            for m in missing:
                summary.failed += 1
                summary.failures.append({"source": str(m.source), "reason": m.reason})
            total = len(files)
            started = time.perf_counter()
            if progress:
                progress(Progress(0, total, 0, 0))
            batch: list[_Pending] = []
            for done, path in enumerate(files, start=1):
                item = self._prepare(path, summary)
                if item is not None:
                    batch.append(item)
                if batch and (
                    len(batch) >= self.settings.index.commit_every
                    or self._windows(batch) >= MAX_BATCH_WINDOWS
                ):
                    self._commit_text(batch, summary)
                    batch = []
                    if progress:
                        progress(Progress(done, total, summary.new_paragraphs, summary.embedded))
            if batch:
                self._commit_text(batch, summary)
            if prune:
                self._prune(summary)
            if progress:
                progress(Progress(total, total, summary.new_paragraphs, summary.embedded))
            self._finish(expected)  # searchable by words from here on, by meaning for what is embedded
            summary.text_seconds = time.perf_counter() - started
            started = time.perf_counter()
            self._embed_pending(summary, progress, total)
            self._finish(expected)
            summary.vector_seconds = time.perf_counter() - started
            summary.totals = self.store.counts()
            return summary
        finally:
            self.store.close()

    # ---- steps ----------------------------------------------------------------------------------
    def _prepare(self, path: Path, summary: IndexSummary) -> _Pending | None:
        key = str(path.resolve())
        try:
            digest, size = _sha256(path)
        except OSError as exc:
            summary.failed += 1
            summary.failures.append({"source": key, "reason": f"cannot read: {exc.strerror or exc}"})
            return None
        known = self.store.file_hash(key)
        if known == digest:
            summary.unchanged += 1
            summary.warnings += self.store.file_notes(key)  # what it left out is said on every run
            return None
        results = load_file(path, max_bytes=int(self.settings.index.max_file_mb * 1024 * 1024))
        found = [r for r in results if isinstance(r, Document)]
        failures = [r for r in results if isinstance(r, LoadFailure)]
        if not found and failures:
            summary.failed += 1
            summary.failures.append({"source": key, "reason": failures[0].reason})
            summary.warnings += [f"{f.source}: {f.reason}" for f in failures[1:]]
            return None
        notes = [f"{f.source}: {f.reason}; skipped" for f in failures]
        notes += [f"{key}: document {d.doc_id} has no paragraphs; skipped" for d in found if not d.paragraphs]
        summary.warnings += notes
        return _Pending(key, digest, size, [d for d in found if d.paragraphs], known is not None, notes)

    def _windows(self, batch: list[_Pending]) -> int:
        return sum(len(p.text) // 900 + 1 for item in batch for d in item.docs for p in d.paragraphs)

    def _commit_text(self, batch: list[_Pending], summary: IndexSummary) -> None:
        """Phase 1 for a batch: its documents, paragraphs and full-text rows, in one transaction (a
        changed file's old documents, and their vectors, go in the same one)."""
        seen_ids: set[str] = set()
        for item in batch:
            kept = []
            for doc in item.docs:
                owner = self.store.document_owner(doc.doc_id)
                if doc.doc_id in seen_ids or (owner not in (None, item.path) and Path(owner).exists()):
                    summary.skipped_docs += 1
                    where = owner or "this batch"
                    note = f"{item.path}: document {doc.doc_id} is already indexed from {where}; skipped"
                    summary.warnings.append(note)
                    item.notes.append(note)
                    continue
                seen_ids.add(doc.doc_id)
                kept.append(doc)
            item.docs = kept
        removed: list[int] = []
        with self.store.transaction():
            for item in batch:
                if item.replaces or any(self.store.document_owner(d.doc_id) for d in item.docs):
                    # A changed file's unchanged paragraphs get their old vectors back in phase 2.
                    self._recycled.update(self.store.vectors_of_file(item.path))
                    removed += self.store.remove_file(item.path)
                    for d in item.docs:  # a moved file takes over its documents
                        owner = self.store.document_owner(d.doc_id)
                        if owner and owner != item.path:
                            self._recycled.update(self.store.vectors_of_file(owner))
                            removed += self.store.remove_file(owner)
                for doc in item.docs:
                    self.store.add_document(doc, item.path)
                    summary.new_paragraphs += len(doc.paragraphs)
                self.store.record_file(item.path, item.content_hash, item.size, _now())
                self.store.set_file_notes(item.path, item.notes)
                if item.replaces:
                    summary.updated += 1
                else:
                    summary.added += 1
        # The FAISS cache follows the committed store; it is saved when each phase ends.
        if removed:
            self.faiss.remove_ids(np.array(removed, dtype=np.int64))

    def _embed_pending(self, summary: IndexSummary, progress: Callable[[Progress], None] | None,
                       files: int) -> None:
        """Phase 2: embed every stored paragraph that has no vector yet (this run's, or those a killed
        run left), a batch per transaction. A repeated window text reuses its stored vector."""
        total = self.store.unembedded_count()
        done = 0
        if progress and total:
            progress(Progress(files, files, summary.new_paragraphs, 0, "vectors", 0, total))
        after = 0
        while True:
            rows = self.store.unembedded(after, self.settings.index.embed_batch)
            if not rows:
                return
            after = rows[-1].id
            windows = [
                (row.id, text)
                for row in rows
                for text in embedding_windows(self.embedder, Document(row.doc_id, "", "", row.title),
                                              Paragraph(row.n, row.text), self.settings.embed.with_subject)
            ]
            hashes = [hashlib.sha1(text.encode("utf-8")).hexdigest() for _, text in windows]
            known = self.store.vectors_by_hash(hashes)
            known.update({h: self._recycled[h] for h in hashes if h not in known and h in self._recycled})
            todo: dict[str, str] = {}
            for h, (_, text) in zip(hashes, windows, strict=True):
                if h not in known and h not in todo:
                    todo[h] = text
            if todo:
                fresh = self.embedder.encode(list(todo.values()))
                known.update(zip(todo.keys(), fresh, strict=True))
            summary.embedded += len(todo)
            summary.reused_vectors += len(windows) - len(todo)
            with self.store.transaction():
                vector_rows = [(pid, h, known[h]) for h, (pid, _) in zip(hashes, windows, strict=True)]
                added_ids = self.store.add_vectors(vector_rows)
            if added_ids:
                self.faiss.add_with_ids(np.vstack([r[2] for r in vector_rows]).astype(np.float32),
                                        np.array(added_ids, dtype=np.int64))
            done += len(rows)
            if progress:
                progress(Progress(files, files, summary.new_paragraphs, summary.embedded, "vectors", done, total))

    def _prune(self, summary: IndexSummary) -> None:
        known = self.store.files()
        gone = [f for f in known if not Path(f).exists()]
        if not gone:
            return
        if len(gone) == len(known):
            summary.warnings.append(f"all {len(known)} indexed files are missing (a moved folder or an unmounted "
                                    "disk?); nothing was pruned: use --rebuild to index from a new place")
            return
        removed: list[int] = []
        with self.store.transaction():
            for f in gone:
                removed += self.store.remove_file(f)
                summary.removed += 1
        if removed:
            self.faiss.remove_ids(np.array(removed, dtype=np.int64))

    def _finish(self, manifest: Manifest) -> None:
        n = self.store.counts()["vectors"]
        wanted = vectors.spec_for(n)
        if wanted.kind != vectors.spec_of(self.faiss).kind:
            self.faiss = rebuild_vectors(self.store, self.embedder.dim, wanted)
        generation = self.store.generation
        self.folder.save_vectors(self.faiss, generation)
        manifest.vector_index = vectors.spec_of(self.faiss).to_json() | {
            "generation": generation,
            "ntotal": n,
        }
        manifest.updated = _now()
        self.folder.write_manifest(manifest)
