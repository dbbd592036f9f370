"""Proper names in text: which words are names, whether a text mentions one, and the shorter forms
a text refers to a name by ("RBS" for "Royal Bank of Scotland", "Lage" for "Carlos Lage").

Pure functions over strings; ``qa.grounding.support`` uses them to check answer sentences and questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*")
# Capitalised words that are not names: sentence glue a model puts at the start of clauses.
_NOT_NAMES = {
    "the", "a", "an", "in", "on", "at", "by", "for", "from", "of", "to", "and", "but", "or", "as", "with",
    "he", "she", "it", "they", "we", "i", "you", "his", "her", "its", "their", "this", "that", "these",
    "those", "there", "here", "according", "however", "also", "both", "all", "some", "no", "yes", "not",
    "passage", "passages", "document", "documents", "answer", "question", "mr", "mrs", "ms", "dr",
}


def clean_word(word: str) -> str:
    """A word without a possessive ``'s`` and the punctuation around it."""
    word = re.sub(r"['’]s$", "", word)
    return word.strip(".-'’")


def names_in(sentence: str) -> set[str]:
    """Proper names and acronyms in a sentence: capitalised words that are not sentence glue.

    The first word is capitalised anyway, so it counts only when it is an acronym or mixed case
    (``AHTJP``, ``McDonald``); a name that starts a sentence is usually followed by its second part.
    """
    names = set()
    for i, match in enumerate(_WORD.finditer(sentence)):
        word = clean_word(match.group(0))
        if len(word) < 2 or not word[0].isupper() or word.lower() in _NOT_NAMES:
            continue
        special = word.isupper() or any(c.isupper() for c in word[1:])
        if i == 0 and not special:
            continue
        names.add(word)
    return names


def words_of(text: str) -> set[str]:
    """Lower-cased words; a dotted acronym also without its dots (``U.S.`` -> ``us``) and a hyphenated
    word also by its parts (``U.S.-based`` -> ``us``, ``based``)."""
    words = set()
    for raw in _WORD.findall(text):
        word = clean_word(raw).lower()
        words.add(word)
        for part in (word, *word.split("-")):
            part = part.strip(".")
            if part:
                words.add(part)
                words.add(part.replace(".", ""))
    return words


def name_found(name: str, words: set[str]) -> bool:
    """A name is found as a whole word (a dotted acronym with or without its dots, ``U.S.`` for ``US``),
    by its hyphenated parts (``U.S.-Brazil``), or as a close inflection (``Cambodian`` for ``Cambodia``)."""
    low = name.lower()
    if low in words or low.replace(".", "") in words:
        return True
    parts = [p for p in low.split("-") if p.strip(".")]
    if len(parts) > 1 and all(name_found(p.strip("."), words) for p in parts):
        return True
    parts = [p for p in re.split(r"[-.]", low) if p]
    if len(parts) > 1 and all(p in words for p in parts):
        return True
    stem = max(5, len(low) - 3)
    return len(low) >= 5 and any(len(w) >= 5 and w[:stem] == low[:stem] for w in words)


# Lower-case words that may stand inside a name: "Royal Bank of Scotland", "Osama bin Laden".
_CONNECTORS = frozenset({"of", "and", "for", "on", "the", "de", "del", "da", "do", "dos", "la", "al", "bin",
                         "van", "von"})


