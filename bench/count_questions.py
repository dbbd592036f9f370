"""Count questions ("how many cables did Embassy Ankara send about the PKK in 2007?") on the full
6,712-cable index: for each of the 20 hand-written questions in ``eval/count-questions.jsonl``,

- whether the question was read as written down by hand (topic words, origin, dates);
- whether the answer's count equals a count made without SQLite: every shared cable file parsed again,
  kept when its origin and date pass the filters and one paragraph holds every topic word as a word;
- how long the answer took (``qa timeline`` and the count answer must stay under 1 s).

    .venv/bin/python bench/count_questions.py --index-dir /tmp/idx/cables [--out bench/results/count_questions.json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from datetime import date
from pathlib import Path

from injection import cpu_flags

from qa.answer.counting import read_count_question
from qa.parse.loaders import iter_documents
from qa.settings import load_settings
from qa.wiring import open_answerer, open_searcher

ROOT = Path(__file__).resolve().parents[1]
CABLES = ROOT.parent / "shared" / "corpus" / "cables"
QUESTIONS = ROOT / "eval" / "count-questions.jsonl"


def independent_count(docs: list, topic: str, origin: list[str], since: str | None, until: str | None) -> int:
    words = [re.compile(rf"\b{re.escape(w)}\b", re.I) for w in topic.split()]
    n = 0
    for doc in docs:
        md = doc.metadata
        day = (md.get("created") or "")[:10]
        if origin and not any(o.lower() in (md.get("origin") or "").lower() for o in origin):
            continue
        if (since or until) and not day:
            continue
        if (since and day < since) or (until and day > until):
            continue
        if not words or any(all(w.search(p.text) for w in words) for p in doc.paragraphs):
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "count_questions.json")
    args = ap.parse_args()
    settings = load_settings(None, {}, {"index.dir": args.index_dir})
    searcher = open_searcher(settings)
    answerer = open_answerer(settings, retriever=searcher)  # the model loads lazily: a count never needs it
    docs = [d for d in iter_documents([CABLES]) if getattr(d, "paragraphs", None)]
    seen: set[str] = set()
    docs = [d for d in docs if not (d.doc_id in seen or seen.add(d.doc_id))]
    origins = searcher.facets().get("origin", [])
    rows = []
    for line in QUESTIONS.read_text().splitlines():
        q = json.loads(line)
        asked = read_count_question(q["question"], origins)
        read = asked is not None and (
            asked.topic == q["topic"] and asked.filters.origin == q["origin"]
            and (asked.filters.since.isoformat() if asked.filters.since else None) == q["since"]
            and (asked.filters.until.isoformat() if asked.filters.until else None) == q["until"])
        started = time.perf_counter()
        answer = answerer.ask(q["question"])
        ms = 1000 * (time.perf_counter() - started)
        count = answer.diagnostics.get("count", {}).get("total")
        started = time.perf_counter()
        f = asked.filters if asked else None
        searcher.timeline(q["topic"], f, "year")
        timeline_ms = 1000 * (time.perf_counter() - started)
        expected = independent_count(docs, q["topic"], q["origin"], q["since"], q["until"])
        rows.append({"id": q["id"], "question": q["question"], "read_as_written": read,
                     "topic": asked.topic if asked else None, "count": count, "independent_count": expected,
                     "counts_agree": count == expected, "answer": answer.answer, "answer_ms": round(ms, 1),
                     "timeline_ms": round(timeline_ms, 1)})
        print(f"{q['id']}  read={read}  count={count} independent={expected}  {ms:.0f} ms  {q['question']}")
    out = {
        "cpu_flags": cpu_flags(),
        "index_documents": searcher.summary().get("documents"),
        "questions": len(rows),
        "read_as_written": sum(r["read_as_written"] for r in rows),
        "counts_agree": sum(r["counts_agree"] for r in rows),
        "answer_ms_p50": round(statistics.median(r["answer_ms"] for r in rows), 1),
        "answer_ms_max": max(r["answer_ms"] for r in rows),
        "timeline_ms_p50": round(statistics.median(r["timeline_ms"] for r in rows), 1),
        "timeline_ms_max": max(r["timeline_ms"] for r in rows),
        "date": date.today().isoformat(),
        "rows": rows,
    }
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
