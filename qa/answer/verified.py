"""The answer checks with the learned verifier (``answer.verifier``): ``qa.grounding.verifier`` scores,
the principled rules kept beside them, and the trace a training run records.

    each sentence: cites a shown passage, gives no orders, states no number the evidence lacks, and
    is backed by each paragraph whose support score reaches the threshold (its own citations and,
    with ``answer.reattribute``, any other shown paragraph)
    the answer: a number when one is asked for; then the answer score (support, the check model's
    P(Yes), the model's own wish to abstain) reaches its threshold

In ``collect`` mode nothing is decided: every cited sentence is accepted and every signal is recorded
(``trace``), so that ``train/verifier.py`` can label and fit them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.grounding.checks import CheckModel, Passage, check_window, evidence_span, source_line
from qa.grounding.citations import parse_answer
from qa.grounding.cited_documents import CitedDocuments
from qa.grounding.instructions import looks_like_instructions, visible_sentences
from qa.grounding.support import Encoder, expects_number
from qa.grounding.verifier import (
    PairInput,
    Verifier,
    answer_features,
    evidence_sentence,
    pair_features,
    unbacked_numbers,
)
from qa.settings import AnswerSettings
from qa.text import numbers_in
from qa.types import Citation, Hit, Sentence


@dataclass
class Verdict:
    """The checked sentences, why the answer as a whole is refused (None: it is given), and the trace."""

    sentences: list[Sentence]
    problem: str | None
    dropped: int = 0
    trace: dict[str, Any] = field(default_factory=dict)


class LearnedCheck:
    """Checks one question's answer with a verifier (None: collect signals only)."""

    def __init__(self, verifier: Verifier | None, check_model: CheckModel | None, *, reattribute: bool,
                 min_support: float | None, min_answer: float | None) -> None:
        self.verifier = verifier
        self.check_model = check_model
        self.reattribute = reattribute
        self.min_support = min_support if min_support is not None else (
            verifier.support.threshold if verifier else 0.0)
        self.min_answer = min_answer if min_answer is not None else (verifier.answer.threshold if verifier else 0.0)

    def inputs(self, question_vector: np.ndarray, shown: Sequence[Passage], encoder: Encoder,
               documents: CitedDocuments) -> list[PairInput]:
        """Each shown passage as the verifier reads it."""
        sims = encoder.encode([text for _, text in shown]) @ question_vector if shown else []
        # the rank among the shown passages in retrieval order (the prompt groups them by document)
        ranks = sorted(hit.rank for hit, _ in shown)
        return [PairInput(text, source_line(hit), (documents.texts([hit]) or [""])[0], float(sim),
                          ranks.index(hit.rank))
                for (hit, text), sim in zip(shown, sims, strict=True)]

    def _support(self, features: dict[str, float]) -> float:
        return self.verifier.support.prob(features) if self.verifier else features["sentence_sim"]

    def check(self, question: str, question_vector: np.ndarray, raw: str, shown: Sequence[Passage],
              encoder: Encoder, documents: CitedDocuments, abstain_prob: float | None) -> Verdict:
        """The verdict on the model's answer text ``raw`` to ``question`` over the ``shown`` passages."""
        parsed = parse_answer(raw, len(shown))
        passages = self.inputs(question_vector, shown, encoder, documents)
        best_sim = max((p.question_sim for p in passages), default=0.0)
        pairs: list[dict[str, Any]] = []
        sentences: list[Sentence] = []
        backings: list[list[tuple[float, int, dict[str, float]]]] = []
        for i, ps in enumerate(parsed.sentences):
            cited = {n - 1 for n in ps.passages if 1 <= n <= len(shown)}
            scored: list[tuple[float, int]] = []
            if cited and not looks_like_instructions(ps.text):
                for j, passage in enumerate(passages):
                    if j not in cited and not self.reattribute and self.verifier is not None:
                        continue
                    features = pair_features(question, ps.text, passage, j in cited, best_sim, encoder)
                    score = self._support(features)
                    hit = shown[j][0]
                    unbacked = bool(unbacked_numbers(ps.text, f"{passage.text}\n{passage.source}", question))
                    pairs.append({"sentence": i, "doc_id": hit.doc_id, "paragraph": hit.paragraph,
                                  "features": {k: round(v, 5) for k, v in features.items()},
                                  "score": round(score, 5), "unbacked_numbers": unbacked})
                    if unbacked:
                        continue
                    if self.verifier is None:
                        if j in cited:  # collecting: the model's own citations, undecided
                            scored.append((score, j, features))
                    elif score >= self.min_support:
                        scored.append((score, j, features))
            scored.sort(key=lambda b: (-b[0], b[1]))
            backings.append(scored)
            citations = [self._citation(shown[j][0], ps.text, passages[j].text, encoder) for _, j, _ in scored]
            if not citations:
                citations = [Citation(shown[j][0].doc_id, shown[j][0].paragraph) for j in sorted(cited)]
            sentences.append(Sentence(ps.text, citations, bool(scored)))
        trace: dict[str, Any] = {"pairs": pairs, "sentences": [ps.text for ps in parsed.sentences]}
        verdict = Verdict(sentences, None, parsed.dropped, trace)
        first = next((i for i, b in enumerate(backings) if b), None)
        if first is None:
            verdict.problem = "no supported sentence"
            return verdict
        accepted = [s for s in sentences if s.supported]
        if expects_number(question) and not any(numbers_in(s.text) - numbers_in(question) for s in accepted):
            verdict.problem = "the question asks for a number and the answer gives none"
            return verdict
        score, j, features = backings[first][0]
        p_answer = self._answer(question, parsed.sentences[first].text, shown[j][0], features, score,
                                abstain_prob, encoder, trace)
        if self.verifier is not None and p_answer < self.min_answer:
            verdict.problem = f"the verifier doubts this answers the question ({p_answer:.2f})"
        return verdict

    def quote(self, question: str, question_vector: np.ndarray, hit: Hit, sentence: str, encoder: Encoder,
              documents: CitedDocuments) -> tuple[float, dict[str, Any]]:
        """The answer score of quoting ``sentence``, a sentence of ``hit``'s own text (0 when the
        question asks for a number the sentence lacks, or there is no verifier)."""
        trace: dict[str, Any] = {}
        if expects_number(question) and not numbers_in(sentence) - numbers_in(question):
            return 0.0, trace
        passage = self.inputs(question_vector, [(hit, hit.text)], encoder, documents)[0]
        features = pair_features(question, sentence, passage, True, passage.question_sim, encoder)
        score = self._support(features)
        trace["pair"] = {k: round(v, 5) for k, v in features.items()}
        if self.verifier is not None and score < self.min_support:
            return 0.0, trace
        return self._answer(question, sentence, hit, features, score, None, encoder, trace), trace

    def _answer(self, question: str, sentence: str, hit: Hit, pair: dict[str, float], support: float,
                abstain_prob: float | None, encoder: Encoder, trace: dict[str, Any]) -> float:
        """The answer score (recorded in ``trace`` with its signals)."""
        check_yes = None
        if self.check_model is not None:
            sentences = visible_sentences(hit.text)
            vectors = np.asarray(encoder.encode([sentence, *sentences]), dtype=np.float32)
            best = int(np.argmax(vectors[1:] @ vectors[0])) if sentences else 0
            window = check_window(sentences, best) or hit.text
            check_yes = self.check_model.p_yes(hit, window, question)
        features = answer_features(pair, support, check_yes, abstain_prob)
        p = self.verifier.answer.prob(features) if self.verifier else 1.0
        trace["answer"] = {"doc_id": hit.doc_id, "paragraph": hit.paragraph, "check_yes": check_yes,
                           "features": {k: round(v, 5) for k, v in features.items()}, "score": round(p, 5)}
        return p

    @staticmethod
    def _citation(hit: Hit, claim: str, shown_text: str, encoder: Encoder) -> Citation:
        """A citation with the span of the paragraph's sentence the verifier matched the claim to."""
        return Citation(hit.doc_id, hit.paragraph, evidence_span(evidence_sentence(encoder, claim, shown_text),
                                                                 hit.text))


def learned_check(settings: AnswerSettings, check_model: CheckModel | None) -> LearnedCheck | None:
    """The checks ``answer.verifier`` names: the packaged weights, a weights file of the user's own,
    ``collect`` (signals only), or None for ``off`` (the hand-made rules of ``qa.grounding.checks``)."""
    choice = settings.verifier.strip()
    if choice == "off":
        return None
    verifier = None if choice == "collect" else Verifier.load(None if choice == "packaged" else Path(choice))
    return LearnedCheck(verifier, check_model, reattribute=settings.reattribute,
                        min_support=settings.min_support_score, min_answer=settings.min_answer_score)
