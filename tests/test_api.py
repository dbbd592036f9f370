"""``qa api`` through the real ``openai`` client: a real server process over an index of the built-in
example, with the real embedder and the packaged model."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL_CACHE = ROOT / ".cache" / "cableqa"
QUESTION = "How many human trafficking cases were reported in Cambodia in 2005?"
KEY = "test-key-5b1c"
pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    return {**env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "QA_CACHE_DIR": str(MODEL_CACHE)}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("api")
    done = subprocess.run([sys.executable, "-m", "qa.cli", "index", str(ROOT / "examples"), "--index-dir",
                           str(tmp / "index")], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp / "api.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "api", "--port", str(port), "--api-key", KEY,
                             "--index-dir", str(tmp / "index")], cwd=ROOT, env=_env(), stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp / "api.log").read_text()
            try:
                urllib.request.urlopen(url + "/models", timeout=5)
            except urllib.error.HTTPError:
                break  # it answers (401 without the key)
            except OSError:
                assert time.monotonic() < deadline, (tmp / "api.log").read_text()
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_the_openai_client_gets_a_cited_answer_streamed_and_not(base_url: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=base_url, api_key=KEY)
    assert [m.id for m in client.models.list().data] == ["cableqa"]
    reply = client.chat.completions.create(model="cableqa", messages=[{"role": "user", "content": QUESTION}])
    text = reply.choices[0].message.content
    assert "123" in text and "06PHNOMPENH657 ¶5" in text, text
    extra = reply.model_extra["cableqa"]
    assert extra["abstained"] is False
    assert {"doc_id": "06PHNOMPENH657", "paragraph": 5, "label": "06PHNOMPENH657 ¶5"} in extra["citations"]
    stream = client.chat.completions.create(model="cableqa", stream=True,
                                            messages=[{"role": "user", "content": QUESTION}])
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert streamed == text  # the same checked answer; no unchecked draft is streamed


def test_requests_without_the_key_are_refused(base_url: str) -> None:
    import openai

    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=base_url, api_key="wrong").models.list()
    request = urllib.request.Request(base_url + "/search", data=b'{"query": "trafficking"}',
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    request.add_header("Authorization", f"Bearer {KEY}")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert b"06PHNOMPENH657" in response.read()
