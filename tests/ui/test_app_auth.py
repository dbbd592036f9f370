"""Serving beyond this machine needs a password: the app refuses to start without one."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.ui.auth import LoginGuard, is_loopback, login_for, parse_auth

ROOT = Path(__file__).resolve().parents[2]


def run_app(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_public_bind_without_auth_is_refused_with_a_clear_message() -> None:
    done = run_app("--host", "0.0.0.0")
    assert done.returncode != 0
    assert "refusing to serve on 0.0.0.0" in done.stderr
    assert "--auth user:password" in done.stderr and "127.0.0.1" in done.stderr
    assert "Traceback" not in done.stderr and "Running on" not in done.stdout


def test_qa_serve_refuses_the_same_way() -> None:
    done = subprocess.run([sys.executable, "-m", "qa.cli", "serve", "--host", "192.168.1.20"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "refusing to serve on 192.168.1.20" in done.stderr


def test_malformed_auth_is_refused() -> None:
    done = run_app("--host", "0.0.0.0", "--auth", "justauser")
    assert done.returncode != 0 and "not of the form user:password" in done.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
def test_loopback_addresses_need_no_password(host: str) -> None:
    assert is_loopback(host)
    assert login_for(host, None) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_other_addresses_need_a_password(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(QAError, match="refusing to serve"):
        login_for(host, None)
    assert login_for(host, "ann:s3cret:x") == ("ann", "s3cret:x")


def test_auth_parsing() -> None:
    assert parse_auth("ann:pw") == ("ann", "pw")
    for bad in ("ann", ":pw", "ann:"):
        with pytest.raises(QAError):
            parse_auth(bad)


def test_login_guard_refuses_everything_after_too_many_wrong_passwords() -> None:
    now = [0.0]
    guard = LoginGuard("ann", "s3cret", max_failures=3, window_s=60, clock=lambda: now[0])
    assert guard("ann", "s3cret") and not guard("ann", "wrong") and not guard("bob", "s3cret")
    assert not guard("ann", "wrong")  # the third failure in the minute
    assert not guard("ann", "s3cret")  # locked: even the right password waits
    now[0] = 59.0
    assert not guard("ann", "s3cret")
    now[0] = 60.5  # the first failure has aged out of the window
    assert guard("ann", "s3cret")


def test_the_running_app_limits_logins(tmp_path: Path) -> None:
    """Through Gradio's own /login on a real server: 20 quick wrong passwords do not all get tried."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from ui_fakes import FakeBackend

    from qa.settings import load_settings
    from qa.ui.layout import build_app
    from qa.ui.server import launch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings(None, {}, {"index.dir": tmp_path / "index", "serve.port": port})
    app = build_app(FakeBackend(), settings)
    guard = LoginGuard("ann", "s3cret", max_failures=5)
    launch(app, settings, login=guard, block=False, quiet=True)

    def login(password: str) -> int:
        body = urllib.parse.urlencode({"username": "ann", "password": password}).encode()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", body, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        assert login("s3cret") == 200
        assert [login(f"guess{i}") for i in range(20)] == [400] * 20
        assert login("s3cret") == 400  # the guesser got 5 tries, then nobody gets in for a minute
        assert len(guard._failures) == 5
    finally:
        app.close()
