"""The block between a cable's classification line and its first paragraph.

It holds SIPDIS and handling markers, distribution lines (``FOR G/TIP, EAP/MLS``), the E.O. line,
TAGS, SUBJECT (which may wrap), REF (items ``A.``, ``¶B.``...) and "Classified By". Scrapes run these
together on one line (``SANAA 001352SIPDISE.O. 12958: ...TAGS: ...``), so lines are split at the
keywords before they are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TAGS_LINE = re.compile(r"^[ \t]*(?:TAGS?|Tags)(?:[ \t]*:[ \t]*|[ \t]+)(?P<value>.*)$")
SUBJECT_LINE = re.compile(
    r"^[ \t]*(?:\([A-Z/]{1,6}\)[ \t]*)?(?:SUBJECT|SUBJ|Subject)[ \t]*[:.][ \t]*(?P<value>.*)$"
)
REF_LINE = re.compile(
    r"^[ \t]*(?:REFS?|REFTELS?|REFERENCES?|Refs?|Reftels?|Ref A)\b[ \t]*:?[ \t]*(?P<value>.*)$"
)
CLASSIFIED_BY_LINE = re.compile(
    r"^[ \t]*(?:\(U\)[ \t]*)?CLASSIFIED[ \t]+BY\b[ \t]*:?[ \t]*(?P<value>.*)$", re.I
)
EO_LINE = re.compile(r"^[ \t]*(?:E[. ]{0,2}O[. ]{0,2}|EO[ \t]*)1[23]\d{3}\b[ \t]*:?[ \t]*(?P<value>.*)$")
MARKER_LINE = re.compile(
    r"^[ \t]*(?:SIPDIS|NOFORN|SENSITIVE(?: BUT UNCLASSIFIED)?|FOR OFFICIAL USE ONLY|STADIS|EXDIS|NODIS|LIMDIS"
    r"|NOT FOR INTERNET DISTRIBUTION|CORRECTED COPY|C O R R E C T E D C O P Y|BT"
    r"|(?i:SENSITIVE BUT UNCLASSIFIED|SBU)\b[^\n]{0,60}?(?i:PROTECT|HANDLE)[^\n]{0,30})[ \t,.]*$"
)
_DECL = re.compile(
    r"DECL(?:ASSIFY)?[ \t]*(?:ON)?[ \t]*:?[ \t]*(?:(\d\d?)[/.-](\d\d?)[/.-](\d{2,4})|(\d{4})[/.-])"
)
_MIDLINE_KEY = re.compile(
    r"(?<=\S)[ \t]*(?=(?:SIPDIS|E\.[ ]?O\.[ ]?1[23]\d{3}|EO 1[23]\d{3}"
    r"|TAGS?:|SUBJECT:|SUBJ:|REF:|REFS:|REFTEL:"
    r"|Classified By|CLASSIFIED BY|Classified by)(?:\s|$|[A-Z(:]))"
)
# A paragraph marker with a classification marking run onto a header line: "... 1.4 (e) 1. (C) Following"
_MIDLINE_PARA = re.compile(
    r"(?<=\S)[ \t]+(?=¶?[ \t]*\d{1,2}\.[ \t]*\((?:U|C|S|SBU|TS)[^)]{0,20}\))"
    r"|(?<=[A-Za-z0-9)\]\"])(?<!1\.\d)(?<!1\. \d)[ \t]+"
    r"(?=\((?:U|C|S|SBU|TS)(?:/{1,2}[A-Z]{1,6})?\)[ \t]+[A-Z][A-Za-z])"
)
# An unnumbered paragraph opening with its marking: "(C) On June 12 ..."
MARKED_LINE = re.compile(r"^[ \t]*\((?:U|C|S|SBU|TS)(?:/{1,2}[A-Z]{1,6})?\)[ \t]+\S")
REF_ITEM = re.compile(r"^[ \t]*¶?[ \t]*\(?[A-N][.)](?:[ \t]|$)")
_REF_SPLIT = re.compile(r"(?:^|[ \t;]+)¶?[ \t]*\(?[A-Z][.)][ \t]+|;[ \t]*(?:Ref [A-Z]:)?[ \t]*")
_LOWER = re.compile(r"[a-z]")
_TAG_CONTINUATION = re.compile(r"^[ \t]*[A-Z][A-Z0-9/-]{1,12}(?:[ \t,]+[A-Z][A-Z0-9/-]{1,12})*[ \t,]*$")
_HEAD_LINES = 120
_TRAILING_CLASSIFIED = re.compile(r"[ \t]+CLASSIFIED$")


@dataclass
class Preamble:
    """Fields read from the preamble; ``end`` is the index of the first body line."""

    tags_raw: str | None = None
    subject: str | None = None
    refs: list[str] = field(default_factory=list)
    classified_by: str | None = None
    decl_year: int | None = None
    sipdis: bool = False
    markers: set[str] = field(default_factory=set)
    end: int = 0


def split_run_on(line: str) -> list[str]:
    """Split a line at header keywords that do not start it (``...SIPDISE.O. 12958...TAGS: ...``)."""
    parts = _MIDLINE_KEY.split(line)
    out: list[str] = []
    for part in parts:
        out.extend(_MIDLINE_PARA.split(part))
    return out


def decl_year(text: str) -> int | None:
    """The year of a ``DECL: 03/10/2019`` date on an E.O. line, if any."""
    match = _DECL.search(text)
    if not match:
        return None
    year = int(match[3] or match[4])
    return year + (2000 if year < 50 else 1900) if year < 100 else year


def parse_refs(text: str) -> list[str]:
    """REF items (``A. STATE 163495 ¶B. ...``) as a list of the cables they name."""
    items = [" ".join(item.split()).strip(" ,;") for item in _REF_SPLIT.split(text)]
    # An item the release cut off ("MOSCOW 240...") keeps its dots: the number is not the serial.
    items = [item if item.endswith("...") else item.strip(" .,;") for item in items]
    return [item for item in items if item.strip(" .,;")]


def _block(lines: list[str], i: int, first: str, stop, keep_blank_if=None) -> tuple[str, int]:
    """Collect a field value starting with ``first`` and continuing until a blank or ``stop`` line."""
    parts = [first.strip()] if first.strip() else []
    i += 1
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            nxt = next((k for k in range(i + 1, min(i + 4, len(lines))) if lines[k].strip()), None)
            if keep_blank_if and nxt is not None and keep_blank_if(lines[nxt]):
                i = nxt
                continue
            break
        if stop(line):
            break
        parts.append(line.strip())
        i += 1
    return " ".join(parts), i


def _subject_block(lines: list[str], i: int, first: str, stop) -> tuple[str, int]:
    """The SUBJECT value: wrapped lines joined; an upper-case subject does not run into prose."""
    if not first.strip():  # "SUBJECT:" alone, the subject on the next non-blank line
        k = i + 1
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k < len(lines) and not stop(lines[k]) and k - i <= 3:
            i, first = k, lines[k]
    upper = not _LOWER.search(first)

    def stop_subject(line: str) -> bool:
        return stop(line) or (upper and bool(_LOWER.search(line)))

    value, i = _block(lines, i, first, stop_subject)
    return _TRAILING_CLASSIFIED.sub("", value), i


def is_keyword(line: str) -> bool:
    """Whether the line opens a preamble field."""
    return bool(
        TAGS_LINE.match(line) or SUBJECT_LINE.match(line) or REF_LINE.match(line)
        or CLASSIFIED_BY_LINE.match(line) or EO_LINE.match(line)
    )


def _split_head(lines: list[str], start: int, is_para_start) -> tuple[int, int | None]:
    """Split run-on lines up to the first paragraph; return its index and the SUBJECT line's."""
    i, subject_at = start, None
    while i < len(lines) and i < start + _HEAD_LINES:
        parts = split_run_on(lines[i]) if lines[i] else [lines[i]]
        if len(parts) > 1:
            lines[i:i + 1] = parts
        if is_para_start(lines[i]):
            break
        if subject_at is None and SUBJECT_LINE.match(lines[i]):
            subject_at = i
        i += 1
    return i, subject_at


