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

log = logging.getLogger(__name__)

T = TypeVar("T")

# A bracket that holds a digit is treated as a citation attempt: "[1]", "[1, 2]", "[Passage 3]", "[¶5]".
_BRACKET = re.compile(r"\s*\[([^\[\]\n]{0,40}?\d[^\[\]\n]{0,40}?)\]")
_VALID_BODY = re.compile(r"(?:(?:passages?|sources?)\s*)?\d+(?:\s*(?:,|;|and|&)\s*(?:passage\s*)?\d+)*", re.I)
_NUMBER = re.compile(r"\d+")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "gov", "sen", "rep", "st", "no", "lt", "col", "capt", "amb", "jr", "sr",
    "prof", "u.s", "u.n", "e.g", "i.e", "etc", "vs", "maj", "sgt", "adm", "min", "dep", "approx", "jan",
    "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "inc", "co", "corp", "ltd",
}
# A sentence ends at . ! or ? followed by space; the split point is checked against abbreviations.
_END = re.compile(r"[.!?][\"')\]]*\s+")


@dataclass
class ParsedSentence:
    """One sentence of the model's answer: its text without markers and the valid passage numbers."""

    text: str
    passages: list[int] = field(default_factory=list)  # 1-based, as shown to the model, in order


@dataclass
class ParsedAnswer:
    sentences: list[ParsedSentence]
    dropped: int = 0  # markers that named no passage shown to the model


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping a marker that follows the full stop with its sentence."""
    text = " ".join(text.split())
    pieces: list[str] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        before = text[start:match.start()].split(" ")[-1].lower().rstrip(".")
        if before in _ABBREVIATIONS or re.fullmatch(r"[a-z]", before):
            continue
        rest = text[end:]
        if not rest or not (rest[0].isupper() or rest[0].isdigit() or rest[0] in "\"'(["):
            continue
        pieces.append(text[start:end].strip())
        start = end
    pieces.append(text[start:].strip())
    # "... in 2005. [1] The director ..." -> the leading "[1]" belongs to the sentence before it.
    merged: list[str] = []
    for piece in pieces:
        lead = re.match(r"^((?:\[[^\[\]]*\]\s*)+)(.*)$", piece)
        if lead and merged:
            merged[-1] = f"{merged[-1]} {lead.group(1).strip()}"
            piece = lead.group(2).strip()
        if piece:
            merged.append(piece)
    return merged


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
