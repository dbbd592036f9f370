"""A learned verifier: does a shown paragraph back an answer sentence, and does the answer answer the question?

Two small logistic models over measured signals, trained by ``train/verifier.py`` on questions with
known answers and calibrated there (their scores are probabilities), replace the hand-made rules of
``qa.grounding.support`` (abbreviations, question-term and year exceptions, common-term share):

- **support** scores one (question, answer sentence, shown paragraph) triple from what the sentence and
  the question share with the paragraph (``pair_features``): meaning (embedder cosines), words, names
  and numbers. A sentence is backed by each paragraph whose score reaches the support threshold; the
  paragraph's sentence closest to the claim is the evidence span the app highlights.
- **answer** scores the answer as a whole: its best support score, the check model's P(Yes) that the
  paragraph answers the question, and the answering model's own wish to abstain.

What stays a rule is what is true by definition: a citation names a passage that was shown, and a
number the answer states occurs in the cited paragraph or the question.

The weights are a JSON file (``qa/data/verifier.json`` by default, ``answer.verifier`` to use your own):
feature names, standardisation, weights, bias and the thresholds chosen on the tuning split.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import QAError
from qa.grounding.names import name_found, names_in, words_of
from qa.grounding.support import Encoder, negation_unbacked, similarity, support_units, year_conflict
from qa.text import STOPWORDS, numbers_in, split_sentences

PACKAGED = Path(__file__).resolve().parent.parent / "data" / "verifier.json"

SUPPORT_FEATURES = (
    "sentence_sim", "question_sim", "question_gap", "question_words", "question_names", "sentence_names",
    "sentence_numbers", "new_words", "new_in_passage", "negation_unbacked", "year_conflict", "cited", "rank",
)
# the answer head reads the best pair's own signals too: what the question shares with the paragraph,
# and whether the sentence adds anything the question did not say
ANSWER_FEATURES = ("support_logit", "check_logit", "abstain_logit", "question_sim", "question_names",
                   "question_words", "new_words", "new_in_passage", "sentence_sim")

_TOKEN = re.compile(r"[a-z0-9]+")


def stems(text: str) -> set[str]:
    """Content words, lower-cased, cut to six letters (a cheap stem: "negotiations" ~ "negotiated")."""
    return {w[:6] for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())}


def _share(found: int, total: int) -> float:
    return found / total if total else 1.0


def logit(p: float | None, floor: float = 1e-4) -> float:
    """log(p / (1 - p)), clipped; 0 when there is no probability."""
    if p is None:
        return 0.0
    p = min(max(p, floor), 1 - floor)
    return math.log(p / (1 - p))


@dataclass
class PairInput:
    """One shown paragraph as the verifier reads it."""

    text: str  # the paragraph as shown
    source: str  # its source line: origin, date, subject
    document: str  # its whole document (header and paragraphs), or ""
    question_sim: float  # dense cosine of the question to the paragraph
    rank: int  # 0 for the first shown passage


def pair_features(question: str, sentence: str, passage: PairInput, cited: bool, best_question_sim: float,
                  encoder: Encoder) -> dict[str, float]:
    """The support model's signals for one (question, sentence, paragraph) triple, named as in
    ``SUPPORT_FEATURES``; every one is measured, none is a verdict."""
    context = f"{passage.text}\n{passage.source}"
    q_stems, s_stems, p_stems = stems(question), stems(sentence), stems(context)
    s_names = names_in(sentence)
    with_document = words_of(f"{context}\n{passage.document}")
    s_numbers = numbers_in(sentence)
    new = s_stems - q_stems
    return {
        "sentence_sim": similarity(encoder, sentence, support_units([passage.text])),
        "question_sim": passage.question_sim,
        "question_gap": passage.question_sim - best_question_sim,
        "question_words": _share(len(q_stems & p_stems), len(q_stems)),
        "question_names": question_names(question, passage),
        "sentence_names": _share(sum(name_found(n, with_document | words_of(question)) for n in s_names),
                                 len(s_names)),
        "sentence_numbers": _share(len(s_numbers & (numbers_in(context) | numbers_in(question))), len(s_numbers)),
        "new_words": len(new) / len(s_stems) if s_stems else 0.0,
        "new_in_passage": len(new & p_stems) / len(new) if new else 0.0,
        "negation_unbacked": float(negation_unbacked(sentence, [passage.text])),
        "year_conflict": float(year_conflict(question, sentence)),
        "cited": float(cited),
        "rank": 1.0 / (1 + passage.rank),
    }


def question_names(question: str, passage: PairInput) -> float:
    """The share of the question's names that the paragraph, its source line or its document mention."""
    names = names_in(question)
    words = words_of(f"{passage.text}\n{passage.source}\n{passage.document}")
    return _share(sum(name_found(n, words) for n in names), len(names))


