"""Evaluating the prompt while the question is typed (``serve.prefill``, ``qa.ui.type_ahead``).

Two parts, on a real index (default: the 6,712 shared cables, built with ``qa index``) and the
questions of a set (default the held-out ``eval/cables-test.jsonl``: nothing here was tuned on it):

1. ``coverage`` (retrieval and tokens only, no generation, every question of the set): for each
   question, the passages its first words would get, as a prefill of those words leaves them in the
   KV cache, against the prompt of the whole question: how many of the question turn's tokens are
   left to evaluate when it is sent, with no prefill and after a prefill of the question without its
   last 1, 2 or 3 words (``--drop``).
2. ``timing`` (the real model, the app's own backend, the first ``--timed`` answerable questions): the
   first token after sending, in three modes: ``pasted`` (the whole question appears at once and is
   sent at once, as the browser test does), ``typed`` (typed key by key at ``--keys-per-s`` through
   the app's type-ahead, sent right after its last key) and ``typed_pause`` (the same, sent 1.5 s after
   the last key, as after reading it over). Before each mode only the fixed prefix is left cached;
   the modes' order rotates from question to question (this VM's speed drifts); the answers must be
   the same in all three.

    .venv/bin/python bench/type_ahead.py --index-dir /tmp/cables_idx [--set eval/cables-test.jsonl]
        [--timed 12] [--keys-per-s 6] [--out bench/results/type_ahead.json]

Run it alone: the timings are of a 2-core CPU that nothing else uses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from qa.answer.llm.prompt_state import common_length, opening_tokens
from qa.cores import cpu_flags, llama_build
from qa.evaluation.dataset import load_dataset
from qa.prompts.templates import prefix_messages, turn_head
from qa.settings import load_settings
from qa.ui.backend import LocalBackend

ROOT = Path(__file__).resolve().parents[1]


class Recorder:
    """Stands in for the generator's ``prefill``: keeps what it was asked to evaluate."""

    def __init__(self) -> None:
        self.heads: list[str] = []

    def prefill(self, prefix: Any, head: str, wanted: Any = None) -> int:
        self.heads.append(head)
        return 0


def coverage(backend: LocalBackend, questions: list[str], drops: list[int]) -> dict[str, Any]:
    """Question-turn tokens left to evaluate at sending, without and with a prefill of fewer words."""
    answerer = backend._answerer_once()
    llm = answerer.generator._load()
    prefix = prefix_messages(answerer.prompts)
    cached = len(opening_tokens(llm, prefix, turn_head(answerer.prompts)))
    real, recorder = answerer.generator, Recorder()
    answerer.generator = recorder
    rows = []
    try:
        for n, q in enumerate(questions, 1):
            def head_tokens(text: str) -> list[int] | None:
                recorder.heads.clear()
                answerer.prefill(text)
                return opening_tokens(llm, prefix, recorder.heads[0]) if recorder.heads else None

            full = head_tokens(q)
            if full is None:  # weak evidence: abstains before any prompt, nothing to evaluate
                continue
            tail = len(llm.tokenize(f"Question: {q}".encode(), add_bos=False)) + 5  # + the turn's end
            row = {"question": q, "turn_tokens": len(full) - cached + tail, "left": {}}
            words = q.split()
            for d in drops:
                stem = head_tokens(" ".join(words[:-d])) if len(words) - d >= 3 else None
                same = common_length(stem, full) if stem else cached
                row["left"][str(d)] = len(full) - max(same, cached) + tail
            rows.append(row)
            if n % 20 == 0:
                print(f"  coverage: {n}/{len(questions)}", flush=True)
    finally:
        answerer.generator = real
    out: dict[str, Any] = {"questions": len(questions), "with_prompt": len(rows),
                           "turn_tokens_p50": statistics.median(r["turn_tokens"] for r in rows)}
    for d in drops:
        left = [r["left"][str(d)] / r["turn_tokens"] for r in rows]
        out[f"drop_{d}"] = {"left_share_p50": round(statistics.median(left), 3),
                            "left_share_mean": round(statistics.mean(left), 3),
                            "at_most_quarter_left": sum(x <= 0.25 for x in left),
                            "left_tokens_p50": statistics.median(r["left"][str(d)] for r in rows)}
    return {"summary": out, "rows": rows}


