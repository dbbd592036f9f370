"""Lines of a cable body that are transmission debris, not text: page breaks, repeated section
headers, old-style page headers, end markers and website boilerplate.

``clean_body`` removes them and, where a page break split a sentence, joins the two halves so the
paragraph reads on.
"""

from __future__ import annotations

import re

from qa.parse.cable.header import CLASS_LINE
from qa.parse.cable.preamble import MARKER_LINE, is_keyword

_GENERIC_PAGE_BREAK = re.compile(
    r"^[ \t]*[A-Z][A-Z .'-]{0,40}?[ \t]+\d{4,8}[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}[ \t]*$"
)
_SECTION_LINE = re.compile(r"^[ \t]*SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+[ \t]*$")
_OLD_PAGE = re.compile(
    r"^[ \t]*PAGE[ \t]+(?P<page>\d{2,3})[ \t]+[A-Z][A-Z .]*?[ \t]+\d{3,7}[ \t]+\d\d[ \t]+OF[ \t]+\d\d"
    r"(?:[ \t]+\d{6}Z)?[ \t]*"
)
_OLD_CLASS_FOOTER = re.compile(
    r"[ \t]+(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|LIMITED OFFICIAL USE)[ \t]*\n(?=[ \t]*PAGE \d)"
)
_LONE_CLASS = re.compile(
    r"^[ \t]*(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|UNCLAS)"
    r"(?:[ \t]+[A-Z]{2,4}\d{3,5})?[ \t]*$"
)
# Routing notes repeated under a section header: "CENTCOM FOR J5, POLAD", "PASS TO USTR".
_DISTRIBUTION = re.compile(r"^[ \t]*[A-Z0-9/,.;:() -]{2,60}\b(?:FOR|PASS|ALSO)\b[A-Z0-9/,.;:() -]*$")
_REDACTED = re.compile(r"^[ \t]*X{6,}[ \t]*$")
_CLASS_FIRST = frozenset("UCSLTucs\"',")
_REPEATED_SUBJECT = re.compile(r"^[ \t]*SUBJECT:")
_CABLE_ENDS = re.compile(r"^[ \t]*=+[ \t]*CABLE ENDS[ \t]*=+")
# Another cable or release row pasted after this one: the body ends there.
_NEXT_CABLE = re.compile(
    r"^[ \t]*(?:VZCZC|\d+,\d\d?/\d\d?/\d{4} \d"
    r"|[^\t\n]*\t[ ]*(?:Embassy|Consulate|Secretary|US|Mission)[^\t\n]*\t"
    r"[ ]*(?:UNCLASSIFIED|CONFIDENTIAL|SECRET))"
)
_BOILERPLATE = re.compile(
    r"[ \t]*(?:Visit [^\n]{0,60}?Classified (?:Web ?site|SIPRNET website)[^\n]*?(?:X{4,}|\S+\.gov\S*)"
    r"|\*{6,}[ \t*]*)",
    re.I,
)
_DEBRIS = re.compile(r"^[ \t]*(?:NNNN|BT|#\d{3,5}|\.)[ \t]*$")
_ENDS_SENTENCE = re.compile(r"[.:!?\"')\]]\s*$")


PAGE_BREAK_MARK = "\x0c"


_BREAK_TAIL = re.compile(r"\b(?P<serial>\d{3,8})[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}\b[ \t]*", re.I)


def mark_page_breaks(text: str, city: str | None, serial: int | None) -> str:
    """Put this cable's own page-break marks (``PHNOM PENH 00000657 002 OF 002``, also mid-line or
    with the city cut short or wrapped) on lines of their own, as a form feed."""
    if serial is None:
        return text
    prefixes = tuple(word[:4].upper() for word in (city or "").split())
    out: list[str] = []
    pos = 0
    for match in _BREAK_TAIL.finditer(text):
        if int(match["serial"]) != serial:
            continue
        start = _city_start(text, match.start(), prefixes)
        out.append(text[pos:start])
        out.append(f"\n{PAGE_BREAK_MARK}\n")
        pos = match.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _city_start(text: str, end: int, prefixes: tuple[str, ...]) -> int:
    """Where the city words in front of a page-break serial begin (``PHNOM PENH`` / ``ADDIS ABAB``)."""
    start = end
    for _ in prefixes:
        k = start
        while k > 0 and text[k - 1] in " \t\n":
            k -= 1
        word_end = k
        while k > 0 and (text[k - 1].isalpha() or text[k - 1] in ".'"):
            k -= 1
        if word_end == k or not text[k:word_end].upper().startswith(prefixes):
            break
        start = k
    while start < end and text[start] in "\n":
        start += 1
    return start


