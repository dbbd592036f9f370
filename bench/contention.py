"""Throughput under load: embedding (int8 ONNX Runtime) and generation (llama.cpp) on a quiet machine
and with a CPU hog (a busy loop in another process) on one core, for each thread setting.

On 2 cores, llama.cpp's and ONNX Runtime's worker threads wait for each other at every operator: when
another process holds one core, a 2-thread run waits for its slow thread at each step. This measures
how much of the quiet throughput each setting keeps, so the default is chosen by numbers. Generation
with ``threads=0`` is the default: it looks at the free cores before each answer (``qa.cores.LoadWatch``).

    .venv/bin/python bench/contention.py [--out bench/results/contention.json] [--windows 200] [--tokens 64]

Run it alone: the hog is the only other CPU work it may meet.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from injection import cpu_flags  # noqa: E402

from qa.cores import idle_cores, usable_cores  # noqa: E402
from qa.parse.loaders import iter_documents  # noqa: E402
from qa.settings import load_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CABLES = ROOT.parent / "shared" / "corpus" / "cables"
PROMPT = ("Summarise in three sentences what a US embassy reports in a cable about a national conference on "
          "human trafficking, who spoke, and what figures they gave.")


def hog(stop: Any) -> None:
    """A busy loop, as another program at full speed on one core would be."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


class Hog:
    """One busy process for the duration of a ``with`` block."""

    def __enter__(self) -> Hog:
        self.stop = mp.Event()
        self.proc = mp.Process(target=hog, args=(self.stop,), daemon=True)
        self.proc.start()
        time.sleep(1.0)  # let it take its core
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


def windows(n: int) -> list[str]:
    out: list[str] = []
    for doc in iter_documents(sorted(CABLES.glob("*.txt"))[:200]):
        for p in getattr(doc, "paragraphs", []):
            if len(p.text) > 200:
                out.append(p.text[:1200])
            if len(out) >= n:
                return out
    return out


def embed_rate(threads: int, texts: list[str]) -> float:
    from qa.embed.loading import load_embedder

    settings = load_settings(None, os.environ, {"embed.threads": threads})
    embedder = load_embedder(settings.embed)
    embedder.encode(texts[:10])
    started = time.perf_counter()
    embedder.encode(texts)
    return len(texts) / (time.perf_counter() - started)


def generate_rate(threads: int, tokens: int) -> dict[str, float]:
    from qa.answer.llm.llama import LlamaGenerator
    from qa.answer.llm.weights import resolve_model

    settings = load_settings(None, os.environ, {})
    gen = LlamaGenerator(resolve_model(settings.llm.model, settings.llm.cache_dir), threads=threads,
                         max_tokens=tokens)
    gen.load()
    messages = [{"role": "user", "content": PROMPT}]
    for _ in gen.stream(messages, max_tokens=4):  # warm caches
        pass
    out: dict[str, float] = {}
    started = time.perf_counter()
    first = None
    n = 0
    for _ in gen.stream([{"role": "user", "content": PROMPT + " Be precise."}], max_tokens=tokens):
        n += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    out["first_token_s"] = round((first or end) - started, 2)
    out["tokens_per_s"] = round(max(n - 1, 1) / max(end - (first or started), 1e-6), 2)
    out["threads_used"] = gen.threads
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "contention.json")
    ap.add_argument("--windows", type=int, default=200)
    ap.add_argument("--tokens", type=int, default=64)
    args = ap.parse_args()
    cores = usable_cores()
    texts = windows(args.windows)
    settings_tried = sorted({cores, 1})
    rows: list[dict[str, Any]] = []
    for threads in settings_tried:
        quiet = embed_rate(threads, texts)
        with Hog():
            busy_idle = idle_cores()
            loaded = embed_rate(threads, texts)
        rows.append({"work": "embed", "threads": threads, "quiet": round(quiet, 1), "hog": round(loaded, 1),
                     "kept": round(loaded / quiet, 3), "idle_cores_seen_under_hog": busy_idle})
        print(rows[-1], flush=True)
    for threads in [0, *settings_tried]:  # 0: automatic, the cores other programs leave free
        quiet_g = generate_rate(threads, args.tokens)
        with Hog():
            loaded_g = generate_rate(threads, args.tokens)
        rows.append({"work": "generate", "threads": threads, "quiet": quiet_g, "hog": loaded_g,
                     "kept": round(loaded_g["tokens_per_s"] / quiet_g["tokens_per_s"], 3)})
        print(rows[-1], flush=True)
    out = {"cpu_flags": cpu_flags(), "cores": cores, "windows": len(texts), "tokens": args.tokens, "rows": rows,
           "load_average_at_end": os.getloadavg()[0]}
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
