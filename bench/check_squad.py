"""How well the check model tells answering text from near-miss text, on SQuAD 2.0 dev windows.

The check pass (``prompts/check.*``) asks the model whether a text answers a question; the answer is
kept only when P(Yes) >= ``answer.min_check_prob``. This script measures that yes/no judge alone, in
minutes rather than the full pipeline's half hour, so prompt variants can be compared cheaply:

- answerable questions: the gold passage's sentence holding the gold answer, with one sentence either
  side (the window the pipeline shows the check model);
- unanswerable questions: the same window around the crowdworker's *plausible* answer in the topic
  passage (these questions change one detail of the text: a name, a "not", an antonym).

Questions are drawn (seeded) from those NOT in ``bench/answer_squad.py``'s evaluation sample, so
thresholds chosen here are not tuned on the figures reported there. Prints AUC and the true/false
positive rates at several thresholds; writes ``bench/results/check_squad.json``.

    .venv/bin/python bench/check_squad.py [--n 100] [--seed 11] [--prompts-dir DIR] [--prompt check]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from answer_squad import SQUAD, sample  # noqa: E402

from qa.answer.llm.llama import get_generator  # noqa: E402
from qa.prompts.templates import NO, PROMPTS_DIR, YES, check_messages, load_check_prompts  # noqa: E402
from qa.settings import describe, load_settings  # noqa: E402
from qa.text import split_sentences  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def window(text: str, needle: str) -> str | None:
    """The sentence of ``text`` holding ``needle``, with one sentence either side."""
    sentences = split_sentences(text) or [text]
    at = next((i for i, s in enumerate(sentences) if needle.lower() in s.lower()), None)
    return None if at is None else " ".join(sentences[max(0, at - 1):at + 2])


def dev_items(folder: Path, n: int, seed: int) -> list[dict]:
    """``n`` answerable and ``n`` unanswerable (question, window) items outside the evaluation sample."""
    held = {q.id for q in sample(folder, 100, 4)}
    passages = {}
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        passages[row["id"]] = row
    rows = [json.loads(line) for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(seed)
    items: list[dict] = []
    for answerable in (True, False):
        pool = [r for r in rows if r["id"] not in held and r["answerable"] == answerable
                and (r["answers"] if answerable else r.get("plausible_answers"))]
        taken = 0
        for r in rng.sample(pool, len(pool)):
            pid = r["gold_passage_ids"][0] if answerable else r["topic_passage_id"]
            needle = (r["answers"] if answerable else r["plausible_answers"])[0]
            text = window(passages[pid]["text"], needle)
            if text:
                items.append({"id": r["id"], "question": r["question"], "source": passages[pid]["title"],
                              "text": text, "answerable": answerable})
                taken += 1
            if taken == n:
                break
    return items


def auc(pos: list[float], neg: list[float]) -> float:
    """P(a random answerable item scores above a random unanswerable one); ties count half."""
    return sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad", type=Path, default=SQUAD)
    ap.add_argument("--n", type=int, default=100, help="items of each kind")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--prompts-dir", type=Path, default=PROMPTS_DIR, help="a folder with <prompt>.*.txt")
    ap.add_argument("--prompt", default="check")
    ap.add_argument("--model", help="a local GGUF file (default: the packaged 1.5B)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "check_squad.json")
    args = ap.parse_args()
    if not (args.squad / "queries.jsonl").exists():
        raise SystemExit(f"{args.squad} has no queries.jsonl (the shared SQuAD sample is needed)")
    settings = load_settings(None, os.environ, {"llm.model": args.model})
    prompts = load_check_prompts(args.prompt, args.prompts_dir)
    checker = get_generator(settings.llm, role="check")
    items = dev_items(args.squad, args.n, args.seed)
    started = time.perf_counter()
    for i, item in enumerate(items, 1):
        messages = check_messages(prompts, item["source"], item["text"], item["question"])
        item["p_yes"] = round(checker.choose(messages, [YES, NO])[YES], 4)
        if i % 20 == 0:
            print(f"{i}/{len(items)} in {time.perf_counter() - started:.0f} s", flush=True)
    pos = [it["p_yes"] for it in items if it["answerable"]]
    neg = [it["p_yes"] for it in items if not it["answerable"]]
    result = {
        "sample": {"n_each": args.n, "seed": args.seed, "answerable": len(pos), "unanswerable": len(neg)},
        "model": checker.name, "prompt": str(args.prompts_dir / args.prompt), "llm": describe(settings)["llm"],
        "auc": round(auc(pos, neg), 4),
        "thresholds": {str(t): {"answerable_kept": round(sum(p >= t for p in pos) / len(pos), 3),
                                "unanswerable_kept": round(sum(p >= t for p in neg) / len(neg), 3)}
                       for t in THRESHOLDS},
        "seconds_per_check": round((time.perf_counter() - started) / len(items), 2),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "llm"}, indent=2))
    args.out.write_text(json.dumps({**result, "items": items}, indent=2, ensure_ascii=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
