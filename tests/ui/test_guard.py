"""The app answers only its own host names and pages, exposes no API, and shows no server internals.

The unit tests cover the rules; the server tests send forged requests to a real Gradio server launched
the way ``qa serve`` launches it (``qa.ui.server.launch``), over the fake backend.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_fakes import FakeBackend

from qa.errors import QAError
from qa.ui.errors import shown, strip_paths
from qa.ui.guard import allowed_hosts, refusal

LOCAL = allowed_hosts("127.0.0.1")


@pytest.mark.parametrize("host", ["127.0.0.1:7860", "localhost:7860", "[::1]:7860", "LOCALHOST", "127.0.0.1"])
def test_loopback_hosts_pass(host: str) -> None:
    assert refusal("/config", host, None, LOCAL) is None


@pytest.mark.parametrize("host", ["evil.example", "evil.example:7860", "127.0.0.1.evil.example",
                                  "localhost.evil.example:7860", "10.0.0.5:7860", ""])
def test_other_hosts_are_refused(host: str) -> None:
    assert refusal("/config", host, None, LOCAL) is not None


def test_same_site_origins_pass_and_others_do_not() -> None:
    assert refusal("/gradio_api/queue/join", "127.0.0.1:7860", "http://127.0.0.1:7860", LOCAL) is None
    assert refusal("/gradio_api/queue/join", "localhost:7860", "http://localhost:7860", LOCAL) is None
    for origin in ("http://evil.example", "https://evil.example:7860", "null", "file://", "chrome-extension://x"):
        assert refusal("/gradio_api/queue/join", "127.0.0.1:7860", origin, LOCAL) is not None, origin


def test_named_and_wildcard_binds() -> None:
    lan = allowed_hosts("192.168.1.20", "archive.lan, Proxy.Example")
    assert refusal("/", "192.168.1.20:7860", None, lan) is None
    assert refusal("/", "archive.lan", "http://archive.lan", lan) is None
    assert refusal("/", "proxy.example", None, lan) is None
    assert refusal("/", "evil.example", None, lan) is not None
    assert refusal("/", "192.168.1.20", None, allowed_hosts("0.0.0.0")) is not None  # no name given
    anyone = allowed_hosts("0.0.0.0", "*")
    assert refusal("/", "192.168.1.20:7860", "http://192.168.1.20:7860", anyone) is None
    assert refusal("/", "192.168.1.20:7860", "http://evil.example", anyone) is not None  # still same-origin


@pytest.mark.parametrize("path", ["/gradio_api/info", "/gradio_api/call/add_files", "/gradio_api/call/v2/answer",
                                  "/gradio_api/run/run_search", "/gradio_api/api/answer", "/gradio_api/openapi.json",
                                  "/gradio_api/mcp/sse", "/info", "/run/add_files", "/docs"])
def test_api_routes_are_closed(path: str) -> None:
    assert "not open" in (refusal(path, "127.0.0.1:7860", None, LOCAL) or "")


@pytest.mark.parametrize("path", ["/", "/config", "/gradio_api/queue/join", "/gradio_api/queue/data",
                                  "/gradio_api/upload", "/gradio_api/file=/tmp/x", "/login", "/theme.css",
                                  "/gradio_api/run/predict"])
def test_the_pages_own_routes_stay_open(path: str) -> None:
    assert refusal(path, "127.0.0.1:7860", None, LOCAL) is None


def test_error_messages_lose_paths_and_reprs() -> None:
    text = strip_paths("cannot open /srv/secret/index/default/store.sqlite: no such file; "
                       "'C:\\Users\\ann\\qa\\index' gone; got <qa.store.sqlite.Store object at 0x7f3a2b>")
    assert "/srv" not in text and "secret" not in text and "Users" not in text and "0x7f" not in text
    assert "store.sqlite" in text and "'index'" in text and "Store" in text
    assert strip_paths("06PHNOMPENH657 ¶5 on 2006/04/07, and a/b") == "06PHNOMPENH657 ¶5 on 2006/04/07, and a/b"
    assert shown(QAError("no index at /home/ann/index/default; run qa index")) == "no index at default; run qa index"
    message = shown(PermissionError(13, "Permission denied", "/srv/secret/store.sqlite"), "searching")
    assert "secret" not in message and "Permission" not in message
    assert message.startswith("Something went wrong while searching (error ")


# ---- through a real server ---------------------------------------------------------------------
class BrokenSearch(FakeBackend):
    def search(self, query: str, k: int, filters: Any) -> list:
        if "qaerror" in query:
            raise QAError("the index at /srv/secret/index/default is locked")
        raise PermissionError(13, "Permission denied", "/srv/secret/index/default/store.sqlite")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, BrokenSearch]]:
    from qa.settings import load_settings
    from qa.ui.layout import build_app
    from qa.ui.server import launch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings(None, {}, {"index.dir": tmp_path / "index", "serve.port": port})
    backend = BrokenSearch()
    app = build_app(backend, settings)
    app.queue()
    launch(app, settings, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}", backend
    finally:
        app.close()


def request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def call(base: str, api_name: str, data: list[Any], session: str, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, Any] | None]:
    """Run one of the page's handlers as the page does (queue/join, then the event stream)."""
    config = json.loads(request(base + "/config")[1])
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)
    body = json.dumps({"data": data, "fn_index": fn_index, "trigger_id": None, "session_hash": session,
                       "event_data": None}).encode()
    status, _ = request(base + "/gradio_api/queue/join", body, headers)
    if status != 200:
        return status, None
    with urllib.request.urlopen(f"{base}/gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data:") and '"process_completed"' in line:
                return status, json.loads(line[5:])
    return status, None


