"""Checks that a question set's gold paragraphs exist and that each quote lies in its paragraph."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from qa.evaluation.dataset import Question, squash
from qa.types import Document


def gold_problems(questions: Iterable[Question], documents: Mapping[str, Document]) -> list[str]:
    """One line per problem: a missing document or paragraph, or a quote not in its paragraph.

    ``documents`` maps a document id to the parsed document. Where a quote is found in another
    paragraph, the line says which, so a renumbered paragraph is easy to fix.
    """
    problems = []
    for question in questions:
        for gold in question.gold:
            where = f"{question.id}: {gold.doc_id}"
            document = documents.get(gold.doc_id)
            if document is None:
                problems.append(f"{where}: document not found")
                continue
            texts = {p.n: p.text for p in document.paragraphs}
            holding = [n for n, text in texts.items() if gold.quote and squash(gold.quote) in squash(text)]
            if gold.paragraph is not None and gold.paragraph not in texts:
                problems.append(f"{where}: no paragraph ¶{gold.paragraph} (has ¶{_ranges(sorted(texts))})")
            elif gold.quote is None:
                continue
            elif gold.paragraph is None and not holding:
                problems.append(f"{where}: quote {gold.quote!r} is in no paragraph")
            elif gold.paragraph is not None and gold.paragraph not in holding:
                found = f"it is in ¶{', ¶'.join(map(str, holding))}" if holding else "it is in no paragraph"
                problems.append(f"{where} ¶{gold.paragraph}: quote {gold.quote!r} not there; {found}")
    return problems


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` as ``1-3, 5``."""
    if not numbers:
        return "none"
    parts, start, prev = [], numbers[0], numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)
