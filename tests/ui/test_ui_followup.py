"""Follow-up questions are rewritten from the previous question before retrieval."""

from __future__ import annotations

import pytest

from qa.ui.followup import is_follow_up, rewrite

CASES = "How many human trafficking cases were reported in Cambodia in 2005?"
DIRECTOR = "Who is the director of the AHTJP Department?"


@pytest.mark.parametrize("follow_up", ["and in 2004?", "And 2004?", "what about 2004?", "2004?", "In 2004?"])
def test_a_year_alone_replaces_the_year(follow_up: str) -> None:
    assert rewrite(follow_up, CASES) == CASES.replace("2005", "2004")


def test_a_year_is_added_when_the_question_had_none() -> None:
    assert rewrite("and in 2004?", "How many cases were reported?") == "How many cases were reported in 2004?"


@pytest.mark.parametrize("follow_up", ["and Thailand?", "What about in Thailand?", "same for Thailand"])
def test_a_name_alone_replaces_the_single_name(follow_up: str) -> None:
    assert rewrite(follow_up, CASES) == CASES.replace("Cambodia", "Thailand")


def test_a_longer_name_phrase_is_swapped() -> None:
    police = "Who is the director of the Police Department?"
    assert rewrite("and of the Police Department?", DIRECTOR) == police


def test_other_follow_ups_carry_the_previous_question() -> None:
    assert rewrite("What did they do about it?", CASES) == f"{CASES} What did they do about it?"
    assert rewrite("and the deputy?", DIRECTOR) == f"{DIRECTOR} And the deputy?"


@pytest.mark.parametrize("question", [DIRECTOR, "How many cases were there in 2004?",
                                      "What did Sar Kheng pledge?"])
def test_standalone_questions_are_kept(question: str) -> None:
    assert not is_follow_up(question)
    assert rewrite(question, CASES) == question


def test_without_a_previous_question_nothing_changes() -> None:
    assert rewrite("and in 2004?", None) == "and in 2004?"
    assert rewrite("  spaced   out  ", None) == "spaced out"
