"""``llm.backend = "openai"`` against a real model server: llama-cpp-python's own OpenAI-compatible
server, started here with the packaged model, answers the seed question through the full pipeline with
the same result as the in-process backend."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ask_real import seed_answerer  # noqa: F401  (the in-process answerer over the seed index)

from qa.answer.llm.openai_server import OpenAIServerGenerator
from qa.answer.llm.weights import resolve_model
from qa.errors import QAError

ROOT = Path(__file__).resolve().parents[2]
MODEL_CACHE = ROOT / ".cache" / "cableqa"
QUESTION = "How many human trafficking cases were reported in Cambodia in 2005?"
pytestmark = pytest.mark.slow
# llama-cpp-python's own server, loading the weights as the app does (no repacked buffers on an AMX
# build, whose kernels crash on this model, nor on an AVX-512 one: qa.answer.llm.loader)
SERVER = """
import runpy
from qa.answer.llm.loader import loading, repack_weights
with loading(repack_weights()):
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    model = resolve_model(None, MODEL_CACHE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", SERVER, "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "4096", "--model_alias", "qwen-1.5b"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, "the model server exited"
            try:
                urllib.request.urlopen(url + "/models", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "the model server did not start"
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_pipeline_answers_through_a_model_server_as_it_does_in_process(server: str, seed_answerer) -> None:  # noqa: F811
    from qa.settings import load_settings
    from qa.wiring import open_answerer

    settings = load_settings(None, {}, {"llm.backend": "openai", "llm.base_url": server, "llm.model": "qwen-1.5b",
                                        "index.dir": seed_answerer.retriever.index_dir})
    remote = open_answerer(settings, retriever=seed_answerer.retriever)
    assert isinstance(remote.generator, OpenAIServerGenerator)
    answer = remote.ask(QUESTION)
    local = seed_answerer.ask(QUESTION)
    assert not answer.abstained and "123" in answer.answer, answer
    assert [c.label for c in answer.citations] == [c.label for c in local.citations]
    assert "06PHNOMPENH657 ¶5" in [c.label for c in answer.citations]
    # the check pass reads the server's log-probabilities: a real probability, not a 0/1 fallback
    checker = remote.check_model.model
    p = checker.choose([{"role": "user", "content": "Is Paris in France? Answer Yes or No."}], ["Yes", "No"])
    assert p["Yes"] > 0.5 and not checker._warned  # no warning: the server gave log-probabilities


def test_an_unreachable_server_is_a_clear_error() -> None:
    generator = OpenAIServerGenerator("http://127.0.0.1:9/v1", "none", timeout_s=5)
    with pytest.raises(QAError, match="cannot reach the model server at http://127.0.0.1:9/v1"):
        list(generator.stream([{"role": "user", "content": "hi"}]))
