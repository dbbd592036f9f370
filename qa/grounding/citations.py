"""Citation markers in the model's text: split it into sentences, parse ``[n]`` markers, bounds-check them.

Pure functions. The model sees passages labelled ``[1]`` .. ``[n]``; a marker is valid only when its
number is in that range. Anything else in brackets that looks like a citation (``[0]``, ``[7]`` with
five passages, ``[¶5]``, ``[06PHNOMPENH657 ¶5]``) is removed from the text and counted as dropped,
never resolved: ``[0]`` must not become the last passage through Python's negative indexing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from qa.text import split_sentences

log = logging.getLogger(__name__)

T = TypeVar("T")

@dataclass
class ParsedSentence:
    """One sentence of the model's answer: its text without markers and the valid passage numbers."""

    text: str
    passages: list[int] = field(default_factory=list)  # 1-based, as shown to the model, in order


@dataclass
class ParsedAnswer:
    sentences: list[ParsedSentence]
    dropped: int = 0  # markers that named no passage shown to the model


# A bracket that holds a digit is treated as a citation attempt: "[1]", "[1, 2]", "[Passage 3]", "[¶5]".
_BRACKET = re.compile(r"\s*\[([^\[\]\n]{0,40}?\d[^\[\]\n]{0,40}?)\]")
_VALID_BODY = re.compile(r"(?:(?:passages?|sources?)\s*)?\d+(?:\s*(?:,|;|and|&)\s*(?:passage\s*)?\d+)*", re.I)
_NUMBER = re.compile(r"\d+")


def parse_markers(sentence: str, shown: int) -> tuple[str, list[int], int]:
    """Remove the citation markers from one sentence.

    Returns the clean text, the valid passage numbers (1..``shown``, first occurrence order) and how
    many markers were dropped because they were out of range or not a passage number at all.
    """
    valid: list[int] = []
    dropped = 0

    def take(match: re.Match[str]) -> str:
        nonlocal dropped
        body = match.group(1).strip()
        if not _VALID_BODY.fullmatch(body):
            log.info("dropping citation marker %r: not a passage number", match.group(0).strip())
            dropped += 1
            return ""
        for number in map(int, _NUMBER.findall(body)):
            if 1 <= number <= shown:
                if number not in valid:
                    valid.append(number)
            else:
                log.info("dropping citation [%d]: only passages 1..%d were shown", number, shown)
                dropped += 1
        return ""

    clean = _BRACKET.sub(take, sentence)
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean).strip()
    return clean, valid, dropped


def parse_answer(text: str, shown: int) -> ParsedAnswer:
    """Split the model's text into sentences and parse each one's markers against ``shown`` passages."""
    sentences: list[ParsedSentence] = []
    dropped = 0
    for raw in split_sentences(text):
        clean, numbers, bad = parse_markers(raw, shown)
        dropped += bad
        if clean.strip(" .,;:") or numbers:
            sentences.append(ParsedSentence(clean, numbers))
    return ParsedAnswer(sentences, dropped)


def resolve(number: int, shown: Sequence[T]) -> T | None:
    """The passage a 1-based marker names, or None; never wraps around (``[0]`` is not ``shown[-1]``)."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(shown):
        return None
    return shown[number - 1]
