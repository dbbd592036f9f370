"""Plain data returned by search and answering, shared by the CLI, the UI and the evaluation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from qa.errors import QAError


def cite(doc_id: str, paragraph: int) -> str:
    """A citation written the way cables are cited: ``06PHNOMPENH657 ¶5``."""
    return f"{doc_id} ¶{paragraph}"


def parse_day(value: str | None, name: str) -> date | None:
    """A YYYY-MM-DD filter date; empty means none; anything else is a QAError naming ``name``."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise QAError(f"{name} {text!r}: write the date as YYYY-MM-DD, e.g. 2005-01-31") from exc


@dataclass
class Filters:
    """Metadata filters for search; every set field must match (tags: any of them)."""

    origin: list[str] = field(default_factory=list)  # case-insensitive substring of the origin
    tag: list[str] = field(default_factory=list)
    classification: list[str] = field(default_factory=list)  # case-insensitive substring
    since: date | None = None
    until: date | None = None
    doc: list[str] = field(default_factory=list)  # document ids

    def is_empty(self) -> bool:
        return not (self.origin or self.tag or self.classification or self.since or self.until or self.doc)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["since"] = self.since.isoformat() if self.since else None
        out["until"] = self.until.isoformat() if self.until else None
        return out


@dataclass
class Hit:
    """One retrieved paragraph."""

    rank: int
    doc_id: str
    paragraph: int
    score: float
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)  # subject, origin, created, classification, tags
    marking: str | None = None
    section: str | None = None
    paragraph_id: int = 0  # row id in the index's SQLite store

    @property
    def label(self) -> str:
        return cite(self.doc_id, self.paragraph)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "doc_id": self.doc_id,
            "paragraph": self.paragraph,
            "score": round(self.score, 6),
            "text": self.text,
            "marking": self.marking,
            "section": self.section,
            "metadata": self.metadata,
        }


@dataclass
class Citation:
    doc_id: str
    paragraph: int
    text: str

    @property
    def label(self) -> str:
        return cite(self.doc_id, self.paragraph)


@dataclass
class Sentence:
    """One answer sentence, the citations it carries (labels) and whether the check accepted it."""

    text: str
    citations: list[str]
    supported: bool


@dataclass
class Answer:
    """A checked answer. ``abstained`` answers still carry ``sources`` for the user to read."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    sources: list[Hit] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # retrieve_ms, first_token_ms, total_ms
    model: str = ""
    dropped_citations: int = 0  # markers that pointed at nothing shown to the model
    raw: str = ""  # the model's text before checking (for evaluation and debugging)
    # why it abstained (``abstain_reason``) and the check scores (``check_yes``, ``extract_yes``...)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "sentences": [asdict(s) for s in self.sentences],
            "sources": [h.to_json() for h in self.sources],
            "timings": self.timings,
            "model": self.model,
            "dropped_citations": self.dropped_citations,
            "diagnostics": self.diagnostics,
        }
