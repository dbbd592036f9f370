"""What a cited document says beyond the cited paragraph: its header and all its paragraphs, as text.

A cable names a bank, a minister or a conference once, in the subject line or the summary, and
abbreviates later ("Royal Bank of Scotland" in ¶1, "RBS" in ¶4); its date is in the header only. A
question's terms are looked up in this text as well as in the cited paragraph; an answer sentence may
take from it only the full form of a name the cited paragraph abbreviates (``qa.grounding.names``), and the
numbers it states must come from the paragraph itself (``qa.grounding.support``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from qa.grounding.support import question_terms_missing
from qa.parse.cable.origins import origin_from_fm
from qa.parse.cable.records import REFID_PARTS
from qa.text import MONTHS
from qa.types import Hit


class HasText(Protocol):
    text: str


def written_date(created: object) -> str:
    """An ISO date as a question would write it: ``2009-04-14T10:00Z`` -> ``April 14, 2009``;
    ``2009-04`` -> ``April 2009``; anything else -> ``""``."""
    parts = str(created or "")[:10].split("-")
    if not parts[0].isdigit() or len(parts[0]) != 4:
        return ""
    year = parts[0]
    if len(parts) < 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= 12:
        return year
    month = MONTHS[int(parts[1]) - 1]
    if len(parts) < 3 or not parts[2].isdigit() or not 1 <= int(parts[2]) <= 31:
        return f"{month} {year}"
    return f"{month} {int(parts[2])}, {year}"


def cable_year(doc_id: str) -> str:
    """The year in a cable's reference ID (``05PARIS676`` -> ``2005``), ``""`` for other ids."""
    match = REFID_PARTS.match(doc_id)
    if match is None:
        return ""
    yy = int(match["year"])
    return str(1900 + yy if yy >= 60 else 2000 + yy)  # the released cables run from 1966 to 2010


def header_text(meta: Mapping[str, Any], doc_id: str = "") -> str:
    """The lines of a document's header a question may refer to: subject (or title), origin, the
    posts it is addressed to, tags and date (for a cable without one, the year of its ID)."""
    tags = meta.get("tags") or []
    to = meta.get("to") or []
    date = written_date(meta.get("created"))
    if not date and meta.get("kind") == "cable":
        date = cable_year(doc_id)
    lines = [
        meta.get("subject") or meta.get("title") or "",
        meta.get("origin") or "",
        ", ".join(origin_from_fm(str(t)) or str(t) for t in to) if isinstance(to, list | tuple) else str(to),
        ", ".join(str(t) for t in tags) if isinstance(tags, list | tuple) else str(tags),
        date,
    ]
    return "\n".join(str(line) for line in lines if line)


def document_text(meta: Mapping[str, Any], paragraphs: Sequence[HasText], doc_id: str = "") -> str:
    """A document's header and all its paragraphs, one text (what ``Searcher.document`` returns, joined)."""
    return "\n".join([header_text(meta, doc_id), *(p.text for p in paragraphs)]).strip()


class Documents(Protocol):
    """The part of a retriever the checks use (``qa.retrieve.searcher.Retriever``)."""

    def document(self, doc_id: str) -> tuple[Mapping[str, Any], Sequence[HasText]] | None: ...

    def term_share(self, term: str) -> float | None: ...


class CitedDocuments:
    """One question's view of the documents behind the paragraphs it cites, each fetched once.

    ``retriever`` gives whole documents and term shares; None (a unit test of the checks alone)
    means the checks look at the cited paragraphs only.
    """

    def __init__(self, retriever: Documents | None, common_share: float) -> None:
        self._retriever = retriever
        self._common = common_share
        self._texts: dict[str, str] = {}

    def texts(self, hits: Sequence[Hit]) -> list[str]:
        """The whole documents of ``hits`` (header and paragraphs, ``document_text``): a cable names
        things once, in its subject or summary, and abbreviates later."""
        if self._retriever is None:
            return []
        ids = list(dict.fromkeys(h.doc_id for h in hits))
        for doc_id in ids:
            if doc_id not in self._texts:
                found = self._retriever.document(doc_id)
                self._texts[doc_id] = document_text(*found, doc_id) if found is not None else ""
        return [self._texts[d] for d in ids if self._texts[d]]

    def terms_missing(self, question: str, hits: Sequence[Hit], titles: Sequence[str]) -> list[str]:
        """The question's numbers and names that the cited paragraphs, their ``titles`` and their
        documents never mention (``qa.grounding.support.question_terms_missing``), less the names common to
        most indexed documents ("US" in a collection of US cables): those are the collection's
        context, not the question's subject."""
        absent = question_terms_missing(question, [h.text for h in hits], [*titles, *self.texts(hits)])
        if self._retriever is None or not absent:
            return absent
        return [t for t in absent if t[0].isdigit() or (self._retriever.term_share(t) or 0.0) < self._common]
