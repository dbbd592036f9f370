"""Citation markers: parsed, bounds-checked, dropped and counted when they name nothing shown."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qa.grounding.citations import parse_answer, parse_markers, resolve
from qa.text import split_sentences


def test_markers_map_to_shown_passages_in_order():
    clean, numbers, dropped = parse_markers("Cases rose to 123 in 2005 [2][1].", shown=3)
    assert clean == "Cases rose to 123 in 2005."
    assert numbers == [2, 1]
    assert dropped == 0


def test_zero_is_dropped_not_the_last_passage():
    shown = ["first", "second", "third"]
    clean, numbers, dropped = parse_markers("Something [0].", shown=len(shown))
    assert numbers == [] and dropped == 1
    assert resolve(0, shown) is None
    assert resolve(-1, shown) is None
    assert resolve(3, shown) == "third"


def test_out_of_range_and_foreign_markers_are_dropped_and_counted():
    text = "A [1, 7]. B [¶5]. C [06PHNOMPENH657 ¶5]. D [Passage 2]."
    parsed = parse_answer(text, shown=2)
    assert [s.passages for s in parsed.sentences] == [[1], [], [], [2]]
    assert parsed.dropped == 3
    assert all("[" not in s.text for s in parsed.sentences)


def test_marker_after_the_full_stop_stays_with_its_sentence():
    parsed = parse_answer("Un Sokunthea directs the department. [2] She spoke about training [2].", shown=2)
    assert [(s.text, s.passages) for s in parsed.sentences] == [
        ("Un Sokunthea directs the department.", [2]),
        ("She spoke about training.", [2]),
    ]


def test_sentence_split_respects_abbreviations():
    text = "The U.S. delegation met Gen. Hok Lundy on March 15. Mr. Smith attended [1]."
    assert split_sentences(text) == [
        "The U.S. delegation met Gen. Hok Lundy on March 15.", "Mr. Smith attended [1]."]


def test_text_without_markers_has_no_citations():
    parsed = parse_answer("PWNED", shown=5)
    assert [(s.text, s.passages) for s in parsed.sentences] == [("PWNED", [])]
    assert parsed.dropped == 0


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6), st.integers(0, 10))
def test_every_resolved_number_is_in_range(numbers, shown):
    body = ", ".join(str(n) for n in numbers)
    _, valid, dropped = parse_markers(f"Claim [{body}].", shown)
    assert all(1 <= n <= shown for n in valid)
    in_range = {n for n in numbers if 1 <= n <= shown}
    assert set(valid) == in_range
    assert dropped == sum(1 for n in numbers if not 1 <= n <= shown)


def test_negative_marker_is_dropped():
    _, valid, dropped = parse_markers("Claim [-1].", shown=3)
    assert valid == [] and dropped == 1
