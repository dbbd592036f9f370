"""Questions about counts and trends ("how many cables did the embassy in Ankara send about the PKK in
2007?"), answered from counts over the whole index rather than from a paragraph, which cannot hold
them. Pure: reading the question is plain text work; the counting is ``qa.corpus.timeline``.

A question counts as one only when it asks how many (or how often, or the trend of) *cables, reports,
messages or documents*: "how many voters took part" is a fact a paragraph states, and goes to the
ordinary answer path. What the question names becomes filters: an origin the index holds ("the
embassy in Ankara"), a year, a month or a span ("in 2007", "in November 2009", "between 2006 and
2008", "since 2008"). The words left are the topic every counted paragraph must contain. Filters the
user set in the form stay; the question only adds to them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from qa.retrieve.context import question_context
from qa.text import STOPWORDS
from qa.types import Filters

_DOCS = r"(?:cables?|reports?|messages?|telegrams?|documents?|dispatches)"
_COUNT = re.compile(
    rf"\bhow\s+many\b(?:\s+\w+){{0,3}}?\s+{_DOCS}\b"
    rf"|\b(?:number|count|volume)\s+of\s+(?:\w+\s+){{0,2}}{_DOCS}\b"
    r"|\bhow\s+(?:often|much|frequently)\b.*\b(?:write|wrote|written|report|reported|reporting|cable|cabled|mention|mentioned|send|sent)\b"
    rf"|\b(?:trend|over\s+time|per\s+(?:year|month)|each\s+(?:year|month)|by\s+(?:year|month))\b.*\b{_DOCS}\b"
    rf"|\b{_DOCS}\b.*\b(?:trend|over\s+time|per\s+(?:year|month)|each\s+(?:year|month)|by\s+(?:year|month))\b",
    re.I,
)
_MONTHLY = re.compile(r"\b(?:per|each|by|every)\s+month\b|\bmonthly\b", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)
# Words of the counting frame, not of the topic.
_FRAME = frozenset({
    "how", "many", "much", "often", "frequently", "number", "count", "volume", "cable", "cables", "report",
    "reports", "reported", "reporting", "message", "messages", "telegram", "telegrams", "document", "documents",
    "dispatches", "did", "does", "do", "was", "were", "is", "are", "send", "sent", "write", "wrote", "written",
    "cabled", "mention", "mentioned", "mentioning", "mentions", "about", "on", "regarding", "concerning", "discuss",
    "discussed", "discussing", "the", "embassy", "embassies", "consulate", "consulates", "mission", "post", "posts",
    "us", "u.s", "american", "department", "state", "year", "years", "month", "months", "per", "each", "every",
    "by", "over", "time", "trend", "trends", "between", "from", "to", "since", "after", "before", "until", "and",
    "in", "during", "of", "for", "there", "have", "has", "had", "any", "total", "overall", "altogether", "come",
    "came"
})


@dataclass
class CountQuestion:
    """A count question read: the topic words, the filters it names, and how to bucket the counts."""

    topic: str
    filters: Filters
    by: str = "year"
    named: list[str] = field(default_factory=list)  # what the question named, in words, for the answer


def is_count_question(question: str) -> bool:
    """Whether ``question`` asks how many (or how often, or the trend of) cables, reports, messages..."""
    return _COUNT.search(question) is not None


def read_count_question(question: str, origins: Sequence[str] = ()) -> CountQuestion | None:
    """The count question in ``question``, or None when it asks for something else."""
    if not is_count_question(question):
        return None
    ctx = question_context(question, origins)
    filters = Filters(origin=ctx.origin, since=ctx.since, until=ctx.until)
    named = ctx.named
    rest = ctx.rest
    phrases = re.findall(r'"([^"]+)"', rest)
    rest = re.sub(r'"[^"]+"', " ", rest)
    words = [w for w in _WORD.findall(rest) if w.lower().strip(".") not in _FRAME and w.lower() not in STOPWORDS]
    topic = " ".join([f'"{p}"' for p in phrases] + words)
    by = "month" if _MONTHLY.search(question) or (
        filters.since and filters.until and (filters.until - filters.since).days <= 366) else "year"
    return CountQuestion(topic, filters, by, named)


def merged(form: Filters | None, asked: Filters) -> Filters:
    """The form's filters with what the question named added (the form wins where both set a field)."""
    if form is None or form.is_empty():
        return asked
    return replace(
        form,
        origin=form.origin or asked.origin,
        since=form.since or asked.since,
        until=form.until or asked.until,
    )


def count_sentence(total: int, words: list[str], named: list[str], buckets: Sequence[tuple[str, int]],
                   by: str) -> str:
    """The answer in words: ``12 cables from Embassy Ankara dated 2007 have a paragraph containing pkk.``"""
    noun = "cable or document" if total == 1 else "cables and documents"
    what = f"{total} {noun}" + "".join(f" {n}" for n in named)
    has = "has" if total == 1 else "have"
    topic = f" {has} a paragraph containing {' and '.join(words)}" if words else " are in the index"
    text = what + topic + "."
    shown = [(k, n) for k, n in buckets if n]
    if len(shown) > 1:
        text += f" By {by}: " + ", ".join(f"{k}: {n}" for k, n in shown[:24]) + ("…" if len(shown) > 24 else "") + "."
    return text
