"""Run a question set through retrieval and answering, one JSON record a line, resumable.

Every finished question is appended (and flushed) to a records file at once, so a run killed at
any point loses at most the question in progress; ``resume=True`` reads the file back and skips
the questions already there. Each record carries a fingerprint of what produced it (the settings,
the mode, the question's text and filters), so a record of another configuration, or of a question
since reworded, is recomputed; a record whose question only gained accepted answers or gold is
kept and scored against the dataset as it is now.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from qa.errors import QAError
from qa.evaluation.dataset import Question
from qa.evaluation.records import Record, make_record
from qa.settings import Settings, describe
from qa.types import Answer, Filters, Hit

log = logging.getLogger(__name__)

SearchFn = Callable[[str, int, Filters], list[Hit]]
AskFn = Callable[[str, Filters], Answer]
ProgressFn = Callable[[int, int], None]  # (questions done, questions in all)


def retrieval_depth(settings: Settings) -> int:
    """How many paragraphs to retrieve per question: enough for recall@10 and the configured k."""
    return max(10, settings.search.k)


def run_fingerprint(settings: Settings, retrieval_only: bool) -> str:
    """A hash of what decides a run's records: the settings (all but serving) and the mode."""
    config = {k: v for k, v in describe(settings).items() if k != "serve"}
    return _hash([config, retrieval_only])


def question_fingerprint(run: str, question: Question) -> str:
    """The run's fingerprint narrowed to one question: what is asked, under which filters."""
    return _hash([run, question.question, question.filters.to_json()])


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def default_records_path(settings: Settings, dataset: Path, fingerprint: str) -> Path:
    """Where a run keeps its records unless told otherwise: the app's cache folder."""
    return settings.llm.cache_dir / "eval" / f"{Path(dataset).stem}-{fingerprint}.jsonl"


def read_records(path: Path) -> dict[str, Record]:
    """The records in a records file by question id (the last one wins); a torn line is skipped."""
    finished: dict[str, Record] = {}
    if not path.exists():
        return finished
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = Record.from_json(json.loads(line))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                log.warning("%s:%d: unreadable record skipped (%s)", path, number, exc)
                continue
            finished[record.id] = record
    return finished


def reusable(records: dict[str, Record], questions: list[Question], run: str) -> dict[str, Record]:
    """The records still valid for these questions, brought up to date with their answers and gold."""
    kept: dict[str, Record] = {}
    for question in questions:
        record = records.get(question.id)
        if record is not None and record.fingerprint == question_fingerprint(run, question):
            kept[question.id] = dataclasses.replace(
                record,
                type=question.type,
                answerable=question.answerable,
                answers=list(question.answers),
                gold=list(question.gold),
            )
    stale = sum(1 for q in questions if q.id in records and q.id not in kept)
    if stale:
        log.warning("%d records of another configuration or wording will be recomputed", stale)
    return kept


def open_backends(settings: Settings, retrieval_only: bool) -> tuple[SearchFn, AskFn | None]:
    """The real searcher and answerer behind two plain functions (the only place that knows them)."""
    from qa.wiring import open_searcher

    searcher = open_searcher(settings)

    def search(query: str, k: int, filters: Filters) -> list[Hit]:
        return searcher.search(query, k=k, filters=filters)

    if retrieval_only:
        return search, None
    from qa.wiring import open_answerer

    # The same wiring as `qa ask`, sharing the searcher (and so its embedder) loaded above.
    answerer = open_answerer(settings, retriever=searcher)
    warm_up = getattr(answerer, "warm_up", None)
    if warm_up is not None:
        warm_up()  # load the model before the clock starts, so question 1's first token is comparable

    def ask(question: str, filters: Filters) -> Answer:
        return answerer.ask(question, k=settings.answer.k, filters=filters)

    return search, ask


def run_questions(
    questions: list[Question],
    search: SearchFn,
    ask: AskFn | None,
    *,
    depth: int,
    records_path: Path,
    fingerprint: str,
    resume: bool = False,
    progress: ProgressFn | None = None,
) -> list[Record]:
    """Evaluate each question not yet finished and return all records in the dataset's order."""
    finished = reusable(read_records(records_path), questions, fingerprint) if resume else {}
    if resume:
        log.info("resuming: %d of %d questions already done", len(finished), len(questions))
    records_path.parent.mkdir(parents=True, exist_ok=True)
    mode = "a" if resume else "w"
    try:
        sink = records_path.open(mode, encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot write evaluation records to {records_path}: {exc.strerror}") from exc
    with sink:
        if progress:
            progress(len(finished), len(questions))
        for question in questions:
            if question.id in finished:
                continue
            record = evaluate_question(
                question, search, ask, depth=depth, fingerprint=question_fingerprint(fingerprint, question)
            )
            sink.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            sink.flush()
            finished[question.id] = record
            if progress:
                progress(len(finished), len(questions))
    return [finished[q.id] for q in questions]


def evaluate_question(
    question: Question, search: SearchFn, ask: AskFn | None, *, depth: int, fingerprint: str
) -> Record:
    """Retrieve (timed) and, when an answerer is given, answer one question."""
    start = time.perf_counter()
    hits = search(question.question, depth, question.filters)
    timings = {"retrieve_ms": (time.perf_counter() - start) * 1000.0}
    answer = None
    if ask is not None:
        start = time.perf_counter()
        answer = ask(question.question, question.filters)
        wall_ms = (time.perf_counter() - start) * 1000.0
        timings["first_token_ms"] = answer.timings.get("first_token_ms")
        timings["total_ms"] = answer.timings.get("total_ms", wall_ms)
        timings = {k: v for k, v in timings.items() if v is not None}
    return make_record(question, hits, answer, timings, fingerprint)
