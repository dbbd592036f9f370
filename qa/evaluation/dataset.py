"""Evaluation question sets: the documented JSONL format, its loader, and the SQuAD 2.0 layout.

One question a line, as a JSON object::

    {"id": "cab-001",                      # unique string
     "question": "How many ... in 2005?",   # what the user asks
     "answerable": true,                    # false: the indexed documents do not answer it
     "answers": ["123", "123 cases"],       # acceptable short answers (may be empty)
     "gold": [{"doc_id": "06PHNOMPENH657", "paragraph": 5, "quote": "123 cases"}],
     "filters": {"origin": "Phnom Penh", "since": "2006-01-01"},   # optional, as `qa search`
     "type": "exact"}                       # optional label; metrics are also given per type

A gold entry names a document and either a paragraph number (the document's own ¶ number), a
``quote`` (a short exact substring of the paragraph text), or both; with both, the number decides and
the quote lets ``eval/check_gold.py`` prove the number is right. ``filters`` takes ``origin``,
``tag``, ``classification`` and ``doc`` (a string or a list of strings) and ``since`` / ``until``
(``YYYY-MM-DD``). Blank lines and lines starting with ``#`` are skipped. ``notes`` is free text.

A folder holding ``queries.jsonl`` and ``corpus.jsonl`` (the ``shared/eval/squad2-dev`` layout) is
read as SQuAD: each passage is a document with one paragraph (¶1) whose id is the passage id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.types import Document, Filters, Paragraph

FIELDS = {"id", "question", "answerable", "answers", "gold", "filters", "type", "notes"}
FILTER_LIST_KEYS = ("origin", "tag", "classification", "doc")
FILTER_DATE_KEYS = ("since", "until")


@dataclass
class Gold:
    """One gold paragraph: a document and its ¶ number, a quote from the paragraph, or both."""

    doc_id: str
    paragraph: int | None = None
    quote: str | None = None

    def matches(self, doc_id: str, paragraph: int, text: str) -> bool:
        """Whether a retrieved or cited paragraph is this gold paragraph."""
        if doc_id.casefold() != self.doc_id.casefold():
            return False
        if self.paragraph is not None:
            return paragraph == self.paragraph
        return squash(self.quote or "") in squash(text)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"doc_id": self.doc_id}
        if self.paragraph is not None:
            out["paragraph"] = self.paragraph
        if self.quote is not None:
            out["quote"] = self.quote
        return out


@dataclass
class Question:
    """One evaluation question with what counts as a right answer and where it lies."""

    id: str
    question: str
    answerable: bool
    answers: list[str] = field(default_factory=list)
    gold: list[Gold] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    type: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "answerable": self.answerable,
            "answers": self.answers,
            "gold": [g.to_json() for g in self.gold],
        }
        if not self.filters.is_empty():
            out["filters"] = {k: v for k, v in self.filters.to_json().items() if v}
        if self.type is not None:
            out["type"] = self.type
        return out


def squash(text: str) -> str:
    """Text compared for quotes: whitespace runs collapsed, case folded (page breaks rewrap lines)."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def _text_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file; anything else is a QAError that says what the file must be."""
    try:
        return path.read_bytes().decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise QAError(f"{path} is not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x}): a question "
                      "set is a UTF-8 JSONL file, one JSON object a line") from exc
    except OSError as exc:
        raise QAError(f"cannot read {path} ({exc.strerror or exc})") from exc


