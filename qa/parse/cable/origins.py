"""Names of the posts that send cables: the routing ``FM`` line or the ID's city turned into the
origin as the Cablegate release writes it ("Embassy Phnom Penh", "Secretary of State", ...)."""

from __future__ import annotations

import re

# FM lines whose origin is not simply "<kind> <City>", with the city token the release uses in IDs.
_SPECIAL_FM = {
    "SECSTATE WASHDC": ("Secretary of State", "STATE"),
    "USMISSION USNATO": ("Mission USNATO", "USNATO"),
    "USMISSION UNVIE VIENNA": ("UNVIE", "UNVIEVIENNA"),
    "USMISSION GENEVA": ("US Mission Geneva", "GENEVA"),
    "USMISSION USUN NEW YORK": ("USUN New York", "USUNNEWYORK"),
    "USEU BRUSSELS": ("USEU Brussels", "USEUBRUSSELS"),
    "USINT HAVANA": ("US Interests Section Havana", "HAVANA"),
    "AIT TAIPEI": ("American Institute Taiwan, Taipei", "TAIPEI"),
    "IRAN RPO DUBAI": ("Iran RPO Dubai", "RPODUBAI"),
    "RPO DUBAI": ("Iran RPO Dubai", "RPODUBAI"),
    "REO BASRAH": ("REO Basrah", "REOBASRAH"),
    "USDEL SECRETARY": ("US Delegation, Secretary", "PARTO"),
    "USLO TRIPOLI": ("Embassy Tripoli", "TRIPOLI"),
}
# The same posts found by the city token of a reference ID (when the cable has no FM line).
_SPECIAL_TOKEN = {token: name for name, token in _SPECIAL_FM.values()}
_SPECIAL_TOKEN.update({"STATE": "Secretary of State", "SECSTATE": "Secretary of State"})

_KINDS = {"AMEMBASSY": "Embassy", "AMCONSUL": "Consulate", "USMISSION": "US Mission", "USOFFICE": "US Office"}
_RENAMED = {"CALCUTTA": "KOLKATA", "KIEV": "KYIV"}

# Cities where the US has (had) a consulate rather than an embassy: an ID token alone cannot say which.
_CONSULATE_CITIES = {
    "ADANA", "AMSTERDAM", "BARCELONA", "CAPE TOWN", "CASABLANCA", "CHENNAI", "CIUDAD JUAREZ", "CURACAO",
    "DUBAI", "GUADALAJARA", "HAMBURG", "HERMOSILLO", "ISTANBUL", "JEDDAH", "JERUSALEM", "KOLKATA",
    "CALCUTTA", "LAGOS", "LAHORE", "MELBOURNE", "MILAN", "MONTERREY", "MONTREAL", "MUMBAI", "MUNICH",
    "NAPLES", "PESHAWAR", "RECIFE", "RIO DE JANEIRO", "SAO PAULO", "SHANGHAI", "SHENYANG", "STRASBOURG",
    "TIJUANA", "VLADIVOSTOK", "KARACHI", "HONG KONG", "GUANGZHOU", "CHENGDU", "DHAHRAN", "FRANKFURT",
    "DUSSELDORF", "LEIPZIG", "FLORENCE", "MATAMOROS", "NUEVO LAREDO", "NOGALES", "MERIDA", "TORONTO",
    "VANCOUVER", "CALGARY", "HALIFAX", "QUEBEC", "SYDNEY", "PERTH", "OSAKA KOBE", "NAHA", "SAPPORO",
    "FUKUOKA", "NAGOYA", "JOHANNESBURG", "DURBAN", "ERBIL", "KIRKUK", "HILLAH", "MOSUL", "BASRAH",
    "HYDERABAD", "AUCKLAND", "EDINBURGH", "BELFAST", "MARSEILLE", "LYON", "BORDEAUX", "RENNES",
    "PONTA DELGADA", "KRAKOW", "YEKATERINBURG", "ST PETERSBURG", "CHIANG MAI", "HO CHI MINH CITY",
    "SURABAYA", "ALEXANDRIA",
}
_CONSULATE_TOKENS = {c.replace(" ", "") for c in _CONSULATE_CITIES}

_SPACES = re.compile(r"\s+")


def _title(city: str) -> str:
    return " ".join(word.capitalize() for word in city.split())


def origin_from_fm(fm_line: str) -> str | None:
    """The origin name for a routing ``FM`` value like ``AMEMBASSY PHNOM PENH`` (None if not a post)."""
    fm = _SPACES.sub(" ", fm_line.upper()).strip()
    fm = re.sub(r"//.*$", "", fm).strip()  # "USDEL SECRETARY//EUROPE//"
    if fm in _SPECIAL_FM:
        return _SPECIAL_FM[fm][0]
    kind, _, city = fm.partition(" ")
    if kind not in _KINDS or not city:
        return None
    city = re.sub(r" [A-Z]{2}$", "", city) if kind == "AMEMBASSY" and len(city) > 8 else city  # "TRIPOLI LY"
    city = _RENAMED.get(city, city)
    return f"{_KINDS[kind]} {_title(city)}"


def origin_from_city(city: str) -> str | None:
    """Best guess of the origin from the city of a classification line (``PHNOM PENH``) or ID token."""
    city = _SPACES.sub(" ", city.upper()).strip()
    token = city.replace(" ", "")
    if not token.isalpha():
        return None
    if token in _SPECIAL_TOKEN:
        return _SPECIAL_TOKEN[token]
    if token.startswith("USUN"):
        return "USUN New York"
    city = _RENAMED.get(city, city)
    kind = "Consulate" if token in _CONSULATE_TOKENS else "Embassy"
    if " " not in city and len(token) > 10:
        return None  # a run-together token like "BUENOSAIRES": spacing unknown, better no guess
    return f"{kind} {_title(city)}"
