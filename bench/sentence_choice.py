"""Which per-question rule for choosing the shown sentences keeps the answer in view with fewer tokens.

Issue 15 point 4: the first token waits for the model to read the shown passages, and on an AVX2-only
CPU (about 34 prompt tokens/s) the 5 s target needs about 170 evaluated tokens, against about 310
today. ``qa.answer.passages.choose_sentences`` takes the retrieved passages' sentences best first
(dense cosine, plus ``LEXICAL_WEIGHT`` times the share of the question's content words they hold,
plus ``PASSAGE_PRIOR`` times their paragraph's cosine) while they fit in ``answer.context_words`` words
and score at least ``MIN_SHARE`` of the best: one budget for every question. This bench asks
whether a budget drawn from each question's own scores does better: it runs the real pipeline up to
the sentence choice once per question (retrieval, passage choice, the sentences' cosines), keeps what
the choice saw, then replays it under each rule:

- ``fixed``: today's rule at other word budgets and floors;
- ``gap``: a sentence is shown while its score is within an absolute distance of the best one's;
- ``mass``: sentences are taken until they hold a share of the softmax mass of all scores;
- ``prior``: other weights of the paragraph's own cosine with the question in its sentences' scores
  (0 is the rule before ``PASSAGE_PRIOR``), with today's floor and budget.

Per rule it counts, over the answerable questions, those with a gold paragraph among the shown
passages and those whose shown text contains a reference answer, and per question the shown
sentences' tokens (the model's own tokenizer; source lines, question and layout come on top and do
not depend on the rule). The default rule is checked against the pipeline's own choice on every
question. Nothing is generated.

    .venv/bin/python bench/sentence_choice.py eval/cables-dev.jsonl --index-dir index/cables
        [--out bench/results/sentence_choice.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import qa.answer.pipeline as pipeline  # noqa: E402
from bench.prompt_tokens import prompt_only  # noqa: E402
from qa.answer.passages import (  # noqa: E402
    MIN_SHARE,
    PASSAGE_PRIOR,
    Candidate,
    choose_sentences,
    rank_sentences,
    take_best,
)
from qa.cores import cpu_flags  # noqa: E402
from qa.evaluation.dataset import load_dataset  # noqa: E402
from qa.evaluation.metrics import containment  # noqa: E402
from qa.settings import load_settings  # noqa: E402
from qa.wiring import open_answerer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Seen:
    """What the sentence choice saw for one question, and what it chose."""

    id: str
    answerable: bool
    answers: list[str]
    question: str
    candidates: list[Candidate]
    cosines: list[list[float]]
    gold: list[bool]  # per candidate: is it a gold paragraph
    tokens: list[list[int]]  # per candidate and sentence
    max_words: int
    chosen: list[tuple[Candidate, str]]  # the pipeline's own choice


def capture(answerer: Any, questions: Sequence[Any]) -> list[Seen]:
    """Each question through the real pipeline up to its prompt, keeping the sentence choice's inputs."""
    fake = prompt_only(answerer)
    count = fake.real.count_tokens
    box: dict[str, Any] = {}

    def keep_choice(question: str, candidates: Any, cosines: Any, max_words: int) -> Any:
        box.update(candidates=list(candidates), cosines=[list(c) for c in cosines], max_words=max_words)
        box["chosen"] = choose_sentences(question, candidates, cosines, max_words)
        return box["chosen"]

    shown = answerer._shown

    def keep_run(run: Any, picked: Any, cache: Any) -> Any:
        box["run"] = run
        return shown(run, picked, cache)

    pipeline.choose_sentences, answerer._shown = keep_choice, keep_run
    seen = []
    try:
        for q in questions:
            box.clear()
            answerer.ask(q.question, filters=q.filters)
            if "candidates" not in box:  # nothing retrieved cleared the passage floors
                seen.append(Seen(q.id, q.answerable, list(q.answers), q.question, [], [], [], [], 0, []))
                continue
            hits = [box["run"].hits[c.index] for c in box["candidates"]]
            seen.append(Seen(
                q.id, q.answerable, list(q.answers), q.question, box["candidates"], box["cosines"],
                [any(g.matches(h.doc_id, h.paragraph, h.text) for g in q.gold) for h in hits],
                [[count(s) for s in c.sentences] for c in box["candidates"]], box["max_words"], box["chosen"]))
    finally:
        pipeline.choose_sentences, answerer._shown = choose_sentences, shown
    return seen


Ranked = list[tuple[float, int, int]]
Rule = Callable[[Seen], set[tuple[int, int]]]


def ranked_of(seen: Seen, prior: float = PASSAGE_PRIOR) -> Ranked:
    return rank_sentences(seen.question, seen.candidates, seen.cosines, prior)


def fixed(words: int, share: float, prior: float = PASSAGE_PRIOR) -> Rule:
    def rule(seen: Seen) -> set[tuple[int, int]]:
        ranked = ranked_of(seen, prior)
        floor = ranked[0][0] * share
        return take_best(seen.candidates, ranked, words, lambda _k, s: s >= floor)
    return rule


def gap(distance: float, words: int) -> Rule:
    def rule(seen: Seen) -> set[tuple[int, int]]:
        ranked = ranked_of(seen)
        floor = ranked[0][0] - distance
        return take_best(seen.candidates, ranked, words, lambda _k, s: s >= floor)
    return rule


