"""Rebuilds never leave a folder without an index; prune never acts on a missing root; a damaged store
is refused with the repair command and never modified. Real SQLite and FAISS files, fast fake embedder
(the kill -9 runs through the real CLI are in ``test_index_real.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fakes import HashEmbedder

from qa.errors import QAError
from qa.indexing import Indexer, Progress
from qa.retrieve.searcher import Searcher
from qa.settings import Settings
from qa.store.folder import CURRENT, IndexFolder


def notes(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.txt").write_text(f"{name.title()}\n\nThe {name} paragraph mentions {name}s.\n")
    return folder


def index(settings: Settings, *paths: Path, **kw: object):
    return Indexer(settings, HashEmbedder()).run(list(paths), **kw)


def doc_ids(settings: Settings, query: str) -> set[str]:
    searcher = Searcher.open(settings, embedder=HashEmbedder())
    try:
        return {h.doc_id for h in searcher.search(query, 10)}
    finally:
        searcher.close()


def test_the_old_index_serves_searches_until_the_rebuild_switches(settings: Settings, tmp_path: Path) -> None:
    old = notes(tmp_path / "old", "apple", "pear")
    new = notes(tmp_path / "new", *(f"plum{i}" for i in range(12)))
    index(settings, old)
    seen_during: list[set[str]] = []

    def during(p: Progress) -> None:
        if p.done_files:  # a batch of the new index is committed, in its own folder
            seen_during.append(doc_ids(settings, "apple pear plum0"))

    summary = index(settings, new, rebuild=True, progress=during)
    assert summary.added == 12 and seen_during
    assert all(ids <= {"apple", "pear"} and ids for ids in seen_during)  # never empty, never mixed
    assert doc_ids(settings, "apple pear plum0") & {"apple", "pear"} == set()
    folder = IndexFolder(settings.index.dir)
    assert (folder.path / CURRENT).is_symlink() and folder.data != folder.path
    assert not (folder.path / "store.sqlite").exists()  # the old layout's files are gone
    again = index(settings, old, rebuild=True)  # a rebuilt index rebuilds again, old data removed
    assert again.added == 2 and [d.name for d in folder.path.glob("data-*")] == [IndexFolder(folder.path).data.name]


def test_a_failed_rebuild_keeps_the_old_index_and_its_leftovers_go(settings: Settings, tmp_path: Path) -> None:
    old = notes(tmp_path / "old", "apple", "pear")
    index(settings, old)

    def crash(p: Progress) -> None:
        if p.done_files:
            raise KeyboardInterrupt  # as a user's Ctrl-C would, after a committed batch

    with pytest.raises(KeyboardInterrupt):
        index(settings, notes(tmp_path / "new", *(f"plum{i}" for i in range(12))), rebuild=True, progress=crash)
    assert doc_ids(settings, "apple pear") == {"apple", "pear"}
    assert not list(Path(settings.index.dir).glob("data-*"))


def test_what_a_kill_leaves_is_cleaned_by_the_next_write(settings: Settings, tmp_path: Path) -> None:
    """kill -9 mid-rebuild leaves a data folder that is not current; the next run removes it."""
    old = notes(tmp_path / "old", "apple", "pear")
    index(settings, old)
    stale = IndexFolder(settings.index.dir).staging()
    (stale.data / "store.sqlite").write_bytes(b"half a store")
    assert doc_ids(settings, "apple") == {"apple", "pear"}
    index(settings, old)
    assert not stale.data.exists()


def test_a_crash_between_the_switch_and_the_cleanup_serves_the_new_index(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index(settings, notes(tmp_path / "old", "apple", "pear"))

    def killed(self: IndexFolder, where: Path) -> None:
        raise SystemExit("killed after the switch")

    monkeypatch.setattr(IndexFolder, "_remove_data", killed)
    with pytest.raises(SystemExit):
        index(settings, notes(tmp_path / "new", "plum"), rebuild=True)
    monkeypatch.undo()
    assert doc_ids(settings, "apple plum") == {"plum"}  # the old top-level files are ignored
    index(settings, tmp_path / "new")
    assert not (Path(settings.index.dir) / "store.sqlite").exists()


def test_a_running_searcher_picks_up_a_rebuild(settings: Settings, tmp_path: Path) -> None:
    index(settings, notes(tmp_path / "old", "apple"))
    searcher = Searcher.open(settings, embedder=HashEmbedder())
    try:
        assert {h.doc_id for h in searcher.search("apple plum", 5)} == {"apple"}
        index(settings, notes(tmp_path / "new", "plum"), rebuild=True)
        assert searcher.refresh()
        assert {h.doc_id for h in searcher.search("apple plum", 5)} == {"plum"}
    finally:
        searcher.close()


def test_rebuild_from_nothing_keeps_the_index(settings: Settings, tmp_path: Path) -> None:
    index(settings, notes(tmp_path / "old", "apple", "pear"))
    with pytest.raises(QAError, match="unchanged"):
        index(settings, tmp_path / "missing", rebuild=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(QAError, match="unchanged"):
        index(settings, empty, rebuild=True)
    assert doc_ids(settings, "apple") == {"apple", "pear"}


def test_prune_with_a_missing_root_prunes_nothing(settings: Settings, tmp_path: Path) -> None:
    docs = notes(tmp_path / "docs", "apple", "pear")
    index(settings, docs)
    with pytest.raises(QAError, match="nothing was indexed or pruned"):
        index(settings, tmp_path / "dcos", prune=True)
    for f in docs.iterdir():
        f.rename(tmp_path / f.name)  # the folder's files all gone at once: an unmounted disk looks so
    summary = index(settings, prune=True)
    assert summary.removed == 0 and any("nothing was pruned" in w for w in summary.warnings)
    assert doc_ids(settings, "apple") == {"apple", "pear"}
    (tmp_path / "apple.txt").rename(docs / "apple.txt")
    assert index(settings, prune=True).removed == 1  # one file really gone: pruned
    assert doc_ids(settings, "apple pear") == {"apple"}


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated"])
def test_a_damaged_store_is_refused_and_left_as_it_is(settings: Settings, tmp_path: Path, damage: str) -> None:
    docs = notes(tmp_path / "docs", *(f"note{i}" for i in range(30)))
    index(settings, docs)
    db = IndexFolder(settings.index.dir).db_path
    for side in db.parent.glob("store.sqlite-*"):
        side.unlink()
    data = db.read_bytes()
    damaged = {"empty": b"", "garbage": os.urandom(len(data)), "truncated": data[: len(data) // 3]}[damage]
    db.write_bytes(damaged)
    with pytest.raises(QAError, match=r"damaged.*--rebuild"):
        Searcher.open(settings, embedder=HashEmbedder())
    assert db.read_bytes() == damaged  # a reader changed nothing
    with pytest.raises(QAError, match=r"damaged.*--rebuild"):
        index(settings, docs)
    assert index(settings, docs, rebuild=True).added == 30  # the repair the message names
    assert "note1" in doc_ids(settings, "note1")


def test_what_indexing_left_out_is_said_on_every_run_and_listed(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "rows.jsonl").write_text('{"id": "a", "text": "A fine row."}\n{not json\n{"id": "b"}\n')
    (docs / "blank.md").write_text("# Only a heading\n")
    first = index(settings, docs)
    notes_first = [w for w in first.warnings if "skipped" in w]
    assert len(notes_first) == 3 and first.added == 2
    assert any("line 2 is not valid JSON" in w for w in notes_first)
    assert any("blank" in w and "has no paragraphs" in w for w in notes_first)
    again = index(settings, docs)  # nothing changed: the same pieces are still missing, and said so
    assert again.unchanged == 2 and sorted(w for w in again.warnings if "skipped" in w) == sorted(notes_first)
    folder = IndexFolder(settings.index.dir)
    store = folder.open_store(readonly=True)
    try:
        assert sorted(folder.describe(store, folder.read_manifest())["left_out"]) == sorted(notes_first)
    finally:
        store.close()
    (docs / "rows.jsonl").write_text('{"id": "a", "text": "A fine row."}\n')  # fixed: no longer reported
    fixed = index(settings, docs)
    assert [w for w in fixed.warnings if "skipped" in w] == [n for n in notes_first if "blank" in n]
