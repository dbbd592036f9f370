"""Train the learned verifier (``qa.grounding.verifier``): collect signals, fit, choose the operating point.

    # 1. answer questions with ``answer.verifier = collect`` and record every signal (resumable)
    .venv/bin/python train/verifier.py collect squad --split train --n 150 --out train/data/squad-train.jsonl
    .venv/bin/python train/verifier.py collect cables --dataset eval/cables-dev.jsonl \\
        --index-dir /tmp/idx/cables --out train/data/cables-dev.jsonl
    # 2. the generated pairs' signals (train/generate_pairs.py made the pairs)
    .venv/bin/python train/verifier.py pairs train/data/generated-pairs.jsonl --out train/data/generated-signals.jsonl
    # 3. fit both heads on the recorded signals and pick the thresholds (deterministic)
    .venv/bin/python train/verifier.py fit train/data/cables-dev.jsonl train/data/generated-signals.jsonl \\
        train/data/squad-train.jsonl --out qa/data/verifier.json

Data recipe: SQuAD 2.0 dev questions of the train articles (``train/squad2-split.json``; a seeded
sample, answerable and unanswerable interleaved: the first 200 of ``--n 150`` were collected), the
cable dev set (``eval/cables-dev.jsonl``, whole-corpus index) and the generated cable pairs (support
rows only; 61 of 100 checked by hand were wrong, ``train/data/generated-pairs-check.md``, yet fitting
with them answered more tuning questions at a higher out-of-fold precision than without). The test
articles and the held-out cable set (``eval/cables-test.jsonl``) are never fitted on: ``collect``
marks their records ``"split": "test"``, ``fit`` refuses such records, and ``report`` reads them to
give the figures at the shipped operating point:

    .venv/bin/python train/verifier.py collect cables --dataset eval/cables-test.jsonl \\
        --index-dir /tmp/idx/cables --out bench/results/verifier-cables-test.records.jsonl
    .venv/bin/python train/verifier.py report bench/results/verifier-cables-test.records.jsonl \\
        --out bench/results/verifier_cables_test.json

Labels: a (sentence, paragraph) pair is positive when the question is answerable, the paragraph is
gold and the sentence is right: it contains a reference answer, for cables as for SQuAD. (A first
version took any cable sentence citing a gold paragraph as right; then "Limon province ..." for
"Cartago" was a positive, support stopped mattering and an unrelated sentence citing the right
paragraph passed.) The support head is fitted on the pairs (each source weighted equally), its out-of-fold
scores (5 folds by question) feed the answer head, and the thresholds are the pair that answers the
most tuning questions while each source's out-of-fold precision (answers right and citing gold,
answers to unanswerable questions counting as wrong) stays at least ``--precision``: by default the
round-1 rules' own precision on those questions, so the verifier replaces them only by answering more. ``fit`` prints
the precision-coverage frontier and writes it with the weights; the same records always give the same
file (``tests/grounding/test_verifier.py`` refits and compares).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from qa.evaluation.metrics import containment  # noqa: E402
from qa.grounding.support import expects_number  # noqa: E402
from qa.grounding.verifier import (  # noqa: E402
    ANSWER_FEATURES,
    SUPPORT_FEATURES,
    Head,
    answer_features,
    fit_logistic,
    logit,
)
from qa.text import numbers_in  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad2-dev"
HELD_OUT = (ROOT / "eval" / "cables-test.jsonl").resolve()
GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


# ---- collecting ---------------------------------------------------------------------------------
def squad_questions(split: str, n: int, seed: int) -> list:
    """A seeded sample of ``n`` answerable and ``n`` unanswerable questions of one split's articles."""
    from squad_split import sample, split_questions

    return sample(split_questions(SQUAD, split), n, seed)


