"""``qa mcp``: the index as tools for an assistant (Model Context Protocol, the official ``mcp`` SDK).

Tools: ``search`` (paragraphs), ``ask`` (the checked, cited answer, or the abstention and why),
``get_paragraph`` (with neighbours), ``get_cable`` (the whole document with its header), ``refs`` (a
cable's REF chain) and ``timeline`` (counts of matching documents over time, origin or tag); the
resource ``cableqa://index`` is the index summary. They call the same backend the browser app uses
(``qa.ui.backend.LocalBackend``), so an answer here is the answer there. Bad arguments and missing
documents are tool errors with a plain message; nothing else of the server leaks (``qa.ui.errors``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from qa.errors import QAError
from qa.settings import Settings
from qa.types import Filters, Hit, cite, parse_day, provenance

log = logging.getLogger(__name__)

CITATION_NOTE = (
    "A citation names a cable and one of its numbered paragraphs, written like 06PHNOMPENH657 ¶5 "
    "(doc_id and paragraph in the structured fields). "
)
INSTRUCTIONS = (
    "cableqa answers questions from a private archive of documents, chiefly US diplomatic cables. "
    + CITATION_NOTE
    + "Every sentence `ask` returns was checked against the paragraph it cites; unsupported claims are never "
    "returned, and when the documents do not answer, `ask` says so and lists the nearest paragraphs. Use "
    "`get_paragraph` to read a cited paragraph in context."
)


def hit_json(hit: Hit) -> dict[str, Any]:
    """A search hit for a tool result: its citation, text, metadata and where it came from."""
    md = hit.metadata or {}
    return {"doc_id": hit.doc_id, "paragraph": hit.paragraph, "label": hit.label, "text": hit.text,
            "score": round(hit.score, 4), "marking": hit.marking, "source": provenance(md),
            "metadata": {k: md[k] for k in ("subject", "origin", "created", "classification", "tags") if k in md},
            **({"withheld": md["withheld"]} if md.get("withheld") else {})}


def make_filters(origin: list[str] | None, tag: list[str] | None, classification: list[str] | None,
                 since: str | None, until: str | None) -> Filters | None:
    filters = Filters(origin=origin or [], tag=tag or [], classification=classification or [],
                      since=parse_day(since, "since"), until=parse_day(until, "until"))
    return None if filters.is_empty() else filters


def build_server(backend: Any) -> Any:
    """The MCP server over ``backend`` (``LocalBackend`` or a stand-in with the same methods)."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from qa.ui.errors import shown

    server = MCPServer("cableqa", instructions=INSTRUCTIONS)

    def failing(exc: Exception, doing: str) -> ToolError:
        return ToolError(shown(exc, doing))

    @server.tool(description="Search the indexed documents; returns the best paragraphs, each with its citation "
                             "(doc_id, paragraph, label like 06PHNOMPENH657 ¶5), text, metadata and source. "
                             "Filters: origin, tag, classification (lists), since/until (YYYY-MM-DD).")
    def search(query: str, k: int = 10, origin: list[str] | None = None, tag: list[str] | None = None,
               classification: list[str] | None = None, since: str | None = None,
               until: str | None = None) -> dict[str, Any]:
        if not query.strip():
            raise ToolError("the query is empty")
        if not 1 <= k <= 100:
            raise ToolError("k must be from 1 to 100")
        try:
            hits = backend.search(query, k, make_filters(origin, tag, classification, since, until))
        except Exception as exc:
            raise failing(exc, "searching") from exc
        return {"hits": [hit_json(h) for h in hits]}

    @server.tool(description="Answer a question from the documents. " + CITATION_NOTE + "Each sentence of the "
                             "answer carries the citations that the checker verified; unsupported claims are never "
                             "returned. When the documents do not answer, abstained is true, with the reason and "
                             "the nearest paragraphs.")
    def ask(question: str, origin: list[str] | None = None, tag: list[str] | None = None,
            classification: list[str] | None = None, since: str | None = None,
            until: str | None = None) -> dict[str, Any]:
        try:
            filters = make_filters(origin, tag, classification, since, until)
            answer = None
            for event in backend.stream(question, filters):
                if event.kind == "answer":
                    answer = event.value
        except Exception as exc:
            raise failing(exc, "answering") from exc
        if answer is None:
            raise ToolError("the answer did not complete")
        out = {"question": answer.question, "abstained": answer.abstained, "answer": answer.answer,
               "answer_cited": answer.with_labels(),
               "citations": [{"doc_id": c.doc_id, "paragraph": c.paragraph, "label": c.label,
                              "source": next((provenance(h.metadata or {}) for h in answer.sources
                                              if h.doc_id == c.doc_id and h.paragraph == c.paragraph), "")}
                             for c in answer.citations],
               "sentences": [{"text": s.text, "citations": [c.label for c in s.citations]}
                             for s in answer.sentences if s.supported],
               "sources": [hit_json(h) for h in answer.sources]}
        if answer.abstained:
            out["reason"] = answer.diagnostics.get("abstain_reason")
        return out

    def document(doc_id: str) -> tuple[dict[str, Any], list[Any]]:
        try:
            found = backend.document(doc_id)
        except Exception as exc:
            raise failing(exc, "reading the document") from exc
        if found is None:
            raise ToolError(f"no document {doc_id!r} in the index (ids look like 06PHNOMPENH657; `search` finds them)")
        return found

    def header(doc_id: str, md: dict[str, Any]) -> dict[str, Any]:
        keys = ("subject", "title", "origin", "created", "classification", "tags")
        return {"doc_id": doc_id, **{k: md.get(k) for k in keys if md.get(k)}, "source": provenance(md)}

    @server.tool(description="One numbered paragraph of a document with its header and `neighbours` paragraphs "
                             "on each side, e.g. doc_id 06PHNOMPENH657, paragraph 5.")
    def get_paragraph(doc_id: str, paragraph: int, neighbours: int = 1) -> dict[str, Any]:
        md, paragraphs = document(doc_id)
        at = next((i for i, p in enumerate(paragraphs) if p.n == paragraph), None)
        if at is None:
            numbers = ", ".join(str(p.n) for p in paragraphs[:40])
            raise ToolError(f"{doc_id} has no paragraph {paragraph} (it has: {numbers})")
        span = max(0, min(neighbours, 5))
        around = paragraphs[max(0, at - span): at + span + 1]
        return {"label": cite(doc_id, paragraph), "header": header(doc_id, md), "text": paragraphs[at].text,
                "paragraphs": [{"paragraph": p.n, "label": cite(doc_id, p.n), "marking": p.marking, "text": p.text}
                               for p in around]}

    @server.tool(description="A whole document: its header (subject, origin, date, classification, tags, source) "
                             "and every numbered paragraph.")
    def get_cable(doc_id: str) -> dict[str, Any]:
        md, paragraphs = document(doc_id)
        return {"header": header(doc_id, md),
                "paragraphs": [{"paragraph": p.n, "label": cite(doc_id, p.n), "marking": p.marking, "text": p.text}
                               for p in paragraphs]}

    @server.tool(description="A cable's REF chain: the cables its REF line cites (each item with the reference "
                             "ID it resolves to, or none for telecons and e-mails) and the indexed cables that cite "
                             "it, followed `depth` levels (1-5) each way; in_index says which the archive holds.")
    def refs(doc_id: str, depth: int = 1) -> dict[str, Any]:
        if not 1 <= depth <= 5:
            raise ToolError("depth must be from 1 to 5")
        document(doc_id)
        try:
            return backend.ref_chain(doc_id, depth).to_json()
        except Exception as exc:
            raise failing(exc, "reading the REF chain") from exc

    @server.tool(description="How many documents match, over the whole archive (not only the best hits): those "
                             "with a paragraph holding every word of `query` (stemmed; '' for all), under the "
                             "filters, counted per `by` (year, month, origin or tag), with the first ones listed.")
    def timeline(query: str = "", by: str = "year", origin: list[str] | None = None, tag: list[str] | None = None,
                 classification: list[str] | None = None, since: str | None = None,
                 until: str | None = None) -> dict[str, Any]:
        if by not in ("year", "month", "origin", "tag"):
            raise ToolError("by must be year, month, origin or tag")
        try:
            filters = make_filters(origin, tag, classification, since, until)
            return backend.timeline(query, filters, by, list_limit=20).to_json()
        except Exception as exc:
            raise failing(exc, "counting") from exc

    @server.resource("cableqa://index", name="index", description="What is indexed: documents, paragraphs, "
                     "embedder and anything left out.", mime_type="application/json")
    def index_summary() -> str:
        try:
            return json.dumps(backend.summary() or {"documents": 0}, default=str)
        except QAError as exc:
            return json.dumps({"error": shown(exc)})

    return server


def run(settings: Settings, *, http: bool = False) -> None:
    """Serve the tools over stdio until the client closes the connection, or with ``http`` over
    streamable HTTP at ``http://api.host:api.port/mcp``: loopback by default, and a wider bind needs
    ``api.key``, which every request must then send (``Authorization: Bearer KEY``)."""
    from qa.ui.backend import LocalBackend

    if not http:
        build_server(LocalBackend(settings)).run("stdio")
        return
    import uvicorn

    from qa.ui.auth import is_loopback
    from qa.ui.guard import BearerKey

    host, key = settings.api.host, settings.api.key
    if not key and not is_loopback(host):
        raise QAError(f"refusing to serve MCP on {host} without a key: set api.key ($QA_API_KEY or --api-key), "
                      "or bind to 127.0.0.1")
    # the SDK's own transport security refuses other Host and Origin headers on a loopback bind
    app: Any = build_server(LocalBackend(settings)).streamable_http_app(host=host)
    if key:
        app = BearerKey(app, key)
    uvicorn.run(app, host=host, port=settings.api.port, log_level="warning")