def unbacked_numbers(sentence: str, passage: str, question: str) -> set[str]:
    """Numbers the sentence states that neither the cited paragraph (with its source line: a cable's
    date) nor the question holds: a figure or date that is not in the evidence is never accepted,
    whatever the scores say."""
    return numbers_in(sentence) - numbers_in(passage) - numbers_in(question)


def evidence_sentence(encoder: Encoder, claim: str, passage: str) -> str:
    """The paragraph's sentence closest in meaning to the claim: the span the verifier matched."""
    sentences = split_sentences(passage) or [passage]
    vectors = np.asarray(encoder.encode([claim, *sentences]), dtype=np.float32)
    return sentences[int(np.argmax(vectors[1:] @ vectors[0]))]


@dataclass
class Head:
    """One logistic model: ``p = sigmoid(w . (x - mean) / scale + b)``."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float

    def logit(self, values: dict[str, float]) -> float:
        x = np.array([values[f] for f in self.features], dtype=np.float64)
        return float(((x - self.mean) / self.scale) @ self.weights + self.bias)

    def prob(self, values: dict[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-self.logit(values)))

    def to_json(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "weights": self.weights.round(6).tolist(),
                "bias": round(self.bias, 6), "threshold": round(self.threshold, 4)}

    @classmethod
    def from_json(cls, data: dict) -> Head:
        return cls(tuple(data["features"]), np.array(data["mean"]), np.array(data["scale"]),
                   np.array(data["weights"]), float(data["bias"]), float(data["threshold"]))


@dataclass
class Verifier:
    """The two trained heads and where they came from."""

    support: Head
    answer: Head
    path: Path
    digest: str

    @classmethod
    def load(cls, path: Path | None = None) -> Verifier:
        """Read a weights file (the packaged one by default); a missing or malformed file is a QAError."""
        path = path or PACKAGED
        try:
            raw = path.read_bytes()
            data = json.loads(raw)
            return cls(Head.from_json(data["support"]), Head.from_json(data["answer"]), path,
                       hashlib.sha256(raw).hexdigest()[:12])
        except FileNotFoundError:
            raise QAError(f"verifier weights {path} not found (setting answer.verifier)") from None
        except (ValueError, KeyError, TypeError) as err:
            raise QAError(f"verifier weights {path} are not a verifier file: {err}") from None


def answer_features(pair: dict[str, float], support: float, check_yes: float | None,
                    abstain_prob: float | None) -> dict[str, float]:
    """The answer model's signals, named as in ``ANSWER_FEATURES``: the best backing pair's own
    signals (``pair_features``), its support score, the check model's P(Yes) and the answering
    model's probability of the abstention sentence."""
    out = {k: pair[k] for k in ANSWER_FEATURES if k in pair}
    out.update(support_logit=logit(support), check_logit=logit(check_yes), abstain_logit=logit(abstain_prob))
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50,
                 weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised features.

    Returns (mean, scale, weights, bias). Deterministic: the same rows give the same model. ``weights``
    are optional per-row weights (to balance sources of different sizes).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    row_w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        gradient = z.T @ (row_w * (p - y)) + penalty * beta
        hessian = (z * (row_w * p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return mean, scale, beta[:-1], float(beta[-1])
