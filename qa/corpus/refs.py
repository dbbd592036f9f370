"""REF items resolved to the reference IDs cables are cited by (pure: text in, IDs out).

A cable's REF line names earlier cables the way the sending post writes them: ``STATE 106206``,
``A) MADRID 5426``, ``07 TBILISI 1605``, ``09CAIRO1265``, ``TEHRAN 1091: TEHRAN 263``. The reference
ID form is ``<2-digit year><post token><serial>`` (``07TBILISI1605``): the year comes from the item when
it has one, otherwise from the citing cable; the post is written without spaces (``PHNOM PENH`` ->
``PHNOMPENH``), ``SECSTATE`` is ``STATE``; the serial loses its leading zeros.

An item may name several cables (one line holding ``A)`` to ``J)``), or none: telecons, e-mails,
memos and open-source reports are kept as text with no ID. A word sequence counts as a post only when
it is one the resolver knows (``KNOWN_POSTS`` plus the citing cable's own post), so ``EMAIL 5`` or
``OCTOBER 12`` never turns into an ID.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qa.parse.cable.records import REFID_PARTS

# Posts (as ID tokens) that send cables, beyond the ones an index holds: the Cablegate-era embassies,
# consulates and missions that cables cite most. Facts about the State Department, not cable text.
KNOWN_POSTS = frozenset({
    "ABIDJAN", "ABUDHABI", "ABUJA", "ACCRA", "ADANA", "ADDISABABA", "AITTAIPEI", "ALGIERS", "ALMATY", "AMMAN",
    "AMSTERDAM", "ANKARA", "ANTANANARIVO", "APIA", "ASHGABAT", "ASMARA", "ASTANA", "ASUNCION", "ATHENS", "AUCKLAND",
    "BAGHDAD", "BAKU", "BAMAKO", "BANDARSERIBEGAWAN", "BANGKOK", "BANGUI", "BANJUL", "BARCELONA", "BASRAH",
    "BEIJING", "BEIRUT", "BELFAST", "BELGRADE", "BELMOPAN", "BERLIN", "BERN", "BISHKEK", "BOGOTA", "BRASILIA",
    "BRATISLAVA", "BRAZZAVILLE", "BRIDGETOWN", "BRUSSELS", "BUCHAREST", "BUDAPEST", "BUENOSAIRES", "BUJUMBURA",
    "CAIRO", "CALCUTTA", "CALGARY", "CANBERRA", "CAPETOWN", "CARACAS", "CASABLANCA", "CHENGDU", "CHENNAI",
    "CHIANGMAI", "CHISINAU", "CIUDADJUAREZ", "COLOMBO", "CONAKRY", "COPENHAGEN", "COTONOU", "CURACAO", "DAKAR",
    "DAMASCUS", "DARESSALAAM", "DHAHRAN", "DHAKA", "DILI", "DJIBOUTI", "DOHA", "DUBAI", "DUBLIN", "DURBAN",
    "DUSHANBE", "DUSSELDORF", "FLORENCE", "FRANKFURT", "FREETOWN", "FUKUOKA", "GABORONE", "GENEVA", "GEORGETOWN",
    "GUADALAJARA", "GUANGZHOU", "GUATEMALA", "HALIFAX", "HAMBURG", "HAMILTON", "HANOI", "HARARE", "HAVANA",
    "HELSINKI", "HERMOSILLO", "HOCHIMINHCITY", "HONGKONG", "IRANRPODUBAI", "ISLAMABAD", "ISTANBUL", "JAKARTA",
    "JEDDAH", "JERUSALEM", "JOHANNESBURG", "KABUL", "KAMPALA", "KARACHI", "KATHMANDU", "KHARTOUM", "KIEV", "KIGALI",
    "KINGSTON", "KINSHASA", "KIRKUK", "KOLKATA", "KOLONIA", "KOROR", "KRAKOW", "KUALALUMPUR", "KUWAIT", "KYIV",
    "LAGOS", "LAHORE", "LAPAZ", "LEIPZIG", "LIBREVILLE", "LILONGWE", "LIMA", "LISBON", "LJUBLJANA", "LOME",
    "LONDON", "LUANDA", "LUSAKA", "LUXEMBOURG", "LYON", "MADRID", "MAJURO", "MALABO", "MANAGUA", "MANAMA", "MANILA",
    "MAPUTO", "MARSEILLE", "MASERU", "MATAMOROS", "MBABANE", "MELBOURNE", "MERIDA", "MEXICO", "MILAN", "MINSK",
    "MONROVIA", "MONTERREY", "MONTEVIDEO", "MONTREAL", "MOSCOW", "MOSUL", "MUMBAI", "MUNICH", "MUSCAT", "NAHA",
    "NAIROBI", "NAPLES", "NASSAU", "NDJAMENA", "NEWDELHI", "NIAMEY", "NICOSIA", "NOGALES", "NOUAKCHOTT",
    "NUEVOLAREDO", "OSAKAKOBE", "OSLO", "OTTAWA", "OUAGADOUGOU", "PANAMA", "PARAMARIBO", "PARIS", "PARTO", "PERTH",
    "PESHAWAR", "PHNOMPENH", "PODGORICA", "PONTADELGADA", "PORTAUPRINCE", "PORTLOUIS", "PORTMORESBY", "PORTOFSPAIN",
    "PRAGUE", "PRAIA", "PRETORIA", "PRISTINA", "QUEBEC", "QUITO", "RABAT", "RANGOON", "RECIFE", "REYKJAVIK", "RIGA",
    "RIODEJANEIRO", "RIYADH", "ROME", "RPODUBAI", "SANAA", "SANJOSE", "SANSALVADOR", "SANTIAGO", "SANTODOMINGO",
    "SAOPAULO", "SAPPORO", "SARAJEVO", "SECTO", "SEOUL", "SHANGHAI", "SHENYANG", "SINGAPORE", "SKOPJE", "SOFIA",
    "STATE", "STOCKHOLM", "STPETERSBURG", "STRASBOURG", "SURABAYA", "SUVA", "SYDNEY", "TAIPEI", "TALLINN",
    "TASHKENT", "TBILISI", "TEGUCIGALPA", "TEHRAN", "TELAVIV", "THEHAGUE", "TIJUANA", "TIRANA", "TOKYO", "TORONTO",
    "TRIPOLI", "TUNIS", "ULAANBAATAR", "UNVIEVIENNA", "USEUBRUSSELS", "USNATO", "USOSCE", "USUNNEWYORK", "USUNROME",
    "VALLETTA", "VANCOUVER", "VATICAN", "VIENNA", "VIENTIANE", "VILNIUS", "VLADIVOSTOK", "WARSAW", "WELLINGTON",
    "WINDHOEK", "YAOUNDE", "YEKATERINBURG", "YEREVAN", "ZAGREB"
})

# How posts are written in REF lines when that is not their ID token.
ALIASES = {
    "SECSTATE": "STATE", "SECSTATE WASHDC": "STATE", "USUN": "USUNNEWYORK",
    "USUN NEW YORK": "USUNNEWYORK", "USUN NY": "USUNNEWYORK", "UNVIE": "UNVIEVIENNA",
    "USEU": "USEUBRUSSELS", "USNATO BRUSSELS": "USNATO", "AIT": "AITTAIPEI", "AIT TAIPEI": "AITTAIPEI",
    "RPO DUBAI": "RPODUBAI", "HO CHI MINH": "HOCHIMINHCITY",
    "RIO": "RIODEJANEIRO", "RIO DE JANEIRO": "RIODEJANEIRO", "MEXICO CITY": "MEXICO",
    "CASA": "CASABLANCA", "THE HAGUE": "THEHAGUE", "HAGUE": "THEHAGUE", "TEL AVIV": "TELAVIV",
    "USOSCE VIENNA": "USOSCE",
}

# "[07 ]WORDS SERIAL", the serial maybe followed by "/08" or " (2008)" giving the year; a serial cut
# off by the release ("MOSCOW 240...") is no serial.
_SPACED = re.compile(
    r"(?<![A-Z0-9])(?:(?P<year>(?:19|20)\d\d|\d\d)[ \t]+)?(?P<post>[A-Z][A-Z.'-]*(?:[ \t]+[A-Z][A-Z.'-]*){0,4})"
    r"[ \t]*(?P<serial>\d{1,7})(?!\d)"
    r"(?:/(?P<slash_year>\d\d)(?!\d)|[ \t]+\((?P<paren_year>(?:19|20)\d\d)\))?"
    r"(?![/:-]\d|\.\.|…)"
)
# "09CAIRO1265", also with a space or leading zeros: "08CAIRO01352".
_COMPACT = re.compile(r"(?<![A-Z0-9])(?P<year>\d\d)(?P<post>[A-Z]{3,})(?P<serial>\d{1,7})(?![\d])")
_NOT_CABLE = re.compile(r"\b(?:E-?MAILS?|TELCONS?|TELECONS?|MEMCONS?|MEMOS?|LETTERS?|FAX|DVC|OSC|FBIS|IIR)\b")


@dataclass(frozen=True)
class RefLink:
    """One REF item and the cable ID it names (``ref_id`` None when the item is not a resolvable cable)."""

    item: str
    ref_id: str | None
    order: int = 0  # position of the item on the citing cable's REF line


def citing_year(doc_id: str, created: str | None) -> int | None:
    """The citing cable's year, from its ID (``06PHNOMPENH657`` -> 2006) or else its date."""
    match = REFID_PARTS.match(doc_id or "")
    if match:
        yy = int(match["year"])
        return 2000 + yy if yy < 50 else 1900 + yy
    if created and created[:4].isdigit():
        return int(created[:4])
    return None


