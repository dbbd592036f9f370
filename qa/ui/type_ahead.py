"""Evaluating a question's prompt while it is typed (``serve.prefill``).

On a CPU most of the time to the first token is the evaluation of the passages shown to the model
(300-400 prompt tokens: 3-5 s on 2 cores). The passages depend on the question, but a question's last
words rarely change which passages it gets, so the app retrieves for what has been typed so far (its
complete words), has the model evaluate that prompt up to the question's own line, and keeps it in
llama.cpp's KV cache. When the question is sent, llama.cpp re-evaluates only what differs from the
cached tokens: the question, or the passages from where they changed. The answer is the same as
without: the prompt is the same; only when its tokens were evaluated differs.

A prefill never delays a question: it waits a moment for typing to pause, is dropped when a newer text
or a question arrives, and stops between small steps when the model is wanted (``LlamaGenerator.prefill``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from qa.types import Filters
from qa.ui.followup import rewrite

log = logging.getLogger(__name__)

MIN_WORDS = 3  # fewer complete words retrieve too little of what the question will be about
PAUSE_S = 0.25  # a text unchanged this long is worth a retrieval (typing runs at 5-10 keys a second)
_COMPLETE = (" ", "?", ".", "!", "\n", "\t")


def typed_stem(text: str) -> str | None:
    """The complete words typed so far (the last word only once a space or a final mark follows it),
    or None while there are fewer than ``MIN_WORDS``."""
    text = text or ""
    words = text.split()
    if not text.endswith(_COMPLETE):
        words = words[:-1]
    return " ".join(words) if len(words) >= MIN_WORDS else None


Prefill = Callable[[str, Filters | None, Callable[[], bool]], int]


class TypeAhead:
    """The latest typed text of the app, prefilled when typing pauses; a sent question cancels it.

    ``prefill(question, filters, wanted)`` does the work (``Answerer.prefill``); ``wanted()`` turns
    false once a newer text or a question makes it moot, and the prefill stops at its next step.
    """

    def __init__(self, prefill: Callable[[], Prefill | None], pause_s: float = PAUSE_S) -> None:
        self._prefill = prefill
        self.pause_s = pause_s
        self._lock = threading.Lock()
        self._seq = 0
        self._last: tuple[str, str] | None = None

    def typed(self, text: str, previous: str | None, filters: Filters | None) -> int:
        """Called on every change of the question box; returns the prompt tokens evaluated."""
        stem = typed_stem(text)
        if stem is None:
            return 0
        question = rewrite(stem, previous)
        key = (question, repr(filters))
        with self._lock:
            if key == self._last:  # the same words as the last prefill: nothing new to evaluate
                return 0
            self._seq += 1
            seq = self._seq
            self._last = key
        time.sleep(self.pause_s)

        def wanted() -> bool:
            return seq == self._seq

        prefill = self._prefill() if wanted() else None
        if prefill is None:
            return 0
        started = time.perf_counter()
        evaluated = prefill(question, filters, wanted)
        log.info("prefilled %d prompt tokens for %r in %.0f ms", evaluated, question,
                 1000 * (time.perf_counter() - started))
        return evaluated

    def asked(self) -> None:
        """A question was sent: a prefill still running gives way, and the next text starts afresh."""
        with self._lock:
            self._seq += 1
            self._last = None
