"""Timeline counts over a real SQLite index of real cables (the 71 Ankara cables of ../shared), checked
against a count made directly from the stored paragraphs; ``qa timeline``; and count questions answered
from those counts."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from conftest import CABLES, needs_shared
from fakes import HashEmbedder

from qa.answer.counting import read_count_question
from qa.cli import main
from qa.corpus.timeline import fill_gaps, match_expression, timeline
from qa.indexing import Indexer
from qa.settings import Settings
from qa.store.folder import IndexFolder
from qa.types import Filters

pytestmark = needs_shared()


@pytest.fixture(scope="module")
def ankara(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from qa.settings import load_settings

    folder = tmp_path_factory.mktemp("ankara")
    for path in sorted(CABLES.glob("*ANKARA*.txt")):
        (folder / path.name).write_bytes(path.read_bytes())
    settings = load_settings(None, {}, {})
    settings.index.dir = tmp_path_factory.mktemp("index") / "index"
    Indexer(settings, HashEmbedder()).run([folder])
    return settings


def direct(settings: Settings, word: str) -> dict[str, dict[str, str | None | list[str]]]:
    """The documents with a paragraph holding ``word`` as a word (any case), read from the tables
    without FTS5: doc_id -> created, origin, tags."""
    db = IndexFolder(settings.index.dir).db_path
    pattern = re.compile(rf"\b{re.escape(word)}\b", re.I)
    with sqlite3.connect(db) as conn:
        docs = {}
        for doc_id, created, origin, text in conn.execute(
                "SELECT d.doc_id, d.created, d.origin, p.text FROM paragraphs p JOIN documents d ON d.id = p.doc"):
            if pattern.search(text):
                tags = [r[0] for r in conn.execute(
                    "SELECT tag FROM doc_tags WHERE doc = (SELECT id FROM documents WHERE doc_id = ?)", (doc_id,))]
                docs[doc_id] = {"created": created, "origin": origin, "tags": tags}
    return docs


def test_counts_match_a_direct_count(ankara: Settings) -> None:
    expected = direct(ankara, "PKK")
    assert len(expected) >= 10  # the Ankara cables talk about the PKK
    store = IndexFolder(ankara.index.dir).open_store(readonly=True)
    try:
        years = timeline(store, "PKK", by="year")
        tags = timeline(store, "PKK", by="tag")
        origins = timeline(store, "PKK", by="origin")
        in_2007 = timeline(store, "PKK", Filters(since=date(2007, 1, 1), until=date(2007, 12, 31)), "month",
                           list_limit=50)
    finally:
        store.close()
    assert years.total == len(expected)
    by_year = Counter((v["created"] or "")[:4] or "undated" for v in expected.values())
    assert {k: n for k, n in years.buckets if n} == dict(by_year)
    assert dict(tags.buckets) == dict(Counter(t for v in expected.values() for t in v["tags"]))
    assert dict(origins.buckets) == dict(Counter(v["origin"] or "unknown" for v in expected.values()))
    of_2007 = {d for d, v in expected.items() if (v["created"] or "").startswith("2007")}
    assert {d["doc_id"] for d in in_2007.documents} == of_2007
    assert sum(n for _, n in in_2007.buckets) == len(of_2007)
    assert all(re.search(r"\bpkk\b", d["subject"] or "", re.I) or d["paragraph"] for d in in_2007.documents)


def test_all_words_in_one_paragraph_and_stemming(ankara: Settings) -> None:
    match, words = match_expression('PKK "northern Iraq" attacks')
    assert words == ['"northern Iraq"', "pkk", "attacks"]
    assert match == '"northern Iraq" AND "pkk" AND "attacks"'
    store = IndexFolder(ankara.index.dir).open_store(readonly=True)
    try:
        both = timeline(store, "PKK attacks").total
        pkk = timeline(store, "PKK").total
        attack = timeline(store, "attack").total  # stemmed: "attacks" and "attacked" count too
        attacks = timeline(store, "attacks").total
        everything = timeline(store, "").total
        documents = store.counts()["documents"]
    finally:
        store.close()
    assert 0 < both <= min(pkk, attack)
    assert attack == attacks
    assert everything == documents > 60  # an empty query counts every document


def test_gaps_are_zero_bars_and_undated_goes_last() -> None:
    assert fill_gaps([(None, 2), ("2005", 1), ("2008", 3)], "year") == [
        ("2005", 1), ("2006", 0), ("2007", 0), ("2008", 3), ("undated", 2)]
    assert fill_gaps([("2007-11", 1), ("2008-02", 2)], "month") == [
        ("2007-11", 1), ("2007-12", 0), ("2008-01", 0), ("2008-02", 2)]


def test_qa_timeline_cli(ankara: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["timeline", "PKK", "--index-dir", str(ankara.index.dir)]
    assert main([*args, "--json", "--by", "tag"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == len(direct(ankara, "PKK"))
    assert any(b["key"] == "PTER" for b in out["buckets"])
    assert main([*args, "--since", "2007-01-01", "--until", "2007-12-31", "--list", "3"]) == 0
    text = capsys.readouterr().out
    assert "dated 2007-01-01 to 2007-12-31" in text
    assert main(["timeline", "zzzqqqnothing", "--index-dir", str(ankara.index.dir)]) == 1


@pytest.mark.parametrize(
    ("question", "topic", "origin", "since", "until", "by"),
    [
        ("How many cables did the embassy in Ankara send about the PKK in 2007?", "PKK", ["Ankara"],
         date(2007, 1, 1), date(2007, 12, 31), "month"),
        ("How often did Embassy Ankara report on the PKK between 2005 and 2009?", "PKK", ["Ankara"],
         date(2005, 1, 1), date(2009, 12, 31), "year"),
        ("How many reports mention Ocalan?", "Ocalan", [], None, None, "year"),
        ('Number of cables about "northern Iraq" since 2008, per month', '"northern Iraq"', [],
         date(2008, 1, 1), None, "month"),
        ("How many cables came from Ankara in November 2009?", "", ["Ankara"], date(2009, 11, 1),
         date(2009, 11, 30), "month"),
    ],
)
def test_count_questions_are_read(question: str, topic: str, origin: list[str], since: date | None,
                                  until: date | None, by: str) -> None:
    asked = read_count_question(question, ["Embassy Ankara", "Consulate Istanbul", "Embassy Madrid"])
    assert asked is not None
    assert (asked.topic, asked.filters.origin, asked.filters.since, asked.filters.until, asked.by) == (
        topic, origin, since, until, by)


@pytest.mark.parametrize("question", [
    "How many voters took part in Costa Rica's October 7, 2007 CAFTA referendum?",
    "How many human trafficking cases were there in 2005?",
    "What did the embassy in Ankara report about the PKK in 2007?",
])
def test_fact_questions_are_not_count_questions(question: str) -> None:
    assert read_count_question(question, ["Embassy Ankara"]) is None


def test_tag_expansion_finds_tags_by_meaning() -> None:
    from qa.corpus.tags import glossary

    g = glossary()
    assert [c for c, _ in g.tags_in("human rights in Cambodia")] == ["PHUM", "SHUM", "CB"]
    assert g.label("PTER") == "PTER (Terrorists and Terrorism)"
    assert g.code_for("Trafficking in Persons") == "KTIP"
    assert g.tags_in("the weather was fine") == []


def test_glossary_ships_in_the_package() -> None:
    import qa.data

    assert (Path(qa.data.__file__).parent / "tags.tsv").is_file()
    assert (Path(qa.data.__file__).parent / "TAGS-SOURCE.txt").is_file()


class NoModel:
    """A generator that must never be asked: a count question needs no language model."""

    name = "no-model"

    def stream(self, *args: object, **kwargs: object):
        raise AssertionError("the model was asked a count question")


def test_a_count_question_is_answered_from_the_counts(ankara: Settings) -> None:
    from qa.answer.pipeline import Answerer
    from qa.retrieve.searcher import Searcher

    searcher = Searcher.open(ankara, embedder=HashEmbedder())
    try:
        answerer = Answerer(searcher, NoModel(), HashEmbedder(), ankara.answer)  # type: ignore[arg-type]
        answer = answerer.ask("How many cables did the embassy in Ankara send about the PKK in 2007?")
        fact = answerer.settings.count_questions
    finally:
        searcher.close()
    expected = {d for d, v in direct(ankara, "PKK").items() if (v["created"] or "").startswith("2007")}
    assert fact and not answer.abstained
    assert answer.diagnostics["count"]["total"] == len(expected)
    assert answer.answer.startswith(f"{len(expected)} cable")
    assert "from Embassy Ankara" in answer.answer and "dated 2007" in answer.answer
    assert "Counted: documents with a paragraph containing all of: pkk" in answer.sentences[1].text
    assert {c.doc_id for c in answer.citations} == expected
    assert all(re.search(r"\bpkk\b", answer.paragraph_text(c), re.I) for c in answer.citations)
