"""The Gradio Blocks app: chat, search and uploads on the left; filters, sources and the paragraph
viewer on the right. Handlers are thin: the work is in ``chat.py``, ``render.py`` and the backend.

Only one answer is generated at a time (``concurrency_limit=1`` on the answering event); other users
wait in Gradio's queue, which shows each its position on the chat.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from qa.corpus.tags import tag_label
from qa.errors import QAError
from qa.settings import Settings
from qa.store.folder import IndexFolder
from qa.types import cite
from qa.ui import render
from qa.ui.backend import Backend
from qa.ui.chat import Pending, run_turn, user_message
from qa.ui.errors import shown, strip_paths
from qa.ui.filter_form import filters_from_form
from qa.ui.paragraph_view import DOCUMENT_START, PLACEHOLDER, render_missing, render_paragraph_view
from qa.ui.style import CITE_CLICK_JS, WHEN_CLICK_JS
from qa.ui.timeline_view import pick_by, render_timeline, when_range
from qa.ui.uploads import ALLOWED_SUFFIXES, check_uploads, discard, keep

log = logging.getLogger(__name__)

SEARCH_K = 10
PRIVATE = "private"  # no handler of the page is an API (and qa.ui.guard closes Gradio's API routes)
CHAT_HINT = ("Ask a question about the indexed cables. Answers cite paragraphs like 06PHNOMPENH657 ¶5: "
             "click one to read it.")


def build_app(backend: Backend, settings: Settings) -> gr.Blocks:
    """The app's Blocks; call ``.queue()`` and ``.launch()`` on it (see ``qa/ui/server.py``)."""
    with gr.Blocks(title="cableqa", analytics_enabled=False) as app:
        w = SimpleNamespace(
            previous=gr.State(None),  # the last question as understood, for follow-ups
            claims=gr.State({}),  # citation label -> accepted answer sentences citing it
            pending=gr.State(None),  # the question accepted by the form, waiting for the model
            busy=gr.State(0.0),  # when this session's question was accepted; 0 when it has its answer
        )
        gr.Markdown("## cableqa: ask the cables")
        w.summary = gr.HTML(_summary(backend), elem_id="index-summary")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3), gr.Tabs():
                with gr.Tab("Ask", id="ask"):
                    _chat_widgets(w)
                with gr.Tab("Search", id="search"):
                    _search_widgets(w)
                with gr.Tab("Add documents", id="upload"):
                    _upload_widgets(w, settings)
            with gr.Column(scale=2):
                _side_widgets(w)
        _wire_chat(w, backend)
        _wire_viewer(w, backend)
        _wire_search(w, backend)
        _wire_uploads(w, backend, settings)
        app.load(lambda: (_summary(backend), *_facet_updates(backend)), None,
                 [w.summary, w.origin, w.tags, w.classification], queue=False, api_visibility=PRIVATE)
        # While the model loads, the index line is redrawn until it says "ready".
        poll = gr.Timer(2.0)
        poll.tick(lambda: (_summary(backend), gr.Timer(active=_loading(backend))), None, [w.summary, poll],
                  queue=False, api_visibility=PRIVATE, show_progress="hidden")
    return app


# ---- widgets ----------------------------------------------------------------------------------
def _chat_widgets(w: SimpleNamespace) -> None:
    w.chatbot = gr.Chatbot(value=[], elem_id="chat", height=540, sanitize_html=True, allow_tags=False,
                           latex_delimiters=[], buttons=[], show_label=False, placeholder=CHAT_HINT)
    with gr.Row():
        w.question = gr.Textbox(show_label=False, placeholder="Your question…", scale=5, elem_id="question",
                                max_lines=3)
        w.ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-button")
    w.notice = gr.HTML("", elem_id="ask-notice")  # why a question was kept in the box
    w.new_chat = gr.Button("New conversation", size="sm", elem_id="new-chat")
    with gr.Accordion("Copy the last answer as Markdown", open=False, elem_id="copy-md"):
        w.markdown = gr.Textbox(label="Answer with citations (Markdown)", lines=6, interactive=False,
                                buttons=["copy"], elem_id="answer-markdown")


