"""The cable dev set: every gold quote lies in its paragraph as the real parser numbers it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from scripts import load_script

from qa.evaluation.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[2]
CABLES = ROOT.parent / "shared" / "corpus" / "cables"
DEV_SET = ROOT / "eval" / "cables-dev.jsonl"


def load_checker():
    return load_script("eval/check_gold.py")


def test_dev_set_has_the_promised_mix():
    questions = load_dataset(DEV_SET)
    types = Counter(q.type for q in questions)
    assert len(questions) >= 60
    assert types["unanswerable"] >= 15 and types["paraphrase"] and types["exact"] and types["multi"]
    for q in questions:
        if q.type == "unanswerable":
            assert not q.answerable and not q.answers
        else:
            assert q.answerable and q.answers and q.gold
            assert all(g.paragraph is not None and g.quote for g in q.gold)
        if q.type == "multi":
            assert len(q.gold) == 2
    assert len({g.doc_id for q in questions for g in q.gold}) >= 30


@pytest.mark.skipif(not CABLES.is_dir(), reason="../shared is absent")
def test_every_gold_quote_lies_in_its_paragraph(capsys):
    assert load_checker().main([str(DEV_SET), "--corpus", str(CABLES)]) == 0, capsys.readouterr().out


@pytest.mark.skipif(not CABLES.is_dir(), reason="../shared is absent")
def test_checker_catches_a_wrong_paragraph(tmp_path, capsys):
    line = DEV_SET.read_text(encoding="utf-8").splitlines()[0].replace('"paragraph": 2', '"paragraph": 3')
    broken = tmp_path / "broken.jsonl"
    broken.write_text(line + "\n", encoding="utf-8")
    assert load_checker().main([str(broken), "--corpus", str(CABLES)]) == 1
    out = capsys.readouterr().out
    assert "07SANJOSE1856 ¶3" in out and "not there; it is in" in out and "¶2" in out