def _post_token(words: str, known: frozenset[str] | set[str]) -> tuple[str, int] | None:
    """The ID token for the longest known suffix of ``words`` and how many words it used."""
    parts = words.replace(".", " ").split()
    for start in range(len(parts)):
        name = " ".join(parts[start:])
        token = ALIASES.get(name) or name.replace(" ", "").replace("'", "").replace("-", "")
        if token in known:
            return token, len(parts) - start
    return None


def _two_digits(year: str | None) -> str | None:
    if not year:
        return None
    return year[-2:]


def resolve_item(item: str, year: int | None, known: frozenset[str] | set[str] = KNOWN_POSTS,
                 citing: tuple[str, int] | None = None) -> list[str]:
    """The reference IDs a REF item names, in order; [] for telecons, e-mails and other non-cables.

    ``citing`` is the citing cable's (post token, serial). A post numbers its cables upwards through
    the year, so an item with no year naming the citing post with a higher serial (``TRIPOLI 870``
    cited by ``09TRIPOLI2``) was sent the year before."""
    text = item.upper()
    default = f"{year % 100:02d}" if year else None
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for m in _COMPACT.finditer(text):
        token = m["post"] if m["post"] in known else ALIASES.get(m["post"])
        if token in known:
            found.append((m.start(), f"{m['year']}{token}{int(m['serial'])}"))
            taken.append(m.span())
    pos = 0
    while (m := _SPACED.search(text, pos)) is not None:
        pos = m.end()
        post = None if any(s <= m.start("post") < e for s, e in taken) else _post_token(m["post"], known)
        if post is None:
            pos = m.start() + 1  # "E. 08 TRIPOLI 660": "E. 08" is no cable, but "08 TRIPOLI 660" may be
            continue
        token, used = post
        words = m["post"].replace(".", " ").split()
        # A year counts only when it directly precedes the post words actually used.
        own_year = m["year"] if used == len(words) else None
        given = _two_digits(own_year or m["slash_year"] or m["paren_year"])
        serial = int(m["serial"])
        yy = given or default
        if yy is None or serial == 0:
            continue
        if given is None and citing is not None and token == citing[0] and serial > citing[1]:
            yy = f"{(int(yy) - 1) % 100:02d}"
        found.append((m.start("post"), f"{yy}{token}{serial}"))
    if not found and _NOT_CABLE.search(text):
        return []
    out: list[str] = []
    for _, ref in sorted(found):
        if ref not in out:
            out.append(ref)
    return out


def resolve_refs(items: Iterable[str], doc_id: str, created: str | None,
                 known: frozenset[str] | set[str] = KNOWN_POSTS) -> list[RefLink]:
    """Every REF item of a cable with the IDs it names: one link per ID, one unresolved link for an
    item naming none (so the item's text is never lost)."""
    year = citing_year(doc_id, created)
    parts = REFID_PARTS.match(doc_id or "")
    citing = (parts["city"], int(parts["serial"])) if parts else None
    if citing and citing[0].isalpha() and citing[0] not in known:  # a post cites its own cables most
        known = set(known) | {citing[0]}
    links: list[RefLink] = []
    for order, item in enumerate(items):
        ids = resolve_item(item, year, known, citing)
        links += [RefLink(item, ref, order) for ref in ids] or [RefLink(item, None, order)]
    return links

