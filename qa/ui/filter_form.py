"""The filter widgets' values (lists of strings, date text) as a ``Filters`` object."""

from __future__ import annotations

from collections.abc import Iterable

from qa.corpus.tags import tag_code
from qa.errors import QAError
from qa.types import Filters, parse_day


def _values(raw: Iterable[str] | str | None) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def filters_from_form(
    origin: Iterable[str] | str | None,
    tags: Iterable[str] | str | None,
    classification: Iterable[str] | str | None,
    since: str | None,
    until: str | None,
) -> Filters:
    """Filters from the form; a date that cannot be read raises ``QAError`` naming the field."""
    filters = Filters(
        origin=_values(origin),
        tag=list(dict.fromkeys(tag_code(t) for t in _values(tags))),  # a code, its label or its meaning
        classification=_values(classification),
        since=parse_day(since, "From date"),
        until=parse_day(until, "Until date"),
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise QAError(f"the From date {filters.since} is after the Until date {filters.until}")
    return filters
