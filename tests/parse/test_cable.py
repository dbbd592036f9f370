"""The cable parser on the seed and on small cables written in the forms real scrapes take."""

from __future__ import annotations

import pytest
from conftest import SEED

from qa.parse.cable import looks_like_cable, parse_cable, parse_tags
from qa.parse.cable.paragraphs import Candidate, choose_numbers

HEADER = """VZCZCXRO5232
PP RUEHCHI
DE RUEHPF #0657/01 0970349
ZNR UUUUU ZZH
P 070349Z APR 06
FM AMEMBASSY PHNOM PENH
TO RUEHC/SECSTATE WASHDC PRIORITY 6414
INFO RUEHXS/ASEAN COLLECTIVE
RUEHGV/USMISSION GENEVA 1377
"""


def cable(body: str, cls: str = "C O N F I D E N T I A L SECTION 01 OF 02 PHNOM PENH 000657") -> str:
    return f"{HEADER}\n{cls}\n\nSIPDIS\n\nE.O. 12958: DECL: 04/07/2016\nTAGS: PREL KDEM CB\n" \
           f"SUBJECT: ELECTIONS IN CAMBODIA: A LONG\nSUBJECT LINE\n\n{body}"


@pytest.fixture(scope="module")
def seed():
    return parse_cable(SEED.read_text(encoding="utf-8"), str(SEED))


def test_seed_metadata(seed):
    assert seed.doc_id == "06PHNOMPENH657"
    assert seed.kind == "cable"
    meta = seed.metadata
    assert meta["created"] == "2006-04-07T03:49:00Z"
    assert meta["tags"] == ["PHUM", "PREL", "KWMN", "CB"]
    assert meta["subject"] == "CAMBODIAN GOVERNMENT HIGHLIGHTS TIP AT NATIONAL CONFERENCES"
    assert seed.title == meta["subject"]
    assert meta["origin"] == "Embassy Phnom Penh"
    assert meta["from"] == "AMEMBASSY PHNOM PENH"
    assert meta["to"] == ["SECSTATE WASHDC"]
    assert "USMISSION GENEVA" in meta["info"]
    assert meta["precedence"] == "PRIORITY"
    assert meta["classification"] == "UNCLASSIFIED"
    assert meta["sipdis"] is True
    assert meta["signer"] == "MUSSOMELI"
    assert meta["partial"] is False
    assert meta["numbered"] is True


def test_seed_paragraphs(seed):
    assert [p.n for p in seed.paragraphs] == list(range(1, 15))
    p5, p6 = seed.paragraphs[4], seed.paragraphs[5]
    assert "Statistics between 2001 and 2005" in p5.text and "the number of victims rescued" in p5.text
    assert "arrested, and the number of victims rescued" in p5.text  # joined across the page break
    assert "00000657" not in p5.text and "002 OF 002" not in p5.text
    assert p6.text.startswith("Un Sokunthea")
    assert "00000657" not in seed.paragraphs[7].text
    assert seed.paragraphs[7].text.endswith("identified nor arrested.")
    assert "MUSSOMELI" not in seed.paragraphs[-1].text
    assert seed.paragraphs[0].section is None
    assert seed.paragraphs[1].section == "Fifth Annual Anti-TIP Conference"
    assert seed.paragraphs[6].section == "NGO-Police Cooperation"
    assert seed.paragraphs[9].section == "Ministry of Justice Features TIP"
    assert not any(p.text == "Conference" for p in seed.paragraphs)


def test_markings_refs_and_classified_by():
    doc = parse_cable(cable(
        "REF: A. STATE 163495\n     ¶B. PHNOM PENH 1618\n\n"
        "Classified By: Ambassador Joseph Mussomeli for reasons 1.4 (b)\nand (d)\n\n"
        "¶1. (C) Summary: first paragraph.\n\n"
        "¶2. (S/NF) Second paragraph\nwrapped here.\n\n"
        "3.(SBU) Third, with items:\n-- one\n-- two\n\nMUSSOMELI\n"))
    assert doc.metadata["refs"] == ["STATE 163495", "PHNOM PENH 1618"]
    assert doc.metadata["classified_by"].startswith("Ambassador Joseph Mussomeli")
    assert doc.metadata["subject"] == "ELECTIONS IN CAMBODIA: A LONG SUBJECT LINE"
    assert [(p.n, p.marking) for p in doc.paragraphs] == [(1, "C"), (2, "S/NF"), (3, "SBU")]
    assert doc.paragraphs[1].text == "Second paragraph wrapped here."
    assert doc.paragraphs[2].text == "Third, with items:\n-- one\n-- two"
    assert doc.metadata["signer"] == "MUSSOMELI"
    assert doc.metadata["classification"] == "CONFIDENTIAL"
    assert all("STATE 163495" not in p.text and "Classified" not in p.text for p in doc.paragraphs)


def test_page_break_inside_paragraph_and_section_repeat():
    doc = parse_cable(cable(
        "¶1. (C) The minister said that\n\nPHNOM PENH 00000657  002 OF 002\n\nthe vote was fair.\n\n"
        "C O N F I D E N T I A L SECTION 02 OF 02 PHNOM PENH 000657\n\nSIPDIS\n\n"
        "¶2. (C) Second.\n"))
    assert [p.n for p in doc.paragraphs] == [1, 2]
    assert doc.paragraphs[0].text == "The minister said that the vote was fair."
    assert "SECTION" not in doc.paragraphs[0].text and "SIPDIS" not in doc.paragraphs[1].text