def test_a_forged_host_is_refused_by_the_running_app(server: tuple[str, BrokenSearch]) -> None:
    base, _ = server
    assert request(base + "/config")[0] == 200
    for path in ("/", "/config", "/gradio_api/queue/data?session_hash=x"):
        status, text = request(base + path, headers={"Host": "evil.example:7860"})
        assert status == 403 and "serve.allowed_hosts" in text, path


def test_handlers_are_not_an_api(server: tuple[str, BrokenSearch]) -> None:
    base, backend = server
    assert request(base + "/gradio_api/info")[0] == 403
    status, _ = request(base + "/gradio_api/call/add_files", json.dumps({"data": [None]}).encode())
    assert status == 403
    config = json.loads(request(base + "/config")[1])
    handlers = [d for d in config["dependencies"] if d.get("backend_fn")]
    assert handlers and all(d.get("api_visibility") == "private" for d in handlers)
    with pytest.raises(Exception):  # noqa: B017 - the official client cannot even list the handlers
        from gradio_client import Client
        Client(base, verbose=False)
    # another site's page cannot call them through the queue either
    forged = [[{"path": "/etc/hostname", "meta": {"_type": "gradio.FileData"}}]]
    assert call(base, "add_files", forged, "s1", {"Origin": "http://evil.example"})[0] == 403
    # and a program calling add_files as the page does gets the page's checks: no server file is read
    status, result = call(base, "add_files", forged, "s2")
    assert status == 200 and result is not None and result["success"] is False
    assert list(backend.documents) == ["06PHNOMPENH657"]


def test_errors_reach_the_page_without_server_internals(server: tuple[str, BrokenSearch]) -> None:
    base, _ = server
    filters = [[], [], [], "", ""]
    _, result = call(base, "run_search", ["trafficking", *filters], "s3")
    assert result is not None and result["success"]
    html = json.dumps(result["output"]["data"])
    assert "Something went wrong while searching (error " in html
    assert "/srv" not in html and "secret" not in html and "Errno" not in html
    _, result = call(base, "run_search", ["qaerror", *filters], "s4")
    html = json.dumps(result["output"]["data"]) if result else ""
    assert "the index at default is locked" in html and "/srv" not in html
