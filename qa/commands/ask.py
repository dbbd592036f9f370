"""``qa ask``: a checked, cited answer from the index; ``qa ask -`` answers one question a line as JSON."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from qa.commands.filter_args import add_filter_arguments, filters_from_args
from qa.errors import QAError
from qa.settings import Settings
from qa.types import Answer, provenance

HELP = ("answer a question from the indexed documents, citing paragraphs (exit 1 when it abstains); "
        "QUESTION '-' reads one question a line and writes one JSON object a line")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question, or - to read one question per line from stdin")
    parser.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    parser.add_argument("-k", type=int, help="passages retrieved and offered to the model (default 5)")
    parser.add_argument("--model", help="a local GGUF file (default: the packaged Qwen2.5-Coder-1.5B)")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")
    add_filter_arguments(parser)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"index.dir": args.index_dir, "answer.k": args.k, "llm.model": args.model}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.answer.run_state import checked_question
    from qa.wiring import open_answerer

    if args.question != "-":
        checked_question(args.question, settings.answer)  # refused before the model loads
    filters = filters_from_args(args)
    answerer = open_answerer(settings)
    answerer.warm_up()  # restores the evaluated prompt prefix from the cache when it can
    if args.question == "-":
        failed = 0
        for line in sys.stdin:
            question = line.strip()
            if not question:
                continue
            try:
                out = answerer.ask(question, settings.answer.k, filters).to_json()
            except QAError as exc:  # one bad line is reported in its place; the others are answered
                failed += 1
                out = {"question": question[:200], "error": str(exc)}
            print(json.dumps(out, ensure_ascii=False), flush=True)
        return 1 if failed else 0
    answer = answerer.ask(args.question, settings.answer.k, filters)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print_answer(answer)
    return 1 if answer.abstained else 0


def print_answer(answer: Answer) -> None:
    """The answer, then the paragraphs it cites (or, for an abstention, the nearest ones) to read."""
    print(textwrap.fill(answer.with_labels(), 100))
    reason = answer.diagnostics.get("abstain_reason") if answer.abstained else None
    if reason:
        print(f"(why: {reason})")
    unsupported = [s for s in answer.sentences if not s.supported]
    if unsupported and not answer.abstained:
        print(f"\n({len(unsupported)} sentence(s) of the model's answer were removed: not supported by "
              "the paragraphs they cite)")
    origins = {h.label: provenance(h.metadata or {}) for h in answer.sources}
    if answer.citations:
        print("\nCited:")
        for c in answer.citations:
            origin = f" [{origins[c.label]}]" if origins.get(c.label) else ""
            print(f"  {c.label}{origin}: {textwrap.shorten(answer.paragraph_text(c), 160, placeholder=' ...')}")
    elif answer.sources:
        print("\nNearest paragraphs:")
        for h in answer.sources:
            if not (h.metadata or {}).get("withheld"):
                origin = f" [{origins[h.label]}]" if origins.get(h.label) else ""
                print(f"  {h.label}{origin}: {textwrap.shorten(h.text, 160, placeholder=' ...')}")
    for reason in answer.diagnostics.get("withheld", []):
        print(f"Not used: {reason}", file=sys.stderr)
    t = answer.timings
    parts = [f"{name[:-3].replace('_', ' ')} {t[name] / 1000:.1f} s" for name in
             ("retrieve_ms", "first_token_ms", "total_ms") if name in t]
    print(f"\n[{answer.model}; {', '.join(parts)}]", file=sys.stderr)
