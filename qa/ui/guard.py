"""Who the app answers: only requests addressed to its own host names, from its own pages.

A page on another site can make a browser send requests to ``127.0.0.1:7860`` (cross-site requests),
or rename itself to that address (DNS rebinding: ``evil.example`` resolving to 127.0.0.1). Both are
refused here, before Gradio sees them:

- the ``Host`` header must name this app: a loopback name, the address it binds to, or one listed in
  ``serve.allowed_hosts``. A rebinding page sends ``Host: evil.example``;
- a request that carries an ``Origin`` (browsers send one with every cross-site request and every
  same-site POST) must come from one of those hosts as well;
- Gradio's programmatic routes (``/gradio_api/call/...``, ``/run``, ``/info``, the API docs and MCP)
  are closed: every handler of the page is private, and the APIs meant for programs are ``qa`` itself.

``HostGuard`` is plain ASGI middleware; ``allowed_hosts`` and ``refusal`` are pure and tested alone.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from qa.ui.auth import LOOPBACK_NAMES

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

ANY_HOST = "*"
WILDCARD_BINDS = {"0.0.0.0", "::", ""}
LOOPBACK_HOSTS = {*LOOPBACK_NAMES, "127.0.0.1", "::1"}
# Gradio routes a program could use to call the page's handlers by name, or to list them. The page
# itself uses only /config, /gradio_api/queue/*, /gradio_api/run/predict (its unqueued events, by
# number), /gradio_api/upload and /gradio_api/file=...
PAGE_ROUTES = ("/gradio_api/run/predict", "/run/predict")
CLOSED_PREFIXES = (
    "/gradio_api/call/", "/gradio_api/run/", "/gradio_api/api/", "/gradio_api/info",
    "/gradio_api/openapi", "/gradio_api/mcp", "/gradio_api/docs", "/call/", "/run/", "/api/", "/info",
    "/docs", "/redoc", "/openapi.json", "/mcp",
)


def allowed_hosts(bind: str, extra: str = "") -> frozenset[str]:
    """The host names the app answers to: loopback ones, the bound address and ``extra`` (comma-separated).

    A wildcard bind (``0.0.0.0``) names no host, so it adds none: list the machine's names in
    ``serve.allowed_hosts``, or ``*`` to accept any (that bind always requires a password).
    """
    names = set(LOOPBACK_HOSTS)
    bind = bind.strip().strip("[]").lower()
    if bind not in WILDCARD_BINDS:
        names.add(bind)
    names.update(n.strip().strip("[]").lower() for n in extra.split(",") if n.strip())
    return frozenset(names)


def _host_name(authority: str) -> str:
    """``"Example.org:7860"`` -> ``"example.org"``; ``"[::1]:7860"`` -> ``"::1"``."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    if authority.count(":") > 1:  # a bare IPv6 address
        return authority
    return authority.partition(":")[0]


def refusal(path: str, host: str | None, origin: str | None, allowed: frozenset[str]) -> str | None:
    """Why a request must be refused, or None when it may pass."""
    closed = any(path == p.rstrip("/") or path.startswith(p) for p in CLOSED_PREFIXES)
    if closed and path.rstrip("/") not in PAGE_ROUTES:
        return (f"{path} is not open: the app's handlers are not an API. Programs use `qa search` and "
                "`qa ask --json`.")
    any_host = ANY_HOST in allowed
    if not host:
        return "the request names no host"
    if not any_host and _host_name(host) not in allowed:
        return (f"this app does not answer to the host name {_host_name(host)!r}. If that name is yours, "
                "add it to serve.allowed_hosts.")
    if origin is not None:
        parts = urlsplit(origin)
        origin_host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not origin_host:
            return f"requests from the page origin {origin[:80]!r} are not accepted"
        if not any_host and origin_host not in allowed:
            return f"requests from pages of {origin_host!r} are not accepted (only this app's own pages)"
        if any_host and parts.netloc.lower() != host.strip().lower():
            return f"requests from pages of {origin_host!r} are not accepted (only this app's own pages)"
    return None


class HostGuard:
    """ASGI middleware refusing requests that ``refusal`` names a reason for (HTTP 403, plain text)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        reason = refusal(scope.get("path", ""), headers.get("host"), headers.get("origin"), self.allowed)
        if reason is None:
            await self.app(scope, receive, send)
            return
        log.warning("refused %s %s: %s", scope.get("method", "WS"), scope.get("path", ""), reason)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = f"cableqa refused this request: {reason}\n".encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class BearerKey:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <key>`` (401 otherwise).
    Used by ``qa api`` and ``qa mcp --http``; the key is compared in constant time."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app, self.key = app, key.encode()

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            given = headers.get("authorization", "").removeprefix("Bearer ").strip().encode()
            if not hmac.compare_digest(given, self.key):
                body = (b'{"error": {"message": "a valid API key is required (Authorization: Bearer KEY)", '
                        b'"type": "invalid_request_error", "code": "invalid_api_key"}}')
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
