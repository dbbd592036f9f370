"""Evaluation metrics as pure functions: retrieval, answers, citations, abstention and latency.

The small functions take plain values so each can be checked on hand-made cases; ``summarize``
applies them to finished records, overall and per question ``type``. A metric with nothing to
measure (no answerable question, no answer given...) is ``None`` rather than a misleading 0.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

from qa.evaluation.dataset import Gold
from qa.evaluation.records import Record

RECALL_KS = (1, 5, 10)
UNTYPED = "untyped"


# --- retrieval -------------------------------------------------------------------------------


def relevance(ranked: Sequence[tuple[str, int, str]], gold: Sequence[Gold]) -> list[bool]:
    """For each ranked (doc_id, paragraph, text), whether it is a gold paragraph not already found.

    A gold paragraph counts once, so a paragraph returned twice cannot lift recall above 1.
    """
    found: set[int] = set()
    out = []
    for doc_id, paragraph, text in ranked:
        match = next(
            (i for i, g in enumerate(gold) if i not in found and g.matches(doc_id, paragraph, text)), None
        )
        if match is not None:
            found.add(match)
        out.append(match is not None)
    return out


def recall_at_k(relevant: Sequence[bool], n_gold: int, k: int) -> float:
    """Share of the ``n_gold`` gold paragraphs found in the first ``k`` results."""
    if n_gold <= 0:
        raise ValueError("recall needs at least one gold paragraph")
    return sum(relevant[:k]) / n_gold


def reciprocal_rank(relevant: Sequence[bool], k: int = 10) -> float:
    """1 / rank of the first gold paragraph within the first ``k`` results, else 0."""
    for rank, hit in enumerate(relevant[:k], 1):
        if hit:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(relevant: Sequence[bool], n_gold: int, k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary relevance over the first ``k`` results."""
    if n_gold <= 0:
        raise ValueError("nDCG needs at least one gold paragraph")
    dcg = sum(1.0 / math.log2(rank + 1) for rank, hit in enumerate(relevant[:k], 1) if hit)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_gold, k) + 1))
    return dcg / ideal


# --- answers (SQuAD-style) -------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | {"¶", "“", "”", "‘", "’", "–", "—"}
# Citation markers are not part of the answer: "[06PHNOMPENH657 ¶5]", "[1]", "06PHNOMPENH657 ¶5".


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals any normalised acceptable answer."""
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(a) for a in answers))


def token_f1(prediction: str, answers: Sequence[str]) -> float:
    """Best token-overlap F1 between the prediction and any acceptable answer."""
    pred_tokens = normalize_answer(prediction).split()
    best = 0.0
    for answer in answers:
        gold_tokens = normalize_answer(answer).split()
        common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
        if not pred_tokens or not gold_tokens:
            score = float(pred_tokens == gold_tokens)
        elif common == 0:
            score = 0.0
        else:
            precision, recall = common / len(pred_tokens), common / len(gold_tokens)
            score = 2 * precision * recall / (precision + recall)
        best = max(best, score)
    return best


def containment(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when some acceptable answer appears, as whole tokens, inside the normalised prediction."""
    pred = f" {normalize_answer(prediction)} "
    return float(any(norm and f" {norm} " in pred for norm in (normalize_answer(a) for a in answers)))


# --- citations and abstention ----------------------------------------------------------------


def citation_scores(record: Record) -> dict[str, Any]:
    """One given answer's citations judged against the question set, not against the pipeline's own
    checks (which would make every accepted citation good by definition):

    - ``gold``: citations of a gold paragraph (an unanswerable question has none, so every citation
      of its answer is wrong); ``None`` for an answerable question without gold paragraphs;
    - ``with_answer``: citations whose paragraph text contains a reference answer (unanswerable: none);
      ``None`` when the question has no reference answers or the cited texts were not recorded.
    """
    answer = record.answer
    out: dict[str, Any] = {"citations": 0, "gold_citations": None, "answer_citations": None, "cites_gold": False}
    if answer is None or answer.abstained:
        return out
    cited = answer.citations
    gold_hits = [any(g.matches(c.doc_id, c.paragraph, c.text) for g in record.gold) for c in cited]
    out["citations"] = len(cited)
    out["cites_gold"] = any(gold_hits)
    if record.gold or not record.answerable:
        out["gold_citations"] = sum(gold_hits)
    if not record.answerable:
        out["answer_citations"] = 0
    elif record.answers and all(c.text for c in cited):
        out["answer_citations"] = sum(bool(containment(c.text, record.answers)) for c in cited)
    return out