def test_garbled_leading_numbers_are_read_in_sequence():
    body = "\n\n".join(f"{n}. (U) Paragraph {i}." for i, n in enumerate(
        ["11", "12", "13", "¶14", "¶15", "¶16", "¶17", "¶18", "¶19", "¶10", "¶11"], start=1))
    doc = parse_cable(cable(body))
    assert [p.n for p in doc.paragraphs] == list(range(1, 12))
    assert doc.paragraphs[9].text == "Paragraph 10."


def test_numbers_inside_a_paragraph_are_not_paragraphs():
    doc = parse_cable(cable(
        "¶1. (C) Intro.\n\n¶2. (C) The plan has parts:\n1. first part\n2. second part\n"
        "In\n2007. the vote.\n\n¶3. (C) End.\n"))
    assert [p.n for p in doc.paragraphs] == [1, 2, 3]
    assert "1. first part" in doc.paragraphs[1].text and "2007. the vote." in doc.paragraphs[1].text


def test_unnumbered_cable_is_numbered_in_order_and_says_so():
    doc = parse_cable(cable("First block of text\nthat wraps.\n\nSecond block.\n\nRICE\n"))
    assert [p.n for p in doc.paragraphs] == [1, 2]
    assert doc.paragraphs[0].text == "First block of text that wraps."
    assert doc.metadata["numbered"] is False
    assert any("no paragraph numbers" in w for w in doc.warnings)
    assert doc.metadata["signer"] == "RICE"


@pytest.mark.parametrize(("raw", "tags"), [
    ("PHUM PREL KWMN CB", ["PHUM", "PREL", "KWMN", "CB"]),
    ("PGOV, PINS, ZI", ["PGOV", "PINS", "ZI"]),
    ("[PHUM](#) [PREL](#)", ["PHUM", "PREL"]),
    ("OVIP (CLINTON, HILLARY) PREL", ["OVIP", "CLINTON", "HILLARY", "PREL"]),
    ("mtcre, parm", ["MTCRE", "PARM"]),
])
def test_tags_in_all_spellings(raw, tags):
    assert parse_tags(raw) == tags


def test_run_on_header_line():
    text = (f"{HEADER}\nS E C R E T SECTION 01 OF 02 PHNOM PENH 000657SIPDISE.O. 12958: DECL: 05/21/2015"
            "TAGS: PREL PGOV\nSUBJECT: RUN ON REF: STATE 1\n\n¶1. (S) Text.\n")
    doc = parse_cable(text)
    assert doc.metadata["tags"] == ["PREL", "PGOV"]
    assert doc.metadata["subject"] == "RUN ON"
    assert doc.metadata["refs"] == ["STATE 1"]
    assert doc.metadata["classification"] == "SECRET"
    assert [p.n for p in doc.paragraphs] == [1]


def test_partial_extract_without_header_uses_file_name_for_year():
    text = ("This record is a partial extract of the original cable. The full text of the original cable "
            "is not available.\n\nUNCLAS SECTION 01 OF 04 SAN JOSE 002158\n\nSIPDIS\n\nE.O. 12958: N/A\n"
            "TAGS: ETRD CS\nSUBJECT: TEXTILES\n\n¶3. (SBU) Text.\n\n¶4. (SBU) More.\n")
    doc = parse_cable(text, id_hint="05SANJOSE2158")
    assert doc.metadata["partial"] is True
    assert doc.doc_id == "05SANJOSE2158"
    assert doc.metadata["created"] is None
    assert [p.n for p in doc.paragraphs] == [3, 4]
    assert doc.metadata["classification"] == "UNCLASSIFIED"


def test_pasted_release_row_gives_id_and_classification():
    text = ('27613,2/24/2005 16:09,05BOGOTA1775,"Embassy Bogota",CONFIDENTIAL//NOFORN,05BOGOTA1081,"",'
            '"C O N F I D E N T I A L BOGOTA 001775\n\nTAGS: PGOV CO\nSUBJECT: ELN TALKS\n\n'
            '¶1. (C) Valencia said ""wait and see"".\n"\n')
    doc = parse_cable(text)
    assert doc.doc_id == "05BOGOTA1775"
    assert doc.metadata["classification"] == "CONFIDENTIAL//NOFORN"
    assert doc.metadata["origin"] == "Embassy Bogota"
    assert doc.paragraphs[0].text == 'Valencia said "wait and see".'


def test_looks_like_cable():
    assert looks_like_cable(SEED.read_text(encoding="utf-8"))
    assert not looks_like_cable("Meeting notes\n\nWe talked about the budget.\n\n1. Next steps.")


def test_choose_numbers_prefers_marked_paragraphs_over_a_list():
    cands = [Candidate(i, n, m, True, 0, "") for i, (n, m) in enumerate(
        [(1, "C"), (2, "C"), (1, None), (2, None), (3, None), (3, "C")])]
    assert [(c.line, n) for c, n in choose_numbers(cands)] == [(0, 1), (1, 2), (5, 3)]


@pytest.mark.parametrize("text", ["", "\n\n", "¶", "TAGS:", "SUBJECT:\n", "UNCLAS X 1\n¶1.", "1.\n2.\n3."])
def test_degenerate_input_does_not_raise(text):
    doc = parse_cable(text)
    assert doc.kind == "cable" and isinstance(doc.warnings, list)
