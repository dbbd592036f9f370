"""What an evaluation run reports: the JSON for machines, text tables, and the worst failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.evaluation.metrics import question_scores, summarize
from qa.evaluation.records import Record

# (row label, path into a summary, format): the rows of the text tables, in order.
ROWS: list[tuple[str, tuple[str, ...], str]] = [
    ("questions", ("questions",), "int"),
    ("recall@1", ("retrieval", "recall@1"), "ratio"),
    ("recall@5", ("retrieval", "recall@5"), "ratio"),
    ("recall@10", ("retrieval", "recall@10"), "ratio"),
    ("MRR@10", ("retrieval", "mrr@10"), "ratio"),
    ("nDCG@10", ("retrieval", "ndcg@10"), "ratio"),
    ("answer exact match", ("answers", "exact"), "ratio"),
    ("answer token F1", ("answers", "f1"), "ratio"),
    ("answer contains", ("answers", "contains"), "ratio"),
    ("answerable answered", ("answers", "answered"), "ratio"),
    ("right+cited if answered", ("answers", "right_and_cited_when_answered"), "ratio"),
    ("cites gold if answered", ("answers", "cites_gold_when_answered"), "ratio"),
    ("citation precision (gold)", ("citations", "precision"), "ratio"),
    ("citation precision (answer)", ("citations", "precision_answer_text"), "ratio"),
    ("citation recall", ("citations", "recall"), "ratio"),
    ("sentences supported", ("citations", "supported_sentences"), "ratio"),
    ("abstain precision", ("abstention", "precision"), "ratio"),
    ("abstain recall", ("abstention", "recall"), "ratio"),
    ("abstain F1", ("abstention", "f1"), "ratio"),
    ("wrongly abstained", ("abstention", "wrongly_abstained"), "ratio"),
    ("retrieve p50 ms", ("latency", "retrieve_ms", "p50"), "ms"),
    ("retrieve p95 ms", ("latency", "retrieve_ms", "p95"), "ms"),
    ("first token p50 ms", ("latency", "first_token_ms", "p50"), "ms"),
    ("first token p95 ms", ("latency", "first_token_ms", "p95"), "ms"),
    ("total p50 ms", ("latency", "total_ms", "p50"), "ms"),
    ("total p95 ms", ("latency", "total_ms", "p95"), "ms"),
]


@dataclass
class RunResult:
    """One configuration's run: its label, records and summary."""

    label: str
    records: list[Record]
    depth: int
    retrieval_only: bool
    records_path: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.summary:
            self.summary = summarize(self.records, self.depth)


def lookup(summary: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in a summary, or None when a section is absent."""
    value: Any = summary
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def format_value(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "int":
        return str(int(value))
    if kind == "ms":
        return f"{value:.0f}"
    return f"{value:.3f}"


def table(columns: list[tuple[str, dict[str, Any]]]) -> str:
    """A plain-text table: one row per metric, one column per (heading, summary); empty rows left out."""
    rows = []
    for label, path, kind in ROWS:
        values = [lookup(summary, path) for _, summary in columns]
        if all(v is None for v in values):
            continue
        rows.append([label] + [format_value(v, kind) for v in values])
    header = ["metric"] + [heading for heading, _ in columns]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)])

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def run_table(run: RunResult) -> str:
    """One run: the overall column, then one column per question type."""
    columns = [("all", run.summary)] + list(run.summary.get("by_type", {}).items())
    return table(columns)


def comparison_table(runs: list[RunResult]) -> str:
    """Several runs side by side (overall figures), so settings are compared on numbers."""
    return table([(run.label, run.summary) for run in runs])


def failure_reason(record: Record, scores: dict[str, Any]) -> tuple[int, str] | None:
    """How bad a question went (lower is worse) and why, or None when nothing went wrong."""
    if record.answer is not None and not record.answerable and not record.answer.abstained:
        return 0, "answered a question the documents do not answer"
    if record.gold and scores.get("gold_rank") is None:
        return 1, "no gold paragraph retrieved"
    if record.answer is not None and record.answerable and record.answer.abstained:
        return 2, "abstained on an answerable question"
    if scores.get("contains") == 0.0:
        return 3, "answer does not contain an accepted answer"
    if record.answer is not None and record.gold and not record.answer.abstained and not scores["cites_gold"]:
        return 4, "answer does not cite a gold paragraph"
    rank = scores.get("gold_rank")
    if rank is not None and rank > 5:
        return 5, f"first gold paragraph only at rank {rank}"
    return None


def worst_failures(records: list[Record], depth: int, limit: int = 15) -> list[dict[str, Any]]:
    """The ``limit`` worst questions with their reasons and scores, worst first."""
    found = []
    for record in records:
        scores = question_scores(record, depth)
        reason = failure_reason(record, scores)
        if reason is not None:
            severity, why = reason
            found.append((severity, -(scores.get("gold_rank") or depth + 1), record, why, scores))
    found.sort(key=lambda item: (item[0], item[1]))
    return [{"record": r, "reason": why, "scores": s} for _, _, r, why, s in found[:limit]]


def run_json(run: RunResult) -> dict[str, Any]:
    """One run as plain data: settings, summary, and per-question scores."""
    return {
        "label": run.label,
        "retrieval_only": run.retrieval_only,
        "depth": run.depth,
        "records": str(run.records_path) if run.records_path else None,
        "settings": run.settings,
        "summary": run.summary,
        "questions": [question_scores(r, run.depth) for r in run.records],
    }


def report_json(dataset: str, runs: list[RunResult]) -> dict[str, Any]:
    """The machine-readable report of one or more runs over one dataset, with the CPU flags its
    latencies were measured on."""
    from qa.cores import cpu_flags

    return {"dataset": dataset, "cpu_flags": cpu_flags(), "runs": [run_json(run) for run in runs]}
