"""``qa eval``: measure retrieval, answers, citations, abstention and latency on a question set."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.evaluation.dataset import Question, load_dataset
from qa.evaluation.page import render_html
from qa.evaluation.report import RunResult, comparison_table, report_json, run_table
from qa.evaluation.runner import (
    default_records_path,
    open_backends,
    retrieval_depth,
    run_fingerprint,
    run_questions,
)
from qa.settings import Settings, describe, load_settings

HELP = "measure retrieval, answers, citations and abstention on a question set"
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", type=Path, help="question set: a .jsonl file (see README) or a SQuAD-layout folder")
    parser.add_argument("--index-dir", type=Path, help="index to evaluate (default: the settings' index.dir)")
    parser.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N questions")
    parser.add_argument(
        "--retrieval-only", action="store_true", help="skip answering; only questions with gold paragraphs"
    )
    parser.add_argument("--json", type=Path, dest="json_out", metavar="OUT", help="write the JSON report")
    parser.add_argument("--report", type=Path, metavar="OUT.html", help="write the HTML report")
    parser.add_argument(
        "--config",
        type=Path,
        action="append",
        dest="configs",
        default=[],
        metavar="FILE",
        help="settings file to evaluate; repeat to compare configurations side by side",
    )
    parser.add_argument("--resume", action="store_true", help="keep the questions an interrupted run already finished")
    parser.add_argument(
        "--records",
        type=Path,
        metavar="FILE",
        help="per-question records file (default: in the cache folder)",
    )
    parser.add_argument("--failures", type=int, default=15, metavar="N", help="worst failures in the report")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"index.dir": args.index_dir}


def _configurations(args: argparse.Namespace, settings: Settings) -> list[tuple[str, Settings]]:
    """(label, settings) per configuration: the eval --config files, else the settings given."""
    if not args.configs:
        top = getattr(args, "config", None)
        return [(Path(top).stem if top else "default", settings)]
    stems = [path.stem for path in args.configs]
    labels = stems if len(set(stems)) == len(stems) else [str(path) for path in args.configs]
    return [
        (label, load_settings(path, os.environ, overrides(args)))
        for label, path in zip(labels, args.configs, strict=True)
    ]


def _select(args: argparse.Namespace, questions: list[Question]) -> list[Question]:
    if args.retrieval_only:
        kept = [q for q in questions if q.gold]
        if len(kept) < len(questions):
            log.info("retrieval only: %d questions without gold paragraphs skipped", len(questions) - len(kept))
        questions = kept
    if args.limit is not None:
        if args.limit < 1:
            raise QAError("--limit must be at least 1")
        questions = questions[: args.limit]
    if not questions:
        raise QAError(f"{args.dataset}: no question to evaluate (retrieval only needs gold paragraphs)")
    return questions


def _progress(label: str) -> Callable[[int, int], None]:
    """A tqdm progress bar on stderr, created at the first report (when the total is known)."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            # Only on a terminal: in a CI log a redrawn bar is noise (the summary says what was done).
            bar["bar"] = tqdm(
                total=total,
                initial=done,
                desc=label,
                unit="q",
                file=sys.stderr,
                leave=False,
                disable=not sys.stderr.isatty(),
            )
        else:
            bar["bar"].update(done - bar["bar"].n)
        if bar["bar"].disable and done % max(1, total // 10) == 0:
            log.info("%s: %d of %d questions done", label, done, total)
        if done >= total:
            bar["bar"].close()

    return update


def _records_path(args: argparse.Namespace, label: str, settings: Settings, fingerprint: str, many: bool) -> Path:
    if args.records is None:
        return default_records_path(settings, args.dataset, fingerprint)
    if not many:
        return args.records
    return args.records.with_name(f"{args.records.stem}-{label}{args.records.suffix or '.jsonl'}")


def evaluate(
    args: argparse.Namespace, label: str, settings: Settings, questions: list[Question], many: bool
) -> RunResult:
    """One configuration: open its index (and model), run the questions, summarise."""
    fingerprint = run_fingerprint(settings, args.retrieval_only)
    records_path = _records_path(args, label, settings, fingerprint, many)
    search, ask = open_backends(settings, args.retrieval_only)
    depth = retrieval_depth(settings)
    records = run_questions(
        questions,
        search,
        ask,
        depth=depth,
        records_path=records_path,
        fingerprint=fingerprint,
        resume=args.resume,
        progress=_progress(label),
    )
    return RunResult(
        label=label,
        records=records,
        depth=depth,
        retrieval_only=args.retrieval_only,
        records_path=records_path,
        settings=describe(settings),
    )


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot write the {what} to {path}: {exc.strerror}") from exc


def run(args: argparse.Namespace, settings: Settings) -> int:
    questions = _select(args, load_dataset(args.dataset))
    configurations = _configurations(args, settings)
    many = len(configurations) > 1
    runs = []
    for label, config_settings in configurations:
        result = evaluate(args, label, config_settings, questions, many)
        runs.append(result)
        print(f"== {label}: {len(result.records)} questions, records in {result.records_path}")
        print(run_table(result))
        print()
    if many:
        print("== comparison")
        print(comparison_table(runs))
    dataset = str(args.dataset)
    if args.json_out:
        _write(args.json_out, json.dumps(report_json(dataset, runs), indent=1, default=str) + "\n", "JSON report")
        print(f"JSON report: {args.json_out}", file=sys.stderr)
    if args.report:
        _write(args.report, render_html(dataset, runs, args.failures), "HTML report")
        print(f"HTML report: {args.report}", file=sys.stderr)
    return 0
