"""The State Department TAGS glossary: what ``PHUM`` or ``CB`` means, and which tags a question in words
points at ("human rights in Cambodia" -> PHUM, CB). Pure apart from reading the packaged TSV once.

The glossary ships as ``qa/data/tags.tsv`` (1,189 tags; ``qa/data/TAGS-SOURCE.txt`` says where each
meaning comes from). A tag's meaning may carry "(also covers: ...)" or "(also: ...)": the names after
it match a question too, but are left out of the short label shown next to a tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

_ALSO = re.compile(r"\s*\((?:also covers|also):\s*(?P<names>[^)]*)\)\s*$", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# Meanings too general to say a question is about the tag when they occur in it in passing.
_TOO_GENERAL = frozenset({"general", "other", "miscellaneous", "administration", "government", "program",
                          "programs", "policy", "reports", "conferences", "meetings", "travel", "security"})


@dataclass(frozen=True)
class Tag:
    """One TAGS entry: the code, its full meaning, the short label and its kind."""

    code: str
    meaning: str
    short: str  # the meaning without "(also covers: ...)"
    kind: str  # subject | program | geographic | organization
    names: tuple[str, ...]  # the phrases a question may use for it, lower-case


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower().replace("’", "'") for w in _WORD.findall(text))


class Glossary:
    """TAGS codes with their meanings, and a phrase matcher from words back to codes."""

    def __init__(self, tags: list[Tag]) -> None:
        self.tags = {t.code: t for t in tags}
        self._by_phrase: dict[tuple[str, ...], list[str]] = {}
        for t in tags:
            for name in t.names:
                words = _words(name)
                if words and " ".join(words) not in _TOO_GENERAL:
                    self._by_phrase.setdefault(words, []).append(t.code)
        self._longest = max((len(p) for p in self._by_phrase), default=0)

    @classmethod
    def load(cls, path: Path | None = None) -> Glossary:
        """Read a ``tag<TAB>meaning<TAB>kind`` file (default: the packaged one)."""
        if path is None:
            text = resources.files("qa.data").joinpath("tags.tsv").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        tags = []
        for line in text.splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) < 2 or not parts[0].strip():
                continue
            code, meaning = parts[0].strip().upper(), parts[1].strip()
            kind = parts[2].strip() if len(parts) > 2 else ""
            also = _ALSO.search(meaning)
            short = meaning[: also.start()].strip() if also else meaning
            names = [short] + ([n.strip() for n in re.split(r"[;,]", also["names"]) if n.strip()] if also else [])
            tags.append(Tag(code, meaning, short, kind, tuple(names)))
        return cls(tags)

    def meaning(self, code: str) -> str | None:
        """The short meaning of a tag (``PHUM`` -> ``Human Rights``); None for a tag not in the glossary."""
        tag = self.tags.get((code or "").strip().upper())
        return tag.short if tag else None

    def label(self, code: str) -> str:
        """``PHUM (Human Rights)``, or the code alone when the glossary does not know it."""
        meaning = self.meaning(code)
        return f"{code} ({meaning})" if meaning else code

    def code_for(self, text: str) -> str:
        """The tag a filter value names: a code (``phum``), a label (``PHUM (Human Rights)``) or a meaning
        written out (``human rights``); the value upper-cased when it names none (a tag outside the
        glossary is still a tag)."""
        value = " ".join((text or "").split())
        head = value.split(" (", 1)[0].upper()
        if head in self.tags:
            return head
        codes = self._by_phrase.get(_words(value), [])
        return codes[0] if codes else value.upper()

    def tags_in(self, text: str) -> list[tuple[str, str]]:
        """The tags a question in words points at, as ``(code, the words that matched)``, in the order
        they occur: a meaning written out as whole words ("human rights", "Cambodia"), or a code of four
        or more letters written as a word in capitals (``PHUM``)."""
        words = _words(text)
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        i = 0
        while i < len(words):
            for n in range(min(self._longest, len(words) - i), 0, -1):
                codes = self._by_phrase.get(words[i : i + n])
                if codes:
                    for code in codes:
                        if code not in seen:
                            seen.add(code)
                            found.append((code, " ".join(words[i : i + n])))
                    i += n - 1
                    break
            i += 1
        for token in re.findall(r"\b[A-Z]{4,6}\b", text):
            if token in self.tags and token not in seen:
                seen.add(token)
                found.append((token, token))
        return found


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    """The packaged glossary, read once per process."""
    return Glossary.load()


def tag_code(text: str) -> str:
    """The tag a filter value names (a code, a label or a meaning), from the packaged glossary."""
    return glossary().code_for(text)


def tag_label(code: str) -> str:
    """``PHUM (Human Rights)`` from the packaged glossary."""
    return glossary().label(code)
