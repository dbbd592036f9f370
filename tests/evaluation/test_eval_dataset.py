"""The question-set format: loading, clear errors on bad lines, the SQuAD layout, the gold checker."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.evaluation.dataset import (
    Gold,
    Question,
    convert_squad,
    load_dataset,
    load_squad_questions,
    squad_documents,
)
from qa.evaluation.gold import gold_problems
from qa.types import Document, Paragraph

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GOOD = {
    "id": "q1",
    "question": "How many trafficking cases were reported in 2005?",
    "answerable": True,
    "answers": ["123"],
    "gold": [{"doc_id": "06PHNOMPENH657", "paragraph": 5, "quote": "123 cases"}],
    "filters": {"origin": "Phnom Penh", "tag": ["PHUM", "KTIP"], "since": "2006-01-01"},
    "type": "exact",
}


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def test_loads_the_documented_format(tmp_path):
    unanswerable = {"id": "q2", "question": "Population of Cambodia?", "answerable": False, "answers": []}
    path = write(tmp_path, "# a comment", GOOD, "", unanswerable)
    first, second = load_dataset(path)
    assert first.gold == [Gold("06PHNOMPENH657", 5, "123 cases")]
    assert first.filters.origin == ["Phnom Penh"] and first.filters.tag == ["PHUM", "KTIP"]
    assert first.filters.since == date(2006, 1, 1) and first.type == "exact"
    assert second.answerable is False and second.gold == [] and second.type is None


def test_question_round_trips_through_json(tmp_path):
    question = load_dataset(write(tmp_path, GOOD))[0]
    again = load_dataset(write(tmp_path, question.to_json()))[0]
    assert again == question


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": ""}, "'id' must be a non-empty string"),
        ({"answerable": "yes"}, "'answerable' must be true or false"),
        ({"answers": "123"}, "'answers' must be a list"),
        ({"answerable": False}, "unanswerable question must have no 'answers'"),
        ({"gold": [{"doc_id": "X"}]}, "give 'paragraph', 'quote' or both"),
        ({"gold": [{"doc_id": "X", "paragraph": "5"}]}, "'paragraph' must be a whole number"),
        ({"gold": [{"doc_id": "X", "para": 5}]}, "unknown field(s) para"),
        ({"filters": {"since": "May 2006"}}, "must be a date YYYY-MM-DD"),
        ({"filters": {"country": "KH"}}, "unknown filter(s) country"),
        ({"anwers": ["123"]}, "unknown field(s) anwers"),
        ({"type": 3}, "'type' must be a non-empty string"),
    ],
)
def test_bad_lines_are_refused_with_the_line_and_the_field(tmp_path, change, message):
    path = write(tmp_path, {"id": "q0", "question": "fine", "answerable": False}, {**GOOD, **change})
    with pytest.raises(QAError) as caught:
        load_dataset(path)
    assert f"{path}:2" in str(caught.value)
    assert message in str(caught.value)


def test_invalid_json_and_duplicate_ids_name_the_line(tmp_path):
    with pytest.raises(QAError, match=r"set.jsonl:2: not valid JSON"):
        load_dataset(write(tmp_path, GOOD, '{"id": "q2", '))
    with pytest.raises(QAError, match=r"set.jsonl:2: id 'q1' already used on line 1"):
        load_dataset(write(tmp_path, GOOD, GOOD))
    with pytest.raises(QAError, match="must be a JSON object"):
        load_dataset(write(tmp_path, "[1, 2]"))


def test_missing_and_empty_sets_are_clear_errors(tmp_path):
    with pytest.raises(QAError, match="does not exist"):
        load_dataset(tmp_path / "nope.jsonl")
    with pytest.raises(QAError, match="holds no questions"):
        load_dataset(write(tmp_path, "# only a comment"))
    with pytest.raises(QAError, match="without queries.jsonl"):
        load_dataset(tmp_path)


def make_squad(folder: Path) -> Path:
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(
        json.dumps(
            {"id": "Normans#0", "title": "Normans", "text": "The Normans gave their name to Normandy."}
        )
        + "\n",
        encoding="utf-8",
    )
    rows = [
        {
            "id": "a1",
            "question": "Where is Normandy?",
            "answerable": True,
            "answers": ["France"],
            "plausible_answers": [],
            "gold_passage_ids": ["Normans#0"],
            "topic_passage_id": "Normans#0",
        },
        {
            "id": "u1",
            "question": "Who named Normandy in 1100?",
            "answerable": False,
            "answers": [],
            "plausible_answers": ["Normans"],
            "gold_passage_ids": [],
            "topic_passage_id": "Normans#0",
        },
    ]
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def test_squad_layout_becomes_questions_and_one_paragraph_documents(tmp_path):
    folder = make_squad(tmp_path / "squad")
    answerable, unanswerable = load_dataset(folder)
    assert answerable.gold == [Gold("Normans#0", paragraph=1)] and answerable.type == "answerable"
    assert unanswerable.answerable is False and unanswerable.answers == [] and unanswerable.gold == []
    (document,) = squad_documents(folder)
    assert document.doc_id == "Normans#0" and document.title == "Normans"
    assert [(p.n, p.text) for p in document.paragraphs] == [(1, "The Normans gave their name to Normandy.")]
    # the converted file is a question set in the documented format
    out = tmp_path / "squad.jsonl"
    assert convert_squad(folder, out) == 2
    assert load_dataset(out) == [answerable, unanswerable]


@pytest.mark.skipif(not (SHARED / "eval" / "squad2-dev").is_dir(), reason="../shared is absent")
def test_shared_squad2_dev_counts():
    questions = load_squad_questions(SHARED / "eval" / "squad2-dev")
    answerable = [q for q in questions if q.answerable]
    assert len(questions) == 6078 and len(answerable) == 2910
    assert all(len(q.gold) == 1 and q.answers for q in answerable)
    passages = {d.doc_id for d in squad_documents(SHARED / "eval" / "squad2-dev")}
    assert len(passages) == 646 and {q.gold[0].doc_id for q in answerable} <= passages


def test_gold_problems_report_missing_paragraphs_and_misplaced_quotes():
    document = Document(
        doc_id="D1",
        source="d1.txt",
        kind="cable",
        title=None,
        paragraphs=[Paragraph(1, "Summary: nothing."), Paragraph(2, "There were 123\ncases in 2005.")],
    )

    def asking(*gold: Gold) -> Question:
        return Question(id="q", question="?", answerable=True, gold=list(gold))

    assert gold_problems([asking(Gold("D1", 2, "123 CASES"))], {"D1": document}) == []
    assert gold_problems([asking(Gold("D1", None, "123 cases"))], {"D1": document}) == []
    problems = gold_problems(
        [
            asking(Gold("D1", 1, "123 cases")),
            asking(Gold("D1", 7, "x")),
            asking(Gold("D2", 1, "x")),
            asking(Gold("D1", None, "absent words")),
        ],
        {"D1": document},
    )
    assert problems == [
        "q: D1 ¶1: quote '123 cases' not there; it is in ¶2",
        "q: D1: no paragraph ¶7 (has ¶1-2)",
        "q: D2: document not found",
        "q: D1: quote 'absent words' is in no paragraph",
    ]


def test_a_question_set_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    """Found by tests/test_cli_fuzz.py: a binary file given to `qa eval` was a UnicodeDecodeError."""
    path = tmp_path / "set.jsonl"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(QAError, match="not UTF-8 text"):
        load_dataset(path)
