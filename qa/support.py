"""Does a cited paragraph support an answer sentence? Two checks, both must pass.

1. Facts: every number, date and proper name in the sentence occurs in the cited paragraphs (names
   may also come from the question or the cited documents' titles: the question is the user's own
   wording, and a cable's subject line names its country), close together (within two consecutive
   sentences), and a sentence that denies something cites a text that denies something.
2. Meaning: the sentence is semantically close to the cited paragraphs, judged with the embedder
   (cosine of normalised embeddings, against each paragraph and each of its sentences).

The fact extraction is pure; the similarity uses any object with ``encode(texts) -> (n, d)`` array of
normalised rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from qa.citations import split_sentences


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*")
# Capitalised words that are not names: sentence glue a model puts at the start of clauses.
_NOT_NAMES = {
    "the", "a", "an", "in", "on", "at", "by", "for", "from", "of", "to", "and", "but", "or", "as", "with",
    "he", "she", "it", "they", "we", "i", "you", "his", "her", "its", "their", "this", "that", "these",
    "those", "there", "here", "according", "however", "also", "both", "all", "some", "no", "yes", "not",
    "passage", "passages", "document", "documents", "answer", "question", "mr", "mrs", "ms", "dr",
}


@dataclass
class Support:
    """The verdict on one sentence."""

    supported: bool
    missing: list[str] = field(default_factory=list)  # numbers or names not found in the cited text
    similarity: float = 0.0


def numbers_in(text: str) -> set[str]:
    """Numbers in ``text``, normalised: ``1,200`` -> ``1200``, ``twelve`` -> ``12``, ``4.10`` -> ``4.1``."""
    found = set()
    for match in _NUMBER.finditer(text):
        value = match.group(0).replace(",", "")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.add(value.lstrip("0") or "0")
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _NUMBER_WORDS:
            found.add(str(_NUMBER_WORDS[word]))
    return found


def _clean_word(word: str) -> str:
    word = re.sub(r"['’]s$", "", word)
    return word.strip(".-'’")


def names_in(sentence: str) -> set[str]:
    """Proper names and acronyms in a sentence: capitalised words that are not sentence glue.

    The first word is capitalised anyway, so it counts only when it is an acronym or mixed case
    (``AHTJP``, ``McDonald``); a name that starts a sentence is usually followed by its second part.
    """
    names = set()
    for i, match in enumerate(_WORD.finditer(sentence)):
        word = _clean_word(match.group(0))
        if len(word) < 2 or not word[0].isupper() or word.lower() in _NOT_NAMES:
            continue
        special = word.isupper() or any(c.isupper() for c in word[1:])
        if i == 0 and not special:
            continue
        names.add(word)
    return names


def _words(text: str) -> set[str]:
    return {_clean_word(w).lower() for w in _WORD.findall(text)}


def _name_found(name: str, words: set[str]) -> bool:
    """A name is found as a whole word, or as a close inflection (``Cambodian`` for ``Cambodia``)."""
    low = name.lower()
    if low in words:
        return True
    parts = [p for p in re.split(r"[-.]", low) if p]
    if len(parts) > 1 and all(p in words for p in parts):
        return True
    stem = max(5, len(low) - 3)
    return len(low) >= 5 and any(len(w) >= 5 and w[:stem] == low[:stem] for w in words)


def missing_facts(sentence: str, cited: Sequence[str], extra_names: Sequence[str] = ()) -> list[str]:
    """The numbers and names of ``sentence`` that occur in none of the ``cited`` texts.

    Numbers must be in the cited paragraphs themselves; names may also be in ``extra_names`` texts
    (the question, the cited documents' titles).
    """
    cited_text = "\n".join(cited)
    missing = sorted(numbers_in(sentence) - numbers_in(cited_text), key=str)
    words = _words(cited_text) | _words("\n".join(extra_names))
    missing += sorted(n for n in names_in(sentence) if not _name_found(n, words))
    return missing


def question_terms_missing(question: str, cited: Sequence[str], titles: Sequence[str] = ()) -> list[str]:
    """The numbers and names of the question that the cited paragraphs (or their titles) never mention.

    An answer citing paragraphs that do not mention what the question is about answers a different
    question: "the 1000s" asked, "the 10th century" cited, is how a near-miss reads.
    """
    cited_text = "\n".join(cited)
    known_numbers = numbers_in(cited_text) | numbers_in("\n".join(titles))
    missing = sorted(numbers_in(question) - known_numbers, key=str)
    words = _words(cited_text) | _words("\n".join(titles))
    missing += sorted(n for n in names_in(question) if not _name_found(n, words))
    return missing


def unlocal_facts(sentence: str, cited: Sequence[str], window: int = 2) -> list[str]:
    """Facts of ``sentence`` that no stretch of ``window`` consecutive sentences of a cited text holds
    together with the others: a year from one sentence and a name from another, far apart, do not
    make a claim about that name in that year.

    Each cited text contributes its stretch covering the most facts; names found only outside the
    cited text (in the question or a title) are not counted.
    """
    cited_words = _words("\n".join(cited))
    facts = numbers_in(sentence) | {n for n in names_in(sentence) if _name_found(n, cited_words)}
    if len(facts) < 2:
        return []
    covered: set[str] = set()
    for text in cited:
        sentences = split_sentences(text) or [text]
        best: set[str] = set()
        for start in range(max(1, len(sentences) - window + 1)):
            stretch = " ".join(sentences[start:start + window])
            words = _words(stretch)
            found = {f for f in facts if (f in numbers_in(stretch)) or (not f[0].isdigit() and
                                                                        _name_found(f, words))}
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


_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")


def year_conflict(question: str, sentence: str) -> bool:
    """The question is about one year and the sentence names other years but not that one."""
    asked = set(_YEAR.findall(question))
    said = set(_YEAR.findall(sentence))
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


def check_sentence(
    sentence: str,
    cited: Sequence[str],
    encoder: Encoder,
    min_similarity: float,
    *,
    question: str = "",
    titles: Sequence[str] = (),
) -> Support:
    """Check one answer sentence against the texts it cites; uncited sentences are never supported."""
    if not cited:
        return Support(False, ["no citation"])
    missing = missing_facts(sentence, cited, [question, *titles])
    if not missing:
        missing = [f"{fact} (not near the other facts)" for fact in unlocal_facts(sentence, cited)]
    if not missing and negation_unbacked(sentence, cited):
        missing = ["a negation"]
    score = similarity(encoder, sentence, support_units(cited))
    return Support(not missing and score >= min_similarity, missing, round(score, 4))
