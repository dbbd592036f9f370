"""The learned verifier: its fitting, its signals and the packaged weights, with the real embedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scripts import load_script

from qa.errors import QAError
from qa.grounding.verifier import (
    ANSWER_FEATURES,
    PACKAGED,
    SUPPORT_FEATURES,
    PairInput,
    Verifier,
    fit_logistic,
    pair_features,
    stems,
    unbacked_numbers,
)

PARAGRAPH = ("Human trafficking cases have increased from 28 in 2001 to 123 in 2005. The Anti-Human Trafficking "
             "and Juvenile Protection Department is headed by Brigadier General Bith Kimhong.")
SOURCE = "Embassy Phnom Penh, 2006-04-07: CAMBODIA TRAFFICKING"


def test_fit_logistic_learns_the_signal_and_is_deterministic() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    y = (x[:, 1] + 0.3 * rng.normal(size=400) > 0).astype(float)
    first = fit_logistic(x, y, l2=1.0)
    again = fit_logistic(x, y, l2=1.0)
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    weights = first[2]
    assert abs(weights[1]) > 5 * max(abs(weights[0]), abs(weights[2]))  # the feature that decides


def test_a_number_outside_the_evidence_is_unbacked_but_the_source_date_is_not() -> None:
    assert unbacked_numbers("Cases rose to 150 in 2005.", PARAGRAPH, "How many cases?") == {"150"}
    assert unbacked_numbers("Cases rose to 123 in 2005.", PARAGRAPH, "How many cases?") == set()
    assert unbacked_numbers("In 2006 the embassy reported 123 cases.", f"{PARAGRAPH}\n{SOURCE}", "") == set()


def test_stems_match_inflections() -> None:
    assert stems("negotiations") & stems("negotiated")
    assert "the" not in stems("the cases")


@pytest.fixture(scope="module")
def embedder():
    from qa.settings import load_settings
    from qa.wiring import open_embedder

    return open_embedder(load_settings(None, {}, {}))


def _features(embedder, sentence: str, paragraph: str = PARAGRAPH) -> dict[str, float]:
    question = "Who heads Cambodia's Anti-Human Trafficking and Juvenile Protection Department?"
    qvec = np.asarray(embedder.encode_query(question), np.float32)
    sim = float(np.asarray(embedder.encode([paragraph]), np.float32)[0] @ qvec)
    return pair_features(question, sentence, PairInput(paragraph, SOURCE, "", sim, 0), True, sim, embedder)


def test_signals_separate_a_supported_sentence_from_a_changed_one(embedder) -> None:
    good = _features(embedder, "The department is headed by Brigadier General Bith Kimhong [1].")
    wrong = _features(embedder, "The department is headed by Colonel Sok Chanthy [1].")
    assert set(good) == set(SUPPORT_FEATURES)
    assert good["sentence_names"] == 1.0 and wrong["sentence_names"] < 1.0
    assert good["new_in_passage"] > wrong["new_in_passage"]
    assert good["sentence_sim"] > wrong["sentence_sim"]


def test_packaged_weights_score_support_above_a_changed_name_and_an_unrelated_paragraph(embedder) -> None:
    verifier = Verifier.load()
    assert verifier.path == PACKAGED and verifier.support.features == SUPPORT_FEATURES
    assert verifier.answer.features == ANSWER_FEATURES
    good = verifier.support.prob(_features(embedder, "The department is headed by Brigadier General Bith Kimhong."))
    wrong = verifier.support.prob(_features(embedder, "The department is headed by Colonel Sok Chanthy."))
    other = verifier.support.prob(_features(embedder, "The department is headed by Brigadier General Bith Kimhong.",
                                            "The embassy hosted a reception for the national day in June."))
    # the chosen threshold is strict (0.775): the ordering is what the weights must get right
    assert good > max(wrong, other) + 0.1


def test_a_missing_or_malformed_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="not found"):
        Verifier.load(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"support": {"features": []}}))
    with pytest.raises(QAError, match="not a verifier file"):
        Verifier.load(bad)


def _train_module():
    return load_script("train/verifier.py")


def _record(rid: str, answerable: bool, pair: dict, quote: dict | None = None, split: str = "test") -> dict:
    """A collected record whose model answer has one cited pair (``pair``: its signals), and maybe a quote."""
    trace = {"sentences": ["The answer [1]."], "pairs": [
        {"sentence": 0, "doc_id": "A", "paragraph": 1, "unbacked_numbers": False, "features": pair}],
        "answer": {"check_yes": 0.9, "features": {"abstain_logit": -5.0}}}
    if quote is not None:
        trace["quotes"] = [{"doc_id": "A", "paragraph": 1, "sentence": "A quoted sentence.", "pair": quote,
                            "answer": {"check_yes": 0.95}}]
    return {"id": rid, "source": "cables", "split": split, "question": "What was agreed?",
            "answerable": answerable, "answers": [], "gold": [["A", 1]] if answerable else [], "type": "exact",
            "trace": trace}


def test_report_tallies_held_out_records_and_falls_back_to_quotes(tmp_path: Path) -> None:
    """``train/verifier.py report`` scores records with the shipped heads; a refused model answer
    falls back to a passing quote as the pipeline does; ``fit`` refuses test-split records."""
    import argparse

    module = _train_module()
    strong = {f: 1.0 for f in SUPPORT_FEATURES} | {"negation_unbacked": 0.0, "year_conflict": 0.0,
                                                   "new_in_passage": 1.0, "question_gap": 0.0}
    weak = {f: 0.0 for f in SUPPORT_FEATURES} | {"negation_unbacked": 1.0, "year_conflict": 1.0}
    verifier = Verifier.load()
    assert verifier.support.prob(strong) > verifier.support.threshold > verifier.support.prob(weak)
    records = [_record("good", True, strong), _record("unanswerable", False, weak),
               _record("quoted", True, weak, quote=strong)]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "report.json"
    module.report(argparse.Namespace(records=[path], weights=None, at=[(0.99, 0.99)], out=out))
    report = json.loads(out.read_text(encoding="utf-8"))
    shipped, strict = report["operating_point"]["cables"], report["at"][0]["cables"]
    assert (shipped["answerable"], shipped["unanswerable"], shipped["wrong_unanswerable"]) == (2, 1, 0)
    if verifier.answer.prob(module.answer_features(strong, verifier.support.prob(strong), 0.9, None)) >= \
            verifier.answer.threshold:
        assert shipped["quoted"] == 1 and shipped["good"] == shipped["answered"]
    assert strict["answered"] <= shipped["answered"]
    with pytest.raises(SystemExit, match="test split"):
        module.fit(argparse.Namespace(records=[path], out=tmp_path / "w.json", l2=1.0, folds=5, precision={},
                                      min_support=0.5))


def test_the_packaged_weights_are_what_the_committed_records_fit_to(tmp_path: Path) -> None:
    """``train/verifier.py fit`` is deterministic: the recipe in the repo reproduces the shipped file."""
    import argparse

    root = Path(__file__).resolve().parents[2]
    module = _train_module()
    shipped = json.loads(PACKAGED.read_text(encoding="utf-8"))
    out = tmp_path / "verifier.json"
    names = shipped["trained_on"]["records"]
    assert names and all((root / n).is_file() and n.startswith("train/data/") for n in names)
    args = argparse.Namespace(records=[Path(n) for n in names], out=out, l2=shipped["trained_on"]["l2"],
                              folds=shipped["trained_on"]["folds"],
                              precision=shipped["trained_on"]["target_precision"],
                              min_support=shipped["trained_on"]["min_support"])
    import os

    cwd = os.getcwd()
    os.chdir(root)
    try:
        module.fit(args)
    finally:
        os.chdir(cwd)
    assert out.read_text(encoding="utf-8") == PACKAGED.read_text(encoding="utf-8")
