"""``qa api``: cableqa as an OpenAI-compatible "model" (FastAPI), so Open WebUI, the ``openai`` client
or curl can ask the archive.

- ``POST /v1/chat/completions`` (streamed or not): the last user message is the question; the user
  turn before it feeds the follow-up rewrite (``qa.ui.followup``). The assistant message is the
  checked answer with its citations written in (``06PHNOMPENH657 ¶5``), then the cited paragraphs;
  the extra field ``cableqa`` holds the same as data (abstained, reason, citations, sentences).
  Streaming sends the checked answer only: the model's unchecked draft never leaves the server.
- ``GET /v1/models``: the one model, ``cableqa``. ``POST /v1/search``: paragraphs for a query.

The answers come from the same backend the browser app uses (``qa.ui.backend.LocalBackend``). Requests
pass the app's host guard (``qa.ui.guard``); with ``api.key`` set (required beyond loopback) every
request needs ``Authorization: Bearer KEY``.
"""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from collections.abc import Iterator
from typing import Any

from qa.errors import QAError
from qa.settings import Settings
from qa.types import Answer

MODEL_ID = "cableqa"


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def question_of(messages: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The last user message, and the user message before it (for a follow-up), from a chat request."""
    users = [_text(m.get("content")).strip() for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    users = [u for u in users if u]
    if not users:
        raise QAError("the request has no user message to answer")
    return users[-1], (users[-2] if len(users) > 1 else None)


def answer_message(answer: Answer) -> str:
    """The assistant message: the checked answer with its citations, then what it cites."""
    lines = [answer.with_labels()]
    if answer.abstained and answer.diagnostics.get("abstain_reason"):
        lines.append(f"(why: {answer.diagnostics['abstain_reason']})")
    cited = answer.citations or []
    if cited:
        lines.append("")
        lines.append("Cited:")
        lines += [f"- {c.label}: {textwrap.shorten(answer.paragraph_text(c), 300, placeholder=' ...')}" for c in cited]
    return "\n".join(lines)


def answer_data(answer: Answer) -> dict[str, Any]:
    return {"abstained": answer.abstained, "reason": answer.diagnostics.get("abstain_reason"),
            "answer": answer.answer,
            "citations": [{"doc_id": c.doc_id, "paragraph": c.paragraph, "label": c.label} for c in answer.citations],
            "sentences": [{"text": s.text, "citations": [c.label for c in s.citations]}
                          for s in answer.sentences if s.supported]}


def build_api(backend: Any, settings: Settings) -> Any:
    """The FastAPI app over ``backend`` (``LocalBackend`` or a stand-in with its methods)."""
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import StreamingResponse

    from qa.ui.errors import shown
    from qa.ui.followup import rewrite
    from qa.ui.guard import BearerKey, HostGuard, allowed_hosts

    api = FastAPI(title="cableqa", docs_url=None, redoc_url=None, openapi_url=None)
    if settings.api.key:
        api.add_middleware(BearerKey, key=settings.api.key)
    api.add_middleware(HostGuard, allowed=allowed_hosts(settings.api.host, settings.serve.allowed_hosts))

    def fail(exc: Exception, doing: str) -> HTTPException:
        status = 400 if isinstance(exc, QAError) else 500
        return HTTPException(status, {"message": shown(exc, doing), "type": "invalid_request_error"})

    def run(question: str) -> Answer:
        answer = None
        for event in backend.stream(question, None):
            if event.kind == "answer":
                answer = event.value
        if answer is None:
            raise QAError("the answer did not complete")
        return answer

    @api.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "cableqa"}]}

    @api.post("/v1/search")
    def search(body: dict[str, Any]) -> dict[str, Any]:
        from qa.mcp_server import hit_json

        query, k = str(body.get("query") or "").strip(), body.get("k", 10)
        if not query or not isinstance(k, int) or not 1 <= k <= 100:
            raise HTTPException(400, {"message": "give a non-empty query and k from 1 to 100"})
        try:
            return {"hits": [hit_json(h) for h in backend.search(query, k, None)]}
        except Exception as exc:
            raise fail(exc, "searching") from exc

    @api.post("/v1/chat/completions")
    def chat(body: dict[str, Any]) -> Any:
        try:
            question, previous = question_of(list(body.get("messages") or []))
            answer = run(rewrite(question, previous))
        except Exception as exc:
            raise fail(exc, "answering") from exc
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        content, data = answer_message(answer), answer_data(answer)
        if not body.get("stream"):
            return {"id": ident, "object": "chat.completion", "created": created, "model": MODEL_ID,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, "cableqa": data}

        def chunks() -> Iterator[str]:
            def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
                return "data: " + json.dumps({"id": ident, "object": "chat.completion.chunk", "created": created,
                                              "model": MODEL_ID, "choices": [{"index": 0, "delta": delta,
                                                                             "finish_reason": finish}], **extra},
                                             ensure_ascii=False) + "\n\n"

            yield chunk({"role": "assistant", "content": ""})
            for line in content.splitlines(keepends=True):
                yield chunk({"content": line})
            yield chunk({}, "stop", cableqa=data)
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    return api


def run(settings: Settings) -> None:
    """Serve the API on ``api.host:api.port`` until interrupted."""
    import uvicorn

    from qa.ui.auth import is_loopback
    from qa.ui.backend import LocalBackend

    if not settings.api.key and not is_loopback(settings.api.host):
        raise QAError(f"refusing to serve the API on {settings.api.host} without a key: set api.key "
                      "($QA_API_KEY or --api-key), or bind to 127.0.0.1")
    uvicorn.run(build_api(LocalBackend(settings), settings), host=settings.api.host, port=settings.api.port,
                log_level="warning")
