"""llm.repack: llama.cpp's repacked weight buffers, left out where its AMX kernels would crash or its
AVX-512 kernels run prompts faster without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answer.llm.loader import open_llama, repack_weights
from qa.errors import QAError

ROOT = Path(__file__).resolve().parents[2]
MODEL_CACHE = ROOT / ".cache" / "cableqa"
AMX_BUILD = "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | REPACK = 1 |"
EPYC_BUILD = "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | REPACK = 1 |"
AVX2_BUILD = "CPU : AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 | REPACK = 1 |"


def test_auto_keeps_repacking_only_on_an_avx2_build():
    assert repack_weights("auto", AMX_BUILD) is False  # crashes
    assert repack_weights("auto", EPYC_BUILD) is False  # slower prompts
    assert repack_weights("auto", AVX2_BUILD) is True
    assert repack_weights("ON", AMX_BUILD) is True and repack_weights("true", AMX_BUILD) is True
    assert repack_weights("off", AVX2_BUILD) is False
    with pytest.raises(QAError, match="llm.repack"):
        repack_weights("sometimes", EPYC_BUILD)


def test_the_saved_prefix_is_keyed_by_repacking(tmp_path):
    from qa.answer.llm.llama import LlamaGenerator

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")  # never loaded
    on, off = (LlamaGenerator(model, threads=1, repack=v, state_dir=tmp_path) for v in ("on", "off"))
    assert repack_weights(on.repack_setting) and not repack_weights(off.repack_setting)
    prefix = [{"role": "system", "content": "rules"}]
    assert on._state_file(prefix) != off._state_file(prefix)  # other kernels, other KV values


@pytest.mark.slow
def test_real_model_loads_without_extra_buffers_and_runs_a_prompt(capfd):
    import llama_cpp

    from qa.answer.llm.weights import resolve_model

    model = resolve_model(None, MODEL_CACHE)
    llm = open_llama(model, repack=False, n_ctx=512, n_threads=1, n_threads_batch=1, verbose=True)
    loaded = capfd.readouterr().err
    assert "CPU_Mapped model buffer size" in loaded
    assert "AMX model buffer" not in loaded and "REPACK model buffer" not in loaded
    # a prompt of many tokens: what crashed in the AMX kernels (a one-token prompt did not)
    tokens = llm.tokenize(b"The embassy reported on the referendum and its turnout. " * 8)
    assert len(tokens) > 64
    llm.eval(tokens)
    assert llm.n_tokens == len(tokens)
    # the library's own default is back for every later load
    assert llama_cpp.llama_model_default_params().use_extra_bufts
