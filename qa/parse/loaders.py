"""Files and folders -> ``Document``s: cables, plain text and markdown, JSON lines, and the
``cables.csv`` layout of the Cablegate release.

Loading never raises on a bad file: what cannot be read becomes a ``LoadFailure`` with the reason,
what looked odd but was read becomes a warning on the document. Cables are recognised by their
content (header, TAGS, SUBJECT, date-time group, ¶ markers), whatever the file is called.

The indexer calls ``iter_documents(paths, max_bytes=...)`` and records ``PARSER_VERSION``.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from qa.parse.cable import looks_like_cable, parse_cable
from qa.parse.cable.records import REFID_PARTS
from qa.parse.decoding import decode_bytes
from qa.types import Document, LoadFailure, Paragraph

log = logging.getLogger(__name__)

# Bump whenever parsing output changes: the index manifest records it, so a stale index is detected.
PARSER_VERSION = "cables-2"  # 2: body text a preamble field took in becomes ¶1
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
CSV_SUFFIXES = (".csv",)
KNOWN_SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + CSV_SUFFIXES

_MD_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(?P<title>.+?)[ \t#]*$")
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
_CLASS_WORDS = re.compile(r"^(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\b")

csv.field_size_limit(64 * 1024 * 1024)  # a cable's content field can exceed the 128 KB default


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".".join(["", *name.split(".")[-2:]]) if name.endswith(".gz") else path.suffix.lower()


def is_readable_type(name: str) -> bool:
    """Whether a file of this name is one the loaders read (``KNOWN_SUFFIXES``: ``.txt``, ``.md``,
    ``.jsonl``, ``.jsonl.gz``, ``.csv`` and their spellings); the indexer and the app's uploads agree."""
    return _suffix(Path(name)) in KNOWN_SUFFIXES


def clean_id(raw: str) -> str:
    """A document id as one printable line: control characters and runs of white space (a newline in
    a file name or a JSON id) become one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in raw).split())


def id_from_name(name: str) -> str:
    """A document id from a file name: the part before the first dot (``clean_id``)."""
    return clean_id(Path(name).name.split(".")[0]) or "document"


def _id_hint(stem: str) -> str | None:
    return stem if REFID_PARTS.match(stem) else None


def parse_text(text: str, source: str, doc_id: str, *, markdown: bool = False,
               warnings: list[str] | None = None) -> Document:
    """A plain or markdown document: paragraphs split on blank lines and numbered from 1.

    Markdown headings are not paragraphs; they become the ``section`` of the paragraphs below them.
    The title is the first heading, else the first line.
    """
    title = None
    section = None
    paragraphs: list[Paragraph] = []
    for block in _BLANK_LINES.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.rstrip() for line in block.strip("\n").split("\n") if line.strip()]
        if not lines:
            continue
        heading = _MD_HEADING.match(lines[0]) if markdown else None
        if heading:
            section = heading["title"].strip()
            title = title or section
            lines = lines[1:]
            if not lines:
                continue
        if title is None:
            title = lines[0].strip()[:200]
        body = " ".join(" ".join(line.split()) for line in lines)
        paragraphs.append(Paragraph(n=len(paragraphs) + 1, text=body, section=section))
    warnings = list(warnings or [])
    if not paragraphs:
        warnings.append("no text found")
    return Document(doc_id=doc_id, source=source, kind="text", title=title, metadata={},
                    paragraphs=paragraphs, warnings=warnings)


def parse_any_text(text: str, source: str, stem: str, suffix: str, warnings: list[str]) -> Document:
    """A cable when it reads as one, else plain text or markdown."""
    if looks_like_cable(text):
        doc = parse_cable(text, source, id_hint=_id_hint(stem))
        doc.warnings[:0] = warnings
        return doc
    return parse_text(text, source, stem, markdown=suffix in (".md", ".markdown"), warnings=warnings)


def _jsonl_lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        yield from handle


def load_jsonl(path: Path) -> Iterator[Document | LoadFailure]:
    """One document per line: ``id`` and ``text``; other keys become metadata. A line whose text is a
    cable is parsed as a cable (the jsonl keys are kept under metadata where the parser set none)."""
    try:
        for number, line in enumerate(_jsonl_lines(path), start=1):
            if not line.strip():
                continue
            source = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield LoadFailure(source, f"line {number} is not valid JSON ({exc.msg})")
                continue
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                yield LoadFailure(source, f"line {number} has no \"text\" string")
                continue
            yield _jsonl_document(record, source, f"{id_from_name(path.name)}-{number}")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield LoadFailure(str(path), f"could not read the file ({exc})")


def _jsonl_document(record: dict[str, Any], source: str, fallback_id: str) -> Document:
    text = record["text"]
    raw_id = record.get("id", record.get("doc_id"))
    doc_id = clean_id(str(raw_id)) if raw_id not in (None, "") else ""
    doc_id = doc_id or fallback_id
    extra = {k: v for k, v in record.items() if k not in ("text", "id", "doc_id")}
    if looks_like_cable(text):
        doc = parse_cable(text, source, id_hint=doc_id)
        doc.doc_id = doc_id
        for key, value in extra.items():
            doc.metadata.setdefault(key, value)
        return doc
    doc = parse_text(text, source, doc_id)
    doc.kind = "jsonl"
    doc.title = str(extra.get("title") or doc.title or "") or None
    doc.metadata.update(extra)
    return doc


def load_cables_csv(path: Path) -> Iterator[Document | LoadFailure]:
    """The Cablegate ``cables.csv`` layout, no header row: id, date, refid, origin or classification
    (either order), references, header, content. Each row is one cable."""
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                source = f"{path}:{number}"
                if len(row) < 8:
                    yield LoadFailure(source, f"row {number} has {len(row)} columns; cables.csv rows have "
                                      "8 (id, date, refid, origin, classification, references, header, "
                                      "content)")
                    continue
                yield _csv_document(row, source)
    except (OSError, csv.Error) as exc:
        yield LoadFailure(str(path), f"could not read the file as csv ({exc})")


def _csv_document(row: list[str], source: str) -> Document:
    row_id, date, refid, col3, col4, references, header, content = (c.strip() for c in row[:8])
    classification, origin = (col3, col4) if _CLASS_WORDS.match(col3.upper()) else (col4, col3)
    doc = parse_cable(f"{header}\n\n{content}", source, id_hint=refid or None)
    if refid:
        doc.doc_id = refid
    meta = doc.metadata
    meta["release_id"] = row_id
    if origin:
        meta["origin"] = origin
    if classification:
        meta["classification"] = " ".join(classification.upper().split())
    if references and not meta.get("refs"):
        meta["refs"] = [r for r in re.split(r"[|,\s]+", references) if r]
    if not meta.get("created") and date:
        meta["release_date"] = date
    return doc


def load_file(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES
              ) -> list[Document | LoadFailure]:
    """Every document in one file, and failures for what could not be read; never raises."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return [LoadFailure(source, f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB "
                                "limit (raise index.max_file_mb to read it)")]
        suffix = _suffix(path)
        if suffix in JSONL_SUFFIXES:
            return list(load_jsonl(path))
        if suffix in CSV_SUFFIXES:
            return list(load_cables_csv(path))
        decoded = decode_bytes(path.read_bytes())
        if decoded.text is None:
            return [LoadFailure(source, decoded.error or "the file could not be decoded")]
        warnings = [decoded.warning] if decoded.warning else []
        return [parse_any_text(decoded.text, source, id_from_name(path.name), suffix, warnings)]
    except OSError as exc:
        return [LoadFailure(source, f"could not read the file ({exc.strerror or exc})")]
    except Exception as exc:  # a parser bug must not stop a run over thousands of files
        log.exception("parsing %s failed", source)
        return [LoadFailure(source, f"could not be parsed ({type(exc).__name__}: {exc}); please report this")]


