"""``qa timeline "QUERY" [filters] [--by year|month|origin|tag] [--json]``: how many cables match, as a
table over time, origin or tag. Counted in SQLite over the whole index (no model loads); see
``qa.corpus.timeline`` for what "matching" means."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qa.commands.filter_args import add_filter_arguments, filters_from_args
from qa.settings import Settings

HELP = "count the cables matching a query per year, month, origin or tag (whole index, lexical match)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", default="", help="words every counted paragraph holds ('' for all)")
    parser.add_argument("--by", choices=["year", "month", "origin", "tag"], default="year")
    parser.add_argument("--list", type=int, default=0, metavar="N", help="also list the first N matching cables")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    add_filter_arguments(parser)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"index.dir": args.index_dir}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.corpus.tags import tag_label
    from qa.corpus.timeline import timeline
    from qa.store.folder import IndexFolder

    filters = filters_from_args(args)
    store = IndexFolder(settings.index.dir).open_store(readonly=True)
    try:
        result = timeline(store, args.query, filters, args.by, list_limit=max(args.list, 0))
    finally:
        store.close()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0 if result.total else 1
    print(f"{result.total} matching: {result.how}")
    if result.buckets:
        width = max(len(tag_label(k) if args.by == "tag" else k) for k, _ in result.buckets)
        top = max(n for _, n in result.buckets) or 1
        for key, n in result.buckets:
            name = tag_label(key) if args.by == "tag" else key
            print(f"{name:<{width}}  {n:>6}  {'#' * round(40 * n / top)}")
    for d in result.documents:
        para = f" ¶{d['paragraph']}" if d.get("paragraph") else ""
        when = (d.get("created") or "")[:10]
        print(f"  {d['doc_id']}{para}  {when}  {d.get('origin') or ''}  {d.get('subject') or ''}")
    return 0 if result.total else 1
