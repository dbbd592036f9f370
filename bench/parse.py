"""Benchmark: parse all 6,712 shared cables from their files, the way ``qa index`` reads them.

Prints documents per second and total seconds, and writes ``bench/results/parse.json``.
Usage: ``python bench/parse.py [CABLES_FOLDER]`` (default ``../shared/corpus/cables``).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.parse.loaders import PARSER_VERSION, iter_documents  # noqa: E402
from qa.types import Document  # noqa: E402

TARGET_S = 30.0


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "cables"
    if not folder.is_dir():
        print(f"no cables at {folder}; pass the folder as the first argument", file=sys.stderr)
        return 2
    start, cpu_start = time.perf_counter(), time.process_time()
    docs = failures = paragraphs = cables = 0
    for item in iter_documents([folder]):
        if isinstance(item, Document):
            docs += 1
            cables += item.kind == "cable"
            paragraphs += len(item.paragraphs)
        else:
            failures += 1
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    result = {
        "benchmark": "parse",
        "parser_version": PARSER_VERSION,
        "folder": str(folder),
        "documents": docs,
        "cables": cables,
        "failures": failures,
        "paragraphs": paragraphs,
        "total_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "docs_per_s": round(docs / wall, 1) if wall else None,
        "target_s": TARGET_S,
        "within_target": wall < TARGET_S,
        "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
        },
    }
    out = ROOT / "bench" / "results" / "parse.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"parsed {docs} documents ({cables} cables, {paragraphs} paragraphs, {failures} failures)")
    print(f"{wall:.2f} s wall, {cpu:.2f} s CPU, {result['docs_per_s']} docs/s (target < {TARGET_S:.0f} s)")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0 if wall < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
