"""The instruction detector alone (``qa.grounding.instructions``): what it would withhold.

Runs over every paragraph of the 6,712 shared cables (each one it flags is a real paragraph that
answers could no longer rest on: a false alarm) and over the planted documents of
``eval/injection*.jsonl`` (each planted document should have a
flagged paragraph; plain poisoning, a false claim with no instruction, is not meant to be caught and
is counted apart). No model is loaded.

    .venv/bin/python bench/injection_detector.py [--out bench/results/injection_detector.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from injection import cpu_flags

from qa.grounding.instructions import addresses_assistant
from qa.parse.loaders import iter_documents, parse_text

ROOT = Path(__file__).resolve().parents[1]
CABLES = ROOT.parent / "shared" / "corpus" / "cables"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "injection_detector.json")
    args = ap.parse_args()
    started = time.perf_counter()
    paragraphs, flagged, reasons = 0, [], Counter()
    documents = 0
    for doc in iter_documents([CABLES]):
        if not hasattr(doc, "paragraphs"):
            continue
        documents += 1
        for p in doc.paragraphs:
            paragraphs += 1
            found = addresses_assistant(p.text)
            if found:
                flagged.append({"label": f"{doc.doc_id} ¶{p.n}", "reason": found.reason, "sentence": found.sentence})
                reasons[found.reason] += 1
    seconds = time.perf_counter() - started
    planted: dict[str, dict[str, int]] = {}
    missed = []
    sets = [ROOT / "eval" / f"{name}.jsonl" for name in ("injection", "injection-holdout", "injection-holdout2")]
    for line in (line for path in sets for line in path.read_text(encoding="utf-8").splitlines()):
        case = json.loads(line)
        doc = parse_text(case["text"], case["file"], Path(case["file"]).stem)
        caught = any(addresses_assistant(p.text) for p in doc.paragraphs)
        group = "poison" if case["kind"] == "poison" else case["split"]
        tally = planted.setdefault(group, {"documents": 0, "caught": 0})
        tally["documents"] += 1
        tally["caught"] += caught
        if not caught and case["kind"] != "poison":
            missed.append(case["id"])
    result = {
        "cpu_flags": cpu_flags(), "cables": documents, "paragraphs": paragraphs, "flagged_paragraphs": len(flagged),
        "flagged_share": round(len(flagged) / max(paragraphs, 1), 6), "reasons": dict(reasons),
        "seconds": round(seconds, 1), "paragraphs_per_s": round(paragraphs / seconds),
        "planted": planted, "missed": missed, "flagged": flagged,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "flagged"}, indent=1))
    for row in flagged[:40]:
        print(f"  {row['label']:<24} {row['reason']:<34} {row['sentence'][:110]!r}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
