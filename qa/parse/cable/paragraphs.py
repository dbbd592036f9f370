"""Numbered paragraphs of a cable body, numbered as the cable numbers them.

Lines that open a paragraph look like ``¶1.``, ``1.``, ``1. (C)``, ``1.(S/NF)``. Not every such line
is one: years at the start of a wrapped line (``2003. The``), numbered lists inside a paragraph, REF
items, and scrapes that glued a stray ``1`` onto the number (``11.`` for ¶1). ``choose_numbers``
picks the chain of candidates that best reads as the cable's own sequence (dynamic programming over
"next number", "skipped a number", "garbled number", "same number again"), preferring candidates that
carry a classification marking when the cable marks its paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.types import Paragraph

MARKING = (
    r"(?:U|C|S|TS|SBU|LOU|FOUO|CUI|S/NF|C/NF)"
    r"(?:[ \t]*(?:/{1,2}|-|,|[ \t])[ \t]*[A-Z][A-Z ,./-]{0,40}?)?"
)
PARA_START = re.compile(
    rf"^[ \t]*(?P<pil>¶[ \t]*)?(?P<num>\d{{1,4}})[ \t]*(?:\.(?!\d)|\)?(?=[ \t]*\({MARKING}\)))[ \t]*"
    rf"(?:\((?P<mark>{MARKING})\)[ \t]*[.:-]?)?[ \t]*(?P<rest>.*)$"
)
_MAX_GAP = 3
_MAX_MARKED_GAP = 30
_MAX_FIRST = 40


@dataclass
class Candidate:
    """A line that may open a paragraph."""

    line: int
    num: int
    mark: str | None
    pilcrow: bool
    indent: int
    rest: str

    def values(self) -> list[tuple[int, bool]]:
        """Numbers this candidate may stand for: its own, and without a stray leading ``1``."""
        out = [(self.num, False)]
        digits = str(self.num)
        if len(digits) > 1 and digits[0] == "1" and digits[1] != "0":
            out.append((int(digits[1:]), True))
        return out


def find_candidates(lines: list[str]) -> list[Candidate]:
    """Every line that looks like a numbered paragraph start."""
    out = []
    for i, line in enumerate(lines):
        if not line or not (line.lstrip()[:1].isdigit() or line.lstrip()[:1] == "¶"):
            continue
        match = PARA_START.match(line)
        if match:
            mark = match["mark"]
            out.append(Candidate(
                line=i, num=int(match["num"]), mark=" ".join(mark.split()) if mark else None,
                pilcrow=bool(match["pil"]), indent=len(line) - len(line.lstrip()), rest=match["rest"],
            ))
    return out


def _gain(cand: Candidate, garbled: bool, strong_mode: bool) -> float:
    gain = 1.0
    if garbled:
        gain -= 0.15
    if strong_mode and not cand.mark:
        gain -= 0.6
    if cand.indent >= 2 and not cand.pilcrow:
        gain -= 0.2
    return gain


def _step(prev: int, value: int, cand: Candidate, prev_cand: Candidate) -> float | None:
    """Score change for going from paragraph ``prev`` to ``value``; None if impossible."""
    gap = value - prev - 1
    if gap == 0:
        return 0.0
    if 0 < gap < _MAX_GAP:
        return -0.3 * gap
    if 0 < gap < _MAX_MARKED_GAP and (cand.mark or cand.pilcrow) and (prev_cand.mark or prev_cand.pilcrow):
        return -0.3 - 0.02 * gap  # partial extracts leave paragraphs out
    if gap == -1 and cand.mark and prev_cand.mark:
        return -0.5  # the cable itself repeats a number
    return None


def _drop_contents_list(cands: list[Candidate]) -> list[Candidate]:
    """Leave out a table of contents (``¶1. Lead Stories`` ``¶2. ...`` on consecutive lines) whose
    numbers come again further down as the real paragraphs."""
    if len(cands) < 6:
        return cands
    run = 1
    while (run < len(cands) and cands[run].line == cands[run - 1].line + 1
           and cands[run].num == cands[run - 1].num + 1 and len(cands[run].rest) < 80):
        run += 1
    if run >= 3 and len(cands[0].rest) < 80 and [c.num for c in cands[run:run + run]] == [
            c.num for c in cands[:run]]:
        return cands[run:]
    return cands


def choose_numbers(cands: list[Candidate]) -> list[tuple[Candidate, int]]:
    """The best chain of candidates with the paragraph number each stands for.

    A garbled reading (``11.`` for ¶1) may only start the chain or follow another garbled reading:
    scrapes garble a leading run of paragraphs, not one in the middle.
    """
    cands = _drop_contents_list(cands)
    if not cands:
        return []
    strong_mode = sum(1 for c in cands if c.mark) >= 2
    # state (candidate index, value) -> (score, previous state, garbled)
    best: dict[tuple[int, int], tuple[float, tuple[int, int] | None, bool]] = {}
    ends: list[tuple[int, int, float, bool]] = []  # reachable states, in document order
    for k, cand in enumerate(cands):
        for value, garbled in cand.values():
            gain = _gain(cand, garbled, strong_mode)
            top: tuple[float, tuple[int, int] | None, bool] | None = None
            if 1 <= value <= _MAX_FIRST:
                top = (gain - (0.0 if value == 1 else 0.3 + 0.01 * value), None, garbled)
            for j, prev_value, score, prev_garbled in ends:
                if garbled and not prev_garbled:
                    continue
                step = _step(prev_value, value, cand, cands[j])
                if step is not None and (top is None or score + gain + step > top[0]):
                    top = (score + gain + step, (j, prev_value), garbled)
            if top is not None and top[0] > 0:
                best[(k, value)] = top
        ends.extend((k, v, best[(k, v)][0], best[(k, v)][2]) for v, _ in cand.values() if (k, v) in best)
        if len(ends) > 400:  # long lists of numbers: keep the best states only, for speed
            ends.sort(key=lambda s: -s[2])
            del ends[300:]
            ends.sort(key=lambda s: s[0])
    if not best:
        return []
    state: tuple[int, int] | None = max(best, key=lambda s: best[s][0])
    chain = []
    while state is not None:
        chain.append((cands[state[0]], state[1]))
        state = best[state][1]
    chain.reverse()
    return chain


_BULLET = re.compile(
    r"^[ \t]*(?:-{1,2}|\*|o |•|·|¶?\(?[A-Za-z]\)|¶?[A-Z]\.|\(?[a-z0-9]{1,3}\)|[a-z]\.|\d{1,2}\))[ \t]"
)
_VIEWER_PILCROW = re.compile(r"(?:(?<=\s)|^)¶(?=(?:[A-Z]|\d{4})\.)")
_SIPDIS_TOKEN = re.compile(r"[ \t]*\bSIPDIS\b[ \t]*")
_HEADING_END = re.compile(r"[.,;]$")
_MAX_HEADING = 100
_SENTENCE_END = re.compile(r"[.!?:;\"')\]]$")
_DASH_RUN = re.compile(r"[-_=]{3,}")


def join_lines(lines: list[str]) -> str:
    """Paragraph text from its lines: wrapped lines joined, bullets and blank-line breaks kept (a
    blank line inside a sentence, left by a page break, is joined over)."""
    out: list[str] = []
    new_line = True
    for raw in lines:
        line = _SIPDIS_TOKEN.sub(" ", raw).strip() if "SIPDIS" in raw else raw.strip()
        if not line:
            new_line = True
            continue
        if "¶" in line:
            line = _VIEWER_PILCROW.sub("", line)
        if is_rule(line):
            continue
        mid_sentence = bool(out) and not _SENTENCE_END.search(out[-1]) and line[:1].islower()
        if not out or _BULLET.match(raw) or (new_line and not mid_sentence):
            out.append(line)
        else:
            out[-1] = f"{out[-1]} {line}"
        new_line = False
    return "\n".join(out).strip()


_RULE_CHARS = frozenset("-_= *")


def is_rule(line: str) -> bool:
    """A line of dashes or underscores."""
    text = line.strip()
    return len(text) >= 3 and text[0] in _RULE_CHARS and text[-1] in _RULE_CHARS and set(text) <= _RULE_CHARS


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines (rules end a block too)."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if not line.strip() or is_rule(line):
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(line)
    return [b for b in blocks if b]


def is_heading(block: list[str]) -> bool:
    """A short stand-alone block that titles what follows (``Fifth Annual Anti-TIP Conference``)."""
    if len(block) > 2:
        return False
    text = " ".join(line.strip() for line in block)
    if not text or len(text) > _MAX_HEADING or _HEADING_END.search(text) or _BULLET.match(block[0]):
        return False
    return bool(re.search(r"[A-Za-z]{3}", text)) and not PARA_START.match(block[0])


def split_heading(lines: list[str]) -> tuple[list[str], str | None]:
    """Take a trailing heading block off ``lines`` (the lines between two paragraphs)."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or is_rule(lines[end - 1])):
        end -= 1
    start = end
    while start and lines[start - 1].strip() and not is_rule(lines[start - 1]):
        start -= 1
    block = lines[start:end]
    separated = start == 0 or not lines[start - 1].strip() or is_rule(lines[start - 1])
    underlined = end < len(lines) and any(is_rule(x) for x in lines[end:])
    blank_after = end < len(lines)
    if block and separated and (blank_after or underlined) and is_heading(block):
        return lines[:start], heading_text(block)
    return lines, None


