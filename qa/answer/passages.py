"""Which retrieved text the model sees (pure functions).

Prompt evaluation is the slow part of answering on a CPU (about 90-150 tokens/s for the 1.5B model),
and a small model loses the answer among long passages. So the model is shown the retrieved
paragraphs' sentences most relevant to the question, within a word budget: each sentence is scored
by its dense cosine with the question plus its share of the question's content words and its
paragraph's own cosine (each weighted), the best are
taken across all retrieved paragraphs, and each paragraph shows its chosen sentences in their own
order (`` ... `` marks a gap). On SQuAD dev this kept the answer in view for 95% of answerable
questions with 160 words, against 92% for whole passages with 240 (bench/answer_squad.py notes).

Sentences that read as instructions to an assistant are removed before anything is scored or shown
(``qa.grounding.instructions``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from qa.text import STOPWORDS

_TOKEN = re.compile(r"[a-z0-9]+")
LEXICAL_WEIGHT = 0.5  # how much full coverage of the question's words adds to a cosine (tuned on SQuAD)
MIN_SHARE = 0.6  # a sentence scoring under this share of the best is filler (tuned on SQuAD)
# How much the sentence's paragraph's own cosine with the question adds: a sentence of the paragraph
# that matches the question as a whole is likelier to hold the answer than a like-scoring sentence of
# a weaker one (bench/sentence_choice.py; chosen on the cable dev set)
PASSAGE_PRIOR = 0.25
GAP = " ... "
T = TypeVar("T")


def word_count(text: str) -> int:
    return len(text.split())


def _stems(text: str) -> set[str]:
    # five letters: a crude stem that lets "reported" meet "reports" and "Cambodian" meet "Cambodia"
    return {t[:5] for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1}


def lexical_overlap(question: str, sentence: str) -> float:
    """Share of the question's content words (crudely stemmed) that the sentence contains."""
    wanted = _stems(question)
    return len(wanted & _stems(sentence)) / len(wanted) if wanted else 0.0


@dataclass
class Candidate:
    """A retrieved passage prepared for the prompt: its screened sentences and relevance to the question."""

    index: int  # position in the retrieved list
    sentences: list[str]
    relevance: float  # cosine of the question with the passage
    removed: int = 0  # instruction-like sentences taken out

    @property
    def words(self) -> int:
        return sum(word_count(s) for s in self.sentences)


def select(candidates: Sequence[Candidate], *, k: int, min_relevance: float, relative_drop: float,
           ) -> list[Candidate]:
    """Up to ``k`` passages in retrieval order, skipping empty ones and those whose relevance is below
    ``min_relevance`` or more than ``relative_drop`` below the best."""
    usable = [c for c in candidates if c.sentences]
    if not usable:
        return []
    floor = max(min_relevance, max(c.relevance for c in usable) - relative_drop)
    return [c for c in usable if c.relevance >= floor][:k]


def rank_sentences(question: str, candidates: Sequence[Candidate], cosines: Sequence[Sequence[float]],
                   prior: float = PASSAGE_PRIOR) -> list[tuple[float, int, int]]:
    """(score, candidate, sentence) for every sentence, best first: its cosine, plus ``LEXICAL_WEIGHT``
    times its lexical overlap, plus ``prior`` times its passage's cosine."""
    scored = [
        (cos + LEXICAL_WEIGHT * lexical_overlap(question, sentence) + prior * c.relevance, i, j)
        for i, c in enumerate(candidates)
        for j, (sentence, cos) in enumerate(zip(c.sentences, cosines[i], strict=True))
    ]
    return sorted(scored, key=lambda s: (-s[0], s[1], s[2]))


def take_best(candidates: Sequence[Candidate], ranked: Sequence[tuple[float, int, int]], max_words: int,
              admit: Callable[[int, float], bool]) -> set[tuple[int, int]]:
    """(candidate, sentence) pairs taken from ``ranked`` best first while they fit in ``max_words``
    and ``admit(rank, score)``; the best one always."""
    chosen: set[tuple[int, int]] = set()
    used = 0
    for rank, (score, i, j) in enumerate(ranked):
        n = word_count(candidates[i].sentences[j])
        if chosen and (used + n > max_words or not admit(rank, score)):
            continue
        chosen.add((i, j))
        used += n
    return chosen


def choose_sentences(question: str, candidates: Sequence[Candidate], cosines: Sequence[Sequence[float]],
                     max_words: int, min_share: float = MIN_SHARE) -> list[tuple[Candidate, str]]:
    """The text shown for each candidate (in the candidates' order; those with nothing chosen left out).

    ``cosines[i][j]`` is the question's cosine with sentence ``j`` of candidate ``i``. Sentences are
    taken best first while they fit in ``max_words`` (the best one always, cut if it alone is longer)
    and score at least ``min_share`` of the best score: filler ("End Comment.") costs prompt time and
    distracts a small model.
    """
    ranked = rank_sentences(question, candidates, cosines)
    floor = ranked[0][0] * min_share if ranked else 0.0
    chosen = take_best(candidates, ranked, max_words, lambda _rank, score: score >= floor)
    shown = []
    for i, c in enumerate(candidates):
        picked = sorted(j for ci, j in chosen if ci == i)
        if not picked:
            continue
        parts = [c.sentences[picked[0]]]
        for prev, j in zip(picked, picked[1:], strict=False):
            parts.append((GAP if j > prev + 1 else " ") + c.sentences[j])
        text = "".join(parts)
        if word_count(text) > max_words:  # one sentence longer than the whole budget
            text = " ".join(text.split()[:max_words]) + GAP.rstrip()
        shown.append((c, text))
    return shown


def group_by_source(shown: Sequence[T], source: Callable[[T], str]) -> list[T]:
    """``shown`` with the passages of one source brought together, sources in the order of their
    first passage and each source's passages in their own order: the prompt then names each source
    once (``qa.prompts.templates.user_turn``)."""
    first: dict[str, int] = {}
    for i, item in enumerate(shown):
        first.setdefault(source(item), i)
    return [item for _, item in sorted(enumerate(shown), key=lambda e: (first[source(e[1])], e[0]))]
