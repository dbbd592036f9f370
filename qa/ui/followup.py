"""Follow-up questions: turn "and in 2004?" into a full question using the previous turn.

Deterministic and pure, so what the app retrieves for a follow-up is predictable and shown to the user
("Understood as: ..."). Three cases, tried in order:

1. the follow-up only changes a year ("and in 2004?"): the previous question with its year replaced;
2. it only names another proper noun ("what about Thailand?"): the previous question's one proper-noun
   phrase replaced;
3. any other fragment or pronoun-led question: the previous question followed by the new one, so both
   the retriever and the model see the context.

A question that stands on its own is returned unchanged.
"""

from __future__ import annotations

import re

from qa.text import YEAR

_CONNECTOR = re.compile(
    r"^\s*(?:and|also|or|but|so|ok(?:ay)?|then)?\s*,?\s*"
    r"(?:what|how)\s+about\b|^\s*(?:and|also|or|but)\b|^\s*same\s+(?:for|question\s+for)\b",
    re.I,
)
_QUESTION_WORD = re.compile(
    r"^\s*(?:who|whom|whose|what|when|where|why|how|which|is|are|was|were|did|does|do|can|could|"
    r"would|will|should|has|have|had|list|name|give|tell|describe|explain|summari[sz]e)\b",
    re.I,
)
_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|he|him|his|she|her|this|that|these|those)\b", re.I)
_SHORT_WORDS = 3  # a question this short with no question word is a fragment of the last one
_PRONOUN_WORDS = 8  # a pronoun in a question this short and with no name of its own points back
_LEADING_FILLER = re.compile(r"^(?:(?:in|for|of|from|during|at|on|about|the|a|an|to|by)\s+)+", re.I)
_PROPER = re.compile(r"\b[A-Z][\w'’.\-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w'’.\-]*)*")


def is_follow_up(question: str) -> bool:
    """Whether ``question`` leans on the previous turn (a fragment, a connector, or a bare pronoun)."""
    words = question.split()
    if not words:
        return False
    if _CONNECTOR.search(question):
        return True
    if len(words) <= _SHORT_WORDS and not _QUESTION_WORD.search(question):
        return True
    return len(words) <= _PRONOUN_WORDS and bool(_PRONOUN.search(question)) and not _proper_nouns(question)


def rewrite(question: str, previous: str | None) -> str:
    """The question to retrieve and answer for, given the previous (already rewritten) question."""
    question = " ".join(question.split())
    if not previous or not question or not is_follow_up(question):
        return question
    previous = " ".join(previous.split())
    fragment = _fragment(question)
    years = YEAR.findall(fragment)
    rest = _LEADING_FILLER.sub("", YEAR.sub(" ", fragment)).strip(" ,;")
    old_years = YEAR.findall(previous)
    if years and not rest and len(old_years) == len(set(old_years)) == len(years) == 1:
        return YEAR.sub(years[0], previous)
    if years and not rest and not old_years:
        return f"{previous.rstrip(' ?.')} in {years[0]}?"
    if not years:
        swapped = _swap_proper_noun(previous, fragment)
        if swapped:
            return swapped
    return f"{_as_sentence(previous)} {_as_sentence(question)}"


def _fragment(question: str) -> str:
    """The follow-up without its connector ("and", "what about") and final punctuation."""
    text = _CONNECTOR.sub("", question, count=1)
    return text.strip(" ?.!,;")


def _proper_nouns(text: str) -> list[str]:
    """Capitalised phrases not at the start of the sentence (the start is capitalised anyway)."""
    found = []
    for m in _PROPER.finditer(text):
        if m.start() == 0 or YEAR.fullmatch(m.group()):
            continue
        found.append(m.group())
    return found


def _swap_proper_noun(previous: str, fragment: str) -> str | None:
    """Replace the previous question's single proper-noun phrase by the fragment, if both are just that."""
    target = _LEADING_FILLER.sub("", fragment).strip()
    if not target or not all(w[0].isupper() for w in target.split() if w.lower() not in {"of", "de"}):
        return None
    old = _proper_nouns(previous)
    if len(old) != 1:
        return None
    return previous.replace(old[0], target, 1)


def _as_sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith(("?", ".", "!")) else text + "?"
