"""A cited paragraph in its cable's context: header, marking, neighbours, and the evidence highlighted.

Pure: takes the document's metadata and paragraphs (``Searcher.document``) and the accepted answer
sentences that cited the paragraph with the span the checker matched, returns escaped HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from qa.types import Paragraph
from qa.ui.render import chip, cite_href, esc, provenance_badge, tag_list

HEADER_FIELDS = (
    ("Reference ID", "doc_id"),
    ("Date", "created"),
    ("Origin", "origin"),
    ("Classification", "classification"),
    ("Subject", "subject"),
)
DOCUMENT_START = 0  # a link to ``<doc>:0`` opens the document at its first paragraph


def evidence_spans(text: str, claims: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """The evidence spans the checker matched in this paragraph, merged where they overlap."""
    spans = sorted((int(c["span"][0]), int(c["span"][1])) for c in claims if c.get("span"))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        start, end = max(0, start), min(len(text), end)
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _squash(text: str) -> str:
    """Runs of whitespace as one space (the stored text keeps the cable's line breaks), edges kept."""
    return re.sub(r"\s+", " ", text)


def _paragraph_html(text: str, spans: Sequence[tuple[int, int]] = ()) -> str:
    out, at = [], 0
    for start, end in spans:
        out.append(esc(_squash(text[at:start])))
        out.append(f'<mark class="support">{esc(_squash(text[start:end]))}</mark>')
        at = end
    out.append(esc(_squash(text[at:])))
    return "".join(out).strip()


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
    tags = values.get("tags") or []
    rows.append(f"<tr><th>Tags</th><td>{tag_list(tags) if tags else '—'}</td></tr>")
    origin = provenance_badge(md)
    if origin:
        rows.append(f"<tr><th>Source</th><td>{origin}</td></tr>")
    rows += _ref_rows(md)
    return f'<table class="doc-header">{"".join(rows)}</table>'


def cable_link(doc_id: str) -> str:
    """A link that opens a cable in the viewer (at its first paragraph), like a citation chip."""
    return (f'<a class="cable-link" href="{esc(cite_href(doc_id, DOCUMENT_START))}" '
            f'title="open {esc(doc_id)}">{esc(doc_id)}</a>')


def _ref_rows(md: Mapping[str, Any]) -> list[str]:
    """The cable's REF items (each a link when the cable it names is indexed) and the indexed cables
    that cite it."""
    rows = []
    links = md.get("ref_links") or []
    if links:
        items = []
        for link in links:
            ref_id = link.get("ref_id")
            if ref_id and link.get("in_index"):
                items.append(f'<li>{cable_link(ref_id)} <span class="ref-item">{esc(link["item"])}</span></li>')
            elif ref_id:
                items.append(f'<li>{esc(ref_id)} <span class="ref-item">{esc(link["item"])}</span>'
                             ' <span class="ref-missing">(not in the index)</span></li>')
            else:
                items.append(f'<li><span class="ref-item">{esc(link["item"])}</span>'
                             ' <span class="ref-missing">(not a cable)</span></li>')
        rows.append(f'<tr><th>REF</th><td><ul class="ref-list">{"".join(items)}</ul></td></tr>')
    cited_by = md.get("cited_by") or []
    if cited_by:
        rows.append('<tr><th>Cited by</th><td class="cited-by">'
                    + ", ".join(cable_link(d) for d in cited_by) + "</td></tr>")
    return rows


def _one(doc_id: str, p: Paragraph, role: str, spans: Sequence[tuple[int, int]] = ()) -> str:
    marking = ""
    if p.marking:
        marking = f'<span class="marking" title="paragraph classification">({esc(p.marking)})</span> '
    label = chip(doc_id, p.n, "source") if role != "current" else f'<span class="para-label">¶{p.n}</span>'
    section = f'<div class="para-section">{esc(p.section)}</div>' if p.section and role == "current" else ""
    return (
        f'<div class="para para-{role}">{section}<div class="para-head">{label} {marking}</div>'
        f'<div class="para-text">{_paragraph_html(p.text, spans)}</div></div>'
    )


def render_paragraph_view(
    doc_id: str,
    number: int,
    metadata: Mapping[str, Any],
    paragraphs: Sequence[Paragraph],
    claims: Sequence[Mapping[str, Any]] = (),
    context: int = 1,
) -> str:
    """The paragraph ``number`` of ``doc_id`` with ``context`` neighbours each side and its header.

    ``claims`` are the accepted answer sentences that cited it (``{"text", "span"}``): shown above,
    and their evidence spans, exactly what the checker matched, highlighted in the paragraph.
    """
    index = next((i for i, p in enumerate(paragraphs) if p.n == number), None)
    if index is None:
        return render_missing(doc_id, number, "the paragraph is not in the index")
    current = paragraphs[index]
    spans = evidence_spans(current.text, claims)
    out = f'<div class="para-view"><div class="para-title">{esc(doc_id)} ¶{number}</div>'
    out += _header(doc_id, metadata)
    if claims:
        quoted = "".join(f"<li>{esc(c.get('text', ''))}</li>" for c in claims)
        out += f'<div class="cited-for"><div>Cited for:</div><ul>{quoted}</ul></div>'
    for p in paragraphs[max(0, index - context): index]:
        out += _one(doc_id, p, "before")
    out += _one(doc_id, current, "current", spans)
    for p in paragraphs[index + 1: index + 1 + context]:
        out += _one(doc_id, p, "after")
    return out + "</div>"


def render_missing(doc_id: str, number: int, why: str) -> str:
    return f'<div class="para-view"><div class="error">{esc(doc_id)} ¶{number}: {esc(why)}.</div></div>'


PLACEHOLDER = (
    '<div class="para-view para-empty">Click a citation such as <span class="cite-example">06PHNOMPENH657 ¶5'
    "</span> to read the paragraph in its cable.</div>"
)
