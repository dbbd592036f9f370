"""Does a cited paragraph support an answer sentence? Two checks, both must pass.

1. Facts: every number, date and proper name in the sentence occurs in the cited paragraphs (names
   may also come from the question or the cited documents' titles, and a name the cited text
   abbreviates, "RBS" for "Royal Bank of Scotland", from the document that spells it out; a number
   the sentence only repeats from the question may be in the document's date), close together
   (within two consecutive sentences), and a sentence that denies something cites a text that
   denies something.
2. Meaning: the sentence is semantically close to the cited paragraphs, judged with the embedder
   (cosine of normalised embeddings, against each paragraph and each of its sentences).

The fact extraction is pure; the similarity uses any object with ``encode(texts) -> (n, d)`` array of
normalised rows.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from qa.grounding.names import (
    abbreviated_names,
    abbreviated_runs,
    acronyms_in,
    name_found,
    name_phrases,
    names_in,
    words_of,
)
from qa.text import YEAR, numbers_in, split_sentences


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass
class Support:
    """The verdict on one sentence."""

    supported: bool
    missing: list[str] = field(default_factory=list)  # numbers or names not found in the cited text
    similarity: float = 0.0
    evidence: list[str] = field(default_factory=list)  # per cited text, its sentence closest to the claim


def missing_facts(sentence: str, cited: Sequence[str], extra_names: Sequence[str] = (),
                  restated: Collection[str] = ()) -> list[str]:
    """The numbers and names of ``sentence`` that occur in none of the ``cited`` texts.

    Numbers must be in the cited paragraphs themselves, except the ``restated`` ones (see
    ``restated_numbers``); names may also be in ``extra_names`` texts (the question, the cited
    documents' titles, the names the cited text abbreviates).
    """
    cited_text = "\n".join(cited)
    missing = sorted(numbers_in(sentence) - numbers_in(cited_text) - set(restated), key=str)
    words = words_of(cited_text) | words_of("\n".join(extra_names))
    missing += sorted(n for n in names_in(sentence) if not name_found(n, words))
    return missing


def restated_numbers(sentence: str, question: str, cited: Sequence[str], titles: Sequence[str]) -> set[str]:
    """Numbers the sentence only repeats from the question ("... in the 2007 referendum") that the
    cited documents' ``titles`` (source lines: origin, date, subject) hold though the cited paragraphs
    do not.

    A cable is dated in its header, not in every paragraph; a repeated year is the question's premise,
    which ``question_terms_missing`` checks, not a claim of the answer. It is excused only beside a
    fact of the sentence's own that the cited paragraphs hold (a sentence that only repeats the
    question says nothing), and not when a cited paragraph names other years (it is about those);
    nor is a number found only in another paragraph ("by December 22" asked of one about November).
    """
    cited_text = "\n".join(cited)
    cited_numbers, asked = numbers_in(cited_text), numbers_in(question)
    echoed = (numbers_in(sentence) & asked & numbers_in("\n".join(titles))) - cited_numbers
    if not echoed:
        return set()
    question_words, cited_words = words_of(question), words_of(cited_text)
    own = (numbers_in(sentence) - asked) & cited_numbers or {
        n for n in names_in(sentence) if not name_found(n, question_words) and name_found(n, cited_words)}
    cited_years = set(YEAR.findall(cited_text))
    return {n for n in echoed if not (YEAR.fullmatch(n) and cited_years)} if own else set()


def question_terms_missing(question: str, cited: Sequence[str], titles: Sequence[str] = ()) -> list[str]:
    """The numbers and names of the question that the cited paragraphs never mention, nor ``titles``
    (texts about them: source lines, their documents' headers and other paragraphs).

    An answer citing paragraphs that do not mention what the question is about answers a different
    question: "the 1000s" asked, "the 10th century" cited, is how a near-miss reads.
    """
    cited_text = "\n".join(cited)
    known_numbers = numbers_in(cited_text) | numbers_in("\n".join(titles))
    missing = sorted(numbers_in(question) - known_numbers, key=str)
    words = words_of(cited_text) | words_of("\n".join(titles))
    acronyms = acronyms_in("\n".join([cited_text, *titles]))  # "UN General Assembly" written "UNGA"
    abbreviated = {n for phrase in name_phrases(question) for n in abbreviated_runs(phrase, acronyms)}
    missing += sorted(n for n in names_in(question) if not name_found(n, words) and n not in abbreviated)
    return missing


def unlocal_facts(sentence: str, cited: Sequence[str], window: int = 2) -> list[str]:
    """Facts of ``sentence`` that no stretch of ``window`` consecutive sentences of a cited text holds
    together with the others: a year from one sentence and a name from another, far apart, do not
    make a claim about that name in that year.

    Each cited text contributes its stretch covering the most facts; names and numbers found only
    outside the cited text (in the question, a title, the rest of the document) are not counted.
    """
    cited_text = "\n".join(cited)
    cited_words = words_of(cited_text)
    facts = (numbers_in(sentence) & numbers_in(cited_text)) | {
        n for n in names_in(sentence) if name_found(n, cited_words)}
    if len(facts) < 2:
        return []
    covered: set[str] = set()
    for text in cited:
        sentences = split_sentences(text) or [text]
        best: set[str] = set()
        for start in range(max(1, len(sentences) - window + 1)):
            stretch = " ".join(sentences[start:start + window])
            words = words_of(stretch)
            found = {f for f in facts if (f in numbers_in(stretch)) or (not f[0].isdigit() and
                                                                        name_found(f, words))}
            best = max(best, found, key=len)
        covered |= best
    return sorted(facts - covered)


_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|cannot|without)\b|n't\b", re.IGNORECASE)


def negation_unbacked(sentence: str, cited: Sequence[str]) -> bool:
    """The sentence denies something while the cited texts deny nothing: a flipped claim."""
    return bool(_NEGATION.search(sentence)) and not any(_NEGATION.search(t) for t in cited)


_NUMERIC_QUESTION = re.compile(
    r"^\s*(?:how\s+(?:many|much|old|long|far|large|big|high|often)|what\s+(?:percentage|percent|number|"
    r"year|amount|proportion|share)|in\s+what\s+year|which\s+year)\b",
    re.IGNORECASE,
)


def year_conflict(question: str, sentence: str) -> bool:
    """The question is about one year and the sentence names other years but not that one."""
    asked = set(YEAR.findall(question))
    said = set(YEAR.findall(sentence))
    return bool(asked and said and not asked & said)


def expects_number(question: str) -> bool:
    """Questions whose answer is a quantity or a year ("How many...", "In what year...")."""
    return bool(_NUMERIC_QUESTION.search(question))


def support_units(cited: Sequence[str]) -> list[str]:
    """What a sentence is compared with: each cited paragraph whole and each of its sentences."""
    units: list[str] = []
    for text in cited:
        units.append(text)
        sentences = split_sentences(text)
        if len(sentences) > 1:
            units.extend(sentences)
    return units


def similarity(encoder: Encoder, claim: str, units: Sequence[str]) -> float:
    """Highest cosine between ``claim`` and any of ``units`` (embeddings are normalised)."""
    if not units:
        return 0.0
    vectors = np.asarray(encoder.encode([claim, *units]), dtype=np.float32)
    return float(np.max(vectors[1:] @ vectors[0]))


def closest_sentences(encoder: Encoder, claim: str, cited: Sequence[str]) -> list[str]:
    """For each cited text, its sentence closest in meaning to ``claim``: the evidence span a reader
    is shown (the same cosines the support check computed; the encoder caches them)."""
    out = []
    for text in cited:
        sentences = split_sentences(text) or [text]
        vectors = np.asarray(encoder.encode([claim, *sentences]), dtype=np.float32)
        out.append(sentences[int(np.argmax(vectors[1:] @ vectors[0]))])
    return out


def check_sentence(
    sentence: str,
    cited: Sequence[str],
    encoder: Encoder,
    min_similarity: float,
    *,
    question: str = "",
    titles: Sequence[str] = (),
    documents: Sequence[str] = (),
) -> Support:
    """Check one answer sentence against the texts it cites; uncited sentences are never supported.

    ``titles`` are the cited documents' source lines; ``documents`` their whole texts, which may spell
    out a name the cited text abbreviates (``abbreviated_names``).
    """
    if not cited:
        return Support(False, ["no citation"])
    spelled_out = " ".join(sorted(abbreviated_names(sentence, cited, documents))) if documents else ""
    missing = missing_facts(sentence, cited, [question, *titles, spelled_out],
                            restated_numbers(sentence, question, cited, titles))
    if not missing:
        missing = [f"{fact} (not near the other facts)" for fact in unlocal_facts(sentence, cited)]
    if not missing and negation_unbacked(sentence, cited):
        missing = ["a negation"]
    score = similarity(encoder, sentence, support_units(cited))
    supported = not missing and score >= min_similarity
    evidence = closest_sentences(encoder, sentence, cited) if supported else []
    return Support(supported, missing, round(score, 4), evidence)
