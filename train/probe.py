"""A linear probe of the check model's hidden state: does this paragraph window answer the question?

The check model (``qa.grounding.checks.CheckModel``) is asked whether three sentences of a paragraph
answer a question and its P(Yes) gates answers and quotes. The probe reads the same prompt's hidden
state at the position where the reply begins (``LlamaGenerator.choose_with_state``) and is fitted to
say the same thing, from the state rather than from the two output tokens.

    collect  each question of a set is searched (default settings, the set's index); the pairs are the
             gold paragraph when it is among the top ``k`` and the best-ranked other paragraph (for an
             unanswerable question, the two best). Each pair's window is the paragraph's sentence that
             ranks best for the question with its neighbours, as the pipeline's quotes are chosen.
             Label: the window contains a reference answer (whole words, SQuAD normalisation).
    fit      L2 logistic regression on the hidden states of tuning sets (never a ``test`` set), its L2
             chosen by grouped cross-validation (folds by question); writes the probe's weights.
    report   AUC of the probe and of P(Yes) on any sets, side by side.

    .venv/bin/python train/probe.py collect --source squad --split train --n 150 --index-dir /tmp/idx/squad \
        --out train/data/probe-squad-train
    .venv/bin/python train/probe.py collect --source cables --dataset eval/cables-dev.jsonl \
        --index-dir /tmp/idx/cables --out train/data/probe-cables-dev
    .venv/bin/python train/probe.py fit train/data/probe-squad-train train/data/probe-cables-dev --out PROBE.npz
    .venv/bin/python train/probe.py report --probe PROBE.npz bench/results/probe-cables-test

A set is ``NAME.jsonl``: one pair a line, its hidden state as base64 little-endian float16.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa.grounding.verifier import fit_logistic  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad2-dev"
HELD_OUT = (ROOT / "eval" / "cables-test.jsonl").resolve()
L2_GRID = (1.0, 10.0, 100.0, 1000.0, 10000.0)


def window_of(question: str, text: str, question_vector: np.ndarray, embedder) -> str:
    """The paragraph's sentence that ranks best for the question, with its neighbours."""
    from qa.answer.passages import Candidate, rank_sentences
    from qa.grounding.checks import check_window
    from qa.grounding.instructions import visible_sentences

    sentences = visible_sentences(text)
    if not sentences:
        return text
    cosines = np.asarray(embedder.encode(sentences), dtype=np.float32) @ question_vector
    _, _, j = rank_sentences(question, [Candidate(0, sentences, 0.0, 0)], [list(map(float, cosines))])[0]
    return check_window(sentences, j)


def collect(args: argparse.Namespace) -> None:
    from squad_split import sample, split_questions

    from qa.answer.llm.llama import get_generator
    from qa.evaluation.dataset import load_dataset
    from qa.evaluation.metrics import containment
    from qa.grounding.checks import YES, source_line
    from qa.prompts.templates import check_messages, load_check_prompts
    from qa.settings import load_settings
    from qa.wiring import open_embedder, open_searcher

    settings = load_settings(None, os.environ, {"llm.model": args.model} if args.model else {})
    settings.index.dir = args.index_dir
    if args.source == "squad":
        questions = sample(split_questions(SQUAD, args.split), args.n, args.seed)
        split = args.split
    else:
        questions = load_dataset(args.dataset)
        split = "test" if args.dataset.resolve() == HELD_OUT else args.split
    embedder = open_embedder(settings)
    searcher = open_searcher(settings, embedder)
    checker = get_generator(settings.llm, role="check")
    prompts = load_check_prompts()
    out = Path(f"{args.out}.jsonl")
    done = {json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines() if line} \
        if out.exists() else set()
    todo = [q for q in questions if q.id not in done]  # a stopped run goes on where it left off
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with out.open("a", encoding="utf-8") as sink:
        for i, q in enumerate(todo, 1):
            hits = searcher.search(q.question, args.k)
            gold = {(g.doc_id, g.paragraph) for g in q.gold}
            qvec = np.asarray(embedder.encode_query(q.question), dtype=np.float32)
            chosen = [h for h in hits if (h.doc_id, h.paragraph) in gold][:1]
            others = [h for h in hits if (h.doc_id, h.paragraph) not in gold]
            chosen += others[:1] if q.answerable else others[:2]
            for hit in chosen:
                window = window_of(q.question, hit.text, qvec, embedder)
                probs, hidden = checker.choose_with_state(
                    check_messages(prompts, source_line(hit), window, q.question), [YES, "No"])
                row = {"id": q.id, "source": args.source, "split": split, "answerable": q.answerable,
                       "gold_paragraph": (hit.doc_id, hit.paragraph) in gold,
                       "doc_id": hit.doc_id, "paragraph": hit.paragraph,
                       "label": int(bool(q.answers) and containment(window, q.answers) > 0),
                       "p_yes": round(probs[YES], 6), "window": window,
                       "state": base64.b64encode(hidden.astype("<f2").tobytes()).decode("ascii")}
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()
            rate = (time.perf_counter() - started) / i
            print(f"[{i}/{len(todo)}] {rate:.1f} s a question  {q.question[:70]}", flush=True)


