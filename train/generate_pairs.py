"""Generated question pairs from random cable paragraphs: a question the paragraph answers, and a
near-miss version that it does not (one detail changed), auto-labelled.

    .venv/bin/python train/generate_pairs.py --n 300 --out train/data/generated-pairs.jsonl [--seed 7]

Paragraphs are drawn (seeded) from the "generated" pool of ``eval/pools.py``: never from a cable of
the dev set or of the held-out test set. The packaged model writes one question and its short answer
per paragraph; the near miss changes one detail of the question that the paragraph states:

- a year or a number becomes another one the paragraph does not hold;
- a month becomes another month the paragraph does not name;
- a person's name the paragraph states becomes another person's surname from another cable, a country
  another country of the TAGS glossary (in both cases one this paragraph does not hold).

Each line: the paragraph's ID, the question, its answer, the near miss and what was changed.
Resumable: paragraphs already in ``--out`` are skipped. ``--check K`` prints a seeded random K pairs
for hand-checking (the error rate is stated in ``train/data/generated-pairs-check.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))

from pools import CABLES, pools  # noqa: E402

from qa.grounding.names import name_found, names_in, words_of  # noqa: E402
from qa.parse.loaders import iter_documents  # noqa: E402
from qa.text import MONTHS, YEAR, numbers_in  # noqa: E402
from qa.types import Document  # noqa: E402

PROMPT = ("Write one question that the paragraph below answers, for a researcher searching many diplomatic "
          "cables: name the country or post and the period, and ask for one specific fact (a name, number, "
          "date or place) that the paragraph states. Then give the short answer.\n"
          "Reply in exactly two lines:\nQ: <question>\nA: <answer>\n\n"
          "Cable from {origin}, {date}: {subject}\nParagraph: {text}")
_QA = re.compile(r"Q:\s*(?P<q>.+?)\s*\n\s*A:\s*(?P<a>.+)", re.S)


def paragraphs(seed: int, limit: int) -> list[tuple[Document, int]]:
    """Seeded random (document, paragraph index) picks from the generated pool, 40-200 words each."""
    ids = pools()["generated"]
    rng = random.Random(seed)
    rng.shuffle(ids)
    picks: list[tuple[Document, int]] = []
    for doc_id in ids:
        for doc in iter_documents([CABLES / f"{doc_id}.txt"]):
            if not isinstance(doc, Document):
                continue
            usable = [i for i, p in enumerate(doc.paragraphs) if 40 <= len(p.text.split()) <= 200
                      and "XXXXXXXX" not in p.text]
            if usable:
                picks.append((doc, rng.choice(usable)))
        if len(picks) >= limit:
            break
    return picks


# Capitalised words that are roles or institutions, not names: changing them does not make a near miss.
_NOT_NAMES = frozenset(re.findall(r"\w+", """minister ministry foreign defense defence embassy government president
    prime ambassador secretary general deputy director chief office council committee national parliament
    party army police state department official officials commission union bank court congress
    senate assembly post mission consulate charge affairs security public republic"""))
_TITLED = re.compile(r"\b(?:Minister|President|Ambassador|General|Mr\.?|Mrs\.?|Dr\.?|Senator|Governor|Director|"
                     r"Chairman|Secretary|Colonel|Judge|Prince|King)\s+(?:[A-Z][a-z]+\s+)?([A-Z][a-z]{3,})")


def countries() -> list[str]:
    """One-word country and region names of the TAGS glossary."""
    from qa.corpus.tags import glossary

    return sorted({t.short for t in glossary().tags.values() if t.kind == "geographic" and t.short.isalpha()})


def near_miss(question: str, paragraph: str, people: list[str], places: list[str],
              rng: random.Random) -> tuple[str, str] | None:
    """The question with one detail the paragraph states changed to one of the same kind that the
    paragraph does not hold, and what was changed; None when it has no such detail."""
    held = numbers_in(paragraph)
    low = paragraph.lower()
    years = [y for y in YEAR.findall(question) if y in paragraph]
    if years:
        year = rng.choice(years)
        for shift in rng.sample([-3, -2, -1, 1, 2, 3], 6):
            new = str(int(year) + shift)
            if new not in held:
                return re.sub(rf"\b{year}\b", new, question, count=1), f"year {year} -> {new}"
    months = [m for m in MONTHS if re.search(rf"\b{m}\b", question)]
    if months:
        new = rng.choice([m for m in MONTHS if m.lower() not in low])
        return re.sub(rf"\b{months[0]}\b", new, question, count=1), f"month {months[0]} -> {new}"
    numbers = [n for n in numbers_in(question) if n in held and not YEAR.fullmatch(n) and n.isdigit()
               and re.search(rf"\b{n}\b", question)]
    if numbers:
        new = str(int(numbers[0]) * 2 + 3)
        if new not in held:
            return re.sub(rf"\b{numbers[0]}\b", new, question, count=1), f"number {numbers[0]} -> {new}"
    words = words_of(paragraph)
    names = [n for n in names_in(question) if name_found(n, words) and len(n) > 3 and not n.isupper()
             and n.lower() not in _NOT_NAMES and n.isalpha()]
    for name in rng.sample(names, len(names)):
        pool = places if name in places else people
        candidates = [o for o in pool if o.lower() not in low and o != name]
        if candidates:
            new = rng.choice(candidates)
            kind = "place" if pool is places else "person"
            return re.sub(rf"\b{re.escape(name)}\b", new, question, count=1), f"{kind} {name} -> {new}"
    return None


def generate(args: argparse.Namespace) -> None:
    from qa.answer.llm.llama import get_generator
    from qa.settings import load_settings

    settings = load_settings(None, os.environ, {"llm.model": args.model})
    generator = get_generator(settings.llm)
    picks = paragraphs(args.seed, args.n * 2)
    rng = random.Random(args.seed)
    people = sorted({m for doc, i in picks for m in _TITLED.findall(doc.paragraphs[i].text)})
    places = countries()
    done = set()
    if args.out.exists():
        done = {json.loads(line)["paragraph_id"] for line in args.out.read_text().splitlines() if line.strip()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    made, started = len(done), time.perf_counter()
    with args.out.open("a", encoding="utf-8") as sink:
        for doc, i in picks:
            if made >= args.n:
                break
            para = doc.paragraphs[i]
            pid = f"{doc.doc_id}#{para.n}"
            if pid in done:
                continue
            meta = doc.metadata
            prompt = PROMPT.format(origin=meta.get("origin") or "", date=str(meta.get("created") or "")[:10],
                                   subject=doc.title or "", text=para.text)
            reply = "".join(generator.stream([{"role": "user", "content": prompt}], max_tokens=80))
            match = _QA.search(reply)
            if not match:
                continue
            question, answer = match["q"].strip().splitlines()[0], match["a"].strip().splitlines()[0]
            if not answer or not question.endswith("?") or "paragraph" in question.lower():
                continue
            miss = near_miss(question, para.text, people, places, rng)
            if miss is None:
                continue
            row = {"paragraph_id": pid, "doc_id": doc.doc_id, "paragraph": para.n, "question": question,
                   "answer": answer, "near_miss": miss[0], "changed": miss[1]}
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()
            made += 1
            print(f"[{made}/{args.n}] {(time.perf_counter() - started) / max(1, made - len(done)):.1f} s each  "
                  f"{question[:60]} | {miss[1]}", flush=True)


def check(args: argparse.Namespace) -> None:
    """A seeded random ``--check`` pairs with their paragraph as the parser numbers it, one JSON
    line each, for the hand check (``train/data/generated-pairs-check.jsonl`` holds its verdicts)."""
    rows = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
    for row in random.Random(args.seed).sample(rows, min(args.check, len(rows))):
        doc = next(d for d in iter_documents([CABLES / f"{row['doc_id']}.txt"]) if isinstance(d, Document))
        row["paragraph_text"] = next((p.text for p in doc.paragraphs if p.n == row["paragraph"]), None)
        print(json.dumps(row, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="pairs to make")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model")
    parser.add_argument("--out", type=Path, default=ROOT / "train" / "data" / "generated-pairs.jsonl")
    parser.add_argument("--check", type=int, default=0, help="print K random pairs for a hand check instead")
    args = parser.parse_args()
    check(args) if args.check else generate(args)


if __name__ == "__main__":
    main()
