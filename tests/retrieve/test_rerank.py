"""The packaged cross-encoder reranker: its file is checked by sha256, it prefers the paragraph that
answers, and a real index's search reorders its top candidates with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SEED
from fakes import HashEmbedder

from qa.errors import QAError
from qa.indexing import Indexer
from qa.parse.loaders import load_file
from qa.rerank.cross_encoder import CrossEncoderReranker, packaged_reranker
from qa.retrieve.searcher import Searcher
from qa.settings import Settings

pytestmark = pytest.mark.skipif(not packaged_reranker().is_file(), reason="no packaged reranker")
QUESTION = "How many human trafficking cases were reported in Cambodia in 2005?"


def seed_paragraphs() -> dict[int, str]:
    doc = next(d for d in load_file(SEED) if hasattr(d, "paragraphs"))
    return {p.n: p.text for p in doc.paragraphs}


def test_the_answering_paragraph_scores_highest() -> None:
    paragraphs = seed_paragraphs()
    scores = CrossEncoderReranker().scores(QUESTION, list(paragraphs.values()))
    best = list(paragraphs)[int(scores.argmax())]
    assert best == 5, dict(zip(paragraphs, scores.round(2).tolist(), strict=True))


def test_a_damaged_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "reranker-int8.onnx"
    shutil.copy(packaged_reranker(), copy)
    shutil.copy(packaged_reranker().with_name("reranker.json"), tmp_path / "reranker.json")
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(QAError, match="damaged"):
        CrossEncoderReranker(copy)
    manifest = json.loads((tmp_path / "reranker.json").read_text())
    assert len(manifest["sha256"]) == 64


def test_search_reorders_its_top_candidates(settings: Settings) -> None:
    Indexer(settings, HashEmbedder()).run([SEED])
    settings.search.rerank_top = 10
    searcher = Searcher.open(settings, embedder=HashEmbedder())
    try:
        hits = searcher.search(QUESTION, 5)
    finally:
        searcher.close()
    assert hits[0].paragraph == 5
    assert all("rerank_score" in h.metadata for h in hits)
    scores = [h.metadata["rerank_score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
