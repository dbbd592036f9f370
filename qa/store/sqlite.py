"""The SQLite side of an index: documents, paragraphs, their vectors and a full-text (FTS5) table.

SQLite is the index's source of truth. Every batch is one transaction that also bumps ``generation``;
the FAISS file is a cache named after the generation it was built from (see ``qa.store.vectors``), so a
run killed at any moment leaves a consistent database and, at worst, a FAISS file to rebuild.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qa.store.filter_sql import filter_clause
from qa.store.research import REFS_VERSION, CountQueries, RefQueries
from qa.store.schema import (
    REQUIRED_TABLES,
    SCHEMA,
    StoredParagraph,
    citation_metadata,
    provenance,
    text_or_none,
)
from qa.store.vector_rows import VectorRows
from qa.types import Document, Filters, Paragraph

log = logging.getLogger(__name__)


class Store(VectorRows, RefQueries, CountQueries):
    """A connection to one index's SQLite file. Not shared between threads."""

    def __init__(self, path: Path, *, readonly: bool = False, uploads_dir: Path | None = None) -> None:
        self.path = path
        self.uploads_dir = uploads_dir.resolve() if uploads_dir is not None else None
        uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
        self.conn = sqlite3.connect(uri, uri=True, timeout=30.0, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        if not readonly:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
            self.conn.commit()
            if self.get_meta("refs_version") != REFS_VERSION:
                self._fill_refs()

    def close(self) -> None:
        self.conn.close()

    def problem(self, *, thorough: bool = False) -> str | None:
        """What is wrong with the file, or None: every table answers a query; ``thorough`` adds
        SQLite's ``quick_check`` (reads every page: for writers, not for each search)."""
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        missing = sorted(REQUIRED_TABLES - tables)
        if missing:
            return f"no {', '.join(missing)} table{'s' if len(missing) > 1 else ''}: not an index store"
        self.counts()
        if thorough:
            verdict = [r[0] for r in self.conn.execute("PRAGMA quick_check(5)")]
            if verdict != ["ok"]:
                return "; ".join(verdict)
        return None

    # ---- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation", "0") or 0)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic batch: everything inside commits together with a generation bump, or not at all."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            yield
            self.set_meta("generation", str(self.generation + 1))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # ---- files and documents ----------------------------------------------------------------
    def file_hash(self, path: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def files(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT path FROM files ORDER BY path")]

    def record_file(self, path: str, content_hash: str, size: int, when: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO files(path, content_hash, size, indexed_at) VALUES (?, ?, ?, ?)",
            (path, content_hash, size, when),
        )

    def set_file_notes(self, path: str, notes: Iterable[str]) -> None:
        """What indexing a file left out (bad lines, documents with no paragraphs...), kept so every
        later run reports it again and ``qa index --status`` lists it."""
        self.conn.execute("DELETE FROM file_notes WHERE path = ?", (path,))
        self.conn.executemany("INSERT INTO file_notes(path, note) VALUES (?, ?)", [(path, n) for n in notes])

    def file_notes(self, path: str | None = None, limit: int = 10_000) -> list[str]:
        """The notes of one file, or of all files; none in a store made before notes were kept."""
        sql, args = "SELECT note FROM file_notes", []
        if path is not None:
            sql, args = sql + " WHERE path = ?", [path]
        try:
            return [r[0] for r in self.conn.execute(f"{sql} ORDER BY rowid LIMIT ?", [*args, limit])]
        except sqlite3.OperationalError:  # an older store, opened read-only: it has no notes table yet
            return []

    def document_owner(self, doc_id: str) -> str | None:
        """The file a document id was indexed from, if it is in the index."""
        row = self.conn.execute("SELECT file FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def remove_file(self, path: str) -> list[int]:
        """Delete a file's documents (and their paragraphs, vectors, text); returns removed vector ids."""
        docs = [r[0] for r in self.conn.execute("SELECT id FROM documents WHERE file = ?", (path,))]
        vector_ids: list[int] = []
        for doc in docs:
            vector_ids += self._remove_document(doc)
        self.conn.execute("DELETE FROM files WHERE path = ?", (path,))
        self.conn.execute("DELETE FROM file_notes WHERE path = ?", (path,))
        return vector_ids

    def _remove_document(self, doc: int) -> list[int]:
        para_ids = [r[0] for r in self.conn.execute("SELECT id FROM paragraphs WHERE doc = ?", (doc,))]
        vector_ids: list[int] = []
        for pid in para_ids:
            vector_ids += [
                r[0] for r in self.conn.execute("SELECT id FROM vectors WHERE paragraph = ?", (pid,))
            ]
            self.conn.execute("DELETE FROM paragraphs_fts WHERE rowid = ?", (pid,))
        self.conn.execute(
            "DELETE FROM vectors WHERE paragraph IN (SELECT id FROM paragraphs WHERE doc = ?)", (doc,)
        )
        self.conn.execute("DELETE FROM paragraphs WHERE doc = ?", (doc,))
        self.conn.execute("DELETE FROM doc_tags WHERE doc = ?", (doc,))
        self.conn.execute("DELETE FROM refs WHERE doc = ?", (doc,))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (doc,))
        return vector_ids

    def add_document(self, doc: Document, file: str) -> list[int]:
        """Insert a document and its paragraphs (text searchable at once); returns paragraph row ids."""
        md = doc.metadata
        cur = self.conn.execute(
            "INSERT INTO documents(doc_id, file, source, kind, title, created, origin, classification,"
            " metadata, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.doc_id,
                file,
                doc.source,
                doc.kind,
                doc.title,
                text_or_none(md.get("created")),
                text_or_none(md.get("origin")),
                text_or_none(md.get("classification")),
                json.dumps(md, ensure_ascii=False, default=str),
                json.dumps(doc.warnings, ensure_ascii=False),
            ),
        )
        row = cur.lastrowid
        if doc.kind == "cable" and md.get("refs"):
            self._add_refs(row, doc.doc_id, text_or_none(md.get("created")), list(md["refs"]))
        tags = md.get("tags") or []
        self.conn.executemany(
            "INSERT INTO doc_tags(doc, tag) VALUES (?, ?)", [(row, str(t).upper()) for t in tags]
        )
        ids = []
        for p in doc.paragraphs:
            cur = self.conn.execute(
                "INSERT INTO paragraphs(doc, n, text, marking, section) VALUES (?, ?, ?, ?, ?)",
                (row, p.n, p.text, p.marking, p.section),
            )
            pid = int(cur.lastrowid)
            self.conn.execute("INSERT INTO paragraphs_fts(rowid, text) VALUES (?, ?)", (pid, p.text))
            ids.append(pid)
        return ids

    # ---- reading ----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Documents, paragraphs, vectors, files, and ``embedded``: the paragraphs that have vectors
        (fewer than ``paragraphs`` while indexing's second phase runs, or after it was stopped)."""
        one = self.conn.execute
        return {
            "documents": one("SELECT count(*) FROM documents").fetchone()[0],
            "paragraphs": one("SELECT count(*) FROM paragraphs").fetchone()[0],
            "embedded": one("SELECT count(DISTINCT paragraph) FROM vectors").fetchone()[0],
            "vectors": one("SELECT count(*) FROM vectors").fetchone()[0],
            "files": one("SELECT count(*) FROM files").fetchone()[0],
        }

    def paragraphs_by_id(self, ids: Iterable[int]) -> dict[int, StoredParagraph]:
        ids = list(ids)
        out: dict[int, StoredParagraph] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                "SELECT p.id, d.doc_id, p.n, p.text, p.marking, p.section, d.metadata, d.title, d.kind, d.file"
                f" FROM paragraphs p JOIN documents d ON d.id = p.doc WHERE p.id IN ({marks})",
                chunk,
            ):
                out[r[0]] = StoredParagraph(r[0], r[1], r[2], r[3], r[4], r[5],
                                            citation_metadata(r, self.uploads_dir))
        return out

    def tags_of_paragraphs(self, ids: Iterable[int]) -> dict[int, set[str]]:
        """The tags of each paragraph's document."""
        ids = list(ids)
        out: dict[int, set[str]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for pid, tag in self.conn.execute(
                f"SELECT p.id, t.tag FROM paragraphs p JOIN doc_tags t ON t.doc = p.doc WHERE p.id IN ({marks})", chunk
            ):
                out.setdefault(pid, set()).add(tag)
        return out

    def document(self, doc_id: str, *, refs: bool = False) -> tuple[dict[str, Any], list[Paragraph]] | None:
        """A document's full metadata and all its paragraphs in order (for showing a citation in context);
        ``refs`` adds its REF links and citing cables (``ref_links``, ``cited_by``) for a reader."""
        row = self.conn.execute(
            "SELECT id, metadata, title, kind, source, file FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        meta = json.loads(row["metadata"])
        meta.setdefault("title", row["title"])
        meta["source"] = row["source"]
        meta.update(provenance(row["kind"], row["file"], self.uploads_dir))
        if refs and row["kind"] == "cable":
            meta["ref_links"] = [
                {"item": link.item, "ref_id": link.ref_id,
                 "in_index": bool(link.ref_id) and self.brief(link.ref_id) is not None}
                for link in self.cites(doc_id)
            ]
            meta["cited_by"] = self.cited_by(doc_id)
        paras = [
            Paragraph(r["n"], r["text"], r["marking"], r["section"])
            for r in self.conn.execute(
                "SELECT n, text, marking, section FROM paragraphs WHERE doc = ? ORDER BY id", (row["id"],)
            )
        ]
        return meta, paras

    def doc_ids(self, pattern_ids: Iterable[str]) -> list[str]:
        """Which of these document ids are in the index (case-insensitive)."""
        out = []
        for d in pattern_ids:
            r = self.conn.execute(
                "SELECT doc_id FROM documents WHERE doc_id = ? COLLATE NOCASE", (d,)
            ).fetchone()
            if r:
                out.append(r[0])
        return out

    def lexical(self, match: str, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """BM25 ranking over the FTS5 table: (paragraph id, bm25 score; lower is better)."""
        return self.lexical_rankings(match, limit, filters)[0]

    def lexical_rankings(self, match: str, limit: int, filters: Filters | None = None,
                         narrower: Sequence[Filters] = ()) -> list[list[tuple[int, float]]]:
        """BM25 rankings for one FTS5 query, scored in one pass: the first under ``filters``, then one per
        filter set in ``narrower`` (each the first ranking's matches within that set, in the same order).

        Scoring every matching row is what a full-text query costs (the OR of a question's words matches
        a large share of the paragraphs), so a question's period ranking reuses the scores of its main
        ranking rather than scoring the corpus again; the result is the same as separate queries."""
        where, args = filter_clause(filters)
        scored = (
            "SELECT f.rowid AS id, bm25(paragraphs_fts) AS s FROM paragraphs_fts f"
            + (" JOIN paragraphs p ON p.id = f.rowid JOIN documents d ON d.id = p.doc" if where else "")
            + " WHERE paragraphs_fts MATCH ?"
            + (f" AND {where}" if where else "")
        )
        params: list[Any] = [match, *args]
        if narrower:
            parts = ["SELECT 0, id, s FROM (SELECT id, s FROM m ORDER BY s LIMIT ?)"]
            params.append(limit)
            for i, subset in enumerate(narrower, start=1):
                sub_where, sub_args = filter_clause(subset)
                inside = (" WHERE id IN (SELECT p.id FROM paragraphs p JOIN documents d ON d.id = p.doc"
                          f" WHERE {sub_where})") if sub_where else ""
                parts.append(f"SELECT {i}, id, s FROM (SELECT id, s FROM m{inside} ORDER BY s LIMIT ?)")
                params += [*sub_args, limit]
            sql = f"WITH m AS MATERIALIZED ({scored}) " + " UNION ALL ".join(parts)
        else:
            sql = f"SELECT 0, id, s FROM ({scored}) ORDER BY s LIMIT ?"
            params.append(limit)
        out: list[list[tuple[int, float]]] = [[] for _ in range(1 + len(narrower))]
        try:
            for part, pid, score in self.conn.execute(sql, params):
                out[part].append((pid, score))
        except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse finds nothing, not a crash
            log.info("full-text query %r failed: %s", match, exc)
        return out

    def paragraph_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0])

    def paragraphs_matching(self, match: str) -> int:
        """How many paragraphs match the FTS5 query ``match`` (0 when FTS5 cannot parse it)."""
        try:
            return int(self.conn.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH ?",
                                         (match,)).fetchone()[0])
        except sqlite3.OperationalError as exc:
            log.info("full-text query %r failed: %s", match, exc)
            return 0

    def documents_matching(self, match: str) -> tuple[int, int]:
        """(documents with a paragraph matching the FTS5 query ``match``, documents in all); a query
        FTS5 cannot parse matches none."""
        total = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        try:
            n = self.conn.execute(
                "SELECT count(DISTINCT p.doc) FROM paragraphs_fts f JOIN paragraphs p ON p.id = f.rowid"
                " WHERE paragraphs_fts MATCH ?",
                (match,),
            ).fetchone()[0]
        except sqlite3.OperationalError as exc:
            log.info("full-text query %r failed: %s", match, exc)
            n = 0
        return n, total

    def facets(self, limit: int = 200) -> dict[str, list[str]]:
        """Origins, tags and classifications in the index, most frequent first (filter choices)."""
        queries = {
            "origin": "SELECT origin, count(*) c FROM documents WHERE origin IS NOT NULL GROUP BY origin",
            "tag": "SELECT tag, count(*) c FROM doc_tags GROUP BY tag",
            "classification": "SELECT classification, count(*) c FROM documents"
            " WHERE classification IS NOT NULL GROUP BY classification",
        }
        return {
            name: [r[0] for r in self.conn.execute(f"{sql} ORDER BY c DESC, 1 LIMIT ?", (limit,)) if r[0]]
            for name, sql in queries.items()
        }

    def paragraphs_of_docs(self, doc_ids: list[str], filters: Filters | None = None) -> list[int]:
        where, args = filter_clause(filters)
        marks = ",".join("?" * len(doc_ids))
        rows = self.conn.execute(
            f"SELECT p.id FROM paragraphs p JOIN documents d ON d.id = p.doc WHERE d.doc_id IN ({marks})"
            + (f" AND {where}" if where else "")
            + " ORDER BY p.id",
            [*doc_ids, *args],
        ).fetchall()
        return [r[0] for r in rows]
