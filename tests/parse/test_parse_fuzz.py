"""Property tests: whatever bytes or text come in, parsing returns a document or a clear failure."""

from __future__ import annotations

import random

from conftest import SEED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.parse.cable import parse_cable
from qa.parse.loaders import load_file, read_text_file
from qa.types import Document, LoadFailure

SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.split("\n")
HEADER_END = next(i for i, line in enumerate(SEED_LINES) if line.startswith("11."))
EXTRA_LINES = ["", "¶", "¶1.", "1. (C)", "SECTION 02 OF 02", "TAGS:", "REF: A."]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _well_formed(doc: Document) -> None:
    assert isinstance(doc, Document)
    assert doc.doc_id and isinstance(doc.doc_id, str)
    assert all(isinstance(p.n, int) and isinstance(p.text, str) for p in doc.paragraphs)
    assert all(isinstance(w, str) for w in doc.warnings)
    doc.to_json()


@FAST
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = read_text_file(data, "upload.txt")
    if isinstance(result, LoadFailure):
        assert result.reason
    else:
        _well_formed(result)


@FAST
@given(st.text(max_size=3000))
def test_random_text_as_cable_never_raises(text: str) -> None:
    _well_formed(parse_cable(text, "random.txt"))


@FAST
@given(st.integers(min_value=0, max_value=len(SEED_TEXT)), st.integers(min_value=0, max_value=len(SEED_TEXT)))
def test_truncated_cables_never_raise(start: int, length: int) -> None:
    _well_formed(parse_cable(SEED_TEXT[start:start + length], "cut.txt"))


@FAST
@given(st.randoms(use_true_random=False))
def test_shuffled_header_lines_never_raise(rnd: random.Random) -> None:
    header = SEED_LINES[:HEADER_END]
    rnd.shuffle(header)
    doc = parse_cable("\n".join(header + SEED_LINES[HEADER_END:]), "shuffled.txt")
    _well_formed(doc)
    assert len(doc.paragraphs) >= 10  # the body is untouched, so its paragraphs are still found


@FAST
@given(st.lists(st.sampled_from(SEED_LINES + EXTRA_LINES), max_size=80))
def test_recombined_seed_lines_never_raise(lines: list[str]) -> None:
    _well_formed(parse_cable("\n".join(lines), "mixed.txt"))


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["x.txt", "x.md", "x.jsonl", "x.csv", "x.jsonl.gz"]))
def test_loading_any_file_never_raises(tmp_path_factory, data: bytes, name: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    for item in load_file(path):
        if isinstance(item, LoadFailure):
            assert item.reason
        else:
            _well_formed(item)
