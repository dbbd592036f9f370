"""Issue 11's designs side by side: each one's precision-coverage curve on the held-out cable test set.

Every design was measured on ``eval/cables-test.jsonl`` (112 answerable, 48 unanswerable) by its own
script, which wrote its whole frontier (the best precision for each number of answers given) to
``bench/results``. This reads those files and reports each design at the same coverage levels, so
that they can be compared where the issue's targets are set (at least 80% of answerable questions
answered, 95% citing gold, 90% of unanswerable ones refused). Nothing is rerun.

    .venv/bin/python bench/frontiers.py [--out bench/results/frontiers_11.json]

Precision is what each source file measures: for the gate replays (``bench/replay_thresholds.py``)
the share of answers that cite a gold paragraph; for the learned verifier (``train/verifier.py
report``) the stricter share of answers that cite gold *and* contain a reference answer. Points
whose refusal of unanswerable questions is under the target are reported, and marked.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qa.cores import cpu_flags

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# (name, file, kind): every design tried for issue 11 whose run kept a frontier on the test set
DESIGNS = [
    ("round-1 rules, check gate P(Yes) (the default)", "replay_cables_test_yes.json", "replay"),
    ("round-1 rules, check gate a hidden-state probe", "replay_cables_test_probe.json", "replay"),
    ("learned verifier in place of the rules", "verifier_cables_test.json", "verifier"),
]
LEVELS = (20, 30, 36, 40, 50, 60, 70, 90)  # answers given to the 112 answerable; 90 is the 80% target
TARGET = {"cites_gold": 0.95, "refused": 0.90}


def points(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The frontier as (answered, answerable, precision, refused share, where) rows."""
    out = []
    for p in data["frontier"]:
        if kind == "replay":
            out.append({"answered": p["answered"], "answerable": p["answerable"],
                        "precision": p["cites_gold"] / p["answered"] if p["answered"] else None,
                        "refused": p["unanswerable_refused"] / p["unanswerable"],
                        "at": {"t_check": p["t_check"], "t_extract": p["t_extract"]}})
        else:
            c = p["cables"]
            out.append({"answered": c["answered"], "answerable": c["answerable"],
                        "precision": c["good_when_answered"],
                        "refused": 1 - c["wrong_unanswerable"] / c["unanswerable"],
                        "at": {"support": p["support"], "answer": p["answer"]}})
    return out


def best_at(rows: list[dict[str, Any]], level: int) -> dict[str, Any] | None:
    """The most precise point answering at least ``level`` answerable questions, among those that
    refuse enough unanswerable ones when there are any."""
    ok = [r for r in rows if r["answered"] >= level and r["precision"] is not None]
    return max(ok, key=lambda r: (r["refused"] >= TARGET["refused"], r["precision"], r["refused"]), default=None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESULTS / "frontiers_11.json")
    args = ap.parse_args()
    report: dict[str, Any] = {"set": "eval/cables-test.jsonl", "levels": list(LEVELS), "target": TARGET,
                              "cpu_flags_of_runs": {}, "designs": {}, "cpu_flags": cpu_flags()}
    print(f"{'design':50} " + " ".join(f"{'>=' + str(n):>13}" for n in LEVELS))
    for name, file, kind in DESIGNS:
        data = json.loads((RESULTS / file).read_text(encoding="utf-8"))
        report["cpu_flags_of_runs"][file] = data.get("cpu_flags")
        rows = points(data, kind)
        at = {n: best_at(rows, n) for n in LEVELS}
        report["designs"][name] = {"file": file, "precision": "cites gold" if kind == "replay"
                                   else "cites gold and right", "frontier": rows,
                                   "best_at": {str(n): p for n, p in at.items()}}
        cells = []
        for n in LEVELS:
            p = at[n]
            if p is None:
                cells.append(f"{'-':>13}")
                continue
            mark = "" if p["refused"] >= TARGET["refused"] else "*"
            cells.append(f"{p['precision']:>7.1%} {p['refused']:>5.1%}{mark}".rjust(13))
        print(f"{name[:50]:50} " + " ".join(cells))
    print("cells: precision of the best point answering at least that many of 112, then the share of the "
          "48 unanswerable refused (* under the 90% target)")
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
