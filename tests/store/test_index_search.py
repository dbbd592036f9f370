"""Indexing and hybrid search on real SQLite and FAISS files (fast fake embedder; see *_real tests)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from conftest import CABLES, SEED, needs_shared
from fakes import HashEmbedder

from qa.errors import QAError
from qa.indexing import Indexer
from qa.retrieve.searcher import Searcher
from qa.settings import Settings
from qa.types import Filters


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def notes(folder: Path) -> None:
    write(
        folder,
        "apples.md",
        "# Apples\n\nApples grow in orchards in Normandy.\n\nCider is pressed from apples.\n",
    )
    write(
        folder,
        "rivers.txt",
        "Rivers\n\nThe Mekong flows through Phnom Penh.\n\nThe Tonle Sap reverses each year.\n",
    )


def index(settings: Settings, *paths: Path, **kw: object):
    return Indexer(settings, HashEmbedder()).run(list(paths), **kw)


def search(settings: Settings, query: str, k: int = 5, filters: Filters | None = None):
    s = Searcher.open(settings, embedder=HashEmbedder())
    try:
        return s.search(query, k, filters)
    finally:
        s.close()


def test_incremental_add_change_prune(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    notes(docs)
    first = index(settings, docs)
    assert (first.added, first.unchanged, first.totals["documents"], first.totals["paragraphs"]) == (
        2,
        0,
        2,
        5,
    )

    again = index(settings, docs)
    assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 2, 0)

    write(
        docs, "rivers.txt", "Rivers\n\nThe Mekong flows through Phnom Penh.\n\nThe Bassac joins it there.\n"
    )
    changed = index(settings, docs)
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert changed.embedded == 1  # the unchanged paragraph's vector is reused, not re-embedded
    assert search(settings, "Bassac")[0].text == "The Bassac joins it there."
    assert all("Tonle Sap" not in h.text for h in search(settings, "Tonle Sap reverses", k=10))

    (docs / "apples.md").unlink()
    kept = index(settings, docs)
    assert kept.removed == 0 and kept.totals["documents"] == 2  # without --prune nothing is dropped
    pruned = index(settings, docs, prune=True)
    assert pruned.removed == 1 and pruned.totals["documents"] == 1
    assert all(h.doc_id != "apples" for h in search(settings, "cider apples orchards", k=10))


def test_bad_files_are_reported_and_skipped(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    notes(docs)
    (docs / "empty.txt").write_bytes(b"")
    (docs / "blob.txt").write_bytes(bytes(range(256)) * 40)
    summary = index(settings, docs)
    assert summary.added == 2 and summary.failed == 2
    reasons = {Path(f["source"]).name: f["reason"] for f in summary.failures}
    assert set(reasons) == {"empty.txt", "blob.txt"}
    assert all(r for r in reasons.values())


def test_filters_keep_k_results_when_selective(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    notes(docs)
    shutil.copy(SEED, docs / SEED.name)
    index(settings, docs)
    only = Filters(origin=["phnom penh"])
    hits = search(settings, "apples cider orchards", k=5, filters=only)
    assert len(hits) == 5 and {h.doc_id for h in hits} == {"06PHNOMPENH657"}
    assert search(settings, "trafficking", filters=Filters(tag=["kwmn"]))[0].doc_id == "06PHNOMPENH657"
    assert search(settings, "trafficking", filters=Filters(tag=["ZZZZ"])) == []
    assert search(settings, "trafficking", filters=Filters(since=date(2006, 4, 7), until=date(2006, 4, 7)))
    assert search(settings, "trafficking", filters=Filters(since=date(2006, 4, 8))) == []
    assert search(settings, "trafficking", filters=Filters(classification=["unclas"]))
    assert {h.doc_id for h in search(settings, "Mekong", k=3, filters=Filters(doc=["rivers"]))} == {"rivers"}


def test_reference_id_and_phrase_queries(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    notes(docs)
    shutil.copy(SEED, docs / SEED.name)
    index(settings, docs)
    hits = search(settings, "06phnompenh657", k=3)
    assert [h.paragraph for h in hits] == [1, 2, 3]
    assert search(settings, '"Tonle Sap reverses"', k=1)[0].doc_id == "rivers"
    assert search(settings, "What does 06PHNOMPENH657 say about Un Sokunthea?", k=1)[0].paragraph == 6


def test_mismatched_manifest_is_refused(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    notes(docs)
    index(settings, docs)
    path = Path(settings.index.dir) / "manifest.json"
    data = json.loads(path.read_text())
    data["embedder"] = "some-other-model"
    path.write_text(json.dumps(data))
    with pytest.raises(QAError, match="rebuild"):
        Searcher.open(settings, embedder=HashEmbedder())
    with pytest.raises(QAError, match="--rebuild"):
        index(settings, docs)
    rebuilt = index(settings, docs, rebuild=True)
    assert rebuilt.added == 2 and search(settings, "Mekong")


@pytest.mark.parametrize(("setting", "value"), [("window_tokens", 128), ("window_overlap", 8),
                                              ("with_subject", False)])
def test_a_changed_vector_setting_refuses_the_old_index(settings: Settings, tmp_path: Path, setting: str,
                                                         value: object) -> None:
    """Window size, overlap and the embedded-text recipe make the vectors: the manifest records them."""
    docs = tmp_path / "docs"
    notes(docs)
    index(settings, docs)
    manifest = json.loads((Path(settings.index.dir) / "manifest.json").read_text())
    assert (manifest["window_tokens"], manifest["window_overlap"]) == (256, 32)
    setattr(settings.embed, setting, value)
    with pytest.raises(QAError, match=rf"embed\.{setting}.*--rebuild"):
        Searcher.open(settings, embedder=HashEmbedder())
    with pytest.raises(QAError, match="--rebuild"):
        index(settings, docs)
    assert index(settings, docs, rebuild=True).added == 2 and search(settings, "Mekong")


def test_missing_or_corrupt_index_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(QAError, match="no index at"):
        Searcher.open(settings, embedder=HashEmbedder())
    docs = tmp_path / "docs"
    notes(docs)
    index(settings, docs)
    for f in Path(settings.index.dir).glob("vectors-*.faiss"):
        f.write_bytes(b"garbage")  # a damaged vector file is rebuilt from SQLite
    assert search(settings, "Mekong")[0].doc_id == "rivers"
    (Path(settings.index.dir) / "manifest.json").write_text("{not json")
    with pytest.raises(QAError, match="unreadable"):
        Searcher.open(settings, embedder=HashEmbedder())


def test_store_ahead_of_vector_file_is_still_searchable(settings: Settings, tmp_path: Path) -> None:
    """What a kill -9 after a committed batch leaves: the FAISS file of an older generation."""
    docs = tmp_path / "docs"
    notes(docs)
    index(settings, docs)
    db = sqlite3.connect(Path(settings.index.dir) / "store.sqlite")
    db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    db.commit()
    db.close()
    assert search(settings, "Mekong")[0].doc_id == "rivers"


@needs_shared()
def test_duplicate_document_ids_are_skipped(settings: Settings, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        shutil.copy(CABLES / "09STATE113298.txt", folder)
    summary = index(settings, a, b)
    assert summary.added == 2 and summary.skipped_docs == 1 and summary.totals["documents"] == 1


def test_term_share_counts_the_documents_using_a_term(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    for i in range(24):  # every note names the US, one in three Normandy
        extra = " Apples come from Normandy." if i % 3 == 0 else ""
        write(docs, f"note{i}.txt", f"Note {i}\n\nThe U.S. trade office wrote note {i}.{extra}\n")
    index(settings, docs)
    s = Searcher.open(settings, embedder=HashEmbedder())
    try:
        assert s.term_share("US") == 1.0 and s.term_share("U.S.") == 1.0
        assert s.term_share("Normandy") == pytest.approx(8 / 24)
        assert s.term_share("Gogarburn") == 0.0 and s.term_share("...") is None
    finally:
        s.close()
    small = tmp_path / "small"
    notes(small)
    settings.index.dir = tmp_path / "small-index"
    index(settings, small)
    s = Searcher.open(settings, embedder=HashEmbedder())
    try:
        assert s.term_share("Apples") is None  # two documents say nothing about how common a term is
    finally:
        s.close()


def test_hits_say_where_each_source_came_from(settings: Settings, tmp_path: Path) -> None:
    """Kind, file name (never the server's path) and whether it came through the app's uploads."""
    from qa.store.folder import IndexFolder

    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED, folder)
    write(folder, "notes.txt", "Notes\n\nHuman trafficking figures for Cambodia were discussed.\n")
    uploaded = write(IndexFolder(settings.index.dir).uploads_dir, "mine.txt",
                     "Mine\n\nHuman trafficking figures I uploaded for Cambodia.\n")
    index(settings, folder, uploaded)
    hits = {h.doc_id: h.metadata for h in search(settings, "human trafficking Cambodia", k=10)}
    assert {k: hits["06PHNOMPENH657"][k] for k in ("kind", "file", "uploaded")} == {
        "kind": "cable", "file": "06PHNOMPENH657.txt", "uploaded": False}
    assert {k: hits["notes"][k] for k in ("kind", "file", "uploaded")} == {
        "kind": "text", "file": "notes.txt", "uploaded": False}
    assert hits["mine"]["uploaded"] is True
    s = Searcher.open(settings, embedder=HashEmbedder())
    try:
        meta, _ = s.document("mine")
    finally:
        s.close()
    assert meta["uploaded"] is True and meta["file"] == "mine.txt"
