"""The index store's tables, as SQL, and the plain rows read from them (no connection here)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA_VERSION = 1
# What a store must hold to be read (``file_notes`` and ``refs`` came later: a store without them is
# still one; a writable open adds ``refs`` and fills it from the documents' metadata).
REQUIRED_TABLES = frozenset({"meta", "files", "documents", "paragraphs", "vectors", "paragraphs_fts"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, content_hash TEXT NOT NULL, size INTEGER NOT NULL, indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL UNIQUE,
    file TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT,
    created TEXT,
    origin TEXT,
    classification TEXT,
    metadata TEXT NOT NULL,
    warnings TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_file ON documents(file);
CREATE INDEX IF NOT EXISTS documents_created ON documents(created);
CREATE TABLE IF NOT EXISTS doc_tags (doc INTEGER NOT NULL, tag TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS doc_tags_tag ON doc_tags(tag);
CREATE INDEX IF NOT EXISTS doc_tags_doc ON doc_tags(doc);
CREATE TABLE IF NOT EXISTS paragraphs (
    id INTEGER PRIMARY KEY,
    doc INTEGER NOT NULL,
    n INTEGER NOT NULL,
    text TEXT NOT NULL,
    marking TEXT,
    section TEXT
);
CREATE INDEX IF NOT EXISTS paragraphs_doc ON paragraphs(doc, n);
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY,
    paragraph INTEGER NOT NULL,
    text_hash TEXT NOT NULL,
    vec BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS vectors_paragraph ON vectors(paragraph);
CREATE INDEX IF NOT EXISTS vectors_hash ON vectors(text_hash);
CREATE VIRTUAL TABLE IF NOT EXISTS paragraphs_fts USING fts5(text, tokenize = 'porter unicode61');
CREATE TABLE IF NOT EXISTS refs (doc INTEGER NOT NULL, n INTEGER NOT NULL, item TEXT NOT NULL, ref_id TEXT);
CREATE INDEX IF NOT EXISTS refs_doc ON refs(doc);
CREATE INDEX IF NOT EXISTS refs_ref_id ON refs(ref_id COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS file_notes (path TEXT NOT NULL, note TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS file_notes_path ON file_notes(path);
"""


@dataclass
class StoredParagraph:
    """A paragraph as stored, with its document's citation metadata."""

    id: int
    doc_id: str
    n: int
    text: str
    marking: str | None
    section: str | None
    metadata: dict[str, Any]


@dataclass
class PendingParagraph:
    """A stored paragraph still without a vector, with what its embedded text is made of."""

    id: int
    doc_id: str
    n: int
    text: str
    title: str | None


def vec_blob(vec: np.ndarray) -> bytes:
    # float16 halves the store; vectors are normalised, so the precision loss is ~1e-3 in cosine.
    return np.asarray(vec, dtype=np.float16).tobytes()


def text_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def provenance(kind: str, file: str, uploads_dir: Path | None) -> dict[str, Any]:
    """Where a document came from, for the reader: its kind (``cable``, ``text``...), its file's name
    (never the server's path) and whether it was uploaded through the app rather than indexed from a
    folder. A planted text file then never passes for a cable."""
    path = Path(file)
    uploaded = uploads_dir is not None and path.parent.resolve() == uploads_dir
    return {"kind": kind, "file": path.name, "uploaded": uploaded}


def citation_metadata(row: sqlite3.Row | tuple, uploads_dir: Path | None = None) -> dict[str, Any]:
    """A hit's metadata from ``(id, doc_id, n, text, marking, section, metadata, title, kind, file)``."""
    md = json.loads(row[6])
    return {
        "subject": md.get("subject") or row[7],
        "origin": md.get("origin"),
        "created": md.get("created"),
        "classification": md.get("classification"),
        "tags": md.get("tags") or [],
        **provenance(row[8], row[9], uploads_dir),
    }