def mass(temperature: float, share: float, words: int) -> Rule:
    def rule(seen: Seen) -> set[tuple[int, int]]:
        ranked = ranked_of(seen)
        weights = [math.exp((s - ranked[0][0]) / temperature) for s, _, _ in ranked]
        total, held, last = sum(weights), 0.0, len(weights) - 1
        for k, w in enumerate(weights):  # the rank at which the share of the mass is reached
            held += w / total
            if held >= share:
                last = k
                break
        return take_best(seen.candidates, ranked, words, lambda k, _s: k <= last)
    return rule


def outcome(seen: Seen, chosen: set[tuple[int, int]]) -> dict:
    """Gold shown, a reference answer in the shown text, the shown sentences' tokens, documents."""
    texts = [seen.candidates[i].sentences[j] for i, j in sorted(chosen)]
    return {"gold": any(seen.gold[i] for i, _ in chosen),
            "answer": bool(seen.answers) and containment(" ".join(texts), seen.answers) > 0,
            "tokens": sum(seen.tokens[i][j] for i, j in chosen),
            "passages": len({i for i, _ in chosen})}


def matches_pipeline(seen: Seen, chosen: set[tuple[int, int]]) -> bool:
    """Does a replayed choice show the same sentences of the same passages as the pipeline did?"""
    own = {id(c): text for c, text in seen.chosen}
    for i, c in enumerate(seen.candidates):
        mine = {j for ci, j in chosen if ci == i}
        text = own.get(id(c))
        if (text is None) != (not mine):
            return False
        # a sentence's first words (a shown text cut to the budget keeps at least those)
        if text is not None and not all(" ".join(c.sentences[j].split()[:min(8, seen.max_words)]) in text
                                        for j in mine):
            return False
    return True


def rules(default_words: int) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for words in (120, 140, default_words, 200):
        for share in (MIN_SHARE, 0.7, 0.8):
            out[f"fixed words={words} floor={share}"] = fixed(words, share)
    for distance in (0.2, 0.3, 0.4):
        out[f"gap distance={distance} words={default_words}"] = gap(distance, default_words)
    for temperature in (0.1, 0.2):
        for share in (0.7, 0.9):
            out[f"mass temperature={temperature} share={share} words={default_words}"] = mass(
                temperature, share, default_words)
    for prior in sorted({0.0, 0.25, 0.5, 1.0} - {PASSAGE_PRIOR}):
        for words in (120, default_words):
            out[f"prior weight={prior} words={words} floor={MIN_SHARE}"] = fixed(words, MIN_SHARE, prior)
    return out


def replay(seen: list[Seen], name: str, rule: Rule) -> dict:
    rows = [{"id": s.id, **outcome(s, rule(s))} for s in seen if s.candidates]
    answerable = {s.id for s in seen if s.answerable}
    tokens = [r["tokens"] for r in rows]
    return {"rule": name, "gold_shown": sum(r["gold"] for r in rows if r["id"] in answerable),
            "answer_shown": sum(r["answer"] for r in rows if r["id"] in answerable),
            "text_tokens_mean": round(statistics.fmean(tokens), 1), "text_tokens_p50": statistics.median(tokens),
            "passages_mean": round(statistics.fmean(r["passages"] for r in rows), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--index-dir", type=Path)
    ap.add_argument("--config", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sentence_choice.json")
    args = ap.parse_args()
    settings = load_settings(args.config, env=os.environ, overrides={"index.dir": args.index_dir})
    answerer = open_answerer(settings)
    questions = load_dataset(args.dataset)
    seen = capture(answerer, questions)
    words = settings.answer.context_words
    default = fixed(words, MIN_SHARE)
    same = sum(matches_pipeline(s, default(s)) for s in seen if s.candidates)
    results = [replay(seen, name, rule) for name, rule in rules(words).items()]
    base = next(r for r in results if r["rule"] == f"fixed words={words} floor={MIN_SHARE}")
    for r in results:
        r["tokens_vs_default"] = round(r["text_tokens_mean"] / base["text_tokens_mean"], 3)
        print(f"{r['rule']:48s} gold {r['gold_shown']:3d}  answer {r['answer_shown']:3d}  "
              f"text tokens mean {r['text_tokens_mean']:6.1f} ({r['tokens_vs_default']:.2f}x)  "
              f"passages {r['passages_mean']:.2f}", flush=True)
    # the rules that keep what the default shows (gold at most 1 lower, answers not lower) with fewer tokens
    frontier = sorted((r for r in results if r["gold_shown"] >= base["gold_shown"] - 1
                       and r["answer_shown"] >= base["answer_shown"] and r is not base),
                      key=lambda r: r["text_tokens_mean"])
    print(f"default rule replayed = the pipeline's choice on {same} of {sum(1 for s in seen if s.candidates)} "
          f"questions; rules keeping its gold and answers: "
          + (", ".join(f"{r['rule']} ({r['tokens_vs_default']:.2f}x)" for r in frontier) or "none"))
    result = {"cpu_flags": cpu_flags(), "dataset": str(args.dataset), "questions": len(seen),
              "answerable": sum(s.answerable for s in seen), "context_words": words, "min_share": MIN_SHARE,
              "default_matches_pipeline": same, "rules": results,
              "keeping_default": [r["rule"] for r in frontier]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
