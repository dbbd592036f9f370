"""A second ranking stage from what the answer step computes anyway: each candidate's best sentence.

The hybrid ranking scores a paragraph by its best token window (dense) and by BM25 over its words.
A cable paragraph often answers in one sentence among several about other things, and the answer step
already embeds every sentence of the passages it shows (``qa.answer.passages``). This measures
whether ranking the first ``--depth`` candidates again by their best sentence (the answer step's own
sentence score: cosine with the question plus ``LEXICAL_WEIGHT`` times the share of the question's
content words) lifts recall@5: the new order is a reciprocal-rank fusion of the hybrid order and the
best-sentence order, the latter with weight ``w`` (0 = today's ranking).

    .venv/bin/python bench/rerank_sentences.py eval/cables-dev.jsonl --index-dir DIR [--out FILE]

Prints recall@1/5/10 and MRR@10 per (depth, w) and the added time per question, and writes JSON with
the CPU flags. Choose on the dev set; report on the test set at the point chosen there.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from qa.answer.passages import LEXICAL_WEIGHT, Candidate, rank_sentences  # noqa: E402
from qa.cores import cpu_flags  # noqa: E402
from qa.evaluation.dataset import load_dataset  # noqa: E402
from qa.evaluation.metrics import percentile, recall_at_k, reciprocal_rank, relevance  # noqa: E402
from qa.grounding.instructions import visible_sentences  # noqa: E402
from qa.settings import load_settings  # noqa: E402
from qa.wiring import open_embedder, open_searcher  # noqa: E402

DEPTHS = (10, 20)
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
RRF_K = 60


def best_sentence_scores(question: str, qvec: np.ndarray, texts: list[str], embedder) -> list[float]:
    """Each text's best sentence score, as the answer step scores sentences (one encode batch)."""
    candidates = [Candidate(i, visible_sentences(t) or [t], 0.0) for i, t in enumerate(texts)]
    scores = iter((np.asarray(embedder.encode([s for c in candidates for s in c.sentences]), np.float32)
                   @ qvec).tolist())
    cosines = [[next(scores) for _ in c.sentences] for c in candidates]
    best: dict[int, float] = {}
    for score, i, _ in rank_sentences(question, candidates, cosines):  # best first
        best.setdefault(i, score)
    return [best[i] for i in range(len(texts))]


def fused_order(n: int, sentence_scores: list[float], weight: float) -> list[int]:
    """Candidates 0..n-1 (hybrid order) in the order of RRF(hybrid rank, best-sentence rank x weight)."""
    by_sentence = sorted(range(n), key=lambda i: -sentence_scores[i])
    score = {i: 1.0 / (RRF_K + i + 1) for i in range(n)}
    for rank, i in enumerate(by_sentence):
        score[i] += weight / (RRF_K + rank + 1)
    return sorted(range(n), key=lambda i: (-score[i], i))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    settings = load_settings(None, os.environ, {})
    settings.index.dir = args.index_dir
    embedder = open_embedder(settings)
    searcher = open_searcher(settings, embedder)
    questions = [q for q in load_dataset(args.dataset) if q.gold]
    sums = {(d, w): np.zeros(4) for d in DEPTHS for w in WEIGHTS}
    added_ms: dict[int, list[float]] = {d: [] for d in DEPTHS}
    search_ms: list[float] = []
    for q in questions:
        started = time.perf_counter()
        hits = searcher.search(q.question, max(DEPTHS), q.filters)
        search_ms.append(1000 * (time.perf_counter() - started))
        qvec = np.asarray(embedder.encode_query(q.question), np.float32)
        for depth in DEPTHS:
            top = hits[:depth]
            started = time.perf_counter()
            scores = best_sentence_scores(q.question, qvec, [h.text for h in top], embedder)
            added_ms[depth].append(1000 * (time.perf_counter() - started))
            for w in WEIGHTS:
                order = [top[i] for i in fused_order(len(top), scores, w)] + hits[depth:]
                rel = relevance([(h.doc_id, h.paragraph, h.text) for h in order], q.gold)
                n_gold = len(q.gold)
                sums[(depth, w)] += [recall_at_k(rel, n_gold, 1), recall_at_k(rel, n_gold, 5),
                                     recall_at_k(rel, n_gold, 10), reciprocal_rank(rel, 10)]
    rows = []
    print(f"{len(questions)} questions with gold, {args.dataset}; CPU {' '.join(cpu_flags())}")
    print("depth  w     recall@1 recall@5 recall@10 MRR@10")
    for (depth, w), total in sums.items():
        r1, r5, r10, mrr = (total / len(questions)).round(4).tolist()
        rows.append({"depth": depth, "weight": w, "recall@1": r1, "recall@5": r5, "recall@10": r10, "mrr@10": mrr})
        print(f"{depth:>5}  {w:<4}  {r1:8.3f} {r5:8.3f} {r10:9.3f} {mrr:6.3f}")
    timing = {"search_ms_p50": round(percentile(search_ms, 50), 1),
              **{f"added_ms_p50_depth{d}": round(percentile(v, 50), 1) for d, v in added_ms.items()},
              **{f"added_ms_p95_depth{d}": round(percentile(v, 95), 1) for d, v in added_ms.items()}}
    print("search (depth 20) p50 {search_ms_p50} ms; best-sentence scores added: ".format(**timing)
          + ", ".join(f"depth {d} p50 {timing[f'added_ms_p50_depth{d}']} ms" for d in DEPTHS))
    if args.out:
        args.out.write_text(json.dumps({"dataset": str(args.dataset), "questions": len(questions),
                                        "rrf_k": RRF_K, "lexical_weight": LEXICAL_WEIGHT, "rows": rows,
                                        "timing": timing, "cpu_flags": cpu_flags(),
                                        "load_average": os.getloadavg()}, indent=1) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
