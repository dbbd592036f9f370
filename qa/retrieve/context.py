"""What a question says about where and when: an origin the index holds ("the embassy in Ankara") and
a period ("in 2007", "in November 2009", "between 2006 and 2008", "since 2008"). Pure text work.

Count questions turn these into filters (``qa.answer.counting``); ranking can use them as soft boosts
(``search.period_weight``, ``search.origin_weight``), never as filters the user did not set.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from qa.text import MONTHS

_MONTH_NAMES = {m.lower(): i for i, m in enumerate(MONTHS, start=1)}
_MONTH = "|".join(MONTHS)
_YEAR = r"(?:19[4-9]\d|20[0-4]\d)"
_SPAN = re.compile(rf"\b(?:between|from)\s+(?P<a>{_YEAR})\s+(?:and|to|until|-)\s+(?P<b>{_YEAR})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTH})\s+(?:\d{{1,2}},?\s+)?(?P<y>{_YEAR})\b", re.I)
_SINCE = re.compile(rf"\b(?:since|after)\s+(?P<y>{_YEAR})\b", re.I)
_BEFORE = re.compile(rf"\bbefore\s+(?P<y>{_YEAR})\b", re.I)
_IN_YEAR = re.compile(rf"\b(?:in|during|of|for)?\s*(?P<y>{_YEAR})\b", re.I)
POST_KINDS = ("Embassy ", "Consulate ", "US Mission ", "US Office ", "US Interests Section ")


@dataclass
class QuestionContext:
    """The origin and period a question names; ``rest`` is the question with those words taken out."""

    origin: list[str] = field(default_factory=list)  # the place as filters match it ("Ankara")
    since: date | None = None
    until: date | None = None
    named: list[str] = field(default_factory=list)  # in words: "from Embassy Ankara", "dated 2007"
    rest: str = ""

    def is_empty(self) -> bool:
        return not (self.origin or self.since or self.until)


def place(origin: str) -> str:
    """``Embassy Phnom Penh`` -> ``Phnom Penh``; other origins unchanged."""
    for kind in POST_KINDS:
        if origin.startswith(kind):
            return origin[len(kind):]
    return origin


def origin_in(question: str, origins: Sequence[str]) -> tuple[str, str] | None:
    """The index origin the question names, by its place ("Ankara", "Phnom Penh") or whole name
    ("Secretary of State"); the longest name wins. Returns (origin, the words matched)."""
    best: tuple[str, str] | None = None
    for origin in origins:
        for name in {origin, place(origin)}:
            if len(name) < 3:
                continue
            if re.search(rf"\b{re.escape(name)}\b", question, re.I) and (best is None or len(name) > len(best[1])):
                best = (origin, name)
    return best


def question_context(question: str, origins: Sequence[str] = ()) -> QuestionContext:
    """The origin (one of ``origins``) and the period ``question`` names, if any."""
    ctx = QuestionContext(rest=question)
    rest = question
    found = origin_in(question, origins)
    if found:
        origin, words = found
        ctx.origin = [place(origin)]
        ctx.named.append(f"from {origin}")
        rest = re.sub(rf"\b{re.escape(words)}\b", " ", rest, flags=re.I)
    if m := _SPAN.search(rest):
        a, b = sorted((int(m["a"]), int(m["b"])))
        ctx.since, ctx.until = date(a, 1, 1), date(b, 12, 31)
        ctx.named.append(f"dated {a} to {b}")
    elif m := _MONTH_YEAR.search(rest):
        y, mo = int(m["y"]), _MONTH_NAMES[m["m"].lower()]
        ctx.since, ctx.until = date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])
        ctx.named.append(f"dated {m['m'].capitalize()} {y}")
    elif m := _SINCE.search(rest):
        ctx.since = date(int(m["y"]) + (1 if m.group(0).lower().startswith("after") else 0), 1, 1)
        ctx.named.append(f"dated from {ctx.since.year}")
    elif m := _BEFORE.search(rest):
        ctx.until = date(int(m["y"]) - 1, 12, 31)
        ctx.named.append(f"dated before {m['y']}")
    elif m := _IN_YEAR.search(rest):
        y = int(m["y"])
        ctx.since, ctx.until = date(y, 1, 1), date(y, 12, 31)
        ctx.named.append(f"dated {y}")
    if m:
        rest = rest[:m.start()] + " " + rest[m.end():]
    ctx.rest = rest
    return ctx