def heading_text(block: list[str]) -> str:
    """A heading's words without the dashes that underline or frame it."""
    return " ".join(_DASH_RUN.sub(" ", " ".join(block)).split())


_LEAD_MARK = re.compile(rf"^[ \t]*\((?P<mark>{MARKING})\)[ \t]*[.:-]?[ \t]*")
_SIGNER = re.compile(r"^[ \t]*(?P<name>[A-Z][A-Za-z'.-]+(?: [A-Z][A-Za-z'.-]+){0,2})[ \t]*$")
_GLUED_SIGNER = re.compile(r"(?<=[.!?)\"'])[ \t]+(?P<name>[A-Z][A-Z'-]{2,}(?: [A-Z][A-Z'-]{2,})?)[ \t]*$")
_NOT_NAMES = {
    "END", "COMMENT", "SUMMARY", "TEXT", "END COMMENT", "END SUMMARY", "END TEXT", "SIPDIS", "NOFORN", "BT",
    "QUOTE", "UNQUOTE", "END QUOTE", "NNNN", "TEXT ENDS", "ENDS", "END CABLE", "CONFIDENTIAL", "SECRET",
    "UNCLASSIFIED", "UNCLAS", "SENSITIVE", "END NOTE", "NOTE", "END OF TEXT", "END OF MESSAGE", "THANKS",
    "REGARDS", "MINIMIZE CONSIDERED",
}


