"""Which retrieved documents an answer may rest on: none that addresses the assistant.

A document is withheld whole when any of its paragraphs, not only the retrieved one, reads as
instructions to an AI assistant: a planted file's harmless title must not get in while its orders sit
in the next paragraph. Two readers decide:

- the patterns of ``qa.grounding.instructions``, on every retrieved document (cheap);
- the guard model (``qa.grounding.checks.InstructionGuard``), on documents that are not cables (text
  files, uploads) and only for those about to be used, since each check costs a model call (about a
  second). Real cables never cost one.

Verdicts are kept per document text, so a document is read once per process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from qa.grounding.checks import InstructionGuard, source_line
from qa.grounding.instructions import addresses_assistant
from qa.retrieve.searcher import Retriever
from qa.types import Hit, Paragraph, cite

log = logging.getLogger(__name__)

MAX_VERDICTS = 4096
DEEPEST = 16  # never fetch more than this many times k while looking for usable paragraphs


class DocumentScreen:
    """Withholds retrieved documents that address the assistant; see the module docstring."""

    def __init__(self, retriever: Retriever, guard: InstructionGuard | None = None, min_guard_prob: float = 0.6
                 ) -> None:
        self.retriever, self.guard, self.min_guard_prob = retriever, guard, min_guard_prob
        self._patterns: dict[tuple[str, int], str] = {}  # (doc_id, hash of its text) -> why withheld, or ""
        self._guarded: dict[tuple[str, int], str] = {}

    def retrieve(self, search: Callable[[int], list[Hit]], k: int) -> tuple[list[Hit], list[str]]:
        """The ``k`` best usable hits, then the withheld ones among the ``k`` best (marked with
        ``metadata["withheld"]``), and the reasons. ``search(n)`` returns the ``n`` best hits; it is
        asked for more while withheld documents leave fewer than ``k`` usable, so planted text cannot
        crowd the real sources out."""
        wanted = 2 * k
        while True:
            fetched = search(wanted)
            withheld: dict[str, str] = {}
            usable: list[Hit] = []
            for hit in fetched:
                if hit.doc_id in withheld:
                    continue
                # the guard model only for what is about to be used; the patterns for every hit (a
                # retriever that cannot give whole documents is checked paragraph by paragraph)
                reason = self.reason(hit, deep=sum(h.doc_id not in withheld for h in usable) < k)
                if reason:
                    withheld[hit.doc_id] = reason
                else:
                    usable.append(hit)
            usable = [h for h in usable if h.doc_id not in withheld][:k]
            if len(usable) >= k or len(fetched) < wanted or wanted >= DEEPEST * k:
                break
            wanted *= 2
        if not withheld:
            return fetched[:k], []
        log.warning("withheld from the model: %s", "; ".join(withheld.values()))
        marked = [replace(h, metadata={**(h.metadata or {}), "withheld": withheld[h.doc_id]})
                  for h in fetched[:k] if h.doc_id in withheld]
        ranked = [replace(h, rank=i) for i, h in enumerate([*usable, *marked], start=1)]
        return ranked, sorted(withheld.values())

    def reason(self, hit: Hit, *, deep: bool = False) -> str:
        """Why the hit's document may not be used, or "" when it may. ``deep`` adds the guard model for
        a document that is not a cable."""
        found = self.retriever.document(hit.doc_id)
        paragraphs = found[1] if found else [Paragraph(hit.paragraph, hit.text)]
        key = (hit.doc_id, hash(tuple(p.text for p in paragraphs)))
        if key not in self._patterns:
            self._patterns[key] = next(
                (f"{cite(hit.doc_id, p.n)} reads as instructions to an assistant ({a.reason})"
                 for p in paragraphs if (a := addresses_assistant(p.text)) is not None), "")
        reason = self._patterns[key]
        if reason or not deep or self.guard is None or (hit.metadata or {}).get("kind", "cable") == "cable":
            return reason
        if key not in self._guarded:
            p_yes = self.guard.p_yes(source_line(hit), "\n\n".join(p.text for p in paragraphs))
            self._guarded[key] = (f"{hit.doc_id} reads as instructions to an assistant (the guard model's "
                                  f"P(yes) {p_yes:.2f})") if p_yes >= self.min_guard_prob else ""
        for cache in (self._patterns, self._guarded):
            if len(cache) > MAX_VERDICTS:
                cache.clear()
        return self._guarded.get(key, "")
