"""``qa index``: parse, embed and store files into an index; ``--status`` describes one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qa.settings import Settings

HELP = "index files or folders (incremental; --prune drops documents whose files are gone)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (.txt .md .jsonl .csv)")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/default, $QA_INDEX_DIR)")
    parser.add_argument("--prune", action="store_true", help="drop documents whose files no longer exist")
    parser.add_argument("--rebuild", action="store_true",
                        help="build a new index from PATHS beside the current one and switch to it when done "
                             "(the current one serves searches until then, and stays if the rebuild fails)")
    parser.add_argument("--status", action="store_true", help="describe the index and exit")
    parser.add_argument("--wait", type=float, help="seconds to wait for another running qa index")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"index.dir": args.index_dir, "index.lock_timeout_s": args.wait}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.errors import QAError

    if args.status:
        return _status(settings, args.json)
    from qa.store.folder import IndexFolder
    from qa.wiring import open_indexer

    if not args.paths and not args.prune and not (IndexFolder(settings.index.dir).exists() and not args.rebuild):
        raise QAError("nothing to index: give files or folders (qa index PATH...)")
    # With no PATH, an existing index only finishes embedding what a stopped run left.

    bar = None
    show = not args.no_progress and sys.stderr.isatty() and not args.json

    phase = ""

    def progress(p: Any) -> None:
        """One bar per phase: files parsed and stored (searchable by words), then paragraphs embedded."""
        nonlocal bar, phase
        if not show:
            return
        if p.phase != phase:
            from tqdm import tqdm

            if bar is not None:
                bar.close()
            phase = p.phase
            if phase == "text":
                bar = tqdm(total=p.total_files, unit="file", desc="1/2 text", dynamic_ncols=True)
            else:
                bar = tqdm(total=p.total, unit="¶", desc="2/2 vectors", dynamic_ncols=True)
        if phase == "text":
            bar.update(p.done_files - bar.n)
            bar.set_postfix(paragraphs=p.paragraphs)
        else:
            bar.update(p.done - bar.n)
            bar.set_postfix(windows=p.embedded)

    summary = open_indexer(settings).run(
        args.paths, prune=args.prune, rebuild=args.rebuild, progress=progress
    )
    if bar is not None:
        bar.close()
    for f in summary.failures:
        print(f"failed: {f['source']}: {f['reason']}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        for w in summary.warnings[:20]:
            print(f"warning: {w}", file=sys.stderr)
        if len(summary.warnings) > 20:
            print(
                f"... and {len(summary.warnings) - 20} more warnings (use --json to see all)", file=sys.stderr
            )
        t = summary.totals
        print(
            f"{summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.removed} removed, {summary.failed} failed; {summary.new_paragraphs} new paragraphs "
            f"({summary.embedded} windows embedded, {summary.reused_vectors} reused) in {summary.seconds:.1f} s "
            f"(text {summary.text_seconds:.1f} s, vectors {summary.vector_seconds:.1f} s). "
            f"Index {settings.index.dir}: {t.get('documents', 0)} documents, {t.get('paragraphs', 0)} paragraphs."
        )
    return 1 if summary.failed else 0


def _status(settings: Settings, as_json: bool) -> int:
    from qa.store.folder import IndexFolder

    folder = IndexFolder(settings.index.dir)
    folder.require()
    found = folder.read_manifest()
    assert found is not None
    store = folder.open_store(readonly=True)
    try:
        info = folder.describe(store, found)
    finally:
        store.close()
    if as_json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    left_out = info.pop("left_out")
    for key, value in info.items():
        print(f"{key:>15}: {value}")
    missing = info["paragraphs"] - info["embedded"]
    if missing:
        print(f"\n{missing} of {info['paragraphs']} paragraphs have no vector yet: searches find them by their "
              f"words only. qa index --index-dir {settings.index.dir} embeds them.")
    if left_out:
        print(f"\nleft out of the index ({len(left_out)}):")
        for note in left_out:
            print(f"  {note}")
    return 0
