"""Scale: the large-collection vector index on 1 million synthetic 384-d vectors.

Builds the index type ``qa.store.vectors.spec_for`` picks at that size (IVF with 8-bit scalar quantisation),
and reports build time, memory, p50/p95 latency per query and recall@10 against exact search, for a
few ``nprobe`` values. The vectors are normalised with structure at two scales (topics and sub-topics, then noise), as
sentence embeddings are; uniform noise would be an unrealistically hard case for any IVF index.

    .venv/bin/python bench/scale.py [--n 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import faiss
import numpy as np

from qa.store import vectors


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(n: int, dim: int, topics: int, rng: np.random.Generator, seed_centres: int = 7) -> np.ndarray:
    """Normalised vectors with structure at two scales: topics, sub-topics, then noise."""
    crng = np.random.default_rng(seed_centres)  # same centres for data and queries
    centres = crng.standard_normal((topics, dim)).astype(np.float32)
    subs = crng.standard_normal((topics * 20, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for i in range(0, n, step):
        m = min(step, n - i)
        sub = rng.integers(0, topics * 20, m)
        out[i : i + m] = (
            centres[sub // 20] + 0.7 * subs[sub] + 0.6 * rng.standard_normal((m, dim)).astype(np.float32)
        )
    faiss.normalize_L2(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path("bench/results/scale.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    data = synthetic(args.n, args.dim, 5000, rng)
    queries = synthetic(args.queries, args.dim, 5000, np.random.default_rng(1))
    print(f"generated {args.n} vectors in {time.perf_counter() - t:.1f} s; rss {rss_mb():.0f} MB")

    exact = faiss.IndexFlatIP(args.dim)
    exact.add(data)
    t = time.perf_counter()
    _, truth = exact.search(queries, 10)
    exact_ms = (time.perf_counter() - t) * 1000 / args.queries
    del exact

    spec = vectors.spec_for(args.n)
    rss_before = rss_mb()
    t = time.perf_counter()
    train = data[rng.choice(args.n, size=min(args.n, spec.nlist * 40), replace=False)]
    index = vectors.new_index(spec, args.dim, train)
    train_s = time.perf_counter() - t
    index.add_with_ids(data, np.arange(args.n, dtype=np.int64))
    build_s = time.perf_counter() - t
    path = Path("/tmp/cableqa-scale.faiss")
    faiss.write_index(index, str(path))
    file_mb = path.stat().st_size / 1e6
    path.unlink()
    print(
        f"{spec.kind}: nlist {spec.nlist}, trained in {train_s:.1f} s, built in {build_s:.1f} s, "
        f"file {file_mb:.0f} MB (flat float32 would be {args.n * args.dim * 4 / 1e6:.0f} MB)"
    )

    ivf = faiss.extract_index_ivf(index)
    rows = []
    for nprobe in sorted({16, 32, 64, spec.nprobe, 2 * spec.nprobe}):
        ivf.nprobe = nprobe
        lat = []
        found = np.empty_like(truth)
        for i, q in enumerate(queries):
            t = time.perf_counter()
            _, ids = index.search(q.reshape(1, -1), 10)
            lat.append((time.perf_counter() - t) * 1000)
            found[i] = ids[0]
        recall = float(np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(len(queries))]))
        row = {
            "nprobe": nprobe,
            "recall_at_10": round(recall, 4),
            "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p95_ms": round(float(np.percentile(lat, 95)), 2),
            "default": nprobe == spec.nprobe,
        }
        rows.append(row)
        print(
            f"  nprobe {nprobe:>4}: recall@10 {recall:.3f}  p50 {row['p50_ms']:.2f} ms  p95 {row['p95_ms']:.2f} ms"
            + ("   <- default" if row["default"] else "")
        )
    result = {
        "n": args.n,
        "dim": args.dim,
        "index": spec.to_json(),
        "train_s": round(train_s, 1),
        "build_s": round(build_s, 1),
        "file_mb": round(file_mb, 1),
        "exact_ms_per_query": round(exact_ms, 2),
        "peak_rss_mb": round(rss_mb(), 0),
        "rss_before_index_mb": round(rss_before, 0),
        "nprobe": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"exact search: {exact_ms:.1f} ms/query; peak RSS {result['peak_rss_mb']:.0f} MB; wrote {args.out}")


if __name__ == "__main__":
    main()
