"""Grounded-answer quality on SQuAD 2.0 dev: a fixed sample of answerable and unanswerable questions.

Indexes the 646 passages of ``../shared/eval/squad2-dev`` (each a document with one paragraph ¶1),
draws a seeded sample (default 100 answerable + 100 unanswerable) from the test articles of
``train/squad2-split.json`` (``--split``; the train articles tune the verifier), answers each with the configured
model and reports:

- precision: of the questions it answers, the share whose answer contains a gold answer AND cites
  the gold passage (an answer to an unanswerable question counts as wrong); target >= 80%;
- coverage: the share of answerable questions it answers; target >= 50%;
- abstentions on unanswerable questions.

Every answer is appended to ``bench/results/answer_squad.records.jsonl`` as it finishes; ``--resume``
skips the questions already there (same sample and settings), so an interrupted run continues.

    .venv/bin/python bench/answer_squad.py [--n 100] [--seed 4] [--index-dir DIR] [--resume]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from index_folder import index_folder  # noqa: E402
from squad_split import sample, split_questions  # noqa: E402

from qa.cores import cpu_flags  # noqa: E402
from qa.evaluation.metrics import containment, percentile  # noqa: E402
from qa.settings import describe, load_settings  # noqa: E402
from qa.store.folder import IndexFolder  # noqa: E402
from qa.wiring import open_answerer, open_embedder, open_indexer, open_searcher  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "eval" / "squad2-dev"


def score(question, answer) -> dict:
    """One record: what was answered, whether it is right and whether it cites the gold passage."""
    gold = {g.doc_id for g in question.gold}
    said = " ".join(s.text for s in answer.sentences if s.supported)
    right = bool(question.answerable and not answer.abstained and containment(said, question.answers))
    cites_gold = any(c.doc_id in gold for c in answer.citations)
    return {
        "id": question.id,
        "question": question.question,
        "answerable": question.answerable,
        "answers": question.answers,
        "gold": sorted(gold),
        "abstained": answer.abstained,
        "answer": answer.with_labels(),
        "raw": answer.raw,
        "right": right,
        "cites_gold": cites_gold,
        "gold_retrieved": any(h.doc_id in gold for h in answer.sources),
        "unsupported": sum(not s.supported for s in answer.sentences),
        "dropped_citations": answer.dropped_citations,
        "timings": answer.timings,
    }


def report(records: list[dict]) -> dict:
    answered = [r for r in records if not r["abstained"]]
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    good = [r for r in answered if r["answerable"] and r["right"] and r["cites_gold"]]
    totals = [r["timings"].get("total_ms", 0) for r in records]
    return {
        "questions": len(records),
        "answered": len(answered),
        "precision_right_and_cites_gold": round(len(good) / len(answered), 4) if answered else None,
        "answered_answerable": round(sum(not r["abstained"] for r in answerable) / len(answerable), 4)
        if answerable else None,
        "abstained_unanswerable": sum(r["abstained"] for r in unanswerable),
        "unanswerable": len(unanswerable),
        "answered_unanswerable": sum(not r["abstained"] for r in unanswerable),
        "right_but_wrong_citation": sum(r["right"] and not r["cites_gold"] for r in answered),
        "answered_wrong": sum(r["answerable"] and not r["right"] for r in answered),
        "gold_retrieved_answerable": round(sum(r["gold_retrieved"] for r in answerable) / len(answerable), 4)
        if answerable else None,
        "answered_by_quote": sum(bool(r.get("diagnostics", {}).get("extracted")) for r in answered),
        "total_ms_p50": percentile(totals, 50),
        "total_ms_p95": percentile(totals, 95),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad", type=Path, default=SQUAD)
    ap.add_argument("--n", type=int, default=100, help="questions of each kind")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--split", default="test", choices=["test", "train", "all"],
                    help="articles to draw from (train/squad2-split.json); figures are reported on test")
    ap.add_argument("--index-dir", type=Path, help="reuse or build the index here (default: a temp folder)")
    ap.add_argument("--model", help="a local GGUF file (default: the packaged 1.5B)")
    ap.add_argument("--resume", action="store_true", help="skip questions already in the records file")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "answer_squad.json")
    args = ap.parse_args()
    if not (args.squad / "queries.jsonl").exists():
        raise SystemExit(f"{args.squad} has no queries.jsonl (the shared SQuAD sample is needed)")

    settings = load_settings(None, os.environ, {"llm.model": args.model})
    settings.index.dir = args.index_dir = index_folder(args.index_dir, "cableqa-squad-")
    embedder = open_embedder(settings)
    if not IndexFolder(args.index_dir).exists():
        t = time.perf_counter()
        open_indexer(settings, embedder).run([args.squad / "corpus.jsonl"])
        print(f"indexed the SQuAD passages in {time.perf_counter() - t:.1f} s")
    questions = sample(split_questions(args.squad, args.split), args.n, args.seed)
    described = describe(settings)
    config = json.dumps([described["answer"], described["llm"], args.n, args.seed, args.split], default=str)
    fingerprint = hashlib.sha256(config.encode()).hexdigest()[:12]
    records_path = args.out.with_suffix(".records.jsonl")
    done: dict[str, dict] = {}
    if args.resume and records_path.exists():
        for line in records_path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("fingerprint") == fingerprint:
                done[row["id"]] = row
    elif records_path.exists():
        records_path.unlink()
    answerer = open_answerer(settings, open_searcher(settings, embedder))
    answerer.warm_up()
    records_path.parent.mkdir(parents=True, exist_ok=True)
    resumed = len(done)
    with records_path.open("a", encoding="utf-8") as sink:
        for i, question in enumerate(questions, 1):
            if question.id in done:
                continue
            answer = answerer.ask(question.question)
            row = {"fingerprint": fingerprint, **score(question, answer)}
            row["diagnostics"] = answer.diagnostics  # check scores, abstention reason, quote or not
            done[question.id] = row
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()
            ok = row["right"] and row["cites_gold"]
            mark = "abstain" if row["abstained"] else ("OK" if ok else "WRONG")
            print(f"{i:>3}/{len(questions)} {'A' if row['answerable'] else 'U'} {mark:<7} "
                  f"{question.question[:60]!r} -> {row['answer'][:80]!r}", flush=True)
    records = [done[q.id] for q in questions if q.id in done]
    result = {"sample": {"n_each": args.n, "seed": args.seed, "split": args.split}, "model": answerer.generator.name,
              "settings": describe(settings)["answer"], "cpu_flags": cpu_flags(),
              # with --resume, the earlier records may come from another machine: their CPU is not known here
              "resumed_records": resumed, **report(records)}
    print(json.dumps({k: v for k, v in result.items() if k != "settings"}, indent=2))
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"wrote {args.out} and {records_path}")


if __name__ == "__main__":
    main()
