"""Search filters as SQL conditions on the documents table (pure: builds text and arguments)."""

from __future__ import annotations

from typing import Any

from qa.types import Filters


def filter_clause(filters: Filters | None, alias: str = "d") -> tuple[str, list[Any]]:
    """SQL conditions on the documents table for these filters (empty string when none)."""
    if filters is None or filters.is_empty():
        return "", []
    conds: list[str] = []
    args: list[Any] = []

    def any_of(values: list[str], expr: str) -> None:
        conds.append("(" + " OR ".join([expr] * len(values)) + ")")

    if filters.origin:
        any_of(filters.origin, f"{alias}.origin LIKE ?")
        args += [f"%{o}%" for o in filters.origin]
    if filters.classification:
        any_of(filters.classification, f"{alias}.classification LIKE ?")
        args += [f"%{c}%" for c in filters.classification]
    if filters.tag:
        marks = ",".join("?" * len(filters.tag))
        conds.append(f"{alias}.id IN (SELECT doc FROM doc_tags WHERE tag IN ({marks}))")
        args += [t.upper() for t in filters.tag]
    if filters.doc:
        marks = ",".join("?" * len(filters.doc))
        conds.append(f"{alias}.doc_id COLLATE NOCASE IN ({marks})")
        args += list(filters.doc)
    if filters.since:
        conds.append(f"{alias}.created >= ?")
        args.append(filters.since.isoformat())
    if filters.until:
        conds.append(f"{alias}.created < date(?, '+1 day')")
        args.append(filters.until.isoformat())
    return " AND ".join(conds), args
