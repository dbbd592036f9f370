"""Answers, citations and search hits as HTML for the app: pure functions over ``qa.types`` data.

Every piece of document or model text goes through ``esc`` before it reaches HTML, so a paragraph that
holds ``<script>`` or ``<img onerror=...>`` shows as text and runs nothing. Chat messages are wrapped
in one ``<div>`` with no blank line inside, which Markdown passes through as a raw HTML block: the
escaped text is never re-read as Markdown.

Citation chips are links to ``#cite=<doc id>:<n>``; the app's click handler (``qa/ui/style.py``) opens
the paragraph. Only sentences the checker accepted get "checked" chips; an unsupported sentence is
shown apart, marked, with no chip; the nearest paragraphs of an abstention get plain chips.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

from qa.corpus.tags import tag_label
from qa.prompts.templates import ABSTAIN
from qa.types import Answer, Citation, Filters, Hit, cite, provenance

CITE_PREFIX = "#cite="
SNIPPET_CHARS = 280
# Beyond HTML's specials: characters that template engines (gr.HTML renders its value through a JS
# template) or Markdown could read as syntax. As entities they display unchanged and mean nothing.
_INERT = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;", "\\": "&#92;",
                        "*": "&#42;", "_": "&#95;", "[": "&#91;", "]": "&#93;", "~": "&#126;"})


def esc(text: Any) -> str:
    """Text as inert HTML: ``<``, ``>``, ``&`` and quotes escaped, line breaks kept as ``<br>``."""
    escaped = html.escape("" if text is None else str(text), quote=True).translate(_INERT)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def cite_href(doc_id: str, paragraph: int) -> str:
    return f"{CITE_PREFIX}{quote(doc_id, safe='')}:{int(paragraph)}"


def parse_cite_target(value: Any) -> tuple[str, int] | None:
    """``"06PHNOMPENH657:5"`` (what a chip click sends) -> ``("06PHNOMPENH657", 5)``; None if malformed."""
    if not isinstance(value, str):
        return None
    text = value[len(CITE_PREFIX):] if value.startswith(CITE_PREFIX) else value
    doc, sep, number = text.rpartition(":")
    if not sep or not doc or not number.isdigit():
        return None
    return unquote(doc), int(number)


def chip(doc_id: str, paragraph: int, kind: str = "source", title: str | None = None) -> str:
    """A clickable citation chip. ``kind``: ``checked`` (accepted by the checker), ``source``, ``nearest``."""
    tip = f' title="{esc(title)}"' if title else ""
    return (
        f'<a class="cite-chip cite-{esc(kind)}" href="{esc(cite_href(doc_id, paragraph))}"{tip}>'
        f"{esc(cite(doc_id, paragraph))}</a>"
    )


def _snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _meta_line(md: Mapping[str, Any]) -> str:
    created = str(md.get("created") or "")[:10]
    parts = [created, md.get("origin"), md.get("classification")]
    line = " · ".join(esc(p) for p in parts if p)
    origin = provenance(md)
    return f'{line}{" · " if line and origin else ""}{provenance_badge(md)}' if origin else line


def provenance_badge(md: Mapping[str, Any]) -> str:
    """``provenance`` as a small tag; marked out when the source is not a cable or was uploaded."""
    text = provenance(md)
    if not text:
        return ""
    plain = md.get("kind") == "cable" and not md.get("uploaded")
    return f'<span class="prov{"" if plain else " prov-other"}">{esc(text)}</span>'


# ---- filters and questions ----------------------------------------------------------------------
def describe_filters(filters: Filters | None) -> str:
    """The filters in words, e.g. ``origin: Phnom Penh; tags: PHUM; from 2005-01-01``; "" when none."""
    if filters is None or filters.is_empty():
        return ""
    parts = []
    if filters.origin:
        parts.append("origin: " + ", ".join(filters.origin))
    if filters.tag:
        parts.append("tags: " + ", ".join(tag_label(t) for t in filters.tag))
    if filters.classification:
        parts.append("classification: " + ", ".join(filters.classification))
    if filters.since:
        parts.append(f"from {filters.since.isoformat()}")
    if filters.until:
        parts.append(f"until {filters.until.isoformat()}")
    if filters.doc:
        parts.append("documents: " + ", ".join(filters.doc))
    return "; ".join(parts)


def render_question(question: str, filters: Filters | None = None) -> str:
    """The user's turn in the transcript, with the filters it was asked under."""
    out = f'<div class="turn-question"><div class="question-text">{esc(question)}</div>'
    described = describe_filters(filters)
    if described:
        out += f'<div class="filters-line">Filters: {esc(described)}</div>'
    return out + "</div>"


