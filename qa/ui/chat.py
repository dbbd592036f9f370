"""One chat turn as a sequence of screen states, independent of Gradio (so tests can drive it).

A turn: the question appears with its filters; the follow-up is rewritten from the previous question;
the sources appear as soon as retrieval finishes; the draft streams; the checked answer replaces it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from qa.types import Answer, Filters, Hit
from qa.ui import render
from qa.ui.backend import Backend
from qa.ui.errors import shown
from qa.ui.followup import rewrite

log = logging.getLogger(__name__)

Message = dict[str, Any]
Claim = dict[str, Any]  # {"text": an accepted answer sentence, "span": [start, end] of its evidence, or None}
STREAM_EVERY_S = 0.08  # redraw the draft at most this often: fewer, larger updates to the browser


@dataclass
class Pending:
    """A question accepted by the form, waiting for its turn at the model."""

    question: str
    filters: Filters


@dataclass
class TurnState:
    """Everything a turn updates on screen, and what the next turn needs."""

    history: list[Message]
    sources_html: str
    markdown: str = ""
    previous: str | None = None  # the last question as understood (for the next follow-up)
    claims: dict[str, list[Claim]] = field(default_factory=dict)  # label -> accepted sentences citing it
    sources: list[Hit] = field(default_factory=list)


def user_message(pending: Pending) -> Message:
    return {"role": "user", "content": render.render_question(pending.question, pending.filters)}


def claims_of(answer: Answer) -> dict[str, list[Claim]]:
    """Which accepted answer sentences cite each paragraph, with the evidence span the checker matched
    there (to show and highlight in the viewer). Plain dicts: they live in the browser session."""
    out: dict[str, list[Claim]] = {}
    for s in answer.sentences:
        if s.supported:
            for c in s.citations:
                out.setdefault(c.label, []).append({"text": s.text, "span": list(c.span) if c.span else None})
    return out


def run_turn(
    backend: Backend,
    pending: Pending,
    history: list[Message],
    previous: str | None,
    claims: dict[str, list[Claim]] | None = None,
) -> Iterator[TurnState]:
    """Yield the screen after each step of answering ``pending`` (history already holds the question)."""
    question = pending.question
    understood = rewrite(question, previous)
    history = [*history, {"role": "assistant", "content": render.render_status("Searching the index…",
                                                                              question, understood)}]
    state = TurnState(history, render.render_hits([], "Sources", "Searching…"), previous=understood,
                      claims=dict(claims or {}))
    yield _snapshot(state)
    draft = ""
    n_sources = 0
    last_draw = 0.0
    try:
        for event in backend.stream(understood, pending.filters):
            if event.kind == "sources":
                state.sources = list(event.value)
                n_sources = len(state.sources)
                state.sources_html = render.render_hits(state.sources, f"Sources for: {understood}",
                                                        "No paragraph matched (check the filters).")
                history[-1]["content"] = render.render_status(
                    f"Found {n_sources} source{'' if n_sources == 1 else 's'}; generating the answer…",
                    question, understood)
                yield _snapshot(state)
            elif event.kind == "token":
                draft += str(event.value)
                if time.monotonic() - last_draw >= STREAM_EVERY_S:
                    last_draw = time.monotonic()
                    history[-1]["content"] = render.render_draft(draft, n_sources, question, understood)
                    yield _snapshot(state)
            elif event.kind == "answer":
                answer: Answer = event.value
                history[-1]["content"] = render.render_answer(answer, understood, question)
                state.markdown = render.answer_markdown(answer)
                state.claims.update(claims_of(answer))
                yield _snapshot(state)
    except Exception as exc:  # the app must survive one bad turn; the log keeps the traceback
        history[-1]["content"] = render.render_error(shown(exc, "answering"))
        yield _snapshot(state)


def _snapshot(state: TurnState) -> TurnState:
    """A copy of the screen: the turn keeps changing its own state after yielding."""
    return replace(state, history=[dict(m) for m in state.history], claims=dict(state.claims),
                   sources=list(state.sources))
