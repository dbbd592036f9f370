"""The BM25 side of search on a real SQLite FTS5 index of real cables: one scoring pass for a question's
main and period rankings, and leaving out terms found in most paragraphs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import CABLES, needs_shared
from fakes import HashEmbedder

import qa.retrieve.searcher as searcher_module
from qa.indexing import Indexer
from qa.retrieve.query import fts_any
from qa.retrieve.searcher import Searcher
from qa.settings import Settings, load_settings
from qa.types import Filters

QUESTION_TERMS = ["pkk", "attacks", "turkish", "government", "military", "2007"]


@pytest.fixture(scope="module")
def ankara(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shared corpus's Ankara cables (71 of them, 756 paragraphs), indexed once."""
    if not CABLES.is_dir():
        pytest.skip("../shared corpus not present")
    tmp: Path = tmp_path_factory.mktemp("ankara")
    folder = tmp / "cables"
    folder.mkdir()
    for path in sorted(CABLES.glob("*ANKARA*.txt")):
        (folder / path.name).write_bytes(path.read_bytes())
    settings = load_settings(None, {}, {})
    settings.index.dir = tmp / "index"
    Indexer(settings, HashEmbedder()).run([folder])
    return settings


@needs_shared()
def test_one_pass_gives_the_same_rankings_as_separate_queries(ankara: Settings) -> None:
    searcher = Searcher.open(ankara, embedder=HashEmbedder())
    try:
        store, match = searcher.store, fts_any(QUESTION_TERMS)
        period = Filters(since=date(2007, 1, 1), until=date(2007, 12, 31))
        origin = Filters(origin=["Ankara"])
        base = Filters(since=date(2006, 1, 1))
        first_half = Filters(since=date(2006, 1, 1), until=date(2007, 6, 30))
        for filters, narrower in [(None, [period, origin]), (base, [first_half])]:
            together = store.lexical_rankings(match, 30, filters, narrower)
            apart = [store.lexical(match, 30, filters)] + [store.lexical(match, 30, n) for n in narrower]
            assert together == apart
            assert all(together)  # each ranking found something, so the comparison says something
        assert together[1] != together[0][: len(together[1])]  # the narrower ranking is not the main one cut short
        assert store.lexical_rankings('"unbalanced', 10, None, [period]) == [[], []]  # FTS5 syntax error: nothing
    finally:
        searcher.close()


@needs_shared()
def test_terms_in_most_paragraphs_are_left_out_of_bm25(ankara: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    searcher = Searcher.open(ankara, embedder=HashEmbedder())
    try:
        total = searcher.store.counts()["paragraphs"]
        monkeypatch.setattr(searcher.settings, "lexical_max_share", 0.0)
        assert searcher._lexical_terms(QUESTION_TERMS) == QUESTION_TERMS  # a small index keeps every term
        # the pruning itself, as on a corpus past the size where it pays (the 6,712 cables: 56,728 paragraphs)
        monkeypatch.setattr(searcher_module, "MIN_PARAGRAPHS_FOR_SHARE", total)
        monkeypatch.setattr(searcher.settings, "lexical_max_share", 1.0)
        shares = {t: searcher.store.paragraphs_matching(fts_any([t])) / total for t in QUESTION_TERMS}
        assert searcher._lexical_terms(QUESTION_TERMS) == QUESTION_TERMS  # share 1: every term
        cut = sorted(shares.values())[len(shares) // 2]
        monkeypatch.setattr(searcher.settings, "lexical_max_share", cut)
        kept = searcher._lexical_terms(QUESTION_TERMS)
        assert kept == [t for t in QUESTION_TERMS if shares[t] <= cut] and 0 < len(kept) < len(QUESTION_TERMS)
        monkeypatch.setattr(searcher.settings, "lexical_max_share", 0.0)  # none qualifies: the rarest term alone
        assert searcher._lexical_terms(QUESTION_TERMS) == [min(QUESTION_TERMS, key=shares.__getitem__)]
        # and the search itself uses the kept terms: lexical mode then finds what the rarest term finds
        rarest = searcher.store.lexical(fts_any([min(QUESTION_TERMS, key=shares.__getitem__)]), 10)
        assert [h.paragraph_id for h in searcher.search(" ".join(QUESTION_TERMS), 10, mode="lexical")] == \
            [pid for pid, _ in rarest]
    finally:
        searcher.close()
