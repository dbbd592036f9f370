"""The per-question record an evaluation run writes, one JSON line each, and reads back to resume."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from qa.evaluation.dataset import Gold, Question
from qa.types import Answer, Hit


@dataclass
class RetrievedParagraph:
    """One retrieved paragraph as kept in a record (enough to score and to show in a report)."""

    doc_id: str
    paragraph: int
    score: float
    text: str


@dataclass
class CitedParagraph:
    doc_id: str
    paragraph: int
    text: str = ""


@dataclass
class AnswerSentence:
    text: str
    citations: list[CitedParagraph]
    supported: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerSentence:
        return cls(data["text"], [CitedParagraph(**_cited(c)) for c in data.get("citations", [])],
                   bool(data["supported"]))


def _cited(value: Any) -> dict[str, Any]:
    """A stored citation: ``{doc_id, paragraph, text}`` (older record files hold ``"DOC ¶n"`` labels)."""
    if isinstance(value, str):
        doc_id, _, n = value.rpartition(" ¶")
        return {"doc_id": doc_id, "paragraph": int(n)}
    return {k: value[k] for k in ("doc_id", "paragraph", "text") if k in value}


KEPT_DIAGNOSTICS = ("abstain_reason", "checked", "check_yes", "extract_candidates", "extracted", "track_prob")


@dataclass
class AnswerRecord:
    """What the answerer said, reduced to what the metrics and the report read."""

    text: str
    abstained: bool
    citations: list[CitedParagraph] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    model: str = ""
    # the gates' scores and what they were applied to (``KEPT_DIAGNOSTICS``): enough to replay the
    # pipeline's last decisions at other thresholds (``bench/replay_thresholds.py``)
    diagnostics: dict[str, Any] = field(default_factory=dict)


@dataclass
class Record:
    """One finished question: the question, what retrieval and the answerer returned, and timings."""

    id: str
    question: str
    type: str | None
    answerable: bool
    answers: list[str]
    gold: list[Gold]
    hits: list[RetrievedParagraph]
    answer: AnswerRecord | None = None
    timings: dict[str, float] = field(default_factory=dict)  # retrieve_ms, first_token_ms, total_ms
    fingerprint: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["gold"] = [g.to_json() for g in self.gold]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        answer = data.get("answer")
        return cls(
            id=data["id"],
            question=data["question"],
            type=data.get("type"),
            answerable=bool(data["answerable"]),
            answers=list(data.get("answers", [])),
            gold=[Gold(**g) for g in data.get("gold", [])],
            hits=[RetrievedParagraph(**h) for h in data.get("hits", [])],
            answer=None
            if answer is None
            else AnswerRecord(
                text=answer["text"],
                abstained=bool(answer["abstained"]),
                citations=[CitedParagraph(**_cited(c)) for c in answer.get("citations", [])],
                sentences=[AnswerSentence.from_json(s) for s in answer.get("sentences", [])],
                model=answer.get("model", ""),
                diagnostics=dict(answer.get("diagnostics", {})),
            ),
            timings=dict(data.get("timings", {})),
            fingerprint=data.get("fingerprint", ""),
        )


def make_record(
    question: Question, hits: list[Hit], answer: Answer | None, timings: dict[str, float], fingerprint: str
) -> Record:
    """Build the record of one question from the library's own result types."""
    answer_record = None
    if answer is not None:
        answer_record = AnswerRecord(
            text=answer.answer,
            abstained=answer.abstained,
            citations=[CitedParagraph(c.doc_id, c.paragraph, answer.paragraph_text(c)) for c in answer.citations],
            sentences=[AnswerSentence(s.text, [CitedParagraph(c.doc_id, c.paragraph) for c in s.citations],
                                      s.supported) for s in answer.sentences],
            model=answer.model,
            diagnostics={k: answer.diagnostics[k] for k in KEPT_DIAGNOSTICS if k in answer.diagnostics},
        )
    return Record(
        id=question.id,
        question=question.question,
        type=question.type,
        answerable=question.answerable,
        answers=list(question.answers),
        gold=list(question.gold),
        hits=[RetrievedParagraph(h.doc_id, h.paragraph, float(h.score), h.text) for h in hits],
        answer=answer_record,
        timings=dict(timings),
        fingerprint=fingerprint,
    )
