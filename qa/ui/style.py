"""The app's CSS, and its JavaScript: citation chips open the paragraph viewer, timeline bars narrow
the dates.

Chat messages pass through Gradio's HTML sanitiser, which strips ``data-*`` attributes and event
handlers but keeps ``href``, so a chip carries its target in ``href="#cite=<doc>:<n>"``. The viewer
(a ``gr.HTML``) installs one capturing click listener on the document and turns a chip click into
its own ``click`` event with ``{cite: "<doc>:<n>"}`` for the Python handler.
"""


def link_click_js(key: str) -> str:
    """JavaScript for a ``gr.HTML``'s ``js_on_load``: a click on any link ``#<key>=<value>`` on the page
    becomes this component's ``click`` event with ``{<key>: "<value>"}`` (one capturing listener)."""
    name = "__cableqa_" + key
    return (
        f"window.{name} = (target) => trigger('click', {{{key}: target}});\n"
        f"if (!window.{name}_bound) {{\n"
        f"  window.{name}_bound = true;\n"
        "  document.addEventListener('click', (e) => {\n"
        f"    const a = e.target && e.target.closest ? e.target.closest('a[href^=\"#{key}=\"]') : null;\n"
        "    if (!a) return;\n"
        "    e.preventDefault();\n"
        "    e.stopPropagation();\n"
        f"    window.{name}(a.getAttribute('href').slice('#{key}='.length));\n"
        "  }, true);\n"
        "}\n"
    )


# Citation chips open the paragraph viewer, which then scrolls into view.
CITE_CLICK_JS = link_click_js("cite") + (
    "watch('value', () => { element.scrollIntoView({block: 'nearest', behavior: 'smooth'}); });\n")
# Timeline bars (``#when=2007``) narrow the date filters (``qa/ui/timeline_view.py``).
WHEN_CLICK_JS = link_click_js("when")

CSS = r"""
.cite-chip { display: inline-block; padding: 0 .45em; margin: 0 .1em; border-radius: .8em;
  font-size: .85em; line-height: 1.5; text-decoration: none !important; white-space: nowrap;
  border: 1px solid #8aa4c8; background: #eef3fb; color: #1d3b66 !important; cursor: pointer; }
.cite-chip:hover { background: #dbe6f7; }
.cite-checked { border-color: #3d8b4f; background: #eaf6ec; color: #1f5a2c !important; }
.cite-checked::after { content: " \2713"; }
.cite-nearest { border-style: dashed; }
.prov { font-size: .75em; opacity: .8; white-space: nowrap; }
.prov-other { opacity: 1; padding: 0 .35em; border-radius: .3em; background: #fff3cd; color: #6b4e00; }
.timeline { margin: .3em 0 .8em; }
.tl-head { font-size: .9em; }
.tl-how { opacity: .7; font-size: .9em; }
.tl-bars { display: flex; align-items: flex-end; gap: 3px; height: 140px; margin-top: .4em;
  border-bottom: 1px solid #999; overflow-x: auto; }
.tl-bar { display: flex; flex-direction: column; justify-content: flex-end; align-items: center;
  min-width: 22px; flex: 1 1 0; height: 100%; text-decoration: none !important; color: inherit !important; }
.tl-fill { display: block; width: 80%; background: #5b84c4; border-radius: 2px 2px 0 0; }
a.tl-bar:hover .tl-fill { background: #2f5da8; }
.tl-undated .tl-fill { background: #bbb; }
.tl-n { font-size: .7em; opacity: .8; }
.tl-key { font-size: .7em; white-space: nowrap; margin-top: 2px; }
.tl-hint, .tl-facets { font-size: .8em; opacity: .75; margin-top: .3em; }
.tag { white-space: nowrap; }
.hit-tags { font-size: .8em; opacity: .8; }
.ref-list { margin: 0; padding-left: 1.1em; }
.ref-item, .ref-missing { font-size: .85em; opacity: .75; }
.cable-link { font-family: monospace; }
.hit-withheld { font-size: .8em; color: #8a1c1c; margin-top: .2em; }
.turn-question .filters-line { font-size: .8em; opacity: .75; margin-top: .2em; }
.understood-as { font-size: .8em; opacity: .75; margin-bottom: .3em; font-style: italic; }
.draft { opacity: .7; white-space: pre-wrap; }
.draft-note, .answer-footer, .status { font-size: .8em; opacity: .7; margin-top: .3em; }
.abstention { border-left: 4px solid #c98a1b; background: #fff7e6; color: #5a3d00; padding: .4em .6em; }
.abstain-reason { color: #7a6a4a; font-size: .9em; }
.ask-notice { color: #8a5a00; font-size: .95em; }
.nearest ul, .cited-for ul { margin: .2em 0 0 1.2em; padding: 0; }
.nearest .snippet { font-size: .85em; opacity: .8; }
details.unsupported { margin-top: .4em; font-size: .85em; color: #8a2a2a; }
.error { color: #a12020; }
.hits-heading, .para-title { font-weight: 600; margin-bottom: .3em; }
.hit { padding: .35em 0; border-bottom: 1px solid rgba(128,128,128,.25); }
.hit-meta { font-size: .8em; opacity: .75; }
.hit-subject { font-size: .85em; font-weight: 600; }
.hit-text { font-size: .85em; }
.doc-header { font-size: .85em; border-collapse: collapse; margin-bottom: .5em; }
.doc-header th { text-align: left; padding: .1em .6em .1em 0; white-space: nowrap; opacity: .75; }
.doc-header td { padding: .1em 0; }
.para { padding: .4em .5em; margin: .3em 0; border-radius: .3em; }
.para-before, .para-after { opacity: .7; font-size: .9em; }
.para-current { border: 1px solid #8aa4c8; background: rgba(138,164,200,.12); }
.para-label { font-weight: 600; }
.marking { font-weight: 600; font-size: .85em; }
.para-section { font-size: .8em; opacity: .7; }
mark.support { background: #fde68a; color: inherit; padding: 0 .1em; }
.cited-for { font-size: .85em; margin: .3em 0; }
.index-summary { font-size: .9em; opacity: .85; }
"""
