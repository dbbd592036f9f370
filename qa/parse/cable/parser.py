"""Cable text -> ``Document``: reference ID, metadata and numbered paragraphs.

The pieces live in their own modules: pasted release rows (``cable_records``), the routing header and
classification line (``cable_header``), the preamble fields (``cable_preamble``), transmission debris
(``cable_noise``) and paragraph numbering (``cable_paragraphs``). This module puts them together and
never raises on odd input: what it cannot read it leaves out and says so in ``warnings``.
"""

from __future__ import annotations

import re
from datetime import datetime

from qa.parse.cable.header import (
    CLASS_LINE,
    CLASS_LINE_ANY_CASE,
    CLASS_LINE_SPLIT,
    ClassLine,
    find_dtg,
    parse_class_line,
    parse_routing,
)
from qa.parse.cable.noise import clean_body, mark_page_breaks, prepare_text
from qa.parse.cable.origins import origin_from_city, origin_from_fm
from qa.parse.cable.paragraphs import (
    PARA_START,
    build_numbered,
    build_unnumbered,
    choose_numbers,
    find_candidates,
    join_lines,
    take_signer,
)
from qa.parse.cable.preamble import (
    SUBJECT_LINE,
    TAGS_LINE,
    Preamble,
    decl_year,
    parse_preamble,
    swallowed_prose,
)
from qa.parse.cable.records import REFID, REFID_PARTS, Record, strip_record
from qa.text import MONTHS
from qa.types import Document, Paragraph

# Other line breaks become newlines (the form feed is the page-break mark inside the parser).
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n", "\x0c": "\n",
                              "\x0b": "\n", "\xa0": " "})
_PARTIAL = re.compile(r"This record is a partial extract of the original cable\.[^\n]*\n?")
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_TAG_SPLIT = re.compile(r"[\s,;]+")
_CABLE_DATED_RUN_ON = re.compile(r"(Cable dated: ?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?=\S)")
_CABLE_DATED = re.compile(r"Cable dated: ?(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)")
_WEEKDAY_DATE = re.compile(
    r"^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\d\d?) ([A-Z][a-z]+) (\d{4}), (\d\d):(\d\d)", re.M
)
_SENSITIVE = re.compile(r"\bSENSITIVE\b", re.I)
_MARKING_LEVELS = [("TS", "TOP SECRET"), ("S", "SECRET"), ("C", "CONFIDENTIAL"),
                   ("SBU", "UNCLASSIFIED//FOR OFFICIAL USE ONLY"), ("U", "UNCLASSIFIED")]
_LEFTOVER = re.compile(r"CLASSIFIED BY|REASONS?:|refid:|E\.O\.|DECL:|TAGS|SUBJECT|\bREF\b", re.I)
_CABLE_SIGNS = (
    re.compile(r"^[ \t]*TAGS?\b|TAGS?:|^[ \t]*Tags:", re.M),
    re.compile(r"\bSUBJ(?:ECT)?[ \t]*:", re.I),
    re.compile(r"\d{6} ?Z ?(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC) ?\d{2}\b", re.I),
    re.compile(r"^[ \t]*FM [A-Z]", re.M),
    re.compile(r"E\.? ?O\.? ?1[23]\d{3}", re.I),
    CLASS_LINE,
    CLASS_LINE_ANY_CASE,
    re.compile(r"^[ \t]*¶ ?\d{1,2}\.", re.M),
    re.compile(r"SIPDIS", re.I),
    re.compile(r"Classified By\b", re.I),
    _PARTIAL,
)


def looks_like_cable(text: str) -> bool:
    """Whether a text reads as a diplomatic cable (header fields, TAGS, SUBJECT, DTG, ¶ markers)."""
    head = text[:20000]
    return sum(1 for sign in _CABLE_SIGNS if sign.search(head)) >= 3


