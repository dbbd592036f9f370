"""The per-sentence support check: facts must occur in the cited text, meaning must be close to it."""

from __future__ import annotations

import numpy as np
import pytest

from qa.grounding.support import (
    check_sentence,
    expects_number,
    missing_facts,
    names_in,
    negation_unbacked,
    numbers_in,
    question_terms_missing,
    unlocal_facts,
)
from qa.settings import AnswerSettings, Settings

P5 = (
    "The speech delivered on behalf of General Hok Lundy of the National Police showcased the influence "
    "of the LEASEC project on police work. Human trafficking cases have increased from 28 in 2001 to 123 "
    "in 2005."
)
P6 = (
    "Un Sokunthea, Director of the AHTJP Department, explained that her Department receives information "
    "from three sources -- local police, NGOs and the hotlines."
)


@pytest.fixture(scope="module")
def real_embedder():
    """The packaged all-MiniLM-L6-v2 through the project's own adapter."""
    from qa.embed.loading import load_embedder

    return load_embedder(Settings().embed)


class BagOfWords:
    """A deterministic stand-in encoder: normalised word counts over a fixed vocabulary."""

    def encode(self, texts):
        vocab = sorted({w for t in texts for w in t.lower().split()})
        rows = np.array([[t.lower().split().count(w) for w in vocab] for t in texts], dtype=np.float32)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def test_numbers_are_normalised():
    assert numbers_in("1,200 people, 4.10 tons, three sources, 2005") >= {"1200", "4.1", "3", "2005"}


def test_names_skip_the_capitalised_first_word_but_keep_acronyms():
    assert names_in("The director is Un Sokunthea of the AHTJP Department.") == {
        "Un", "Sokunthea", "AHTJP", "Department"}
    assert names_in("AHTJP was created in 2002.") == {"AHTJP"}
    assert "Human" not in names_in("Human trafficking cases rose.")


def test_invented_number_is_missing():
    claim = "The population of Cambodia is 15.4 million."
    assert missing_facts(claim, [P5], ["What is the population?"]) == ["15.4", "Cambodia"]


def test_names_may_come_from_the_question_or_title_but_numbers_may_not():
    question = "How many trafficking cases were reported in Cambodia in 2005?"
    assert missing_facts("Cambodia reported 123 cases in 2005.", [P5], [question]) == []
    assert missing_facts("Cambodia reported 124 cases in 2005.", [P5], [question]) == ["124"]
    title = "CAMBODIAN GOVERNMENT HIGHLIGHTS TIP"
    assert missing_facts("Cambodian police reported 123 cases.", [P5], [title]) == []


def test_number_words_match_digits():
    assert missing_facts("Her Department has 3 sources of information.", [P6]) == []


def test_uncited_sentence_is_never_supported():
    verdict = check_sentence("Cases rose to 123 in 2005.", [], BagOfWords(), 0.1)
    assert not verdict.supported and verdict.missing == ["no citation"]


def test_similarity_threshold_decides_when_facts_pass():
    sentence = "Human trafficking cases have increased from 28 in 2001 to 123 in 2005."
    assert check_sentence(sentence, [P5], BagOfWords(), 0.9).supported
    unrelated = "Police work was showcased on behalf of the speech."
    verdict = check_sentence(unrelated, [P5], BagOfWords(), 0.9)
    assert verdict.missing == [] and not verdict.supported


@pytest.mark.slow
def test_real_embedder_tells_a_supported_sentence_from_a_fabricated_one(real_embedder):
    threshold = AnswerSettings().min_support
    good = check_sentence("Un Sokunthea is the Director of the AHTJP Department.", [P6], real_embedder,
                          threshold, question="Who is the director of the AHTJP Department?")
    assert good.supported, good
    # facts all present, claim unrelated to what the paragraph says
    claim = "The AHTJP Department hotlines sell police uniforms."
    bad = check_sentence(claim, [P6], real_embedder, threshold)
    assert bad.missing == [] and bad.similarity < good.similarity
    fabricated = check_sentence("Un Sokunthea was born in 1961.", [P6], real_embedder, threshold)
    assert not fabricated.supported and fabricated.missing == ["1961"]


CALVIN = (
    "Lefevre published the whole Bible in the French language in 1530. William Farel was a student of "
    "Lefevre who went on to lead the Swiss Reformation. Jean Cauvin (John Calvin), another student at "
    "the University of Paris, also converted to Protestantism."
)


def test_facts_from_distant_sentences_do_not_make_a_claim():
    assert unlocal_facts("John Calvin became a Protestant in 1530.", [CALVIN]) == ["1530"]
    assert unlocal_facts("Lefevre published the Bible in French in 1530.", [CALVIN]) == []
    verdict = check_sentence("John Calvin became a Protestant in 1530.", [CALVIN], BagOfWords(), 0.0)
    assert not verdict.supported and "not near" in verdict.missing[0]


def test_a_denial_needs_a_cited_denial():
    assert negation_unbacked("Marin's orders did not include the Ohio Valley.", ["His orders were to go."])
    assert not negation_unbacked("Police did not register them.", ["Registering them is not acceptable."])
    assert not negation_unbacked("Police registered them.", ["They were not registered."])


def test_numeric_questions_are_recognised():
    assert expects_number("How many human trafficking cases were reported in Cambodia in 2005?")
    assert expects_number("In what year did John Calvin become a Protestant?")
    assert not expects_number("Who is the director of the AHTJP Department?")


def test_question_terms_must_be_in_the_cited_text_or_title():
    question = "Who gave their name to Normandy in the 1000's and 1100's?"
    passage = "The Normans gave their name to Normandy, a region in France, in the 10th and 11th centuries."
    assert question_terms_missing(question, [passage]) == ["1000", "1100"]
    assert question_terms_missing("How many cases in Cambodia?", [P5], ["CAMBODIAN GOVERNMENT"]) == []
