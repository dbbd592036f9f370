"""The evaluation runner (records, resume), the reports and `qa eval`, with small deterministic fakes.

The run through the real index and model is in tests/test_eval_real.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from qa.cli import main
from qa.evaluation.dataset import Gold, Question
from qa.evaluation.page import render_html
from qa.evaluation.report import RunResult, comparison_table, run_table
from qa.evaluation.runner import read_records, run_fingerprint, run_questions
from qa.settings import load_settings
from qa.types import Answer, Citation, Filters, Hit, Sentence

QUESTIONS = [
    Question(
        id=f"q{i}",
        question=f"question {i}",
        answerable=i != 3,
        answers=["123"] if i != 3 else [],
        gold=[Gold("D", i)] if i != 3 else [],
        type="exact" if i != 3 else "unanswerable",
    )
    for i in range(1, 5)
]


class FakeBackends:
    """Retrieval puts the gold paragraph at rank i for question i; answers cite the top hit."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.searched: list[str] = []
        self.fail_on = fail_on

    def search(self, query: str, k: int, filters: Filters) -> list[Hit]:
        if query == self.fail_on:
            raise KeyboardInterrupt
        self.searched.append(query)
        i = int(query.split()[-1])
        # other paragraphs (numbered from 10) at ranks 1..i-1, then the gold paragraph D ¶i
        others = [
            Hit(rank=r, doc_id="D", paragraph=10 + r, score=1.0 / r, text=f"<script>alert({r})</script>")
            for r in range(1, i)
        ]
        return [*others, Hit(rank=i, doc_id="D", paragraph=i, score=0.5, text="There were 123 cases.")][:k]

    def ask(self, question: str, filters: Filters) -> Answer:
        if question.endswith(" 3"):
            return Answer(
                question=question,
                answer="The indexed documents do not answer this.",
                abstained=True,
                timings={"retrieve_ms": 5.0, "total_ms": 50.0},
            )
        return Answer(
            question=question,
            answer="There were 123 cases.",
            abstained=False,
            citations=[Citation("D", 1, (0, 21))],
            sentences=[Sentence("There were 123 cases.", [Citation("D", 1, (0, 21))], True)],
            timings={"retrieve_ms": 5.0, "first_token_ms": 40.0, "total_ms": 90.0},
        )


def run(fakes: FakeBackends, path: Path, resume: bool = False, fingerprint: str = "f1", ask: bool = True):
    return run_questions(
        QUESTIONS,
        fakes.search,
        fakes.ask if ask else None,
        depth=10,
        records_path=path,
        fingerprint=fingerprint,
        resume=resume,
    )


