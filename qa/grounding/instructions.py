"""Text that addresses the assistant rather than a reader of the document (prompt injection).

A cable reports, argues and requests things of diplomats; it never tells a language model what to
answer. A paragraph that does (role-play set-ups, "the real answer is", fake SYSTEM blocks, orders to
cite a given cable, hidden markup) is an attack on whoever reads it through an assistant. The answer
pipeline therefore **withholds** such a paragraph, and every other retrieved paragraph of its document:
they are never shown to the model, never quoted and never cited (``qa.answer.pipeline``), and the
sources list says why. An answer sentence that itself reads as an instruction is never accepted
(``qa.grounding.checks``).

Detection runs on a skeleton of the text: invisible format characters (zero-width, bidirectional
controls, Unicode tag characters, which can hide or smuggle text) removed, NFKC folding, and common
Cyrillic and Greek look-alike letters mapped to Latin. Each signal is a plain pattern; one strong signal
or two weak ones in a sentence flag it. ``bench/injection_detector.py`` measures it over every paragraph
of the shared cables (how many real paragraphs it would withhold) and over ``eval/injection.jsonl``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qa.text import split_sentences

_KEEP = {"\n", "\t", "\r"}
# Cyrillic and Greek letters that render like Latin ones: "ignоre" with a Cyrillic "о" reads the same.
_LOOKALIKES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "ο": "o", "α": "a", "ε": "e", "ι": "i",
    "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "Α": "A", "Β": "B", "Ε": "E", "Ι": "I", "Κ": "K",
    "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X",
})


def visible(text: str) -> str:
    """``text`` without invisible format characters (category Cf: zero-width, bidi, tag characters)."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if ch in _KEEP or unicodedata.category(ch) != "Cf")


def skeleton(text: str, *, lower: bool = True) -> str:
    """The text as detection reads it: visible characters, NFKC-folded, look-alikes mapped, lower case."""
    folded = unicodedata.normalize("NFKC", visible(text)).translate(_LOOKALIKES)
    return folded.lower() if lower else folded


