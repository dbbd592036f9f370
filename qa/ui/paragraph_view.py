"""A cited paragraph in its cable's context: header, marking, neighbours, supporting sentence highlighted.

Pure: takes the document's metadata and paragraphs (``Store.document``) and the answer sentences that
cited the paragraph, returns escaped HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from qa.citations import split_sentences
from qa.documents import Paragraph
from qa.support import numbers_in
from qa.ui.render import chip, esc

_WORD = re.compile(r"[a-z][a-z'\-]{3,}")
_STOP = {
    "that", "this", "with", "from", "were", "have", "been", "which", "their", "there", "they", "what",
    "when", "where", "about", "into", "than", "also", "said", "would", "could", "will", "many", "much",
}
HEADER_FIELDS = (
    ("Reference ID", "doc_id"),
    ("Date", "created"),
    ("Origin", "origin"),
    ("Classification", "classification"),
    ("Subject", "subject"),
    ("Tags", "tags"),
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def supporting_sentence(paragraph: str, claims: Sequence[str]) -> str | None:
    """The sentence of ``paragraph`` that best matches the answer sentences citing it, or None.

    Shared numbers weigh most (an answer's facts are mostly numbers and names), then shared words.
    Returns a substring of the whitespace-normalised paragraph.
    """
    if not claims:
        return None
    text = " ".join(paragraph.split())
    claim_numbers = set().union(*(numbers_in(c) for c in claims))
    claim_words = set().union(*(_words(c) for c in claims))
    best, best_score = None, 0.0
    for sentence in split_sentences(text):
        score = 3.0 * len(numbers_in(sentence) & claim_numbers) + len(_words(sentence) & claim_words)
        if score > best_score and sentence in text:
            best, best_score = sentence, score
    return best


def _paragraph_html(text: str, highlight: str | None) -> str:
    text = " ".join(text.split())
    if highlight and highlight in text:
        before, _, after = text.partition(highlight)
        return f'{esc(before)}<mark class="support">{esc(highlight)}</mark>{esc(after)}'
    return esc(text)


def _header(doc_id: str, md: Mapping[str, Any]) -> str:
    rows = []
    values = {"doc_id": doc_id, **md}
    if not values.get("subject") and values.get("title"):
        values["subject"] = values["title"]
    for name, key in HEADER_FIELDS:
        value = values.get(key)
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        if value in (None, ""):
            value = "—"
        rows.append(f"<tr><th>{esc(name)}</th><td>{esc(value)}</td></tr>")
    return f'<table class="doc-header">{"".join(rows)}</table>'


def _one(doc_id: str, p: Paragraph, role: str, highlight: str | None = None) -> str:
    marking = ""
    if p.marking:
        marking = f'<span class="marking" title="paragraph classification">({esc(p.marking)})</span> '
    label = chip(doc_id, p.n, "source") if role != "current" else f'<span class="para-label">¶{p.n}</span>'
    section = f'<div class="para-section">{esc(p.section)}</div>' if p.section and role == "current" else ""
    return (
        f'<div class="para para-{role}">{section}<div class="para-head">{label} {marking}</div>'
        f'<div class="para-text">{_paragraph_html(p.text, highlight)}</div></div>'
    )


def render_paragraph_view(
    doc_id: str,
    number: int,
    metadata: Mapping[str, Any],
    paragraphs: Sequence[Paragraph],
    claims: Sequence[str] = (),
    context: int = 1,
) -> str:
    """The paragraph ``number`` of ``doc_id`` with ``context`` neighbours each side and its header.

    ``claims`` are the answer sentences that cited it: shown above, and used to highlight the sentence
    of the paragraph that supports them.
    """
    index = next((i for i, p in enumerate(paragraphs) if p.n == number), None)
    if index is None:
        return render_missing(doc_id, number, "the paragraph is not in the index")
    current = paragraphs[index]
    highlight = supporting_sentence(current.text, claims)
    out = f'<div class="para-view"><div class="para-title">{esc(doc_id)} ¶{number}</div>'
    out += _header(doc_id, metadata)
    if claims:
        quoted = "".join(f"<li>{esc(c)}</li>" for c in claims)
        out += f'<div class="cited-for"><div>Cited for:</div><ul>{quoted}</ul></div>'
    for p in paragraphs[max(0, index - context): index]:
        out += _one(doc_id, p, "before")
    out += _one(doc_id, current, "current", highlight)
    for p in paragraphs[index + 1: index + 1 + context]:
        out += _one(doc_id, p, "after")
    return out + "</div>"


def render_missing(doc_id: str, number: int, why: str) -> str:
    return f'<div class="para-view"><div class="error">{esc(doc_id)} ¶{number}: {esc(why)}.</div></div>'


PLACEHOLDER = (
    '<div class="para-view para-empty">Click a citation such as <span class="cite-example">06PHNOMPENH657 ¶5'
    "</span> to read the paragraph in its cable.</div>"
)
