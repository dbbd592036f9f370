"""Embedding speed and recall cost: plain fp32 sentence-transformers vs the int8 fast path.

Both run on the same N windows, sampled uniformly from the paragraphs of ../shared/corpus/cables, in
interleaved rounds (fp32, int8, int8, fp32, ...) so that load from other processes on this shared
machine falls on both alike; the speed-up is reported as a ratio from the same run, with per-round
ratios to show the noise. The corpus projection scales the measured rate to every window of every
cable. Recall@1/5/10 on squad2-dev (answerable questions; a passage scores by its best window)
shows what the fast path costs in retrieval quality. ``int8-split`` is the int8 path before its worker
sessions took texts as they come (``FixedSplit``), ``int8-v3`` the one before recipe v4 (the fused
attention still given its all-ones mask), ``int8-v2`` the one before recipe v3 (also the residual layer
norms fused into ONNX Runtime's SkipLayerNormalization), each for the ratio to today's.

    python bench/embed.py [--n 1000] [--chunk 125] [--variants fp32,int8,int8-v3,int8-split,int8-v2,bf16]
                          [--no-recall]
                          [--avx2-kernels]

``--avx2-kernels`` runs both sides on the AVX2 kernels of ONNX Runtime and torch on an AVX-512
machine (``bench/avx2_kernels.py``).

Prints the figures and writes bench/results/embed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
CABLES = SHARED / "corpus" / "cables"
SQUAD = SHARED / "eval" / "squad2-dev"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from avx2_kernels import kernels, reexec_with_avx2_kernels  # noqa: E402

from qa.cores import cpu_flags  # noqa: E402
from qa.embed.folder import model_folder  # noqa: E402
from qa.embed.loading import Embedder, load_embedder  # noqa: E402
from qa.embed.onnx_runtime import OnnxEmbedder  # noqa: E402
from qa.embed.quantize import SLOW_FUSIONS, build_int8  # noqa: E402
from qa.settings import EmbedSettings, load_settings  # noqa: E402


def corpus_paragraphs() -> tuple[list[str], int, str]:
    """Every paragraph text of every cable, with the number of documents and the parser used."""
    files = sorted(CABLES.glob("*.txt"))
    try:
        from qa.parse.cable import parse_cable
    except ImportError:
        parse_cable = None
    texts: list[str] = []
    for path in files:
        raw = path.read_text(encoding="utf-8", errors="replace")
        if parse_cable is not None:
            texts.extend(p.text for p in parse_cable(raw, str(path)).paragraphs if p.text.strip())
        else:  # crude: blocks between blank lines of at least 8 words
            blocks = (" ".join(b.split()) for b in re.split(r"\n\s*\n", raw))
            texts.extend(b for b in blocks if len(b.split()) >= 8)
    return texts, len(files), "qa.cable" if parse_cable else "blank-line split"


# Earlier int8 recipes, for the ratio to today's in one run: v3 kept the fused attention's mask, v2 also
# fused the residual layer norms into SkipLayerNormalization (in the graph and by the session).
EARLIER_RECIPES = {"int8-v3": {"attention_mask": True},
                   "int8-v2": {"attention_mask": True, "skip_layer_norm": True}}


def previous_int8(settings: EmbedSettings, name: str) -> Embedder:
    """The int8 path with an earlier recipe (``EARLIER_RECIPES``), run the same way (one-thread worker
    sessions), so that one run compares them on the same windows."""
    folder = model_folder(settings)
    path = settings.cache_dir / f"bench-{folder.name}-{name}.onnx"
    recipe = EARLIER_RECIPES[name]
    if not path.is_file():
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        build_int8(folder.transformer_dir, path, **recipe)
    disabled = () if recipe.get("skip_layer_norm") else SLOW_FUSIONS
    embedder = OnnxEmbedder(str(path), folder, settings, disabled_optimizers=disabled)
    embedder.name = f"{folder.name}@{name}"
    return embedder


class FixedSplit(OnnxEmbedder):
    """The int8 path before texts were taken as they come: per batch of ``batch_size`` texts, worker w
    embeds every n-th text from the w-th, and all wait for the batch's slowest worker."""

    def encode(self, texts: list[str], *, progress: Any = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        pool, n = self._pool(), len(self._workers)
        for start in range(0, len(texts), self.batch_size):
            encs = self.tokenizer.encode_batch(texts[start:start + self.batch_size])
            parts = pool.map(lambda w, encs=encs: [self._run(e, self._workers[w]) for e in encs[w::n]], range(n))
            for w, part in enumerate(parts):
                out[start + w:start + len(encs):n] = part
        return out


def load_variant(name: str) -> Embedder:
    """``name``: an ``embed.quantize`` value, ``int8-split`` or an earlier recipe (``EARLIER_RECIPES``)."""
    settings = load_settings(None, dict(os.environ), {"embed.quantize": name.split("-")[0]})
    if name in EARLIER_RECIPES:
        return previous_int8(settings.embed, name)
    if name == "int8-split":
        embedder = FixedSplit.build(model_folder(settings.embed), settings.embed)
        embedder.name += "-split"
        return embedder
    return load_embedder(settings.embed)


def timed_rounds(embedders: dict[str, Embedder], sample: list[str], chunk: int) -> dict[str, dict]:
    """Encode ``sample`` chunk by chunk with every embedder, alternating the order each round."""
    wall = {name: [] for name in embedders}
    cpu = {name: 0.0 for name in embedders}
    names = list(embedders)
    for r, start in enumerate(range(0, len(sample), chunk)):
        part = sample[start:start + chunk]
        for name in names if r % 2 == 0 else names[::-1]:
            t0, c0 = time.perf_counter(), time.process_time()
            embedders[name].encode(part)
            wall[name].append(time.perf_counter() - t0)
            cpu[name] += time.process_time() - c0
        print(f"  round {r + 1}: " + ", ".join(f"{n} {wall[n][-1]:.1f}s" for n in names), file=sys.stderr)
    return {name: {"wall": wall[name], "cpu": cpu[name]} for name in names}


def query_latency_ms(embedder: Embedder, queries: list[str]) -> float:
    embedder.encode_query(queries[0])
    times = []
    for q in queries:
        t0 = time.perf_counter()
        embedder.encode_query(q)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def squad_recall(embedder: Embedder) -> dict[str, float]:
    """Recall@1/5/10 of the gold passage for the answerable squad2-dev questions, dense only."""
    passages = [json.loads(line) for line in (SQUAD / "corpus.jsonl").open(encoding="utf-8")]
    queries = [q for q in map(json.loads, (SQUAD / "queries.jsonl").open(encoding="utf-8")) if q["answerable"]]
    owner, windows = [], []
    for i, p in enumerate(passages):
        for w in embedder.windows(p["text"]):
            owner.append(i)
            windows.append(w)
    wvec = embedder.encode(windows)
    qvec = embedder.encode([q["question"] for q in queries])
    scores = np.full((len(queries), len(passages)), -np.inf, dtype=np.float32)
    wscores = qvec @ wvec.T
    for j, i in enumerate(owner):
        np.maximum(scores[:, i], wscores[:, j], out=scores[:, i])
    top = np.argsort(-scores, axis=1)[:, :10]
    ids = [p["id"] for p in passages]
    out = {}
    for k in (1, 5, 10):
        hits = [bool(set(q["gold_passage_ids"]) & {ids[j] for j in top[n, :k]}) for n, q in enumerate(queries)]
        out[f"recall@{k}"] = round(float(np.mean(hits)), 4)
    out["questions"], out["passages"], out["windows"] = len(queries), len(passages), len(windows)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="windows sampled from the corpus for the speed test")
    ap.add_argument("--chunk", type=int, default=250, help="windows per encode call (one round)")
    ap.add_argument("--variants", default="fp32,int8,int8-v3",
                    help="comma-separated embed.quantize values; int8-v3, int8-v2: the int8 path before "
                         "recipe v4, v3; int8-split: before texts were taken as they come (a fixed split per batch)")
    ap.add_argument("--no-recall", action="store_true", help="skip the squad2-dev recall comparison")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "embed.json")
    ap.add_argument("--avx2-kernels", action="store_true",
                    help="hide AVX-512/VNNI/AMX from CPUID, so ONNX Runtime and torch run their AVX2 kernels")
    args = ap.parse_args()
    if args.avx2_kernels:
        reexec_with_avx2_kernels()
    if not CABLES.is_dir():
        print(f"no corpus at {CABLES}", file=sys.stderr)
        return 2
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    embedders: dict[str, Embedder] = {}
    load_s = {}
    for v in variants:
        t0 = time.perf_counter()
        embedders[v] = load_variant(v)
        load_s[v] = round(time.perf_counter() - t0, 2)
    ref = embedders[variants[0]]

    t0 = time.perf_counter()
    paragraphs, n_docs, parser = corpus_paragraphs()
    all_windows = [w for p in paragraphs for w in ref.windows(p)]
    prep_s = time.perf_counter() - t0
    sample = random.Random(args.seed).sample(all_windows, min(args.n, len(all_windows)))
    counts = [ref.count_tokens(w) + 2 for w in sample]
    corpus_tokens_est = int(round(np.mean(counts) * len(all_windows)))
    print(f"corpus: {n_docs} cables, {len(paragraphs)} paragraphs, {len(all_windows)} windows "
          f"(~{corpus_tokens_est / 1e6:.1f}M tokens; parsed and windowed in {prep_s:.0f}s); "
          f"sample {len(sample)} windows, {sum(counts)} tokens", file=sys.stderr)

    load_before = os.getloadavg()
    timing = timed_rounds(embedders, sample, args.chunk)
    load_after = os.getloadavg()
    base = variants[0]
    results: dict[str, dict] = {}
    for v in variants:
        wall = sum(timing[v]["wall"])
        rate = len(sample) / wall
        results[v] = {
            "embedder": embedders[v].name,
            "load_s": load_s[v],
            "texts_per_s": round(rate, 1),  # windows (what is embedded) per second
            "paragraphs_per_s": round(rate * len(paragraphs) / len(all_windows), 1),
            "tokens_per_s": round(sum(counts) / wall),
            "wall_s": round(wall, 1),
            "cpu_s": round(timing[v]["cpu"], 1),
            "speedup_vs_" + base: round(sum(timing[base]["wall"]) / wall, 2),
            "speedup_per_round": [round(b / w, 2) for b, w in zip(timing[base]["wall"], timing[v]["wall"],
                                                                  strict=True)],
            "projected_corpus_min": round(len(all_windows) / rate / 60, 1),
            # What the same work takes when the cores are ours alone: CPU time spread over the cores.
            "projected_corpus_min_from_cpu": round(
                len(all_windows) * timing[v]["cpu"] / len(sample) / (os.cpu_count() or 1) / 60, 1),
            "query_ms_p50": round(query_latency_ms(embedders[v], sample[:30]), 2),
        }
    if not args.no_recall and SQUAD.is_dir():
        for v in variants:
            t0 = time.perf_counter()
            results[v]["squad2_dev"] = squad_recall(embedders[v])
            results[v]["squad2_dev"]["seconds"] = round(time.perf_counter() - t0, 1)
        for v in variants[1:]:
            cost = results[base]["squad2_dev"]["recall@5"] - results[v]["squad2_dev"]["recall@5"]
            results[v]["recall@5_cost_points"] = round(100 * cost, 2)

    report = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "cpu_flags": cpu_flags(), "kernels": kernels(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in load_after]},
        "corpus": {"cables": n_docs, "paragraphs": len(paragraphs), "windows": len(all_windows),
                   "tokens_estimated": corpus_tokens_est, "parser": parser},
        "sample": {"windows": len(sample), "tokens": sum(counts), "chunk": args.chunk, "seed": args.seed},
        "variants": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"\n{'variant':<24}{'texts/s':>9}{'tok/s':>8}{'ratio':>7}{'corpus min':>11}{'(cpu)':>7}{'query ms':>9}"
          f"{'R@1':>8}{'R@5':>8}{'R@10':>8}")
    for r in results.values():
        sq = r.get("squad2_dev", {})
        print(f"{r['embedder']:<24}{r['texts_per_s']:>9}{r['tokens_per_s']:>8}{r['speedup_vs_' + base]:>7}"
              f"{r['projected_corpus_min']:>11}{r['projected_corpus_min_from_cpu']:>7}{r['query_ms_p50']:>9}"
              + "".join(f"{sq.get(f'recall@{k}', float('nan')):>8.4f}" for k in (1, 5, 10)))
    for v in variants[1:]:
        rounds = results[v]["speedup_per_round"]
        print(f"{v} vs {base}: per-round ratios {min(rounds)}..{max(rounds)} (median {statistics.median(rounds):.2f})"
              + (f"; recall@5 cost {results[v]['recall@5_cost_points']} points"
                 if "recall@5_cost_points" in results[v] else ""))
    print(f"CPU {' '.join(cpu_flags())}, kernels {kernels()}; load average {load_before[0]:.1f} -> {load_after[0]:.1f} "
          f"on {os.cpu_count()} cores "
          "(above ~2.5 means other processes shared the CPU; compare ratios, not absolute rates)")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
