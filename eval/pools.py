"""Which shared cables each question set may draw on, so that no set is written from another's cables.

    python eval/pools.py [--show test|generated] [--part K --parts N]

- **dev**: the cables ``eval/cables-dev.jsonl`` is about (looked at and tuned on in earlier rounds).
- **test**: one cable in four by a hash of its ID, minus the dev cables: the held-out cable test set
  (``eval/cables-test.jsonl``) is written only from these, and nothing is tuned on it.
- **generated**: every other cable: the model-generated training pairs (``train/generate_pairs.py``)
  come only from these.

The split is a pure function of the cable ID (SHA-1), so it needs no stored list and any machine
reproduces it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CABLES = ROOT.parent / "shared" / "corpus" / "cables"
DEV = ROOT / "eval" / "cables-dev.jsonl"


def dev_cables(path: Path = DEV) -> set[str]:
    """The cables the dev set's gold paragraphs are in."""
    out: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.update(g["doc_id"] for g in json.loads(line).get("gold", []))
    return out


def in_test_pool(doc_id: str) -> bool:
    """One cable ID in four, by hash (before removing the dev cables)."""
    return int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16) % 4 == 0


def pools(corpus: Path = CABLES) -> dict[str, list[str]]:
    """The sorted cable IDs of each pool."""
    ids = sorted(p.stem for p in corpus.glob("*.txt"))
    dev = dev_cables()
    return {
        "dev": sorted(dev),
        "test": [i for i in ids if in_test_pool(i) and i not in dev],
        "generated": [i for i in ids if not in_test_pool(i) and i not in dev],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", choices=["dev", "test", "generated"])
    parser.add_argument("--part", type=int, default=0)
    parser.add_argument("--parts", type=int, default=1)
    args = parser.parse_args()
    found = pools()
    if args.show:
        for i, doc_id in enumerate(found[args.show]):
            if i % args.parts == args.part:
                print(doc_id)
    else:
        print(json.dumps({k: len(v) for k, v in found.items()}))


if __name__ == "__main__":
    main()