def _search_widgets(w: SimpleNamespace) -> None:
    with gr.Row():
        w.query = gr.Textbox(show_label=False, placeholder="Search paragraphs…", scale=5,
                             elem_id="search-query")
        w.search = gr.Button("Search", scale=1, elem_id="search-button")
    w.timeline = gr.HTML("", js_on_load=WHEN_CLICK_JS, elem_id="search-timeline")
    w.results = gr.HTML("", elem_id="search-results")


def _upload_widgets(w: SimpleNamespace, settings: Settings) -> None:
    gr.Markdown(f"Add {', '.join(ALLOWED_SUFFIXES)} files up to {settings.serve.max_upload_mb:g} MB each. "
                "They are searchable as soon as indexing finishes.")
    w.files = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES), type="filepath",
                      elem_id="upload-files", label="Files to add")
    w.add = gr.Button("Add to index", variant="primary", elem_id="upload-button")
    w.upload_status = gr.HTML("", elem_id="upload-status")


def _side_widgets(w: SimpleNamespace) -> None:
    with gr.Accordion("Filters (apply to the next question and search)", open=True):
        def choice(label: str, elem_id: str) -> gr.Dropdown:
            return gr.Dropdown([], multiselect=True, allow_custom_value=True, label=label, elem_id=elem_id)

        w.origin = choice("Origin", "filter-origin")
        w.tags = choice("Tags", "filter-tags")
        w.classification = choice("Classification", "filter-classification")
        with gr.Row():
            w.since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="filter-since")
            w.until = gr.Textbox(label="Until (YYYY-MM-DD)", elem_id="filter-until")
        w.clear_filters = gr.Button("Clear filters", size="sm", elem_id="clear-filters")
    w.filters = [w.origin, w.tags, w.classification, w.since, w.until]
    w.sources = gr.HTML(render.render_hits([], "Sources", "Sources appear here when you ask."),
                        elem_id="sources", max_height=420)
    w.viewer = gr.HTML(PLACEHOLDER, js_on_load=CITE_CLICK_JS, elem_id="paragraph-view", max_height=720)


# ---- handlers ---------------------------------------------------------------------------------
BUSY_FOR_S = 900.0  # a question held longer than this (a lost connection) no longer blocks the next
BUSY_NOTICE = ("Still answering your previous question: your new one is kept in the box. Press Ask again "
               "when the answer is complete.")


