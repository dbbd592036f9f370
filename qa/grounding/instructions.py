"""Text that addresses the assistant rather than a reader of the document (prompt injection).

Sentences that read as instructions to an assistant ("ignore all previous instructions...") are
removed before anything is scored or shown: fencing passages as data is the first defence against
prompt injection, this is the second, and the support check (``qa.grounding.support``) is the third.
"""

from __future__ import annotations

import re

from qa.text import split_sentences

_INSTRUCTION_LIKE = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions?|prompts?|rules)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all|everything)\s+(?:above|before|previous|prior)\b"
    r"|\b(?:answer|reply|respond|output|say|print)\s+(?:only|just|exactly)\s+(?:with\s+)?(?:the\s+word|\"|')"
    r"|\byou\s+(?:are|must)\s+now\b"
    r"|\b(?:system|assistant)\s+(?:prompt|message|instructions?)\b"
    r"|\bnew\s+instructions?\b",
    re.IGNORECASE,
)


def looks_like_instructions(sentence: str) -> bool:
    """True for a sentence addressed to a language model rather than to a reader of the document."""
    return bool(_INSTRUCTION_LIKE.search(sentence))


def screen(text: str) -> tuple[list[str], int]:
    """The text's sentences without the instruction-like ones, and how many were removed."""
    kept, removed = [], 0
    for sentence in split_sentences(text):
        if looks_like_instructions(sentence):
            removed += 1
        else:
            kept.append(sentence)
    return kept, removed
