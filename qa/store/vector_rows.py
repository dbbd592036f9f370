"""The index store's vector rows: adding them, finding them by window text, the paragraphs still
without one (indexing's second phase), and reading them back for the FAISS cache. Mixed into
``qa.store.sqlite.Store``, whose connection (``self.conn``) they use."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

import numpy as np

from qa.store.filter_sql import filter_clause
from qa.store.schema import PendingParagraph, vec_blob
from qa.types import Filters


class VectorRows:
    """Vector rows of the ``vectors`` table (float16, one per embedded window)."""

    conn: sqlite3.Connection

    def unembedded_count(self) -> int:
        """How many paragraphs have no vector yet (phase 2 of indexing embeds them)."""
        return int(self.conn.execute(
            "SELECT count(*) FROM paragraphs p WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.paragraph = p.id)"
        ).fetchone()[0])

    def unembedded(self, after: int, limit: int) -> list[PendingParagraph]:
        """The next ``limit`` paragraphs (by row id, above ``after``) that have no vector yet."""
        rows = self.conn.execute(
            "SELECT p.id, d.doc_id, p.n, p.text, d.title FROM paragraphs p JOIN documents d ON d.id = p.doc"
            " WHERE p.id > ? AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.paragraph = p.id)"
            " ORDER BY p.id LIMIT ?", (after, limit),
        ).fetchall()
        return [PendingParagraph(*r) for r in rows]

    def add_vectors(self, rows: Iterable[tuple[int, str, np.ndarray]]) -> list[int]:
        """Store (paragraph id, window text hash, vector) rows; returns the new vector ids."""
        out = []
        for pid, text_hash, vec in rows:
            cur = self.conn.execute(
                "INSERT INTO vectors(paragraph, text_hash, vec) VALUES (?, ?, ?)",
                (pid, text_hash, vec_blob(vec)),
            )
            out.append(int(cur.lastrowid))
        return out

    def vectors_by_hash(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for these window texts, so a repeated paragraph is not embedded twice."""
        found: dict[str, np.ndarray] = {}
        hashes = list(set(hashes))
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for h, blob in self.conn.execute(
                f"SELECT text_hash, vec FROM vectors WHERE text_hash IN ({marks}) GROUP BY text_hash", chunk
            ):
                found[h] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return found

    def vectors_of_file(self, path: str) -> dict[str, np.ndarray]:
        """The stored vectors of a file's documents, by window-text hash (kept when the file changes)."""
        rows = self.conn.execute(
            "SELECT v.text_hash, v.vec FROM vectors v JOIN paragraphs p ON p.id = v.paragraph"
            " JOIN documents d ON d.id = p.doc WHERE d.file = ?", (path,)
        )
        return {h: np.frombuffer(blob, dtype=np.float16).astype(np.float32) for h, blob in rows}

    def iter_vectors(self, batch: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All stored vectors as (ids, matrix) batches, for rebuilding the FAISS cache."""
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT id, vec FROM vectors WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(len(rows), -1)
            yield ids, mat.astype(np.float32)
            last = int(ids[-1])

    def paragraph_for_vectors(self, vector_ids: Iterable[int]) -> dict[int, int]:
        ids = [int(v) for v in vector_ids]
        out: dict[int, int] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for vid, pid in self.conn.execute(
                f"SELECT id, paragraph FROM vectors WHERE id IN ({marks})", chunk
            ):
                out[vid] = pid
        return out

    def vector_ids_matching(self, filters: Filters) -> np.ndarray:
        where, args = filter_clause(filters)
        rows = self.conn.execute(
            "SELECT v.id FROM vectors v JOIN paragraphs p ON p.id = v.paragraph JOIN documents d ON d.id = p.doc"
            f" WHERE {where}",
            args,
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)
