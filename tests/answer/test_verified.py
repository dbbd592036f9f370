"""The answer pipeline with the learned verifier (``answer.verifier = packaged``), the real packaged
embedder and the shipped weights; the model's outputs are scripted, the check model's P(Yes) fixed."""

from __future__ import annotations

import pytest
from test_pipeline import (
    QUESTION,
    MemoryRetriever,
    ScriptedChecker,
    ScriptedGenerator,
    cite_123,
    passage_number,
    seed,  # noqa: F401  (a fixture)
)

from qa.answer.pipeline import Answerer
from qa.settings import AnswerSettings, Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_embedder():
    from qa.embed.loading import load_embedder

    return load_embedder(Settings().embed)


class ConfidentGenerator(ScriptedGenerator):
    """A scripted model that, like the real one answering, gave the abstention sentence 1% at the
    step it left it (``GenerationStats.track_prob``)."""

    def stream(self, prompt, *, max_tokens=None, stop=(), track="", stats=None):
        if stats is not None:
            stats.track_prob = 0.01
        yield from super().stream(prompt, max_tokens=max_tokens, stop=stop, track=track, stats=stats)


def ask(docs, script, embedder, p_yes: float = 0.95, **settings):
    answerer = Answerer(MemoryRetriever(docs, embedder), ConfidentGenerator(script), embedder,
                        AnswerSettings(**{"verifier": "packaged", **settings}), checker=ScriptedChecker(p_yes))
    return answerer.ask(QUESTION)


def test_a_supported_sentence_is_kept_with_the_span_the_verifier_matched(seed, real_embedder):  # noqa: F811
    answer = ask([seed], cite_123, real_embedder)
    assert not answer.abstained, answer.diagnostics
    assert [c.label for c in answer.citations] == ["06PHNOMPENH657 ¶5"]
    start, end = answer.sentences[0].citations[0].span
    assert "123 in 2005" in seed.paragraphs[4].text[start:end]
    trace = answer.diagnostics["verifier"]
    assert trace["pairs"] and trace["answer"]["score"] >= 0.0


def test_a_number_the_evidence_lacks_is_never_accepted(seed, real_embedder):  # noqa: F811
    def script(messages):
        n = passage_number(messages, "123 in 2005")
        return f"{cite_123(messages)} The population of Cambodia is 15.4 million [{n}]."

    answer = ask([seed], script, real_embedder)
    assert not answer.abstained and "15.4" not in answer.answer
    assert [s.supported for s in answer.sentences] == [True, False]


def test_an_unrelated_claim_is_not_backed(seed, real_embedder):  # noqa: F811
    def script(messages):
        n = passage_number(messages, "123 in 2005")
        return f"The weather in Phnom Penh was pleasant during the conference [{n}]."

    answer = ask([seed], script, real_embedder)
    assert "weather" not in answer.answer
    assert answer.abstained or answer.diagnostics.get("extracted")  # refused, or a quote of the paragraph
    if not answer.abstained:
        quote = answer.sentences[0]
        assert quote.quoted and quote.text in seed.paragraphs[answer.citations[0].paragraph - 1].text


def test_a_doubtful_check_model_turns_the_answer_down(seed, real_embedder):  # noqa: F811
    """The answer score weighs the check model: the same supported sentence, P(Yes) 0.01."""
    answer = ask([seed], cite_123, real_embedder, p_yes=0.01)
    assert answer.abstained and "verifier doubts" in answer.diagnostics["abstain_reason"]


@pytest.mark.parametrize("says", ["answers", "abstains"])
def test_collect_mode_records_the_quotes_signals_and_answers_no_quote(seed, real_embedder, says):  # noqa: F811
    """Collecting for training: the quotes the pipeline would fall back to are recorded with their
    signals whatever the model said, and none is given as the answer."""
    from qa.answer.pipeline import ABSTAIN

    answer = ask([seed], cite_123 if says == "answers" else (lambda messages: ABSTAIN), real_embedder,
                 verifier="collect")
    quotes = answer.diagnostics["verifier"]["quotes"]
    assert quotes and all({"doc_id", "paragraph", "sentence"} <= set(q) for q in quotes)
    assert any("pair" in q and "check_yes" in q["answer"] for q in quotes)
    assert not answer.diagnostics.get("extracted")
    assert answer.abstained is (says == "abstains")
