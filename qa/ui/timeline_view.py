"""The Search tab's timeline: how many cables match the search per year (or month), drawn as bars,
with the busiest origins and tags under it. Pure: a ``Timeline`` in, escaped HTML out.

Each bar is a link ``#when=2007`` (or ``#when=2007-03``); the app's click handler (``style.WHEN_CLICK_JS``)
turns a click into the timeline's own click event, which narrows the date filter to that bar.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from typing import Any

from qa.corpus.tags import glossary, tag_label
from qa.corpus.timeline import Timeline
from qa.ui.render import esc

WHEN_PREFIX = "#when="
TOP = 5  # origins and tags listed under the bars

def when_range(value: Any) -> tuple[date, date] | None:
    """``"2007"`` -> (2007-01-01, 2007-12-31); ``"2007-03"`` -> (2007-03-01, 2007-03-31); None if malformed."""
    text = str(value or "")
    if text.startswith(WHEN_PREFIX):
        text = text[len(WHEN_PREFIX):]
    try:
        if len(text) == 4 and text.isdigit():
            return date(int(text), 1, 1), date(int(text), 12, 31)
        if len(text) == 7 and text[4] == "-":
            y, m = int(text[:4]), int(text[5:])
            return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
    except ValueError:
        return None
    return None


def _bars(buckets: Sequence[tuple[str, int]]) -> str:
    top = max((n for _, n in buckets), default=0) or 1
    out = []
    for key, n in buckets:
        height = max(2, round(100 * n / top)) if n else 0
        bar = (f'<span class="tl-n">{n}</span><span class="tl-fill" style="height:{height}%"></span>'
               f'<span class="tl-key">{esc(key)}</span>')
        if when_range(key) is not None:
            out.append(f'<a class="tl-bar" href="{WHEN_PREFIX}{esc(key)}" title="{esc(key)}: {n}, click to show only '
                       f'{esc(key)}">{bar}</a>')
        else:  # "undated": nothing to narrow to
            out.append(f'<span class="tl-bar tl-undated" title="{esc(key)}: {n}">{bar}</span>')
    return "".join(out)


def render_timeline(main: Timeline, origins: Timeline | None = None, tags: Timeline | None = None,
                    indexed_tags: set[str] | None = None) -> str:
    """The bars of ``main`` (by year or month), the rule the counts follow, the top origins and tags,
    and the tags the search words name (those in ``indexed_tags``, when given)."""
    cables = "cable or document" if main.total == 1 else "cables and documents"
    out = (f'<div class="timeline"><div class="tl-head"><strong>{main.total:,} {cables} match</strong>, '
           f'by {esc(main.by)}. <span class="tl-how">Counted: {esc(main.how)}.</span></div>')
    if main.buckets:
        out += f'<div class="tl-bars" role="list">{_bars(main.buckets)}</div>'
        out += '<div class="tl-hint">Click a bar to show only that period (sets the From and Until filters).</div>'
    lines = []
    if origins is not None and origins.buckets:
        lines.append("Origins: " + " · ".join(f"{esc(k)} {n}" for k, n in origins.buckets[:TOP]))
    if tags is not None and tags.buckets:
        lines.append("Tags: " + " · ".join(f"{esc(tag_label(k))} {n}" for k, n in tags.buckets[:TOP]))
    named = [(c, w) for c, w in glossary().tags_in(main.query) if indexed_tags is None or c in indexed_tags]
    if named:  # the glossary read backwards: the tags the search words name, to filter by
        lines.append("Your words name the tags " + ", ".join(esc(tag_label(code)) for code, _ in named)
                     + " (choose one in the Tags filter to see only cables so tagged)")
    if lines:
        out += '<div class="tl-facets">' + "<br>".join(lines) + "</div>"
    return out + "</div>"


def pick_by(since: date | None, until: date | None) -> str:
    """Months when the date filter spans a year or less, else years."""
    return "month" if since and until and (until - since).days <= 366 else "year"

