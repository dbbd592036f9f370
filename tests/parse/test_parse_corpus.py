"""Acceptance: all 6,712 shared cables against the viewer's metadata in cables.jsonl.gz.

One parse of the corpus feeds every measure; the figures and the mismatch lists go to
``tests/artifacts/parse_corpus.txt`` (and .json) so a person can judge them, and each assertion
message carries its figure. The viewer's own metadata has known faults, counted apart and listed:
its SUBJECT keeps only the first line of a wrapped subject (sometimes with a trailing ``\\`` or the
REF line run on), and its TAGS are empty when the TAGS line does not start a line, and cut tags
longer than six letters into pieces (``INTERPOL`` -> ``INTERP``, ``OL``).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache

import pytest
from conftest import CABLES, ROOT, SHARED, needs_shared

from qa.parse.cable import parse_cable
from qa.parse.loaders import load_file

pytestmark = [needs_shared(), pytest.mark.slow]

ARTIFACTS = ROOT / "tests" / "artifacts"
DTG_LINE = re.compile(r"^[ \t]*(?:[ZOPR] +){1,3}\d{6}Z ?[A-Z]{3} ?\d{2}\b", re.M)
PILCROW = re.compile(r"^[ \t]*¶(\d+)", re.M)
TAGS_ANYWHERE = re.compile(r"\bTAGS?\b:?[ \t]+[A-Z]")
# A line of running prose (eight words in lower case) is body text, never header: a cable holding one
# must not end up with no paragraph.
PROSE_WORD = re.compile(r"\b[a-z]{3,}\b")
# What must never be paragraph text.
NOT_TEXT = {
    "TAGS line": re.compile(r"^[ \t]*TAGS?\b[: ]|\bTAGS: [A-Z]{4} [A-Z]{2,4}\b", re.M),
    "SUBJECT line": re.compile(r"^[ \t]*SUBJECT[ \t]*:|\bSUBJECT: [A-Z]{2,}[ A-Z]+$", re.M),
    "page break": re.compile(r"\b\d{4,8}[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}\b"),
    "E.O. line": re.compile(r"\bE\.[ ]?O\.[ ]?1[23]\d{3}:? ?(?:DECL|N/A)", re.I),
    "section header": re.compile(r"\bSECTION \d+ OF \d+\b"),
    "routing header": re.compile(
        r"^[ \t]*(?:VZCZC|ZNY |ZNR |DE RUE|FM (?:AMEMBASSY|SECSTATE|AMCONSUL))", re.M),
    "old page header": re.compile(r"PAGE \d\d\s+[A-Z ]+\d+\s+\d\d OF \d\d"),
}


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _chunked(tags: list[str]) -> list[str]:
    """The viewer's tag splitting: on punctuation, then into pieces of at most six letters."""
    out = []
    for tag in tags:
        for part in re.split(r"[^A-Z0-9]+", tag):
            out.extend(part[i:i + 6] for i in range(0, len(part), 6))
    return [t for t in out if t]


def _numbering(markers: list[int]) -> list[int]:
    """The longest run of the viewer's ¶ markers that reads as a paragraph numbering (starts at 40 or
    below, rises by 1 to 30 at a step): stray ¶ markers on years or list items drop out."""
    best: list[list[int]] = []
    for i, x in enumerate(markers):
        options = [best[j] + [x] for j in range(i) if best[j] and 0 < x - best[j][-1] <= 30]
        if x <= 40:
            options.append([x])
        best.append(max(options, key=len) if options else [])
    return max(best, key=len) if best else []


def _is_subsequence(short: list[int], long: list[int]) -> bool:
    it = iter(long)
    return all(x in it for x in short)


def _subject_quirk(truth: str, ours: str) -> bool:
    """The viewer's subject is our subject cut at the first line break, or has the next line run on."""
    truth = truth.rstrip("\\ ").removeprefix("SUBJECT: ")
    if truth and ours.startswith(truth):
        return True
    rest = truth[len(ours):] if ours and truth.startswith(ours) else None
    run_on = r"\s*(?:REF|Ref|Classified|CLASSIFIED|[A-Z ]+ \d{5,8} \d{3})"
    return rest is not None and bool(re.match(run_on, rest))


