"""The type-ahead's bookkeeping (``qa.ui.type_ahead``) with a recording prefill; the real model's side is
in ``tests/answer/test_ask_real.py`` and the browser's in ``tests/ui/test_browser.py``."""

from __future__ import annotations

import threading
import time

from qa.types import Filters
from qa.ui.type_ahead import TypeAhead, typed_stem


def test_the_stem_is_the_complete_words_and_needs_three():
    assert typed_stem("Who is") is None
    assert typed_stem("Who is the") is None  # the last word may still change
    assert typed_stem("Who is the direc") == "Who is the"
    assert typed_stem("Who is the director of the AHTJP Dep") == "Who is the director of the AHTJP"
    assert typed_stem("Who is the director?") == "Who is the director?"
    assert typed_stem("") is None


class Recording:
    def __init__(self, hold_s: float = 0.0) -> None:
        self.calls: list[tuple[str, Filters | None]] = []
        self.hold_s = hold_s
        self.gave_way = threading.Event()

    def __call__(self, question, filters, wanted) -> int:
        self.calls.append((question, filters))
        deadline = time.monotonic() + self.hold_s
        while time.monotonic() < deadline:  # a prefill evaluating step by step until it is not wanted
            if not wanted():
                self.gave_way.set()
                return 1
            time.sleep(0.01)
        return 2


def test_each_new_stem_is_prefilled_once_and_the_same_words_are_not():
    rec = Recording()
    ahead = TypeAhead(lambda: rec, pause_s=0.0)
    assert ahead.typed("Who is", None, None) == 0
    assert ahead.typed("Who is th", None, None) == 0  # stem "Who is": too short
    assert ahead.typed("Who is the director", None, None) == 2  # stem "Who is the"
    assert ahead.typed("Who is the director ", None, None) == 2
    assert ahead.typed("Who is the director o", None, None) == 0  # same complete words
    assert ahead.typed("Who is the director of ", None, None) == 2
    assert [q for q, _ in rec.calls] == ["Who is the", "Who is the director", "Who is the director of"]


def test_a_follow_up_is_prefilled_as_the_question_it_will_be_understood_as():
    rec = Recording()
    ahead = TypeAhead(lambda: rec, pause_s=0.0)
    ahead.typed("and what about Thailand?", "How many trafficking cases did Cambodia report?", None)
    assert rec.calls == [("How many trafficking cases did Thailand report?", None)]


def test_a_newer_word_supersedes_a_prefill_still_waiting_for_the_pause():
    rec = Recording()
    ahead = TypeAhead(lambda: rec, pause_s=0.3)
    older = threading.Thread(target=ahead.typed, args=("Who is the director ", None, None))
    older.start()
    time.sleep(0.05)
    assert ahead.typed("Who is the director of ", None, None) == 2
    older.join()
    assert [q for q, _ in rec.calls] == ["Who is the director of"]


def test_a_sent_question_stops_a_running_prefill_and_nothing_runs_without_a_model():
    rec = Recording(hold_s=5.0)
    ahead = TypeAhead(lambda: rec, pause_s=0.0)
    running = threading.Thread(target=ahead.typed, args=("Who is the director?", None, None))
    running.start()
    time.sleep(0.1)
    ahead.asked()
    assert rec.gave_way.wait(2.0), "the prefill did not give way to the sent question"
    running.join(2.0)
    # after the question the same words are prefilled again (its answer replaced the cached prompt)
    rec.hold_s = 0.0
    assert ahead.typed("Who is the director?", None, None) == 2
    assert TypeAhead(lambda: None, pause_s=0.0).typed("Who is the director?", None, None) == 0
