"""Several answers at once: does llama.cpp's parallel decoding (several sequences in one batch) raise
throughput on this CPU, and what do 1 and 4 concurrent users wait today?

1. **Parallel decoding.** With llama.cpp's own batch API, ``S`` prompts of the size answering uses
   (the packaged model's chat template around ~5 cable passages) are evaluated, then decoded greedily
   together (each sequence decodes the same number of tokens), one token of each sequence per
   ``llama_decode`` call, for S = 1, 2, 4. Generation on
   CPU is bound by memory bandwidth (every token reads all weights), so S sequences in one batch
   should cost little more than one. Reported: prompt time, decode tokens/s per sequence and in all.
2. **Today's serial answering.** ``Answerer.ask`` over the built-in example from 1 and from 4 threads
   at once (one generation at a time, as the app queues them): p50 and p95 seconds to an answer.

    .venv/bin/python bench/parallel_decode.py [--tokens 64] [--out bench/results/parallel_decode.json]

Run it alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from injection import cpu_flags  # noqa: E402

from qa.cores import usable_cores  # noqa: E402
from qa.settings import load_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "06PHNOMPENH657.txt"
QUESTIONS = [
    "How many human trafficking cases were reported in Cambodia in 2005?",
    "Who is the Director of the AHTJP Department?",
    "What did the LEASEC project do for police work?",
    "Which ministry organised the national conference?",
]


def prompts(n: int) -> list[str]:
    text = SEED.read_text(encoding="utf-8", errors="replace")
    body = " ".join(text.split())[:2600]  # about the size of five shown passages
    return [f"Passages:\n{body}\n\nQuestion: {QUESTIONS[i % len(QUESTIONS)]}\nAnswer in one sentence."
            for i in range(n)]


def parallel_decode(model_path: Path, seqs: int, tokens: int, threads: int) -> dict[str, Any]:
    import llama_cpp

    from qa.answer.llm.loader import open_llama, repack_weights

    # owns the weights; repacking as the app does it (llm.repack auto: qa.answer.llm.loader)
    llm = open_llama(model_path, repack=repack_weights(), n_ctx=512, n_threads=threads, verbose=False)
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = 2048 * seqs
    params.n_batch = 2048
    params.n_ubatch = 512
    params.n_seq_max = seqs
    params.n_threads = threads
    params.n_threads_batch = threads
    ctx = llama_cpp.llama_init_from_model(llm._model.model, params)
    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
    batch = llama_cpp.llama_batch_init(2048, 0, 1)

    def fill(items: list[tuple[int, int, int, bool]]) -> None:
        batch.n_tokens = len(items)
        for i, (token, pos, seq, logits) in enumerate(items):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits

    try:
        texts = prompts(seqs)
        template = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"  # the model's chat template
        chats = [llm.tokenize(template.format(t).encode(), add_bos=False, special=True) for t in texts]
        started = time.perf_counter()
        last_index: list[int] = []
        for s, toks in enumerate(chats):  # prompts one after another, each in its own sequence
            fill([(tok, pos, s, pos == len(toks) - 1) for pos, tok in enumerate(toks)])
            assert llama_cpp.llama_decode(ctx, batch) == 0
            last_index.append(len(toks) - 1)
            if s == 0:
                first = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, len(toks) - 1), shape=(n_vocab,))
                next_tokens = [int(first.argmax())]
            else:
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, len(toks) - 1), shape=(n_vocab,))
                next_tokens.append(int(logits.argmax()))
        prompt_s = time.perf_counter() - started
        positions = [len(t) for t in chats]
        alive = [True] * seqs
        generated = [1] * seqs
        started = time.perf_counter()
        for _ in range(tokens - 1):
            items = [(next_tokens[s], positions[s], s, True) for s in range(seqs) if alive[s]]
            if not items:
                break
            fill(items)
            assert llama_cpp.llama_decode(ctx, batch) == 0
            row = 0
            for s in range(seqs):
                if not alive[s]:
                    continue
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, row), shape=(n_vocab,))
                row += 1
                tok = int(logits.argmax())
                positions[s] += 1
                next_tokens[s] = tok
                generated[s] += 1
                if generated[s] >= tokens:  # past an end-of-text too: every sequence decodes `tokens`
                    alive[s] = False
        decode_s = time.perf_counter() - started
    finally:
        llama_cpp.llama_batch_free(batch)
        llama_cpp.llama_free(ctx)
        del llm
    total = sum(generated) - seqs  # tokens made in the decode loop
    return {"sequences": seqs, "prompt_tokens": sum(len(c) for c in chats), "prompt_s": round(prompt_s, 2),
            "decode_s": round(decode_s, 2), "tokens_per_sequence": generated,
            "decode_tokens_per_s_all": round(total / decode_s, 2) if decode_s else None,
            "decode_tokens_per_s_each": round(total / decode_s / seqs, 2) if decode_s else None}


def serial_users(users: int) -> dict[str, Any]:
    """Time to a checked answer when ``users`` ask at once, as the app does it today (one generation
    at a time; the others wait)."""
    from qa.wiring import open_answerer, open_indexer

    tmp = Path(tempfile.mkdtemp(prefix="cableqa-users-"))
    settings = load_settings(None, os.environ, {"index.dir": tmp / "index"})
    open_indexer(settings).run([SEED])
    answerer = open_answerer(settings)
    answerer.warm_up()
    answerer.ask(QUESTIONS[0])  # warm caches
    times: list[float] = []
    lock = threading.Lock()

    def one(q: str) -> None:
        started = time.perf_counter()
        answerer.ask(q)
        with lock:
            times.append(time.perf_counter() - started)

    # Every run asks the same four questions: one user asks them one after another, four users at once.
    for _ in range(2):
        for group in ([QUESTIONS] if users > 1 else [[q] for q in QUESTIONS]):
            threads = [threading.Thread(target=one, args=(q,)) for q in group]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    ordered = sorted(times)
    return {"users": users, "answers": len(times), "p50_s": round(statistics.median(ordered), 2),
            "p95_s": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "parallel_decode.json")
    args = ap.parse_args()
    from qa.answer.llm.weights import resolve_model

    settings = load_settings(None, os.environ, {})
    model = resolve_model(settings.llm.model, settings.llm.cache_dir)
    threads = usable_cores()
    decode = []
    for seqs in (1, 2, 4):
        decode.append(parallel_decode(model, seqs, args.tokens, threads))
        print(decode[-1], flush=True)
    users = [serial_users(1), serial_users(len(QUESTIONS))]
    for u in users:
        print(u, flush=True)
    one = decode[0]["decode_tokens_per_s_all"] or 1
    out = {"cpu_flags": cpu_flags(), "threads": threads, "tokens": args.tokens, "parallel_decode": decode,
           "throughput_ratio_4_vs_1": round((decode[-1]["decode_tokens_per_s_all"] or 0) / one, 2),
           "serial_answering": users}
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
