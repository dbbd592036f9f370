"""SQuAD 2.0 dev split by article (``train/squad2-split.json``): training and tuning read the train
articles only, final figures the test articles only."""

from __future__ import annotations

import json
import random
from pathlib import Path

from qa.evaluation.dataset import Question, load_squad_questions

ROOT = Path(__file__).resolve().parents[1]
SPLIT = ROOT / "train" / "squad2-split.json"


def article_of(row: dict) -> str:
    """A question's article: its gold passage's, or for an unanswerable one its topic passage's."""
    ids = row.get("gold_passage_ids") or [row.get("topic_passage_id") or ""]
    return str(ids[0]).split("#")[0].replace("_", " ")


def split_questions(folder: Path, split: str) -> list[Question]:
    """The questions of one split's articles (``all``: every question)."""
    questions = load_squad_questions(folder)
    if split == "all":
        return questions
    articles = set(json.loads(SPLIT.read_text(encoding="utf-8"))[split])
    rows = (json.loads(line) for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines())
    article = {str(r["id"]): article_of(r) for r in rows}
    return [q for q in questions if article[q.id] in articles]


def sample(questions: list[Question], n: int, seed: int) -> list[Question]:
    """``n`` answerable and ``n`` unanswerable questions, drawn with a fixed seed, interleaved."""
    rng = random.Random(seed)
    answerable = rng.sample([q for q in questions if q.answerable and q.gold], n)
    unanswerable = rng.sample([q for q in questions if not q.answerable], n)
    return [q for pair in zip(answerable, unanswerable, strict=True) for q in pair]