def read_set(name: Path) -> tuple[list[dict], np.ndarray]:
    """A set's pairs and their hidden states (float32, one row a pair)."""
    rows = [json.loads(line) for line in Path(f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line]
    states = np.stack([np.frombuffer(base64.b64decode(r.pop("state")), dtype="<f2") for r in rows])
    return rows, states.astype(np.float32)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (ties count half): the chance a random answering pair outscores a
    random other one."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def probe_logits(probe: dict, states: np.ndarray) -> np.ndarray:
    return ((states - probe["mean"]) / probe["scale"]) @ probe["weights"] + probe["bias"]


def _fit(states: np.ndarray, labels: np.ndarray, l2: float, weights: np.ndarray) -> dict:
    mean, scale, w, b = fit_logistic(states, labels, l2=l2, iterations=30, weights=weights)
    return {"mean": mean, "scale": scale, "weights": w, "bias": b}


def _balanced(rows: list[dict]) -> np.ndarray:
    """Row weights that give each source (squad, cables) the same total weight."""
    sources = [r["source"] for r in rows]
    counts = {s: sources.count(s) for s in set(sources)}
    return np.array([len(rows) / (len(counts) * counts[s]) for s in sources])


def fit(args: argparse.Namespace) -> None:
    rows, states = [], []
    for name in args.sets:
        r, s = read_set(name)
        if any(x["split"] == "test" for x in r):
            raise SystemExit(f"{name} holds test pairs: they are for figures only, never fitted on")
        rows += r
        states.append(s)
    x = np.vstack(states)
    y = np.array([r["label"] for r in rows], dtype=np.float64)
    weights = _balanced(rows)
    groups = np.array([zlib.crc32(r["id"].encode()) % max(args.folds, 1) for r in rows])  # folds by question
    print(f"{len(rows)} pairs, {int(y.sum())} answering; P(Yes) AUC {auc(np.array([r['p_yes'] for r in rows]), y):.3f}")
    best = None
    for l2 in ([args.l2] if args.l2 else L2_GRID):
        oof = np.zeros(len(rows))
        for f in range(args.folds):
            train, held = groups != f, groups == f
            oof[held] = probe_logits(_fit(x[train], y[train], l2, weights[train]), x[held])
        score = auc(oof, y) if args.folds > 1 else float("nan")
        print(f"  l2 {l2:>8}: out-of-fold probe AUC {score:.3f}")
        if best is None or score > best[0] or np.isnan(score):
            best = (score, l2)
    assert best is not None
    probe = _fit(x, y, best[1], weights)
    # the recipe travels with the weights, so that a test can refit them from the committed sets
    np.savez(args.out, l2=best[1], folds=args.folds, trained_on=np.array([str(n) for n in args.sets]), **probe)
    print(f"chose l2 {best[1]} (out-of-fold AUC {best[0]:.3f}) -> {args.out}")


def report(args: argparse.Namespace) -> None:
    probe = dict(np.load(args.probe)) if args.probe else None
    out = []
    for name in args.sets:
        rows, states = read_set(name)
        y = np.array([r["label"] for r in rows])
        line = {"set": str(name), "pairs": len(rows), "answering": int(y.sum()),
                "p_yes_auc": round(auc(np.array([r["p_yes"] for r in rows]), y), 4)}
        if probe is not None:
            line["probe_auc"] = round(auc(probe_logits(probe, states), y), 4)
        out.append(line)
        print(json.dumps(line))
    if args.json:
        from qa.cores import cpu_flags

        # the flags of the machine reporting; the sets' P(Yes) and states were collected on it too
        report = {"cpu_flags": cpu_flags(), "probe": str(args.probe) if args.probe else None, "sets": out}
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="record the check prompt's P(Yes) and hidden state per pair")
    c.add_argument("--source", choices=("squad", "cables"), required=True)
    c.add_argument("--split", default="train", help="squad: which articles; cables: the label written")
    c.add_argument("--dataset", type=Path, default=ROOT / "eval" / "cables-dev.jsonl")
    c.add_argument("--n", type=int, default=150, help="squad: answerable and unanswerable questions each")
    c.add_argument("--seed", type=int, default=11)
    c.add_argument("--k", type=int, default=5, help="hits searched per question")
    c.add_argument("--index-dir", type=Path, required=True)
    c.add_argument("--model", help="GGUF file (default: the packaged model)")
    c.add_argument("--out", type=Path, required=True, help="NAME: appends to NAME.jsonl (resumes)")
    f = sub.add_parser("fit", help="fit the probe on tuning sets")
    f.add_argument("sets", type=Path, nargs="+")
    f.add_argument("--folds", type=int, default=5)
    f.add_argument("--l2", type=float, help="fit with this L2 (default: the grid's best out of fold)")
    f.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("report", help="AUC of the probe and of P(Yes)")
    r.add_argument("sets", type=Path, nargs="+")
    r.add_argument("--probe", type=Path)
    r.add_argument("--json", type=Path)
    args = ap.parse_args()
    {"collect": collect, "fit": fit, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
