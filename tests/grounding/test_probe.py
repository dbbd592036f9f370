"""The check probe: its window, its weights (refitted from the committed sets), and the real model's
hidden state read through ``LlamaGenerator.choose_with_state``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pytest
from scripts import load_script

from qa.errors import QAError
from qa.grounding.checks import CHECK_WORDS, CheckModel, check_window
from qa.grounding.probe import Probe
from qa.prompts.templates import load_check_prompts
from qa.types import Hit

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "qa" / "data" / "check_probe.npz"
MODEL_CACHE = ROOT / ".cache" / "cableqa"


def _train_module():
    return load_script("train/probe.py")


def test_the_window_is_the_sentence_with_its_neighbours_within_the_cap() -> None:
    sentences = ["One.", "Two.", "Three.", "Four."]
    assert check_window(sentences, 0) == "One. Two."
    assert check_window(sentences, 2) == "Two. Three. Four."
    long = " ".join(["word"] * (CHECK_WORDS * 4))
    capped = check_window(["Short.", long, "Tail."], 1)
    assert len(capped.split()) == CHECK_WORDS and capped.startswith("word")
    assert check_window([], 0) == ""


def test_the_packaged_probe_loads_and_a_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    probe = Probe.load()
    assert probe.weights.shape == probe.mean.shape == (1536,)
    assert 0.0 < probe.prob(probe.mean) < 1.0
    bad = tmp_path / "probe.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(QAError, match="cannot read the check probe"):
        Probe.load(bad)


class _Chooser:
    def __init__(self, state: np.ndarray) -> None:
        self.state = state

    def choose(self, prompt, choices):
        return {"Yes": 0.9, "No": 0.1}


class _StateChooser(_Chooser):
    def choose_with_state(self, prompt, choices):
        return self.choose(prompt, choices), self.state


def test_with_a_probe_the_check_reads_the_state_and_without_one_p_yes() -> None:
    probe = Probe(np.zeros(3), np.ones(3), np.array([1.0, 0.0, 0.0]), 0.0)
    hit = Hit(1, "D1", 1, 1.0, "text")
    prompts = load_check_prompts()
    low = np.array([-4.0, 0.0, 0.0])
    with_probe = CheckModel(_StateChooser(low), prompts, probe)
    assert with_probe.scores(hit, "text", "q?") == (0.9, pytest.approx(1 / (1 + np.exp(4.0))))
    assert with_probe.p_yes(hit, "text", "q?") < 0.05
    # a model that cannot show its state (an OpenAI-compatible server) falls back to P(Yes)
    server = CheckModel(_Chooser(low), prompts, probe)
    assert server.probe is None and server.p_yes(hit, "text", "q?") == 0.9


def test_the_packaged_probe_is_what_the_committed_sets_fit_to(tmp_path: Path) -> None:
    """``train/probe.py fit`` is deterministic: the sets in the repo reproduce the shipped weights."""
    shipped = dict(np.load(PACKAGED))
    names = [str(n) for n in shipped["trained_on"]]
    assert names and all(n.startswith("train/data/") and (ROOT / f"{n}.jsonl").is_file() for n in names)
    out = tmp_path / "probe.npz"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        _train_module().fit(argparse.Namespace(sets=[Path(n) for n in names], folds=0,
                                               l2=float(shipped["l2"]), out=out))
    finally:
        os.chdir(cwd)
    refit = dict(np.load(out))
    for key in ("mean", "scale", "weights"):
        # the same rows give the same model; BLAS may differ in the last bits between CPUs
        np.testing.assert_allclose(refit[key], shipped[key], rtol=1e-6, atol=1e-8)
    assert abs(float(refit["bias"]) - float(shipped["bias"])) < 1e-6


def test_fit_refuses_test_pairs(tmp_path: Path) -> None:
    name = tmp_path / "held"
    name.with_suffix(".jsonl").write_text('{"id": "x", "split": "test", "label": 1, "state": ""}\n')
    with pytest.raises(SystemExit, match="test pairs"):
        _train_module().fit(argparse.Namespace(sets=[name], folds=0, l2=1.0, out=tmp_path / "p.npz"))


@pytest.mark.slow
def test_the_real_model_shows_its_state_and_the_probe_tells_an_answering_window() -> None:
    """Through the real GGUF model: the state comes with the same P(Yes) as ``choose``, is the same
    on a second call, and the packaged probe rates a window that answers above one that does not."""
    from qa.answer.llm.llama import get_generator
    from qa.prompts.templates import check_messages
    from qa.settings import load_settings

    settings = load_settings(None, {}, {})
    settings.llm.cache_dir = MODEL_CACHE
    checker = get_generator(settings.llm, role="check")
    prompts = load_check_prompts()
    source = "Embassy Phnom Penh, 2006-04-07: TRAFFICKING IN PERSONS"
    window = ("In 2005, the Ministry of Interior's anti-trafficking police investigated 123 cases of "
              "trafficking. The cases led to 167 arrests. Most victims were women.")
    asks = check_messages(prompts, source, window, "How many trafficking cases did the police investigate in 2005?")
    other = check_messages(prompts, source, window, "What is the population of Phnom Penh?")
    plain = checker.choose(asks, ["Yes", "No"])["Yes"]
    probs, state = checker.choose_with_state(asks, ["Yes", "No"])
    again = checker.choose_with_state(asks, ["Yes", "No"])[1]
    assert state.shape == (1536,) and np.isfinite(state).all() and np.array_equal(state, again)
    assert abs(probs["Yes"] - plain) < 0.1
    probe = Probe.load()
    _, other_state = checker.choose_with_state(other, ["Yes", "No"])
    assert probe.prob(state) > 0.5 > probe.prob(other_state)
