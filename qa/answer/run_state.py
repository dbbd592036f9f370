"""What one question carries through ``qa.answer.pipeline``: its checked text, the texts embedded
for it (each once), and the record of its run (hits, what was shown, timings, diagnostics)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa.answer.llm.llama import GenerationStats
from qa.embed.loading import Embedder
from qa.errors import QAError
from qa.grounding.cited_documents import CitedDocuments
from qa.prompts.templates import ABSTAIN
from qa.settings import AnswerSettings
from qa.types import Hit


class VectorCache:
    """Embeds each distinct text once per question (passage sentences serve three checks)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}
        self.queries: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if todo:
            for text, vec in zip(todo, np.asarray(self.embedder.encode(todo), dtype=np.float32), strict=True):
                self._vectors[text] = vec
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)


def checked_question(question: str, settings: AnswerSettings) -> str:
    """The question, stripped; an empty or over-long one is a QAError (before any model is loaded)."""
    text = question.strip()
    if not text:
        raise QAError("the question is empty")
    if len(text) > settings.max_question_chars:
        raise QAError(f"the question is {len(text):,} characters long; the limit is {settings.max_question_chars:,} "
                      "(setting answer.max_question_chars): ask it shorter")
    return text


def is_abstention(text: str) -> bool:
    """Did the model give the abstention sentence (in any case or spacing)?"""
    return ABSTAIN.lower().rstrip(".") in " ".join(text.lower().split())


@dataclass
class QuestionRun:
    """What one question accumulates on its way through the pipeline."""

    question: str
    started: float
    hits: list[Hit] = field(default_factory=list)
    shown: list[tuple[Hit, str]] = field(default_factory=list)  # hit, text as shown to the model
    timings: dict[str, float] = field(default_factory=dict)
    generation: GenerationStats = field(default_factory=GenerationStats)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    best: list[tuple[Hit, list[str], int]] = field(default_factory=list)  # top sentences: hit, its sentences, index
    documents: CitedDocuments = field(default_factory=lambda: CitedDocuments(None, 1.0))  # fetched once each

    def mark(self, name: str) -> None:
        self.timings[name] = round(1000 * (time.perf_counter() - self.started), 1)

    def timings_line(self) -> str:
        """The marks so far, ms from the question, for ``-v`` logs (where a slow answer's time went)."""
        return ", ".join(f"{name} {ms:.0f}" for name, ms in self.timings.items())
