"""The self-contained HTML report: tables, inline SVG plots, and the worst failures for people to read.

Every piece of document or answer text is escaped: cables are untrusted input.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from qa.evaluation.plots import histogram, line_chart
from qa.evaluation.report import ROWS, RunResult, format_value, lookup, worst_failures
from qa.types import cite

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
.failure { border: 1px solid #ddd; border-left: 4px solid #d62728; padding: 0.5em 1em; margin: 1em 0; }
.hit { margin: 0.3em 0 0.3em 1em; font-size: 0.92em; }
.gold { background: #eaf7ea; border-left: 3px solid #2ca02c; padding-left: 4px; }
.muted { color: #666; }
"""
HIT_CHARS = 600
SHOWN_HITS = 5


def _table(columns: list[tuple[str, dict[str, Any]]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h, _ in columns)
    rows = []
    for label, path, kind in ROWS:
        values = [lookup(summary, path) for _, summary in columns]
        if all(v is None for v in values):
            continue
        cells = "".join(f'<td class="num">{format_value(v, kind)}</td>' for v in values)
        rows.append(f"<tr><th>{escape(label)}</th>{cells}</tr>")
    return f"<table><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>"


def _failure(item: dict[str, Any]) -> str:
    record, scores = item["record"], item["scores"]
    parts = [
        '<div class="failure">',
        f"<p><b>{escape(record.id)}</b> <span class=muted>({escape(record.type or 'untyped')})</span>: "
        f"{escape(record.question)}</p>",
        f"<p>Why listed: {escape(item['reason'])}.",
    ]
    if record.answers:
        parts.append(f" Accepted answers: {escape(' | '.join(record.answers))}.")
    if record.gold:
        gold = ", ".join(
            cite(g.doc_id, g.paragraph) if g.paragraph is not None else f"{g.doc_id} “{g.quote}”"
            for g in record.gold
        )
        rank = scores.get("gold_rank")
        parts.append(f" Gold: {escape(gold)} (first found at rank {rank if rank else 'none'}).")
    parts.append("</p>")
    if record.answer is not None:
        said = "abstained" if record.answer.abstained else "answered"
        parts.append(f"<p>The bot {said}: <i>{escape(record.answer.text)}</i></p>")
    parts.append("<p class=muted>Retrieved:</p>")
    for rank, hit in enumerate(record.hits[:SHOWN_HITS], 1):
        is_gold = any(g.matches(hit.doc_id, hit.paragraph, hit.text) for g in record.gold)
        text = hit.text if len(hit.text) <= HIT_CHARS else hit.text[:HIT_CHARS] + "…"
        label = escape(cite(hit.doc_id, hit.paragraph))
        parts.append(
            f'<div class="hit{" gold" if is_gold else ""}"><b>{rank}. {label}</b> '
            f"<span class=muted>{hit.score:.3f}</span> {escape(text)}</div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def _latency_plots(run: RunResult) -> str:
    plots = []
    for key, name in (("retrieve_ms", "retrieval"), ("first_token_ms", "first token"), ("total_ms", "total")):
        values = [r.timings[key] for r in run.records if r.timings.get(key) is not None]
        if values:
            plots.append(histogram(values, f"{name} latency ({run.label})", "milliseconds"))
    return f'<div class="plots">{"".join(plots)}</div>'


def render_html(dataset: str, runs: list[RunResult], failures: int = 15) -> str:
    """The whole report page for one or more runs over ``dataset``."""
    depth = min(run.depth for run in runs)
    curve = line_chart(
        [(run.label, run.summary["retrieval"]["curve"][:depth]) for run in runs],
        list(range(1, depth + 1)),
        "recall@k of the gold paragraphs",
        "k",
        "recall",
    )
    body = [
        f"<h1>cableqa evaluation: {escape(dataset)}</h1>",
        f"<p class=muted>Written {datetime.now().isoformat(timespec='seconds')}.</p>",
    ]
    if len(runs) > 1:
        body += ["<h2>Comparison</h2>", _table([(run.label, run.summary) for run in runs])]
    body += ["<h2>Retrieval</h2>", f'<div class="plots">{curve}</div>']
    for run in runs:
        mode = "retrieval only" if run.retrieval_only else "retrieval and answers"
        columns = [("all", run.summary)] + list(run.summary.get("by_type", {}).items())
        body += [
            f"<h2>{escape(run.label)}</h2>",
            f"<p class=muted>{mode}; {len(run.records)} questions; "
            f"{run.depth} paragraphs retrieved each.</p>",
            "<h3>By question type</h3>",
            _table(columns),
            "<h3>Latency</h3>",
            _latency_plots(run),
            "<h3>Worst failures</h3>",
        ]
        worst = worst_failures(run.records, run.depth, failures)
        body += [_failure(item) for item in worst] or ["<p>None.</p>"]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>cableqa evaluation: {escape(dataset)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
