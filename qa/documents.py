"""Plain data for parsed documents: what every parser produces and every later stage reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
