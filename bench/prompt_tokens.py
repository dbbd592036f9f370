"""What the answer prompt shows, per question: tokens the model must evaluate, and whether the answer is in it.

Issue 15 point 4: the first token waits for the model to read the question's part of the prompt (the
fixed rules and examples are a cached prefix), and on a CPU that costs about 1/60 s a token, more on
AVX2 (``bench/llama_formats.py``). This runs the real pipeline up to the prompt (retrieval, passage
choice, sentence choice) for each question of a set, without generating: the model's reply is replaced
by the abstention, so no check runs. Per question it counts the tokens of the question's user turn
with the model's own tokenizer and where they go (the passages' text, their source lines, the question,
the layout around them), the shown sentences that repeat one shown before, and whether a
gold paragraph is shown and a reference answer is in the shown text (the recall that must not drop
when tokens are cut), for each ``--context-words`` budget (``answer.context_words``: the words of
passage text shown) and each ``--min-share`` (the share of the best sentence's score a sentence needs
to be shown at all, ``qa.answer.passages.MIN_SHARE``). Other settings come from ``--config`` and
``QA_*`` like any command.

    .venv/bin/python bench/prompt_tokens.py eval/cables-dev.jsonl --index-dir index/cables
        [--context-words 80 120 160 200] [--min-share 0.6 0.7] [--config a.toml]
        [--out bench/results/prompt_tokens.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import qa.answer.pipeline as pipeline  # noqa: E402
from qa.answer.passages import GAP, MIN_SHARE, choose_sentences  # noqa: E402
from qa.cores import cpu_flags  # noqa: E402
from qa.evaluation.dataset import load_dataset  # noqa: E402
from qa.evaluation.metrics import containment  # noqa: E402
from qa.grounding.checks import source_line  # noqa: E402
from qa.prompts.templates import ABSTAIN, Shown, prompt_sources  # noqa: E402
from qa.settings import load_settings  # noqa: E402
from qa.text import split_sentences  # noqa: E402
from qa.wiring import open_answerer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class PromptOnly:
    """Stands in for the generator: keeps each prompt, counts its last turn's tokens, replies with
    the abstention (so the pipeline stops there). Tokens are counted by the real model's tokenizer."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.name = getattr(real, "name", "model")
        self.last: list[dict[str, str]] = []

    def stream(self, prompt: Any, **_: Any):
        self.last = list(prompt)
        yield ABSTAIN

    def turn_tokens(self) -> int:
        return self.real.count_tokens(self.last[-1]["content"]) if self.last else 0


def prompt_only(answerer: Any) -> PromptOnly:
    """Make ``answerer`` stop at the prompt: its generator replaced, what it shows kept in ``last_shown``."""
    fake = PromptOnly(answerer.generator)
    answerer.generator = fake
    answerer.check_model = None  # nothing is generated, so nothing is checked
    original = answerer._shown

    def keep_shown(run: Any, picked: Any, cache: Any) -> Any:
        answerer.last_shown = original(run, picked, cache)
        return answerer.last_shown

    answerer._shown = keep_shown
    answerer.last_shown = None
    return fake


def measure(answerer: Any, fake: PromptOnly, question: Any) -> dict:
    """One question up to its prompt: tokens, shown words, repeats, gold and answer shown."""
    answerer.last_shown = None
    started = time.perf_counter()
    answer = answerer.ask(question.question, filters=question.filters)
    run_ms = 1000 * (time.perf_counter() - started)
    shown = getattr(answerer, "last_shown", None)
    texts = [text for _, text in shown] if shown else []
    parts = breakdown(fake, shown or [], question.question)
    seen: set[str] = set()
    repeats = 0
    for text in texts:
        for sentence in split_sentences(text.replace(GAP, " ")):
            key = " ".join(sentence.casefold().split())
            repeats += key in seen
            seen.add(key)
    gold_shown = any(g.matches(hit.doc_id, hit.paragraph, hit.text) for hit, _ in shown or [] for g in question.gold)
    return {"id": question.id, "answerable": question.answerable, "tokens": fake.turn_tokens(),
            "passages": len(texts), "words": sum(len(t.split()) for t in texts), "repeated_sentences": repeats,
            "gold_shown": gold_shown, **parts,
            "answer_shown": bool(question.answers) and containment(" ".join(texts), question.answers) > 0,
            "prompt_ready_ms": answer.timings.get("prompt_ready_ms"), "run_ms": round(run_ms, 1)}


def breakdown(fake: PromptOnly, shown: list, question: str) -> dict:
    """Where the turn's tokens go, each part counted alone: the passages' text, their source lines
    (each document's once, as the prompt shows them), the question, and the rest (numbers, fences,
    notes of a repeated document, the line before the question), which is the turn less the others."""
    if not shown or not fake.last:
        return {}
    count = fake.real.count_tokens
    passages = [Shown(n, source_line(hit), t) for n, (hit, t) in enumerate(shown, start=1)]
    sources = list(dict.fromkeys(prompt_sources(passages, question)))
    text = sum(count(t) for _, t in shown)
    source = sum(count(s) for s in sources)
    asked = count(question)
    return {"text_tokens": text, "source_tokens": source, "question_tokens": asked,
            "layout_tokens": fake.turn_tokens() - text - source - asked, "documents": len(sources)}


def summarise(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    tokens = [r["tokens"] for r in rows if r["tokens"]]
    return {"questions": len(rows), "answerable": len(answerable),
            "tokens_p50": statistics.median(tokens) if tokens else None,
            "tokens_mean": round(statistics.fmean(tokens), 1) if tokens else None,
            "words_mean": round(statistics.fmean(r["words"] for r in rows), 1),
            "with_repeated_sentences": sum(r["repeated_sentences"] > 0 for r in rows),
            "gold_shown": sum(r["gold_shown"] for r in answerable),
            "answer_shown": sum(r["answer_shown"] for r in answerable),
            **{f"{part}_p50": statistics.median(r[part] for r in rows if part in r)
               for part in ("text_tokens", "source_tokens", "question_tokens", "layout_tokens", "documents")
               if any(part in r for r in rows)},
            "prompt_ready_ms_p50": statistics.median(r["prompt_ready_ms"] for r in rows if r["prompt_ready_ms"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--index-dir", type=Path)
    ap.add_argument("--config", type=Path)
    ap.add_argument("--context-words", type=int, nargs="+", help="budgets to compare (default: the setting)")
    ap.add_argument("--min-share", type=float, nargs="+", default=[MIN_SHARE],
                    help=f"sentence floors to compare, as shares of the best sentence's score (default {MIN_SHARE})")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "prompt_tokens.json")
    args = ap.parse_args()
    settings = load_settings(args.config, env=os.environ, overrides={"index.dir": args.index_dir})
    answerer = open_answerer(settings)
    fake = prompt_only(answerer)
    questions = load_dataset(args.dataset)
    runs = []
    for share in args.min_share:
        # the floor is a constant of the passage code, not a setting: the pipeline's call is wrapped
        pipeline.choose_sentences = functools.partial(choose_sentences, min_share=share)
        for words in args.context_words or [settings.answer.context_words]:
            answerer.settings = dataclasses.replace(settings.answer, context_words=words)
            rows = [measure(answerer, fake, question) for question in questions]
            summary = {"context_words": words, "min_share": share, **summarise(rows)}
            print(json.dumps(summary), flush=True)
            runs.append({"summary": summary, "questions": rows})
    pipeline.choose_sentences = choose_sentences
    result = {"cpu_flags": cpu_flags(), "dataset": str(args.dataset), "config": str(args.config or ""),
              "k": settings.answer.k, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