def _strip_line_ends(text: str) -> str:
    """Trailing blanks off every line, and the stray ``\\`` that some scrapes leave at line ends."""
    lines = [line.rstrip() for line in text.split("\n")]
    if "\\" in text:
        lines = [line[:-1].rstrip() if line.endswith("\\") else line for line in lines]
    return "\n".join(lines)


def _iso(when: datetime | None) -> str | None:
    return when.strftime("%Y-%m-%dT%H:%M:00Z") if when else None


def _record_date(value: str) -> datetime | None:
    """Dates as release rows write them: ``2009-03-03 17:19:00``, ``2/24/2005 16:09``, ``2003-08-27``."""
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d?):(\d\d))?", value.strip())
    try:
        if match:
            y, m, d, hh, mm = match.groups()
            return datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0))
        match = re.match(r"(\d\d?)/(\d\d?)/(\d{4})(?: (\d\d?):(\d\d))?", value.strip())
        if match:
            m, d, y, hh, mm = match.groups()
            return datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0))
    except ValueError:
        return None
    return None


def _text_date(text: str) -> datetime | None:
    """A date written out in scraped wrappers (``Cable dated:2005-05-23T14:26:00``, ``Wednesday, ...``)."""
    try:
        if match := _CABLE_DATED.search(text):
            return datetime(*map(int, match.groups()))
        if (match := _WEEKDAY_DATE.search(text)) and match[2] in MONTHS:
            return datetime(int(match[3]), MONTHS.index(match[2]) + 1, int(match[1]), int(match[4]),
                            int(match[5]))
    except ValueError:
        return None
    return None


def parse_tags(raw: str | None) -> list[str]:
    """TAGS in all their spellings: ``A B``, ``A, B``, ``[PHUM](#) [PREL](#)``."""
    if not raw:
        return []
    raw = _MARKDOWN_LINK.sub(r"\1", raw)
    if raw.islower():
        raw = raw.upper()  # a scrape that lower-cased the whole cable
    tags: list[str] = []
    for token in _TAG_SPLIT.split(raw.strip()):
        token = token.strip("()[].:")
        # Mixed-case words are prose run onto the TAGS line ("Human Rights"), not tags. Repeats are
        # kept as written.
        if token and token not in {"-", "AND"} and not any(c.islower() for c in token):
            tags.append(token)
    return tags


def _classification(cls: ClassLine | None, preamble_text: str, markings: list[str],
                    record: Record | None) -> str | None:
    """The classification in the release's style (``CONFIDENTIAL//NOFORN``).

    UNCLASSIFIED cables marked SENSITIVE (or NOFORN) are what the release calls "UNCLASSIFIED//FOR
    OFFICIAL USE ONLY"; without a classification line the highest paragraph marking decides.
    """
    if record and record.classification:
        return " ".join(record.classification.upper().split())
    if cls is not None:
        base = cls.classification
    elif markings:
        levels = {m.split("/")[0].split()[0].split("-")[0] for m in markings}
        base = next((name for key, name in _MARKING_LEVELS if key in levels), None)
        if base is None:
            return None
    else:
        return None
    caveats = f"{cls.caveat} {cls.rest} {preamble_text}" if cls else f"{preamble_text} {' '.join(markings)}"
    noforn = "NOFORN" in caveats or (cls is None and any("NF" in m for m in markings))
    sensitive = _SENSITIVE.search(caveats) or "FOR OFFICIAL USE ONLY" in caveats
    if base == "UNCLASSIFIED" and (noforn or sensitive):
        return f"{base}//FOR OFFICIAL USE ONLY"
    if noforn and base != "UNCLASSIFIED":
        return f"{base}//NOFORN"
    return base


