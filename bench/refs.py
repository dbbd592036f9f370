"""REF chains over the 6,712 shared cables: REF items found, the share resolved to a reference ID, and
the share of those that name a cable in the corpus; plus a fixed random sample of resolutions for the
hand check (``eval/refs-handcheck.jsonl`` holds the verdicts; this script reports their error rate).

    .venv/bin/python bench/refs.py [--out bench/results/refs.json] [--sample 50]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from injection import cpu_flags

from qa.corpus.refs import resolve_refs
from qa.parse.loaders import iter_documents

ROOT = Path(__file__).resolve().parents[1]
CABLES = ROOT.parent / "shared" / "corpus" / "cables"
CHECKS = ROOT / "eval" / "refs-handcheck.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "refs.json")
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--write-sample", type=Path, help="write the sample to check (no verdicts) to this file")
    args = ap.parse_args()
    started = time.perf_counter()
    links = []
    ids = set()
    created: dict[str, str] = {}
    cables = with_refs = 0
    for doc in iter_documents([CABLES]):
        if getattr(doc, "kind", None) != "cable":
            continue
        cables += 1
        ids.add(doc.doc_id)
        if doc.metadata.get("created"):
            created[doc.doc_id] = doc.metadata["created"]
        refs = doc.metadata.get("refs") or []
        with_refs += bool(refs)
        links += [(doc.doc_id, link) for link in resolve_refs(refs, doc.doc_id, doc.metadata.get("created"))]
    items = {(d, link.order) for d, link in links}
    resolved_items = {(d, link.order) for d, link in links if link.ref_id}
    resolved = [(d, link) for d, link in links if link.ref_id]
    present = [(d, link) for d, link in resolved if link.ref_id in ids]
    # A cable cannot cite one sent after it: a later-dated target means the year (or the ID) is wrong.
    dated = [(d, link) for d, link in present if d in created and link.ref_id in created]
    later = [(d, link) for d, link in dated if created[link.ref_id][:10] > created[d][:10]]
    rng = random.Random(12)
    sample = rng.sample(resolved, min(args.sample, len(resolved)))
    sample_rows = [{"citing": d, "item": link.item, "ref_id": link.ref_id} for d, link in sample]
    if args.write_sample:
        args.write_sample.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample_rows))
    checked = [json.loads(line) for line in CHECKS.read_text().splitlines() if line.strip()] if CHECKS.exists() else []
    wrong = [c for c in checked if not c.get("correct")]
    out = {
        "cpu_flags": cpu_flags(),
        "cables": cables,
        "cables_with_refs": with_refs,
        "ref_items": len(items),
        "items_resolved": len(resolved_items),
        "share_items_resolved": round(len(resolved_items) / max(len(items), 1), 4),
        "ids_named": len(resolved),
        "ids_in_corpus": len(present),
        "share_ids_in_corpus": round(len(present) / max(len(resolved), 1), 4),
        "in_corpus_both_dated": len(dated),
        "in_corpus_cited_cable_later_than_citing": len(later),
        "later_examples": [{"citing": d, "item": link.item, "ref_id": link.ref_id} for d, link in later[:20]],
        "unresolved_examples": [link.item for _, link in links if not link.ref_id][:25],
        "hand_checked": len(checked),
        "hand_checked_wrong": len(wrong),
        "hand_check_error_rate": round(len(wrong) / len(checked), 4) if checked else None,
        "hand_check_wrong_cases": wrong,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    listed = ("unresolved_examples", "hand_check_wrong_cases", "later_examples")
    print(json.dumps({k: v for k, v in out.items() if k not in listed}, indent=2))


if __name__ == "__main__":
    main()