def name_phrases(text: str) -> list[tuple[str, ...]]:
    """Runs of two or more capitalised words, connectors allowed inside and punctuation ending them:
    ``Royal Bank of Scotland``, ``UN General Assembly``, ``Sir Tom McKillop``."""
    phrases: list[tuple[str, ...]] = []
    run: list[str] = []
    pending: list[str] = []  # connectors after the run's last capitalised word
    end = 0

    def close() -> None:
        if sum(w.lower() not in _CONNECTORS for w in run) >= 2:
            phrases.append(tuple(run))
        run.clear()
        pending.clear()

    for match in _WORD.finditer(text):
        raw, word = match.group(0), clean_word(match.group(0))
        if run and not text[end:match.start()].isspace():
            close()
        end = match.end()
        if word[:1].isupper() and word.lower() not in _NOT_NAMES:
            run.extend(pending)
            pending.clear()
            run.append(word)
        elif run and word in _CONNECTORS:
            pending.append(word)
        else:
            close()
        if raw.endswith(".") and "." not in word:  # a sentence ends (a dotted acronym does not)
            close()
    close()
    return phrases


def initials(phrase: Sequence[str]) -> str:
    """What a name is abbreviated to: ``Royal Bank of Scotland`` -> ``RBS``, ``UN General Assembly`` ->
    ``UNGA`` (an acronym inside keeps all its letters), ``Anti-Human Trafficking`` -> ``AHT``."""
    return "".join(p.replace(".", "") if p.isupper() else p[0].upper() for w in phrase
                   if w.lower() not in _CONNECTORS for p in w.split("-") if p.strip("."))


def acronyms_in(text: str) -> set[str]:
    """Upper-case words of three letters or more, without dots: what ``initials`` may match."""
    found = {clean_word(w).replace(".", "") for w in _WORD.findall(text)}
    return {w for w in found if len(w) >= 3 and w.isupper()}


def abbreviated_runs(phrase: Sequence[str], acronyms: set[str]) -> set[str]:
    """The names in runs of ``phrase`` (two names or more) whose initials are one of ``acronyms``:
    ``Anti-Human Trafficking and Juvenile Protection`` of ``... Protection Department`` for ``AHTJP``."""
    names = [w for w in phrase if w.lower() not in _CONNECTORS]
    return {n for i in range(len(names)) for j in range(i + 2, len(names) + 1)
            if initials(names[i:j]) in acronyms for n in names[i:j]}


def _segments(phrase: Sequence[str]) -> list[list[str]]:
    """The names of a phrase split at ``and``: ``Ministry of Industry and Commerce`` -> two."""
    out: list[list[str]] = [[]]
    for w in phrase:
        if w == "and":
            out.append([])
        elif w.lower() not in _CONNECTORS:
            out[-1].append(w)
    return [seg for seg in out if seg]


def _contains(longer: Sequence[str], run: Sequence[str]) -> bool:
    return any(list(longer[i:i + len(run)]) == list(run) for i in range(len(longer) - len(run) + 1))


def abbreviated_names(text: str, cited: Sequence[str], spelled_out: Sequence[str]) -> set[str]:
    """The names in ``text``'s name phrases that the cited texts refer to by a shorter form, and that
    ``spelled_out`` (the cited documents) writes in full: by initials (``RBS`` for ``Royal Bank of
    Scotland``) or by the last name (``Lage`` for ``Carlos Lage``, a name the document writes as one
    phrase). A cable names a person or a body in full once and in short afterwards."""
    cited_text, full_text = "\n".join(cited), "\n".join(spelled_out)
    cited_words, acronyms, full = words_of(cited_text), acronyms_in(cited_text), words_of(full_text)
    written = [[w.lower() for w in seg] for phrase in name_phrases(full_text) for seg in _segments(phrase)]
    lower_case = {clean_word(w) for w in _WORD.findall(full_text) if w.islower()}
    found: set[str] = set()
    for phrase in name_phrases(text):
        short = abbreviated_runs(phrase, acronyms)
        if all(name_found(w, full) for w in short):
            found |= short
        for seg in _segments(phrase):
            last, low = seg[-1], [w.lower() for w in seg]
            # a last name, never written in lower case: "Minister" is a title ("Foreign", "Prime")
            if (len(seg) >= 2 and last.lower() not in lower_case and name_found(last, cited_words)
                    and any(_contains(w, low) for w in written)):
                found |= set(seg)
    return found
