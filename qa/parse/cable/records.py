"""Release records pasted into cable texts.

Scraped cables often carry a row of the Cablegate release itself in front of (or instead of) the
header: a ``cables.csv`` row (``id,date,refid,"origin",classification,references,"header","content"``),
the same fields tab-separated, ``key: value`` lines, or one field per line. The row holds the
reference ID, date, origin and classification, which the text alone may lack (partial extracts have no
header). ``strip_record`` takes the row out and returns the cable text that remains.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

# A cable's reference id: two-digit year, origin, serial (06PHNOMPENH657). The one definition.
REFID = r"\d{2}[A-Z][A-Z0-9]*?[A-Z]\d{1,7}"
REFID_PARTS = re.compile(r"^(?P<year>\d\d)(?P<city>[A-Z][A-Z0-9]*?[A-Z])(?P<serial>\d{1,7})$")
_DATE = r"(?:\d{4}-\d\d-\d\d(?:[ T]\d\d?:\d\d(?::\d\d)?)?|\d\d?/\d\d?/\d{4}(?: \d\d?:\d\d(?::\d\d)?)?)"

_CSV_ROW = re.compile(rf"^\d+,{_DATE},{REFID},", re.M)
_TAB_ROW = re.compile(rf"^(?:\d+\t)?{_DATE}\t{REFID}\t[^\n]*", re.M)
_KV_BLOCK = re.compile(
    r"^id: *\d*\s*\ndate: *(?P<date>[^\n]*)\nrefid: *(?P<refid>[^\n]*)\norigin: *(?P<origin>[^\n]*)\n"
    r"classification: *(?P<classification>[^\n]*)\n(?:destination: *[^\n]*\n)?(?:header:[^\n]*\n)?",
    re.M,
)
_HEADER_ENDS = re.compile(r"^-+ *header ends *-+ *$\n?", re.M)
_VERTICAL = re.compile(
    rf"^\d+[ \t]*\n\s*(?P<date>{_DATE})[ \t]*\n\s*(?P<refid>{REFID})[ \t]*\n"
    r"\s*(?P<origin>[A-Z][^\n]{2,60}?)"
    r"[ \t]*\n\s*(?P<classification>(?:UNCLASSIFIED|CONFIDENTIAL|SECRET)[A-Z/ ]*?)[ \t]*\n",
    re.M,
)


@dataclass
class Record:
    """Fields of a pasted release row (empty strings when absent)."""

    refid: str = ""
    date: str = ""
    origin: str = ""
    classification: str = ""
    references: list[str] = field(default_factory=list)
    form: str = ""  # "csv", "tab", "kv", "vertical"


def _csv_record(text: str, match: re.Match[str]) -> tuple[str, Record] | None:
    """Parse a well-formed csv row starting at ``match``; None if the quoting is broken."""
    lines = text[match.start():].splitlines(keepends=True)
    row: list[str] = []
    used = 0
    # A row broken right after a separator ("...,\nCONFIDENTIAL,...") continues on the next line.
    while used < len(lines) and len(row) < 8:
        head = "".join(x.rstrip("\n") if x.rstrip().endswith(",") else x for x in lines[:used + 1])
        used += 1
        if head.rstrip().endswith(","):
            continue
        try:
            reader = csv.reader(io.StringIO(head + "".join(lines[used:])))
            row = next(reader)
        except (csv.Error, StopIteration):
            return _loose_csv_record(text, match)
        consumed = reader.line_num
        break
    if len(row) < 8:
        return _loose_csv_record(text, match)
    record = Record(
        refid=row[2], date=row[1], origin=row[3], classification=row[4].strip(),
        references=[r for r in re.split(r"[|,\s]+", row[5]) if r], form="csv",
    )
    remaining = "".join(lines[used:]).splitlines(keepends=True)[max(consumed - 1, 0):]
    after = f"{row[6]}\n\n{row[7]}"
    body = f"{_keep_before(text[:match.start()], after)}{after}\n{''.join(remaining)}"
    return body, record


_CSV_HEAD = re.compile(
    rf'^\d+,(?P<date>{_DATE}),(?P<refid>{REFID}),"?(?P<origin>[^",]*)"?,[ \t]*(?P<classification>[A-Z/ ]*),'
)
_CSV_TEXT_START = re.compile(
    r',"(?=VZCZC|[A-Z ]{0,4}\d{6}Z|This record|"|C O N|S E C|UNCLAS|CONFIDENTIAL|SECRET)'
)


def _loose_csv_record(text: str, match: re.Match[str]) -> tuple[str, Record] | None:
    """A csv row hard-wrapped at a fixed width (fields broken mid-word): read what can be read."""
    rest = text[match.start():]
    head = _CSV_HEAD.match(rest[:400].replace("\n", " "))
    start = _CSV_TEXT_START.search(rest, 0, 2000)
    if not head or not start:
        return None
    record = Record(refid=head["refid"], date=head["date"], origin=head["origin"].strip(),
                    classification=head["classification"].strip(), form="csv")
    body = rest[start.end():].replace('","', "\n\n", 1).replace('""', '"').rstrip().rstrip('"')
    return _keep_before(text[:match.start()], body) + body, record


_STUB_END = re.compile(r"(?:\.\.+|…)[ \t]*\n|CABLE ENDS")


_CABLE_START = re.compile(r"^[ \t]*(?:VZCZC|C O N F|S E C R E T|UNCLAS|CONFIDENTIAL|SECRET)", re.M)


def _keep_before(before: str, after: str = "") -> str:
    """Text in front of a pasted row, unless it is a truncated copy of the cable the row carries
    (it ends in "..." or "CABLE ENDS", or the row is followed by the whole cable again)."""
    if _STUB_END.search(before) or _CABLE_START.search(after[:3000]):
        return ""
    return before


def strip_record(text: str) -> tuple[str, Record | None]:
    """Remove a pasted release row from ``text``; return the remaining text and the row's fields."""
    head = text[:4000]
    match = _KV_BLOCK.search(head)
    if match:
        record = Record(
            refid=match["refid"].strip(), date=match["date"].strip(), origin=match["origin"].strip(),
            classification=match["classification"].strip(), form="kv",
        )
        rest = _keep_before(text[:match.start()], text[match.end():]) + text[match.end():]
        rest = _HEADER_ENDS.sub("", rest, count=1)
        return rest, record
    match = _TAB_ROW.search(head)
    if match:
        fields = match.group(0).split("\t")
        if not re.fullmatch(_DATE, fields[0]):
            fields = fields[1:]
        fields += [""] * (7 - len(fields))
        record = Record(
            refid=fields[1], date=fields[0], origin=fields[2], classification=fields[3],
            references=[r for r in re.split(r"[|,\s]+", fields[4]) if r], form="tab",
        )
        # The header field runs over several lines; the tab after it starts the content field.
        rest = text[match.end():].replace("\t", "\n\n", 1)
        replacement = "\n".join(fields[5:])
        before = "" if fields[5].strip() else _keep_before(text[:match.start()])
        return before + replacement + rest, record
    match = _CSV_ROW.search(head)
    if match:
        parsed = _csv_record(text, match)
        if parsed:
            return parsed
    match = _VERTICAL.search(head)
    if match and REFID_PARTS.match(match["refid"]):
        record = Record(
            refid=match["refid"], date=match["date"], origin=match["origin"].strip(),
            classification=match["classification"].strip(), form="vertical",
        )
        # What precedes the row is a truncated copy of what follows it.
        return text[match.end():], record
    return text, None
