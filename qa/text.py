"""Plain-text helpers every stage shares, written once: sentences, numbers, years, month names and
stopwords (pure functions and constants)."""

from __future__ import annotations

import re

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
# A year as questions and cables write it ("2005", "the 1990s"); the group is the year itself.
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")

# Common English function words: they match nearly every paragraph, add noise to BM25 and say
# nothing about what a sentence is about.
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "did", "do", "does", "for",
    "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "of", "on", "or",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "was", "were", "what",
    "when", "where", "which", "who", "whom", "whose", "why", "will", "with", "would", "you", "your",
    "about", "after", "before", "between", "during", "than", "any", "all", "also", "not", "no", "said",
    "say", "says", "tell", "told"
})

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "gov", "sen", "rep", "st", "no", "lt", "col", "capt", "amb", "jr", "sr",
    "prof", "u.s", "u.n", "e.g", "i.e", "etc", "vs", "maj", "sgt", "adm", "min", "dep", "approx", "jan",
    "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "inc", "co", "corp", "ltd",
}
# A sentence ends at . ! or ? followed by space; the split point is checked against abbreviations.
_END = re.compile(r"[.!?][\"')\]]*\s+")


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


_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    """Numbers in ``text``, normalised: ``1,200`` -> ``1200``, ``twelve`` -> ``12``, ``4.10`` -> ``4.1``."""
    found = set()
    for match in _NUMBER.finditer(text):
        value = match.group(0).replace(",", "")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.add(value.lstrip("0") or "0")
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _NUMBER_WORDS:
            found.add(str(_NUMBER_WORDS[word]))
    return found


def locate(needle: str, text: str) -> tuple[int, int] | None:
    """The character range of ``needle`` in ``text``, matching any run of whitespace in either to any
    other (sentences are split from whitespace-normalised text); None when it is not there."""
    words = needle.split()
    if not words:
        return None
    match = re.search(r"\s+".join(map(re.escape, words)), text)
    return (match.start(), match.end()) if match else None