def take_signer(lines: list[str]) -> tuple[list[str], str | None]:
    """Remove the signer's name (``MUSSOMELI``, ``CLINTON``) from the end of the body."""
    k = len(lines) - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    if k < 0:
        return lines, None
    last = lines[k].strip()
    match = _SIGNER.match(last)
    if match and last.upper() not in _NOT_NAMES and len(last) <= 30:
        p = k - 1
        while p >= 0 and not lines[p].strip():
            p -= 1
        gap = p < k - 1
        if p >= 0 and (gap or re.search(r"[.!?:\"')\]]$", lines[p].strip()) or len(last.split()) == 1):
            return lines[:k], " ".join(last.split())
        return lines, None
    match = _GLUED_SIGNER.search(last)
    if match and match["name"] not in _NOT_NAMES and not last.isupper():
        return [*lines[:k], last[:match.start()]], match["name"]
    if match and match["name"] not in _NOT_NAMES and len(match["name"].split()) == 1:
        # An all-caps cable: accept a single trailing word only after a full sentence.
        return [*lines[:k], last[:match.start()]], match["name"]
    return lines, None


def build_numbered(lines: list[str], chain: list[tuple[Candidate, int]]) -> tuple[list[Paragraph], str]:
    """Paragraphs for the chosen chain, with sections; also any text before the first paragraph."""
    lead, section = split_heading(lines[:chain[0][0].line])
    paragraphs = []
    for idx, (cand, number) in enumerate(chain):
        end = chain[idx + 1][0].line if idx + 1 < len(chain) else len(lines)
        body = [cand.rest, *lines[cand.line + 1:end]]
        heading = None
        if idx + 1 < len(chain):
            body, heading = split_heading(body)
        paragraphs.append(Paragraph(n=number, text=join_lines(body), marking=cand.mark, section=section))
        section = heading or section
    return paragraphs, join_lines(lead)


def build_unnumbered(lines: list[str]) -> list[Paragraph]:
    """Paragraphs split on blank lines (or one per line when the text is not hard-wrapped)."""
    blocks = _blocks(lines)
    expanded: list[list[str]] = []
    for block in blocks:
        long_lines = sum(1 for line in block if len(line) > 200)
        one_per_line = len(block) > 1 and long_lines >= len(block) / 2
        expanded.extend([[line] for line in block] if one_per_line else [block])
    paragraphs = []
    section = None
    for i, block in enumerate(expanded):
        if i + 1 < len(expanded) and is_heading(block):
            section = heading_text(block)
            continue
        mark = None
        match = _LEAD_MARK.match(block[0])
        if match:
            mark = " ".join(match["mark"].split())
            block = [block[0][match.end():], *block[1:]]
        text = join_lines(block)
        if text:
            paragraphs.append(Paragraph(n=len(paragraphs) + 1, text=text, marking=mark, section=section))
    return paragraphs
