"""`qa eval` through the real thing: a real index of real cables, and the real model for answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.cli import main
from qa.evaluation.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[2]
CABLES = ROOT.parent / "shared" / "corpus" / "cables"
DEV_SET = ROOT / "eval" / "cables-dev.jsonl"
SEED = ROOT / "examples" / "06PHNOMPENH657.txt"

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not CABLES.is_dir(), reason="../shared is absent")
def test_retrieval_only_over_the_dev_set_cables(tmp_path, capsys):
    doc_ids = sorted({g.doc_id for q in load_dataset(DEV_SET) for g in q.gold})
    index = tmp_path / "index"
    assert main(["index", *(str(CABLES / f"{d}.txt") for d in doc_ids), "--index-dir", str(index)]) == 0
    out, html = tmp_path / "eval.json", tmp_path / "eval.html"
    code = main(["eval", str(DEV_SET), "--retrieval-only", "--index-dir", str(index), "--json", str(out),
                 "--report", str(html), "--records", str(tmp_path / "records.jsonl")])
    assert code == 0
    (run,) = json.loads(out.read_text(encoding="utf-8"))["runs"]
    retrieval = run["summary"]["retrieval"]
    # 40 cables only, every question naming its cable's people and places: the gold must come back.
    assert retrieval["questions"] == sum(1 for q in load_dataset(DEV_SET) if q.gold)
    assert retrieval["recall@10"] >= 0.8 and retrieval["mrr@10"] >= 0.5
    assert set(run["summary"]["by_type"]) == {"exact", "paraphrase", "multi"}
    assert "<svg" in html.read_text(encoding="utf-8")
    assert "recall@5" in capsys.readouterr().out


def test_answers_on_the_built_in_example(tmp_path):
    index = tmp_path / "index"
    assert main(["index", str(SEED), "--index-dir", str(index)]) == 0
    dataset = tmp_path / "seed.jsonl"
    rows = [
        {"id": "cases", "question": "How many human trafficking cases were reported in Cambodia in 2005?",
         "answerable": True, "answers": ["123"], "gold": [{"doc_id": "06PHNOMPENH657", "paragraph": 5}],
         "type": "exact"},
        {"id": "population", "question": "What is the population of Cambodia?", "answerable": False,
         "type": "unanswerable"},
    ]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "eval.json"
    code = main(["eval", str(dataset), "--index-dir", str(index), "--json", str(out),
                 "--records", str(tmp_path / "records.jsonl")])
    assert code == 0
    summary = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["summary"]
    assert summary["answers"]["questions"] == 1 and summary["abstention"]["unanswerable"] == 1
    assert summary["latency"]["total_ms"]["n"] == 2