# ---- signals ------------------------------------------------------------------------------------
# Who a model-directed order names. "Assistant" alone is a job title in cables (Assistant Secretary,
# pol assistant) and "AI" is often Amnesty International, so both need a model-like context.
_ADDRESSEE = (
    r"(?:\b(?:the|an|any|this|you,?)\s+(?:ai|a\.i\.)\b(?!\s*(?:'s|report|delegation|researchers?|official))"
    r"|\bai\s+(?:assistants?|models?|systems?|tools?)\b"
    r"|\b(?:the|an|any|dear)\s+assistant\b(?=\s*(?:[,:;.!?]|(?:must|should|shall|will|needs?|has to|is to|may|can)\b))"
    r"|\bchat ?bots?\b|\blanguage models?\b|\bllms?\b|\bgpt\b"
    r"|\b(?:the|any) model\b(?=\s*(?:[,:;]|(?:must|should|shall|will|needs?|has to|is to|may|can)\b))"
    r"|\bautomated (?:systems?|assistants?|readers?|tools?)\b)"
)
# Strong: any one of these marks text written for a model. Role markers and chat-template tokens,
# script and hidden markup, and the classic override phrasings.
_STRONG = [
    ("a chat role marker", re.compile(
        r"(?m)^\s*(?:system|assistant|developer)\s*:|<\|[a-z_]+\|>|\[/?inst\]|<</?sys>>"
        r"|#{2,}\s*(?:instruction|system)|\b(?:begin|end)\s+(?:system|instructions)\b")),
    ("script or hidden markup", re.compile(
        r"<\s*(?:script|iframe|object|embed)\b|\bon[a-z]{3,}\s*=\s*[\"']|javascript:|<!--"
        r"|display\s*:\s*none|visibility\s*:\s*hidden")),
    ("an instruction override", re.compile(
        r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions|prompts?"
        r"|(?:previous|prior|above|earlier|your|these|those|all) rules"
        r"|(?:the|other|all) (?:cables|documents|sources|passages)"
        r"|everything (?:above|before|else))\b"
        r"|\b(?:ignore|disregard|forget)\s+(?:all|everything)\s+(?:above|before|previous|prior)\b"
        r"|\byou\s+are\s+now\b|\b(?:stay in|break|never break)\s+character\b"
        r"|\b(?:system|assistant)\s+(?:prompt|message|instructions?)\b|\bprevious\s+instructions\b")),
    ("a claim to be the answer", re.compile(
        r"\bthe\s+(?:real|correct|true|right|only)\s+answer\s*(?:is\b|:)"
        r"|\b(?:answer|answers|respond|reply)\s+(?:to|about|for)\s+(?:any|every|all)\s+(?:questions?|queries)\s+"
        r"(?:about|on|regarding|concerning)\b")),
    ("an order addressed to an assistant", re.compile(
        rf"{_ADDRESSEE}[^.!?\n]{{0,60}}\b(?:answer|respond|reply|say|state|cite|tell|output|print|report|give"
        r"|mention|repeat)\b"
        rf"|\b(?:note|instruction|message|guidance)s?\s+(?:for|to)\s+{_ADDRESSEE}")),
]
# Weak: ordinary in prose alone; two in one sentence mark it.
_WEAK = [
    re.compile(r"\b(?:you|your)\b"),
    re.compile(r"^\W*(?:(?:always|never|only)\s+(?:answer|respond|reply|say|state|cite|mention|give|use|quote)"
               r"|answer|respond|reply|say|state|cite|output|pretend|act as)\b"),
    re.compile(r"\b(?:pretend|role-?play|in (?:that|this|your) role|let's play|play a game)\b"),
    re.compile(r"\b(?:must|should|always)\s+(?:cite|reference|quote|answer|say|state|reply|respond)\b"),
    re.compile(r"\bdo not (?:cite|mention|quote)\b|\bnot (?:be )?(?:given|cited|mentioned|quoted)\b"
               r"|\bdo not (?:give|use|report) (?:any|other|the)"
               r" (?:figures?|numbers?|names?|answers?|sources?|cables?)\b"),
    re.compile(r"\b(?:the|this)\s+(?:figure|name|number|answer)\s+to\s+(?:give|use|report|state)\b"),
    re.compile(r"\bother\s+(?:cables|documents|sources|passages|figures|reports)\b[^.!?\n]{0,40}"
               r"\b(?:wrong|outdated|incorrect|false|not be|ignored?)\b"),
    re.compile(r"\b(?:when|whenever|if)\s+(?:the\s+)?(?:user|reader|anyone)\s+asks?\b|\bwhen summari[sz]ing\b"),
]


_QUOTED = re.compile(r"[\"“”][^\"“”]{1,400}[\"“”]")


@dataclass(frozen=True)
class Addressed:
    """Why a text reads as written to an assistant: the signal and the sentence it was found in."""

    reason: str
    sentence: str


def addresses_assistant(text: str) -> Addressed | None:
    """Why ``text`` (a paragraph or a sentence) addresses a language model, or None when it does not."""
    if not text:
        return None
    folded = skeleton(text, lower=False)
    flat = folded.lower()
    for reason, pattern in _STRONG[:2]:  # markers that span lines are looked for in the whole text
        found = pattern.search(flat)
        if found:
            return Addressed(reason, _around(flat, found.start()))
    for sentence in split_sentences(folded.replace("\n", " ")):
        sentence = sentence.lower()
        # quoted speech is someone's words reported ("tell us what you want"), not an order to the reader
        unquoted = _QUOTED.sub(" ", sentence)
        for reason, pattern in _STRONG[2:]:
            if pattern.search(unquoted):
                return Addressed(reason, sentence)
        if sum(1 for pattern in _WEAK if pattern.search(unquoted)) >= 2:
            return Addressed("instructions about answering", sentence)
    return None


def looks_like_instructions(sentence: str) -> bool:
    """True for a sentence addressed to a language model rather than to a reader of the document."""
    return addresses_assistant(sentence) is not None


def visible_sentences(text: str) -> list[str]:
    """The text's sentences, invisible characters removed (for text already screened)."""
    return split_sentences(visible(text))


def screen(text: str) -> tuple[list[str], int]:
    """The text's visible sentences, or none (and how many there were) when it addresses the assistant."""
    sentences = visible_sentences(text)
    if addresses_assistant(text) is not None:
        return [], len(sentences)
    return sentences, 0


def _around(text: str, at: int, width: int = 80) -> str:
    return text[max(0, at - width // 2): at + width // 2].strip()
