"""The research views in a real browser (Debian's Chromium through Playwright) over the real app: an
index of the 203 Madrid cables of ../shared with the real embedder.

1. search for "piracy": the timeline chart shows the matching cables per year above the hits;
2. click the 2009 bar: the From and Until filters become 2009-01-01 and 2009-12-31, the hits and the
   chart narrow to 2009 (now per month);
3. open 09MADRID982, whose REF line cites 09MADRID417: its REF list links the cited cable; follow the
   link: 09MADRID417 opens, and its "Cited by" lists 09MADRID982.

Each step saves a screenshot under ``tests/artifacts/screenshots/`` (``research-*.png``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CABLES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1200)]

if not CABLES.is_dir():
    pytest.skip("../shared corpus not present", allow_module_level=True)

from test_browser import CHROMIUM_ARGS, ROOT, SHOTS, child_env, playwright_api, serve_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def madrid_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("research")
    folder = tmp / "madrid"
    folder.mkdir()
    for path in CABLES.glob("*MADRID*.txt"):
        shutil.copy(path, folder / path.name)
    index_dir = tmp / "index"
    env = child_env(tmp)
    built = subprocess.run([sys.executable, "-m", "qa.cli", "index", str(folder), "--index-dir", str(index_dir)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr
    with serve_app(index_dir, tmp, env) as url:
        yield url


@pytest.fixture(scope="module")
def page(madrid_url: str) -> Iterator[Any]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(madrid_url)
        page.wait_for_selector("#question textarea", timeout=60_000)
        yield page
        browser.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"research-{name}.png"), full_page=True)


def test_search_draws_the_timeline_and_a_bar_narrows_the_dates(page: Any) -> None:
    expect = playwright_api.expect
    page.get_by_role("tab", name="Search").click()
    page.locator("#search-query textarea").fill("piracy")
    page.locator("#search-button").click()
    chart = page.locator("#search-timeline")
    expect(chart.locator(".tl-head")).to_contain_text("match", timeout=60_000)
    expect(chart.locator(".tl-head")).to_contain_text("by year")
    expect(chart).to_contain_text("paragraph containing all of: piracy")
    bars = chart.locator("a.tl-bar")
    assert bars.count() >= 3  # several years of Madrid cables mention piracy
    expect(page.locator("#search-results .hit").first).to_be_visible()
    shot(page, "01-timeline")

    chart.locator('a.tl-bar[href="#when=2009"]').click()
    expect(page.locator("#filter-since input, #filter-since textarea").first).to_have_value("2009-01-01",
                                                                                         timeout=30_000)
    expect(page.locator("#filter-until input, #filter-until textarea").first).to_have_value("2009-12-31")
    expect(chart.locator(".tl-head")).to_contain_text("by month", timeout=30_000)
    expect(chart).to_contain_text("dated 2009-01-01 to 2009-12-31")
    results = page.locator("#search-results")
    expect(results).to_contain_text("from 2009-01-01")
    dates = results.locator(".hit-meta").all_inner_texts()
    assert dates and all(d.startswith("2009") for d in dates), dates
    shot(page, "02-narrowed")


def test_a_ref_link_opens_the_cited_cable(page: Any) -> None:
    expect = playwright_api.expect
    page.locator("#clear-filters").click()
    page.locator("#search-query textarea").fill("09MADRID982")
    page.locator("#search-button").click()
    results = page.locator("#search-results")
    results.locator("a.cite-chip", has_text="09MADRID982").first.click()
    viewer = page.locator("#paragraph-view")
    expect(viewer.locator(".para-title")).to_contain_text("09MADRID982", timeout=30_000)
    expect(viewer).to_contain_text("REF")
    link = viewer.locator("a.cable-link", has_text="09MADRID417")
    expect(link).to_be_visible()
    expect(viewer).to_contain_text("Cited by")
    shot(page, "03-refs")

    link.click()
    expect(viewer.locator(".para-title")).to_contain_text("09MADRID417", timeout=30_000)
    expect(viewer).to_contain_text("INTERNET PIRACY IN SPAIN")
    expect(viewer.locator(".cited-by a.cable-link", has_text="09MADRID982")).to_be_visible()
    shot(page, "04-followed")