def _find_class_line(lines: list[str]) -> tuple[int, re.Match[str] | None]:
    for i, line in enumerate(lines):
        if line and (match := CLASS_LINE.match(line)):
            return i, match
        if line and CLASS_LINE_SPLIT.match(line) and i + 1 < len(lines):
            lines[i:i + 2] = [f"{line} {lines[i + 1].strip()}"]
            if match := CLASS_LINE.match(lines[i]):
                return i, match
    for i, line in enumerate(lines[:200]):
        if line and (match := CLASS_LINE_ANY_CASE.match(line)):
            return i, match
    return -1, None


def _reference_id(cls: ClassLine | None, year: int | None, record: Record | None,
                  id_hint: str | None, warnings: list[str], de_serial: int | None = None,
                  fm_token: str | None = None) -> str | None:
    """Year + city + serial without leading zeros, as cables are cited (``06PHNOMPENH657``)."""
    derived = None
    if cls is not None and year is not None:
        city = cls.city.replace(" ", "")
        if set(city) == {"X"} and fm_token:
            city = fm_token  # the city was redacted ("XXXXXXXXXXXX 000004"); the FM line still says it
        serial = cls.serial
        if de_serial and de_serial != serial and str(de_serial).startswith(str(serial)):
            serial = de_serial  # the classification line lost trailing digits ("TRIPOLI 00011")
        derived = f"{year % 100:02d}{city}{serial}"
    if record and record.refid and REFID_PARTS.match(record.refid):
        if derived and derived != record.refid:
            warnings.append(f"header says {derived} but the pasted release row says {record.refid}")
        return record.refid
    hint = REFID_PARTS.match(id_hint or "")
    if derived and hint and derived != id_hint:
        same_cable = cls is not None and hint["serial"] == str(cls.serial)
        if not same_cable:
            warnings.append(f"the text is cable {derived} but the file is named {id_hint}")
        return id_hint
    if derived:
        return derived
    if hint:
        return id_hint
    return None


