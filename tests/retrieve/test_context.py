"""The place and time a question names, and their use as soft boosts in a real index's ranking."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import CABLES, needs_shared
from fakes import HashEmbedder

from qa.indexing import Indexer
from qa.retrieve.context import question_context
from qa.retrieve.searcher import Searcher
from qa.settings import Settings, load_settings

ORIGINS = ["Embassy Madrid", "Embassy Ankara", "Secretary of State", "Consulate Istanbul"]


@pytest.mark.parametrize(("question", "origin", "since", "until"), [
    ("What did the US embassy in Madrid report in April 2009 about piracy?", ["Madrid"], date(2009, 4, 1),
     date(2009, 4, 30)),
    ("How many voters took part in Costa Rica's October 7, 2007 CAFTA referendum?", [], date(2007, 10, 1),
     date(2007, 10, 31)),
    ("What did Ankara say about the PKK between 2006 and 2008?", ["Ankara"], date(2006, 1, 1), date(2008, 12, 31)),
    ("What did the Secretary of State instruct posts after 2008?", ["Secretary of State"], date(2009, 1, 1), None),
    ("Who chairs the committee?", [], None, None),
])
def test_the_origin_and_period_a_question_names(question: str, origin: list[str], since: date | None,
                                                until: date | None) -> None:
    ctx = question_context(question, ORIGINS)
    assert (ctx.origin, ctx.since, ctx.until) == (origin, since, until)


@needs_shared()
def test_a_named_year_lifts_that_years_cables_without_filtering_the_others(tmp_path) -> None:
    folder = tmp_path / "ankara"
    folder.mkdir()
    for path in sorted(CABLES.glob("*ANKARA*.txt")):
        (folder / path.name).write_bytes(path.read_bytes())
    settings: Settings = load_settings(None, {}, {})
    settings.index.dir = tmp_path / "index"
    Indexer(settings, HashEmbedder()).run([folder])

    def years(period_weight: float, k: int = 10) -> list[str]:
        settings.search.period_weight = period_weight
        searcher = Searcher.open(settings, embedder=HashEmbedder())
        try:
            return [(h.metadata.get("created") or "")[:4] for h in searcher.search("PKK attacks in 2007", k)]
        finally:
            searcher.close()

    plain, boosted = years(0.0), years(1.0)
    assert boosted.count("2007") > plain.count("2007")
    assert set(boosted) - {"2007"}  # a boost, not a filter: other years still rank
