"""``bench/sentence_choice.py``: its replay of today's rule is the pipeline's own choice, and its
outcome counts move when the shown sentences do."""

from __future__ import annotations

from scripts import load_script

from qa.answer.passages import MIN_SHARE, Candidate, choose_sentences

bench = load_script("bench/sentence_choice.py")
QUESTION = "How many trafficking cases did the police report?"


def seen(max_words: int) -> object:
    first = Candidate(0, ["Police reported 123 trafficking cases.", "End Comment.", "The cases rose."], 0.7)
    second = Candidate(1, ["The minister spoke.", "Trafficking cases were reported in May."], 0.4)
    candidates, cosines = [first, second], [[0.8, 0.05, 0.5], [0.2, 0.6]]
    return bench.Seen("q", True, ["123"], QUESTION, candidates, cosines, [True, False],
                      [[7, 3, 4], [4, 7]], max_words, choose_sentences(QUESTION, candidates, cosines, max_words))


def test_the_default_rule_replays_the_pipelines_choice():
    for words in (4, 8, 12, 40):
        s = seen(words)
        assert bench.matches_pipeline(s, bench.fixed(words, MIN_SHARE)(s)), words
    s = seen(40)
    assert not bench.matches_pipeline(s, {(0, 0)})  # a different choice is told apart


def test_outcome_counts_what_is_shown():
    s = seen(40)
    assert bench.outcome(s, {(0, 0)}) == {"gold": True, "answer": True, "tokens": 7, "passages": 1}
    assert bench.outcome(s, {(1, 1)}) == {"gold": False, "answer": False, "tokens": 7, "passages": 1}


def test_tighter_score_rules_show_fewer_sentences():
    s = seen(40)
    assert bench.gap(0.01, 40)(s) == {(0, 0)}  # only the best is within a hair of itself
    assert len(bench.gap(2.0, 40)(s)) == 5
    assert bench.mass(0.01, 0.5, 40)(s) == {(0, 0)}
    assert len(bench.mass(10.0, 0.99, 40)(s)) == 5
