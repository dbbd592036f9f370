"""Replay the answer pipeline's last two gates at other thresholds, from one evaluation run's records.

The check gate (the model's accepted answer needs a check score of at least ``t_check``) and the quote
gate (when the answer is refused, the first candidate sentence whose score reaches ``t_extract`` is
quoted) are the pipeline's last decisions. A ``qa eval`` run with both thresholds above 1 refuses
everything at those gates, so its records (``KEPT_DIAGNOSTICS``) hold every score either gate would
read: the checked answer's and each quote candidate's, as P(Yes) and, with ``answer.check_probe``,
as the probe's. Replaying them at any (t_check, t_extract) gives what that run would have answered.

    .venv/bin/python bench/replay_thresholds.py RECORDS.jsonl [--score probe|yes] [--out FILE]

Prints the precision-coverage frontier and the operating point chosen by the rule below, declared
before any held-out run: the most answerable questions answered while at least ``--precision`` of the
answers cite a gold paragraph and at least ``--abstain`` of the unanswerable questions are refused
(ties: the higher thresholds).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from qa.cores import cpu_flags
from qa.evaluation.metrics import containment

GRID = [round(x, 3) for x in np.arange(0.05, 1.0, 0.05)] + [1.01]


def _label(text: str) -> tuple[str, int]:
    doc_id, _, n = text.rpartition(" ¶")
    return doc_id, int(n)


def outcome(record: dict, score: str, t_check: float, t_extract: float) -> dict | None:
    """What the replayed pipeline says to one question: None (abstains) or the answer's text and
    citations."""
    answer = record["answer"] or {}
    diag = answer.get("diagnostics", {})
    if not answer.get("abstained", True) and "checked" not in diag and not diag.get("extracted"):
        return {"text": answer["text"], "cited": [(c["doc_id"], c["paragraph"]) for c in answer["citations"]]}
    checked = diag.get("checked")
    if checked and checked.get(score) is not None and checked[score] >= t_check:
        return {"text": checked["text"], "cited": [_label(c) for c in checked["citations"]]}
    for tried in diag.get("extract_candidates", []):
        value = tried.get(score)
        if not tried.get("problem") and value is not None and value >= t_extract:
            return {"text": tried["sentence"], "cited": [(tried["doc_id"], tried["paragraph"])]}
    return None


def tally(records: list[dict], score: str, t_check: float, t_extract: float) -> dict:
    """The figures ``qa eval`` reports, for the replayed answers."""
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    answered = cites = right = 0
    for r in answerable:
        said = outcome(r, score, t_check, t_extract)
        if said is None:
            continue
        answered += 1
        gold = {(g["doc_id"], g["paragraph"]) for g in r["gold"]}
        cites += bool(gold & set(map(tuple, said["cited"])))
        right += containment(said["text"], r["answers"]) > 0
    refused = sum(outcome(r, score, t_check, t_extract) is None for r in unanswerable)
    return {"t_check": t_check, "t_extract": t_extract, "answered": answered, "answerable": len(answerable),
            "cites_gold": cites, "right": right, "unanswerable_refused": refused,
            "unanswerable": len(unanswerable)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("records", type=Path, help="qa eval records of a run with both gate thresholds above 1")
    ap.add_argument("--score", choices=("probe", "yes"), default="probe")
    ap.add_argument("--precision", type=float, default=0.95, help="answers citing gold, at least")
    ap.add_argument("--abstain", type=float, default=0.90, help="unanswerable questions refused, at least")
    ap.add_argument("--at", nargs=2, type=float, metavar=("T_CHECK", "T_EXTRACT"),
                    help="also report these thresholds (an operating point chosen on another run)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    records = [json.loads(line) for line in args.records.read_text(encoding="utf-8").splitlines() if line]
    grid = [tally(records, args.score, tc, te) for tc in GRID for te in GRID]

    def feasible(c: dict) -> bool:
        return (c["cites_gold"] >= args.precision * c["answered"]
                and c["unanswerable_refused"] >= args.abstain * c["unanswerable"])

    chosen = max((c for c in grid if feasible(c)), default=None,
                 key=lambda c: (c["answered"], c["t_check"] + c["t_extract"]))
    best: dict[int, dict] = {}  # per number answered: the most citing gold, then the most refused
    for c in grid:
        held = best.get(c["answered"])
        if held is None or (c["cites_gold"], c["unanswerable_refused"]) > (held["cites_gold"],
                                                                          held["unanswerable_refused"]):
            best[c["answered"]] = c
    frontier = list(best.values())
    report = {"records": str(args.records), "score": args.score, "cpu_flags": cpu_flags(),
              "rule": {"precision": args.precision, "abstain": args.abstain}, "chosen": chosen,
              "at": tally(records, args.score, *args.at) if args.at else None,
              "frontier": sorted(frontier, key=lambda c: c["answered"])}
    for c in report["frontier"]:
        print(f"  t_check {c['t_check']:.2f} t_extract {c['t_extract']:.2f}: answered {c['answered']}/"
              f"{c['answerable']}, cites gold {c['cites_gold']}, right {c['right']}, unanswerable refused "
              f"{c['unanswerable_refused']}/{c['unanswerable']}")
    print("chosen:", json.dumps(chosen))
    if args.at:
        print("at", args.at, ":", json.dumps(report["at"]))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if chosen is None:
        sys.exit(1)


if __name__ == "__main__":
    main()
