"""A chat turn through the UI's handlers with a deterministic backend; upload and filter checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ui_fakes import DOC, PARAGRAPHS, FakeBackend

from qa.errors import QAError
from qa.parse.loaders import KNOWN_SUFFIXES
from qa.types import Filters
from qa.ui.chat import Pending, run_turn, user_message
from qa.ui.filter_form import filters_from_form
from qa.ui.uploads import check_uploads, discard, keep, safe_name


def turn(backend: FakeBackend, question: str, previous: str | None = None, filters: Filters | None = None):
    job = Pending(question, filters or Filters())
    return list(run_turn(backend, job, [user_message(job)], previous))


def test_sources_show_before_the_draft_and_the_checked_answer_last() -> None:
    states = turn(FakeBackend(), "How many human trafficking cases in 2005?")
    contents = [s.history[-1]["content"] for s in states]
    first_sources = next(i for i, s in enumerate(states) if DOC in s.sources_html)
    first_draft = next(i for i, c in enumerate(contents) if 'class="draft"' in c)
    assert first_sources < first_draft
    final = states[-1]
    assert "cite-checked" in final.history[-1]["content"] and "draft" not in final.history[-1]["content"]
    assert f"[{DOC} ¶5]" in final.markdown
    [claim] = final.claims[f"{DOC} ¶5"]
    assert list(final.claims) == [f"{DOC} ¶5"] and claim["text"] == "Human trafficking cases rose to 123 in 2005."
    start, end = claim["span"]  # the evidence span travels to the viewer as plain data
    assert "28 in 2001 to 123 in 2005" in PARAGRAPHS[1].text[start:end]
    assert len(final.history) == 2 and final.history[0]["role"] == "user"


def test_abstention_turn_offers_the_nearest_paragraphs() -> None:
    final = turn(FakeBackend(answerable=False), "What is the population of trafficking?")[-1]
    assert "Not answered." in final.history[-1]["content"] and "cite-nearest" in final.history[-1]["content"]


def test_follow_up_is_retrieved_as_rewritten_and_shown() -> None:
    backend = FakeBackend()
    first = turn(backend, "How many human trafficking cases were reported in Cambodia in 2005?")[-1]
    second = turn(backend, "and in 2004?", previous=first.previous)[-1]
    assert backend.asked[-1][0] == "How many human trafficking cases were reported in Cambodia in 2004?"
    assert "Understood as: How many human trafficking cases were reported in Cambodia in 2004?" in \
        second.history[-1]["content"]


def test_filters_reach_the_backend_and_the_transcript() -> None:
    backend = FakeBackend()
    f = Filters(origin=["Phnom Penh"], since=date(2005, 1, 1))
    states = turn(backend, "cases?", filters=f)
    assert backend.asked[-1][1] == f
    assert "Filters: origin: Phnom Penh; from 2005-01-01" in states[-1].history[0]["content"]


def test_a_failing_backend_becomes_a_message() -> None:
    class Broken(FakeBackend):
        def stream(self, question, filters):
            raise QAError("there is no index at /x yet")

    final = turn(Broken(), "anything?")[-1]
    content = final.history[-1]["content"]
    assert 'class="error"' in content and "no index at /x" in content


def test_filter_form_values_become_filters() -> None:
    f = filters_from_form(["Embassy Phnom Penh"], ["phum, kwmn"], [], "2005-01-01", " ")
    assert f == Filters(origin=["Embassy Phnom Penh"], tag=["PHUM", "KWMN"], since=date(2005, 1, 1))
    assert filters_from_form(None, None, None, None, None).is_empty()
    with pytest.raises(QAError, match="YYYY-MM-DD"):
        filters_from_form([], [], [], "April 2005", "")
    with pytest.raises(QAError, match="after"):
        filters_from_form([], [], [], "2006-01-01", "2005-01-01")


def test_uploads_are_checked_for_type_size_and_emptiness(tmp_path: Path) -> None:
    ok = tmp_path / "notes.md"
    ok.write_text("1. A paragraph.")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 3_000_000)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    packed = tmp_path / "cables.jsonl.gz"  # the loaders read it, so the app accepts it too
    packed.write_bytes(b"\x1f\x8b")
    check = check_uploads([ok, big, exe, empty, packed], max_mb=2)
    assert check.accepted == [ok, packed]
    assert any("big.txt" in e and "2 MB limit" in e and "serve.max_upload_mb" in e for e in check.errors)
    refused = next(e for e in check.errors if "tool.exe" in e)
    assert all(suffix in refused for suffix in KNOWN_SUFFIXES)
    assert any("empty.csv" in e and "empty" in e for e in check.errors)
    assert sorted(check.refused) == sorted([big, exe, empty])
    discard(check.refused)  # the server's copies of refused uploads do not stay on disk
    assert not big.exists() and not exe.exists() and not empty.exists() and ok.exists()
    kept = keep([ok], tmp_path / "index" / "uploads")
    assert kept == [tmp_path / "index" / "uploads" / "notes.md"] and kept[0].read_text() == "1. A paragraph."
    assert safe_name("../../etc/pass wd.txt") == "pass_wd.txt" and safe_name("..") == "upload.txt"
