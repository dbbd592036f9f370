"""Retrieval quality on SQuAD 2.0 dev (646 passages): hybrid vs dense alone vs BM25 alone.

Indexes ``../shared/eval/squad2-dev/corpus.jsonl`` with the real packaged embedder into a temporary
index (or ``--index-dir``), runs every answerable question through each mode, and prints
recall@1/5/10 and MRR@10 side by side, plus search latency. ``qa eval DATASET --retrieval-only``
computes the same figures with the same metric functions.

    .venv/bin/python bench/retrieval.py [--limit N] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index_folder import index_folder  # noqa: E402

from qa.evaluation.dataset import load_squad_questions  # noqa: E402
from qa.evaluation.metrics import percentile, recall_at_k, reciprocal_rank, relevance  # noqa: E402
from qa.settings import load_settings  # noqa: E402
from qa.wiring import open_embedder, open_indexer, open_searcher  # noqa: E402

SQUAD = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "squad2-dev"
MODES = ("hybrid", "dense", "lexical")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad", type=Path, default=SQUAD)
    ap.add_argument("--index-dir", type=Path, help="reuse or build the index here (default: a temp folder)")
    ap.add_argument("--limit", type=int, help="only the first N answerable questions")
    ap.add_argument("--out", type=Path, default=Path("bench/results/retrieval.json"))
    args = ap.parse_args()

    settings = load_settings(None, os.environ, {})
    settings.index.dir = args.index_dir = index_folder(args.index_dir, "cableqa-squad-")
    embedder = open_embedder(settings)
    t = time.perf_counter()
    summary = open_indexer(settings, embedder).run([args.squad / "corpus.jsonl"])
    index_s = time.perf_counter() - t
    print(f"indexed {summary.totals['documents']} passages in {index_s:.1f} s ({embedder.name})")

    questions = [q for q in load_squad_questions(args.squad) if q.answerable and q.gold]
    if args.limit:
        questions = questions[: args.limit]
    searcher = open_searcher(settings, embedder)
    results: dict[str, dict[str, float]] = {}
    for mode in MODES:
        r1 = r5 = r10 = mrr = 0.0
        latencies = []
        for q in questions:
            t = time.perf_counter()
            hits = searcher.search(q.question, 10, q.filters, mode=mode)
            latencies.append((time.perf_counter() - t) * 1000)
            rel = relevance([(h.doc_id, h.paragraph, h.text) for h in hits], q.gold)
            r1 += recall_at_k(rel, len(q.gold), 1)
            r5 += recall_at_k(rel, len(q.gold), 5)
            r10 += recall_at_k(rel, len(q.gold), 10)
            mrr += reciprocal_rank(rel, 10)
        n = len(questions)
        results[mode] = {
            "recall@1": round(r1 / n, 4),
            "recall@5": round(r5 / n, 4),
            "recall@10": round(r10 / n, 4),
            "mrr@10": round(mrr / n, 4),
            "p50_ms": round(percentile(latencies, 50) or 0, 2),
            "p95_ms": round(percentile(latencies, 95) or 0, 2),
        }
    print(f"\n{len(questions)} answerable questions\n")
    print(f"{'mode':<8} {'R@1':>7} {'R@5':>7} {'R@10':>7} {'MRR@10':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for mode, m in results.items():
        print(
            f"{mode:<8} {m['recall@1']:>7.4f} {m['recall@5']:>7.4f} {m['recall@10']:>7.4f} {m['mrr@10']:>7.4f}"
            f" {m['p50_ms']:>7.1f} {m['p95_ms']:>7.1f}"
        )
    out = {
        "questions": len(questions),
        "passages": summary.totals["documents"],
        "embedder": embedder.name,
        "index_seconds": round(index_s, 1),
        "modes": results,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "weights": {
            "dense": settings.search.dense_weight,
            "lexical": settings.search.lexical_weight,
            "rrf_k": settings.search.rrf_k,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(f"\nwrote {args.out}")
    searcher.close()


if __name__ == "__main__":
    main()
