"""The index store's corpus queries: REF links between cables and counts of matching documents over
the whole index. Mixed into ``qa.store.sqlite.Store``, whose connection (``self.conn``) they use."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from qa.corpus.refs import RefLink, resolve_refs
from qa.store.filter_sql import filter_clause
from qa.types import Filters

log = logging.getLogger(__name__)
REFS_VERSION = "1"  # bump when the resolver changes, so stores re-resolve their REF items


class RefQueries:
    """REF links, kept in the ``refs`` table (one row per ID an item names, or one with no ID)."""

    conn: sqlite3.Connection

    def set_meta(self, key: str, value: str) -> None:  # provided by Store
        raise NotImplementedError

    def _fill_refs(self) -> None:
        """Resolve the REF items of every stored cable into ``refs`` (a store made before REF links were
        kept, or by an older resolver). Vectors are untouched, so no generation bump."""
        with self.conn:
            self.conn.execute("DELETE FROM refs")
            for row in self.conn.execute("SELECT id, doc_id, created, metadata FROM documents WHERE kind = 'cable'"):
                self._add_refs(row[0], row[1], row[2], json.loads(row[3]).get("refs") or [])
            self.set_meta("refs_version", REFS_VERSION)

    def _add_refs(self, doc: int, doc_id: str, created: str | None, items: list[str]) -> None:
        links = resolve_refs(items, doc_id, created)
        self.conn.executemany(
            "INSERT INTO refs(doc, n, item, ref_id) VALUES (?, ?, ?, ?)",
            [(doc, link.order, link.item, link.ref_id) for link in links],
        )

    # ---- REF links --------------------------------------------------------------------------------
    def _document_row(self, doc_id: str, columns: str) -> sqlite3.Row | None:
        """A document's row by its id as stored (the unique index), else ignoring case (a scan)."""
        for sql in ("SELECT {} FROM documents WHERE doc_id = ?",
                    "SELECT {} FROM documents WHERE doc_id = ? COLLATE NOCASE"):
            row = self.conn.execute(sql.format(columns), (doc_id,)).fetchone()
            if row is not None:
                return row
        return None

    def cites(self, doc_id: str) -> list[RefLink]:
        """The REF items of a cable in order, each with the ID it resolves to (None: not a cable)."""
        row = self._document_row(doc_id, "id, doc_id, created, metadata")
        if row is None:
            return []
        try:
            rows = self.conn.execute("SELECT item, ref_id, n FROM refs WHERE doc = ? ORDER BY rowid", (row[0],))
            return [RefLink(r[0], r[1], r[2]) for r in rows]
        except sqlite3.OperationalError:  # an older store opened read-only: resolve from the metadata
            return resolve_refs(json.loads(row[3]).get("refs") or [], row[1], row[2])

    def cited_by(self, doc_id: str) -> list[str]:
        """The indexed cables whose REF lines name ``doc_id``, oldest first."""
        try:
            rows = self.conn.execute(
                "SELECT DISTINCT d.doc_id, d.created FROM refs r JOIN documents d ON d.id = r.doc"
                " WHERE r.ref_id = ? COLLATE NOCASE ORDER BY d.created, d.doc_id", (doc_id,)
            ).fetchall()
        except sqlite3.OperationalError:  # an older store opened read-only: read every cable's REF line
            rows = [
                (r[1], r[2]) for r in self.conn.execute(
                    "SELECT id, doc_id, created, metadata FROM documents WHERE kind = 'cable' ORDER BY created")
                if any(link.ref_id and link.ref_id.upper() == doc_id.upper()
                       for link in resolve_refs(json.loads(r[3]).get("refs") or [], r[1], r[2]))
            ]
        return [r[0] for r in rows]

    def brief(self, doc_id: str) -> dict[str, Any] | None:
        """A document's id as stored, subject, date and origin; None when it is not indexed."""
        row = self._document_row(doc_id, "doc_id, title, created, origin")
        if row is None:
            return None
        return {"doc_id": row[0], "subject": row[1], "created": row[2], "origin": row[3]}