def collect(args: argparse.Namespace) -> None:
    from index_folder import index_folder

    from qa.evaluation.dataset import load_dataset
    from qa.settings import load_settings
    from qa.store.folder import IndexFolder
    from qa.wiring import open_answerer, open_embedder, open_indexer, open_searcher

    overrides = {"answer.verifier": "collect", "llm.model": args.model}
    settings = load_settings(args.config, os.environ, overrides)
    if args.source == "squad":
        questions = squad_questions(args.split, args.n, args.seed)
        settings.index.dir = index_folder(args.index_dir, "cableqa-squad-")
        corpus = [SQUAD / "corpus.jsonl"]
    else:
        questions = load_dataset(args.dataset)
        if args.index_dir is None:
            raise SystemExit("collect cables needs --index-dir: a whole-corpus index of the shared cables")
        settings.index.dir = args.index_dir
        corpus = []
    split = args.split
    if args.source == "cables" and args.dataset.resolve() == HELD_OUT:
        split = "test"  # the held-out cable set: figures only, never fitted on
    embedder = open_embedder(settings)
    if corpus and not IndexFolder(settings.index.dir).exists():
        open_indexer(settings, embedder).run(corpus)
    done = set()
    if args.out.exists():
        done = {json.loads(line)["id"] for line in args.out.read_text().splitlines() if line.strip()}
    answerer = open_answerer(settings, open_searcher(settings, embedder))
    answerer.warm_up()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    todo = [q for q in questions if q.id not in done]
    started = time.perf_counter()
    with args.out.open("a", encoding="utf-8") as sink:
        for i, q in enumerate(todo, 1):
            answer = answerer.ask(q.question)
            row = {
                "id": q.id, "source": args.source, "split": split, "question": q.question, "answerable": q.answerable,
                "answers": q.answers, "gold": [[g.doc_id, g.paragraph] for g in q.gold], "type": q.type,
                "raw": answer.raw, "abstain_reason": answer.diagnostics.get("abstain_reason"),
                "trace": answer.diagnostics.get("verifier"),
            }
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()
            rate = (time.perf_counter() - started) / i
            print(f"[{i}/{len(todo)}] {rate:.1f} s each  {q.question[:70]}", flush=True)


def pair_records(args: argparse.Namespace) -> None:
    """Generated pairs (``train/generate_pairs.py``) as support-head rows: the question with the
    model's own answer against its paragraph (positive) and the near miss with the same answer
    (negative), their signals computed once here so that ``fit`` reads numbers only."""
    from qa.grounding.checks import source_line
    from qa.grounding.verifier import PairInput, pair_features
    from qa.parse.loaders import iter_documents
    from qa.settings import load_settings
    from qa.types import Document, Hit
    from qa.wiring import open_embedder

    embedder = open_embedder(load_settings(None, os.environ, {}))
    cables = ROOT.parent / "shared" / "corpus" / "cables"
    rows = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    with args.out.open("w", encoding="utf-8") as sink:
        for row in rows:
            doc = next(d for d in iter_documents([cables / f"{row['doc_id']}.txt"]) if isinstance(d, Document))
            para = next(p for p in doc.paragraphs if p.n == row["paragraph"])
            hit = Hit(1, doc.doc_id, para.n, 0.0, para.text, {"origin": doc.metadata.get("origin"),
                                                             "created": doc.metadata.get("created"),
                                                             "subject": doc.title})
            vectors = np.asarray(embedder.encode([para.text]), np.float32)
            for kind, question in (("question", row["question"]), ("near_miss", row["near_miss"])):
                sim = float(vectors[0] @ np.asarray(embedder.encode_query(question), np.float32))
                passage = PairInput(para.text, source_line(hit), "", sim, 0)
                features = pair_features(question, row["answer"], passage, True, sim, embedder)
                record = {"id": f"{row['paragraph_id']}/{kind}", "source": "generated", "question": question,
                          "answerable": kind == "question", "answers": [row["answer"]],
                          "gold": [[doc.doc_id, para.n]] if kind == "question" else [], "type": kind,
                          "trace": {"sentences": [row["answer"]], "pairs": [
                              {"sentence": 0, "doc_id": doc.doc_id, "paragraph": para.n, "unbacked_numbers": False,
                               "features": {k: round(v, 5) for k, v in features.items()}}]}}
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}: {2 * len(rows)} rows")


