"""The routing header of a cable and its classification line.

The routing header is everything above the classification line (``UNCLAS SECTION 01 OF 02 PHNOM PENH
000657``): transmission codes, the precedence and date-time group (``P 070349Z APR 06``), and the
``FM``/``TO``/``INFO`` addressees. Real scrapes run these lines together, so the parser searches for
each field rather than walking a fixed layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from qa.text import MONTHS as MONTH_NAMES

# "JAN" -> 1: the month as a date-time group writes it
MONTHS = {name[:3].upper(): i for i, name in enumerate(MONTH_NAMES, start=1)}
PRECEDENCE = {"Z": "FLASH", "O": "IMMEDIATE", "P": "PRIORITY", "R": "ROUTINE"}

# Classification words as cables spell them: "UNCLAS", "C O N F I D E N T I A L", "CC O N F ...".
CLASS_WORD = (
    r"(?:U ?N ?C ?L ?A ?S(?: ?S ?I ?F ?I ?E ?D)?|C ?C? ?O ?N ?F ?I ?D ?E ?N ?T ?I ?A ?L|S ?S? ?E ?C ?R ?E ?T"
    r"|LIMITED OFFICIAL USE|L I M I T E D  ?O F F I C I A L  ?U S E|TOP SECRET)"
)
CLASS_LINE = re.compile(
    rf"^[ \t]*[\"',\]]{{0,3}}(?P<cls>{CLASS_WORD})(?P<caveat>(?: ?//? ?[A-Z]+(?: [A-Z]+){{0,4}})?)[ \t]+"
    r"(?:(?:E ?F ?T ?O[ \t]+)?(?i:SECTION|SECTON|SCTION)[ \t]*\d+[ \t]*(?i:OF|GF)[ \t]*\d+[ \t]+)?"
    r"(?!SECTI?ON\b)(?P<city>[A-Z][A-Z .'-]*?[A-Z])[ \t]+(?P<serial>\d{2,7})(?=\D|$)(?P<rest>.*)$",
    re.M,
)
# "C O N F I D E N T I A L SECTION 01 OF 02" with the city and serial on the next line.
CLASS_LINE_SPLIT = re.compile(
    rf"^[ \t]*(?:{CLASS_WORD})[ \t]+(?i:SECTION)[ \t]*\d+[ \t]*(?i:OF)[ \t]*\d+[ \t]*$"
)
# Scrapes that lower-cased the cable: "C o n f i d e n t i a l section 01 of 04 ankara 000348".
CLASS_LINE_ANY_CASE = re.compile(
    r"^[ \t]*(?P<cls>s e c r e t|c o n f i d e n t i a l|u n c l a s|unclas|secret|confidential)[ \t]+"
    r"(?:section[ \t]+\d+[ \t]+of[ \t]+\d+[ \t]+)?(?P<city>[a-z][a-z .'-]*?[a-z])[ \t]+(?P<serial>\d{6})"
    r"(?P<caveat>)(?=\D|$)(?P<rest>.*)$",
    re.I,
)
_DTG = re.compile(
    r"(?<![\d/])(?P<day>[0-3]\d)(?P<hour>[0-2]\d)(?P<minute>[0-5]\d) ?Z ?"
    r"(?P<month>JAN|FEB|MAR|APR|MAY|JUN|JUL"
    r"|AUG|SEP|OCT|NOV|DEC)[A-Z]* ?(?P<year>\d{4}|\d{2})(?!\d)",
    re.I,
)
_PREC_DTG = re.compile(r"^[ \t]*(?:[ZOPR] +){0,2}(?P<prec>[ZOPR]) +(?=[0-3]\d{5} ?Z)", re.M)
_DE_LINE = re.compile(r"^[ \t]*DE +[A-Z]{4,8} *#(?P<serial>\d{1,6})", re.M)
_ADDRESSEE_KEY = re.compile(r"^[ \t]*(?P<key>FM|TO|INFO|XMT|BT)\b[ \t]*(?P<value>.*)$")
_RUN_ON_KEYS = re.compile(r"[ \t]+(?=(?:FM|TO|INFO) +[A-Z]{2})")
_ROUTING_INDICATOR = re.compile(r"^[A-Z]{5,8}/")
_NOISE_ADDRESSEE = re.compile(r"^(?:PAGE \d|INFO +LOG-|ACTION |[A-Z]+-\d\d\b|-{5,}|/\d)")


@dataclass
class ClassLine:
    """What a classification line says."""

    classification: str  # "UNCLASSIFIED", "CONFIDENTIAL", "SECRET" ...
    caveat: str  # text after "//", e.g. "NOFORN"
    city: str  # "PHNOM PENH" (may carry release quirks such as "E F T O LONDON")
    serial: int
    rest: str  # what followed the serial on the same (run-on) line


@dataclass
class Routing:
    """What the routing header says."""

    created: datetime | None = None
    precedence: str | None = None
    sender: str | None = None
    to: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    de_serial: int | None = None


def normalise_class_word(word: str) -> str:
    """``C O N F I D E N T I A L`` -> ``CONFIDENTIAL``; ``UNCLAS`` -> ``UNCLASSIFIED``."""
    squeezed = word.replace(" ", "").upper()
    if squeezed.startswith(("CC", "SS")):
        squeezed = squeezed[1:]
    if squeezed == "UNCLAS":
        return "UNCLASSIFIED"
    return "LIMITED OFFICIAL USE" if squeezed == "LIMITEDOFFICIALUSE" else squeezed


def parse_class_line(match: re.Match[str]) -> ClassLine:
    """Turn a ``CLASS_LINE`` match into its fields."""
    caveat = match["caveat"].strip(" /")
    return ClassLine(
        classification=normalise_class_word(match["cls"]),
        caveat=caveat,
        city=" ".join(match["city"].upper().split()),
        serial=int(match["serial"]),
        rest=match["rest"],
    )


def parse_dtg(match: re.Match[str]) -> datetime | None:
    """A date-time group match (``070349Z APR 06``) as a UTC datetime, None if impossible."""
    year = int(match["year"])
    if year < 100:
        year += 1900 if year >= 50 else 2000
    try:
        return datetime(year, MONTHS[match["month"][:3].upper()], int(match["day"]), int(match["hour"]),
                        int(match["minute"]))
    except ValueError:
        return None


def find_dtg(text: str) -> datetime | None:
    """The first valid date-time group in ``text``, preferring one after a precedence letter."""
    for prec in _PREC_DTG.finditer(text):
        match = _DTG.match(text, prec.end())
        if match and (when := parse_dtg(match)):
            return when
    for match in _DTG.finditer(text):
        if when := parse_dtg(match):
            return when
    return None


_TAIL_WORDS = {"FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE", "NIACT"}


def _addressee(value: str) -> str | None:
    """``RUEHC/SECSTATE WASHDC PRIORITY 6414`` -> ``SECSTATE WASHDC``."""
    words = _ROUTING_INDICATOR.sub("", value.strip()).split()
    if words and words[-1].isdigit() and len(words[-1]) <= 5:
        words.pop()
    while words and words[-1] in _TAIL_WORDS:
        words.pop()
    value = " ".join(words).strip(" ,")
    if not value or _NOISE_ADDRESSEE.match(value):
        return None
    return value


def parse_routing(header: str) -> Routing:
    """Read precedence, date-time group, sender and addressees from the routing header text."""
    routing = Routing(created=find_dtg(header))
    prec = _PREC_DTG.search(header)
    if prec:
        routing.precedence = PRECEDENCE[prec["prec"]]
    de = _DE_LINE.search(header)
    if de:
        routing.de_serial = int(de["serial"])
    current: list[str] | None = None
    for raw in header.split("\n"):
        for line in _RUN_ON_KEYS.sub("\n", raw).split("\n") if len(raw) > 90 else [raw]:
            if not line.strip():
                current = None
                continue
            key = _ADDRESSEE_KEY.match(line)
            if key and key["key"] == "FM" and routing.sender is None:
                routing.sender = _addressee(key["value"])
                current = None
            elif key and key["key"] in ("TO", "INFO"):
                current = routing.to if key["key"] == "TO" else routing.info
                if key["key"] == "INFO" and re.match(r"LOG-\d", key["value"].strip()):
                    current = None  # "INFO  LOG-00  NP-00 ..." is a distribution list, not addressees
                elif name := _addressee(key["value"]):
                    current.append(name)
            elif key:
                current = None
            elif current is not None and (name := _addressee(line)):
                current.append(name)
    return routing
