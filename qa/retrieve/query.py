"""Reading a search query: quoted phrases, possible document ids, and full-text terms (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.text import STOPWORDS

_PHRASE = re.compile(r'"([^"]+)"')
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_DOC_ID_LIKE = re.compile(r"^[\w.\-/]{3,}$")


@dataclass
class ParsedQuery:
    text: str
    phrases: list[str] = field(default_factory=list)
    id_candidates: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    rest: str = ""  # the query without tokens that turned out to be document ids


def parse_query(text: str) -> ParsedQuery:
    """Split a query into quoted phrases, tokens that may be document ids, and full-text terms."""
    phrases = [p.strip() for p in _PHRASE.findall(text) if p.strip()]
    ids = []
    for raw in text.replace('"', " ").split():
        token = raw.strip(".,;:!?()[]'")
        if _DOC_ID_LIKE.match(token) and any(c.isdigit() for c in token):
            ids.append(token)
    terms: list[str] = []
    for tok in _TOKEN.findall(text.lower()):
        if (len(tok) > 1 or tok.isdigit()) and tok not in STOPWORDS and tok not in terms:
            terms.append(tok)
    return ParsedQuery(text=text, phrases=phrases, id_candidates=ids, terms=terms, rest=text)


def fts_any(terms: list[str]) -> str:
    """An FTS5 query matching any of the terms (each quoted, so no term is read as syntax)."""
    return " OR ".join('"' + t.replace('"', "") + '"' for t in terms)


def fts_phrase(phrase: str) -> str:
    """An FTS5 query for an exact phrase."""
    words = _TOKEN.findall(phrase)
    return '"' + " ".join(words) + '"' if words else ""


def without_ids(text: str, ids: list[str]) -> str:
    """The query with the found document ids taken out (what is left to rank their paragraphs by)."""
    for doc_id in ids:
        text = re.sub(re.escape(doc_id), " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())