def _understood(question: str, understood_as: str | None) -> str:
    if understood_as and understood_as.strip() != question.strip():
        return f'<div class="understood-as">Understood as: {esc(understood_as)}</div>'
    return ""


# ---- the assistant's turn ---------------------------------------------------------------------
def render_status(text: str, question: str = "", understood_as: str | None = None) -> str:
    """A short status message (searching, generating) in place of the answer."""
    head = _understood(question, understood_as)
    return f'<div class="turn-answer">{head}<div class="status">{esc(text)}</div></div>'


def render_draft(text: str, n_sources: int, question: str = "", understood_as: str | None = None) -> str:
    """The answer while it streams: raw, muted, with a note that citations are not checked yet."""
    return (
        f'<div class="turn-answer">{_understood(question, understood_as)}'
        f'<div class="draft">{esc(text)}<span class="cursor">▍</span></div>'
        f'<div class="draft-note">Drafting from {_count(n_sources, "source")}; citations are checked when '
        "the answer is complete.</div></div>"
    )


def _checked_chips(citations: Iterable[Citation], sources: Sequence[Hit] = ()) -> str:
    """Each citation's chip with its source's provenance: in the tooltip always, and as a visible tag
    when the source is not a cable from an indexed folder (an upload, a text file)."""
    where = {(h.doc_id, h.paragraph): h.metadata or {} for h in sources}
    out = []
    for c in citations:
        md = where.get((c.doc_id, c.paragraph), {})
        origin = provenance(md)
        tip = "checked: this paragraph supports the sentence" + (f" ({origin})" if origin else "")
        tag = provenance_badge(md) if origin and (md.get("kind") != "cable" or md.get("uploaded")) else ""
        out.append(chip(c.doc_id, c.paragraph, "checked", title=tip) + (f" {tag}" if tag else ""))
    return " ".join(out)


def render_answer(answer: Answer, understood_as: str | None = None, asked: str | None = None) -> str:
    """The checked answer (or the abstention) as it stays in the transcript.

    ``understood_as`` is shown when it differs from what the user ``asked`` (a rewritten follow-up).
    """
    head = _understood(asked or answer.question, understood_as)
    if answer.abstained:
        return f'<div class="turn-answer turn-final">{head}{render_abstention(answer)}{_footer(answer)}</div>'
    body: list[str] = []
    removed: list[str] = []
    if answer.sentences:
        for s in answer.sentences:
            if s.supported:
                chips = _checked_chips(s.citations, answer.sources)
                body.append(f'<span class="sentence">{esc(s.text)}</span>{" " + chips if chips else ""}')
            else:
                removed.append(f"<li>{esc(s.text)}</li>")
    else:
        chips = _checked_chips(answer.citations, answer.sources)
        body.append(f'<span class="sentence">{esc(answer.answer)}</span> {chips}')
    if not body:
        body.append('<span class="no-checked">No sentence of the answer was supported by its sources.</span>')
    out = f'<div class="turn-answer turn-final">{head}<div class="answer-text">{" ".join(body)}</div>'
    if removed:
        out += (
            f'<details class="unsupported"><summary>{len(removed)} sentence(s) removed: not supported by the '
            f"paragraphs they cited</summary><ul>{''.join(removed)}</ul></details>"
        )
    return out + _footer(answer) + "</div>"


def render_abstention(answer: Answer) -> str:
    """"The indexed documents do not answer this.", with the nearest paragraphs to read instead."""
    out = f'<div class="abstention"><strong>Not answered.</strong> {esc(ABSTAIN)}'
    reason = answer.diagnostics.get("abstain_reason")
    if reason:  # e.g. "the cited paragraphs never mention June": tells the user what to rephrase or check
        out += f' <span class="abstain-reason">(why: {esc(str(reason))})</span>'
    out += "</div>"
    if answer.sources:
        items = "".join(
            f'<li>{chip(h.doc_id, h.paragraph, "nearest")} <span class="snippet">{esc(_snippet(h.text, 160))}'
            "</span></li>"
            for h in answer.sources
        )
        out += f'<div class="nearest"><div class="nearest-title">Nearest paragraphs:</div><ul>{items}</ul>'
        out += "</div>"
    return out


