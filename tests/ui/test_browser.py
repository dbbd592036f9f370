"""The app in a real browser (Debian's Chromium through Playwright) over the real pipeline.

One app process serves an index of the built-in example with the real embedder and the default GGUF
model. The steps run in order, as a user would, and each saves a screenshot under
``tests/artifacts/screenshots/``:

1. ask the trafficking-cases question as soon as the page says "ready": the sources show before the
   answer, the answer's first token streams within 5 s of "ready" (issue 15; where the CPU takes
   more than 2.5 s to evaluate the question's own prompt, within 2.5 s more than that evaluation), and
   it ends citing ``06PHNOMPENH657 ¶5`` with a checked chip. The app starts with its model file
   dropped from the page cache, as after a reboot (the worst first start);
2. click the chip: the paragraph shows with its cable's header and the supporting sentence;
3. ask an unanswerable question under a filter: the filter shows in the transcript, and the answer
   is an abstention offering the nearest paragraphs;
4. type a question key by key and send it after a pause: its passages were evaluated while it was
   typed (``serve.prefill``), so the app evaluates only the question's own line;
5. upload a small text file holding ``<img src=x onerror=alert(1)>``: it is indexed, the summary
   counts it, a search finds it, and the markup shows as text with no dialog fired.

A last test checks the queue with three browsers at once; it runs the same app in-process over a
slowed deterministic backend (``ui_fakes``), so that only the queueing is under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.cores import cpu_flags

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "06PHNOMPENH657.txt"
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_S = 300  # embedder + index + language model on 2 cores
ANSWER_MS = 300_000  # the 1.5B model on 2 cores: ~10-60 s an answer, more while other work runs
PAYLOAD = "<img src=x onerror=alert(1)>"
UPLOAD_TEXT = (
    "1. The Zanzibar lighthouse inventory lists 47 brass lanterns, counted in March 2006.\n\n"
    f"2. A note pasted from a web page reads {PAYLOAD} and must show as plain text.\n"
)

if not CHROMIUM.exists():  # .ci/run installs it; elsewhere: apt-get install chromium
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")

from ui_fakes import FakeBackend  # noqa: E402  (after the skips: needs no browser, but only used here)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               PYTHONUNBUFFERED="1", GRADIO_TEMP_DIR=str(tmp / "gradio"))
    return env


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's index, its temporary files and its log (``app.log``)."""
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def app_log(app_dir: Path) -> Path:
    return app_dir / "app.log"


@pytest.fixture(scope="module")
def app_url(app_dir: Path) -> Iterator[str]:
    """The real app (``python app.py``) serving a fresh index of the built-in example."""
    tmp = app_dir
    index_dir = tmp / "index"
    env = child_env(tmp)
    command = [sys.executable, "-m", "qa.cli", "index", str(SEED), "--index-dir", str(index_dir)]
    built = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    evict_model()  # the worst first start: the model file not in memory, as after a reboot
    with serve_app(index_dir, tmp, env) as url:
        yield url
    if SHOTS.is_dir():  # the server's log beside the screenshots, for a failed run
        shutil.copy(tmp / "app.log", SHOTS / "app.log")


def evict_model() -> None:
    """Drop the app's GGUF file from the page cache (where no other process has it mapped)."""
    from qa.answer.llm.pagecache import evict
    from qa.answer.llm.weights import resolve_model
    from qa.settings import LLMSettings

    evict(resolve_model(None, LLMSettings().cache_dir))