def load_dataset(path: Path) -> list[Question]:
    """Read a question set: a JSONL file in the format above, or a SQuAD-layout folder."""
    path = Path(path)
    if path.is_dir():
        if (path / "queries.jsonl").is_file():
            return load_squad_questions(path)
        raise QAError(f"{path} is a folder without queries.jsonl; give a question-set .jsonl file")
    if not path.is_file():
        raise QAError(f"question set {path} does not exist")
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(_text_lines(path), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QAError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from exc
        question = parse_question(data, where)
        if question.id in seen:
            raise QAError(f"{where}: id {question.id!r} already used on line {seen[question.id]}")
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise QAError(f"question set {path} holds no questions")
    return questions


def parse_question(data: Any, where: str) -> Question:
    """Check one decoded line and turn it into a Question; errors name the line and the field."""
    if not isinstance(data, dict):
        raise QAError(f"{where}: each line must be a JSON object, not {type(data).__name__}")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise QAError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(FIELDS))})")
    for key in ("id", "question"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise QAError(f"{where}: {key!r} must be a non-empty string")
    answerable = data.get("answerable")
    if not isinstance(answerable, bool):
        raise QAError(f"{where}: 'answerable' must be true or false")
    answers = data.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise QAError(f"{where}: 'answers' must be a list of non-empty strings")
    if not answerable and answers:
        raise QAError(f"{where}: an unanswerable question must have no 'answers'")
    gold = data.get("gold", [])
    if not isinstance(gold, list):
        raise QAError(f"{where}: 'gold' must be a list of {{doc_id, paragraph and/or quote}} objects")
    kind = data.get("type")
    if kind is not None and (not isinstance(kind, str) or not kind.strip()):
        raise QAError(f"{where}: 'type' must be a non-empty string")
    return Question(
        id=data["id"],
        question=data["question"].strip(),
        answerable=answerable,
        answers=list(answers),
        gold=[parse_gold(g, f"{where}: gold[{i}]") for i, g in enumerate(gold)],
        filters=parse_filters(data.get("filters") or {}, where),
        type=kind,
    )


def parse_gold(data: Any, where: str) -> Gold:
    """One gold entry: ``doc_id`` and a ``paragraph`` number, a ``quote``, or both."""
    if not isinstance(data, dict):
        raise QAError(f"{where} must be an object with doc_id and paragraph and/or quote")
    unknown = sorted(set(data) - {"doc_id", "paragraph", "quote"})
    if unknown:
        raise QAError(f"{where}: unknown field(s) {', '.join(unknown)} (known: doc_id, paragraph, quote)")
    doc_id, paragraph, quote = data.get("doc_id"), data.get("paragraph"), data.get("quote")
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise QAError(f"{where}: 'doc_id' must be a non-empty string")
    if paragraph is not None and (isinstance(paragraph, bool) or not isinstance(paragraph, int)):
        raise QAError(f"{where}: 'paragraph' must be a whole number (the document's own ¶ number)")
    if quote is not None and (not isinstance(quote, str) or not quote.strip()):
        raise QAError(f"{where}: 'quote' must be a non-empty string")
    if paragraph is None and quote is None:
        raise QAError(f"{where}: give 'paragraph', 'quote' or both")
    return Gold(doc_id=doc_id.strip(), paragraph=paragraph, quote=quote)


def parse_filters(data: Any, where: str) -> Filters:
    """The ``filters`` object, with the keys and meanings of ``qa search``'s filter flags."""
    if not isinstance(data, dict):
        raise QAError(f"{where}: 'filters' must be an object")
    known = FILTER_LIST_KEYS + FILTER_DATE_KEYS
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise QAError(f"{where}: unknown filter(s) {', '.join(unknown)} (known: {', '.join(known)})")
    filters = Filters()
    for key in FILTER_LIST_KEYS:
        value = data.get(key)
        if value is None:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise QAError(f"{where}: filter {key!r} must be a string or a list of strings")
        setattr(filters, key, [v.strip() for v in values])
    for key in FILTER_DATE_KEYS:
        value = data.get(key)
        if value is None:
            continue
        try:
            setattr(filters, key, date.fromisoformat(str(value)))
        except ValueError as exc:
            raise QAError(f"{where}: filter {key!r} must be a date YYYY-MM-DD, not {value!r}") from exc
    return filters


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(_text_lines(path), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise QAError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc


def load_squad_questions(folder: Path) -> list[Question]:
    """Questions of a SQuAD-layout folder; the gold of an answerable one is ¶1 of its passages."""
    path = Path(folder) / "queries.jsonl"
    questions = []
    for number, row in _read_jsonl(path):
        try:
            answerable = bool(row["answerable"])
            questions.append(
                Question(
                    id=str(row["id"]),
                    question=str(row["question"]).strip(),
                    answerable=answerable,
                    answers=[a for a in row.get("answers", []) if a.strip()] if answerable else [],
                    gold=[Gold(doc_id=str(p), paragraph=1) for p in row.get("gold_passage_ids", [])],
                    type="answerable" if answerable else "unanswerable",
                )
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise QAError(
                f"{path}:{number}: not a SQuAD query line (needs id, question, answerable)"
            ) from exc
    return questions


def squad_documents(folder: Path) -> Iterator[Document]:
    """The passages of a SQuAD-layout ``corpus.jsonl``, each a document with one paragraph."""
    path = Path(folder) / "corpus.jsonl"
    for number, row in _read_jsonl(path):
        if "id" not in row or "text" not in row:
            raise QAError(f"{path}:{number}: a corpus line needs 'id' and 'text'")
        title = row.get("title")
        yield Document(
            doc_id=str(row["id"]),
            source=f"{path}:{number}",
            kind="jsonl",
            title=title,
            metadata={"title": title} if title else {},
            paragraphs=[Paragraph(n=1, text=str(row["text"]))],
        )


def convert_squad(folder: Path, out: Path) -> int:
    """Write a SQuAD-layout folder's questions as a question set in the documented format."""
    questions = load_squad_questions(folder)
    with Path(out).open("w", encoding="utf-8") as sink:
        for question in questions:
            sink.write(json.dumps(question.to_json(), ensure_ascii=False) + "\n")
    return len(questions)