def ask(backend: LocalBackend, question: str) -> dict[str, Any]:
    """Send ``question`` as the app does; the first token's time and what the answer said."""
    started = time.perf_counter()
    first = None
    answer = None
    for event in backend.stream(question, None):
        if event.kind == "token" and first is None:
            first = time.perf_counter() - started
        elif event.kind == "answer":
            answer = event.value
    assert answer is not None
    stats = backend._answerer.generator.stats  # the answer's own call (the check model has its own)
    return {"first_token_s": None if first is None else round(first, 3),
            "total_s": round(time.perf_counter() - started, 3), "text": answer.answer,
            "abstained": answer.abstained, "raw": getattr(answer, "raw", ""),
            "prompt_evaluated": stats.prompt_evaluated if first is not None else None,
            "prompt_ms": round(stats.prompt_ms) if first is not None else None}


def typed_then_sent(backend: LocalBackend, question: str, keys_per_s: float, pause_s: float) -> dict[str, Any]:
    """Type ``question`` into the type-ahead key by key (each change on its own thread, as the app's
    unqueued handler runs; ``keys_per_s`` 0: all at once, as pasted), wait ``pause_s``, then send it."""
    threads = []
    for i in range(1 if keys_per_s else len(question), len(question) + 1):
        t = threading.Thread(target=backend.typed, args=(question[:i], None, None), daemon=True)
        t.start()
        threads.append(t)
        time.sleep(1.0 / keys_per_s if keys_per_s else 0.0)
    time.sleep(pause_s)
    result = ask(backend, question)
    for t in threads:
        t.join(timeout=30)
    return result


def flush(backend: LocalBackend) -> None:
    """Leave only the fixed prefix in the KV cache, so no mode inherits the one before's prompt."""
    answerer = backend._answerer
    answerer.generator.prefill(prefix_messages(answerer.prompts), turn_head(answerer.prompts) + "-\n")


MODES = {"pasted": (0.0, 0.0), "typed": (None, 0.0), "typed_pause": (None, 1.5)}  # keys/s, pause before sending


def timing(backend: LocalBackend, questions: list[str], keys_per_s: float) -> dict[str, Any]:
    backend.warm_up()
    ask(backend, "What did the embassy report about the elections?")  # a first answer, then the rest
    rows = []
    names = list(MODES)
    for n, q in enumerate(questions):
        row: dict[str, Any] = {"question": q}
        for mode in names[n % 3:] + names[:n % 3]:  # each mode first, second and third in turn
            flush(backend)
            keys, pause = MODES[mode]
            row[mode] = typed_then_sent(backend, q, keys_per_s if keys is None else keys, pause)
        row["same_answer"] = len({row[m]["raw"] for m in names}) == 1
        rows.append(row)
        print(f"  {q[:50]!r}: first token " + ", ".join(f"{m} {row[m]['first_token_s']} s" for m in names)
              + f"; same answer {row['same_answer']}", flush=True)
    out: dict[str, Any] = {"questions": len(rows), "keys_per_s": keys_per_s, "modes": MODES,
                           "same_answers": sum(r["same_answer"] for r in rows)}
    for mode in names:
        firsts = [r[mode]["first_token_s"] for r in rows if r[mode]["first_token_s"] is not None]
        out[mode] = {"first_token_p50_s": round(statistics.median(firsts), 2) if firsts else None,
                     "first_token_max_s": max(firsts) if firsts else None,
                     "within_5_s": sum(f <= 5.0 for f in firsts), "reached_the_model": len(firsts),
                     "prompt_evaluated_p50": statistics.median(r[mode]["prompt_evaluated"] for r in rows
                                                               if r[mode]["prompt_evaluated"] is not None),
                     "total_p50_s": round(statistics.median(r[mode]["total_s"] for r in rows), 2)}
    return {"summary": out, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--set", type=Path, default=ROOT / "eval" / "cables-test.jsonl")
    ap.add_argument("--drop", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--limit", type=int, default=0, help="coverage over the first N questions only")
    ap.add_argument("--timed", type=int, default=12, help="questions timed with the model (0: none)")
    ap.add_argument("--keys-per-s", type=float, default=6.0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "type_ahead.json")
    args = ap.parse_args()
    settings = load_settings(overrides={"index.dir": str(args.index_dir)})
    backend = LocalBackend(settings)
    questions = [q.question for q in load_dataset(args.set)][:args.limit or None]
    result: dict[str, Any] = {"cpu_flags": cpu_flags(), "llama_build": llama_build(), "set": str(args.set),
                              "index_dir": str(args.index_dir)}
    print(f"coverage over {len(questions)} questions of {args.set}", flush=True)
    result["coverage"] = coverage(backend, questions, args.drop)
    print(json.dumps(result["coverage"]["summary"]), flush=True)
    if args.timed:
        answerable = [q.question for q in load_dataset(args.set) if q.answerable][:args.timed]
        result["timing"] = timing(backend, answerable, args.keys_per_s)
        print(json.dumps(result["timing"]["summary"]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