def _footer(answer: Answer) -> str:
    notes = []
    if answer.dropped_citations:
        notes.append(f"{answer.dropped_citations} citation marker(s) named no paragraph shown to the model "
                     "and were dropped")
    t = answer.timings
    if t:
        names = (("retrieve_ms", "sources"), ("first_token_ms", "first token"), ("total_ms", "total"))
        notes.append(", ".join(f"{label} {_duration(t[key])}" for key, label in names if key in t))
    if answer.model:
        notes.append(f"model {answer.model}")
    notes = [n for n in notes if n]
    return f'<div class="answer-footer">{esc(" · ".join(notes))}</div>' if notes else ""


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def render_notice(message: str) -> str:
    """A short notice beside the question box (a question kept back, a filter that did not parse)."""
    return f'<div class="ask-notice" role="status">{esc(message)}</div>'


def render_error(message: str) -> str:
    return f'<div class="turn-answer turn-final"><div class="error">{esc(message)}</div></div>'


# ---- sources and search hits ------------------------------------------------------------------
def render_hits(hits: list[Hit], heading: str, empty: str = "Nothing found.") -> str:
    """A list of paragraphs (an answer's sources, or search results), each with its chip and header line."""
    out = f'<div class="hits"><div class="hits-heading">{esc(heading)}</div>'
    if not hits:
        return out + f'<div class="hits-empty">{esc(empty)}</div></div>'
    for h in hits:
        md = h.metadata or {}
        subject = md.get("subject")
        out += (
            f'<div class="hit">{chip(h.doc_id, h.paragraph, "source")}'
            f' <span class="hit-meta">{_meta_line(md)}</span>'
            + (f'<div class="hit-subject">{esc(subject)}</div>' if subject else "")
            + (f'<div class="hit-tags">{tag_list(md["tags"])}</div>' if md.get("tags") else "")
            + f'<div class="hit-text">{esc(_snippet(h.text))}</div>'
            + (f'<div class="hit-withheld">Not used for answers: {esc(md["withheld"])}</div>'
               if md.get("withheld") else "")
            + "</div>"
        )
    return out + "</div>"


def tag_list(tags: Sequence[str]) -> str:
    """Tags with their TAGS meanings, ``PHUM (Human Rights) · CB (Cambodia)``, as escaped HTML."""
    return " · ".join(f'<span class="tag" title="TAGS glossary">{esc(tag_label(str(t)))}</span>' for t in tags)


def render_summary(summary: Mapping[str, Any] | None, model: str = "") -> str:
    """One line: documents, paragraphs, embedder and language model of the served index."""
    if not summary:
        return '<div class="index-summary">No index yet: add documents in the "Add documents" tab.</div>'
    parts = [
        _count(summary.get("documents", 0), "document"),
        _count(summary.get("paragraphs", 0), "paragraph"),
        f"embedder {summary.get('embedder', '?')}",
    ]
    if model:
        status = summary.get("model_status")
        parts.append(f"model {model}" + (f" ({status})" if status == "ready" else
                                          " (loading model: the first answer waits for it)" if status == "loading"
                                          else f" ({status})" if status and status != "not loaded" else ""))
    paragraphs, embedded = summary.get("paragraphs", 0), summary.get("embedded", summary.get("paragraphs", 0))
    if embedded < paragraphs:  # indexing's second phase is running, or was stopped
        parts.append(f"{embedded:,} of {paragraphs:,} paragraphs embedded (the rest are found by their words "
                     "until qa index finishes)")
    if summary.get("left_out"):  # said until fixed: a skipped document is never silently missing
        parts.append(f"{_count(len(summary['left_out']), 'piece')} left out (qa index --status lists them)")
    return f'<div class="index-summary">Index: {esc(" · ".join(parts))}</div>'


def _count(n: Any, noun: str) -> str:
    n = int(n or 0)
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# ---- Markdown copy ----------------------------------------------------------------------------
def answer_markdown(answer: Answer) -> str:
    """The answer as Markdown with its citations and quoted sources, for pasting elsewhere."""
    lines = [f"**Q:** {answer.question}", ""]
    if answer.abstained:
        lines.append(ABSTAIN)
        cited = [(h.doc_id, h.paragraph, h.text) for h in answer.sources]
        heading = "Nearest paragraphs"
    else:
        supported = [s for s in answer.sentences if s.supported]
        if supported:
            lines.append(" ".join(s.text + "".join(f" [{c.label}]" for c in s.citations) for s in supported))
        else:
            lines.append(answer.answer + "".join(f" [{c.label}]" for c in answer.citations))
        cited = [(c.doc_id, c.paragraph, answer.paragraph_text(c)) for c in answer.citations]
        heading = "Sources"
    if cited:
        lines += ["", f"**{heading}:**"]
        for doc_id, n, text in cited:
            lines.append(f"- {cite(doc_id, n)}: \"{_snippet(text, 300)}\"")
    return "\n".join(lines)