def parse_preamble(lines: list[str], start: int, is_para_start) -> Preamble:
    """Read the preamble fields from ``lines[start:]`` (splitting run-on lines in place).

    ``is_para_start(line)`` says whether a line opens a numbered paragraph; the preamble ends there,
    or at the first line of ordinary text after the SUBJECT. Unknown lines before the SUBJECT are
    distribution notes and skipped.
    """
    pre = Preamble()
    first_para, subject_at = _split_head(lines, start, is_para_start)

    def stop(line: str) -> bool:
        return (is_keyword(line) or bool(is_para_start(line)) or bool(MARKER_LINE.match(line))
                or bool(MARKED_LINE.match(line)))

    i = start
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if i >= first_para and is_para_start(line):
            break
        if match := TAGS_LINE.match(line):
            value, i = _block(lines, i, match["value"], lambda x: not _TAG_CONTINUATION.match(x))
            pre.tags_raw = pre.tags_raw if pre.tags_raw is not None else value
        elif match := SUBJECT_LINE.match(line):
            value, i = _subject_block(lines, i, match["value"], stop)
            pre.subject = pre.subject or value
        elif match := REF_LINE.match(line):
            value, i = _block(lines, i, match["value"], stop, keep_blank_if=REF_ITEM.match)
            pre.refs.extend(parse_refs(value))
        elif match := CLASSIFIED_BY_LINE.match(line):
            value, i = _block(lines, i, match["value"], stop)
            pre.classified_by = pre.classified_by or value
        elif match := EO_LINE.match(line):
            pre.decl_year = pre.decl_year or decl_year(match["value"])
            i += 1
        elif MARKER_LINE.match(line):
            marker = " ".join(line.split()).strip(" ,.")
            pre.markers.add(marker)
            pre.sipdis = pre.sipdis or marker == "SIPDIS"
            i += 1
        elif subject_at is not None and i < subject_at:
            i += 1  # distribution notes above the SUBJECT
        elif subject_at is None and pre.tags_raw is None and _looks_like_distribution(line):
            i += 1
        else:
            break
    pre.end = i
    return pre


