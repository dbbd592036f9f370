"""A deterministic stand-in for the app's backend, for fast tests of the UI's handlers.

It holds real text (paragraphs of the seed cable), retrieves by shared words and "generates" a fixed
draft; the browser test runs the real pipeline instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from qa.answer.pipeline import Event
from qa.corpus.timeline import Timeline
from qa.prompts.templates import ABSTAIN
from qa.text import locate
from qa.types import Answer, Citation, Filters, Hit, Paragraph, Sentence

DOC = "06PHNOMPENH657"
META = {
    "created": "2006-04-07", "origin": "Embassy Phnom Penh", "classification": "UNCLASSIFIED",
    "subject": "CAMBODIAN GOVERNMENT HIGHLIGHTS TIP AT NATIONAL CONFERENCES",
    "tags": ["PHUM", "PREL", "KWMN", "CB"],
}
PARAGRAPHS = [
    Paragraph(4, "MOI Secretary of State Prum Sokha provided a presentation about the LEASEC project."),
    Paragraph(5, "The speech showcased the influence of the LEASEC project on police work. Human trafficking "
                 "cases have increased from 28 in 2001 to 123 in 2005. The police maintain that the increase "
                 "reflects enhanced understanding.", marking="SBU"),
    Paragraph(6, "Un Sokunthea, Director of the AHTJP Department, explained that her Department receives "
                 "information from three sources."),
]
_WORD = re.compile(r"[a-z0-9]+")


class FakeBackend:
    model_name = "fake-model"

    def __init__(self, answerable: bool = True) -> None:
        self.answerable = answerable
        self.asked: list[tuple[str, Filters | None]] = []
        self.typing: list[str] = []
        self.documents: dict[str, tuple[dict[str, Any], list[Paragraph]]] = {
            DOC: (dict(META), list(PARAGRAPHS))}

    def summary(self) -> dict[str, Any]:
        paragraphs = sum(len(p) for _, p in self.documents.values())
        return {"documents": len(self.documents), "paragraphs": paragraphs, "embedder": "fake-embedder"}

    def facets(self) -> dict[str, list[str]]:
        return {"origin": [META["origin"]], "tag": list(META["tags"]),
                "classification": [META["classification"]]}

    def search(self, query: str, k: int, filters: Filters | None) -> list[Hit]:
        words = set(_WORD.findall(query.lower()))
        scored = []
        for doc_id, (md, paragraphs) in self.documents.items():
            for p in paragraphs:
                score = len(words & set(_WORD.findall(p.text.lower())))
                if score:
                    scored.append((score, doc_id, p, md))
        scored.sort(key=lambda s: -s[0])
        return [Hit(i + 1, d, p.n, float(s), p.text, dict(md), p.marking)
                for i, (s, d, p, md) in enumerate(scored[:k])]

    def typed(self, text: str, previous: str | None, filters: Filters | None) -> int:
        self.typing.append(text)
        return 0

    def stream(self, question: str, filters: Filters | None) -> Iterator[Event]:
        self.asked.append((question, filters))
        hits = self.search(question, 3, filters)
        yield Event("sources", hits)
        if not self.answerable:
            yield Event("answer", Answer(question, ABSTAIN, True, [], [], hits, {}, self.model_name))
            return
        draft = "Human trafficking cases rose to 123 in 2005 [1]. The moon is made of cheese [2]."
        for piece in draft.split(" "):
            yield Event("token", piece + " ")
        p5 = PARAGRAPHS[1]
        evidence = locate("Human trafficking cases have increased from 28 in 2001 to 123 in 2005.", p5.text)
        cited = Citation(DOC, 5, evidence)
        sentences = [Sentence("Human trafficking cases rose to 123 in 2005.", [cited], True),
                     Sentence("The moon is made of cheese.", [Citation(DOC, 6)], False)]
        text = "Human trafficking cases rose to 123 in 2005."
        yield Event("answer", Answer(question, text, False, [cited], sentences, hits,
                                     {"retrieve_ms": 5.0, "first_token_ms": 20.0, "total_ms": 90.0},
                                     self.model_name, 1))

    def document(self, doc_id: str) -> tuple[dict[str, Any], list[Paragraph]] | None:
        return self.documents.get(doc_id)

    def timeline(self, query: str, filters: Filters | None, by: str, list_limit: int = 0) -> Timeline:
        """Documents with a paragraph holding every query word, counted per year, month, origin or tag."""
        words = set(_WORD.findall(query.lower()))
        counts: dict[str, int] = {}
        for md, paragraphs in self.documents.values():
            if not any(words <= set(_WORD.findall(p.text.lower())) for p in paragraphs):
                continue
            created = str(md.get("created") or "")
            keys = {"year": [created[:4]], "month": [created[:7]], "origin": [md.get("origin") or ""],
                    "tag": list(md.get("tags") or [])}[by]
            for key in keys:
                counts[key] = counts.get(key, 0) + 1
        buckets = sorted(counts.items())
        return Timeline(query, by, sum(counts.values()) if by != "tag" else len(self.documents), buckets,
                        "documents with a paragraph containing all of: " + ", ".join(sorted(words)), None)

    def add_files(self, paths: Sequence[Path], progress: Any = None) -> dict[str, Any]:
        for path in paths:
            self.documents[path.stem] = ({"title": path.stem}, [Paragraph(1, path.read_text())])
        return {"added": len(paths), "totals": {"documents": len(self.documents)}}