def parse_cable(text: str, source: str = "", id_hint: str | None = None) -> Document:
    """Parse one cable text into a ``Document`` (``kind="cable"``).

    ``id_hint`` is the reference ID the file is named by (``06PHNOMPENH657.txt``); it is used when the
    text lacks the year (partial extracts have no header) and reported when it disagrees.
    """
    warnings: list[str] = []
    text = text.replace("\r\n", "\n").replace("\x00", "").lstrip("\ufeff").translate(_LINE_BREAKS)
    text = _strip_line_ends(text)
    text = _CABLE_DATED_RUN_ON.sub(r"\1\n", text)
    original = text
    partial = bool(_PARTIAL.search(text[:2000]))
    text = _PARTIAL.sub("", text, count=3)
    text, record = strip_record(text)
    text = _PARTIAL.sub("", text)
    text = prepare_text(text)
    lines = text.split("\n")

    class_idx, class_match = _find_class_line(lines)
    cls = parse_class_line(class_match) if class_match else None
    if cls is None:
        warnings.append("no classification line (e.g. 'UNCLAS PHNOM PENH 000657') found")
        header_lines, body_lines = [], lines
    else:
        header_lines, body_lines = lines[:class_idx], lines[class_idx + 1:]
        if cls.rest.strip():
            body_lines = [cls.rest, *body_lines]
    header_text = "\n".join(header_lines)
    routing = parse_routing(header_text)
    if cls is not None:
        body_lines = mark_page_breaks("\n".join(body_lines), cls.city, cls.serial).split("\n")
    body = clean_body(body_lines, after_class_line=cls is not None)
    pre = parse_preamble(body, 0, PARA_START.match)
    if pre.subject is None and pre.tags_raw is None and header_lines:
        # Some scrapes put TAGS and SUBJECT in a table above the classification line.
        _fields_from_header(header_lines, pre)

    created = routing.created
    year_source = "dtg" if created else None
    if created is None and (created := find_dtg(original[:6000])):
        year_source = "dtg"  # a header copy that the release row replaced, or a run-on header
    if created is None and record and record.date:
        created, year_source = _record_date(record.date), "record"
    if created is None:
        created = _text_date(text[:3000])
        year_source = "date line" if created else None
    year = created.year if created else None
    if year is None and pre.decl_year and cls is not None and cls.classification != "UNCLASSIFIED":
        year = pre.decl_year - 10  # classified cables are usually declassified after ten years
        year_source = "DECL date"
    fm_token = routing.sender.split(" ", 1)[-1].replace(" ", "") if routing.sender else None
    doc_id = _reference_id(cls, year, record, id_hint, warnings, routing.de_serial, fm_token)
    if year_source == "DECL date" and doc_id and not id_hint:
        warnings.append("year of the reference ID guessed from the declassification date")
    if doc_id is None:
        doc_id = id_hint or (source.rsplit("/", 1)[-1].rsplit(".", 1)[0] if source else "cable")
        warnings.append("no reference ID in the text; named after the file")

    rest = body[pre.end:]
    rest, signer = take_signer(rest)
    chain = choose_numbers(find_candidates(rest))
    if chain:
        paragraphs, lead = build_numbered(rest, chain)
        if len(lead) >= 60 and re.search(r"[a-z]{3}", lead) and not _LEFTOVER.search(lead):
            warnings.append("text before the first numbered paragraph was kept as paragraph 0")
            paragraphs.insert(0, Paragraph(n=0, text=lead))
        elif lead:
            warnings.append(f"left out text before the first numbered paragraph: {lead[:80]!r}")
        numbers = [p.n for p in paragraphs]
        dupes = sorted({n for n in numbers if numbers.count(n) > 1})
        if dupes:
            warnings.append(f"the cable repeats paragraph numbers {dupes}")
    else:
        paragraphs = build_unnumbered(rest)
        if paragraphs:
            warnings.append("the cable has no paragraph numbers; paragraphs were numbered in order")
    if not paragraphs and (prose := swallowed_prose(body[:pre.end])):
        warnings.append("no paragraph found after the preamble; its body text, found in the preamble, is ¶1")
        paragraphs = [Paragraph(n=1, text=join_lines(prose.split("\n")))]
    if not paragraphs:
        warnings.append("no paragraph text found")

    origin = (record.origin if record and record.origin else None) or origin_from_fm(routing.sender or "")
    if origin is None and cls is not None:
        origin = origin_from_city(cls.city)
    metadata = {
        "created": _iso(created),
        "origin": origin,
        "from": routing.sender,
        "to": routing.to,
        "info": routing.info,
        "precedence": routing.precedence,
        "classification": _classification(
            cls, "\n".join(body[:pre.end]), [p.marking for p in paragraphs if p.marking], record),
        "tags": parse_tags(pre.tags_raw),
        "subject": pre.subject,
        "refs": pre.refs,
        "classified_by": pre.classified_by,
        "sipdis": pre.sipdis or "SIPDIS" in text,
        "signer": signer,
        "partial": partial,
        "numbered": bool(chain),
    }
    if pre.subject is None:
        warnings.append("no SUBJECT line found")
    return Document(doc_id=doc_id, source=source, kind="cable", title=pre.subject, metadata=metadata,
                    paragraphs=paragraphs, warnings=warnings)


def _fields_from_header(header_lines: list[str], pre: Preamble) -> None:
    for i, line in enumerate(header_lines):
        if pre.tags_raw is None and (match := TAGS_LINE.match(line)):
            pre.tags_raw = match["value"]
        elif pre.subject is None and (match := SUBJECT_LINE.match(line)):
            parts = [match["value"].strip()]
            for nxt in header_lines[i + 1:i + 4]:
                if not nxt.strip() or ":" in nxt[:12]:
                    break
                parts.append(nxt.strip())
            pre.subject = " ".join(" ".join(parts).split())
    if pre.decl_year is None:
        pre.decl_year = decl_year("\n".join(header_lines))


__all__ = ["REFID", "looks_like_cable", "parse_cable", "parse_tags"]
