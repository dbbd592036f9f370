"""Answering speed: time to sources, to first token, generated tokens/s and total, p50 and p95.

Builds a temporary index of the built-in example (the seed cable) plus, when ``../shared`` is there,
the cables that the first 20 answerable questions of ``eval/cables-dev.jsonl`` are about and some
other cables around them; then asks the three seed questions and those 20 cable questions with the
configured model (default: the packaged 1.5B). Generated tokens/s is measured as the caller sees the
stream and compared with llama.cpp's own decode timer for the same call (target ratio >= 0.9).

``--unanswerable N`` also asks the first N unanswerable questions of the set (on-topic: they are about
the set's cables, so the gold cables of all its answerable questions are indexed too); an answer to
one of them is a wrong answer. Each cable row records whether the answer contains an accepted answer
and cites a gold paragraph (a hint for reading them, not a grade).

    .venv/bin/python bench/answer.py [--cables 20] [--unanswerable 0] [--distractors 60] [--index-dir DIR]
        [--model GGUF] [--threads 0] [--debug]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from index_folder import index_folder  # noqa: E402

from qa.answer.llm.loader import repack_weights  # noqa: E402
from qa.cores import cpu_flags, llama_build  # noqa: E402
from qa.evaluation.dataset import load_dataset  # noqa: E402
from qa.evaluation.metrics import containment, percentile  # noqa: E402
from qa.settings import load_settings  # noqa: E402
from qa.wiring import open_answerer, open_embedder, open_indexer, open_searcher  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CABLES = ROOT.parent / "shared" / "corpus" / "cables"
SEED_QUESTIONS = [
    "How many human trafficking cases were reported in Cambodia in 2005?",
    "Who is the director of the AHTJP Department?",
    "What is the population of Cambodia?",
]


def build_index(settings, embedder, n_cables: int, n_distractors: int, n_unanswerable: int = 0) -> list:
    """Index the seed and some real cables; return the (set, question, dataset entry) triples to ask."""
    staging = Path(tempfile.mkdtemp(prefix="cableqa-bench-docs-"))
    shutil.copy(ROOT / "examples" / "06PHNOMPENH657.txt", staging)
    asks = [("seed", q, None) for q in SEED_QUESTIONS]
    if CABLES.is_dir() and (n_cables or n_unanswerable):
        dataset = load_dataset(ROOT / "eval" / "cables-dev.jsonl")
        answerable = [q for q in dataset if q.answerable and q.gold]
        questions = answerable[:n_cables]
        unanswerable = [q for q in dataset if not q.answerable][:n_unanswerable]
        wanted = {g.doc_id for q in (answerable if unanswerable else questions) for g in q.gold}
        others = sorted(p.stem for p in CABLES.glob("*.txt") if p.stem not in wanted)
        wanted |= set(random.Random(7).sample(others, min(n_distractors, len(others))))
        for doc_id in sorted(wanted):
            if (CABLES / f"{doc_id}.txt").exists():
                shutil.copy(CABLES / f"{doc_id}.txt", staging)
        asks += [("cables", q.question, q) for q in questions]
        asks += [("unanswerable", q.question, q) for q in unanswerable]
    t = time.perf_counter()
    summary = open_indexer(settings, embedder).run([staging])
    print(f"indexed {summary.totals.get('documents')} documents in {time.perf_counter() - t:.1f} s")
    shutil.rmtree(staging, ignore_errors=True)
    return asks


def grade(answer, entry) -> dict:
    """For a dataset question: does the answer contain an accepted answer, does it cite a gold paragraph."""
    if entry is None or answer.abstained:
        return {}
    gold = {(g.doc_id, g.paragraph) for g in entry.gold}
    return {"contains_answer": bool(entry.answers) and containment(answer.answer, entry.answers) > 0,
            "cites_gold": any((c.doc_id, c.paragraph) in gold for c in answer.citations)}


def measure(answerer, question: str, entry=None) -> dict:
    """One question through the streaming pipeline, timed as a caller sees it."""
    start = time.perf_counter()
    sources_ms = first_ms = None
    token_times: list[float] = []
    answer = None
    for event in answerer.stream(question):
        now = time.perf_counter()
        if event.kind == "sources":
            sources_ms = (now - start) * 1000
        elif event.kind == "token":
            token_times.append(now)
            if first_ms is None:
                first_ms = (now - start) * 1000
        else:
            answer = event.value
    total_ms = (time.perf_counter() - start) * 1000
    stats = getattr(answerer.generator, "stats", None)
    ours = (len(token_times) - 1) / (token_times[-1] - token_times[0]) if len(token_times) > 2 else None
    own = stats.generated_per_s if stats is not None and first_ms is not None else None
    return {
        "question": question,
        "abstained": answer.abstained,
        "answer": answer.with_labels(),
        "raw": answer.raw,  # the model's own text, before the checks
        "sources_ms": round(sources_ms, 1),
        "first_token_ms": round(first_ms, 1) if first_ms is not None else None,
        "total_ms": round(total_ms, 1),
        "generated_tokens": len(token_times),
        "generated_per_s": round(ours, 2) if ours else None,
        "llama_generated_per_s": round(own, 2) if own else None,
        "speed_ratio": round(ours / own, 3) if ours and own else None,
        "prompt_tokens_evaluated": stats.prompt_evaluated if stats is not None and first_ms else None,
        "prompt_per_s": round(stats.prompt_per_s, 1) if stats is not None and first_ms else None,
        "diagnostics": answer.diagnostics,  # why it abstained, check scores
        **grade(answer, entry),
    }


def summarize(rows: list[dict]) -> dict:
    out: dict = {"questions": len(rows), "abstained": sum(r["abstained"] for r in rows)}
    if any("contains_answer" in r for r in rows):
        out["contains_answer"] = sum(bool(r.get("contains_answer")) for r in rows)
        out["cites_gold"] = sum(bool(r.get("cites_gold")) for r in rows)
    for key in ("sources_ms", "first_token_ms", "total_ms", "generated_per_s", "speed_ratio", "prompt_per_s"):
        values = [r[key] for r in rows if r[key] is not None]
        if values:
            out[key] = {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2),
                        "mean": round(statistics.fmean(values), 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cables", type=int, default=20, help="cable questions from eval/cables-dev.jsonl")
    ap.add_argument("--unanswerable", type=int, default=0,
                    help="also ask this many unanswerable questions of eval/cables-dev.jsonl")
    ap.add_argument("--distractors", type=int, default=60, help="other cables indexed around them")
    ap.add_argument("--index-dir", type=Path, help="build the index here (default: a temp folder)")
    ap.add_argument("--model", help="a local GGUF file (default: the packaged 1.5B)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "answer.json")
    ap.add_argument("--debug", action="store_true", help="log the answer checks (why a sentence fails)")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp and torch threads (0: all cores)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.debug:
        logging.getLogger("qa.answer").setLevel(logging.DEBUG)

    settings = load_settings(None, os.environ, {"llm.model": args.model, "llm.threads": args.threads,
                                                "embed.threads": args.threads})
    settings.index.dir = args.index_dir = index_folder(args.index_dir, "cableqa-bench-")
    embedder = open_embedder(settings)
    asks = build_index(settings, embedder, args.cables, args.distractors, args.unanswerable)
    answerer = open_answerer(settings, open_searcher(settings, embedder))
    t = time.perf_counter()
    answerer.warm_up()
    warm_s = time.perf_counter() - t
    print(f"model load + prompt prefix: {warm_s:.1f} s ({answerer.generator.name}, "
          f"{answerer.generator.threads} threads)")
    rows = []
    for group, question, entry in asks:
        row = {"set": group, **measure(answerer, question, entry)}
        rows.append(row)
        r = row
        print(f"[{group}] {r['sources_ms']:.0f} ms sources, first token {r['first_token_ms'] or 0:.0f} ms, "
              f"total {r['total_ms']:.0f} ms, {r['generated_tokens']} tokens "
              f"({r['generated_per_s'] or 0:.1f}/s vs llama.cpp {r['llama_generated_per_s'] or 0:.1f}/s), "
              f"prompt {r['prompt_tokens_evaluated']} tok: {r['answer'][:90]}")
    result = {
        "model": answerer.generator.name,
        "threads": answerer.generator.threads,
        "warm_up_s": round(warm_s, 2),
        "settings": {"k": settings.answer.k, "context_words": settings.answer.context_words},
        "all": summarize(rows),
        "seed": summarize([r for r in rows if r["set"] == "seed"]),
        "cables": summarize([r for r in rows if r["set"] == "cables"]),
        **({"unanswerable": summarize(u)} if (u := [r for r in rows if r["set"] == "unanswerable"]) else {}),
        "rows": rows,
        "load_average": os.getloadavg(),
        "cpu_flags": cpu_flags(),
        "flash_attn": getattr(answerer.generator, "flash_attn", lambda: None)(),
        "repack": repack_weights(answerer.generator.repack_setting)
        if hasattr(answerer.generator, "repack_setting") else None,
        "llama_build": llama_build(),
    }
    for name in ("seed", "cables", "all"):
        s = result[name]
        if s.get("first_token_ms"):
            src, first, total = s["sources_ms"], s["first_token_ms"], s["total_ms"]
            print(f"{name:>6}: sources p50 {src['p50']:.0f} ms / p95 {src['p95']:.0f} ms; "
                  f"first token p50 {first['p50'] / 1000:.2f} s / p95 {first['p95'] / 1000:.2f} s; "
                  f"total p50 {total['p50'] / 1000:.2f} s; speed ratio p50 {s.get('speed_ratio', {}).get('p50')}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"CPU {' '.join(cpu_flags())}; llama.cpp {result['llama_build']}; wrote {args.out}")


if __name__ == "__main__":
    main()