# ---- fitting ------------------------------------------------------------------------------------
def read_records(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def right(record: dict, said: str) -> bool:
    """Whether an answer text is right: it contains one of the question's reference answers, as whole
    tokens after normalising (the cable sets list the variants a right sentence may use: "over 1.57
    million", "1.57 million"). An answerable record without reference answers (a generated pair) is
    taken as right when its paragraph is gold, which the caller checks."""
    if not record["answerable"]:
        return False
    return not record["answers"] or bool(containment(said, record["answers"]))


def pair_rows(records: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Support-head rows: features, labels, the question each came from, and a weight per row that
    gives each source (SQuAD, cables) the same total weight."""
    x, y, group, source = [], [], [], []
    for qi, r in enumerate(records):
        trace = r.get("trace") or {}
        gold = {tuple(g) for g in r["gold"]}
        for pair in trace.get("pairs", []):
            text = trace["sentences"][pair["sentence"]]
            good = r["answerable"] and (pair["doc_id"], pair["paragraph"]) in gold and right(r, text)
            x.append([pair["features"][f] for f in SUPPORT_FEATURES])
            y.append(float(good))
            group.append(qi)
            source.append(r["source"])
    sources = np.array(source)
    weights = np.ones(len(y))
    for s in set(source):
        weights[sources == s] = len(y) / (len(set(source)) * max(1, (sources == s).sum()))
    return np.array(x), np.array(y), np.array(group), weights


def head_from(fit: tuple, features: tuple[str, ...], threshold: float = 0.5) -> Head:
    mean, scale, weights, bias = fit
    return Head(features, mean, scale, weights, bias, threshold)


def out_of_fold(x: np.ndarray, y: np.ndarray, group: np.ndarray, weights: np.ndarray, folds: int,
                l2: float) -> np.ndarray:
    """Each row's support logit from a model fitted without its question's fold."""
    out = np.zeros(len(y))
    fold_of = group % folds
    for k in range(folds):
        test = fold_of == k
        if not test.any() or test.all():
            continue
        mean, scale, w, b = fit_logistic(x[~test], y[~test], l2, weights=weights[~test])
        out[test] = ((x[test] - mean) / scale) @ w + b
    return out


def decisions(records: list[dict], support_logits: dict[tuple[int, int], float],
              support_head: Head | None = None) -> list[dict]:
    """Per question, what the runtime decision needs: per sentence its backing candidates (support
    logit, gold?, cited?, signals), the answer signals, and with ``support_head`` the quotes the
    pipeline would fall back to (``answer.extract``; collected since this field was recorded): their
    support logit, gold?, pair signals, check model P(Yes) and text. Fitting passes no head: the
    tuning records hold no quotes, and the heads are fitted on the model's own answers."""
    out = []
    pos = 0
    for qi, r in enumerate(records):
        trace = r.get("trace") or {}
        gold = {tuple(g) for g in r["gold"]}
        sentences = trace.get("sentences", [])
        per: list[list[tuple[float, bool, bool]]] = [[] for _ in sentences]
        for pair in trace.get("pairs", []):
            s = support_logits[(qi, pos)]
            pos += 1
            if pair["unbacked_numbers"]:
                continue
            per[pair["sentence"]].append((s, (pair["doc_id"], pair["paragraph"]) in gold,
                                          bool(pair["features"]["cited"]), pair["features"]))
        answer = trace.get("answer")
        signals = None
        if answer:  # what the answer head reads besides the pair: the check model, the wish to abstain
            signals = {"check_yes": answer.get("check_yes"), "abstain_logit": answer["features"]["abstain_logit"]}
        quotes = []
        for q in trace.get("quotes", []) if support_head is not None else []:
            if "pair" in q and "answer" in q:  # else the quote lacked the number the question asks for
                quotes.append((support_head.logit(q["pair"]), (q["doc_id"], q["paragraph"]) in gold, q["pair"],
                               q["answer"]["check_yes"], q["sentence"]))
        out.append({"record": r, "per": per, "sentences": sentences, "answer_signals": signals,
                    "quotes": quotes})
    return out


def answer_row(it: dict, candidate: tuple) -> dict[str, float]:
    """The answer head's signals for a question whose first backed sentence's best pair is ``candidate``
    (support logit, gold?, cited?, pair signals)."""
    signals = it["answer_signals"]
    features = answer_features(candidate[3], 1.0 / (1.0 + np.exp(-candidate[0])), signals["check_yes"], None)
    features["abstain_logit"] = signals["abstain_logit"]
    return features


def outcome(it: dict, answer_head: Head, t_support: float, t_answer: float) -> str:
    """What the runtime decision does with one question at these thresholds: "abstain", "good"
    (answerable, right, citing gold) or "wrong"; when the model's answer is refused, the first
    quote that passes both thresholds ("quote good" / "quote wrong")."""
    said = _model_outcome(it, answer_head, t_support, t_answer)
    if said != "abstain":
        return said
    for support, gold, pair, check_yes, sentence in it.get("quotes", []):
        if support < logit(t_support):
            continue
        features = answer_features(pair, 1.0 / (1.0 + np.exp(-support)), check_yes, None)
        if answer_head.prob(features) < t_answer:
            continue
        return "quote good" if gold and right(it["record"], sentence) else "quote wrong"
    return "abstain"


def _model_outcome(it: dict, answer_head: Head, t_support: float, t_answer: float) -> str:
    r = it["record"]
    if it["answer_signals"] is None:
        return "abstain"
    ls = logit(t_support)
    backed = []
    for text, cands in zip(it["sentences"], it["per"], strict=True):
        ok = [c for c in cands if c[0] >= ls]
        if ok:
            backed.append((text, ok))
    if not backed:
        return "abstain"
    if expects_number(r["question"]) and not any(numbers_in(t) - numbers_in(r["question"]) for t, _ in backed):
        return "abstain"
    best = max(backed[0][1], key=lambda c: c[0])
    if answer_head.prob(answer_row(it, best)) < t_answer:
        return "abstain"
    said = " ".join(t for t, _ in backed)
    cites_gold = any(c[1] for _, ok in backed for c in ok)
    return "good" if cites_gold and right(r, said) else "wrong"


def tally(items: list[dict], heads: dict[int, Head], t_support: float, t_answer: float) -> dict:
    """Per source (squad, cables): answerable, answered answerable, good, answered unanswerable,
    unanswerable."""
    out: dict[str, dict[str, int]] = {}
    for qi, it in enumerate(items):
        r = it["record"]
        if r["source"] == "generated":
            continue  # support-head rows only: no model answer to decide on
        row = out.setdefault(r["source"], {"answerable": 0, "answered": 0, "good": 0, "wrong_unanswerable": 0,
                                           "unanswerable": 0, "quoted": 0})
        result = outcome(it, heads[qi], t_support, t_answer) if qi in heads else "abstain"
        row["quoted"] += result.startswith("quote")
        if r["answerable"]:
            row["answerable"] += 1
            row["answered"] += result != "abstain"
            row["good"] += result.endswith("good")
        else:
            row["unanswerable"] += 1
            row["wrong_unanswerable"] += result != "abstain"
    for row in out.values():
        given = row["answered"] + row["wrong_unanswerable"]
        row["precision"] = round(row["good"] / given, 4) if given else None
        row["coverage"] = round(row["answered"] / row["answerable"], 4) if row["answerable"] else None
        # as ``qa eval`` reports it: of the answers to answerable questions, the share right and citing gold
        row["good_when_answered"] = round(row["good"] / row["answered"], 4) if row["answered"] else None
    return out


def fit(args: argparse.Namespace) -> None:
    records = read_records(args.records)
    held_out = sorted({r["id"] for r in records if r.get("split") == "test"})
    if held_out:
        raise SystemExit(f"{len(held_out)} records are of a test split (e.g. {held_out[0]}): they are for "
                         "`report` only, never for fitting")
    x, y, group, weights = pair_rows(records)
    print(f"{len(records)} questions, {len(y)} (sentence, paragraph) pairs, {int(y.sum())} positive")
    support_fit = fit_logistic(x, y, args.l2, weights=weights)
    oof = out_of_fold(x, y, group, weights, args.folds, args.l2)
    # rows are in record order, pair by pair: the order ``decisions`` walks them
    support_logits = {(int(g), i): float(v) for i, (g, v) in enumerate(zip(group, oof, strict=True))}
    items = decisions(records, support_logits)
    ax, ay, agroup = [], [], []
    for qi, it in enumerate(items):
        if it["answer_signals"] is None or not any(it["per"]):
            continue
        first = next(c for c in it["per"] if c)
        best = max(first, key=lambda c: c[0])
        features = answer_row(it, best)
        said = " ".join(t for t, c in zip(it["sentences"], it["per"], strict=True) if c)
        ax.append([features[f] for f in ANSWER_FEATURES])
        ay.append(float(best[1] and right(it["record"], said)))
        agroup.append(qi)
    ax, ay = np.array(ax), np.array(ay)
    answer_oof_head = _oof_answer_heads(ax, ay, np.array(agroup), args.folds, args.l2)
    curve = _curve(items, answer_oof_head)

    def feasible(c: dict) -> bool:
        return all((c[s]["precision"] or 0) >= args.precision.get(s, 0.0) for s in c if isinstance(c[s], dict))

    # a sentence is "backed" only when the calibrated support head finds it more likely supported than
    # not: below that the answer head alone would decide, and an unrelated sentence citing a paragraph
    # that answers the question would pass on the check model's word
    ok = [c for c in curve if feasible(c) and c["support"] >= args.min_support]
    chosen = max(ok or [c for c in curve if c["support"] >= args.min_support],
                 key=lambda c: (_answered(c), -c["support"], -c["answer"]))
    print("chosen operating point (out-of-fold, tuning questions):", json.dumps(chosen))
    answer_fit = fit_logistic(ax, ay, args.l2)
    support = head_from(support_fit, SUPPORT_FEATURES, chosen["support"])
    answer = head_from(answer_fit, ANSWER_FEATURES, chosen["answer"])
    frontier = _frontier(curve)
    out = {"support": support.to_json(), "answer": answer.to_json(),
           "trained_on": {"records": [_shown_path(p) for p in args.records],
                          "questions": len(records), "pairs": int(len(y)), "l2": args.l2, "folds": args.folds,
                          "min_support": args.min_support,
                          "target_precision": args.precision},
           "operating_point": chosen, "frontier": frontier}
    text = json.dumps(out, indent=1) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} sha256 {hashlib.sha256(text.encode()).hexdigest()}")
    for c in frontier:
        print(f"  support>={c['support']:.3f} answer>={c['answer']:.3f}: "
              + "; ".join(f"{k} answered {v['answered']}/{v['answerable']} precision {v['precision']}"
                          for k, v in c.items() if isinstance(v, dict)))


def _answered(c: dict) -> int:
    """Answerable questions answered at one grid point, all sources together."""
    return sum(c[s]["answered"] for s in c if isinstance(c[s], dict))


def _curve(items: list[dict], heads: dict[int, Head]) -> list[dict]:
    """The tally at every (support, answer) threshold pair of the grid."""
    return [{"support": float(ts), "answer": float(ta), **tally(items, heads, float(ts), float(ta))}
            for ts in GRID for ta in GRID]


def report(args: argparse.Namespace) -> None:
    """The shipped heads (or ``--weights``) on records they were not fitted on: the tally at the
    weights' own operating point, at each ``--at`` point, and the precision-coverage frontier over the
    threshold grid (for the curve only: the operating point is never chosen here)."""
    from qa.cores import cpu_flags
    from qa.grounding.verifier import Verifier

    verifier = Verifier.load(args.weights)
    records = read_records(args.records)
    support_logits, pos = {}, 0
    for qi, r in enumerate(records):
        for pair in (r.get("trace") or {}).get("pairs", []):
            support_logits[(qi, pos)] = verifier.support.logit(pair["features"])
            pos += 1
    items = decisions(records, support_logits, verifier.support)
    heads = {qi: verifier.answer for qi in range(len(items))}
    points = [(verifier.support.threshold, verifier.answer.threshold), *args.at]
    at = [{"support": ts, "answer": ta, **tally(items, heads, ts, ta)} for ts, ta in points]
    curve = _curve(items, heads)
    out = {"weights": str(verifier.path), "weights_sha256_12": verifier.digest,
           "records": [_shown_path(p) for p in args.records], "questions": len(records),
           "splits": sorted({str(r.get("split")) for r in records}), "operating_point": at[0], "at": at[1:],
           "frontier": _frontier(curve), "cpu_flags": cpu_flags()}
    for c in at:
        print(f"support>={c['support']:.3f} answer>={c['answer']:.3f}: " + "; ".join(
            f"{k} answered {v['answered']}/{v['answerable']} (quoted {v['quoted']}) precision {v['precision']}, "
            f"answered {v['wrong_unanswerable']}/{v['unanswerable']} unanswerable"
            for k, v in c.items() if isinstance(v, dict)))
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


def _shown_path(path: Path) -> str:
    """A records path as the weights file names it: relative to the checkout when inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def _oof_answer_heads(x: np.ndarray, y: np.ndarray, group: np.ndarray, folds: int, l2: float) -> dict[int, Head]:
    """For each question, an answer head fitted without its fold."""
    heads = {}
    for k in range(folds):
        test = group % folds == k
        if test.all() or not test.any():
            continue
        head = head_from(fit_logistic(x[~test], y[~test], l2), ANSWER_FEATURES)
        for g in group[test]:
            heads[int(g)] = head
    return heads


def _frontier(curve: list[dict]) -> list[dict]:
    """The precision-coverage frontier: for each number of answers given, the best overall precision."""
    def precision(c: dict) -> float:
        rows = [v for v in c.values() if isinstance(v, dict)]
        given = sum(v["answered"] + v["wrong_unanswerable"] for v in rows)
        return sum(v["good"] for v in rows) / given if given else 0.0

    best: dict[int, dict] = {}
    for c in curve:
        n = _answered(c)
        if n not in best or precision(c) > precision(best[n]):
            best[n] = c
    out, top = [], -1.0
    for n in sorted(best, reverse=True):
        if precision(best[n]) > top:
            out.append(best[n])
            top = precision(best[n])
    return sorted(out, key=_answered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="answer questions in collect mode and record the signals")
    c.add_argument("source", choices=["squad", "cables"])
    c.add_argument("--split", default="train", choices=["train", "test"])
    c.add_argument("--n", type=int, default=150, help="SQuAD: questions of each kind")
    c.add_argument("--seed", type=int, default=11)
    c.add_argument("--dataset", type=Path, default=ROOT / "eval" / "cables-dev.jsonl")
    c.add_argument("--index-dir", type=Path)
    c.add_argument("--config", type=Path)
    c.add_argument("--model")
    c.add_argument("--out", type=Path, required=True)
    g = sub.add_parser("pairs", help="compute the support signals of generated pairs")
    g.add_argument("pairs", type=Path, nargs="?", default=ROOT / "train" / "data" / "generated-pairs.jsonl")
    g.add_argument("--out", type=Path, default=ROOT / "train" / "data" / "generated-signals.jsonl")
    f = sub.add_parser("fit", help="fit both heads and choose the thresholds")
    f.add_argument("records", type=Path, nargs="+")
    f.add_argument("--out", type=Path, default=ROOT / "qa" / "data" / "verifier.json")
    f.add_argument("--l2", type=float, default=1.0)
    f.add_argument("--folds", type=int, default=5)
    f.add_argument("--min-support", type=float, default=0.5,
                   help="least support threshold considered (the support head's probability)")
    # the round-1 rules' own precision on the same tuning questions (cable dev 38 of 47 answers right
    # and citing gold; squad2-dev train articles 30 of 45): the verifier must be as precise, and answer more
    f.add_argument("--precision", type=json.loads, default={"cables": 0.81, "squad": 0.67},
                   help="least out-of-fold precision per source at the chosen point (JSON)")
    r = sub.add_parser("report", help="the shipped heads on held-out records: operating point and frontier")
    r.add_argument("records", type=Path, nargs="+")
    r.add_argument("--weights", type=Path, help="a weights file (default: the packaged one)")
    r.add_argument("--at", type=lambda v: tuple(float(x) for x in v.split("/")), nargs="*", default=[],
                   help="more operating points to tally, as SUPPORT/ANSWER")
    r.add_argument("--out", type=Path, help="write the report as JSON here")
    args = parser.parse_args()
    if args.command == "report":
        report(args)
    elif args.command == "pairs":
        pair_records(args)
    elif args.command == "collect":
        collect(args)  # a test split's records are marked so, and ``fit`` refuses them
    else:
        fit(args)


if __name__ == "__main__":
    main()