def is_dash_rule(line: str) -> bool:
    """A line of dashes or underscores (heading underline, table rule)."""
    text = line.strip()
    return len(text) >= 3 and set(text) <= set("-_= ")


def prepare_text(text: str) -> str:
    """Text-level fixes before lines are split: old-style page footers glued to the text."""
    return _OLD_CLASS_FOOTER.sub("\n", text) if "PAGE " in text else text


def clean_body(lines: list[str], after_class_line: bool = True) -> list[str]:
    """The body lines without debris; a sentence split by a page break is joined back.

    After the classification line, a routing header or release row starts another cable: the body
    ends there.
    """
    out: list[str] = []
    joining = False  # a page break was just removed: blank lines after it are dropped
    skip_header = False  # inside a repeated section header (class line, SIPDIS, TAGS...)
    after_break = False
    prose = 0  # long lines kept so far: only after some text can another cable begin
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        first = line.lstrip()[:1]
        if ("=" in line and _CABLE_ENDS.match(line)) or (
                after_class_line and prose >= 2 and (first in "V0123456789" or "\t" in line)
                and _NEXT_CABLE.match(line)):
            break
        if line == PAGE_BREAK_MARK:
            joining = _drop_break(out)
            after_break = True  # some scrapes repeat the SUBJECT line after each page break
            continue
        if "**" in line or "isit" in line:
            line = _BOILERPLATE.sub("", line)
        old_page = _OLD_PAGE.match(line) if first == "P" else None
        if old_page:
            if old_page["page"].lstrip("0") == "1":
                i, skip_header = _skip_section_header(lines, i)
                if skip_header:  # the rest of the line is routing header ("ACTION AF-00")
                    joining = _drop_break(out)
                    continue
            line = line[old_page.end():]
            first = line.lstrip()[:1]
            if not line.strip():
                joining = _drop_break(out)
                continue
        stripped = line.strip()
        if not stripped:
            if not joining:
                out.append("")
            continue
        short = len(stripped) < 60
        page_like = ("OF" in line or "of" in line) and bool(
            _GENERIC_PAGE_BREAK.match(line) or _SECTION_LINE.match(line))
        if page_like or (short and _LONE_CLASS.match(line)):
            joining = _drop_break(out)
            continue
        if first in _CLASS_FIRST and CLASS_LINE.match(line):
            skip_header = True
            joining = _drop_break(out)
            continue
        if skip_header and (is_keyword(line) or MARKER_LINE.match(line) or _REDACTED.match(line)
                            or _DISTRIBUTION.match(line)):
            continue
        if after_break and first == "S" and _REPEATED_SUBJECT.match(line):
            continue
        skip_header = after_break = False
        if stripped == "SIPDIS" or (len(stripped) <= 6 and _DEBRIS.match(line)):
            continue
        if joining and out and out[-1] and _ENDS_SENTENCE.search(out[-1]) and stripped[:1].isupper():
            out.append("")  # the break fell between two paragraphs: keep them apart
        joining = False
        out.append(line.rstrip())
        prose += len(stripped) > 60
    while out and not out[-1].strip():
        out.pop()
    return out


def _drop_break(out: list[str]) -> bool:
    """Remove blank lines before a removed page break; the caller then drops those after it."""
    while out and not out[-1].strip():
        out.pop()
    return True


def _skip_section_header(lines: list[str], i: int) -> tuple[int, bool]:
    """After an old-style ``PAGE 01`` line, skip the repeated routing header up to the class line."""
    for k in range(i, min(i + 30, len(lines))):
        if CLASS_LINE.match(lines[k]):
            return k + 1, True
    return i, False
