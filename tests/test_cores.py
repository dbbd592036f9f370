"""Free cores as the automatic thread count sees them: a real busy process on one core is seen, and a
real llama.cpp generator with ``threads=0`` runs on the cores left free."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import pytest

from qa.cores import LoadWatch, idle_cores, usable_cores

ROOT = Path(__file__).resolve().parents[1]
MODEL_CACHE = ROOT / ".cache" / "cableqa"


def _spin(stop: object) -> None:
    while not stop.is_set():  # type: ignore[attr-defined]
        sum(range(10_000))


@pytest.fixture
def hog():
    stop = mp.Event()
    proc = mp.Process(target=_spin, args=(stop,), daemon=True)
    proc.start()
    time.sleep(0.5)
    yield
    stop.set()
    proc.join(5)


def test_a_busy_core_is_not_free(hog: None) -> None:
    if usable_cores() < 2:
        pytest.skip("one core: nothing to leave free")
    watch = LoadWatch()
    time.sleep(0.5)
    assert watch.free_cores() <= usable_cores() - 1
    assert idle_cores() <= usable_cores() - 1


def test_own_work_is_not_counted_as_others() -> None:
    """Between two readings this process computes on one core: that is not another program's load."""
    watch = LoadWatch()
    end = time.monotonic() + 0.6
    while time.monotonic() < end:
        sum(range(10_000))
    assert watch.others_busy() < 0.6  # a whole core if its own time were counted


def test_another_process_is_counted(hog: None) -> None:
    watch = LoadWatch()
    time.sleep(0.6)
    assert watch.others_busy() > 0.7


def _burst(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(10_000))


def test_a_short_burst_just_before_a_question_is_not_a_busy_core() -> None:
    """A browser drawing the page for a second right before the first question: no core taken away.
    Counted over the whole window since the last reading (as before), the burst was most of a core."""
    if usable_cores() < 2:
        pytest.skip("one core: nothing to leave free")
    watch = LoadWatch()  # made when the model's prompt prefix is warmed up and the page says "ready"
    time.sleep(0.7)
    burst = mp.Process(target=_burst, args=(1.0,), daemon=True)
    burst.start()
    burst.join(5)
    assert watch.others_busy() < 0.5
    assert watch.free_cores() == usable_cores()


def test_a_lasting_load_is_seen_through_the_whole_window(hog: None) -> None:
    watch = LoadWatch()
    time.sleep(LoadWatch.LASTING_S + LoadWatch.SAMPLE_S)
    assert watch.others_busy() > 0.7


@pytest.mark.slow
def test_generator_with_automatic_threads_uses_the_free_cores(hog: None) -> None:
    if usable_cores() < 2:
        pytest.skip("one core")
    from qa.answer.llm.llama import get_generator
    from qa.settings import load_settings

    settings = load_settings(None, {}, {"llm.cache_dir": MODEL_CACHE, "llm.max_tokens": 4})
    gen = get_generator(settings.llm, role="contention-test")
    assert gen.threads == usable_cores()
    text = "".join(gen.stream([{"role": "user", "content": "Say yes."}], max_tokens=2))
    assert text
    assert gen.threads <= usable_cores() - 1
