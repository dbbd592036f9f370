"""``qa mcp`` through the official MCP client over stdio, on an index of the built-in example, with the
real embedder and the packaged model: tools listed, search, ask, get_paragraph, get_cable, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL_CACHE = ROOT / ".cache" / "cableqa"  # where the other real-model tests assemble the packaged GGUF
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mcp") / "index"
    done = subprocess.run([sys.executable, "-m", "qa.cli", "index", str(ROOT / "examples"), "--index-dir", str(folder)],
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return folder


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    return {**env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "QA_CACHE_DIR": str(MODEL_CACHE)}


def session_calls(index_dir: Path, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Start ``qa mcp`` as an MCP client does, list its tools and resources, make ``calls`` in order."""
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    async def run() -> dict[str, Any]:
        params = StdioServerParameters(command=sys.executable, args=["-m", "qa.cli", "mcp", "--index-dir",
                                                                       str(index_dir)], env=_env(), cwd=str(ROOT))
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            resource = await session.read_resource("cableqa://index")
            results = [await session.call_tool(name, args) for name, args in calls]
            return {"init": init, "tools": {t.name: t for t in tools.tools}, "resource": resource, "results": results}

    return anyio.run(run)


def test_an_mcp_client_searches_asks_and_reads_paragraphs(index_dir: Path) -> None:
    out = session_calls(index_dir, [
        ("search", {"query": "human trafficking cases 2005", "k": 3}),
        ("ask", {"question": "How many human trafficking cases were reported in Cambodia in 2005?"}),
        ("get_paragraph", {"doc_id": "06PHNOMPENH657", "paragraph": 5, "neighbours": 1}),
        ("get_cable", {"doc_id": "06PHNOMPENH657"}),
        ("get_paragraph", {"doc_id": "09NOPE1", "paragraph": 1}),
        ("get_paragraph", {"doc_id": "06PHNOMPENH657", "paragraph": 99}),
        ("search", {"query": "", "k": 3}),
        ("search", {"query": "trafficking", "k": "many"}),
        ("refs", {"doc_id": "06PHNOMPENH657"}),
        ("timeline", {"query": "trafficking", "by": "tag"}),
        ("timeline", {"query": "trafficking", "by": "week"}),
    ])
    assert set(out["tools"]) == {"search", "ask", "get_paragraph", "get_cable", "refs", "timeline"}
    assert "¶5" in out["tools"]["ask"].description and "never" in out["tools"]["ask"].description
    assert json.loads(out["resource"].contents[0].text)["documents"] == 1
    search, ask, paragraph, cable, missing, no_paragraph, empty, bad_k, refs, timeline, bad_by = out["results"]
    assert refs.structured_content["doc_id"] == "06PHNOMPENH657" and refs.structured_content["in_index"]
    counted = timeline.structured_content
    assert counted["total"] == 1 and {"key": "PHUM", "count": 1} in counted["buckets"]
    assert counted["documents"][0]["doc_id"] == "06PHNOMPENH657"
    assert bad_by.is_error and "by must be" in bad_by.content[0].text
    hits = search.structured_content["hits"]
    assert not search.is_error and hits[0]["label"] == "06PHNOMPENH657 ¶5" and "123" in hits[0]["text"]
    assert hits[0]["source"] == "cable, indexed folder, 06PHNOMPENH657.txt"
    answer = ask.structured_content
    assert not answer["abstained"] and "123" in answer["answer"], answer
    assert {"doc_id": "06PHNOMPENH657", "paragraph": 5} in [
        {k: c[k] for k in ("doc_id", "paragraph")} for c in answer["citations"]]
    assert [p["paragraph"] for p in paragraph.structured_content["paragraphs"]] == [4, 5, 6]
    assert paragraph.structured_content["header"]["origin"] == "Embassy Phnom Penh"
    assert len(cable.structured_content["paragraphs"]) > 5
    for result, words in ((missing, "no document '09NOPE1'"), (no_paragraph, "has no paragraph 99"),
                          (empty, "the query is empty"), (bad_k, "k")):
        text = result.content[0].text
        assert result.is_error and words in text and "Traceback" not in text, text


def test_over_http_with_a_key(index_dir: Path) -> None:
    """``qa mcp --http``: the SDK's HTTP client lists the tools with the key; without it, 401."""
    import socket
    import time
    import urllib.error
    import urllib.request

    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "mcp", "--http", "--port", str(port), "--api-key", "k1",
                             "--index-dir", str(index_dir)], cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=5)
            except urllib.error.HTTPError as exc:
                assert exc.code == 401  # up, and refusing a request without the key
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.5)

        async def run() -> list[str]:
            async with httpx2.AsyncClient(headers={"Authorization": "Bearer k1"}) as client, \
                    streamable_http_client(url, http_client=client) as (read, write, *_), \
                    ClientSession(read, write) as session:
                await session.initialize()
                return sorted(t.name for t in (await session.list_tools()).tools)

        assert anyio.run(run) == ["ask", "get_cable", "get_paragraph", "refs", "search", "timeline"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_public_http_bind_without_a_key_is_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "qa.cli", "mcp", "--http", "--host", "0.0.0.0"], cwd=ROOT,
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "without a key" in done.stderr and "Traceback" not in done.stderr