def _wire_chat(w: SimpleNamespace, backend: Backend) -> None:
    def accept(text: str, history: list[dict[str, Any]], busy: float, *form: Any
               ) -> tuple[str, list, Pending | None, float, str]:
        """Put the question in the transcript at once; the answer waits its turn in the queue. While
        this session's previous question is being answered, the new one stays in the box, with a
        notice: a transcript that the running answer redraws would lose it."""
        text = (text or "").strip()
        history = list(history or [])
        if not text:
            return "", history, None, busy, ""
        if busy and time.time() - busy < BUSY_FOR_S:
            return text, history, None, busy, render.render_notice(BUSY_NOTICE)
        try:
            job = Pending(text, filters_from_form(*form))
        except QAError as exc:
            return text, history, None, busy, render.render_notice(str(exc))
        return "", [*history, user_message(job)], job, time.time(), ""

    def answer(job: Pending | None, history: list, prev: str | None, known: dict) -> Iterator[tuple]:
        if job is None:
            yield history, gr.skip(), gr.skip(), prev, known, gr.skip()
            return
        s = None
        try:
            for s in run_turn(backend, job, list(history or []), prev, known):
                yield s.history, s.sources_html, s.markdown or gr.skip(), s.previous, s.claims, gr.skip()
        except Exception:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), 0.0  # free the box, then report
            raise
        if s is not None:  # the answer is complete: the next question may come
            yield s.history, s.sources_html, s.markdown or gr.skip(), s.previous, s.claims, 0.0

    for trigger in (w.question.submit, w.ask.click):
        accepted = trigger(accept, [w.question, w.chatbot, w.busy, *w.filters],
                           [w.question, w.chatbot, w.pending, w.busy, w.notice], queue=False,
                           api_visibility=PRIVATE)
        accepted.then(
            answer, [w.pending, w.chatbot, w.previous, w.claims],
            [w.chatbot, w.sources, w.markdown, w.previous, w.claims, w.busy],
            # minimal: the queue position and elapsed time as text, without the animated overlay on
            # every output. Its drawing in the browser took 0.12-0.2 of a core while the first prompt
            # ran (0.08 minimal; sampled from /proc), and on 2 cores llama.cpp's threads wait on each
            # other: first token after "ready" p50 4.66 s full, 3.62 s minimal (bench/first_answer.py)
            concurrency_limit=1, concurrency_id="generate", show_progress="minimal", api_visibility=PRIVATE,
        )
    def typed(text: str, prev: str | None, *form: Any) -> None:
        """While a question is typed, its prompt is evaluated ahead (``qa.ui.type_ahead``)."""
        try:
            backend.typed(text, prev, filters_from_form(*form))
        except Exception as exc:  # only a head start: the question itself reports any real problem
            log.info("no prefill for the typed text: %s", exc)

    # Every change reaches the server at once (not queued, "multiple": Gradio's default drops a change
    # made while the last one's handler runs), and a newer text supersedes an older one there.
    w.question.input(typed, [w.question, w.previous, *w.filters], None, queue=False, trigger_mode="multiple",
                     show_progress="hidden", api_visibility=PRIVATE)
    w.new_chat.click(lambda: ([], None, {}, "", PLACEHOLDER), None,
                     [w.chatbot, w.previous, w.claims, w.markdown, w.viewer], queue=False,
                     api_visibility=PRIVATE)
    w.clear_filters.click(lambda: ([], [], [], "", ""), None, w.filters, queue=False, api_visibility=PRIVATE)


def _wire_viewer(w: SimpleNamespace, backend: Backend) -> None:
    def open_citation(known: dict, evt: gr.EventData) -> str:
        target = render.parse_cite_target((getattr(evt, "_data", None) or {}).get("cite"))
        if target is None:
            return gr.skip()
        doc_id, number = target
        try:
            found = backend.document(doc_id)
        except Exception as exc:
            return render_missing(doc_id, number, shown(exc, "opening the paragraph"))
        if found is None:
            return render_missing(doc_id, number, "this document is not in the index")
        metadata, paragraphs = found
        if number == DOCUMENT_START and paragraphs:  # a REF or "cited by" link: the cable from its start
            number = paragraphs[0].n
        claims = known.get(cite(doc_id, number), [])
        return render_paragraph_view(doc_id, number, metadata, paragraphs, claims)

    w.viewer.click(open_citation, [w.claims], w.viewer, concurrency_limit=4, concurrency_id="read",
                   api_visibility=PRIVATE)


def _wire_search(w: SimpleNamespace, backend: Backend) -> None:
    def run_search(text: str, *form: Any) -> tuple[str, str]:
        text = (text or "").strip()
        if not text:
            return "", render.render_hits([], "Search", "Type something to search for.")
        try:
            filters = filters_from_form(*form)
            hits = backend.search(text, SEARCH_K, filters)
        except Exception as exc:
            return "", f'<div class="error">{render.esc(shown(exc, "searching"))}</div>'
        heading = f"{len(hits)} result{'' if len(hits) == 1 else 's'} for: {text}"
        described = render.describe_filters(filters)
        if described:
            heading += f" (filters: {described})"
        results = render.render_hits(hits, heading, "Nothing found (check the filters).")
        return _timeline(backend, text, filters), results

    def narrow(text: str, origin: Any, tags: Any, classification: Any, _since: str, _until: str,
               evt: gr.EventData) -> tuple:
        """A click on a timeline bar: From and Until become that year or month, and the search reruns."""
        picked = when_range((getattr(evt, "_data", None) or {}).get("when"))
        if picked is None:
            return (gr.skip(),) * 4
        since, until = picked[0].isoformat(), picked[1].isoformat()
        return (since, until, *run_search(text, origin, tags, classification, since, until))

    for trigger in (w.query.submit, w.search.click):
        trigger(run_search, [w.query, *w.filters], [w.timeline, w.results], concurrency_limit=4,
                concurrency_id="read", api_visibility=PRIVATE)
    w.timeline.click(narrow, [w.query, *w.filters], [w.since, w.until, w.timeline, w.results],
                     concurrency_limit=4, concurrency_id="read", api_visibility=PRIVATE)


