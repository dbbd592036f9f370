"""The llama.cpp adapter's pure parts: the probability watch over the logits."""

from __future__ import annotations

import numpy as np

from qa.answer.llm.llama import _Watch


def logits_favouring(token: int, vocab: int = 8, margin: float = 2.0) -> np.ndarray:
    logits = np.zeros(vocab, dtype=np.float32)
    logits[token] = margin
    return logits


def test_watch_reports_the_tracked_probability_where_generation_leaves_it():
    watch = _Watch(track=[3, 4, 5])
    prompt = [9, 9, 9]
    # step 0: the model picks 3 (on track); step 1: it picks 6 instead of 4
    watch(np.array(prompt), logits_favouring(3))
    step1 = logits_favouring(6)
    step1[4] = 1.0
    watch(np.array([*prompt, 3]), step1)
    p = np.exp(step1 - step1.max())
    p /= p.sum()
    assert abs(watch.track_prob - float(p[4])) < 1e-6
    assert watch.probs[0] > 0.4 and len(watch.probs) == 2


def test_watch_is_none_when_the_tracked_text_is_generated():
    watch = _Watch(track=[3, 4])
    watch(np.array([1]), logits_favouring(3))
    watch(np.array([1, 3]), logits_favouring(4))
    watch(np.array([1, 3, 4]), logits_favouring(0))
    assert watch.track_prob is None


def test_watch_leaves_the_logits_unchanged():
    logits = logits_favouring(2)
    assert np.array_equal(_Watch(track=[1])(np.array([0]), logits.copy()), logits)


def test_flash_attention_setting_and_the_saved_prefix_it_keys(tmp_path):
    import llama_cpp
    import pytest

    from qa.answer.llm.llama import LlamaGenerator
    from qa.errors import QAError

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")  # never loaded: only its name, size and time go into the key
    on, off = (LlamaGenerator(model, threads=1, flash_attn=v, state_dir=tmp_path) for v in ("on", "OFF"))
    assert on.flash_attn() and not off.flash_attn()
    assert LlamaGenerator(model, flash_attn="True").flash_attn()  # a TOML boolean arrives as text
    prefix = [{"role": "system", "content": "rules"}]
    # a KV cache saved with one attention layout is never restored into the other
    assert on._state_file(prefix) != off._state_file(prefix)
    auto = LlamaGenerator(model, threads=1, flash_attn="auto")
    assert auto.flash_attn() == ("AVX512 = 1" not in llama_cpp.llama_print_system_info().decode())
    with pytest.raises(QAError, match="llm.flash_attn"):
        LlamaGenerator(model, threads=1, flash_attn="maybe").flash_attn()