class CountQueries:
    """How many documents match an FTS5 query, per year, month, origin or tag."""

    conn: sqlite3.Connection

    def _matching_docs_sql(self, match: str | None, filters: Filters | None) -> tuple[str, list[Any]]:
        """``SELECT d.id ... FROM documents d`` for the documents with a paragraph matching the FTS5
        query ``match`` (all documents when None) and passing ``filters``."""
        where, args = filter_clause(filters)
        conds = [where] if where else []
        if match:
            conds.append("d.id IN (SELECT p.doc FROM paragraphs_fts f JOIN paragraphs p ON p.id = f.rowid"
                         " WHERE paragraphs_fts MATCH ?)")
            args = [*args, match]
        return "FROM documents d" + (" WHERE " + " AND ".join(conds) if conds else ""), args

    def count_by(self, match: str | None, filters: Filters | None, by: str) -> list[tuple[str | None, int]]:
        """How many matching documents per year, month, origin or tag (``by``); (None, n) counts the
        undated or unattributed ones. Years and months come in order, origins and tags most first."""
        base, args = self._matching_docs_sql(match, filters)
        if by in ("year", "month"):
            width = 4 if by == "year" else 7
            sql = f"SELECT substr(d.created, 1, {width}) k, count(*) {base} GROUP BY k ORDER BY k"
        elif by == "origin":
            sql = f"SELECT d.origin k, count(*) c {base} GROUP BY k ORDER BY c DESC, k"
        elif by == "tag":
            joined = base.replace("FROM documents d", "FROM documents d JOIN doc_tags t ON t.doc = d.id", 1)
            sql = f"SELECT t.tag k, count(DISTINCT d.id) c {joined} GROUP BY k ORDER BY c DESC, k"
        else:
            raise ValueError(f"count by {by!r}: year, month, origin or tag")
        try:
            return [(r[0], r[1]) for r in self.conn.execute(sql, args)]
        except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse matches nothing
            log.info("full-text query %r failed: %s", match, exc)
            return []

    def count_matching(self, match: str | None, filters: Filters | None) -> int:
        """How many documents have a paragraph matching ``match`` under ``filters``."""
        base, args = self._matching_docs_sql(match, filters)
        try:
            return int(self.conn.execute(f"SELECT count(*) {base}", args).fetchone()[0])
        except sqlite3.OperationalError:
            return 0

    def matching_documents(self, match: str | None, filters: Filters | None, limit: int = 50,
                           ) -> list[dict[str, Any]]:
        """The matching documents, oldest first, each with its first matching paragraph's ¶ number."""
        base, args = self._matching_docs_sql(match, filters)
        sql = f"SELECT d.id, d.doc_id, d.title, d.created, d.origin {base} ORDER BY d.created, d.doc_id LIMIT ?"
        try:
            rows = self.conn.execute(sql, [*args, limit]).fetchall()
        except sqlite3.OperationalError:
            return []
        first: dict[int, int] = {}
        if match and rows:
            marks = ",".join("?" * len(rows))
            for doc, n, pid in self.conn.execute(
                "SELECT p.doc, p.n, p.id FROM paragraphs p WHERE p.id IN (SELECT min(p2.id) FROM paragraphs_fts f"
                " JOIN paragraphs p2 ON p2.id = f.rowid WHERE paragraphs_fts MATCH ?"
                f" AND p2.doc IN ({marks}) GROUP BY p2.doc)", [match, *[r[0] for r in rows]]
            ):
                first[doc] = (n, pid)
        return [{"doc_id": r[1], "subject": r[2], "created": r[3], "origin": r[4],
                 "paragraph": first[r[0]][0] if r[0] in first else None,
                 "paragraph_id": first[r[0]][1] if r[0] in first else None} for r in rows]

