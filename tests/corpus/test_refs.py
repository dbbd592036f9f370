"""REF items resolved to reference IDs, on the REF lines of real cables from ../shared, and REF chains
stored in a real SQLite index (both directions) and printed by ``qa refs``."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import CABLES, needs_shared
from fakes import HashEmbedder

from qa.cli import main
from qa.corpus.chain import ref_chain
from qa.corpus.refs import resolve_item, resolve_refs
from qa.indexing import Indexer
from qa.parse.cable import parse_cable
from qa.settings import Settings
from qa.store.folder import IndexFolder


def refs_of(doc_id: str) -> tuple[list[str], str | None]:
    doc = parse_cable((CABLES / f"{doc_id}.txt").read_text(encoding="utf-8", errors="replace"), id_hint=doc_id)
    return doc.metadata["refs"], doc.metadata.get("created")


@needs_shared()
@pytest.mark.parametrize(
    ("doc_id", "expected"),
    [
        # multi-item line, no years: the citing cable's year; "D) MOSCOW 240..." was cut off by the
        # release, so its number is no serial and the item stays unresolved
        ("08MOSCOW2428", ["08MOSCOW2343", "08MOSCOW2366", "08MOSCOW2383", None]),
        # several posts on one line, separated by colons, in a 1972 cable
        ("72TEHRAN1164", ["72TEHRAN1091", "72TEHRAN263", "72MOSCOW1603"]),
        # SECSTATE is written STATE in IDs; items with and without years; multi-word posts
        ("03BRASILIA698", ["03STATE43420", "02BRASILIA1869", "02BRASILIA2290", "02BRASILIA2590",
                           "02BRASILIA2940", "02BRASILIA4170", "02BRASILIA4470", "02BRASILIA4473",
                           "03RIODEJANEIRO198", "02RIODEJANEIRO1030", "02SAOPAULO268", "02SAOPAULO807",
                           "02SAOPAULO894", "02SAOPAULO1709"]),
    ],
)
def test_real_ref_lines_resolve(doc_id: str, expected: list[str | None]) -> None:
    items, created = refs_of(doc_id)
    assert [link.ref_id for link in resolve_refs(items, doc_id, created)] == expected


@needs_shared()
def test_items_with_and_without_years_and_a_non_cable_in_one_line() -> None:
    items, created = refs_of("09NAIROBI1938")
    line = next(i for i in items if "Nairobi 1830" in i)
    # "a. 08 state 81854" has its own year; "c. Nairobi 1830" takes 2009; "Td-314/..." is no cable.
    assert resolve_item(line, 2009, citing=("NAIROBI", 1938)) == [
        "08STATE81854", "09NAIROBI1830", "09NAIROBI1859", "09NAIROBI1831"]


@needs_shared()
def test_telecons_and_emails_stay_text_and_unresolved() -> None:
    items, created = refs_of("05BRASILIA1471")
    links = resolve_refs(items, "05BRASILIA1471", created)
    telcon = [link for link in links if "TELCON" in link.item]
    assert telcon and all(link.ref_id is None for link in telcon)


def test_year_forms_spacing_zeros_and_serial_order() -> None:
    assert resolve_item("07 TBILISI 1605", 2008) == ["07TBILISI1605"]
    assert resolve_item("2008 THE HAGUE 757", 2009) == ["08THEHAGUE757"]
    assert resolve_item("09CAIRO1265", 2010) == ["09CAIRO1265"]
    assert resolve_item("08CAIRO01352", 2010) == ["08CAIRO1352"]
    assert resolve_item("PHNOM PENH 000657", 2006) == ["06PHNOMPENH657"]
    assert resolve_item("PANAMA 00933/08", 2009) == ["08PANAMA933"]
    assert resolve_item("ROME 1484 (2008)", 2009) == ["08ROME1484"]
    assert resolve_item("E. 08 TRIPOLI 660 - SECURITY ENVIRONMENT", 2009) == ["08TRIPOLI660"]
    # A post numbers upwards through the year: Tripoli 870 cited by Tripoli 2 is from the year before.
    assert resolve_item("TRIPOLI 870", 2009, citing=("TRIPOLI", 2)) == ["08TRIPOLI870"]
    assert resolve_item("TRIPOLI 870", 2009, citing=("TRIPOLI", 900)) == ["09TRIPOLI870"]
    # Words that are not posts never become IDs.
    assert resolve_item("OCTOBER 12 DVC", 2009) == []
    assert resolve_item("USUN - IO/UNP EMAIL 5/19", 2009) == []
    assert resolve_item("IIR 6 899 0124 10", 2009) == []


@pytest.fixture
def chain_index(settings: Settings, tmp_path: Path) -> Settings:
    """A real index of three cables: B cites A, C cites B and A (C's REF line also holds an e-mail)."""
    folder = tmp_path / "cables"
    folder.mkdir()
    body = ("UNCLAS SECTION 01 OF 01 MADRID {serial}\n\nSIPDIS\n\nTAGS: PREL, SP\nSUBJECT: {subject}\n\n"
            "{refs}\n1. (U) {text}\n")
    cables = {
        "09MADRID100": ("FIRST REPORT", "", "The minister spoke about fisheries."),
        "09MADRID200": ("SECOND REPORT", "REF: MADRID 100\n", "Per REF, the minister spoke again."),
        "09MADRID300": ("THIRD REPORT", "REF: A. MADRID 200 B. 09 MADRID 100 C. SMITH-JONES EMAIL 5/2/09\n",
                        "Following both reports, nothing changed."),
    }
    for doc_id, (subject, refs, text) in cables.items():
        (folder / f"{doc_id}.txt").write_text(body.format(serial=doc_id[8:], subject=subject, refs=refs, text=text))
    Indexer(settings, HashEmbedder()).run([folder])
    return settings


def test_chain_both_directions_in_a_real_index(chain_index: Settings) -> None:
    store = IndexFolder(chain_index.index.dir).open_store(readonly=True)
    try:
        assert [(link.item, link.ref_id) for link in store.cites("09MADRID300")] == [
            ("MADRID 200", "09MADRID200"), ("09 MADRID 100", "09MADRID100"), ("SMITH-JONES EMAIL 5/2/09", None)]
        assert store.cited_by("09MADRID100") == ["09MADRID200", "09MADRID300"]
        chain = ref_chain(store, "09MADRID300", depth=2)
    finally:
        store.close()
    first = chain.cites[0]
    assert (first.doc_id, first.in_index, first.subject) == ("09MADRID200", True, "SECOND REPORT")
    # depth 2 follows what the cited cable cites; 09MADRID100 was already met, so it is not expanded again
    assert [(c.doc_id, c.seen_above) for c in first.cites] == [("09MADRID100", True)]
    assert chain.cites[2].doc_id is None and chain.cites[2].item.startswith("SMITH-JONES")


def test_qa_refs_cli_json_and_text(chain_index: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    index_dir = str(chain_index.index.dir)
    assert main(["refs", "09MADRID100", "--index-dir", index_dir, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["doc_id"] for c in out["cited_by"]] == ["09MADRID200", "09MADRID300"]
    assert main(["refs", "09MADRID300", "--index-dir", index_dir]) == 0
    text = capsys.readouterr().out
    assert "MADRID 200 -> 09MADRID200" in text and "SMITH-JONES EMAIL 5/2/09 (not a cable ID)" in text
    assert main(["refs", "09MADRID999", "--index-dir", index_dir]) == 1


def test_removing_a_cable_removes_its_links(chain_index: Settings) -> None:
    folder = next(p for p in (chain_index.index.dir.parent / "cables",) if p.is_dir())
    (folder / "09MADRID300.txt").unlink()
    Indexer(chain_index, HashEmbedder()).run([folder], prune=True)
    store = IndexFolder(chain_index.index.dir).open_store(readonly=True)
    try:
        assert store.cited_by("09MADRID100") == ["09MADRID200"]
    finally:
        store.close()


def test_an_index_made_before_ref_links_gets_them(chain_index: Settings) -> None:
    db = IndexFolder(chain_index.index.dir).db_path
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE refs")
        conn.execute("DELETE FROM meta WHERE key = 'refs_version'")
    # read-only, the links are worked out from each cable's stored REF line
    store = IndexFolder(chain_index.index.dir).open_store(readonly=True)
    assert store.cited_by("09MADRID100") == ["09MADRID200", "09MADRID300"]
    store.close()
    # a writer fills the table once
    store = IndexFolder(chain_index.index.dir).open_store()
    store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM refs").fetchone()[0] == 4
    shutil.rmtree(chain_index.index.dir)
