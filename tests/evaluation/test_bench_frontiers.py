"""``bench/frontiers.py``: issue 11's designs compared at the same coverage, from their frontier files."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import load_script

bench = load_script("bench/frontiers.py")


def replay_point(answered: int, gold: int, refused: int) -> dict:
    return {"t_check": 0.5, "t_extract": 0.9, "answered": answered, "answerable": 112, "cites_gold": gold,
            "right": gold, "unanswerable_refused": refused, "unanswerable": 48}


def test_best_point_prefers_one_that_refuses_enough_and_a_wrong_answer_lowers_it() -> None:
    rows = bench.points({"frontier": [replay_point(40, 38, 40), replay_point(41, 37, 45)]}, "replay")
    best = bench.best_at(rows, 40)
    assert best["answered"] == 41 and abs(best["precision"] - 37 / 41) < 1e-9  # 45 of 48 refused: kept
    worse = bench.points({"frontier": [replay_point(41, 36, 45)]}, "replay")
    assert bench.best_at(worse, 40)["precision"] < best["precision"]
    assert bench.best_at(rows, 50) is None  # no point answers that many


def test_verifier_frontier_reads_its_stricter_precision() -> None:
    point = {"support": 0.5, "answer": 0.4, "cables": {"answerable": 112, "answered": 50, "good": 39,
                                                       "wrong_unanswerable": 15, "unanswerable": 48}}
    point["cables"]["good_when_answered"] = 39 / 50
    (row,) = bench.points({"frontier": [point]}, "verifier")
    assert row["precision"] == 0.78 and abs(row["refused"] - 33 / 48) < 1e-9


def test_the_committed_report_covers_every_design() -> None:
    report = json.loads((Path(bench.__file__).parents[1] / "bench/results/frontiers_11.json").read_text())
    assert set(report["designs"]) == {name for name, _, _ in bench.DESIGNS}
    for design in report["designs"].values():
        assert design["frontier"] and all(0 <= r["refused"] <= 1 for r in design["frontier"])
