"""The pure parts of two benchmarks: what ``bench/prompt_tokens.py`` counts (through the real pipeline
with the seed cable) and how ``bench/llama_formats.py`` summarises its rounds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from scripts import load_script
from test_pipeline import HASH_SETTINGS, answerer, cite_123

from qa.evaluation.dataset import Gold, Question
from qa.parse.cable import parse_cable

SEED = Path(__file__).resolve().parents[2] / "examples" / "06PHNOMPENH657.txt"


class WordCounter:
    """The tokenizer's stand-in: one token per word (the real one is the model's, in the benchmark)."""

    name = "words"

    def count_tokens(self, text: str) -> int:
        return len(text.split())


@pytest.fixture(scope="module")
def bench():
    return load_script("bench/prompt_tokens.py")


def prepared(bench, settings=HASH_SETTINGS):
    qa = answerer([parse_cable(SEED.read_text(encoding="utf-8"), str(SEED))], cite_123, settings=settings)
    qa.generator = WordCounter()
    return qa, bench.prompt_only(qa)


QUESTION = Question("q1", "How many human trafficking cases were reported in 2005?", True, ["123"],
                    [Gold("06PHNOMPENH657", 5)])


def test_prompt_tokens_counts_what_is_shown(bench):
    qa, fake = prepared(bench)
    row = bench.measure(qa, fake, QUESTION)
    assert row["gold_shown"] and row["answer_shown"] and row["passages"] >= 1
    assert row["tokens"] == len(fake.last[-1]["content"].split()) > row["words"] > 0
    # a reference answer that is nowhere in the shown text, or a gold paragraph not shown, counts as missed
    wrong = dataclasses.replace(QUESTION, answers=["4,711"], gold=[Gold("06PHNOMPENH657", 19)])
    row = bench.measure(qa, fake, wrong)
    assert not row["answer_shown"] and not row["gold_shown"]


def test_a_smaller_budget_shows_fewer_tokens(bench):
    big = bench.measure(*prepared(bench, dataclasses.replace(HASH_SETTINGS, context_words=160)), QUESTION)
    small = bench.measure(*prepared(bench, dataclasses.replace(HASH_SETTINGS, context_words=20)), QUESTION)
    assert small["words"] <= 20 < big["words"] and small["tokens"] < big["tokens"]
    summary = bench.summarise([big, small])
    assert summary["answerable"] == 2 and summary["tokens_p50"] == (big["tokens"] + small["tokens"]) / 2


def test_llama_formats_summary_takes_medians_and_ratios():
    formats = load_script("bench/llama_formats.py")
    rows = [{"build": b, "format": f, "threads": 2, "flash_attn": False, "prompt_tok_s": p, "gen_tok_s": g}
            for b, f, p, g in [("native", "q4_k_m", 80.0, 25.0), ("native", "q4_k_m", 60.0, 23.0),
                               ("native", "q4_k_m", 70.0, 24.0), ("avx2", "q4_k_m", 35.0, 12.0),
                               ("avx2", "q4_k_m", 49.0, 12.0)]]
    table = {t["build"]: t for t in formats.summarise(rows)}
    assert table["native"]["prompt_tok_s"] == 70.0 and table["native"]["rounds"] == 3
    assert table["avx2"]["prompt_tok_s"] == 42.0 and table["avx2"]["prompt_vs_native_q4_k_m"] == 0.6
    assert table["avx2"]["gen_vs_native_q4_k_m"] == 0.5
