"""``qa refs ID [--depth N] [--json]``: a cable's REF chain: what it cites, what cites it, and which of
those cables the index holds. Reads the index's SQLite store only (no model loads)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.settings import Settings

HELP = "show a cable's REF chain: what it cites and what cites it (--depth N follows further)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("doc_id", metavar="ID", help="the cable's reference ID, e.g. 06PHNOMPENH657")
    parser.add_argument("--depth", type=int, default=1, help="levels to follow in each direction (default 1)")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")
    parser.add_argument("--json", action="store_true", help="print the chain as one JSON object")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"index.dir": args.index_dir}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.corpus.chain import chain_lines, ref_chain
    from qa.store.folder import IndexFolder

    if not 1 <= args.depth <= 5:
        raise QAError("--depth must be between 1 and 5", exit_code=2)
    folder = IndexFolder(settings.index.dir)
    store = folder.open_store(readonly=True)
    try:
        if store.brief(args.doc_id) is None:
            raise QAError(f"{args.doc_id} is not in the index at {settings.index.dir}", exit_code=1)
        chain = ref_chain(store, args.doc_id, args.depth)
    finally:
        store.close()
    if args.json:
        print(json.dumps(chain.to_json(), ensure_ascii=False))
    else:
        print("\n".join(chain_lines(chain)))
        if not chain.cites and not chain.cited_by:
            print("  no REF items, and no indexed cable cites it")
    return 0