def _looks_like_distribution(line: str) -> bool:
    """Routing notes before TAGS/SUBJECT: short, mostly upper-case lines (``STATE FOR EAP/MLS``)."""
    text = line.strip()
    letters = sum(c.isalpha() for c in text) or 1
    return len(text) < 150 and len(_LOWER.findall(text)) / letters < 0.3


# The reason that ends a "Classified By" line: "for reasons 1.4 (b) and (d).", "per 1.4 (b)".
_REASON = re.compile(r"(?i)\b1\s?\.\s?[45]\s*(?:[(\[]?[a-h][)\]]?(?:\s*(?:,|and|&|/)\s*[(\[]?[a-h][)\]]?)*)?\s*\.?")
_PROSE_WORD = re.compile(r"[a-z]{2}")
_PROSE_WINDOW, _PROSE_NEED = 8, 6  # 6 of 8 words in lower case: prose, not a header field or a routing list


def swallowed_prose(lines: list[str]) -> str | None:
    """Body text that a preamble field took in (on the REF line, after a "Classified By" reason, in
    a distribution note): from the first stretch of running prose to the end of the preamble.

    Header fields are in capitals (SUBJECT, TAGS, routing, reference lists), so a stretch where most
    words are lower case is a sentence of the body. A cable whose paragraphs were not found is
    searchable by that text instead of silently empty.
    """
    kept = []
    for line in lines:
        if TAGS_LINE.match(line) or EO_LINE.match(line):
            continue
        if CLASSIFIED_BY_LINE.match(line):
            reason = _REASON.search(line)
            line = line[reason.end():] if reason else ""
        kept.append(line)
    text = "\n".join(kept)
    words = list(re.finditer(r"\S+", text))
    lower = [bool(_PROSE_WORD.search(w.group())) for w in words]
    for i in range(len(words) - _PROSE_WINDOW + 1):
        if lower[i] and sum(lower[i:i + _PROSE_WINDOW]) >= _PROSE_NEED:
            before = words[i - 1].group() if i else ""
            start = i - 1 if before.isalpha() else i  # "We delivered", "POLOFF delivered"
            return text[words[start].start():].strip()
    return None
