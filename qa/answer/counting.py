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

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from qa.text import MONTHS, STOPWORDS
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
_MONTH_NAMES = {m.lower(): i for i, m in enumerate(MONTHS, start=1)}
_MONTH = "|".join(MONTHS)
_YEAR = r"(?:19[4-9]\d|20[0-4]\d)"
_SPAN = re.compile(rf"\b(?:between|from)\s+(?P<a>{_YEAR})\s+(?:and|to|until|-)\s+(?P<b>{_YEAR})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<y>{_YEAR})\b", re.I)
_SINCE = re.compile(rf"\b(?:since|after)\s+(?P<y>{_YEAR})\b", re.I)
_BEFORE = re.compile(rf"\bbefore\s+(?P<y>{_YEAR})\b", re.I)
_IN_YEAR = re.compile(rf"\b(?:in|during|of|for)?\s*(?P<y>{_YEAR})\b", re.I)
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
_POST_KINDS = ("Embassy ", "Consulate ", "US Mission ", "US Office ", "US Interests Section ")


@dataclass
class CountQuestion:
    """A count question read: the topic words, the filters it names, and how to bucket the counts."""

    topic: str
    filters: Filters
    by: str = "year"
    named: list[str] = field(default_factory=list)  # what the question named, in words, for the answer


def _place(origin: str) -> str:
    for kind in _POST_KINDS:
        if origin.startswith(kind):
            return origin[len(kind):]
    return origin


def _origin_in(question: str, origins: Sequence[str]) -> tuple[str, str] | None:
    """The index origin the question names, by its place ("Ankara", "Phnom Penh") or whole name
    ("Secretary of State"); the longest name wins. Returns (origin, the words matched)."""
    best: tuple[str, str] | None = None
    for origin in origins:
        for name in {origin, _place(origin)}:
            if len(name) < 3:
                continue
            if re.search(rf"\b{re.escape(name)}\b", question, re.I) and (best is None or len(name) > len(best[1])):
                best = (origin, name)
    return best


def read_count_question(question: str, origins: Sequence[str] = ()) -> CountQuestion | None:
    """The count question in ``question``, or None when it asks for something else."""
    if not _COUNT.search(question):
        return None
    rest = question
    filters = Filters()
    named: list[str] = []
    found = _origin_in(question, origins)
    if found:
        origin, words = found
        filters.origin = [_place(origin)]
        named.append(f"from {origin}")
        rest = re.sub(rf"\b{re.escape(words)}\b", " ", rest, flags=re.I)
    if m := _SPAN.search(rest):
        a, b = sorted((int(m["a"]), int(m["b"])))
        filters.since, filters.until = date(a, 1, 1), date(b, 12, 31)
        named.append(f"dated {a} to {b}")
        rest = rest[:m.start()] + " " + rest[m.end():]
    elif m := _MONTH_YEAR.search(rest):
        y, mo = int(m["y"]), _MONTH_NAMES[m["m"].lower()]
        filters.since, filters.until = date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])
        named.append(f"dated {m['m'].capitalize()} {y}")
        rest = rest[:m.start()] + " " + rest[m.end():]
    elif m := _SINCE.search(rest):
        filters.since = date(int(m["y"]) + (1 if m.group(0).lower().startswith("after") else 0), 1, 1)
        named.append(f"dated from {filters.since.year}")
        rest = rest[:m.start()] + " " + rest[m.end():]
    elif m := _BEFORE.search(rest):
        filters.until = date(int(m["y"]) - 1, 12, 31)
        named.append(f"dated before {m['y']}")
        rest = rest[:m.start()] + " " + rest[m.end():]
    elif m := _IN_YEAR.search(rest):
        y = int(m["y"])
        filters.since, filters.until = date(y, 1, 1), date(y, 12, 31)
        named.append(f"dated {y}")
        rest = rest[:m.start()] + " " + rest[m.end():]
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