@cache
def measure() -> dict:
    with gzip.open(SHARED / "corpus" / "cables.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    n = len(rows)
    counts = dict.fromkeys(
        ["id_text", "id_file", "dtg", "created", "subject", "subject_quirk", "tags", "tags_quirk",
         "pilcrow", "paragraphs", "n_paragraphs_sanity", "no_paragraph"], 0)
    kinds = ("id", "created", "subject", "tags", "paragraphs", "failures", "body_lost")
    mismatches: dict[str, list] = {k: [] for k in kinds}
    for row in rows:
        truth_id, text = row["id"], row["text"]
        doc = parse_cable(text, f"{truth_id}.txt")  # the text alone, no file name to lean on
        loaded = load_file(CABLES / f"{truth_id}.txt")
        product = loaded[0] if loaded else None
        if getattr(product, "kind", None) != "cable":
            mismatches["failures"].append([truth_id, str(product)])
        elif product.doc_id == truth_id:
            counts["id_file"] += 1
        meta = doc.metadata
        if doc.doc_id == truth_id:
            counts["id_text"] += 1
        else:
            mismatches["id"].append([truth_id, doc.doc_id])
        if DTG_LINE.search(text):
            counts["dtg"] += 1
            if meta["created"] and meta["created"][:13].replace("T", " ") == row["created"][:13]:
                counts["created"] += 1
            else:
                mismatches["created"].append([truth_id, row["created"], meta["created"]])
        truth_subject, subject = _norm(row["subject"]), _norm(meta["subject"])
        if truth_subject == subject:
            counts["subject"] += 1
        elif _subject_quirk(truth_subject, subject):
            counts["subject_quirk"] += 1
        else:
            mismatches["subject"].append([truth_id, row["subject"], meta["subject"]])
        if meta["tags"] == row["tags"]:
            counts["tags"] += 1
        elif (not row["tags"] and TAGS_ANYWHERE.search(text)) or _chunked(meta["tags"]) == row["tags"]:
            counts["tags_quirk"] += 1
            mismatches["tags"].append([truth_id, row["tags"], meta["tags"], "viewer fault"])
        else:
            mismatches["tags"].append([truth_id, row["tags"], meta["tags"], "mismatch"])
        if not doc.paragraphs:
            counts["no_paragraph"] += 1
            prose = [line for line in text.splitlines() if len(PROSE_WORD.findall(line)) >= 8]
            if prose:
                mismatches["body_lost"].append([truth_id, prose[0][:200]])
        markers = [int(x) for x in PILCROW.findall(text)]
        counts["n_paragraphs_sanity"] += len(markers) == row["n_paragraphs"]
        if markers:
            counts["pilcrow"] += 1
            numbers = [p.n for p in doc.paragraphs]
            expected = _numbering(markers)
            rising = all(a <= b for a, b in zip(numbers, numbers[1:], strict=False))
            in_order = _is_subsequence(expected, numbers) and rising
            dirty = [[p.n, what] for p in doc.paragraphs for what, rx in NOT_TEXT.items()
                     if rx.search(p.text)]
            if in_order and not dirty:
                counts["paragraphs"] += 1
            else:
                mismatches["paragraphs"].append([truth_id, expected, numbers, dirty[:3]])
    rates = {
        "reference ID from the text alone": counts["id_text"] / n,
        "reference ID as loaded from the file (file name fills a missing year)": counts["id_file"] / n,
        "created date+hour, cables with a DTG": counts["created"] / counts["dtg"],
        "SUBJECT exactly": counts["subject"] / n,
        "SUBJECT allowing the viewer's first-line cut": (counts["subject"] + counts["subject_quirk"]) / n,
        "TAGS exactly": counts["tags"] / n,
        "TAGS allowing the viewer's listed faults": (counts["tags"] + counts["tags_quirk"]) / n,
        "paragraph numbers and clean text, cables with ¶ markers": counts["paragraphs"] / counts["pilcrow"],
    }
    result = {"cables": n, "counts": counts, "rates": rates, "mismatches": mismatches}
    _write_report(result)
    return result


def _write_report(result: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "parse_corpus.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), "utf-8")
    lines = [f"{result['cables']} cables"]
    lines += [f"{rate:8.2%}  {name}" for name, rate in result["rates"].items()]
    for kind, items in result["mismatches"].items():
        lines.append(f"\n== {kind} mismatches ({len(items)}) ==")
        lines += [json.dumps(item, ensure_ascii=False)[:400] for item in items]
    report = "\n".join(lines)
    (ARTIFACTS / "parse_corpus.txt").write_text(report, "utf-8")
    print(report[:4000])


def _check(name: str, threshold: float) -> None:
    result = measure()
    rate = result["rates"][name]
    summary = "; ".join(f"{k}: {v:.2%}" for k, v in result["rates"].items())
    where = "see tests/artifacts/parse_corpus.txt"
    assert rate >= threshold, f"{name}: {rate:.2%} < {threshold:.0%} ({where}). {summary}"


def test_reference_ids():
    _check("reference ID from the text alone", 0.99)
    _check("reference ID as loaded from the file (file name fills a missing year)", 0.99)
    assert not measure()["mismatches"]["failures"]


def test_created_from_dtg():
    _check("created date+hour, cables with a DTG", 0.98)


def test_subject():
    _check("SUBJECT allowing the viewer's first-line cut", 0.97)


def test_tags():
    _check("TAGS allowing the viewer's listed faults", 0.95)
    _check("TAGS exactly", 0.93)


def test_paragraph_numbers_and_clean_text():
    _check("paragraph numbers and clean text, cables with ¶ markers", 0.99)


def test_viewer_paragraph_count_is_the_pilcrow_count():
    """Sanity check on the measure itself: the viewer's n_paragraphs counts line-start ¶ markers."""
    result = measure()
    assert result["counts"]["n_paragraphs_sanity"] == result["cables"]


def test_no_cable_with_body_text_ends_with_no_paragraph():
    result = measure()
    lost = result["mismatches"]["body_lost"]
    empty = result["counts"]["no_paragraph"]
    assert lost == [], f"{len(lost)} of {empty} cables with no paragraph hold prose: {lost[:5]}"


def test_report_written():
    measure()
    assert (ARTIFACTS / "parse_corpus.txt").read_text("utf-8").startswith(f"{measure()['cables']} cables")
