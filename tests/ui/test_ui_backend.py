"""The app's backend over real components (packaged embedder, SQLite, FAISS): start with no index,
add an upload, find it. The language model is not needed for any of this."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import QAError
from qa.settings import Settings
from qa.store.folder import IndexFolder
from qa.ui.backend import LocalBackend
from qa.ui.uploads import keep

pytestmark = pytest.mark.slow


def test_app_starts_without_an_index_and_serves_an_upload(settings: Settings, tmp_path: Path) -> None:
    backend = LocalBackend(settings)
    assert backend.summary() is None
    assert backend.facets() == {"origin": [], "tag": [], "classification": []}
    with pytest.raises(QAError, match="no index"):
        backend.search("anything", 5, None)

    upload = tmp_path / "lighthouse notes.txt"
    upload.write_text("1. The Zanzibar lighthouse keeps 47 brass lanterns.\n\n2. Nothing else happened.\n")
    seen: list[tuple[int, int]] = []
    kept = keep([upload], IndexFolder(settings.index.dir).uploads_dir)
    done = backend.add_files(kept, lambda d, t, _: seen.append((d, t)))
    assert done["added"] == 1 and seen[-1] == (1, 1)
    assert (Path(settings.index.dir) / "uploads" / "lighthouse_notes.txt").exists()

    summary = backend.summary()
    assert summary is not None and summary["documents"] == 1 and summary["paragraphs"] >= 2
    hits = backend.search("how many lanterns in the lighthouse", 3, None)
    assert hits and "47 brass lanterns" in hits[0].text
    found = backend.document(hits[0].doc_id)
    assert found is not None and any("47 brass lanterns" in p.text for p in found[1])
