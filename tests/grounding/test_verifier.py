"""The learned verifier: its fitting, its signals and the packaged weights, with the real embedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

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


def test_the_packaged_weights_are_what_the_committed_records_fit_to(tmp_path: Path) -> None:
    """``train/verifier.py fit`` is deterministic: the recipe in the repo reproduces the shipped file."""
    import argparse
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    records = sorted((root / "train" / "data").glob("*-*.jsonl"))
    records = [p for p in records if not p.name.startswith("generated-pairs")]
    spec = importlib.util.spec_from_file_location("train_verifier", root / "train" / "verifier.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = json.loads(PACKAGED.read_text(encoding="utf-8"))
    out = tmp_path / "verifier.json"
    names = [str(p.relative_to(root)) for p in records]
    assert names == shipped["trained_on"]["records"]
    args = argparse.Namespace(records=[Path(n) for n in names], out=out, l2=shipped["trained_on"]["l2"],
                              folds=shipped["trained_on"]["folds"],
                              precision=shipped["trained_on"]["target_precision"])
    import os

    cwd = os.getcwd()
    os.chdir(root)
    try:
        module.fit(args)
    finally:
        os.chdir(cwd)
    assert out.read_text(encoding="utf-8") == PACKAGED.read_text(encoding="utf-8")