def _timeline(backend: Backend, text: str, filters: Any) -> str:
    """The timeline over the whole index for a search; no chart for a query that only names documents
    (``09MADRID982``), and a short error line when counting fails."""
    words = text.split()
    if words and all(re.search(r"\d", w) and re.search(r"[A-Za-z]", w) for w in words):
        return ""
    try:
        by = pick_by(filters.since, filters.until)
        return render_timeline(backend.timeline(text, filters, by), backend.timeline(text, filters, "origin"),
                               backend.timeline(text, filters, "tag"), set(backend.facets().get("tag", [])))
    except Exception as exc:  # the hits still show; the chart says why it is missing
        return f'<div class="timeline error">{render.esc(shown(exc, "counting matches"))}</div>'


def _wire_uploads(w: SimpleNamespace, backend: Backend, settings: Settings) -> None:
    def add_files(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        check = check_uploads([Path(p) for p in paths or []], settings.serve.max_upload_mb)
        discard(check.refused)
        lines = [render.esc(e) for e in check.errors]
        if not paths:
            lines.append("Choose one or more files first.")
        if check.accepted:
            progress(0, desc="Indexing…")
            try:
                kept = keep(check.accepted, IndexFolder(settings.index.dir).uploads_dir)
                done = backend.add_files(
                    kept, lambda d, t, what: progress((d, max(t, 1)), desc=f"Indexing: {what}"))
                lines.insert(0, render.esc(_upload_line(done, [p.name for p in kept])))
            except Exception as exc:
                lines.insert(0, render.esc(f"Indexing failed: {shown(exc, 'indexing the upload')}"))
        status = '<div class="upload-status">' + "<br>".join(lines) + "</div>"
        return (status, _summary(backend), *_facet_updates(backend))

    w.add.click(add_files, [w.files], [w.upload_status, w.summary, w.origin, w.tags, w.classification],
                concurrency_limit=1, concurrency_id="index", show_progress="full", api_visibility=PRIVATE)


def _summary(backend: Backend) -> str:
    try:
        return render.render_summary(backend.summary(), backend.model_name)
    except Exception as exc:
        return f'<div class="index-summary error">{render.esc(shown(exc, "reading the index"))}</div>'


def _loading(backend: Backend) -> bool:
    return getattr(backend, "model_status", "ready") in ("loading", "not loaded")


def _facet_updates(backend: Backend) -> tuple[Any, Any, Any]:
    try:
        facets = backend.facets()
    except QAError:
        facets = {}
    # Tags are listed by code and meaning ("PHUM (Human Rights)"), so typing a meaning finds the tag.
    tags = [(tag_label(t), t) for t in facets.get("tag", [])]
    return (gr.update(choices=facets.get("origin", [])), gr.update(choices=tags),
            gr.update(choices=facets.get("classification", [])))


def _upload_line(summary: dict[str, Any], names: list[str]) -> str:
    totals = summary.get("totals", {})
    line = (
        f"Indexed {', '.join(names)}: {summary.get('added', 0)} added, {summary.get('updated', 0)} updated, "
        f"{summary.get('unchanged', 0)} unchanged, {summary.get('failed', 0)} failed; "
        f"{summary.get('new_paragraphs', 0)} new paragraphs. "
        f"The index now holds {totals.get('documents', '?')} documents."
    )
    for failure in summary.get("failures", []):
        line += f" {Path(str(failure.get('source'))).name}: {strip_paths(str(failure.get('reason')))}."
    return line
