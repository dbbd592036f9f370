"""Indexing speed on the real corpus, then search latency on the index it built.

Indexes ``../shared/corpus/cables`` (6,712 cables) with the default settings into a fresh folder,
and reports wall time, the time to searchable (the text phase: parsed, stored, full-text indexed) and
the embedding phase apart, paragraphs/s, windows embedded and reused, index size and peak memory. Then
runs search queries (query embedding included, model loaded) and reports p50/p95 per mode.

    .venv/bin/python bench/index.py [--limit N] [--index-dir DIR] [--queries 200] [--avx2-kernels]

``--avx2-kernels``: the embedder runs ONNX Runtime's AVX2 kernels on an AVX-512 machine
(``bench/avx2_kernels.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from avx2_kernels import kernels, reexec_with_avx2_kernels  # noqa: E402
from injection import cpu_flags  # noqa: E402

from qa.evaluation.metrics import percentile  # noqa: E402
from qa.settings import load_settings  # noqa: E402
from qa.wiring import open_embedder, open_indexer, open_searcher  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CABLES = ROOT.parent / "shared" / "corpus" / "cables"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def search_latency(searcher: Any, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """p50/p95 search time per mode: random cable subjects as queries, and whole questions as users type
    them (longer, naming periods: the default period boost adds a ranking for those)."""
    rows = searcher.store.conn.execute("SELECT title FROM documents WHERE title IS NOT NULL").fetchall()
    rng = random.Random(0)
    queries = [r[0].lower() for r in rng.sample(rows, min(args.queries, len(rows)))]
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()] if args.questions.exists() else []
    latency: dict[str, dict[str, float]] = {}
    runs = [(mode, mode, queries) for mode in ("hybrid", "dense", "lexical")]
    if questions:
        runs.append(("hybrid questions", "hybrid", questions))
    for name, mode, texts in runs:
        times = []
        for q in texts:
            t = time.perf_counter()
            searcher.search(q, 10, mode=mode)
            times.append((time.perf_counter() - t) * 1000)
        latency[name] = {"p50_ms": round(percentile(times, 50) or 0, 1), "p95_ms": round(percentile(times, 95) or 0, 1),
                         "queries": len(texts)}
        print(f"search {name:<16} p50 {latency[name]['p50_ms']:6.1f} ms   p95 {latency[name]['p95_ms']:6.1f} ms")
    return latency


def search_settings(settings: Any) -> dict[str, Any]:
    s = settings.search
    return {"period_weight": s.period_weight, "origin_weight": s.origin_weight, "candidates": s.candidates,
            "lexical_max_share": s.lexical_max_share}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cables", type=Path, default=CABLES)
    ap.add_argument("--limit", type=int, help="index only the first N files (a quick run)")
    ap.add_argument("--index-dir", type=Path)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "cables-test.jsonl",
                    help="questions whose search latency is measured too (a JSONL with a question field)")
    ap.add_argument("--out", type=Path, default=Path("bench/results/index.json"))
    ap.add_argument("--search-only", action="store_true",
                    help="time search on the index already in --index-dir, without indexing (writes --out)")
    ap.add_argument("--avx2-kernels", action="store_true",
                    help="hide AVX-512/VNNI/AMX from CPUID, so the embedder runs ONNX Runtime's AVX2 kernels")
    args = ap.parse_args()
    if args.avx2_kernels:
        reexec_with_avx2_kernels()
    if args.search_only and args.index_dir is None:
        ap.error("--search-only needs --index-dir")
    settings = load_settings(None, os.environ, {})
    tmp = None
    if args.index_dir is None:
        tmp = tempfile.mkdtemp(prefix="cableqa-index-")
        args.index_dir = Path(tmp)
    settings.index.dir = args.index_dir
    files = sorted(args.cables.glob("*.txt"))
    if args.limit:
        files = files[: args.limit]
        src = Path(tempfile.mkdtemp(prefix="cableqa-src-"))
        for f in files:
            (src / f.name).symlink_to(f)
    else:
        src = args.cables

    t = time.perf_counter()
    embedder = open_embedder(settings)
    load_s = time.perf_counter() - t
    if args.search_only:
        searcher = open_searcher(settings, embedder)
        latency = search_latency(searcher, args)
        result = {"cpu_flags": cpu_flags(), "kernels": kernels(), "search": latency, "index_dir": str(args.index_dir),
                  "settings": search_settings(settings), "load_average": os.getloadavg()[0]}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
        print(f"CPU {' '.join(cpu_flags())}; wrote {args.out}")
        searcher.close()
        return
    t = time.perf_counter()
    summary = open_indexer(settings, embedder).run([src])
    index_s = time.perf_counter() - t
    size_mb = sum(f.stat().st_size for f in args.index_dir.iterdir() if f.is_file()) / 1e6
    paragraphs = summary.totals["paragraphs"]
    print(
        f"indexed {summary.totals['documents']} documents, {paragraphs} paragraphs in {index_s:.1f} s "
        f"({paragraphs / index_s:.1f} paragraphs/s); {summary.embedded} windows embedded, "
        f"{summary.reused_vectors} reused; {summary.failed} failed; index {size_mb:.0f} MB; embedder {embedder.name} "
        f"(loaded in {load_s:.1f} s); searchable by words after {summary.text_seconds:.1f} s, embedded in "
        f"{summary.vector_seconds:.1f} s more; CPU {' '.join(cpu_flags())}, kernels {kernels()}"
    )

    searcher = open_searcher(settings, embedder)
    latency = search_latency(searcher, args)
    result = {
        "documents": summary.totals["documents"],
        "paragraphs": paragraphs,
        "files": len(files),
        "failed": summary.failed,
        "cpu_flags": cpu_flags(),
        "kernels": kernels(),
        "index_seconds": round(index_s, 1),
        "text_phase_seconds": round(summary.text_seconds, 1),
        "vector_phase_seconds": round(summary.vector_seconds, 1),
        "paragraphs_per_s": round(paragraphs / index_s, 1),
        "windows_embedded": summary.embedded,
        "windows_reused": summary.reused_vectors,
        "embedder": embedder.name,
        "index_mb": round(size_mb, 1),
        "search": latency,
        "settings": search_settings(settings),
        "peak_rss_mb": round(rss_mb()),
        "load_average": os.getloadavg()[0],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"peak RSS {result['peak_rss_mb']} MB; wrote {args.out}")
    searcher.close()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