def parse_file(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES
               ) -> list[Document] | LoadFailure:
    """The documents in one file, or why there are none (the first failure)."""
    results = load_file(path, max_bytes)
    documents = [r for r in results if isinstance(r, Document)]
    if documents or not results:
        return documents
    return next(r for r in results if isinstance(r, LoadFailure))


def walk(paths: Iterable[str | os.PathLike[str]], skipped: list[tuple[str, str]] | None = None
         ) -> Iterator[Path]:
    """Files to read: named files as given, folders walked recursively in sorted order. Hidden files
    and files of unknown type inside folders are left out (and listed in ``skipped``)."""
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                file = Path(root) / name
                if name.startswith("."):
                    reason = "hidden file"
                elif not is_readable_type(name):
                    reason = f"unknown file type (read: {' '.join(KNOWN_SUFFIXES)})"
                else:
                    yield file
                    continue
                log.info("skipping %s: %s", file, reason)
                if skipped is not None:
                    skipped.append((str(file), reason))


def discover_files(paths: Iterable[str | os.PathLike[str]], skipped: list[tuple[str, str]] | None = None
                   ) -> tuple[list[Path], list[LoadFailure]]:
    """The files ``iter_documents`` would read, and a failure for each path that does not exist."""
    files: list[Path] = []
    missing: list[LoadFailure] = []
    for path in walk(paths, skipped):
        if path.exists():
            files.append(path)
        else:
            missing.append(LoadFailure(str(path), "no such file or folder"))
    return files, missing


def iter_documents(paths: Iterable[str | os.PathLike[str]], max_bytes: int = DEFAULT_MAX_BYTES,
                   skipped: list[tuple[str, str]] | None = None) -> Iterator[Document | LoadFailure]:
    """Documents from files and folders, in order, with a ``LoadFailure`` for each unreadable one."""
    for path in walk(paths, skipped):
        if not path.exists():
            yield LoadFailure(str(path), "no such file or folder")
            continue
        yield from load_file(path, max_bytes)


def read_text_file(data: bytes, name: str) -> Document | LoadFailure:
    """Parse an uploaded file's bytes (the UI's upload path) as a cable, text or markdown file."""
    decoded = decode_bytes(data)
    if decoded.text is None:
        return LoadFailure(name, decoded.error or "the file could not be decoded")
    suffix = _suffix(Path(name))
    try:
        return parse_any_text(decoded.text, name, id_from_name(name), suffix,
                              [decoded.warning] if decoded.warning else [])
    except Exception as exc:  # same reason as in load_file
        log.exception("parsing %s failed", name)
        return LoadFailure(name, f"could not be parsed ({type(exc).__name__}: {exc}); please report this")


__all__ = [
    "DEFAULT_MAX_BYTES", "KNOWN_SUFFIXES", "PARSER_VERSION", "discover_files", "is_readable_type",
    "iter_documents", "load_file", "parse_file", "parse_text", "read_text_file", "walk",
]
