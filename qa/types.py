"""Plain data every stage shares: parsed documents and paragraphs, search filters and hits, and
checked answers with their citations. No behaviour beyond small derived values and JSON forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from qa.errors import QAError


@dataclass
class Paragraph:
    """One numbered paragraph, numbered as the document numbers it (``n`` is the ¶ number)."""

    n: int
    text: str
    marking: str | None = None  # the paragraph's own classification marking, e.g. "C", "SBU"
    section: str | None = None  # the heading the paragraph stands under, if any


@dataclass
class Document:
    """A parsed document: a cable or any other text, split into numbered paragraphs.

    ``kind`` is ``"cable"`` for diplomatic cables and ``"text"``, ``"jsonl"`` or ``"csv"`` otherwise.
    ``metadata`` holds what the parser found (for cables: ``created``, ``origin``, ``tags``,
    ``subject``, ``classification``...). ``warnings`` lists what looked wrong but did not stop parsing.
    """

    doc_id: str
    source: str
    kind: str
    title: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    paragraphs: list[Paragraph] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``qa parse --json`` form of the document."""
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "kind": self.kind,
            "title": self.title,
            "metadata": self.metadata,
            "paragraphs": [asdict(p) for p in self.paragraphs],
            "warnings": self.warnings,
        }


@dataclass
class LoadFailure:
    """A file that could not be turned into any document, with the reason for the user."""

    source: str
    reason: str


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


def provenance(metadata: Mapping[str, Any]) -> str:
    """Where a source came from, in words: ``cable, indexed folder, 09LONDON1069.txt`` or ``text file,
    uploaded through the app, notes.txt (not a cable)``; "" when the metadata does not say."""
    kind, file = metadata.get("kind"), metadata.get("file")
    if not kind:
        return ""
    what = "cable" if kind == "cable" else f"{kind} file"
    where = "uploaded through the app" if metadata.get("uploaded") else "indexed folder"
    text = f"{what}, {where}" + (f", {file}" if file else "")
    return text if kind == "cable" else text + " (not a cable)"


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


Span = tuple[int, int]


@dataclass
class Citation:
    """A cited paragraph: its document, its ¶ number and, when the checker matched one, ``span``: the
    character range ``[start, end)`` of the paragraph's text that it found the evidence in."""

    doc_id: str
    paragraph: int
    span: Span | None = None

    @property
    def label(self) -> str:
        return cite(self.doc_id, self.paragraph)

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "paragraph": self.paragraph, "label": self.label,
                "span": list(self.span) if self.span else None}


@dataclass
class Sentence:
    """One answer sentence, the paragraphs it cites and whether the checks accepted it. An accepted
    sentence's citations carry the evidence span the checker matched in each paragraph."""

    text: str
    citations: list[Citation]
    supported: bool
    quoted: bool = False  # the cited paragraph's own words, quoted when the model's answer was rejected

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "supported": self.supported, "quoted": self.quoted,
                "citations": [c.to_json() for c in self.citations]}


@dataclass
class Answer:
    """A checked answer. ``answer`` is the accepted sentences' text (no citation labels: those are
    data on ``sentences`` and ``citations``), or the abstention sentence. ``abstained`` answers still
    carry ``sources`` for the user to read."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)  # each cited paragraph once, in order
    sentences: list[Sentence] = field(default_factory=list)
    sources: list[Hit] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # retrieve_ms, first_token_ms, total_ms
    model: str = ""
    dropped_citations: int = 0  # markers that pointed at nothing shown to the model
    raw: str = ""  # the model's text before checking (for evaluation and debugging)
    # why it abstained (``abstain_reason``) and the check scores (``check_yes``, ``extract_yes``...)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def paragraph_text(self, citation: Citation) -> str:
        """The text of a cited paragraph (every cited paragraph is one of the ``sources``)."""
        return next((h.text for h in self.sources
                     if h.doc_id == citation.doc_id and h.paragraph == citation.paragraph), "")

    def with_labels(self) -> str:
        """For display: each accepted sentence followed by its citations, ``... 123 [06PHNOMPENH657 ¶5].``"""
        if self.abstained:
            return self.answer
        parts = [_labelled(f"“{s.text}”" if s.quoted else s.text, [c.label for c in s.citations])
                 for s in self.sentences if s.supported]
        return " ".join(parts) or _labelled(self.answer, [c.label for c in self.citations])

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "answer_cited": self.with_labels(),
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "sentences": [s.to_json() for s in self.sentences],
            "sources": [h.to_json() for h in self.sources],
            "timings": self.timings,
            "model": self.model,
            "dropped_citations": self.dropped_citations,
            "diagnostics": self.diagnostics,
        }


def _labelled(text: str, labels: list[str]) -> str:
    """``Cases rose to 123.`` + labels -> ``Cases rose to 123 [06PHNOMPENH657 ¶5].``"""
    if not labels:
        return text
    marks = " ".join(f"[{label}]" for label in labels)
    body = text.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else "."
    if body.endswith("”") or body.endswith('"'):  # a quoted sentence keeps its closing quote
        return f"{body} {marks}"
    return f"{body.rstrip('.!?').rstrip()} {marks}{end}"