def test_records_are_written_one_line_per_question(tmp_path):
    path = tmp_path / "records.jsonl"
    records = run(FakeBackends(), path)
    assert [r.id for r in records] == ["q1", "q2", "q3", "q4"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["q1", "q2", "q3", "q4"]
    assert [h.paragraph for h in records[1].hits] == [11, 2] and records[2].answer.abstained
    assert records[0].timings["first_token_ms"] == 40.0 and "retrieve_ms" in records[0].timings
    assert read_records(path)["q4"] == records[3]


def test_resume_skips_finished_questions(tmp_path):
    path = tmp_path / "records.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run(FakeBackends(fail_on="question 3"), path)
    with path.open("a", encoding="utf-8") as sink:
        sink.write('{"id": "q3", "quest')  # a record torn by the kill
    again = FakeBackends()
    records = run(again, path, resume=True)
    assert again.searched == ["question 3", "question 4"]
    assert [r.id for r in records] == ["q1", "q2", "q3", "q4"]
    # without --resume everything is recomputed
    fresh = FakeBackends()
    run(fresh, path)
    assert len(fresh.searched) == 4


def test_resume_ignores_records_of_another_configuration(tmp_path):
    path = tmp_path / "records.jsonl"
    run(FakeBackends(), path, fingerprint="old")
    again = FakeBackends()
    run(again, path, resume=True, fingerprint="new")
    assert len(again.searched) == 4


def test_fingerprint_follows_settings_and_mode():
    base = load_settings()
    first = run_fingerprint(base, retrieval_only=False)
    assert first == run_fingerprint(load_settings(), retrieval_only=False)
    assert first != run_fingerprint(load_settings(overrides={"search.k": 20}), retrieval_only=False)
    assert first != run_fingerprint(base, retrieval_only=True)
    assert first == run_fingerprint(load_settings(overrides={"serve.port": 9999}), retrieval_only=False)


def test_resume_recomputes_reworded_questions_and_rescores_with_new_answers(tmp_path):
    path = tmp_path / "records.jsonl"
    run(FakeBackends(), path)
    original = list(QUESTIONS)
    try:
        QUESTIONS[0] = dataclasses.replace(QUESTIONS[0], answers=["123", "123 cases"], gold=[Gold("D", 1, "123")])
        QUESTIONS[1] = dataclasses.replace(QUESTIONS[1], question="reworded question 2")
        again = FakeBackends()
        records = run(again, path, resume=True)
    finally:
        QUESTIONS[:] = original
    assert again.searched == ["reworded question 2"]
    assert records[0].answers == ["123", "123 cases"] and records[0].gold == [Gold("D", 1, "123")]


def test_tables_and_html_report(tmp_path):
    records = run(FakeBackends(), tmp_path / "r.jsonl")
    result = RunResult(label="base", records=records, depth=10, retrieval_only=False)
    text = run_table(result)
    assert "recall@1" in text and "unanswerable" in text and "abstain recall" in text
    assert result.summary["retrieval"]["recall@1"] == pytest.approx(1 / 3)  # q1 of q1, q2, q4
    other = RunResult(label="k20", records=records[:2], depth=10, retrieval_only=False)
    assert comparison_table([result, other]).splitlines()[0].split() == ["metric", "base", "k20"]
    page = render_html("set.jsonl", [result, other])
    assert "<svg" in page and "Worst failures" in page and "Comparison" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def eval_cli(monkeypatch, tmp_path: Path, *args: str) -> int:
    fakes = FakeBackends()
    monkeypatch.setattr(
        "qa.commands.eval.open_backends",
        lambda settings, retrieval_only: (fakes.search, None if retrieval_only else fakes.ask),
    )
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    dataset = tmp_path / "set.jsonl"
    dataset.write_text("".join(json.dumps(q.to_json()) + "\n" for q in QUESTIONS), encoding="utf-8")
    return main(["eval", str(dataset), *args])


def test_qa_eval_writes_json_and_html(monkeypatch, tmp_path, capsys):
    out, html = tmp_path / "out.json", tmp_path / "out.html"
    assert eval_cli(monkeypatch, tmp_path, "--json", str(out), "--report", str(html)) == 0
    printed = capsys.readouterr().out
    assert "recall@1" in printed and "abstain precision" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    (result,) = report["runs"]
    assert result["summary"]["questions"] == 4 and len(result["questions"]) == 4
    assert Path(result["records"]).parent == tmp_path / "cache" / "eval"
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_qa_eval_retrieval_only_skips_questions_without_gold(monkeypatch, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert eval_cli(monkeypatch, tmp_path, "--retrieval-only", "--limit", "2", "--json", str(out)) == 0
    summary = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["summary"]
    assert summary["questions"] == 2 and "answers" not in summary
    assert "answer contains" not in capsys.readouterr().out


def test_qa_eval_compares_configurations(monkeypatch, tmp_path, capsys):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text("[search]\nk = 10\n", encoding="utf-8")
    b.write_text("[search]\nk = 20\n", encoding="utf-8")
    out = tmp_path / "out.json"
    records = tmp_path / "rec.jsonl"
    code = eval_cli(
        monkeypatch,
        tmp_path,
        "--config",
        str(a),
        "--config",
        str(b),
        "--json",
        str(out),
        "--records",
        str(records),
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "== comparison" in printed
    header = printed.split("== comparison")[1].strip().splitlines()[0].split()
    assert header == ["metric", "a", "b"]
    runs = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert [r["settings"]["search"]["k"] for r in runs] == [10, 20]
    assert [r["depth"] for r in runs] == [10, 20]
    assert (tmp_path / "rec-a.jsonl").is_file() and (tmp_path / "rec-b.jsonl").is_file()


def test_qa_eval_bad_dataset_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 2
    assert "question set" in capsys.readouterr().err
