"""The research views as HTML: REF and "cited by" links in the paragraph view, the timeline bars and
what a bar click narrows to, tags shown with their meanings, and the Search tab's handlers."""

from __future__ import annotations

import html
from datetime import date

from ui_fakes import DOC, META, PARAGRAPHS, FakeBackend

from qa.corpus.timeline import Timeline
from qa.ui import render
from qa.ui.filter_form import filters_from_form
from qa.ui.paragraph_view import render_paragraph_view
from qa.ui.timeline_view import pick_by, render_timeline, when_range


def test_ref_links_open_indexed_cables_and_say_what_is_missing() -> None:
    md = {**META, "ref_links": [
        {"item": "MADRID 417", "ref_id": "09MADRID417", "in_index": True},
        {"item": "MADRID 410", "ref_id": "09MADRID410", "in_index": False},
        {"item": "SMITH-JONES EMAIL 5/2/09", "ref_id": None, "in_index": False},
    ], "cited_by": ["09MADRID1152"]}
    markup = render_paragraph_view(DOC, 5, md, PARAGRAPHS)
    assert 'href="#cite=09MADRID417:0"' in markup and 'href="#cite=09MADRID1152:0"' in markup
    assert 'href="#cite=09MADRID410:0"' not in markup  # not indexed: named, not linked
    text = html.unescape(markup)
    missing = text.split("09MADRID410", 1)[1].split("</li>", 1)[0]
    assert "(not in the index)" in missing
    assert "SMITH-JONES EMAIL 5/2/09" in text and "(not a cable)" in text
    assert render.parse_cite_target("#cite=09MADRID417:0") == ("09MADRID417", 0)


def test_timeline_bars_link_to_their_period_and_undated_is_not_a_link() -> None:
    main = Timeline("piracy", "year", 12, [("2007", 3), ("2008", 0), ("2009", 9), ("undated", 2)],
                    "documents with a paragraph containing all of: piracy", '"piracy"', ["piracy"])
    tags = Timeline("piracy", "tag", 12, [("KIPR", 10), ("SP", 9)], "", None)
    markup = render_timeline(main, None, tags)
    assert 'href="#when=2007"' in markup and 'href="#when=2009"' in markup
    assert 'href="#when=undated"' not in markup and "tl-undated" in markup
    assert "12 cables and documents match" in markup
    assert "KIPR (Intellectual Property Rights) 10" in html.unescape(markup)
    assert "name the tags" not in markup  # "piracy" names no tag
    rights = render_timeline(Timeline("human rights in Cambodia", "year", 0, [], "", None), indexed_tags={"PHUM", "CB"})
    assert "Your words name the tags PHUM (Human Rights), CB (Cambodia)" in html.unescape(rights)
    assert when_range("2009") == (date(2009, 1, 1), date(2009, 12, 31))
    assert when_range("#when=2008-02") == (date(2008, 2, 1), date(2008, 2, 29))
    assert when_range("undated") is None and when_range("2009-13") is None
    assert pick_by(date(2009, 1, 1), date(2009, 12, 31)) == "month"
    assert pick_by(date(2005, 1, 1), date(2009, 12, 31)) == "year" and pick_by(None, None) == "year"


def test_tag_filter_takes_a_code_a_label_or_a_meaning() -> None:
    f = filters_from_form([], ["PHUM (Human Rights)", "trafficking in persons", "cb"], [], "", "")
    assert f.tag == ["PHUM", "KTIP", "CB"]
    assert "tags: PHUM (Human Rights), KTIP (Trafficking in Persons), CB (Cambodia)" in \
        render.describe_filters(f)


def test_search_hits_show_tags_with_meanings() -> None:
    hits = FakeBackend().search("trafficking cases", 3, None)
    text = html.unescape(render.render_hits(hits, "Search"))
    assert "PHUM (Human Rights)" in text and "CB (Cambodia)" in text


def test_the_search_handler_returns_the_timeline_and_the_hits() -> None:
    import gradio as gr

    from qa.settings import load_settings
    from qa.ui.layout import build_app

    app = build_app(FakeBackend(), load_settings(None, {}, {}))
    search = next(fn for fn in app.fns.values() if getattr(fn.fn, "__name__", "") == "run_search")
    chart, results = search.fn("trafficking", [], [], [], "", "")
    assert "1 cable or document match" in chart and 'href="#when=2006"' in chart
    assert "06PHNOMPENH657 ¶5" in html.unescape(results)
    narrow = next(fn for fn in app.fns.values() if getattr(fn.fn, "__name__", "") == "narrow")
    event = gr.EventData(None, {"when": "2006"})
    since, until, chart2, _ = narrow.fn("trafficking", [], [], [], "", "", event)
    assert (since, until) == ("2006-01-01", "2006-12-31") and "by month" in chart2


def test_index_line_says_when_the_model_loads_and_how_much_is_embedded() -> None:
    base = {"documents": 3, "paragraphs": 40, "embedded": 40, "embedder": "e"}
    loading = render.render_summary({**base, "model_status": "loading"}, "m.gguf")
    assert "loading model: the first answer waits for it" in loading
    assert "(ready)" in render.render_summary({**base, "model_status": "ready"}, "m.gguf")
    partial = html.unescape(render.render_summary({**base, "embedded": 25}, "m.gguf"))
    assert "25 of 40 paragraphs embedded" in partial
    assert "embedded" not in render.render_summary(base, "m.gguf")