def precision_recall_f1(true_pos: int, predicted: int, actual: int) -> tuple[float | None, ...]:
    """Precision, recall and F1 from counts; ``None`` where a denominator is zero."""
    precision = true_pos / predicted if predicted else None
    recall = true_pos / actual if actual else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- latency ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation, as numpy's default; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --- per question and summaries ---------------------------------------------------------------


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def question_scores(record: Record, depth: int = 10) -> dict[str, Any]:
    """The scores of one question (for the JSON report and for ranking failures)."""
    out: dict[str, Any] = {"id": record.id, "type": record.type or UNTYPED}
    if record.gold:
        rel = relevance([(h.doc_id, h.paragraph, h.text) for h in record.hits], record.gold)
        out["gold_rank"] = next((i for i, r in enumerate(rel, 1) if r), None)
        out["recall_curve"] = [recall_at_k(rel, len(record.gold), k) for k in range(1, depth + 1)]
        out["mrr@10"] = reciprocal_rank(rel, 10)
        out["ndcg@10"] = ndcg_at_k(rel, len(record.gold), 10)
    if record.answer is not None:
        prediction = "" if record.answer.abstained else record.answer.text
        out["abstained"] = record.answer.abstained
        if record.answerable and record.answers:
            out["exact"] = exact_match(prediction, record.answers)
            out["f1"] = token_f1(prediction, record.answers)
            out["contains"] = containment(prediction, record.answers)
        out.update(citation_scores(record))
    return out


def _retrieval(scores: list[dict[str, Any]], depth: int) -> dict[str, Any]:
    ranked = [s for s in scores if "recall_curve" in s]
    curve = [_mean([s["recall_curve"][k - 1] for s in ranked]) for k in range(1, depth + 1)]
    out: dict[str, Any] = {"questions": len(ranked)}
    for k in RECALL_KS:
        out[f"recall@{k}"] = curve[k - 1] if k <= depth else None
    out["mrr@10"] = _mean([s["mrr@10"] for s in ranked])
    out["ndcg@10"] = _mean([s["ndcg@10"] for s in ranked])
    out["curve"] = curve
    return out


def _answers(records: list[Record], scores: list[dict[str, Any]]) -> dict[str, Any]:
    graded = [s for s in scores if "exact" in s]
    given = [s for s in graded if not s["abstained"]]
    answerable = [(r, s) for r, s in zip(records, scores, strict=True) if r.answerable and "abstained" in s]
    right_and_cited = [s for s in given if s["contains"] and s["cites_gold"]]
    return {
        "questions": len(graded),
        "exact": _mean([s["exact"] for s in graded]),
        "f1": _mean([s["f1"] for s in graded]),
        "contains": _mean([s["contains"] for s in graded]),
        "answered": _mean([float(not s["abstained"]) for _, s in answerable]),
        "contains_when_answered": _mean([s["contains"] for s in given]),
        "right_and_cited_when_answered": len(right_and_cited) / len(given) if given else None,
        # of the answers given to answerable questions, the share citing a gold paragraph
        "cites_gold_when_answered": _mean([float(s["cites_gold"]) for s in given]),
    }


def _citations(records: list[Record], scores: list[dict[str, Any]]) -> dict[str, Any]:
    given = [(r, s) for r, s in zip(records, scores, strict=True) if s.get("abstained") is False]
    n_cit = sum(s["citations"] for _, s in given)
    sentences = [sent for r, _ in given for sent in r.answer.sentences]  # type: ignore[union-attr]
    with_gold = [s for r, s in given if r.answerable and r.gold]

    def share(key: str) -> float | None:
        judged = [s for _, s in given if s[key] is not None]
        total = sum(s["citations"] for s in judged)
        return sum(s[key] for s in judged) / total if total else None

    return {
        "answers": len(given),
        "citations": n_cit,
        "precision": share("gold_citations"),  # cited paragraphs that are gold
        "precision_answer_text": share("answer_citations"),  # cited paragraphs holding a reference answer
        "recall": _mean([float(s["cites_gold"]) for s in with_gold]),
        "supported_sentences": _mean([float(sent.supported) for sent in sentences]),
    }


def _abstention(records: list[Record]) -> dict[str, Any]:
    answered = [r for r in records if r.answer is not None]
    abstained = [r for r in answered if r.answer.abstained]  # type: ignore[union-attr]
    unanswerable = [r for r in answered if not r.answerable]
    answerable = [r for r in answered if r.answerable]
    true_pos = sum(not r.answerable for r in abstained)
    precision, recall, f1 = precision_recall_f1(true_pos, len(abstained), len(unanswerable))
    wrong = sum(r.answerable for r in abstained)
    return {
        "unanswerable": len(unanswerable),
        "abstained": len(abstained),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "wrongly_abstained": wrong / len(answerable) if answerable else None,
    }


def _latency(records: list[Record]) -> dict[str, Any]:
    out = {}
    for key in ("retrieve_ms", "first_token_ms", "total_ms"):
        values = [r.timings[key] for r in records if r.timings.get(key) is not None]
        out[key] = {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95)}
    return out


def summarize_group(records: list[Record], depth: int = 10) -> dict[str, Any]:
    """Every metric over one group of records."""
    scores = [question_scores(r, depth) for r in records]
    out: dict[str, Any] = {"questions": len(records), "retrieval": _retrieval(scores, depth)}
    if any(r.answer is not None for r in records):
        out["answers"] = _answers(records, scores)
        out["citations"] = _citations(records, scores)
        out["abstention"] = _abstention(records)
    out["latency"] = _latency(records)
    return out


def summarize(records: list[Record], depth: int = 10) -> dict[str, Any]:
    """Metrics overall and per question type (``untyped`` for questions without one)."""
    out = summarize_group(records, depth)
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.type or UNTYPED, []).append(record)
    out["by_type"] = {name: summarize_group(group, depth) for name, group in sorted(groups.items())}
    return out
