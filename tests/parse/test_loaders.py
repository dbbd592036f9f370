"""Files and folders -> documents: formats, encodings, and the files that cannot be read."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from conftest import CABLES, SEED, needs_shared

from qa.cli import main
from qa.parse.decoding import decode_bytes
from qa.parse.loaders import (
    PARSER_VERSION,
    discover_files,
    iter_documents,
    load_file,
    parse_file,
    parse_text,
    read_text_file,
)
from qa.types import Document, LoadFailure

SEED_TEXT = SEED.read_text(encoding="utf-8")


def test_parser_version_is_recorded_text():
    assert isinstance(PARSER_VERSION, str) and PARSER_VERSION


def test_cable_detected_by_content_not_extension(tmp_path: Path):
    path = tmp_path / "notes.md"
    path.write_text(SEED_TEXT, encoding="utf-8")
    [doc] = parse_file(path)
    assert doc.kind == "cable" and doc.doc_id == "06PHNOMPENH657"  # ID from the text, not the name


def test_plain_text_paragraphs_and_title(tmp_path: Path):
    path = tmp_path / "memo.txt"
    path.write_text("Budget memo\n\nFirst paragraph\nwraps here.\n\n\nSecond paragraph.\n", encoding="utf-8")
    [doc] = parse_file(path)
    assert (doc.kind, doc.doc_id, doc.title) == ("text", "memo", "Budget memo")
    assert [(p.n, p.text) for p in doc.paragraphs] == [
        (1, "Budget memo"), (2, "First paragraph wraps here."), (3, "Second paragraph.")]


def test_markdown_headings_become_sections(tmp_path: Path):
    path = tmp_path / "guide.md"
    path.write_text("# Guide\n\nIntro text.\n\n## Install\n\nRun make.\n", encoding="utf-8")
    [doc] = parse_file(path)
    assert doc.title == "Guide"
    assert [(p.n, p.text, p.section) for p in doc.paragraphs] == [
        (1, "Intro text.", "Guide"), (2, "Run make.", "Install")]


def test_jsonl_lines_with_metadata_and_bad_lines(tmp_path: Path):
    path = tmp_path / "docs.jsonl"
    lines = [json.dumps({"id": "a1", "text": "Hello.\n\nWorld.", "author": "me"}), "{not json",
             json.dumps({"id": "seed", "text": SEED_TEXT, "origin": "Embassy Phnom Penh",
                         "released": "2011"}),
             json.dumps({"id": "x"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = load_file(path)
    docs = [i for i in items if isinstance(i, Document)]
    failures = [i for i in items if isinstance(i, LoadFailure)]
    assert [d.doc_id for d in docs] == ["a1", "seed"]
    assert docs[0].kind == "jsonl" and docs[0].metadata["author"] == "me" and len(docs[0].paragraphs) == 2
    assert docs[1].kind == "cable" and docs[1].metadata["released"] == "2011"
    assert [p.n for p in docs[1].paragraphs] == list(range(1, 15))
    assert [f.source.rsplit(":", 1)[1] for f in failures] == ["2", "4"]
    assert "not valid JSON" in failures[0].reason and "text" in failures[1].reason


def test_jsonl_gz(tmp_path: Path):
    path = tmp_path / "docs.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "z", "text": "Zipped."}) + "\n")
    [doc] = parse_file(path)
    assert doc.doc_id == "z" and doc.paragraphs[0].text == "Zipped."


def test_cables_csv_layout(tmp_path: Path):
    header, _, body = SEED_TEXT.strip().partition("\n\nUNCLAS")
    path = tmp_path / "cables.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["1", "4/7/2006 3:49", "06PHNOMPENH657", "Embassy Phnom Penh",
                                     "UNCLASSIFIED", "", header.strip(), "UNCLAS" + body])
        handle.write("2,short row\n")
    items = load_file(path)
    doc, failure = items
    assert doc.doc_id == "06PHNOMPENH657" and doc.metadata["release_id"] == "1"
    assert doc.metadata["created"] == "2006-04-07T03:49:00Z"
    assert doc.metadata["origin"] == "Embassy Phnom Penh"
    assert [p.n for p in doc.paragraphs] == list(range(1, 15))
    assert isinstance(failure, LoadFailure) and "columns" in failure.reason


def test_windows_1252_text_is_decoded_with_a_warning(tmp_path: Path):
    path = tmp_path / "old.txt"
    text = "Caf\u00e9 r\u00e9sum\u00e9 \u2013 na\u00efve co\u00f6perate.\n\nSecond."
    path.write_bytes(text.encode("cp1252"))
    [doc] = parse_file(path)
    assert doc.paragraphs[0].text.startswith("Café résumé")
    assert any("not valid UTF-8" in w for w in doc.warnings)


def test_utf16_with_bom(tmp_path: Path):
    path = tmp_path / "wide.txt"
    path.write_bytes("Wide text.".encode("utf-16"))
    [doc] = parse_file(path)
    assert doc.paragraphs[0].text == "Wide text."


def test_binary_empty_huge_and_missing(tmp_path: Path):
    (tmp_path / "bin.txt").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    (tmp_path / "empty.txt").write_bytes(b"  \n")
    (tmp_path / "big.txt").write_text("x" * 2000, encoding="utf-8")
    assert "binary" in parse_file(tmp_path / "bin.txt").reason
    assert "empty" in parse_file(tmp_path / "empty.txt").reason
    big = parse_file(tmp_path / "big.txt", max_bytes=1000)
    assert isinstance(big, LoadFailure) and "limit" in big.reason and "max_file_mb" in big.reason
    [missing] = list(iter_documents([tmp_path / "nope.txt"]))
    assert isinstance(missing, LoadFailure) and "no such file" in missing.reason


def test_folder_walk_is_sorted_recursive_and_skips(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("Two.", encoding="utf-8")
    (tmp_path / "a.md").write_text("One.", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("Hidden.", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("Git.", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    skipped: list[tuple[str, str]] = []
    docs = list(iter_documents([tmp_path], skipped=skipped))
    assert [d.doc_id for d in docs] == ["a", "two"]
    assert sorted(Path(p).name for p, _ in skipped) == [".hidden.txt", "image.png"]
    files, missing = discover_files([tmp_path, tmp_path / "gone"])
    assert [f.name for f in files] == ["a.md", "two.txt"] and missing[0].reason == "no such file or folder"


def test_upload_bytes():
    doc = read_text_file(SEED_TEXT.encode("utf-8"), "06PHNOMPENH657.txt")
    assert isinstance(doc, Document) and doc.kind == "cable"
    assert isinstance(read_text_file(b"", "x.txt"), LoadFailure)


def test_parse_text_without_text():
    doc = parse_text("\n \n", "blank.txt", "blank")
    assert doc.paragraphs == [] and doc.warnings == ["no text found"]


def test_cli_parse_json_and_exit_codes(tmp_path: Path, capsys):
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02")
    assert main(["parse", "--json", str(SEED)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    record = json.loads(out[0])
    assert record["doc_id"] == "06PHNOMPENH657" and record["paragraphs"][4]["n"] == 5
    assert set(record) >= {"doc_id", "source", "metadata", "paragraphs", "warnings"}
    assert main(["parse", str(SEED), str(tmp_path / "bad.txt")]) == 1
    captured = capsys.readouterr()
    assert "06PHNOMPENH657" in captured.out and "¶5" in captured.out
    assert "bad.txt: the file is binary" in captured.err


@needs_shared()
def test_real_corpus_files_load_as_cables():
    paths = sorted(CABLES.glob("*.txt"))[:200]
    docs = [parse_file(p) for p in paths]
    assert all(isinstance(d, list) and d[0].kind == "cable" for d in docs)
    assert sum(d[0].doc_id == p.stem for d, p in zip(docs, paths, strict=True)) == len(paths)


@pytest.mark.parametrize(("data", "encoding", "expected"), [
    ("El señor Pérez llegó a la reunión.".encode("latin-1"), "cp1252", "El señor Pérez llegó a la reunión."),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy.".encode("cp1250"), "cp1250", "Příliš žluťoučký kůň"),
    ("Привет, как дела? Это текст на русском языке.".encode("cp1251"), "cp1251", "Привет, как дела?"),
    (("Ça va très bien. Les élèves sont là. " * 3).encode("utf-8") + b"\xff", "utf-8", "Ça va très bien."),
    ("UTF-16 with no byte-order mark at all.".encode("utf-16-le"), "utf-16-le", "UTF-16 with no byte-order"),
    ("UTF-16 with no byte-order mark at all.".encode("utf-16-be"), "utf-16-be", "UTF-16 with no byte-order"),
])
def test_encodings_are_read_as_written(data: bytes, encoding: str, expected: str) -> None:
    """Latin-1 is not guessed as cp1250, UTF-8 with one bad byte stays UTF-8, UTF-16 needs no BOM."""
    decoded = decode_bytes(data)
    assert (decoded.encoding, decoded.text.startswith(expected)) == (encoding, True), decoded
    assert decoded.warning  # the user is told it was not plain UTF-8


def test_a_newline_in_a_file_name_stays_out_of_the_id(tmp_path: Path) -> None:
    path = tmp_path / "notes\nfrom\tMadrid.txt"
    path.write_text("A paragraph about Madrid.\n")
    (doc,) = load_file(path)
    assert doc.doc_id == "notes from Madrid" and doc.doc_id.isprintable()
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "a\nb", "text": "Some text."}) + "\n")
    assert [d.doc_id for d in load_file(rows)] == ["a b"]
