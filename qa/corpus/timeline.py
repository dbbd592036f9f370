"""How many cables match a search, per year, month, origin or tag, counted in SQLite over the whole
index (not only the top k of a ranking).

**What "matching" means.** A document matches when one of its paragraphs contains every word of the
query (FTS5, so words are stemmed: "elections" matches "election"; a quoted phrase must occur as
written) and it passes the filters. This is lexical on purpose: a count has to be one a reader can
check by searching for the same words, and a dense-similarity threshold gives counts that move with
the threshold and cannot be checked. An empty query counts every document under the filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from qa.retrieve.query import fts_phrase, parse_query
from qa.types import Filters

By = Literal["year", "month", "origin", "tag"]
BY_CHOICES = ("year", "month", "origin", "tag")


class CountSource(Protocol):
    """What counts are read from (``qa.store.sqlite.Store`` is the real one)."""

    def count_by(self, match: str | None, filters: Filters | None, by: str) -> list[tuple[str | None, int]]: ...

    def count_matching(self, match: str | None, filters: Filters | None) -> int: ...

    def matching_documents(self, match: str | None, filters: Filters | None, limit: int = 50,
                           ) -> list[dict[str, Any]]: ...


def match_expression(query: str) -> tuple[str | None, list[str]]:
    """The FTS5 query for "a paragraph holding every word" and the words, as shown to the reader;
    (None, []) for an empty query."""
    parsed = parse_query(query or "")
    parts: list[str] = []
    shown: list[str] = []
    for phrase in parsed.phrases:
        if m := fts_phrase(phrase):
            parts.append(m)
            shown.append(f'"{phrase}"')
    in_phrases = {w.lower() for p in parsed.phrases for w in p.split()}
    for term in parsed.terms:
        if term not in in_phrases:
            parts.append('"' + term.replace('"', "") + '"')
            shown.append(term)
    return (" AND ".join(parts) or None), shown


def describe_count(words: list[str], filters: Filters | None) -> str:
    """How a count was made, in words: the rule, the words and the filters."""
    what = ("documents with a paragraph containing all of: " + ", ".join(words)) if words \
        else "all documents"
    bits = [what]
    if filters is not None:
        if filters.origin:
            bits.append("origin contains " + " or ".join(filters.origin))
        if filters.tag:
            bits.append("tagged " + " or ".join(filters.tag))
        if filters.classification:
            bits.append("classification " + " or ".join(filters.classification))
        if filters.since or filters.until:
            bits.append(f"dated {filters.since or '…'} to {filters.until or '…'}")
        if filters.doc:
            bits.append("among " + ", ".join(filters.doc))
    return "; ".join(bits) + " (lexical match over the whole index; words are stemmed)"


@dataclass
class Timeline:
    """Counts of matching documents for one query and filters."""

    query: str
    by: str
    total: int
    buckets: list[tuple[str, int]]
    how: str
    match: str | None
    words: list[str] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)  # the first matching, oldest first

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "by": self.by, "total": self.total, "how": self.how, "match": self.match,
                "buckets": [{"key": k, "count": n} for k, n in self.buckets], "documents": self.documents}


def _months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while (y, m) <= (int(last[:4]), int(last[5:7])):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def fill_gaps(buckets: list[tuple[str | None, int]], by: str) -> list[tuple[str, int]]:
    """Years or months with no match get a zero bar, so a chart's gaps show as gaps; the undated
    count goes last as "undated"; origins and tags keep their order, "unknown" for none."""
    named = [(k, n) for k, n in buckets if k]
    none = sum(n for k, n in buckets if not k)
    if by in ("year", "month") and named:
        keys = [k for k, _ in named]
        if by == "year" and all(k.isdigit() for k in keys):
            span = [str(y) for y in range(int(keys[0]), int(keys[-1]) + 1)]
        elif by == "month" and all(len(k) == 7 for k in keys):
            span = _months_between(keys[0], keys[-1])
        else:
            span = keys
        have = dict(named)
        named = [(k, have.get(k, 0)) for k in span]
    label = "undated" if by in ("year", "month") else "unknown"
    return [(str(k), n) for k, n in named] + ([(label, none)] if none else [])


def timeline(source: CountSource, query: str, filters: Filters | None = None, by: str = "year",
             list_limit: int = 20) -> Timeline:
    """Counts of the documents matching ``query`` under ``filters`` per ``by``, with the first
    ``list_limit`` of them listed."""
    if by not in BY_CHOICES:
        raise ValueError(f"by={by!r}: one of {', '.join(BY_CHOICES)}")
    match, words = match_expression(query)
    buckets = fill_gaps(source.count_by(match, filters, by), by)
    total = source.count_matching(match, filters)
    docs = source.matching_documents(match, filters, list_limit) if list_limit else []
    return Timeline(query, by, total, buckets, describe_count(words, filters), match, words, docs)
