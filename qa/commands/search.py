"""``qa search``: hybrid search from the command line; ``qa search -`` reads one query a line."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from qa.commands.filter_args import add_filter_arguments, filters_from_args
from qa.settings import Settings

HELP = "search the index (dense + BM25 fused); QUERY '-' reads queries from stdin"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="the query, or - to read one query per line from stdin")
    parser.add_argument("-k", type=int, help="number of results (default 10)")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")
    parser.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    parser.add_argument("--json", action="store_true", help="one JSON object per hit (per query with -)")
    add_filter_arguments(parser)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"index.dir": args.index_dir, "search.k": args.k}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.wiring import open_searcher

    filters = filters_from_args(args)
    searcher = open_searcher(settings)
    if args.query == "-":
        for line in sys.stdin:
            query = line.strip()
            if not query:
                continue
            hits = searcher.search(query, settings.search.k, filters, mode=args.mode)
            if args.json:
                print(
                    json.dumps({"query": query, "hits": [h.to_json() for h in hits]}, ensure_ascii=False),
                    flush=True,
                )
            else:
                print(f"# {query}")
                _print_hits(hits)
        return 0
    hits = searcher.search(args.query, settings.search.k, filters, mode=args.mode)
    if args.json:
        for h in hits:
            print(json.dumps(h.to_json(), ensure_ascii=False))
    else:
        _print_hits(hits)
        if not hits:
            print("no results", file=sys.stderr)
    return 0 if hits else 1


def _print_hits(hits: list[Any]) -> None:
    for h in hits:
        md = h.metadata
        head = f"{h.rank:>2}. {h.label}  [{h.score:.4f}]  {md.get('created') or ''} {md.get('origin') or ''}"
        print(head.rstrip())
        if md.get("subject"):
            print(f"    {md['subject']}")
        print(textwrap.indent(textwrap.shorten(h.text, 300, placeholder=" ..."), "    "))
