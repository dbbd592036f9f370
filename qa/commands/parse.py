"""``qa parse PATH... [--json]``: parse files or folders and print what the parser made of them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.settings import Settings
from qa.types import Document, LoadFailure

HELP = "parse files or folders into numbered paragraphs (--json: one JSON document per line)"
_PREVIEW = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders to parse")
    parser.add_argument("--json", action="store_true", help="print one JSON document per line")


def _summary(doc: Document) -> str:
    meta = doc.metadata
    head = [doc.doc_id, doc.kind, f"{len(doc.paragraphs)} paragraphs"]
    head += [str(meta[k]) for k in ("created", "origin", "classification") if meta.get(k)]
    lines = ["  ".join(head), f"  source: {doc.source}"]
    if doc.title:
        lines.append(f"  title: {doc.title}")
    if meta.get("tags"):
        lines.append(f"  tags: {' '.join(meta['tags'])}")
    section = None
    for p in doc.paragraphs:
        if p.section and p.section != section:
            lines.append(f"  [{p.section}]")
            section = p.section
        text = " ".join(p.text.split())
        text = text if len(text) <= _PREVIEW else text[:_PREVIEW - 1] + "…"
        mark = f"({p.marking}) " if p.marking else ""
        lines.append(f"  ¶{p.n} {mark}{text}")
    if meta.get("signer"):
        lines.append(f"  signed: {meta['signer']}")
    lines += [f"  warning: {w}" for w in doc.warnings]
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.parse.loaders import iter_documents

    max_bytes = int(settings.index.max_file_mb * 1024 * 1024)
    skipped: list[tuple[str, str]] = []
    documents = failed = 0
    for item in iter_documents(args.paths, max_bytes=max_bytes, skipped=skipped):
        if isinstance(item, LoadFailure):
            failed += 1
            print(f"qa parse: {item.source}: {item.reason}", file=sys.stderr)
            continue
        documents += 1
        if args.json:
            print(json.dumps(item.to_json(), ensure_ascii=False))
        else:
            print(_summary(item), end="\n\n")
    for path, reason in skipped:
        print(f"qa parse: skipped {path}: {reason}", file=sys.stderr)
    print(f"qa parse: {documents} documents, {failed} failed, {len(skipped)} skipped", file=sys.stderr)
    return 1 if failed else 0