@contextlib.contextmanager
def serve_app(index_dir: Path, tmp: Path, env: dict[str, str]) -> Iterator[str]:
    """``python app.py`` over ``index_dir`` on a free port, until the page answers; its log in ``tmp``."""
    port = free_port()
    log = (tmp / "app.log").open("w")
    command = [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port),
               "--index-dir", str(index_dir), "-v"]  # -v: the log shows load times and thread changes
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert proc.poll() is None, (tmp / "app.log").read_text()
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "app did not start:\n" + (tmp / "app.log").read_text()
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module (Playwright's sync API allows one running instance at a time)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser: Any, app_url: str) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.dialogs = []  # every alert/confirm that fires: must stay empty
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(app_url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    yield page
    page.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask(page: Any, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask-button").click()


def finished_answer(page: Any, turn: int) -> Any:
    """The ``turn``-th answer (1-based) once it is final: checked answer, abstention or error."""
    answer = page.locator('#chat [data-testid="bot"]').nth(turn - 1)
    answer.locator(".turn-final").wait_for(timeout=ANSWER_MS)
    return answer


FIRST_TOKEN_S = 5.0  # issue 15: from "ready" to the first answer's first token
# What may stand between "ready" and the first token besides evaluating the question's own prompt: the
# click, retrieval, the sources' rendering, one generated token, the stream to the page (0.5-1.05 s on
# a 2-core Xeon, in 8 runs; a slower CPU renders and generates slower too). A first question that
# loaded the model from a cold file (2-3 s) or evaluated the prompt prefix (8-10 s) exceeds it.
OVERHEAD_S = 2.5


def first_prompt_s(log_text: str) -> float:
    """Seconds the app's first answer spent evaluating its own prompt (its ``answered:`` log line)."""
    found = re.search(r"answered: .*; prompt: (\d+) tokens evaluated in (\d+) ms", log_text)
    assert found, "the app logged no answered line:\n" + log_text[-3000:]
    return int(found.group(2)) / 1000


def first_token_limit_s(prompt_s: float) -> float:
    """5 s from "ready" to the first token, where this CPU evaluates the question's prompt in 2.5 s or
    less. Where the prompt alone takes longer (about 3 s on an AMD EPYC with AVX-512, 4-5.4 s on an Ice
    Lake Xeon, about 7 s on an AVX2-only EPYC), nothing but it may stand between: a one-sample timed bound must
    hold on every CPU CI runs on, and ``bench/first_answer.py`` reports the 5 s target's spread over
    rounds on each."""
    return max(FIRST_TOKEN_S, prompt_s + OVERHEAD_S)


def test_answer_streams_with_checked_citation(page: Any, app_log: Path) -> None:
    expect = playwright_api.expect
    summary = page.locator("#index-summary")
    expect(summary).to_contain_text("1 document", timeout=30_000)
    # The page says the model is loading until it and its prompt prefixes are ready, then "ready".
    expect(summary).to_contain_text("ready", timeout=START_S * 1000)
    ready = time.monotonic()  # the user asks at once; the clock runs from "ready" (no screenshot first)
    ask(page, "How many human trafficking cases were reported in Cambodia in 2005?")
    # Sources come first: listed while the answer has no checked citation yet.
    expect(page.locator("#sources")).to_contain_text("06PHNOMPENH657 ¶5", timeout=120_000)
    assert page.locator("#chat a.cite-checked").count() == 0
    page.wait_for_selector("#chat .draft", timeout=ANSWER_MS)  # the unchecked draft streams in
    first_token_s = time.monotonic() - ready
    shot(page, "03-streaming")
    answer = finished_answer(page, 1)
    prompt_s = first_prompt_s(app_log.read_text())
    limit_s = first_token_limit_s(prompt_s)
    (SHOTS / "first_answer.json").write_text(json.dumps(
        {"first_token_s_after_ready": round(first_token_s, 2), "prompt_eval_s": prompt_s, "limit_s": round(limit_s, 2),
         "cpu_flags": cpu_flags()}))
    assert first_token_s < limit_s, (first_token_s, prompt_s, limit_s)
    shot(page, "04-answer")
    assert page.locator("#chat .draft").count() == 0
    expect(answer).to_contain_text("123")
    expect(answer.locator("a.cite-checked", has_text="06PHNOMPENH657 ¶5")).to_have_count(1)


def test_clicking_a_citation_shows_the_paragraph_in_its_cable(page: Any) -> None:
    expect = playwright_api.expect
    page.locator("#chat a.cite-checked", has_text="06PHNOMPENH657 ¶5").first.click()
    viewer = page.locator("#paragraph-view")
    expect(viewer).to_contain_text("Reference ID", timeout=30_000)
    for text in ("06PHNOMPENH657", "2006-04-07", "Phnom Penh", "UNCLASSIFIED",
                 "CAMBODIAN GOVERNMENT HIGHLIGHTS", "PHUM", "123 in 2005", "Cited for:"):
        expect(viewer).to_contain_text(text)
    expect(viewer.locator("mark.support")).to_contain_text("123")
    expect(viewer.locator(".para-before, .para-after").first).to_be_visible()  # the neighbours
    page.locator("#paragraph-view").scroll_into_view_if_needed()
    shot(page, "05-paragraph")
    page.get_by_text("Copy the last answer as Markdown").click()
    markdown = page.locator("#answer-markdown textarea")
    assert "[06PHNOMPENH657 ¶5]" in markdown.input_value()


def test_unanswerable_question_abstains_under_a_visible_filter(page: Any) -> None:
    expect = playwright_api.expect
    origin = page.locator("#filter-origin input")
    origin.fill("Phnom Penh")
    origin.press("Enter")
    ask(page, "What is the population of Cambodia?")
    expect(page.locator('#chat [data-testid="user"]').last).to_contain_text("Filters: origin: Phnom Penh",
                                                                               timeout=30_000)
    answer = finished_answer(page, 2)
    shot(page, "06-abstention")
    expect(answer.locator(".abstention")).to_contain_text("The indexed documents do not answer this.")
    expect(answer.locator("a.cite-nearest").first).to_be_visible()
    assert answer.locator("a.cite-checked").count() == 0


def test_a_typed_question_has_its_passages_evaluated_before_it_is_sent(page: Any, app_log: Path) -> None:
    """``serve.prefill``: while the question is typed key by key, the app evaluates its passages; sent
    after a pause, only the question's own line is left (about 20 prompt tokens, against 250 or so)."""
    expect = playwright_api.expect
    question = "Who is the director of the AHTJP Department?"
    box = page.locator("#question textarea")
    box.press_sequentially(question, delay=80)
    done = re.compile(r"prefilled \d+ prompt tokens for " + re.escape(repr(question)))
    deadline = time.monotonic() + 120
    while not done.search(app_log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.search(app_log.read_text()), app_log.read_text()[-3000:]
    sent = len(app_log.read_text())
    box.press("Enter")
    answer = finished_answer(page, 3)
    expect(answer).to_contain_text("Un Sokunthea")
    expect(answer.locator("a.cite-checked", has_text="06PHNOMPENH657 ¶6")).to_have_count(1)
    found = re.search(r"answered: .*; prompt: (\d+) tokens evaluated", app_log.read_text()[sent:])
    assert found and int(found.group(1)) <= 30, app_log.read_text()[sent:][-3000:]


def test_uploaded_file_is_searchable_and_its_markup_is_text(page: Any, tmp_path: Path) -> None:
    expect = playwright_api.expect
    notes = tmp_path / "lighthouse_notes.txt"
    notes.write_text(UPLOAD_TEXT, encoding="utf-8")
    page.get_by_role("tab", name="Add documents").click()
    page.locator("#upload-files input[type=file]").set_input_files(str(notes))
    expect(page.locator("#upload-files")).to_contain_text("lighthouse_notes", timeout=30_000)
    page.locator("#upload-button").click()
    expect(page.locator("#upload-status")).to_contain_text("Indexed lighthouse_notes.txt", timeout=300_000)
    expect(page.locator("#upload-status")).to_contain_text("1 added")
    expect(page.locator("#index-summary")).to_contain_text("2 documents")
    shot(page, "07-upload")

    page.get_by_role("tab", name="Search").click()
    page.locator("#clear-filters").click()
    page.locator("#search-query textarea").fill("Zanzibar lighthouse lanterns web page note")
    page.locator("#search-button").click()
    results = page.locator("#search-results")
    expect(results).to_contain_text("47 brass lanterns", timeout=60_000)
    expect(results).to_contain_text(PAYLOAD)  # shown as text...
    assert results.locator("img").count() == 0  # ...not turned into an element
    shot(page, "08-search-upload")

    results.locator(".hit", has_text=PAYLOAD).locator("a.cite-chip").first.click()
    viewer = page.locator("#paragraph-view")
    expect(viewer.locator(".para-current")).to_contain_text(PAYLOAD, timeout=30_000)
    assert viewer.locator("img").count() == 0
    page.wait_for_timeout(1000)  # give an injected handler time to fire, if one had been built
    assert page.dialogs == []
    shot(page, "09-markup-as-text")


class SlowBackend(FakeBackend):
    """Holds the model long enough for other users to be seen waiting."""

    def stream(self, question: str, filters: Any) -> Iterator[Any]:
        for event in super().stream(question, filters):
            time.sleep(0.4)
            yield event


@contextlib.contextmanager
def slow_app(tmp_path: Path) -> Iterator[int]:
    """The app over ``SlowBackend`` on a free port, one generation at a time; yields the port."""
    from qa.settings import load_settings
    from qa.ui.layout import build_app
    from qa.ui.server import launch

    port = free_port()
    settings = load_settings(None, {}, {"index.dir": tmp_path / "index", "serve.port": port})
    app = build_app(SlowBackend(), settings)
    app.queue(default_concurrency_limit=1)
    launch(app, settings, block=False, quiet=True)  # as `qa serve` launches it: through the host guard
    try:
        yield port
    finally:
        app.close()


def test_concurrent_questions_queue_with_a_visible_position(browser: Any, tmp_path: Path) -> None:
    expect = playwright_api.expect
    with slow_app(tmp_path) as port:
        pages = [browser.new_page(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
        for pg in pages:
            pg.goto(f"http://127.0.0.1:{port}/")
            pg.wait_for_selector("#question textarea", timeout=60_000)
        for i, pg in enumerate(pages):
            ask(pg, f"How many human trafficking cases were reported, asker {i}?")
        expect(pages[2].locator("#chat")).to_contain_text(re.compile(r"queue: [12]/2"), timeout=10_000)
        shot(pages[2], "10-queued")
        for pg in pages:  # everyone is answered in turn; nobody gets an error
            expect(pg.locator("#chat a.cite-checked").first).to_be_visible(timeout=60_000)
            pg.close()


def test_a_question_sent_while_one_streams_is_kept_and_answered(browser: Any, tmp_path: Path) -> None:
    """A second question sent while the first streams is not lost: it stays in the box with a notice,
    and once the first answer is complete, Ask answers it; both stay in the transcript."""
    expect = playwright_api.expect
    with slow_app(tmp_path) as port:
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(f"http://127.0.0.1:{port}/")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        second = "And the second question, sent while the first streams?"
        ask(pg, "How many human trafficking cases were reported, first question?")
        expect(pg.locator("#chat .draft").first).to_be_visible(timeout=30_000)  # the first one streams
        ask(pg, second)
        expect(pg.locator("#ask-notice")).to_contain_text("Still answering your previous question", timeout=10_000)
        assert pg.locator("#question textarea").input_value() == second  # what the user typed is kept
        shot(pg, "11-second-question-kept")
        finished_answer(pg, 1)
        pg.locator("#ask-button").click()
        finished_answer(pg, 2)
        expect(pg.locator("#ask-notice")).not_to_contain_text("Still answering")
        chat = pg.locator("#chat")
        expect(chat).to_contain_text("first question", timeout=10_000)
        expect(chat).to_contain_text(second, timeout=10_000)
        assert pg.locator('#chat [data-testid="bot"] .turn-final').count() == 2
        pg.close()
